//! Replaying a webhook's events of a time range (issue 18): each event its subscriptions'
//! streams stored in `[from, to)` (since each subscribed), delivered again once, in order, with its original id (so a
//! receiver that has it already can tell), the attempts in the delivery log. A replay runs in
//! the background on the node that was asked; its state says how it ended: `complete`, or
//! `incomplete` when a receiver refused some (replay the range again). One runs per webhook at
//! a time. The live deliveries carry on meanwhile; a replay never moves their place.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use postern_core::error::Thing;
use postern_core::{Error, Invalid, ObjectId, Result, UserId};
use postern_store::cold::{ColdRow, Statement, int, text};
use serde::Serialize;
use utoipa::ToSchema;

use crate::Services;
use crate::account_activity::KIND_ACCOUNT_ACTIVITY;
use crate::activity::KIND_X_ACTIVITY;

/// How far back a replay may reach.
pub const REPLAY_REACH: chrono::Duration = chrono::Duration::days(7);
/// Events read from a stream at a time while replaying.
const BATCH: usize = 100;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Replay {
    pub id: ObjectId,
    pub webhook_id: ObjectId,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// `running`, `complete` or `incomplete` (some deliveries were refused: replay again).
    pub state: String,
    pub delivered: i64,
    pub failed: i64,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
}

fn time(ms: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| Error::internal("a stored time out of range"))
}

fn replay(r: &ColdRow) -> Result<Replay> {
    Ok(Replay {
        id: ObjectId(r.int(0)?),
        webhook_id: ObjectId(r.int(1)?),
        from: time(r.int(2)?)?,
        to: time(r.int(3)?)?,
        state: r.text(4)?,
        delivered: r.int(5)?,
        failed: r.int(6)?,
        created_at: time(r.int(7)?)?,
        finished_at: r.opt_int(8)?.map(time).transpose()?,
    })
}

const COLUMNS: &str =
    "id, webhook_id, from_at, to_at, state, delivered, failed, created_at, finished_at";

