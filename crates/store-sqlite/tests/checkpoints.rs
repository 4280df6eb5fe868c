//! Committed writes reach the database file itself in the background: the writer does not
//! stall for checkpoints, and a small write is not left in the log until thousands more
//! pages pile up behind it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use postern_core::{IdGenerator, UserId};
use postern_store::{AccountStore, NewUser};
use postern_store_sqlite::SqliteStore;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

fn must<T, E: std::fmt::Debug>(r: Result<T, E>, what: &str) -> T {
    r.unwrap_or_else(|e| panic!("{what}: {e:?}"))
}

/// Whether the database file alone, without its write-ahead log, holds the user. A copy
/// taken while a checkpoint writes may be torn; that reads as "not yet".
fn in_main_file(db: &std::path::Path, user: UserId) -> bool {
    let copy = must(tempfile::tempdir(), "tempdir");
    let path = copy.path().join("copy.db");
    must(std::fs::copy(db, &path), "copy the database file");
    rusqlite::Connection::open(&path)
        .and_then(|conn| {
            conn.query_row("SELECT count(*) FROM users WHERE id = ?1", [user.0], |r| {
                r.get::<_, i64>(0)
            })
        })
        .is_ok_and(|n| n == 1)
}

#[postern_testkit::test]
async fn commits_are_checkpointed_in_the_background() {
    let dir = must(tempfile::tempdir(), "tempdir");
    let path = dir.path().join("postern.db");
    let ids = Arc::new(IdGenerator::new(1));
    let store = must(SqliteStore::open(&path, ids.clone()), "open");
    let user = UserId(ids.next_id());
    must(
        store
            .create_user(NewUser {
                id: user,
                screen_name: "checkpointed".into(),
                name: "Checkpointed".into(),
                password_hash: "not a hash".into(),
                verified: false,
                created_at: Utc::now(),
            })
            .await,
        "create user",
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !in_main_file(&path, user) {
        assert!(
            Instant::now() < deadline,
            "the commit is still only in the write-ahead log after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
