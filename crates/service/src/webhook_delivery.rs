//! Delivering webhooks (issue 18): each subscription's events (a webhook's, for one account),
//! in that account's stream order, one at a time, by one node at a time.
//!
//! Every node runs [`Services::spawn_webhook_delivery`]. Each time it looks it leases the
//! subscriptions that are due (an `UPDATE … RETURNING` that only one node's can win; which
//! ones it looks at is `webhook_wake`'s), reads
//! each one's stream after its position, POSTs the events its webhook asked for (one to a POST;
//! Account Activity's, several of one kind to a POST, see `activity_payload`) and moves its
//! position past each one delivered (and each one it did not ask for). A refused or failed
//! delivery stops the subscription there and tries the same event again later (1 s, 5 s, 30 s, 2 min, 10 min, 30
//! min, then hourly), with the same event id; after a day of failures the webhook is turned
//! off. A node that stops mid-delivery loses nothing: its lease ends and another node
//! starts from the last position given back, so a receiver may see an event twice (same id),
//! never out of order.

use std::time::Duration;

use futures::StreamExt;

use chrono::Utc;
use hmac::{Hmac, Mac};
use postern_core::error::Thing;
use postern_core::{Error, ObjectId, Result, UserId};
use postern_outbound::{Bytes, HeaderMap, HeaderName, HeaderValue};
use postern_store::Replayed;
use postern_store::cold::{ColdRow, Statement, int, opt_int, opt_text, text};
use sha2::Sha256;

use crate::Services;
use crate::account_activity::KIND_ACCOUNT_ACTIVITY;
use crate::activity::KIND_X_ACTIVITY;
use crate::activity_payload::ActivityPayload;
use crate::apps::random;
use crate::webhook_wake::Due;
use crate::webhooks::{Delivery, event_id};

/// How often a node looks for subscriptions that need it without new events on this node:
/// retries come due, and leases whose node stopped (see `webhook_wake`).
const TICK: Duration = Duration::from_millis(250);
/// Every this many looks (about 5 s), stale Twitter-compatible webhooks are asked the CRC,
/// and every due subscription is leased (see `webhook_wake`).
const EVERY_FEW_TICKS: u32 = 20;
/// How long a wake-up waits for more events before delivering.
const GATHER: Duration = Duration::from_millis(20);
/// How long it waits while subscriptions have backlogs (see [`gather_for`]).
const GATHER_BUSY: Duration = Duration::from_millis(100);
/// Events one lease read, from which a subscription counts as having a backlog.
const BACKLOG: usize = 10;
/// Subscriptions one node leases per look.
const LEASED_PER_TICK: i64 = 64;
/// Subscriptions one node delivers to at once (each in its own order): a slow receiver holds
/// up only its own.
const CONCURRENT: usize = 16;
/// Events read from a stream per lease.
const BATCH: usize = 50;
/// A webhook failing this long (for any account) is turned off.
const GIVE_UP_AFTER: chrono::Duration = chrono::Duration::hours(24);
/// How long the delivery log keeps an attempt.
const LOG_KEPT: chrono::Duration = chrono::Duration::days(7);

/// The next typing event queued for webhooks; never, without a queue.
async fn next_typed(
    queue: &mut Option<tokio::sync::mpsc::Receiver<crate::webhook_typing::Typed>>,
) -> Option<crate::webhook_typing::Typed> {
    match queue {
        Some(q) => q.recv().await,
        None => std::future::pending().await,
    }
}

fn lease(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::seconds(120))
}

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

/// Attempts at one event for an Account Activity webhook before it is passed over.
const ACTIVITY_ATTEMPTS: i64 = 4;

/// Twitter's waits between Account Activity attempts: 3 s, 27 s, 242 s.
fn activity_backoff(failures: i64) -> chrono::Duration {
    chrono::Duration::seconds(match failures {
        ..=1 => 3,
        2 => 27,
        _ => 242,
    })
}

/// How long a wake-up waits before it looks, after a look whose busiest lease read `backlog`
/// events. Events come in bursts: a few milliseconds' worth share a lease, so each lease and
/// write covers several. While subscriptions have backlogs, longer: under load every look
/// would otherwise find a little for everyone, and each lease costs reads and a write beside
/// the sends (`docs/benchmarks.md`). Not when a lease could not take all that was waiting:
/// that subscription is behind, and waiting would only put it further behind. A quiet
/// server delivers within `GATHER`.
fn gather_for(backlog: usize) -> Duration {
    if (BACKLOG..BATCH).contains(&backlog) {
        GATHER_BUSY
    } else {
        GATHER
    }
}

