//! Keeping the FTS5 message index in step with `events`, cheaply.
//!
//! FTS5 writes its pending changes to disk at every savepoint, and the writer opens one
//! savepoint per job, so indexing inline would write (and later merge) a new index segment
//! for every message: that alone cost a third of the writer's time. Changes are queued in a
//! temporary table instead — a failed job's savepoint rolls its entries back with the rest of
//! its writes — and applied once per group commit, after the last savepoint, in one segment.

use postern_core::Result;
use rusqlite::Connection;

use crate::rows::Db;

/// Run once on the writer's connection.
pub(crate) const SETUP: &str = "PRAGMA temp_store = MEMORY;
    CREATE TEMP TABLE IF NOT EXISTS fts_pending (
        seq       INTEGER PRIMARY KEY,
        is_delete INTEGER NOT NULL,
        event_id  INTEGER NOT NULL,
        text      TEXT NOT NULL
    );";

/// Queues `text` to be findable as event `id`.
pub(crate) fn add(c: &Connection, id: i64, text: &str) -> Result<()> {
    queue(c, false, id, text)
}

/// Queues removal of event `id`, whose indexed text was `text` (FTS5 external-content
/// tables need the old text to find its entries).
pub(crate) fn remove(c: &Connection, id: i64, text: &str) -> Result<()> {
    queue(c, true, id, text)
}

fn queue(c: &Connection, is_delete: bool, id: i64, text: &str) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO temp.fts_pending (is_delete, event_id, text) VALUES (?1, ?2, ?3)",
    )
    .db()?
    .execute((is_delete, id, text))
    .db()?;
    Ok(())
}

/// Applies the queue in order (an edit is a removal then an addition) and empties it. The
/// writer calls this after a batch's jobs and before its commit.
pub(crate) fn flush(c: &Connection) -> rusqlite::Result<()> {
    // A NULL in the hidden `events_fts` column is a plain insert; 'delete' is the command.
    c.prepare_cached(
        "INSERT INTO events_fts (events_fts, rowid, text)
         SELECT CASE WHEN is_delete THEN 'delete' END, event_id, text FROM temp.fts_pending ORDER BY seq",
    )?
    .execute([])?;
    c.prepare_cached("DELETE FROM temp.fts_pending")?
        .execute([])?;
    Ok(())
}
