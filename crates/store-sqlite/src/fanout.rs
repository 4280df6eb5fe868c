//! Recording stream events inside a write: each receiver gets the next dense position.

use std::sync::Arc;

use postern_core::stream::{Delivery, EventBody, StreamEvent};
use postern_core::{Error, UserId};
use postern_store::Fanout;
use rusqlite::Connection;

use crate::rows::{Db, now_ms};
use crate::stream::LAST_POSITION;

pub fn record(conn: &Connection, fanout: &Fanout) -> Result<Vec<Delivery>, Error> {
    let mut out = Vec::new();
    for (users, event) in &fanout.0 {
        out.extend(record_one(conn, users, event)?);
    }
    Ok(out)
}

pub fn record_one(
    conn: &Connection,
    users: &[UserId],
    event: &StreamEvent,
) -> Result<Vec<Delivery>, Error> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let body = Arc::new(EventBody::render(event));
    conn.prepare_cached("INSERT INTO stream_events (kind, data, created_at) VALUES (?1, ?2, ?3)")
        .db()?
        .execute((&body.kind, &body.data, now_ms()))
        .db()?;
    let stream_event_id = conn.last_insert_rowid();
    // Only the writer appends, so the next position cannot be taken twice.
    let mut last = conn.prepare_cached(LAST_POSITION).db()?;
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO user_stream (user_id, position, stream_event_id) VALUES (?1, ?2, ?3)",
        )
        .db()?;
    let mut out = Vec::with_capacity(users.len());
    for user in users {
        let position = last.query_row([user.0], |r| r.get::<_, i64>(0)).db()? + 1;
        insert.execute((user.0, position, stream_event_id)).db()?;
        out.push(Delivery {
            user_id: *user,
            position: Some(position),
            body: body.clone(),
        });
    }
    Ok(out)
}