/// A subscription's row as [`Services::target_of`] reads it, from `webhook_subscriptions`:
/// its own columns, its webhook's, and its app's consumer secret (by subquery, so the lease's
/// `UPDATE … RETURNING` hands a node all it needs to deliver without another read).
const TARGET_COLUMNS: &str = "webhook_subscriptions.webhook_id, webhook_subscriptions.user_id,
    webhook_subscriptions.position, webhook_subscriptions.failures,
    webhook_subscriptions.failing_since,
    (SELECT w.kind FROM webhooks w WHERE w.id = webhook_subscriptions.webhook_id),
    (SELECT w.url FROM webhooks w WHERE w.id = webhook_subscriptions.webhook_id),
    (SELECT w.events FROM webhooks w WHERE w.id = webhook_subscriptions.webhook_id),
    (SELECT w.secret FROM webhooks w WHERE w.id = webhook_subscriptions.webhook_id),
    (SELECT a.consumer_secret FROM webhooks w JOIN apps a ON a.id = w.app_id
     WHERE w.id = webhook_subscriptions.webhook_id)";

/// A subscription as a delivery needs it: the webhook, and whose events.
pub(crate) struct Target {
    pub(crate) id: ObjectId,
    pub(crate) user: UserId,
    /// Native, or Account Activity (Twitter's payloads, signature and retries).
    pub(crate) kind: String,
    pub(crate) url: String,
    pub(crate) events: Vec<String>,
    pub(crate) secret: String,
    pub(crate) position: i64,
    pub(crate) failures: i64,
    pub(crate) failing_since: Option<i64>,
}

/// What one step of a delivery sends: its bodies (none: nothing the webhook carries), the
/// events they carry, for the log, and the position it moves the subscription to.
struct Outgoing {
    bodies: Vec<String>,
    events: Vec<(i64, String)>,
    through: i64,
}

impl Outgoing {
    fn of(position: i64, kind: &str, bodies: Vec<String>) -> Self {
        let events = if bodies.is_empty() {
            Vec::new()
        } else {
            vec![(position, kind.to_owned())]
        };
        Outgoing {
            bodies,
            events,
            through: position,
        }
    }
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
        let mut typing = self.take_typing_queue();
        let typing_slots = std::sync::Arc::new(tokio::sync::Semaphore::new(
            crate::webhook_typing::CONCURRENT,
        ));
        tokio::spawn(async move {
            tokio::pin!(stopped);
            let mut tick = tokio::time::interval(TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut ticks: u32 = 0;
            // The most events one lease read in the last look.
            let mut backlog = 0;
            loop {
                let due = tokio::select! {
                    () = &mut stopped => return,
                    _ = tick.tick() => {
                        ticks = ticks.wrapping_add(1);
                        if !ticks.is_multiple_of(EVERY_FEW_TICKS) {
                            Due::Retries
                        } else {
                            if let Err(e) = services.recheck_stale_webhooks().await {
                                tracing::warn!(error = %e, "asking webhooks the CRC again failed");
                            }
                            Due::All
                        }
                    }
                    () = services.webhook_wake.rung() => {
                        tokio::time::sleep(gather_for(backlog)).await;
                        services.webhook_wake.take()
                    }
                    Some(typed) = next_typed(&mut typing) => {
                        // Waits for a free slot, so at most a few are in flight.
                        if let Ok(slot) = typing_slots.clone().acquire_owned().await {
                            let services = services.clone();
                            tokio::spawn(async move {
                                if let Err(e) = services.deliver_typing(&typed).await {
                                    tracing::warn!(error = %e, "delivering typing to a webhook failed");
                                }
                                drop(slot);
                            });
                        }
                        continue;
                    }
                };
                match services.lease_due_subscriptions(&node, &due).await {
                    Ok((leased, held)) => {
                        if !held.is_empty() {
                            // Another node is delivering to these accounts and may have read
                            // their streams before this node's events: look again once its
                            // lease is likely given back.
                            let services = services.clone();
                            tokio::spawn(async move {
                                tokio::time::sleep(TICK).await;
                                services.webhook_wake.ring(held);
                            });
                        }
                        let busiest = std::sync::atomic::AtomicUsize::new(0);
                        futures::stream::iter(leased)
                            .for_each_concurrent(CONCURRENT, |target| {
                                let (services, node, busiest) = (&services, &node, &busiest);
                                async move {
                                    let id = target.id;
                                    match services.deliver_due(node, target).await {
                                        Ok(read) => {
                                            busiest.fetch_max(read, std::sync::atomic::Ordering::Relaxed);
                                        }
                                        Err(e) => {
                                            tracing::warn!(error = %e, webhook = %id, "delivering a webhook failed");
                                        }
                                    }
                                }
                            })
                            .await;
                        backlog = busiest.into_inner();
                    }
                    Err(e) => tracing::warn!(error = %e, "leasing webhook subscriptions failed"),
                }
            }
        })
    }

