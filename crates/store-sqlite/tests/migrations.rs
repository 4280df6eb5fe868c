//! Migrations carry existing data forward.

use std::sync::Arc;

use postern_core::model::ConversationEvent;
use postern_core::{ConversationId, EventId, IdGenerator};
use postern_store::MessageStore;
use postern_store_sqlite::SqliteStore;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

fn must<T, E: std::fmt::Debug>(r: Result<T, E>, what: &str) -> T {
    r.unwrap_or_else(|e| panic!("{what}: {e:?}"))
}

/// Version 2 gives message edits their conversation's id; edits stored under version 1 keep
/// their history.
#[postern_testkit::test]
async fn edits_from_version_1_keep_their_history() {
    let dir = must(tempfile::tempdir(), "tempdir");
    let path = dir.path().join("postern.db");
    {
        let conn = must(rusqlite::Connection::open(&path), "open");
        must(
            conn.execute_batch(include_str!("../src/schema.sql")),
            "schema v1",
        );
        must(
            conn.execute_batch(
                "INSERT INTO events (id, conversation_id, kind, sender_id, text, edit_count, created_at)
                 VALUES (100, '1-2', 0, 1, 'second', 1, 0);
                 INSERT INTO message_edits (message_id, seq, text, edited_at) VALUES (100, 0, 'first', 5);
                 PRAGMA user_version = 1;",
            ),
            "v1 data",
        );
    }
    let store = must(
        SqliteStore::open(&path, Arc::new(IdGenerator::new(1))),
        "migrate",
    );
    let conversation = ConversationId::from_stored("1-2".to_owned());
    let event = must(store.event(&conversation, EventId(100)).await, "event");
    let Some(ConversationEvent::Message(message)) = event else {
        panic!("no message: {event:?}");
    };
    let history: Vec<&str> = message
        .edit_history
        .iter()
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(history, ["first"]);
    drop(store);
    let conn = must(rusqlite::Connection::open(&path), "reopen");
    let stored: String = must(
        conn.query_row("SELECT conversation_id FROM message_edits", [], |r| {
            r.get(0)
        }),
        "conversation id",
    );
    assert_eq!(stored, "1-2");
}
