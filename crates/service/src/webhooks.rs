//! Native webhooks (issue 18): an account's events POSTed to a URL of its choosing, signed,
//! in the order its stream stored them ([`crate::webhook_delivery`] delivers them).
//!
//! A webhook starts at its owner's current stream position: it receives what happens after
//! it was made. Its URL must reach a public address (or one the operator allows,
//! `outbound.allow`), checked when it is made or changed and again at every call. Its secret
//! signs every delivery: `Postern-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
//! "<t>.<body>">`, so a receiver can refuse a replayed delivery by its age.

use chrono::{DateTime, Utc};
use postern_core::error::Thing;
use postern_core::{Error, ObjectId, Result, UserId};
use postern_store::cold::{ColdRow, Statement, int, opt_int, opt_text, text};

use crate::Services;
use crate::apps::random;

/// A webhook the account made itself (the native API's).
pub(crate) const KIND_NATIVE: &str = "native";

/// Webhooks one account may have.
pub const WEBHOOKS_MAX: usize = 10;
/// A webhook's URL, at most.
pub const URL_MAX: usize = 2048;
/// The stored events a webhook may ask for. Typing is published without being stored, so no
/// webhook can be sure to have it.
pub const EVENTS: [&str; 15] = [
    "message.created",
    "message.edited",
    "message.deleted",
    "reaction.added",
    "reaction.removed",
    "conversation.read",
    "conversation.created",
    "conversation.updated",
    "conversation.deleted",
    "participants.joined",
    "participants.left",
    "request.accepted",
    "relationship.changed",
    "post.mentioned",
    "control_changed",
];

/// A webhook as its owner sees it (no secret).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Webhook {
    pub id: ObjectId,
    pub url: String,
    /// The events delivered; empty: every one.
    pub events: Vec<String>,
    /// Whether it is delivering (a webhook failing for a day is turned off).
    pub active: bool,
    /// Deliveries that failed in a row since the last that succeeded.
    pub failures: i64,
    pub created_at: DateTime<Utc>,
}

/// One attempt to deliver, as the owner's log shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Delivery {
    pub id: ObjectId,
    /// The event's id, the same on every attempt (`Postern-Event-Id`).
    pub event_id: String,
    /// The event's type (`ping` for a test).
    pub event: String,
    /// How many events the POST carried, from `event_id` on in the stream: several for an
    /// Account Activity POST with a backlog (its arrays), otherwise 1.
    pub events: i64,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<i64>,
    /// Why it failed, if it did.
    pub error: Option<String>,
    pub latency_ms: i64,
    /// 1 for the first try.
    pub attempt: i64,
    pub at: DateTime<Utc>,
}

/// What a webhook is made or changed with.
#[derive(Debug, Clone, Default)]
pub struct WebhookChange {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub active: Option<bool>,
}

/// The id a delivery of `position` in `owner`'s stream carries, on every attempt.
pub fn event_id(owner: UserId, position: i64) -> String {
    format!("{}-{position}", owner.0)
}

fn checked_events(events: Vec<String>) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for e in events {
        if !EVENTS.contains(&e.as_str()) {
            return Err(Error::invalid(
                "events",
                format!("'{e}' is not an event; known: {}", EVENTS.join(", ")),
            ));
        }
        if !out.contains(&e) {
            out.push(e);
        }
    }
    Ok(out)
}

impl Services {
    /// Checks a webhook URL: its length, its scheme, and where it resolves now.
    async fn checked_webhook_url(&self, url: &str) -> Result<String> {
        if url.chars().count() > URL_MAX {
            return Err(Error::invalid(
                "url",
                format!("must be at most {URL_MAX} characters"),
            ));
        }
        let outbound = self.outbound.as_ref().map_err(Error::internal)?;
        outbound
            .check(url)
            .await
            .map_err(|failure| Error::invalid("url", failure.to_string()))?;
        Ok(url.to_owned())
    }

