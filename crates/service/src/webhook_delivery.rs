//! Delivering webhooks (issue 18): each webhook's events, in its owner's stream order, one
//! at a time, by one node at a time.
//!
//! Every node runs [`Services::spawn_webhook_delivery`]. Each tick it leases the webhooks that
//! are due (an `UPDATE … RETURNING` that only one node's can win), reads each one's stream
//! after its position, POSTs the events it asked for and moves its position past each one
//! delivered (and each one it did not ask for). A refused or failed delivery stops the
//! webhook there and tries the same event again later (1 s, 5 s, 30 s, 2 min, 10 min, 30
//! min, then hourly), with the same event id; after a day of failures the webhook is turned
//! off. A node that stops mid-delivery loses nothing: its lease ends and another node
//! starts from the last position given back, so a receiver may see an event twice (same id),
//! never out of order.

use std::time::Duration;

use chrono::Utc;
use hmac::{Hmac, Mac};
use postern_core::error::Thing;
use postern_core::{Error, ObjectId, Result, UserId};
use postern_outbound::{Bytes, HeaderMap, HeaderName, HeaderValue};
use postern_store::cold::{Statement, int, opt_int, opt_text, text};
use sha2::Sha256;

use crate::Services;
use crate::apps::random;
use crate::webhooks::{Delivery, event_id};

/// How often a node looks for webhooks to deliver.
const TICK: Duration = Duration::from_millis(250);
/// Webhooks one node leases per tick.
const LEASED_PER_TICK: i64 = 16;
/// How long a lease lasts: longer than a batch of deliveries can take.
const LEASE: chrono::Duration = chrono::Duration::seconds(120);
/// Events read from a stream per lease.
const BATCH: usize = 50;
/// A webhook failing this long is turned off.
const GIVE_UP_AFTER: chrono::Duration = chrono::Duration::hours(24);
/// How long the delivery log keeps an attempt.
const LOG_KEPT: chrono::Duration = chrono::Duration::days(7);

/// When to try again after the `failures`-th failure in a row.
fn backoff(failures: i64) -> chrono::Duration {
    chrono::Duration::seconds(match failures {
        ..=1 => 1,
        2 => 5,
        3 => 30,
        4 => 120,
        5 => 600,
        6 => 1800,
        _ => 3600,
    })
}

/// A webhook as a delivery needs it.
pub(crate) struct Target {
    id: ObjectId,
    owner: UserId,
    url: String,
    events: Vec<String>,
    secret: String,
    position: i64,
    failures: i64,
    failing_since: Option<i64>,
}

