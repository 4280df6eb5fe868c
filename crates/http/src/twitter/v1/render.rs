//! Postern's messages and users in v1.1's shapes (reference §2.5, `twitter-clients.md`):
//! ids and timestamps as strings, `message_data.entities` always with its four arrays,
//! buttons with `tco_url`. Links stored as paths are made absolute for the site's origin.

use postern_core::entities::Entities;
use postern_core::model::{Message, User};
use postern_core::posts::Post;
use serde_json::{Map, Value, json};

/// A message as a `message_create` event.
pub fn event(m: &Message, origin: &str) -> Value {
    let recipient = m
        .conversation_id
        .partner_of(m.sender_id)
        .map(|u| u.to_string())
        .unwrap_or_default();
    let mut data = Map::new();
    data.insert("text".into(), json!(m.text));
    data.insert("entities".into(), entities(&m.entities));
    let parts = &m.parts;
    if let Some(q) = &parts.quick_reply {
        data.insert(
            "quick_reply".into(),
            json!({"type": "options", "options": q.options}),
        );
    }
    if let Some(r) = &parts.quick_reply_response {
        data.insert(
            "quick_reply_response".into(),
            json!({"type": "options", "metadata": r.metadata}),
        );
    }
    if let Some(media) = &m.media {
        let url = super::media::media_url(origin, m.id, media.id, media.media_type);
        data.insert(
            "attachment".into(),
            json!({"type": "media", "media": {
                "id": media.id.0,
                "id_str": media.id.to_string(),
                "media_url": url,
                "media_url_https": url,
                "url": url,
                "display_url": url,
                "expanded_url": url,
                "type": media_kind(media),
                "sizes": {"large": {"w": media.width, "h": media.height, "resize": "fit"}},
            }}),
        );
    }
    if !parts.ctas.is_empty() {
        let ctas: Vec<Value> = parts
            .ctas
            .iter()
            .map(|b| {
                json!({
                    "type": "web_url",
                    "label": b.cta.label(),
                    "url": absolute(origin, &b.cta.target()),
                    "tco_url": absolute(origin, &b.tco_url),
                })
            })
            .collect();
        data.insert("ctas".into(), Value::Array(ctas));
    }
    let mut create = json!({
        "target": {"recipient_id": recipient},
        "sender_id": m.sender_id.to_string(),
        "message_data": data,
    });
    if let (Some(p), Some(create)) = (&parts.custom_profile, create.as_object_mut()) {
        create.insert("custom_profile_id".into(), json!(p.id.to_string()));
    }
    let mut event = json!({
        "type": "message_create",
        "id": m.id.to_string(),
        "created_timestamp": m.created_at.timestamp_millis().to_string(),
        "message_create": create,
    });
    if let (Some(via), Some(event)) = (&parts.initiated_via, event.as_object_mut()) {
        let mut v = Map::new();
        if let Some(post) = via.post_id {
            v.insert("tweet_id".into(), json!(post.to_string()));
        }
        if let Some(w) = via.welcome_message_id {
            v.insert("welcome_message_id".into(), json!(w.to_string()));
        }
        if !v.is_empty() {
            event.insert("initiated_via".into(), Value::Object(v));
        }
    }
    event
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
    json!({
        "hashtags": e.hashtags.iter().map(|h| json!({"text": h.text, "indices": h.indices})).collect::<Vec<_>>(),
        "symbols": e.cashtags.iter().map(|h| json!({"text": h.text, "indices": h.indices})).collect::<Vec<_>>(),
        "user_mentions": e.mentions.iter().map(|m| {
            let mut v = json!({"screen_name": m.screen_name, "indices": m.indices});
            if let (Some(id), Some(o)) = (m.user_id, v.as_object_mut()) {
                o.insert("id".into(), json!(id.0));
                o.insert("id_str".into(), json!(id.to_string()));
            }
            v
        }).collect::<Vec<_>>(),
        "urls": e.urls.iter().map(|u| json!({
            "url": u.url, "expanded_url": u.expanded_url, "display_url": u.display_url,
            "indices": u.indices,
        })).collect::<Vec<_>>(),
    })
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
