//! dm events, users and media in v2's shapes: the default fields always, the others when
//! `dm_event.fields`, `user.fields` or `media.fields` ask; what `expansions` name goes in
//! `includes`.

use std::collections::BTreeSet;

use postern_core::model::{ConversationEvent, User};
use postern_core::{Error, UserId};
use serde_json::{Map, Value, json};

/// A comma-separated list of names, each one of `known`; an unknown one is named back.
pub fn fields(
    field: &str,
    raw: Option<&str>,
    known: &[&'static str],
) -> Result<BTreeSet<&'static str>, Error> {
    let mut out = BTreeSet::new();
    for name in raw.unwrap_or_default().split(',').filter(|n| !n.is_empty()) {
        let found = known.iter().find(|k| **k == name).ok_or_else(|| {
            Error::invalid(
                field,
                format!("'{name}' is not one of [{}]", known.join(",")),
            )
        })?;
        out.insert(*found);
    }
    Ok(out)
}

pub const DM_EVENT_FIELDS: &[&str] = &[
    "attachments",
    "created_at",
    "dm_conversation_id",
    "entities",
    "event_type",
    "id",
    "participant_ids",
    "referenced_tweets",
    "sender_id",
    "text",
];
pub const EXPANSIONS: &[&str] = &[
    "attachments.media_keys",
    "participant_ids",
    "referenced_tweets.id",
    "sender_id",
];
pub const USER_FIELDS: &[&str] = &[
    "created_at",
    "description",
    "id",
    "name",
    "profile_image_url",
    "protected",
    "username",
    "verified",
];
pub const MEDIA_FIELDS: &[&str] = &["height", "media_key", "type", "url", "width"];

/// A media key, as v2 writes one (`3_` then the id, for photos and all here).
pub fn media_key(id: postern_core::MediaId) -> String {
    format!("3_{id}")
}