impl Services {
    /// Starts this node's deliveries; they stop when `stopped` resolves.
    pub fn spawn_webhook_delivery(
        self: &std::sync::Arc<Self>,
        stopped: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> tokio::task::JoinHandle<()> {
        let services = self.clone();
        // Which node holds a lease: this process, for as long as it runs.
        let node = random("node-", 12);
        tokio::spawn(async move {
            tokio::pin!(stopped);
            let mut tick = tokio::time::interval(TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = &mut stopped => return,
                    _ = tick.tick() => {}
                }
                match services.lease_due_webhooks(&node).await {
                    Ok(ids) => {
                        for id in ids {
                            if let Err(e) = services.deliver_due(&node, id).await {
                                tracing::warn!(error = %e, webhook = %id, "delivering a webhook failed");
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "leasing webhooks failed"),
                }
            }
        })
    }

    /// Leases the webhooks that are due, for `node`; only one node's lease on each wins.
    async fn lease_due_webhooks(&self, node: &str) -> Result<Vec<ObjectId>> {
        let now = Utc::now().timestamp_millis();
        let due =
            "active = 1 AND next_attempt_at <= ?3 AND (lease_until IS NULL OR lease_until < ?3)";
        let rows = self
            .store
            .cold()
            .run(vec![Statement::owned(
                format!(
                    "UPDATE webhooks SET lease_node = ?1, lease_until = ?2
                     WHERE {due} AND id IN (
                         SELECT id FROM webhooks WHERE {due} ORDER BY next_attempt_at LIMIT ?4)
                     RETURNING id"
                ),
                vec![
                    text(node),
                    int((Utc::now() + LEASE).timestamp_millis()),
                    int(now),
                    int(LEASED_PER_TICK),
                ],
            )])
            .await?;
        rows.first()
            .map(|r| r.iter().map(|row| row.int(0).map(ObjectId)).collect())
            .unwrap_or_else(|| Ok(Vec::new()))
    }

    /// Delivers what is waiting for one leased webhook, then gives the lease back.
    async fn deliver_due(&self, node: &str, id: ObjectId) -> Result<()> {
        let mut target = self.delivery_target(id).await?;
        let events = self
            .store
            .stream_since(target.owner, target.position, BATCH)
            .await?;
        let mut failed = false;
        for event in &events {
            let kind = event.body.kind.as_str();
            let wanted = target.events.is_empty() || target.events.iter().any(|e| e == kind);
            if wanted {
                let body = format!(
                    "{{\"id\":\"{}\",\"type\":\"{kind}\",\"position\":\"{}\",\"data\":{}}}",
                    event_id(target.owner, event.position),
                    event.position,
                    event.body.data
                );
                let attempt = target.failures + 1;
                let outcome = self
                    .deliver(&target, target.owner, event.position, kind, &body, attempt)
                    .await?;
                if !outcome.status.is_some_and(|s| (200..300).contains(&s)) {
                    failed = true;
                    break;
                }
                target.failures = 0;
                target.failing_since = None;
            }
            target.position = event.position;
        }
        let now = Utc::now();
        let (active, next, failures, failing_since) = if failed {
            let failures = target.failures + 1;
            let since = target.failing_since.unwrap_or(now.timestamp_millis());
            let given_up = now.timestamp_millis() - since >= GIVE_UP_AFTER.num_milliseconds();
            (!given_up, now + backoff(failures), failures, Some(since))
        } else {
            (true, now, 0, None)
        };
        self.store
            .cold()
            .run(vec![Statement::new(
                "UPDATE webhooks SET position = ?3, failures = ?4,
                     failing_since = CAST(?5 AS BIGINT), next_attempt_at = ?6,
                     active = CASE WHEN CAST(?7 AS BIGINT) = 1 THEN active ELSE 0 END,
                     lease_node = NULL, lease_until = NULL
                 WHERE id = ?1 AND lease_node = ?2",
                vec![
                    int(id.0),
                    text(node),
                    int(target.position),
                    int(failures),
                    opt_int(failing_since),
                    int(next.timestamp_millis()),
                    int(i64::from(active)),
                ],
            )])
            .await?;
        Ok(())
    }

    /// A webhook with its secret opened.
    pub(crate) async fn delivery_target(&self, id: ObjectId) -> Result<Target> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT owner_id, url, events, secret, position, failures, failing_since
                 FROM webhooks WHERE id = ?1",
                vec![int(id.0)],
            ))
            .await?;
        let r = rows.first().ok_or(Error::NotFound(Thing::Webhook))?;
        Ok(Target {
            id,
            owner: UserId(r.int(0)?),
            url: r.text(1)?,
            events: r
                .text(2)?
                .split(' ')
                .filter(|e| !e.is_empty())
                .map(str::to_owned)
                .collect(),
            secret: self.sealer().await?.open(&r.text(3)?)?,
            position: r.int(4)?,
            failures: r.int(5)?,
            failing_since: r.opt_int(6)?,
        })
    }

    /// POSTs `body` (an event at `position`, of type `kind`) to the webhook, signed, and
    /// writes the attempt to its log.
    pub(crate) async fn deliver(
        &self,
        target: &Target,
        owner: UserId,
        position: i64,
        kind: &str,
        body: &str,
        attempt: i64,
    ) -> Result<Delivery> {
        let outbound = self.outbound.as_ref().map_err(Error::internal)?;
        let stamp = Utc::now().timestamp();
        let mut headers = HeaderMap::new();
        let id = event_id(owner, position);
        for (name, value) in [
            (
                "postern-signature",
                format!("t={stamp},v1={}", sign(&target.secret, stamp, body)),
            ),
            ("postern-event-id", id.clone()),
            ("postern-event-type", kind.to_owned()),
        ] {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), v);
            }
        }
        let started = std::time::Instant::now();
        let answer = outbound
            .post_json(&target.url, headers, Bytes::from(body.to_owned()))
            .await;
        let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (status, error) = match &answer {
            Ok(a) if (200..300).contains(&a.status) => (Some(i64::from(a.status)), None),
            Ok(a) => (
                Some(i64::from(a.status)),
                Some(format!("the receiver answered {}", a.status)),
            ),
            Err(failure) => (None, Some(failure.to_string())),
        };
        let at = Utc::now();
        let delivery = Delivery {
            id: ObjectId(self.ids.next_id()),
            event_id: id,
            event: kind.to_owned(),
            status,
            error,
            latency_ms,
            attempt,
            at,
        };
        self.store
            .cold()
            .run(vec![Statement::new(
                "INSERT INTO webhook_deliveries (id, webhook_id, position, kind, status, error,
                     latency_ms, attempt, at)
                 VALUES (?1, ?2, ?3, ?4, CAST(?5 AS BIGINT), ?6, ?7, ?8, ?9)",
                vec![
                    int(delivery.id.0),
                    int(target.id.0),
                    int(position),
                    text(kind),
                    opt_int(delivery.status),
                    opt_text(delivery.error.clone()),
                    int(latency_ms),
                    int(attempt),
                    int(at.timestamp_millis()),
                ],
            )])
            .await?;
        Ok(delivery)
    }

    /// Forgets delivery attempts older than a week (the sweeper's job).
    pub async fn sweep_webhook_deliveries(&self) -> Result<usize> {
        let rows = self
            .store
            .cold()
            .run(vec![Statement::new(
                "DELETE FROM webhook_deliveries WHERE at < ?1 RETURNING id",
                vec![int((Utc::now() - LOG_KEPT).timestamp_millis())],
            )])
            .await?;
        Ok(rows.first().map_or(0, Vec::len))
    }
}

/// The hex HMAC-SHA256 of `"<stamp>.<body>"` with the webhook's secret.
pub fn sign(secret: &str, stamp: i64, body: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(stamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