    /// Leases the subscriptions that are due among `which`, for `node`; only one node's lease
    /// on each wins (the outer condition is checked again on each row as it is updated).
    /// Also answers, of the accounts `which` names, those another node holds a lease for.
    async fn lease_due_subscriptions(
        &self,
        node: &str,
        which: &Due,
    ) -> Result<(Vec<Target>, Vec<UserId>)> {
        if *which == Due::Accounts(Vec::new()) {
            return Ok((Vec::new(), Vec::new()));
        }
        let now = self.config.clock.now().timestamp_millis();
        // A read first: a node with nothing due (most looks, and every look where no one has
        // a webhook) takes no write lock.
        let (any_due, held) = self.due_among(which, now).await?;
        if !any_due {
            return Ok((Vec::new(), held));
        }
        let (among, values) = which.condition(5);
        let rows = self
            .store
            .cold()
            .run(vec![Statement::owned(
                format!(
                    "UPDATE webhook_subscriptions SET lease_node = ?1, lease_until = ?2
                     WHERE next_attempt_at <= ?3 AND (lease_until IS NULL OR lease_until < ?3)
                       AND (webhook_id, user_id) IN (
                           SELECT s.webhook_id, s.user_id FROM webhook_subscriptions s
                           JOIN webhooks w ON w.id = s.webhook_id
                           WHERE w.active = 1 AND s.next_attempt_at <= ?3
                             AND (s.lease_until IS NULL OR s.lease_until < ?3) {among}
                           ORDER BY s.next_attempt_at LIMIT ?4)
                     RETURNING {TARGET_COLUMNS}"
                ),
                [
                    text(node),
                    int((self.config.clock.now() + lease(self.config.webhook_lease))
                        .timestamp_millis()),
                    int(now),
                    int(LEASED_PER_TICK),
                ]
                .into_iter()
                .chain(values)
                .collect(),
            )])
            .await?;
        let mut leased = Vec::new();
        for row in rows.first().map_or(&[][..], Vec::as_slice) {
            leased.push(self.target_of(row).await?);
        }
        Ok((leased, held))
    }

