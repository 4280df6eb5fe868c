//! Conversations that an earlier version let a client create under a second spelling of a
//! one-to-one id ('0A-B'): a database holding one is refused at start with a report naming
//! it, and nothing in it is changed.

use std::time::Duration;

use postern_testkit::postgres::TestDatabase;

use crate::common::{Client, s, test_config};

/// Adds, beside every conversation, a copy spelt with a leading zero (what the old parse
/// accepted), and forgets that the migration checking spellings ran.
const SECOND_SPELLINGS: &str = "INSERT INTO conversations \
     SELECT '0' || id, kind, name, created_by, created_at, last_event_id, member_count \
     FROM conversations";

/// Starts a server on `config`, has Alice write to Bob, and stops it: the conversation id.
async fn one_conversation(config: &postern::Config) -> String {
    let running = postern::start(config, None)
        .await
        .unwrap_or_else(|e| panic!("start: {e:#}"));
    let api = Client::new(&format!("http://{}", running.addr));
    let (alice_id, alice) = api.user("alice").await;
    let (bob_id, bob) = api.user("bob").await;
    api.follow(&bob, &alice_id).await;
    let id = s(&api.dm(&alice, &bob_id, "hello").await["conversation_id"]);
    running.stop(Duration::from_secs(5)).await;
    id
}

fn assert_refused(started: anyhow::Result<postern::Running>, spelling: &str) {
    let error = match started {
        Ok(_) => panic!("a database with {spelling} started"),
        Err(e) => format!("{e:#}"),
    };
    assert!(
        error.contains("conversations with more than one spelling")
            && error.contains(&format!("{spelling} (0 events)")),
        "{error}"
    );
}

#[postern_testkit::test]
async fn an_embedded_database_with_a_second_spelling_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let config = test_config(dir.path());
    let id = one_conversation(&config).await;
    let db = rusqlite::Connection::open(dir.path().join("postern.db"))
        .unwrap_or_else(|e| panic!("open: {e}"));
    db.execute_batch(&format!("{SECOND_SPELLINGS}; PRAGMA user_version = 3;"))
        .unwrap_or_else(|e| panic!("second spelling: {e}"));
    drop(db);

    assert_refused(postern::start(&config, None).await, &format!("0{id}"));
    let db = rusqlite::Connection::open(dir.path().join("postern.db"))
        .unwrap_or_else(|e| panic!("open: {e}"));
    let kept: i64 = db
        .query_row("SELECT count(*) FROM conversations", [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("count: {e}"));
    assert_eq!(kept, 2, "nothing was changed");
}

#[postern_testkit::test(needs(Postgres))]
async fn a_postgres_database_with_a_second_spelling_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let database = TestDatabase::create().await;
    let mut config = test_config(dir.path());
    config.database.url = database.url.clone();
    let id = one_conversation(&config).await;
    let pool = sqlx::PgPool::connect(&database.url)
        .await
        .unwrap_or_else(|e| panic!("connect: {e}"));
    for statement in [
        SECOND_SPELLINGS,
        "DELETE FROM schema_migrations WHERE version = 5",
    ] {
        sqlx::query(statement)
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }

    assert_refused(postern::start(&config, None).await, &format!("0{id}"));
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM conversations")
        .fetch_one(&pool)
        .await
        .unwrap_or_else(|e| panic!("count: {e}"));
    assert_eq!(kept, 2, "nothing was changed");
    pool.close().await;
}
