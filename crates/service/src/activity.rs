//! The X Activity API (issue 18; `x-api-v2-current.md` §8): an app subscribes to one person's
//! events of one type and receives each as an envelope, `{"data": {"event_uuid", "filter",
//! "event_type", "tag"?, "payload"}}`, on its activity stream and, when the subscription names
//! one of its v2 webhooks, POSTed there.
//!
//! Events come from the person's stored stream (and typing, live, on the stream only):
//! messages as `dm.received` / `dm.sent` (one-to-one), read receipts of their messages as
//! `dm.read`, follows as `follow.follow` / `follow.unfollow` (both people), their blocks and
//! mutes as `block.*` / `mute.*`, and mentions as `post.mention.create` or, for an answer to
//! their post, `post.reply.create`. DM payloads are Account Activity's legacy shapes with v2
//! users (`{"data": User}`), as X sends them.
//!
//! The stream itself is in [`crate::activity_stream`].

use chrono::{DateTime, Utc};
use postern_core::error::Thing;
use postern_core::model::Message;
use postern_core::posts::Post;
use postern_core::stream::{RelationshipAction, RelationshipChange};
use postern_core::{ConversationId, Error, EventId, Invalid, ObjectId, Result, UserId};
use postern_store::Replayed;
use postern_store::cold::{ColdRow, Statement, int, opt_int, opt_text, text};
use serde_json::{Value, json};

use crate::Services;

/// The event types a subscription may name.
pub const EVENT_TYPES: [&str; 12] = [
    "dm.received",
    "dm.sent",
    "dm.read",
    "dm.indicate_typing",
    "follow.follow",
    "follow.unfollow",
    "block.block",
    "block.unblock",
    "mute.mute",
    "mute.unmute",
    "post.mention.create",
    "post.reply.create",
];
/// A tag, at most.
pub const TAG_MAX: usize = 200;
/// Refuses a tag that is empty, longer than [`TAG_MAX`] characters, or more than one line.
fn checked_tag(tag: Option<&str>) -> Result<()> {
    match tag {
        Some(t)
            if t.is_empty() || t.chars().count() > TAG_MAX || t.chars().any(char::is_control) =>
        {
            Err(Error::invalid(
                "tag",
                format!("must be 1 to {TAG_MAX} characters, one line"),
            ))
        }
        _ => Ok(()),
    }
}

/// The kind of `webhooks` row X Activity deliveries go through.
pub(crate) const KIND_X_ACTIVITY: &str = "x_activity";

/// A subscription as X shows it.
#[derive(Debug, Clone)]
pub struct ActivitySubscription {
    pub id: ObjectId,
    pub event_type: String,
    pub user_id: UserId,
    /// `inbound` or `outbound`, when asked for.
    pub direction: Option<String>,
    pub tag: Option<String>,
    pub webhook_id: Option<ObjectId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ActivitySubscription {
    /// The filter as X echoes it in a subscription and in each envelope.
    pub fn filter(&self) -> Value {
        let mut f = json!({"user_id": self.user_id.to_string()});
        if let (Some(d), Some(o)) = (&self.direction, f.as_object_mut()) {
            o.insert("direction".into(), json!(d));
        }
        f
    }
}

/// What a subscription is made of.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub event_type: String,
    pub user_id: UserId,
    pub direction: Option<String>,
    pub tag: Option<String>,
    pub webhook_id: Option<ObjectId>,
}

const COLUMNS: &str = "id, event_type, user_id, direction, tag, webhook_id, created_at, updated_at";

fn subscription(r: &ColdRow) -> Result<ActivitySubscription> {
    let time = |ms: i64| {
        DateTime::from_timestamp_millis(ms)
            .ok_or_else(|| Error::internal("a stored time out of range"))
    };
    Ok(ActivitySubscription {
        id: ObjectId(r.int(0)?),
        event_type: r.text(1)?,
        user_id: UserId(r.int(2)?),
        direction: r.opt_text(3)?,
        tag: r.opt_text(4)?,
        webhook_id: r.opt_int(5)?.map(ObjectId),
        created_at: time(r.int(6)?)?,
        updated_at: time(r.int(7)?)?,
    })
}