    /// Whether a subscription among `which` is due and free to lease; and, of the accounts
    /// `which` names, those with a subscription whose lease has not run out (this node holds
    /// none while it looks: it gives its leases back before looking again). One read.
    async fn due_among(&self, which: &Due, now: i64) -> Result<(bool, Vec<UserId>)> {
        let (among, values) = which.condition(2);
        let free_and_due =
            "s.next_attempt_at <= ?1 AND (s.lease_until IS NULL OR s.lease_until < ?1)";
        let sql = match which {
            // Bounded by the accounts named: each one's subscriptions, free or held.
            Due::Accounts(_) => format!(
                "SELECT s.user_id, CASE WHEN {free_and_due} THEN 1 ELSE 0 END
                 FROM webhook_subscriptions s JOIN webhooks w ON w.id = s.webhook_id
                 WHERE w.active = 1 AND ({free_and_due} OR s.lease_until >= ?1) {among}"
            ),
            Due::Retries | Due::All => format!(
                "SELECT s.user_id, 1 FROM webhook_subscriptions s
                 JOIN webhooks w ON w.id = s.webhook_id
                 WHERE w.active = 1 AND {free_and_due} {among} LIMIT 1"
            ),
        };
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                sql,
                std::iter::once(int(now)).chain(values).collect(),
            ))
            .await?;
        let mut any_due = false;
        let mut held = Vec::new();
        for row in &rows {
            if row.int(1)? == 1 {
                any_due = true;
            } else {
                held.push(UserId(row.int(0)?));
            }
        }
        held.sort_unstable();
        held.dedup();
        Ok((any_due, held))
    }

    /// Delivers what is waiting for one leased subscription, then gives the lease back;
    /// answers how many events it read.
    async fn deliver_due(&self, node: &str, mut target: Target) -> Result<usize> {
        let (id, user) = (target.id, target.user);
        let events = self
            .store
            .stream_since(target.user, target.position, BATCH)
            .await?;
        metrics::histogram!("postern_webhook_batch_events").record(events.len() as f64);
        let mut failed = false;
        // The attempts' log rows, written with the new position in one transaction: a batch
        // costs one write, not one per delivery.
        let mut log = Vec::new();
        let started = std::time::Instant::now();
        // Whether events may be left once this lease ends: it is leased again at once.
        let mut more = events.len() >= BATCH;
        for post in self.outgoing(&target, &events).await? {
            // A slow receiver must not outlast the lease: another node would take the
            // webhook over and deliver beside this one. Stop halfway through it.
            if started.elapsed() > self.config.webhook_lease / 2 {
                more = true;
                break;
            }
            let attempt = target.failures + 1;
            let mut refused = false;
            // An event may be several deliveries (X Activity: one per subscription it
            // matches); a refusal of any tries the event again, whole, with the same ids.
            for body in &post.bodies {
                let Some((position, kind)) = post.events.first() else {
                    break;
                };
                let outcome = self
                    .post_signed(&target, *position, kind, body, attempt)
                    .await?;
                let ok = outcome.status.is_some_and(|s| (200..300).contains(&s));
                metrics::counter!("postern_webhook_posts_total",
                    "outcome" => if ok { "delivered" } else { "refused" })
                .increment(1);
                // One row per POST: an Account Activity POST says how many events it
                // carried, from its first on.
                let row = Delivery {
                    events: i64::try_from(post.events.len()).unwrap_or(i64::MAX),
                    ..outcome
                };
                log.push(logged(&target, *position, &row));
                if !ok {
                    refused = true;
                    break;
                }
            }
            if refused {
                if target.kind == KIND_ACCOUNT_ACTIVITY && attempt >= ACTIVITY_ATTEMPTS {
                    // Twitter tries four times, then goes on without it.
                    target.failures = 0;
                    target.failing_since = None;
                    target.position = post.through;
                    continue;
                }
                failed = true;
                break;
            }
            target.failures = 0;
            target.failing_since = None;
            target.position = post.through;
        }
        let now = self.config.clock.now();
        let (active, next, failures, failing_since) = if failed {
            let failures = target.failures + 1;
            let since = target.failing_since.unwrap_or(now.timestamp_millis());
            let given_up = now.timestamp_millis() - since >= GIVE_UP_AFTER.num_milliseconds();
            let wait = if target.kind == KIND_ACCOUNT_ACTIVITY {
                activity_backoff(failures)
            } else {
                backoff(failures)
            };
            (!given_up, now + wait, failures, Some(since))
        } else {
            (true, now, 0, None)
        };
        let mut statements = log;
        statements.push(Statement::new(
            "UPDATE webhook_subscriptions SET position = ?4, failures = ?5,
                 failing_since = CAST(?6 AS BIGINT), next_attempt_at = ?7,
                 lease_node = NULL, lease_until = NULL
             WHERE webhook_id = ?1 AND user_id = ?2 AND lease_node = ?3",
            vec![
                int(id.0),
                int(user.0),
                text(node),
                int(target.position),
                int(failures),
                opt_int(failing_since),
                int(next.timestamp_millis()),
            ],
        ));
        if !active {
            statements.push(Statement::new(
                "UPDATE webhooks SET active = 0 WHERE id = ?1",
                vec![int(id.0)],
            ));
        }
        self.store.cold().run(statements).await?;
        if more && !failed {
            self.webhook_wake.ring([user]);
        }
        Ok(events.len())
    }

    /// What `events` become for `target`'s webhook, in order: one POST each (X Activity:
    /// several), or for Account Activity one POST for a run of events under the same field,
    /// as Twitter's arrays allow. Events the webhook does not carry ride along with the POST
    /// before them (or alone, with nothing to send), so the position passes over them.
    async fn outgoing(&self, target: &Target, events: &[Replayed]) -> Result<Vec<Outgoing>> {
        let mut out: Vec<Outgoing> = Vec::new();
        let mut open: Option<ActivityPayload> = None;
        for event in events {
            let (position, kind) = (event.position, event.body.kind.as_str());
            if target.kind != KIND_ACCOUNT_ACTIVITY {
                let bodies = self.delivery_body(target, event).await?;
                out.push(Outgoing::of(position, kind, bodies));
                continue;
            }
            let part = self.activity_part(event).await?;
            let Some(part) = part else {
                // Not carried: passed over with the POST being gathered, or on its own.
                match out.last_mut() {
                    Some(last) if open.is_some() => last.through = position,
                    _ => out.push(Outgoing::of(position, kind, Vec::new())),
                }
                continue;
            };
            // The POST being gathered (always `out`'s last) takes it if it can.
            let part = match open.as_mut() {
                Some(payload) => match payload.absorb(part) {
                    Ok(()) => {
                        if let Some(last) = out.last_mut() {
                            last.through = position;
                            last.events.push((position, kind.to_owned()));
                        }
                        continue;
                    }
                    Err(part) => part,
                },
                None => part,
            };
            if let Some(payload) = open.take() {
                self.close(target, &mut out, payload).await?;
            }
            out.push(Outgoing {
                bodies: Vec::new(),
                events: vec![(position, kind.to_owned())],
                through: position,
            });
            open = Some(part.into());
        }
        if let Some(payload) = open.take() {
            self.close(target, &mut out, payload).await?;
        }
        Ok(out)
    }

    /// Renders the open Account Activity payload into the last POST's body.
    async fn close(
        &self,
        target: &Target,
        out: &mut [Outgoing],
        payload: ActivityPayload,
    ) -> Result<()> {
        let body = self.activity_body(target.user, payload).await?;
        if let Some(last) = out.last_mut() {
            last.bodies.push(body);
        }
        Ok(())
    }

    /// The statement that subscribes `user` to `webhook` from their stream's current end (so
    /// it receives what happens next); subscribing again changes nothing.
    pub(crate) async fn subscription_from_now(
        &self,
        webhook: ObjectId,
        user: UserId,
    ) -> Result<Statement> {
        let position = self.store.stream_position(user).await?;
        let now = self.config.clock.now().timestamp_millis();
        Ok(Statement::new(
            "INSERT INTO webhook_subscriptions (webhook_id, user_id, position, failures,
                 next_attempt_at, created_at)
             VALUES (?1, ?2, ?3, 0, ?4, ?4)
             ON CONFLICT (webhook_id, user_id) DO NOTHING",
            vec![int(webhook.0), int(user.0), int(position), int(now)],
        ))
    }

    /// A subscription: its webhook (secret opened) and its place in `user`'s stream.
    pub(crate) async fn delivery_target(&self, id: ObjectId, user: UserId) -> Result<Target> {
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                format!(
                    "SELECT {TARGET_COLUMNS} FROM webhook_subscriptions
                     WHERE webhook_id = ?1 AND user_id = ?2"
                ),
                vec![int(id.0), int(user.0)],
            ))
            .await?;
        self.target_of(rows.first().ok_or(Error::NotFound(Thing::Webhook))?)
            .await
    }

    /// A [`Target`] from a row of [`TARGET_COLUMNS`].
    async fn target_of(&self, r: &ColdRow) -> Result<Target> {
        let kind = r.text(5)?;
        // Native webhooks sign with their own secret; Twitter's with the app's consumer
        // secret. Both are stored sealed.
        let twitters = kind == KIND_ACCOUNT_ACTIVITY || kind == KIND_X_ACTIVITY;
        let sealed = match (r.opt_text(8)?, r.opt_text(9)?) {
            (Some(own), _) => Some(own),
            (None, Some(app)) if twitters => Some(app),
            // Its app is gone: nothing to sign with, so nothing is sent (never an empty key).
            (None, None) if twitters => return Err(Error::NotFound(Thing::App)),
            (None, _) => None,
        };
        let secret = match sealed {
            Some(sealed) => self.sealer().await?.open(&sealed)?,
            None => String::new(),
        };
        Ok(Target {
            id: ObjectId(r.int(0)?),
            user: UserId(r.int(1)?),
            kind,
            url: r.text(6)?,
            events: r
                .text(7)?
                .split(' ')
                .filter(|e| !e.is_empty())
                .map(str::to_owned)
                .collect(),
            secret,
            position: r.int(2)?,
            failures: r.int(3)?,
            failing_since: r.opt_int(4)?,
        })
    }

    /// What a subscription's webhook is sent for an event: nothing to pass over it (not asked
    /// for, or nothing its kind of webhook carries), else one body or (X Activity) several.
    pub(crate) async fn delivery_body(
        &self,
        target: &Target,
        event: &Replayed,
    ) -> Result<Vec<String>> {
        let (position, kind, data) = (event.position, event.body.kind.as_str(), &event.body.data);
        if target.kind == KIND_ACCOUNT_ACTIVITY {
            return Ok(self
                .activity_payload(target.user, event)
                .await?
                .into_iter()
                .collect());
        }
        if target.kind == KIND_X_ACTIVITY {
            return self
                .activity_webhook_bodies(target.id, target.user, event)
                .await;
        }
        let wanted = target.events.is_empty() || target.events.iter().any(|e| e == kind);
        Ok(wanted
            .then(|| {
                format!(
                    "{{\"id\":\"{}\",\"type\":\"{kind}\",\"position\":\"{position}\",\"data\":{data}}}",
                    event_id(target.user, position),
                )
            })
            .into_iter()
            .collect())
    }

    /// POSTs `body` (an event at `position`, of type `kind`) to the webhook, signed, and
    /// writes the attempt to its log.
    pub(crate) async fn deliver(
        &self,
        target: &Target,
        position: i64,
        kind: &str,
        body: &str,
        attempt: i64,
    ) -> Result<Delivery> {
        let delivery = self
            .post_signed(target, position, kind, body, attempt)
            .await?;
        self.store
            .cold()
            .run(vec![logged(target, position, &delivery)])
            .await?;
        Ok(delivery)
    }

    /// POSTs `body` to the webhook, signed as its kind signs, and says how it went (the
    /// caller logs it).
    async fn post_signed(
        &self,
        target: &Target,
        position: i64,
        kind: &str,
        body: &str,
        attempt: i64,
    ) -> Result<Delivery> {
        let outbound = self.outbound.as_ref().map_err(Error::internal)?;
        let stamp = Utc::now().timestamp();
        let mut headers = HeaderMap::new();
        let id = event_id(target.user, position);
        let signed = if target.kind == KIND_ACCOUNT_ACTIVITY || target.kind == KIND_X_ACTIVITY {
            // Twitter's: the consumer secret over the body.
            vec![(
                "x-twitter-webhooks-signature",
                crate::account_activity::signature(&target.secret, body.as_bytes()),
            )]
        } else {
            vec![
                (
                    "postern-signature",
                    format!("t={stamp},v1={}", sign(&target.secret, stamp, body)),
                ),
                ("postern-event-id", id.clone()),
                ("postern-event-type", kind.to_owned()),
            ]
        };
        for (name, value) in signed {
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
        Ok(Delivery {
            id: ObjectId(self.ids.next_id()),
            event_id: id,
            event: kind.to_owned(),
            events: 1,
            status,
            error,
            latency_ms,
            attempt,
            at: Utc::now(),
        })
    }

    /// Forgets delivery attempts older than a week (the sweeper's job).
    pub async fn sweep_webhook_deliveries(&self) -> Result<usize> {
        let rows = self
            .store
            .cold()
            .run(vec![Statement::new(
                // By id, which starts with its time: the primary key is the only index the
                // log needs besides its webhook's (one fewer to keep up per delivery).
                "DELETE FROM webhook_deliveries WHERE id < ?1 RETURNING id",
                vec![int(postern_core::ids::first_id_at_ms(
                    (Utc::now() - LOG_KEPT).timestamp_millis(),
                ))],
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

/// The delivery log's row for an attempt.
fn logged(target: &Target, position: i64, d: &Delivery) -> Statement {
    Statement::new(
        "INSERT INTO webhook_deliveries (id, webhook_id, position, kind, status, error,
             latency_ms, attempt, at, user_id, events)
         VALUES (?1, ?2, ?3, ?4, CAST(?5 AS BIGINT), ?6, ?7, ?8, ?9, ?10, ?11)",
        vec![
            int(d.id.0),
            int(target.id.0),
            int(position),
            text(d.event.clone()),
            opt_int(d.status),
            opt_text(d.error.clone()),
            int(d.latency_ms),
            int(d.attempt),
            int(d.at.timestamp_millis()),
            int(target.user.0),
            int(d.events),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_look_waits_longer_only_while_a_subscription_has_a_backlog_it_can_take() {
        assert_eq!(gather_for(0), GATHER);
        assert_eq!(gather_for(BACKLOG - 1), GATHER);
        assert_eq!(gather_for(BACKLOG), GATHER_BUSY);
        assert_eq!(gather_for(BATCH - 1), GATHER_BUSY);
        // A lease that read all it could take: behind, so no longer wait.
        assert_eq!(gather_for(BATCH), GATHER);
    }
}
