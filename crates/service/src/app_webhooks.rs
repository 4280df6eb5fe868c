//! An app's webhooks by id (issue 18): X's v2 webhooks (`/2/webhooks`, no environment) and
//! Account Activity subscriptions to a webhook, which both the v1.1 paths (by environment)
//! and the v2 paths (by webhook id) reach. A webhook answers the CRC with the app's consumer
//! secret before it is made, on demand and again each day, and delivers only while valid.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use postern_core::error::Thing;
use postern_core::{Error, Invalid, ObjectId, Result, UserId};
use postern_store::cold::{Statement, int, text};

use crate::Services;
use crate::account_activity::{ActivityWebhook, KIND_ACCOUNT_ACTIVITY};
use crate::webhook_replay::Replay;

/// v2 webhooks one app may have.
pub const APP_WEBHOOKS_MAX: usize = 5;

impl Services {
    /// `POST /2/webhooks`: a webhook of the app, made once its URL answers the CRC.
    pub async fn create_app_webhook(&self, app: ObjectId, url: &str) -> Result<ActivityWebhook> {
        if self.app_webhooks(app).await?.len() >= APP_WEBHOOKS_MAX {
            return Err(Error::State(Invalid {
                field: "url".into(),
                message: format!(
                    "an app has at most {APP_WEBHOOKS_MAX} webhooks: delete one first"
                ),
            }));
        }
        if self.app_webhooks(app).await?.iter().any(|w| w.url == url) {
            return Err(Error::WebhookRefused(Invalid {
                field: "url".into(),
                message: "DuplicateUrlFailed: the app has a webhook at this URL".into(),
            }));
        }
        let owner = self.app_owner(app).await?;
        self.register_checked(app, owner, None, url).await
    }