    /// `POST /webhooks`: a webhook for `owner`'s events from now on, and its secret (shown
    /// this once).
    pub async fn create_webhook(
        &self,
        owner: UserId,
        url: &str,
        events: Vec<String>,
    ) -> Result<(Webhook, String)> {
        let url = self.checked_webhook_url(url).await?;
        let events = checked_events(events)?;
        if self.webhooks(owner).await?.len() >= WEBHOOKS_MAX {
            return Err(Error::State(postern_core::Invalid {
                field: "url".into(),
                message: format!(
                    "an account has at most {WEBHOOKS_MAX} webhooks: delete one first"
                ),
            }));
        }
        let secret = random("whsec_", 32);
        let sealed = self.sealer().await?.seal(&secret)?;
        let id = ObjectId(self.ids.next_id());
        let now = self.config.clock.now().timestamp_millis();
        // A native webhook receives its owner's events, from now on.
        let subscribe = self.subscription_from_now(id, owner).await?;
        self.store
            .cold()
            .run(vec![
                Statement::new(
                    "INSERT INTO webhooks (id, owner_id, kind, url, events, secret, active,
                         created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7)",
                    vec![
                        int(id.0),
                        int(owner.0),
                        text(KIND_NATIVE),
                        text(url),
                        text(events.join(" ")),
                        text(sealed),
                        int(now),
                    ],
                ),
                subscribe,
            ])
            .await?;
        Ok((self.webhook(owner, id).await?, secret))
    }

    /// `GET /webhooks`: the owner's webhooks, oldest first.
    pub async fn webhooks(&self, owner: UserId) -> Result<Vec<Webhook>> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT w.id, w.url, w.events, w.active, COALESCE(s.failures, 0), w.created_at
                 FROM webhooks w LEFT JOIN webhook_subscriptions s
                     ON s.webhook_id = w.id AND s.user_id = w.owner_id
                 WHERE w.owner_id = ?1 AND w.kind = ?2 ORDER BY w.id",
                vec![int(owner.0), text(KIND_NATIVE)],
            ))
            .await?;
        rows.iter().map(webhook).collect()
    }

    /// One of the owner's webhooks; anyone else's is not found.
    pub async fn webhook(&self, owner: UserId, id: ObjectId) -> Result<Webhook> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT w.id, w.url, w.events, w.active, COALESCE(s.failures, 0), w.created_at
                 FROM webhooks w LEFT JOIN webhook_subscriptions s
                     ON s.webhook_id = w.id AND s.user_id = w.owner_id
                 WHERE w.id = ?1 AND w.owner_id = ?2 AND w.kind = ?3",
                vec![int(id.0), int(owner.0), text(KIND_NATIVE)],
            ))
            .await?;
        rows.first()
            .map(webhook)
            .ok_or(Error::NotFound(Thing::Webhook))?
    }

    /// `PATCH /webhooks/{id}`: a new URL or events, or turned on or off. Turned back on, it
    /// starts again where it stopped, with nothing failed.
    pub async fn update_webhook(
        &self,
        owner: UserId,
        id: ObjectId,
        change: WebhookChange,
    ) -> Result<Webhook> {
        self.webhook(owner, id).await?;
        let url = match change.url {
            Some(url) => Some(self.checked_webhook_url(&url).await?),
            None => None,
        };
        let events = change.events.map(checked_events).transpose()?;
        let reactivated = change.active == Some(true);
        let mut statements = vec![Statement::new(
            "UPDATE webhooks SET url = COALESCE(CAST(?3 AS TEXT), url),
                 events = COALESCE(CAST(?4 AS TEXT), events),
                 active = COALESCE(CAST(?5 AS BIGINT), active)
             WHERE id = ?1 AND owner_id = ?2",
            vec![
                int(id.0),
                int(owner.0),
                opt_text(url),
                opt_text(events.map(|e| e.join(" "))),
                opt_int(change.active.map(i64::from)),
            ],
        )];
        if reactivated {
            // On again: it starts again where it stopped, with nothing failed.
            statements.push(Statement::new(
                "UPDATE webhook_subscriptions SET failures = 0, failing_since = NULL,
                     next_attempt_at = ?2
                 WHERE webhook_id = ?1",
                vec![int(id.0), int(self.config.clock.now().timestamp_millis())],
            ));
        }
        self.store.cold().run(statements).await?;
        if reactivated {
            // What waited while it was off goes out now, not at the next full look.
            self.webhook_wake.ring_all();
        }
        self.webhook(owner, id).await
    }

    /// `DELETE /webhooks/{id}`: no more deliveries, and its log goes too.
    pub async fn delete_webhook(&self, owner: UserId, id: ObjectId) -> Result<()> {
        self.webhook(owner, id).await?;
        self.store
            .cold()
            .run(vec![
                Statement::new(
                    "DELETE FROM webhook_deliveries WHERE webhook_id = ?1",
                    vec![int(id.0)],
                ),
                Statement::new(
                    "DELETE FROM webhook_subscriptions WHERE webhook_id = ?1",
                    vec![int(id.0)],
                ),
                Statement::new(
                    "DELETE FROM webhooks WHERE id = ?1 AND owner_id = ?2",
                    vec![int(id.0), int(owner.0)],
                ),
            ])
            .await?;
        Ok(())
    }

    /// `GET /webhooks/{id}/deliveries`: the latest attempts first, at most `limit`.
    pub async fn webhook_deliveries(
        &self,
        owner: UserId,
        id: ObjectId,
        limit: usize,
    ) -> Result<Vec<Delivery>> {
        self.webhook(owner, id).await?;
        self.deliveries_of(&[id], limit).await
    }

    /// The log of the webhooks `ids` (one webhook's rows: X Activity logs beside it), the
    /// latest attempts first, at most `limit`.
    pub(crate) async fn deliveries_of(
        &self,
        ids: &[ObjectId],
        limit: usize,
    ) -> Result<Vec<Delivery>> {
        let among = (1..=ids.len())
            .map(|n| format!("?{}", n + 1))
            .collect::<Vec<_>>()
            .join(", ");
        let mut params = vec![int(i64::try_from(limit).unwrap_or(i64::MAX))];
        params.extend(ids.iter().map(|id| int(id.0)));
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                format!(
                    "SELECT id, position, kind, status, error, latency_ms, attempt, at, user_id,
                         events
                     FROM webhook_deliveries WHERE webhook_id IN ({among})
                     ORDER BY id DESC LIMIT ?1"
                ),
                params,
            ))
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Delivery {
                    id: ObjectId(r.int(0)?),
                    event_id: event_id(UserId(r.int(8)?), r.int(1)?),
                    event: r.text(2)?,
                    events: r.int(9)?,
                    status: r.opt_int(3)?,
                    error: r.opt_text(4)?,
                    latency_ms: r.int(5)?,
                    attempt: r.int(6)?,
                    at: millis(r.int(7)?)?,
                })
            })
            .collect()
    }

    /// `POST /webhooks/{id}/ping`: delivers a `ping` event now, whatever the webhook's
    /// state, and answers how it went (as its log will show it).
    pub async fn ping_webhook(&self, owner: UserId, id: ObjectId) -> Result<Delivery> {
        self.webhook(owner, id).await?;
        let target = self.delivery_target(id, owner).await?;
        let body = serde_json::json!({
            "id": event_id(owner, 0),
            "type": "ping",
            "created_at": Utc::now(),
            "data": {"webhook_id": id.to_string()},
        });
        let outcome = self
            .deliver(&target, 0, "ping", &body.to_string(), 1)
            .await?;
        Ok(outcome)
    }
}

fn millis(ms: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| Error::internal("a stored time out of range"))
}

fn webhook(r: &ColdRow) -> Result<Webhook> {
    Ok(Webhook {
        id: ObjectId(r.int(0)?),
        url: r.text(1)?,
        events: r
            .text(2)?
            .split(' ')
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .collect(),
        active: r.int(3)? != 0,
        failures: r.int(4)?,
        created_at: millis(r.int(5)?)?,
    })
}