/// One dm event with the fields asked for (`id` and `event_type` always; `text` always on a
/// message).
pub fn dm_event(e: &ConversationEvent, asked: &BTreeSet<&str>) -> Value {
    let mut v = Map::new();
    let want = |f: &str| asked.contains(f);
    let (id, kind, conversation, created, sender) = match e {
        ConversationEvent::Message(m) => (
            m.id,
            "MessageCreate",
            &m.conversation_id,
            m.created_at,
            Some(m.sender_id),
        ),
        ConversationEvent::ParticipantsJoin(c) => (
            c.id,
            "ParticipantsJoin",
            &c.conversation_id,
            c.created_at,
            Some(c.sender_id),
        ),
        ConversationEvent::ParticipantsLeave(c) => (
            c.id,
            "ParticipantsLeave",
            &c.conversation_id,
            c.created_at,
            None,
        ),
    };
    v.insert("id".into(), json!(id.to_string()));
    v.insert("event_type".into(), json!(kind));
    match e {
        ConversationEvent::Message(m) => {
            v.insert("text".into(), json!(m.text));
            if want("attachments")
                && let Some(media) = &m.media
            {
                v.insert(
                    "attachments".into(),
                    json!({"media_keys": [media_key(media.id)]}),
                );
            }
            if want("entities") {
                v.insert("entities".into(), entities(&m.entities));
            }
        }
        ConversationEvent::ParticipantsJoin(c) | ConversationEvent::ParticipantsLeave(c) => {
            let ids: Vec<String> = c.user_ids.iter().map(ToString::to_string).collect();
            v.insert("participant_ids".into(), json!(ids));
        }
    }
    if want("sender_id")
        && let Some(s) = sender
    {
        v.insert("sender_id".into(), json!(s.to_string()));
    }
    if want("dm_conversation_id") {
        v.insert("dm_conversation_id".into(), json!(conversation.as_str()));
    }
    if want("created_at") {
        v.insert(
            "created_at".into(),
            json!(created.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
        );
    }
    Value::Object(v)
}

pub fn entities(e: &postern_core::entities::Entities) -> Value {
    // Each entity is its span in the text and what it names.
    let span = |i: [usize; 2], named: Value| {
        let mut v = json!({"start": i[0], "end": i[1]});
        if let (Some(v), Some(named)) = (v.as_object_mut(), named.as_object()) {
            v.extend(named.clone());
        }
        v
    };
    json!({
        "hashtags": e.hashtags.iter().map(|h| span(h.indices, json!({"tag": h.text}))).collect::<Vec<_>>(),
        "cashtags": e.cashtags.iter().map(|h| span(h.indices, json!({"tag": h.text}))).collect::<Vec<_>>(),
        "mentions": e.mentions.iter().map(|m| span(m.indices, match m.user_id {
            Some(id) => json!({"username": m.screen_name, "id": id.to_string()}),
            None => json!({"username": m.screen_name}),
        })).collect::<Vec<_>>(),
        "urls": e.urls.iter().map(|u| span(u.indices, json!({
            "url": u.url, "expanded_url": u.expanded_url, "display_url": u.display_url,
        }))).collect::<Vec<_>>(),
    })
}

/// The users an event list's expansions name: senders and participants.
pub fn expanded_users(events: &[ConversationEvent], expansions: &BTreeSet<&str>) -> Vec<UserId> {
    let mut ids: Vec<UserId> = Vec::new();
    for e in events {
        match e {
            ConversationEvent::Message(m) if expansions.contains("sender_id") => {
                ids.push(m.sender_id)
            }
            ConversationEvent::ParticipantsJoin(c) | ConversationEvent::ParticipantsLeave(c) => {
                if expansions.contains("participant_ids") {
                    ids.extend(c.user_ids.iter().copied());
                }
                if expansions.contains("sender_id")
                    && matches!(e, ConversationEvent::ParticipantsJoin(_))
                {
                    ids.push(c.sender_id);
                }
            }
            ConversationEvent::Message(_) => {}
        }
    }
    ids.sort_unstable_by_key(|u| u.0);
    ids.dedup();
    ids
}

/// The media an event list's `attachments.media_keys` expansion names.
pub fn expanded_media(events: &[ConversationEvent], asked: &BTreeSet<&str>) -> Vec<Value> {
    events
        .iter()
        .filter_map(|e| match e {
            ConversationEvent::Message(m) => m.media.as_deref(),
            _ => None,
        })
        .map(|media| {
            let mut v = Map::new();
            v.insert("media_key".into(), json!(media_key(media.id)));
            let kind = match media.media_type {
                postern_core::media::MediaType::Gif => "animated_gif",
                postern_core::media::MediaType::Mp4 | postern_core::media::MediaType::Mov => {
                    "video"
                }
                _ => "photo",
            };
            v.insert("type".into(), json!(kind));
            if asked.contains("width") {
                v.insert("width".into(), json!(media.width));
            }
            if asked.contains("height") {
                v.insert("height".into(), json!(media.height));
            }
            Value::Object(v)
        })
        .collect()
}

/// A user with the fields asked for (`id`, `name`, `username` always).
pub fn user(u: &User, asked: &BTreeSet<&str>, origin: &str) -> Value {
    let mut v = json!({"id": u.id.to_string(), "name": u.name, "username": u.screen_name});
    if let Some(o) = v.as_object_mut() {
        if asked.contains("created_at") {
            o.insert(
                "created_at".into(),
                json!(u.created_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
            );
        }
        if asked.contains("description") {
            o.insert("description".into(), json!(u.description));
        }
        if asked.contains("verified") {
            o.insert("verified".into(), json!(u.verified));
        }
        if asked.contains("protected") {
            o.insert("protected".into(), json!(false));
        }
        if asked.contains("profile_image_url")
            && let Some(a) = &u.avatar
        {
            o.insert(
                "profile_image_url".into(),
                json!(format!("{origin}{}", a.native_url())),
            );
        }
    }
    v
}
