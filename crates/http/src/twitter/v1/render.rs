//! Postern's messages and users in v1.1's shapes (reference §2.5, `twitter-clients.md`):
//! ids and timestamps as strings, `message_data.entities` always with its four arrays,
//! buttons with `tco_url`. Links stored as paths are made absolute for the site's origin.

use postern_core::entities::{Entities, TextEntity, UrlEntity};
use postern_core::model::{Message, User};
use postern_core::posts::Post;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// A message as a `message_create` event.
pub fn event(m: &Message, origin: &str) -> Value {
    serde_json::to_value(MessageEvent::of(m, origin)).unwrap_or(Value::Null)
}

/// A message as a `message_create` event, serialized: what an Account Activity delivery
/// carries, written straight into its body (no `Value` tree per message).
pub fn event_raw(m: &Message, origin: &str) -> serde_json::Result<Box<RawValue>> {
    serde_json::value::to_raw_value(&MessageEvent::of(m, origin))
}

/// v1.1's `message_create` event, typed.
#[derive(Serialize)]
struct MessageEvent<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    created_timestamp: String,
    message_create: Create<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    initiated_via: Option<Via>,
}

#[derive(Serialize)]
struct Create<'a> {
    target: Target,
    sender_id: String,
    message_data: Data<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_profile_id: Option<String>,
}

#[derive(Serialize)]
struct Target {
    recipient_id: String,
}

#[derive(Serialize)]
struct Data<'a> {
    text: &'a str,
    entities: V1Entities<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quick_reply: Option<QuickReply<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quick_reply_response: Option<QuickReplyResponse<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attachment: Option<Attachment>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ctas: Vec<Cta>,
}

#[derive(Serialize)]
struct QuickReply<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    options: &'a [postern_core::parts::QuickReplyOption],
}

#[derive(Serialize)]
struct QuickReplyResponse<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    metadata: &'a str,
}

#[derive(Serialize)]
struct Attachment {
    #[serde(rename = "type")]
    kind: &'static str,
    media: AttachedMedia,
}

#[derive(Serialize)]
struct AttachedMedia {
    id: i64,
    id_str: String,
    media_url: String,
    media_url_https: String,
    url: String,
    display_url: String,
    expanded_url: String,
    #[serde(rename = "type")]
    kind: &'static str,
    sizes: Sizes,
}

#[derive(Serialize)]
struct Sizes {
    large: Size,
}

#[derive(Serialize)]
struct Size {
    w: u32,
    h: u32,
    resize: &'static str,
}

#[derive(Serialize)]
struct Cta {
    #[serde(rename = "type")]
    kind: &'static str,
    label: String,
    url: String,
    tco_url: String,
}

#[derive(Serialize)]
struct Via {
    #[serde(skip_serializing_if = "Option::is_none")]
    tweet_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    welcome_message_id: Option<String>,
}

impl<'a> MessageEvent<'a> {
    fn of(m: &'a Message, origin: &str) -> Self {
        let recipient = m
            .conversation_id
            .partner_of(m.sender_id)
            .map(|u| u.to_string())
            .unwrap_or_default();
        let parts = &m.parts;
        let attachment = m.media.as_ref().map(|media| {
            let url = super::media::media_url(origin, m.id, media.id, media.media_type);
            Attachment {
                kind: "media",
                media: AttachedMedia {
                    id: media.id.0,
                    id_str: media.id.to_string(),
                    media_url: url.clone(),
                    media_url_https: url.clone(),
                    url: url.clone(),
                    display_url: url.clone(),
                    expanded_url: url,
                    kind: media_kind(media),
                    sizes: Sizes {
                        large: Size {
                            w: media.width,
                            h: media.height,
                            resize: "fit",
                        },
                    },
                },
            }
        });
        let via = parts.initiated_via.as_ref().map(|via| Via {
            tweet_id: via.post_id.map(|p| p.to_string()),
            welcome_message_id: via.welcome_message_id.map(|w| w.to_string()),
        });
        MessageEvent {
            kind: "message_create",
            id: m.id.to_string(),
            created_timestamp: m.created_at.timestamp_millis().to_string(),
            message_create: Create {
                target: Target {
                    recipient_id: recipient,
                },
                sender_id: m.sender_id.to_string(),
                message_data: Data {
                    text: &m.text,
                    entities: V1Entities::of(&m.entities),
                    quick_reply: parts.quick_reply.as_ref().map(|q| QuickReply {
                        kind: "options",
                        options: &q.options,
                    }),
                    quick_reply_response: parts.quick_reply_response.as_ref().map(|r| {
                        QuickReplyResponse {
                            kind: "options",
                            metadata: &r.metadata,
                        }
                    }),
                    attachment,
                    ctas: parts
                        .ctas
                        .iter()
                        .map(|b| Cta {
                            kind: "web_url",
                            label: b.cta.label().to_owned(),
                            url: absolute(origin, &b.cta.target()),
                            tco_url: absolute(origin, &b.tco_url),
                        })
                        .collect(),
                },
                custom_profile_id: parts.custom_profile.as_ref().map(|p| p.id.to_string()),
            },
            // An `initiated_via` with neither is left out.
            initiated_via: via.filter(|v| v.tweet_id.is_some() || v.welcome_message_id.is_some()),
        }
    }
}

