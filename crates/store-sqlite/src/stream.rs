//! Replaying a user's stream from a position.

use std::sync::Arc;

use async_trait::async_trait;
use postern_core::stream::{Delivery, EventBody};
use postern_core::{Result, UserId};
use postern_store::{Fanout, Replayed, StreamStore};

use crate::SqliteStore;
use crate::rows::Db;

#[async_trait]
impl StreamStore for SqliteStore {
    async fn record_events(&self, fanout: Fanout) -> Result<Vec<Delivery>> {
        self.write(move |c| crate::fanout::record(c, &fanout)).await
    }

    async fn stream_since(&self, user: UserId, after: i64, limit: usize) -> Result<Vec<Replayed>> {
        let read = move |c: &rusqlite::Connection| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT s.position, e.kind, e.data, e.created_at FROM user_stream s JOIN stream_events e ON e.id = s.stream_event_id
                     WHERE s.user_id = ?1 AND s.position > ?2 ORDER BY s.position LIMIT ?3",
                )
                .db()?;
            let found = stmt
                .query_map((user.0, after, limit), |r| {
                    Ok(Replayed {
                        position: r.get(0)?,
                        body: Arc::new(EventBody {
                            kind: r.get(1)?,
                            data: r.get(2)?,
                        }),
                        at_ms: r.get(3)?,
                    })
                })
                .db()?;
            found.collect::<rusqlite::Result<Vec<_>>>().db()
        };
        // A short page (a webhook lease's) is a bounded walk of two primary keys, cheaper
        // than the two thread hand-offs a blocking read costs; a long replay goes off the
        // async threads.
        if limit <= SHORT_PAGE {
            self.lookup(read).await
        } else {
            self.read(read).await
        }
    }

    async fn stream_position(&self, user: UserId) -> Result<i64> {
        self.lookup(move |c| {
            c.prepare_cached(LAST_POSITION)
                .db()?
                .query_row([user.0], |r| r.get(0))
                .db()
        })
        .await
    }
}

/// The most events [`StreamStore::stream_since`] reads on the calling thread.
const SHORT_PAGE: usize = 64;

/// A user's newest position: the end of their primary-key range, so no counter row has to be
/// rewritten on every event (that row update cost a page write per recipient per commit).
pub(crate) const LAST_POSITION: &str =
    "SELECT coalesce(max(position), 0) FROM user_stream WHERE user_id = ?1";
