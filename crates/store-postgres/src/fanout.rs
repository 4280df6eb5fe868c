//! Recording stream events inside a write: each receiver gets the next dense position.
//!
//! Several nodes write at once, so a position cannot be "the newest plus one" as on SQLite's
//! single writer. A write collects its events in an [`Outbox`] and, just before committing,
//! takes all its positions at once from the receivers' `stream_heads` rows: one upsert that
//! adds each receiver's count to their head and locks the row until commit. Another write for
//! the same receiver waits there, so positions are dense and become visible in order. A send
//! does the same inside the database's `append_message` function (see `append`).
//!
//! Deadlocks are avoided by order: heads are locked last in every transaction (after any
//! conversation or participant row) and in ascending user id within the one statement.

use std::collections::BTreeMap;
use std::sync::Arc;

use postern_core::stream::{Delivery, EventBody, StreamEvent};
use postern_core::{Error, IdGenerator, UserId};
use postern_store::Fanout;
use sqlx::{PgConnection, Postgres, Row, Transaction};

use crate::rows::{Db, now_ms};

/// Stream events a write will record when it commits, in the order they were added.
#[derive(Default)]
pub struct Outbox {
    events: Vec<(Vec<UserId>, Arc<EventBody>)>,
}

impl Outbox {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, users: &[UserId], event: &StreamEvent) {
        if !users.is_empty() {
            self.events
                .push((users.to_vec(), Arc::new(EventBody::render(event))));
        }
    }

    /// An outbox holding just the service's `fanout`, the usual case for a write.
    pub fn of(fanout: &Fanout) -> Self {
        let mut outbox = Self::new();
        outbox.add_all(fanout);
        outbox
    }

    pub fn add_all(&mut self, fanout: &Fanout) {
        for (users, event) in &fanout.0 {
            self.add(users, event);
        }
    }

    /// Records the events, commits, and returns what to deliver (in the order added, each
    /// event's receivers in the order given).
    pub async fn commit(
        self,
        mut tx: Transaction<'static, Postgres>,
        ids: &IdGenerator,
    ) -> Result<Vec<Delivery>, Error> {
        let deliveries = self.record(&mut tx, ids).await?;
        tx.commit().await.db()?;
        Ok(deliveries)
    }

    /// Commits a write that may have changed nothing: only a change sends `fanout`.
    /// Returns whether it changed, with what to deliver.
    pub async fn commit_if(
        changed: bool,
        fanout: &Fanout,
        tx: Transaction<'static, Postgres>,
        ids: &IdGenerator,
    ) -> Result<(bool, Vec<Delivery>), Error> {
        let outbox = if changed {
            Self::of(fanout)
        } else {
            Self::new()
        };
        Ok((changed, outbox.commit(tx, ids).await?))
    }

    async fn record(self, c: &mut PgConnection, ids: &IdGenerator) -> Result<Vec<Delivery>, Error> {
        if self.events.is_empty() {
            return Ok(Vec::new());
        }
        let at = now_ms();
        let event_ids: Vec<i64> = self.events.iter().map(|_| ids.next_id()).collect();
        sqlx::query(
            "INSERT INTO stream_events (id, kind, data, created_at)
             SELECT id, kind, data, $4 FROM unnest($1::bigint[], $2::text[], $3::text[]) AS t(id, kind, data)",
        )
        .bind(&event_ids)
        .bind(self.events.iter().map(|(_, b)| b.kind.clone()).collect::<Vec<_>>())
        .bind(self.events.iter().map(|(_, b)| b.data.clone()).collect::<Vec<_>>())
        .bind(at)
        .execute(&mut *c)
        .await
        .db()?;

        // How many positions each receiver needs, in ascending id: the lock order.
        let mut counts: BTreeMap<i64, i64> = BTreeMap::new();
        for user in self.events.iter().flat_map(|(users, _)| users) {
            *counts.entry(user.0).or_default() += 1;
        }
        let heads = sqlx::query(
            "INSERT INTO stream_heads (user_id, position)
             SELECT user_id, n FROM unnest($1::bigint[], $2::bigint[]) AS t(user_id, n) ORDER BY user_id
             ON CONFLICT (user_id) DO UPDATE SET position = stream_heads.position + excluded.position
             RETURNING user_id, position",
        )
        .bind(counts.keys().copied().collect::<Vec<_>>())
        .bind(counts.values().copied().collect::<Vec<_>>())
        .fetch_all(&mut *c)
        .await
        .db()?;
        // Each receiver's next position: their new head minus what this write takes, plus one.
        let mut next: BTreeMap<i64, i64> = BTreeMap::new();
        for row in &heads {
            let (user, head): (i64, i64) = (row.try_get(0).db()?, row.try_get(1).db()?);
            let taken = counts.get(&user).copied().unwrap_or_default();
            next.insert(user, head - taken + 1);
        }

        let mut rows = (Vec::new(), Vec::new(), Vec::new());
        let mut out = Vec::new();
        for ((users, body), event_id) in self.events.into_iter().zip(event_ids) {
            for user in users {
                let slot = next
                    .get_mut(&user.0)
                    .ok_or_else(|| Error::internal("no stream head for a receiver"))?;
                let position = *slot;
                *slot += 1;
                rows.0.push(user.0);
                rows.1.push(position);
                rows.2.push(event_id);
                out.push(Delivery {
                    user_id: user,
                    position: Some(position),
                    body: body.clone(),
                });
            }
        }
        sqlx::query(
            "INSERT INTO user_stream (user_id, position, stream_event_id)
             SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])",
        )
        .bind(rows.0)
        .bind(rows.1)
        .bind(rows.2)
        .execute(&mut *c)
        .await
        .db()?;
        Ok(out)
    }
}
