//! Housekeeping in the background: forgetting idempotency keys past their window, and
//! removing uploads nobody attached in time.
//!
//! A key deduplicates sends for `limits.idempotency_hours` (SPEC §3.5) and is useless after;
//! without a sweep the table gains a row per keyed send forever. Unattached media expires
//! after `limits.media_expiry_hours` (SPEC §3.6), and its bytes go with it. Every node of an
//! installation runs a sweeper; the store's deletes are safe to race, so they need not
//! coordinate.

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::FutureExt;
use tokio::task::JoinHandle;

use crate::Services;

/// Keys forgotten per store call: small enough that one call holds the SQLite writer (or
/// PostgreSQL row locks) for milliseconds, large enough that a day's backlog goes in few calls.
pub const SWEEP_BATCH: usize = 1_000;

impl Services {
    /// Starts sweeping expired idempotency keys and media every [`crate::ServiceConfig::sweep_every`]
    /// (the first sweep after one interval) until `shutdown` completes. Shutdown is heard
    /// between batches, so a batch in progress finishes; a failed sweep is logged and tried
    /// again at the next interval.
    pub fn spawn_sweeper(
        self: &Arc<Self>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> JoinHandle<()> {
        let services = self.clone();
        // (`interval` refuses a zero period.)
        let every = self
            .config
            .sweep_every
            .max(std::time::Duration::from_millis(1));
        tokio::spawn(async move {
            let mut shutdown = std::pin::pin!(shutdown);
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            // After a slow sweep, wait a whole interval again rather than catching up.
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = &mut shutdown => return,
                    _ = ticks.tick() => {}
                }
                services.login_guard.prune();
                match services.store.delete_expired_tokens(Utc::now()).await {
                    Ok(0) => {}
                    Ok(removed) => tracing::info!(removed, "removed expired tokens"),
                    Err(e) => tracing::warn!(error = %e, "removing expired tokens failed"),
                }
                match services.sweep_nonces(Utc::now()).await {
                    Ok(0) => {}
                    Ok(removed) => tracing::debug!(removed, "forgot old OAuth nonces"),
                    Err(e) => tracing::warn!(error = %e, "forgetting old OAuth nonces failed"),
                }
                match services.sweep_authorizations().await {
                    Ok(0) => {}
                    Ok(removed) => {
                        tracing::debug!(removed, "forgot unused or ended OAuth authorizations")
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "forgetting unused OAuth authorizations failed")
                    }
                }
                match services.sweep_webhook_deliveries().await {
                    Ok(0) => {}
                    Ok(removed) => tracing::debug!(removed, "forgot old webhook deliveries"),
                    Err(e) => {
                        tracing::warn!(error = %e, "forgetting old webhook deliveries failed")
                    }
                }
                match services.sweep_expired_media(Utc::now()).await {
                    Ok(0) => {}
                    Ok(swept) => tracing::info!(swept, "removed expired media"),
                    Err(e) => tracing::warn!(error = %e, "removing expired media failed"),
                }
                let Some(older_than) = services.expiry_cutoff() else {
                    continue;
                };
                let mut total = 0usize;
                let finished = loop {
                    let Some(swept) = services.sweep_batch(older_than, total).await else {
                        break false;
                    };
                    total = total.saturating_add(swept);
                    if swept < SWEEP_BATCH {
                        break true;
                    }
                    // More to go: let the writes queued behind this batch run first, and stop
                    // here if the server is stopping. (The future is not polled again once it
                    // has completed: the task returns.)
                    tokio::task::yield_now().await;
                    if (&mut shutdown).now_or_never().is_some() {
                        tracing::info!(swept = total, "stopped sweeping idempotency keys");
                        return;
                    }
                };
                if total > 0 || !finished {
                    tracing::info!(swept = total, finished, "swept expired idempotency keys");
                }
            }
        })
    }

    /// Keys claimed before this have left their window; `None` when the configured window
    /// reaches back past what a timestamp can hold (no key has expired then).
    fn expiry_cutoff(&self) -> Option<DateTime<Utc>> {
        let window = chrono::TimeDelta::try_hours(self.config.limits.idempotency_hours)?;
        Utc::now().checked_sub_signed(window)
    }

    /// One store call: how many keys it forgot, or `None` (logged) if it failed.
    async fn sweep_batch(&self, older_than: DateTime<Utc>, so_far: usize) -> Option<usize> {
        match self.store.sweep_idempotency(older_than, SWEEP_BATCH).await {
            Ok(swept) => {
                metrics::counter!("postern_idempotency_keys_swept_total")
                    .increment(u64::try_from(swept).unwrap_or(u64::MAX));
                Some(swept)
            }
            Err(e) => {
                tracing::warn!(error = %e, swept = so_far, "sweeping idempotency keys failed");
                None
            }
        }
    }
}
