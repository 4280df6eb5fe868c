//! Account Activity payloads (issue 18): what a subscribed person's stored events look like as
//! Twitter delivered them, `{"for_user_id", "<field>": [items], "users": {…}}`.
//!
//! Every field is an array, and one POST may carry several events under the same field, as
//! Twitter's receivers expect: a subscription with a backlog (a burst, or a receiver that was
//! down) gets its events in fewer POSTs, which is what keeps a hundred subscriptions from
//! costing the send path a POST per message (see `docs/benchmarks.md`).

use postern_core::stream::{RelationshipAction, RelationshipChange};
use postern_core::{Error, Result, UserId};
use postern_store::Replayed;
use serde::ser::SerializeMap;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::Services;

/// Events one payload carries at most: a backlog of long messages stays a modest body.
pub(crate) const EVENTS_PER_PAYLOAD: usize = 20;

/// One stored event as Account Activity carries it.
pub(crate) struct ActivityPart {
    /// The payload field it goes under (`direct_message_events`, `follow_events`, …).
    field: &'static str,
    /// Its entry in that field's array, serialized.
    item: Box<RawValue>,
    /// The people the payload's `users` must describe (none: no `users`).
    people: Vec<UserId>,
    /// A mention: its payload also says `"user_has_blocked": "false"`, so it goes alone.
    mention: bool,
}

/// Events that share one POST: the same field, in stream order.
pub(crate) struct ActivityPayload {
    field: &'static str,
    items: Vec<Box<RawValue>>,
    people: Vec<UserId>,
    mention: bool,
}

impl From<ActivityPart> for ActivityPayload {
    fn from(part: ActivityPart) -> Self {
        ActivityPayload {
            field: part.field,
            items: vec![part.item],
            people: part.people,
            mention: part.mention,
        }
    }
}

impl ActivityPayload {
    /// Takes `part` in after this payload's events, if it goes under the same field and there
    /// is room; otherwise hands it back.
    pub(crate) fn absorb(&mut self, part: ActivityPart) -> std::result::Result<(), ActivityPart> {
        if part.field != self.field
            || part.mention
            || self.mention
            || self.items.len() >= EVENTS_PER_PAYLOAD
        {
            return Err(part);
        }
        self.items.push(part.item);
        for person in part.people {
            if !self.people.contains(&person) {
                self.people.push(person);
            }
        }
        Ok(())
    }
}

/// Where Account Activity puts a change in how two people relate, and its `type`: undoing
/// shares its doing's field (`follow_events` with `"type":"unfollow"`), as Twitter's samples do.
fn graph_event_kind(action: RelationshipAction) -> (&'static str, &'static str) {
    match action {
        RelationshipAction::Follow => ("follow_events", "follow"),
        RelationshipAction::Unfollow => ("follow_events", "unfollow"),
        RelationshipAction::Block => ("block_events", "block"),
        RelationshipAction::Unblock => ("block_events", "unblock"),
        RelationshipAction::Mute => ("mute_events", "mute"),
        RelationshipAction::Unmute => ("mute_events", "unmute"),
    }
}

/// An item built as a `Value` (the kinds other than messages), serialized.
fn raw(item: &Value) -> Result<Box<RawValue>> {
    serde_json::value::to_raw_value(item).map_err(Error::internal)
}

/// A payload's body, in the order of Twitter's samples: `for_user_id`, `user_has_blocked`
/// (a mention), the field's array, `users`.
struct Body<'a> {
    for_user: String,
    payload: &'a ActivityPayload,
    users: Option<serde_json::Map<String, Value>>,
}

impl serde::Serialize for Body<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("for_user_id", &self.for_user)?;
        if self.payload.mention {
            map.serialize_entry("user_has_blocked", "false")?;
        }
        map.serialize_entry(self.payload.field, &self.payload.items)?;
        if let Some(users) = &self.users {
            map.serialize_entry("users", users)?;
        }
        map.end()
    }
}

