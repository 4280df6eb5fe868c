//! The X Activity API's stream (issue 18), `GET /2/activity/stream`: every event of an app's
//! subscriptions as NDJSON envelopes, live, with a few minutes' backfill; at most two open per
//! app on a node; people subscribed to while it is open are heard within [`STREAM_REFRESH`].

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use postern_core::{Error, ObjectId, Result, UserId};
use postern_store::cold::{Statement, int};

use crate::Services;

impl Services {
    /// `GET /2/activity/stream`: every event of the app's subscriptions, one envelope per
    /// item, live; with `backfill_minutes` (0–5) the stored ones of that many minutes first.
    /// A person subscribed to while it is open (on any node) is heard from within
    /// [`STREAM_REFRESH`].
    pub async fn activity_stream(
        self: &Arc<Self>,
        app: ObjectId,
        backfill_minutes: u32,
    ) -> Result<BoxStream<'static, String>> {
        let place = StreamPlace::take(self, app)?;
        let subscriptions = self.activity_subscriptions(app).await?;
        let users: BTreeSet<UserId> = subscriptions.iter().map(|s| s.user_id).collect();
        let mut live = LiveUsers::new(self.clone(), app);
        live.listen(users.iter().copied()).await;
        let mut backfill = Vec::new();
        if backfill_minutes > 0 {
            let from =
                self.config.clock.now() - chrono::Duration::minutes(i64::from(backfill_minutes));
            for user in &users {
                let Some(after) = self.position_at(*user, from).await? else {
                    continue;
                };
                for event in self.store.stream_since(*user, after, 1_000).await? {
                    let mine: Vec<_> = subscriptions
                        .iter()
                        .filter(|s| s.user_id == *user)
                        .cloned()
                        .collect();
                    backfill.extend(
                        self.envelopes(
                            &mine,
                            *user,
                            Some(event.position),
                            event.at_ms,
                            &event.body.kind,
                            &event.body.data,
                        )
                        .await?,
                    );
                }
            }
        }
        let services = self.clone();
        let lines = live
            .into_stream()
            .then(move |(user, item)| {
                let services = services.clone();
                async move {
                    let postern_bus::Live::Event(d) = item else {
                        return Vec::new();
                    };
                    // Who the app follows now (subscriptions come and go while it streams).
                    let mine = services
                        .activity_subscriptions_of(app, user)
                        .await
                        .unwrap_or_default();
                    // Live: it happened just now.
                    let now = services.config.clock.now().timestamp_millis();
                    services
                        .envelopes(&mine, user, d.position, now, &d.body.kind, &d.body.data)
                        .await
                        .unwrap_or_default()
                }
            })
            .flat_map(futures::stream::iter);
        // The place is held for as long as the stream is.
        Ok(futures::stream::iter(backfill)
            .chain(lines)
            .map(move |line| {
                let _held = &place;
                line
            })
            .boxed())
    }

    /// The position just before `user`'s first event stored at or after `from`.
    async fn position_at(&self, user: UserId, from: DateTime<Utc>) -> Result<Option<i64>> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT min(s.position) FROM user_stream s
                 JOIN stream_events e ON e.id = s.stream_event_id
                 WHERE s.user_id = ?1 AND e.created_at >= ?2",
                vec![int(user.0), int(from.timestamp_millis())],
            ))
            .await?;
        Ok(rows
            .first()
            .map(|r| r.opt_int(0))
            .transpose()?
            .flatten()
            .map(|p| p - 1))
    }
}

/// Activity streams one app may have open at once on a node, as X allows.
pub const ACTIVITY_STREAMS_PER_APP: usize = 2;

/// One of an app's activity stream places, given back when dropped.
struct StreamPlace {
    services: Arc<Services>,
    app: ObjectId,
}

impl StreamPlace {
    fn take(services: &Arc<Services>, app: ObjectId) -> Result<StreamPlace> {
        let mut open = services.open_activity_streams.entry(app).or_insert(0);
        if *open >= ACTIVITY_STREAMS_PER_APP {
            return Err(Error::RateLimited {
                what: "activity stream connections for this app (at most 2)",
                retry_after: std::time::Duration::from_secs(20),
            });
        }
        *open += 1;
        Ok(StreamPlace {
            services: services.clone(),
            app,
        })
    }
}

impl Drop for StreamPlace {
    fn drop(&mut self) {
        self.services
            .open_activity_streams
            .remove_if_mut(&self.app, |_, open| {
                *open = open.saturating_sub(1);
                *open == 0
            });
    }
}

/// How often an open activity stream looks for people newly subscribed to (on any node).
pub const STREAM_REFRESH: std::time::Duration = std::time::Duration::from_secs(2);

/// The live events of the people an app's stream hears, which grows as the app subscribes to
/// more of them while it is open.
struct LiveUsers {
    services: Arc<Services>,
    app: ObjectId,
    heard: BTreeSet<UserId>,
    live: futures::stream::SelectAll<BoxStream<'static, (UserId, postern_bus::Live)>>,
}

impl LiveUsers {
    fn new(services: Arc<Services>, app: ObjectId) -> Self {
        LiveUsers {
            services,
            app,
            heard: BTreeSet::new(),
            live: futures::stream::SelectAll::new(),
        }
    }

    /// Hears `users` too, those it does not hear yet.
    async fn listen(&mut self, users: impl IntoIterator<Item = UserId>) {
        for user in users {
            if self.heard.insert(user) {
                let events = self.services.bus.subscribe(user).await;
                self.live.push(events.map(move |l| (user, l)).boxed());
            }
        }
    }

    /// The events as they come; every [`STREAM_REFRESH`] it reads the app's subscriptions
    /// again and hears whoever is new. (Someone unsubscribed stays heard: each event is matched
    /// against the subscriptions as they are when it comes.)
    fn into_stream(self) -> BoxStream<'static, (UserId, postern_bus::Live)> {
        let mut tick = tokio::time::interval(STREAM_REFRESH);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        futures::stream::unfold((self, tick), |(mut users, mut tick)| async move {
            loop {
                tokio::select! {
                    Some(item) = users.live.next(), if !users.live.is_empty() => {
                        return Some((item, (users, tick)));
                    }
                    _ = tick.tick() => {
                        match users.services.activity_subscriptions(users.app).await {
                            Ok(now) => {
                                let ids: Vec<UserId> = now.iter().map(|s| s.user_id).collect();
                                users.listen(ids).await;
                            }
                            Err(e) => tracing::warn!(error = %e, "reading an open stream's subscriptions failed"),
                        }
                    }
                }
            }
        })
        .boxed()
    }
}