impl Services {
    /// `POST /webhooks/{id}/replay`: the owner's native webhook gets `[from, to)` again.
    pub async fn replay_webhook(
        self: &Arc<Self>,
        owner: UserId,
        id: ObjectId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Replay> {
        self.webhook(owner, id).await?;
        self.start_replay(id, from, to).await
    }

    /// `GET /webhooks/{id}/replays/{replay}`.
    pub async fn webhook_replay(
        &self,
        owner: UserId,
        id: ObjectId,
        replay_id: ObjectId,
    ) -> Result<Replay> {
        self.webhook(owner, id).await?;
        self.replay_state(replay_id)
            .await?
            .filter(|r| r.webhook_id == id)
            .ok_or(Error::NotFound(Thing::Webhook))
    }

    pub(crate) async fn replay_state(&self, id: ObjectId) -> Result<Option<Replay>> {
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                format!("SELECT {COLUMNS} FROM webhook_replays WHERE id = ?1"),
                vec![int(id.0)],
            ))
            .await?;
        rows.first().map(replay).transpose()
    }

    /// Checks the range, records the replay and starts it in the background.
    pub(crate) async fn start_replay(
        self: &Arc<Self>,
        webhook: ObjectId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Replay> {
        let now = self.config.clock.now();
        // "Until now", as a person picks it in whole seconds or minutes, may be a moment ahead.
        let to = if to > now && to <= now + chrono::Duration::minutes(1) {
            now
        } else {
            to
        };
        if from >= to {
            return Err(Error::invalid("to", "must be after from"));
        }
        if to > now {
            return Err(Error::invalid("to", "must not be in the future"));
        }
        if from < now - REPLAY_REACH {
            return Err(Error::invalid(
                "from",
                format!("must be within the last {} days", REPLAY_REACH.num_days()),
            ));
        }
        let running = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT id FROM webhook_replays WHERE webhook_id = ?1 AND state = 'running' LIMIT 1",
                vec![int(webhook.0)],
            ))
            .await?;
        if !running.is_empty() {
            return Err(Error::State(Invalid {
                field: "webhook_id".into(),
                message: "a replay of this webhook is running: wait for it to end".into(),
            }));
        }
        let id = ObjectId(self.ids.next_id());
        self.store
            .cold()
            .run(vec![Statement::new(
                "INSERT INTO webhook_replays (id, webhook_id, from_at, to_at, state, delivered,
                     failed, created_at)
                 VALUES (?1, ?2, ?3, ?4, 'running', 0, 0, ?5)",
                vec![
                    int(id.0),
                    int(webhook.0),
                    int(from.timestamp_millis()),
                    int(to.timestamp_millis()),
                    int(now.timestamp_millis()),
                ],
            )])
            .await?;
        let services = self.clone();
        tokio::spawn(async move {
            if let Err(e) = services.run_replay(id, webhook, from, to).await {
                tracing::warn!(error = %e, replay = %id, "a webhook replay failed");
                let _ = services.finish_replay(id, 0, 1).await;
            }
        });
        self.replay_state(id)
            .await?
            .ok_or(Error::NotFound(Thing::Webhook))
    }

    async fn run_replay(
        &self,
        id: ObjectId,
        webhook: ObjectId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<()> {
        // The webhook's subscriptions, and those of the row its X Activity events go through.
        let subscribers = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT s.webhook_id, s.user_id, s.created_at FROM webhook_subscriptions s
                 JOIN webhooks w ON w.id = s.webhook_id
                 WHERE w.id = ?1 OR (w.kind = ?2 AND w.env_name = ?3)
                 ORDER BY s.webhook_id, s.user_id",
                vec![
                    int(webhook.0),
                    text(KIND_X_ACTIVITY),
                    text(webhook.to_string()),
                ],
            ))
            .await?;
        let (mut delivered, mut failed) = (0, 0);
        for row in &subscribers {
            let (hook, user) = (ObjectId(row.int(0)?), UserId(row.int(1)?));
            // Only what was (or would have been) delivered: nothing from before it subscribed.
            let since = from.max(time(row.int(2)?)?);
            let Some((first, last)) = self.positions_between(user, since, to).await? else {
                continue;
            };
            let target = self.delivery_target(hook, user).await?;
            let mut after = first - 1;
            'stream: loop {
                let events = self.store.stream_since(user, after, BATCH).await?;
                if events.is_empty() {
                    break;
                }
                for event in &events {
                    if event.position > last {
                        break 'stream;
                    }
                    after = event.position;
                    let kind = event.body.kind.as_str();
                    let bodies = self.delivery_body(&target, event).await?;
                    for body in &bodies {
                        let outcome = self.deliver(&target, event.position, kind, body, 1).await?;
                        if outcome.status.is_some_and(|s| (200..300).contains(&s)) {
                            delivered += 1;
                        } else {
                            failed += 1;
                        }
                    }
                }
            }
        }
        self.finish_replay(id, delivered, failed).await?;
        if self.is_activity_webhook(webhook).await? {
            self.announce_replay(webhook, id, failed == 0).await?;
        }
        Ok(())
    }

    async fn finish_replay(&self, id: ObjectId, delivered: i64, failed: i64) -> Result<()> {
        let state = if failed == 0 {
            "complete"
        } else {
            "incomplete"
        };
        self.store
            .cold()
            .run(vec![Statement::new(
                "UPDATE webhook_replays SET state = ?2, delivered = ?3, failed = ?4, finished_at = ?5
                 WHERE id = ?1",
                vec![
                    int(id.0),
                    text(state),
                    int(delivered),
                    int(failed),
                    int(self.config.clock.now().timestamp_millis()),
                ],
            )])
            .await?;
        Ok(())
    }

    /// The first and last of `user`'s stream positions stored in `[from, to)`, if any. A
    /// cold read: it walks the user's stream (by its key) and each event's time.
    async fn positions_between(
        &self,
        user: UserId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Option<(i64, i64)>> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT min(s.position), max(s.position) FROM user_stream s
                 JOIN stream_events e ON e.id = s.stream_event_id
                 WHERE s.user_id = ?1 AND e.created_at >= ?2 AND e.created_at < ?3",
                vec![
                    int(user.0),
                    int(from.timestamp_millis()),
                    int(to.timestamp_millis()),
                ],
            ))
            .await?;
        let Some(r) = rows.first() else {
            return Ok(None);
        };
        Ok(r.opt_int(0)?.zip(r.opt_int(1)?))
    }

    async fn is_activity_webhook(&self, webhook: ObjectId) -> Result<bool> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT kind FROM webhooks WHERE id = ?1",
                vec![int(webhook.0)],
            ))
            .await?;
        Ok(rows
            .first()
            .map(|r| r.text(0))
            .transpose()?
            .is_some_and(|k| k == KIND_ACCOUNT_ACTIVITY))
    }

    /// Twitter's end of a replay, POSTed to the webhook: `replay_job_status`.
    async fn announce_replay(
        &self,
        webhook: ObjectId,
        job: ObjectId,
        complete: bool,
    ) -> Result<()> {
        let (state, description) = if complete {
            ("Complete", "Job completed successfully")
        } else {
            (
                "Incomplete",
                "Job failed to deliver all events, please retry your replay job",
            )
        };
        let body = serde_json::json!({"replay_job_status": {
            "webhook_id": webhook.to_string(),
            "job_state": state,
            "job_state_description": description,
            "job_id": job.to_string(),
        }})
        .to_string();
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT url FROM webhooks WHERE id = ?1",
                vec![int(webhook.0)],
            ))
            .await?;
        let Some(url) = rows.first().map(|r| r.text(0)).transpose()? else {
            return Ok(());
        };
        let outbound = self.outbound.as_ref().map_err(Error::internal)?;
        let mut headers = postern_outbound::HeaderMap::new();
        if let Ok(v) =
            postern_outbound::HeaderValue::from_str(&self.activity_signature(webhook, &body).await?)
        {
            headers.insert(
                postern_outbound::HeaderName::from_static("x-twitter-webhooks-signature"),
                v,
            );
        }
        let _ = outbound
            .post_json(&url, headers, postern_outbound::Bytes::from(body))
            .await;
        Ok(())
    }
}
