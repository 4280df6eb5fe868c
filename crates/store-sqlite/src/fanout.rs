//! Recording stream events inside a write: each receiver gets the next dense position.

use std::sync::Arc;

use postern_core::stream::{Delivery, EventBody, StreamEvent};
use postern_core::{Error, UserId};
use postern_store::Fanout;
use rusqlite::Connection;

use crate::rows::{Db, now_ms};

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
    let mut bump = conn
        .prepare_cached("UPDATE users SET stream_position = stream_position + 1 WHERE id = ?1 RETURNING stream_position")
        .db()?;
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO user_stream (user_id, position, stream_event_id) VALUES (?1, ?2, ?3)",
        )
        .db()?;
    let mut out = Vec::with_capacity(users.len());
    for user in users {
        let position: i64 = bump.query_row([user.0], |r| r.get(0)).db()?;
        insert.execute((user.0, position, stream_event_id)).db()?;
        out.push(Delivery {
            user_id: *user,
            position: Some(position),
            body: body.clone(),
        });
    }
    Ok(out)
}
