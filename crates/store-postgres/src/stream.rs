//! Replaying a user's stream from a position.

use std::sync::Arc;

use async_trait::async_trait;
use postern_core::stream::{Delivery, EventBody};
use postern_core::{Result, UserId};
use postern_store::{Fanout, Replayed, StreamStore};
use sqlx::Row;

use crate::PostgresStore;
use crate::fanout::Outbox;
use crate::rows::{Db, map_all, sql_count};

#[async_trait]
impl StreamStore for PostgresStore {
    async fn record_events(&self, fanout: Fanout) -> Result<Vec<Delivery>> {
        let tx = self.begin().await?;
        Outbox::of(&fanout).commit(tx, &self.ids).await
    }

    async fn stream_since(&self, user: UserId, after: i64, limit: usize) -> Result<Vec<Replayed>> {
        let found = sqlx::query(
            "SELECT s.position, e.kind, e.data FROM user_stream s JOIN stream_events e ON e.id = s.stream_event_id
             WHERE s.user_id = $1 AND s.position > $2 ORDER BY s.position LIMIT $3",
        )
        .bind(user.0)
        .bind(after)
        .bind(sql_count(limit))
        .fetch_all(&self.pool)
        .await
        .db()?;
        map_all(found, |r| {
            Ok(Replayed {
                position: r.try_get(0)?,
                body: Arc::new(EventBody {
                    kind: r.try_get(1)?,
                    data: r.try_get(2)?,
                }),
            })
        })
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