impl Services {
    /// A stored event as Account Activity carries it, or `None` for one it does not carry
    /// (groups, and kinds it has no field for).
    pub(crate) async fn activity_part(&self, event: &Replayed) -> Result<Option<ActivityPart>> {
        let (kind, data) = (event.body.kind.as_str(), event.body.data.as_str());
        // When it happened, however late it goes out (a retry, a replay).
        let created_timestamp = event.at_ms.to_string();
        let Some(format) = self.twitter_format.get() else {
            return Ok(None);
        };
        let part = |field, item, people| ActivityPart {
            field,
            item,
            people,
            mention: false,
        };
        Ok(Some(match kind {
            "message.created" => {
                let message: postern_core::model::Message =
                    serde_json::from_str(data).map_err(Error::internal)?;
                // Twitter's Account Activity carries one-to-one messages only.
                let Some(partner) = message.conversation_id.partner_of(message.sender_id) else {
                    return Ok(None);
                };
                part(
                    "direct_message_events",
                    format.v1_event_raw(&message).map_err(Error::internal)?,
                    vec![message.sender_id, partner],
                )
            }
            "conversation.read" => {
                #[derive(serde::Deserialize)]
                struct Read {
                    conversation_id: postern_core::ConversationId,
                    user_id: UserId,
                    last_read_event_id: postern_core::EventId,
                }
                let read: Read = serde_json::from_str(data).map_err(Error::internal)?;
                let Some(partner) = read.conversation_id.partner_of(read.user_id) else {
                    return Ok(None);
                };
                part(
                    "direct_message_mark_read_events",
                    raw(&serde_json::json!({
                        "created_timestamp": created_timestamp,
                        "sender_id": read.user_id.to_string(),
                        "target": {"recipient_id": partner.to_string()},
                        "last_read_event_id": read.last_read_event_id.to_string(),
                    }))?,
                    vec![read.user_id, partner],
                )
            }
            "relationship.changed" => {
                let change: RelationshipChange =
                    serde_json::from_str(data).map_err(Error::internal)?;
                let (field, kind) = graph_event_kind(change.action);
                let (Some(source), Some(target)) = (
                    self.store.user(change.source_id).await?,
                    self.store.user(change.target_id).await?,
                ) else {
                    return Ok(None);
                };
                part(
                    field,
                    raw(&serde_json::json!({
                        "type": kind,
                        "created_timestamp": created_timestamp,
                        "target": format.v1_user(&target.user),
                        "source": format.v1_user(&source.user),
                    }))?,
                    Vec::new(),
                )
            }
            "post.mentioned" => {
                let post: postern_core::posts::Post =
                    serde_json::from_str(data).map_err(Error::internal)?;
                let Some(author) = self.store.user(post.author_id).await? else {
                    return Ok(None);
                };
                ActivityPart {
                    field: "tweet_create_events",
                    item: raw(&format.v1_tweet(&post, &author.user))?,
                    people: Vec::new(),
                    // Only what reaches the person is delivered: a blocker never gets it.
                    mention: true,
                }
            }
            _ => return Ok(None),
        }))
    }

    /// The body of `payload` as delivered to `for_user`'s subscription.
    pub(crate) async fn activity_body(
        &self,
        for_user: UserId,
        payload: ActivityPayload,
    ) -> Result<String> {
        let mut users = None;
        if let (false, Some(format)) = (payload.people.is_empty(), self.twitter_format.get()) {
            let mut described = serde_json::Map::new();
            // One read for everyone the payload names.
            for u in self.store.users(&payload.people).await? {
                described.insert(u.id.to_string(), format.v1_user(&u));
            }
            users = Some(described);
        }
        let body = Body {
            for_user: for_user.to_string(),
            payload: &payload,
            users,
        };
        serde_json::to_string(&body).map_err(Error::internal)
    }

    /// One event's Account Activity payload for `for_user`, alone (a replay sends each event
    /// on its own).
    pub(crate) async fn activity_payload(
        &self,
        for_user: UserId,
        event: &Replayed,
    ) -> Result<Option<String>> {
        match self.activity_part(event).await? {
            Some(part) => Ok(Some(self.activity_body(for_user, part.into()).await?)),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(n: i64) -> ActivityPart {
        ActivityPart {
            field: "direct_message_events",
            item: raw(&serde_json::json!({"id": n})).unwrap_or_else(|_| null()),
            people: vec![UserId(1), UserId(n)],
            mention: false,
        }
    }

    #[test]
    fn events_under_one_field_share_a_payload_up_to_its_size() {
        let mut payload = ActivityPayload::from(message(2));
        for n in 3..=i64::try_from(EVENTS_PER_PAYLOAD).unwrap_or(0) + 1 {
            assert!(payload.absorb(message(n)).is_ok(), "event {n}");
        }
        assert_eq!(payload.items.len(), EVENTS_PER_PAYLOAD);
        // Each person described once, in the order first met.
        assert_eq!(payload.people.first(), Some(&UserId(1)));
        assert_eq!(payload.people.len(), EVENTS_PER_PAYLOAD + 1);
        assert!(
            payload.absorb(message(99)).is_err(),
            "a full payload takes no more"
        );
    }

    fn null() -> Box<RawValue> {
        Box::default()
    }

    /// An event under `field` that describes no one.
    fn bare(field: &'static str, mention: bool) -> ActivityPart {
        ActivityPart {
            field,
            item: null(),
            people: Vec::new(),
            mention,
        }
    }

    #[test]
    fn another_field_or_a_mention_starts_a_new_payload() {
        let mut payload = ActivityPayload::from(message(2));
        assert!(payload.absorb(bare("follow_events", false)).is_err());
        assert!(payload.absorb(bare("direct_message_events", true)).is_err());
        let mut mentioned = ActivityPayload::from(bare("tweet_create_events", true));
        assert!(
            mentioned
                .absorb(bare("tweet_create_events", false))
                .is_err()
        );
    }
}