/// Events of a type that only the person may see (they must have authorized the app).
fn private(event_type: &str) -> bool {
    event_type.starts_with("dm.")
        || event_type.starts_with("block.")
        || event_type.starts_with("mute.")
}

/// X's directions, with the changelog's `received`/`sent` read as `inbound`/`outbound`.
fn direction(raw: &str) -> Option<&'static str> {
    match raw {
        "inbound" | "received" => Some("inbound"),
        "outbound" | "sent" => Some("outbound"),
        _ => None,
    }
}

/// One event as the X Activity API names it, for the person whose stream holds it.
struct Happened {
    event_type: &'static str,
    /// `inbound` (it came to the person) or `outbound` (they did it), for DMs.
    direction: Option<&'static str>,
    payload: Value,
}

/// An event's id, the same wherever and however often it is delivered: the person and the
/// event's place in their stream, mixed into a signed 64-bit number as X's are.
pub fn event_uuid(user: UserId, position: i64, event_type: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in user
        .0
        .to_be_bytes()
        .iter()
        .chain(position.to_be_bytes().iter())
        .chain(event_type.as_bytes())
    {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    i64::from_ne_bytes(h.to_ne_bytes()).to_string()
}

impl Services {
    /// `POST /2/activity/subscriptions`.
    pub async fn create_activity_subscription(
        &self,
        app: ObjectId,
        acting_user: Option<UserId>,
        new: NewSubscription,
    ) -> Result<ActivitySubscription> {
        if !EVENT_TYPES.contains(&new.event_type.as_str()) {
            return Err(Error::invalid(
                "event_type",
                format!("must be one of {}", EVENT_TYPES.join(", ")),
            ));
        }
        let direction = match new.direction.as_deref() {
            None => None,
            Some(_) if !new.event_type.starts_with("dm.") => {
                return Err(Error::invalid(
                    "filter.direction",
                    "is only for dm.* events",
                ));
            }
            Some(raw) => Some(direction(raw).ok_or_else(|| {
                Error::invalid("filter.direction", "must be inbound or outbound")
            })?),
        };
        checked_tag(new.tag.as_deref())?;
        self.user(new.user_id).await.map_err(|_| {
            Error::Unknown(Invalid {
                field: "filter.user_id".into(),
                message: "no such user".into(),
            })
        })?;
        if private(&new.event_type) {
            // Private events: only of someone who authorized the app, and by user context
            // only their own.
            if acting_user.is_some_and(|u| u != new.user_id) {
                return Err(Error::Forbidden(
                    "private events can be subscribed to only for the authenticated user",
                ));
            }
            if !self.authorized(app, new.user_id).await? {
                return Err(Error::Forbidden(
                    "private events need the person to have authorized the app",
                ));
            }
        }
        if let Some(w) = new.webhook_id {
            self.app_webhook(app, w).await.map_err(|_| {
                Error::Unknown(Invalid {
                    field: "webhook_id".into(),
                    message: "must be one of the app's webhooks".into(),
                })
            })?;
        }
        let existing = self.activity_subscriptions(app).await?;
        let max = self.config.activity_subscriptions_max;
        if existing.len() >= max {
            return Err(Error::State(Invalid {
                field: "event_type".into(),
                message: format!("an app has at most {max} subscriptions: delete one first"),
            }));
        }
        let duplicate = existing.iter().any(|s| {
            s.event_type == new.event_type
                && s.user_id == new.user_id
                && s.direction.as_deref() == direction
                && s.webhook_id == new.webhook_id
        });
        if duplicate {
            return Err(Error::State(Invalid {
                field: "filter".into(),
                message: "DuplicateSubscription: the app has this subscription already".into(),
            }));
        }
        let id = ObjectId(self.ids.next_id());
        let now = self.config.clock.now().timestamp_millis();
        self.store
            .cold()
            .run(vec![Statement::new(
                "INSERT INTO activity_subscriptions (id, app_id, event_type, user_id, direction,
                     tag, webhook_id, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, CAST(?7 AS BIGINT), ?8, ?8)",
                vec![
                    int(id.0),
                    int(app.0),
                    text(new.event_type.clone()),
                    int(new.user_id.0),
                    opt_text(direction),
                    opt_text(new.tag.clone()),
                    opt_int(new.webhook_id.map(|w| w.0)),
                    int(now),
                ],
            )])
            .await?;
        if let Some(w) = new.webhook_id {
            self.route_to_webhook(app, w, new.user_id).await?;
        }
        self.activity_subscription(app, id).await
    }

    async fn authorized(&self, app: ObjectId, user: UserId) -> Result<bool> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT 1 FROM app_grants WHERE app_id = ?1 AND user_id = ?2 LIMIT 1",
                vec![int(app.0), int(user.0)],
            ))
            .await?;
        Ok(!rows.is_empty())
    }

    /// `GET /2/activity/subscriptions`: the app's, oldest first.
    pub async fn activity_subscriptions(&self, app: ObjectId) -> Result<Vec<ActivitySubscription>> {
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                format!(
                    "SELECT {COLUMNS} FROM activity_subscriptions WHERE app_id = ?1 ORDER BY id"
                ),
                vec![int(app.0)],
            ))
            .await?;
        rows.iter().map(subscription).collect()
    }

    pub async fn activity_subscription(
        &self,
        app: ObjectId,
        id: ObjectId,
    ) -> Result<ActivitySubscription> {
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                format!(
                    "SELECT {COLUMNS} FROM activity_subscriptions WHERE app_id = ?1 AND id = ?2"
                ),
                vec![int(app.0), int(id.0)],
            ))
            .await?;
        rows.first()
            .map(subscription)
            .transpose()?
            .ok_or(Error::NotFound(Thing::Webhook))
    }

    /// `PUT /2/activity/subscriptions/:id`: a new tag, or another (or no) webhook.
    pub async fn update_activity_subscription(
        &self,
        app: ObjectId,
        id: ObjectId,
        tag: Option<Option<String>>,
        webhook: Option<Option<ObjectId>>,
    ) -> Result<ActivitySubscription> {
        let current = self.activity_subscription(app, id).await?;
        let tag = tag.unwrap_or(current.tag.clone());
        checked_tag(tag.as_deref())?;
        let webhook = webhook.unwrap_or(current.webhook_id);
        if let Some(w) = webhook {
            self.app_webhook(app, w).await.map_err(|_| {
                Error::Unknown(Invalid {
                    field: "webhook_id".into(),
                    message: "must be one of the app's webhooks".into(),
                })
            })?;
            self.route_to_webhook(app, w, current.user_id).await?;
        }
        self.store
            .cold()
            .run(vec![Statement::new(
                "UPDATE activity_subscriptions SET tag = ?3, webhook_id = CAST(?4 AS BIGINT),
                     updated_at = ?5
                 WHERE app_id = ?1 AND id = ?2",
                vec![
                    int(app.0),
                    int(id.0),
                    opt_text(tag),
                    opt_int(webhook.map(|w| w.0)),
                    int(self.config.clock.now().timestamp_millis()),
                ],
            )])
            .await?;
        self.activity_subscription(app, id).await
    }

    /// `DELETE /2/activity/subscriptions/:id`.
    pub async fn delete_activity_subscription(&self, app: ObjectId, id: ObjectId) -> Result<()> {
        self.activity_subscription(app, id).await?;
        self.store
            .cold()
            .run(vec![Statement::new(
                "DELETE FROM activity_subscriptions WHERE app_id = ?1 AND id = ?2",
                vec![int(app.0), int(id.0)],
            )])
            .await?;
        Ok(())
    }

    /// The delivery row X Activity events for `webhook` go through, made on first use, and
    /// `user`'s place in it (from now).
    async fn route_to_webhook(&self, app: ObjectId, webhook: ObjectId, user: UserId) -> Result<()> {
        let hook = self.app_webhook(app, webhook).await?;
        let via = self.x_activity_row(app, webhook).await?;
        let via = match via {
            Some(id) => id,
            None => {
                let id = ObjectId(self.ids.next_id());
                let owner = self.app_owner(app).await?;
                self.store
                    .cold()
                    .run(vec![Statement::new(
                        "INSERT INTO webhooks (id, owner_id, app_id, kind, env_name, url, events,
                             active, created_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, '', ?7, ?8)",
                        vec![
                            int(id.0),
                            int(owner.0),
                            int(app.0),
                            text(KIND_X_ACTIVITY),
                            text(webhook.to_string()),
                            text(hook.url.clone()),
                            int(i64::from(hook.valid)),
                            int(self.config.clock.now().timestamp_millis()),
                        ],
                    )])
                    .await?;
                id
            }
        };
        let subscribe = self.subscription_from_now(via, user).await?;
        self.store.cold().run(vec![subscribe]).await?;
        Ok(())
    }

    pub(crate) async fn x_activity_row(
        &self,
        app: ObjectId,
        webhook: ObjectId,
    ) -> Result<Option<ObjectId>> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT id FROM webhooks WHERE app_id = ?1 AND kind = ?2 AND env_name = ?3",
                vec![int(app.0), text(KIND_X_ACTIVITY), text(webhook.to_string())],
            ))
            .await?;
        rows.first().map(|r| r.int(0).map(ObjectId)).transpose()
    }

    /// The envelopes a webhook delivery row of kind `x_activity` sends for `user`'s event:
    /// one per subscription of the app to that webhook that the event matches.
    pub(crate) async fn activity_webhook_bodies(
        &self,
        via: ObjectId,
        user: UserId,
        event: &Replayed,
    ) -> Result<Vec<String>> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT app_id, env_name FROM webhooks WHERE id = ?1",
                vec![int(via.0)],
            ))
            .await?;
        let Some(r) = rows.first() else {
            return Ok(Vec::new());
        };
        let (app, webhook) = (ObjectId(r.int(0)?), r.text(1)?);
        let subscriptions: Vec<ActivitySubscription> = self
            .activity_subscriptions_of(app, user)
            .await?
            .into_iter()
            .filter(|s| s.webhook_id.is_some_and(|w| w.to_string() == webhook))
            .collect();
        let (kind, data) = (event.body.kind.as_str(), event.body.data.as_str());
        self.envelopes(
            &subscriptions,
            user,
            Some(event.position),
            event.at_ms,
            kind,
            data,
        )
        .await
    }

    pub(crate) async fn activity_subscriptions_of(
        &self,
        app: ObjectId,
        user: UserId,
    ) -> Result<Vec<ActivitySubscription>> {
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                format!(
                    "SELECT {COLUMNS} FROM activity_subscriptions
                     WHERE user_id = ?1 AND app_id = ?2 ORDER BY id"
                ),
                vec![int(user.0), int(app.0)],
            ))
            .await?;
        rows.iter().map(subscription).collect()
    }

    /// Each matching subscription's envelope for one of `user`'s events (`position` `None`:
    /// live typing, which has no place in the stream), which happened at `at_ms`.
    pub(crate) async fn envelopes(
        &self,
        subscriptions: &[ActivitySubscription],
        user: UserId,
        position: Option<i64>,
        at_ms: i64,
        kind: &str,
        data: &str,
    ) -> Result<Vec<String>> {
        if subscriptions.is_empty() {
            return Ok(Vec::new());
        }
        let Some(happened) = self.happened(user, at_ms, kind, data).await? else {
            return Ok(Vec::new());
        };
        let uuid = match position {
            Some(p) => event_uuid(user, p, happened.event_type),
            None => self.ids.next_id().to_string(),
        };
        Ok(subscriptions
            .iter()
            .filter(|s| {
                s.event_type == happened.event_type
                    && s.direction
                        .as_deref()
                        .is_none_or(|d| happened.direction == Some(d))
            })
            .map(|s| {
                let mut data = json!({
                    "event_uuid": uuid,
                    "filter": s.filter(),
                    "event_type": happened.event_type,
                    "payload": happened.payload,
                });
                if let (Some(tag), Some(o)) = (&s.tag, data.as_object_mut()) {
                    o.insert("tag".into(), json!(tag));
                }
                json!({"data": data}).to_string()
            })
            .collect())
    }

    /// What a stored (or typing) event of `user`'s is in the X Activity API, if anything. Its
    /// timestamps say `at_ms`, when it happened, however late it goes out (a retry, a replay).
    async fn happened(
        &self,
        user: UserId,
        at_ms: i64,
        kind: &str,
        data: &str,
    ) -> Result<Option<Happened>> {
        let created_timestamp = at_ms.to_string();
        let Some(format) = self.twitter_format.get().cloned() else {
            return Ok(None);
        };
        let users_of = |ids: Vec<UserId>| {
            let format = format.clone();
            async move {
                let mut users = serde_json::Map::new();
                for id in ids {
                    if let Some(u) = self.store.user(id).await? {
                        users.insert(id.to_string(), json!({"data": format.v2_user(&u.user)}));
                    }
                }
                Ok::<Value, Error>(Value::Object(users))
            }
        };
        let happened = match kind {
            "message.created" => {
                let m: Message = serde_json::from_str(data).map_err(Error::internal)?;
                let Some(partner) = m.conversation_id.partner_of(m.sender_id) else {
                    return Ok(None);
                };
                let sent = m.sender_id == user;
                Happened {
                    event_type: if sent { "dm.sent" } else { "dm.received" },
                    direction: Some(if sent { "outbound" } else { "inbound" }),
                    payload: json!({
                        "direct_message_events": [format.v1_event(&m)],
                        "users": users_of(vec![m.sender_id, partner]).await?,
                    }),
                }
            }
            "conversation.read" => {
                #[derive(serde::Deserialize)]
                struct Read {
                    conversation_id: ConversationId,
                    user_id: UserId,
                    last_read_event_id: EventId,
                }
                let read: Read = serde_json::from_str(data).map_err(Error::internal)?;
                // A participant read the person's messages; their own reading is not one.
                let Some(partner) = read.conversation_id.partner_of(read.user_id) else {
                    return Ok(None);
                };
                if read.user_id == user {
                    return Ok(None);
                }
                Happened {
                    event_type: "dm.read",
                    direction: Some("inbound"),
                    payload: json!({
                        "direct_message_mark_read_events": [{
                            "created_timestamp": created_timestamp,
                            "sender_id": read.user_id.to_string(),
                            "target": {"recipient_id": partner.to_string()},
                            "last_read_event_id": read.last_read_event_id.to_string(),
                        }],
                        "users": users_of(vec![read.user_id, partner]).await?,
                    }),
                }
            }
            "typing" => {
                #[derive(serde::Deserialize)]
                struct Typing {
                    conversation_id: ConversationId,
                    user_id: UserId,
                }
                let t: Typing = serde_json::from_str(data).map_err(Error::internal)?;
                if t.conversation_id.partner_of(t.user_id) != Some(user) {
                    return Ok(None);
                }
                Happened {
                    event_type: "dm.indicate_typing",
                    direction: Some("inbound"),
                    payload: json!({
                        "direct_message_indicate_typing_events": [{
                            "created_timestamp": created_timestamp,
                            "sender_id": t.user_id.to_string(),
                            "target": {"recipient_id": user.to_string()},
                        }],
                        "users": users_of(vec![t.user_id, user]).await?,
                    }),
                }
            }
            "relationship.changed" => {
                let c: RelationshipChange = serde_json::from_str(data).map_err(Error::internal)?;
                let (Some(source), Some(target)) = (
                    self.store.user(c.source_id).await?,
                    self.store.user(c.target_id).await?,
                ) else {
                    return Ok(None);
                };
                Happened {
                    event_type: match c.action {
                        RelationshipAction::Follow => "follow.follow",
                        RelationshipAction::Unfollow => "follow.unfollow",
                        RelationshipAction::Block => "block.block",
                        RelationshipAction::Unblock => "block.unblock",
                        RelationshipAction::Mute => "mute.mute",
                        RelationshipAction::Unmute => "mute.unmute",
                    },
                    direction: None,
                    payload: json!({
                        "source": {"data": format.v2_user(&source.user)},
                        "target": {"data": format.v2_user(&target.user)},
                    }),
                }
            }
            "post.mentioned" => {
                let p: Post = serde_json::from_str(data).map_err(Error::internal)?;
                let mentioned = p.entities.mentions.iter().any(|m| m.user_id == Some(user));
                Happened {
                    event_type: if mentioned {
                        "post.mention.create"
                    } else {
                        "post.reply.create"
                    },
                    direction: None,
                    payload: format.v2_post(&p),
                }
            }
            _ => return Ok(None),
        };
        Ok(Some(happened))
    }
}