    /// The app's name (what X's subscription count calls `account_name`).
    pub async fn app_name(&self, app: ObjectId) -> Result<String> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT name FROM apps WHERE id = ?1",
                vec![int(app.0)],
            ))
            .await?;
        rows.first()
            .map(|r| r.text(0))
            .transpose()?
            .ok_or(Error::NotFound(Thing::App))
    }

    /// The owner of `app`, who a webhook it makes on its own belongs to.
    pub(crate) async fn app_owner(&self, app: ObjectId) -> Result<UserId> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT owner_id FROM apps WHERE id = ?1",
                vec![int(app.0)],
            ))
            .await?;
        rows.first()
            .map(|r| r.int(0).map(UserId))
            .transpose()?
            .ok_or(Error::NotFound(Thing::App))
    }

    /// Checks the URL (where it resolves, then the CRC) and records the webhook.
    pub(crate) async fn register_checked(
        &self,
        app: ObjectId,
        owner: UserId,
        env: Option<&str>,
        url: &str,
    ) -> Result<ActivityWebhook> {
        if url.chars().count() > crate::webhooks::URL_MAX {
            return Err(Error::invalid("url", "must be at most 2048 characters"));
        }
        let outbound = self.outbound.as_ref().map_err(Error::internal)?;
        outbound.check(url).await.map_err(|f| {
            Error::WebhookRefused(Invalid {
                field: "url".into(),
                message: f.to_string(),
            })
        })?;
        self.challenge(app, url).await?;
        let id = ObjectId(self.ids.next_id());
        self.store
            .cold()
            .run(vec![Statement::new(
                "INSERT INTO webhooks (id, owner_id, app_id, kind, env_name, url, events, active,
                     created_at, validated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, '', 1, ?7, ?7)",
                vec![
                    int(id.0),
                    int(owner.0),
                    int(app.0),
                    text(KIND_ACCOUNT_ACTIVITY),
                    postern_store::cold::opt_text(env),
                    text(url),
                    int(self.config.clock.now().timestamp_millis()),
                ],
            )])
            .await?;
        self.app_webhook(app, id).await
    }

    /// `GET /2/webhooks`: the app's v2 webhooks, oldest first.
    pub async fn app_webhooks(&self, app: ObjectId) -> Result<Vec<ActivityWebhook>> {
        self.webhooks_of_app(app, "AND env_name IS NULL").await
    }

    /// The app's Twitter-compatible webhooks, oldest first, those `narrowed` keeps.
    async fn webhooks_of_app(&self, app: ObjectId, narrowed: &str) -> Result<Vec<ActivityWebhook>> {
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                format!(
                    "SELECT id, url, active, created_at FROM webhooks
                     WHERE app_id = ?1 AND kind = ?2 {narrowed} ORDER BY id"
                ),
                vec![int(app.0), text(KIND_ACCOUNT_ACTIVITY)],
            ))
            .await?;
        rows.iter()
            .map(crate::account_activity::activity_webhook)
            .collect()
    }

    /// `GET /api/v1/apps/{id}/webhooks`: the app's Twitter-compatible webhooks (v1.1's, by
    /// environment, and v2's), oldest first, as its owner sees them.
    pub async fn owned_app_webhooks(
        &self,
        owner: UserId,
        app: ObjectId,
    ) -> Result<Vec<ActivityWebhook>> {
        self.app(owner, app).await?;
        self.webhooks_of_app(app, "").await
    }

    /// `GET /api/v1/apps/{id}/webhooks/{webhook_id}/deliveries`: the webhook's log, the
    /// latest POSTs first, with those of the X Activity API's events it carries.
    pub async fn app_webhook_deliveries(
        &self,
        owner: UserId,
        app: ObjectId,
        id: ObjectId,
        limit: usize,
    ) -> Result<Vec<crate::webhooks::Delivery>> {
        self.app(owner, app).await?;
        self.app_webhook(app, id).await?;
        let mut ids = vec![id];
        ids.extend(self.x_activity_row(app, id).await?);
        self.deliveries_of(&ids, limit).await
    }

    /// One of the app's webhooks (v2 or v1.1), by id.
    pub async fn app_webhook(&self, app: ObjectId, id: ObjectId) -> Result<ActivityWebhook> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT id, url, active, created_at FROM webhooks
                 WHERE app_id = ?1 AND id = ?2 AND kind = ?3",
                vec![int(app.0), int(id.0), text(KIND_ACCOUNT_ACTIVITY)],
            ))
            .await?;
        rows.first()
            .map(crate::account_activity::activity_webhook)
            .transpose()?
            .ok_or(Error::NotFound(Thing::Webhook))
    }

    /// The CRC now: answered, the webhook is valid and delivers again (its failures
    /// forgotten); not answered, it is invalid and the refusal says why.
    pub async fn validate_app_webhook(&self, app: ObjectId, id: ObjectId) -> Result<()> {
        let hook = self.app_webhook(app, id).await?;
        let answered = self.challenge(app, &hook.url).await;
        let now = self.config.clock.now().timestamp_millis();
        // X Activity deliveries to it go through a row of their own, valid as it is.
        let via = self.x_activity_row(app, id).await?;
        // Subscriptions before webhooks, the order a delivery writes them in: the other
        // order deadlocks against a delivery on PostgreSQL.
        let hooks: Vec<ObjectId> = std::iter::once(id).chain(via).collect();
        let mut statements = Vec::new();
        if answered.is_ok() {
            for hook in &hooks {
                statements.push(Statement::new(
                    "UPDATE webhook_subscriptions SET failures = 0, failing_since = NULL,
                         next_attempt_at = ?2
                     WHERE webhook_id = ?1",
                    vec![int(hook.0), int(now)],
                ));
            }
        }
        for hook in &hooks {
            statements.push(Statement::new(
                "UPDATE webhooks SET active = ?2, crc_checked_at = ?3,
                     validated_at = CASE WHEN ?2 = 1 THEN ?3 ELSE validated_at END
                 WHERE id = ?1",
                vec![int(hook.0), int(i64::from(answered.is_ok())), int(now)],
            ));
        }
        self.store.cold().run(statements).await?;
        if answered.is_ok() {
            // What waited while it was off goes out now, not at the next full look.
            self.webhook_wake.ring_all();
        }
        answered
    }

    /// The webhook, its subscriptions and its log; X Activity subscriptions that named it
    /// stay, on the stream only.
    pub async fn delete_app_webhook(&self, app: ObjectId, id: ObjectId) -> Result<()> {
        self.app_webhook(app, id).await?;
        let via = self.x_activity_row(app, id).await?;
        let mut statements = vec![Statement::new(
            "UPDATE activity_subscriptions SET webhook_id = NULL WHERE app_id = ?1 AND webhook_id = ?2",
            vec![int(app.0), int(id.0)],
        )];
        for hook in std::iter::once(id).chain(via) {
            statements.extend([
                Statement::new(
                    "DELETE FROM webhook_deliveries WHERE webhook_id = ?1",
                    vec![int(hook.0)],
                ),
                Statement::new(
                    "DELETE FROM webhook_subscriptions WHERE webhook_id = ?1",
                    vec![int(hook.0)],
                ),
                Statement::new("DELETE FROM webhooks WHERE id = ?1", vec![int(hook.0)]),
            ]);
        }
        self.store.cold().run(statements).await?;
        Ok(())
    }

    /// `user`'s activity from now on goes to the webhook. Subscribing again changes nothing.
    pub async fn subscribe_to_webhook(
        &self,
        app: ObjectId,
        webhook: ObjectId,
        user: UserId,
    ) -> Result<()> {
        self.app_webhook(app, webhook).await?;
        let max = self.config.webhook_subscriptions_max;
        if self.webhook_subscribers(app, webhook).await?.len() >= max {
            return Err(Error::State(Invalid {
                field: "webhook_id".into(),
                message: format!("a webhook has at most {max} subscriptions"),
            }));
        }
        let subscribe = self.subscription_from_now(webhook, user).await?;
        self.store.cold().run(vec![subscribe]).await?;
        Ok(())
    }

    /// Whether `user` is subscribed to the webhook.
    pub async fn webhook_has_subscriber(
        &self,
        app: ObjectId,
        webhook: ObjectId,
        user: UserId,
    ) -> Result<bool> {
        self.app_webhook(app, webhook).await?;
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT 1 FROM webhook_subscriptions WHERE webhook_id = ?1 AND user_id = ?2",
                vec![int(webhook.0), int(user.0)],
            ))
            .await?;
        Ok(!rows.is_empty())
    }

    /// Ends `user`'s subscription; not subscribed: not found.
    pub async fn unsubscribe_from_webhook(
        &self,
        app: ObjectId,
        webhook: ObjectId,
        user: UserId,
    ) -> Result<()> {
        self.app_webhook(app, webhook).await?;
        let rows = self
            .store
            .cold()
            .run(vec![Statement::new(
                "DELETE FROM webhook_subscriptions WHERE webhook_id = ?1 AND user_id = ?2
                 RETURNING user_id",
                vec![int(webhook.0), int(user.0)],
            )])
            .await?;
        if rows.first().is_none_or(Vec::is_empty) {
            return Err(Error::NotFound(Thing::Webhook));
        }
        Ok(())
    }

    /// Who is subscribed to the webhook.
    pub async fn webhook_subscribers(
        &self,
        app: ObjectId,
        webhook: ObjectId,
    ) -> Result<Vec<UserId>> {
        self.app_webhook(app, webhook).await?;
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT user_id FROM webhook_subscriptions WHERE webhook_id = ?1 ORDER BY user_id",
                vec![int(webhook.0)],
            ))
            .await?;
        rows.iter().map(|r| r.int(0).map(UserId)).collect()
    }

    /// `POST /2/webhooks/replay`: the app's webhook gets `[from, to)` again; its end is
    /// announced to it as Twitter's `replay_job_status`.
    pub async fn replay_app_webhook(
        self: &Arc<Self>,
        app: ObjectId,
        webhook: ObjectId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Replay> {
        self.app_webhook(app, webhook).await?;
        self.start_replay(webhook, from, to).await
    }
}

