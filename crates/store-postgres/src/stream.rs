//! Replaying a user's stream from a position.

use std::sync::Arc;

use async_trait::async_trait;
use postern_core::stream::{Delivery, EventBody};
use postern_core::{Result, UserId};
use postern_store::{Fanout, Replayed, StreamStore};
use sqlx::Row;

use crate::PostgresStore;
use crate::fanout::Outbox;
use crate::rows::{Db, sql_count};

#[async_trait]
impl StreamStore for PostgresStore {
    async fn record_events(&self, fanout: Fanout) -> Result<Vec<Delivery>> {
        let tx = self.begin().await?;
        Outbox::of(&fanout).commit(tx, &self.ids).await
    }

    async fn stream_since(&self, user: UserId, after: i64, limit: usize) -> Result<Vec<Replayed>> {
        // The user's positions, then the events they point to: two single-table reads, as a
        // distributed PostgreSQL (Citus) keeps a user's positions by user and the events by
        // id, on different workers, and cannot join them without repartitioning.
        let mut c = self.conn().await?;
        let placed: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT position, stream_event_id FROM user_stream
             WHERE user_id = $1 AND position > $2 ORDER BY position LIMIT $3",
        )
        .bind(user.0)
        .bind(after)
        .bind(sql_count(limit))
        .fetch_all(&mut *c)
        .await
        .db()?;
        if placed.is_empty() {
            return Ok(Vec::new());
        }
        // On one PostgreSQL the events are all there: they committed with the positions,
        // before the first read began. On a distributed one a send commits on each worker
        // in turn, so for a moment a position can be visible before its event; the event is
        // committed by then and shows within milliseconds, so read the missing ones again a
        // few times. A replay still short stops before the first missing position, as if it
        // had not happened yet, and the reader asks again from there.
        let mut bodies = std::collections::HashMap::with_capacity(placed.len());
        for wait_ms in [0, 1, 2, 5, 10, 20, 50] {
            let missing: Vec<i64> = placed
                .iter()
                .map(|(_, id)| *id)
                .filter(|id| !bodies.contains_key(id))
                .collect();
            if missing.is_empty() {
                break;
            }
            if wait_ms > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(wait_ms)).await;
            }
            let found = sqlx::query(
                "SELECT id, kind, data, created_at FROM stream_events WHERE id = ANY($1)",
            )
            .bind(&missing)
            .fetch_all(&mut *c)
            .await
            .db()?;
            for r in found {
                let id: i64 = r.try_get(0).db()?;
                let body = EventBody {
                    kind: r.try_get(1).db()?,
                    data: r.try_get(2).db()?,
                };
                bodies.insert(id, (Arc::new(body), r.try_get::<i64, _>(3).db()?));
            }
        }
        Ok(placed
            .into_iter()
            .map_while(|(position, id)| {
                let (body, at_ms) = bodies.get(&id).cloned()?;
                Some(Replayed {
                    position,
                    body,
                    at_ms,
                })
            })
            .collect())
    }

    // Read from the stream itself, as SQLite does, rather than from `stream_heads`: the answer
    // then never depends on derived state (rows copied from SQLite have no heads until
    // `rebuild_derived` runs). The primary key makes it one index probe either way.
    async fn stream_position(&self, user: UserId) -> Result<i64> {
        sqlx::query_scalar("SELECT coalesce(max(position), 0) FROM user_stream WHERE user_id = $1")
            .bind(user.0)
            .fetch_one(&self.pool)
            .await
            .db()
    }
}