fn media_kind(media: &postern_core::media::Media) -> &'static str {
    use postern_core::media::MediaType;
    match media.media_type {
        MediaType::Gif => "animated_gif",
        MediaType::Mp4 | MediaType::Mov => "video",
        MediaType::Jpeg | MediaType::Png | MediaType::Webp => "photo",
    }
}

/// A path on this server made absolute; a URL stays as it is.
fn absolute(origin: &str, link: &str) -> String {
    if link.starts_with('/') {
        format!("{origin}{link}")
    } else {
        link.to_owned()
    }
}

/// Tweet-style entities: hashtags, symbols, user mentions and URLs, each always present.
pub fn entities(e: &Entities) -> Value {
    serde_json::to_value(V1Entities::of(e)).unwrap_or(Value::Null)
}

#[derive(Serialize)]
struct V1Entities<'a> {
    hashtags: &'a [TextEntity],
    symbols: &'a [TextEntity],
    user_mentions: Vec<V1Mention<'a>>,
    urls: &'a [UrlEntity],
}

/// A mention as v1.1 has it: the account's id as a number and as a string.
#[derive(Serialize)]
struct V1Mention<'a> {
    screen_name: &'a str,
    indices: [usize; 2],
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_str: Option<String>,
}

impl<'a> V1Entities<'a> {
    fn of(e: &'a Entities) -> Self {
        V1Entities {
            hashtags: &e.hashtags,
            symbols: &e.cashtags,
            user_mentions: e
                .mentions
                .iter()
                .map(|m| V1Mention {
                    screen_name: &m.screen_name,
                    indices: m.indices,
                    id: m.user_id.map(|id| id.0),
                    id_str: m.user_id.map(|id| id.to_string()),
                })
                .collect(),
            urls: &e.urls,
        }
    }
}

/// A user object (the fields clients read; counts Postern does not keep are left out).
pub fn user(u: &User, origin: &str) -> Value {
    let avatar = u.avatar.as_ref().map(|a| absolute(origin, &a.native_url()));
    json!({
        "id": u.id.0,
        "id_str": u.id.to_string(),
        "name": u.name,
        "screen_name": u.screen_name,
        "description": u.description,
        "verified": u.verified,
        "protected": false,
        "created_at": u.created_at.format("%a %b %d %H:%M:%S %z %Y").to_string(),
        "profile_image_url_https": avatar,
        "profile_image_url": avatar,
    })
}

/// v1.1's shapes for what Postern sends outward (Account Activity deliveries), with links
/// made absolute for `server.public_url` (relative without one: no request says where the
/// site is).
pub struct Format {
    origin: String,
}

impl Format {
    pub fn new(public_origin: Option<&str>) -> Format {
        Format {
            origin: public_origin.unwrap_or_default().to_owned(),
        }
    }
}

impl postern_service::account_activity::TwitterFormat for Format {
    fn v1_event(&self, message: &Message) -> Value {
        event(message, &self.origin)
    }

    fn v1_event_raw(&self, message: &Message) -> serde_json::Result<Box<RawValue>> {
        event_raw(message, &self.origin)
    }

    fn v1_user(&self, u: &User) -> Value {
        user(u, &self.origin)
    }

    fn v1_tweet(&self, post: &Post, author: &User) -> Value {
        tweet(post, author, &self.origin)
    }

    fn v2_user(&self, u: &User) -> Value {
        let every = crate::twitter::v2::render::USER_FIELDS
            .iter()
            .copied()
            .collect();
        crate::twitter::v2::render::user(u, &every, &self.origin)
    }

    fn v2_post(&self, post: &Post) -> Value {
        let every = crate::twitter::v2::tweets::TWEET_FIELDS
            .iter()
            .copied()
            .collect();
        crate::twitter::v2::tweets::tweet(post, &every)
    }
}

/// A post as v1.1's Tweet object (what `tweet_create_events` carry).
pub fn tweet(p: &Post, author: &User, origin: &str) -> Value {
    let id_str = |id: Option<String>| id.map_or(Value::Null, Value::String);
    json!({
        "created_at": p.created_at.format("%a %b %d %H:%M:%S %z %Y").to_string(),
        "id": p.id.0,
        "id_str": p.id.to_string(),
        "text": p.text,
        "source": "Postern",
        "truncated": false,
        "in_reply_to_status_id": p.reply_to_id.map(|id| id.0),
        "in_reply_to_status_id_str": id_str(p.reply_to_id.map(|id| id.to_string())),
        "in_reply_to_user_id": p.in_reply_to_user_id.map(|id| id.0),
        "in_reply_to_user_id_str": id_str(p.in_reply_to_user_id.map(|id| id.to_string())),
        "user": user(author, origin),
        "entities": entities(&p.entities),
        "is_quote_status": false,
        "favorited": false,
        "retweeted": false,
        "lang": "und",
    })
}