/// How long a webhook's answer to the CRC lasts before it is asked again (X: a day).
const CRC_VALID_FOR: chrono::Duration = chrono::Duration::hours(24);
/// How often one that has not answered since is asked (X: every 30 minutes).
const CRC_ASKED_EVERY: chrono::Duration = chrono::Duration::minutes(30);
/// How long without an answer before it goes invalid (X: 24 hours and 4 of grace).
const CRC_GRACE: chrono::Duration = chrono::Duration::hours(28);
/// Webhooks asked per look.
const CRC_PER_LOOK: i64 = 8;

impl Services {
    /// Asks the CRC again of each valid Twitter-compatible webhook that last answered a day
    /// ago (each at most every 30 minutes): answered, it stays valid; answered wrongly (or
    /// redirected), it goes invalid at once; not answered for 28 hours, it goes invalid. An
    /// invalid webhook delivers nothing until its owner re-checks it (PUT), as on X.
    pub(crate) async fn recheck_stale_webhooks(&self) -> Result<usize> {
        let now = self.config.clock.now();
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT id, app_id, url, COALESCE(validated_at, created_at) FROM webhooks
                 WHERE kind = ?1 AND active = 1
                   AND COALESCE(validated_at, created_at) < ?2
                   AND (crc_checked_at IS NULL OR crc_checked_at < ?3)
                 ORDER BY id LIMIT ?4",
                vec![
                    text(KIND_ACCOUNT_ACTIVITY),
                    int((now - CRC_VALID_FOR).timestamp_millis()),
                    int((now - CRC_ASKED_EVERY).timestamp_millis()),
                    int(CRC_PER_LOOK),
                ],
            ))
            .await?;
        for r in &rows {
            let (id, app, url) = (ObjectId(r.int(0)?), ObjectId(r.int(1)?), r.text(2)?);
            let last_answer = r.int(3)?;
            let outcome = self.crc(app, &url).await?;
            let valid = match &outcome {
                crate::account_activity::Crc::Answered => true,
                crate::account_activity::Crc::Wrong(why) => {
                    tracing::info!(webhook = %id, why, "a webhook answered the CRC wrongly: invalid");
                    false
                }
                crate::account_activity::Crc::Unreachable(why) => {
                    let silent_too_long = last_answer < (now - CRC_GRACE).timestamp_millis();
                    if silent_too_long {
                        tracing::info!(webhook = %id, why, "a webhook has not answered the CRC for 28 hours: invalid");
                    }
                    !silent_too_long
                }
            };
            let answered = outcome == crate::account_activity::Crc::Answered;
            let via = self.x_activity_row(app, id).await?;
            let statements = std::iter::once(id)
                .chain(via)
                .map(|hook| {
                    Statement::new(
                        "UPDATE webhooks SET active = ?2, crc_checked_at = ?3,
                             validated_at = CASE WHEN ?4 = 1 THEN ?3 ELSE validated_at END
                         WHERE id = ?1",
                        vec![
                            int(hook.0),
                            int(i64::from(valid)),
                            int(now.timestamp_millis()),
                            int(i64::from(answered)),
                        ],
                    )
                })
                .collect();
            self.store.cold().run(statements).await?;
        }
        Ok(rows.len())
    }
}
