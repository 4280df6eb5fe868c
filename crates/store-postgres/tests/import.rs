//! The two halves of `postern migrate-data` below the command: SQLite's export streams a
//! table in chunks, PostgreSQL's import loads them (several chunks per table here), converting
//! flags to BOOLEAN and keeping NULLs, blobs and text as they were; values that do not fit
//! and shapes that do not match are refused, and an unfinished table rolls back.

use std::sync::Arc;

use postern_core::IdGenerator;
use postern_store::copy::{Cell, TableShape};
use postern_store_postgres::PostgresStore;
use postern_store_postgres::schema::{BACKEND_ONLY, Backend};
use postern_store_sqlite::SqliteStore;
use postern_store_sqlite::export::{Export, SCHEMA_VERSION};
use postern_testkit::postgres::TestDatabase;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

/// More than two chunks of [`CHUNK`], the last one short.
const USERS: i64 = 2_345;
const CHUNK: usize = 1_000;

fn must<T, E: std::fmt::Debug>(r: Result<T, E>, what: &str) -> T {
    r.unwrap_or_else(|e| panic!("{what}: {e:?}"))
}

type UserRow = (i64, String, Option<String>, bool, bool, i64);
type TokenRow = (i64, i64, Vec<u8>, Option<String>, Option<i64>);

/// An embedded database with `USERS` users (every third verified, every fifth without an
/// avatar, names outside ASCII) and a token for every other one.
fn embedded(path: &std::path::Path) {
    drop(must(
        SqliteStore::open(path, Arc::new(IdGenerator::new(1))),
        "create",
    ));
    let mut conn = must(rusqlite::Connection::open(path), "open");
    let tx = must(conn.transaction(), "begin");
    for i in 1..=USERS {
        let avatar = (i % 5 != 0).then(|| format!("{i:032x}"));
        must(
            tx.execute(
                "INSERT INTO users (id, screen_name, screen_name_key, name, avatar_key, verified,
                                    password_hash, read_receipts, created_at)
                 VALUES (?1, ?2, lower(?2), ?3, ?4, ?5, 'hash', ?6, ?7)",
                rusqlite::params![
                    i,
                    format!("user{i}"),
                    format!("Zoë {i} ✉"),
                    avatar,
                    i % 3 == 0,
                    i % 2 == 0,
                    1_700_000_000_000 + i
                ],
            ),
            "user",
        );
        if i % 2 == 1 {
            let hash: Vec<u8> = i.to_le_bytes().repeat(4);
            let expires = (i % 4 == 1).then_some(1_800_000_000_000_i64);
            must(
                tx.execute(
                    "INSERT INTO tokens (id, user_id, kind, hash, created_at, expires_at)
                     VALUES (?1, ?2, 'session', ?3, 0, ?4)",
                    rusqlite::params![10_000 + i, i, hash, expires],
                ),
                "token",
            );
        }
    }
    must(tx.commit(), "commit");
}

fn sqlite_only() -> Vec<(&'static str, Option<&'static str>)> {
    BACKEND_ONLY
        .iter()
        .filter(|o| o.backend == Backend::Sqlite)
        .map(|o| (o.table, o.column))
        .collect()
}

/// Loads `table` from the export in chunks; returns (rows read, rows written, chunks).
async fn copy(export: &Export, store: &PostgresStore, table: &TableShape) -> (u64, u64, usize) {
    let mut chunks = Vec::new();
    let read = must(
        export.rows(table, CHUNK, |chunk| {
            chunks.push(chunk);
            Ok(())
        }),
        "read",
    );
    let count = chunks.len();
    let mut import = must(store.import_table(table).await, "import");
    for chunk in chunks {
        must(import.write(chunk).await, "write");
    }
    (read, must(import.commit().await, "commit"), count)
}

#[postern_testkit::test(needs(Postgres))]
async fn tables_copy_in_chunks_with_their_values_intact() {
    let db = TestDatabase::create().await;
    let dir = must(tempfile::tempdir(), "tempdir");
    let path = dir.path().join("postern.db");
    embedded(&path);
    let export = must(Export::open(&path), "export");
    assert_eq!(must(export.schema_version(), "version"), SCHEMA_VERSION);
    let tables = must(export.tables(&sqlite_only()), "tables");
    let store = must(PostgresStore::connect(&db.url, Some(1)).await, "connect");

    // The export's tables are PostgreSQL's, users before the tokens that reference them.
    let shared = must(store.shared_tables().await, "shared");
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        shared.keys().map(String::as_str).collect::<Vec<_>>()
    );
    let at = |name: &str| names.iter().position(|n| *n == name);
    assert!(
        matches!((at("users"), at("tokens")), (Some(u), Some(t)) if u < t),
        "{names:?}"
    );
    assert!(!names.contains(&"events_fts"));
    let events = tables.iter().find(|t| t.name == "events");
    assert!(events.is_some_and(|t| !t.columns.iter().any(|c| c == "search")));

    for table in tables
        .iter()
        .filter(|t| t.name == "users" || t.name == "tokens")
    {
        let (read, written, chunks) = copy(&export, &store, table).await;
        let expected = must(export.count(&table.name), "count");
        assert_eq!((read, written), (expected, expected), "{}", table.name);
        assert_eq!(must(store.count_rows(&table.name).await, "count"), expected);
        if table.name == "users" {
            assert_eq!(chunks, 3, "2,345 rows in chunks of 1,000");
        }
    }

    let lite = must(rusqlite::Connection::open(&path), "open");
    let pool = must(sqlx::PgPool::connect(&db.url).await, "pool");
    let users_sql =
        "SELECT id, name, avatar_key, verified, read_receipts, created_at FROM users ORDER BY id";
    let mut statement = must(lite.prepare(users_sql), "prepare");
    let source: Vec<UserRow> = must(
        must(
            statement.query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            }),
            "query",
        )
        .collect::<Result<Vec<_>, _>>(),
        "rows",
    );
    let target: Vec<UserRow> = must(sqlx::query_as(users_sql).fetch_all(&pool).await, "users");
    assert_eq!(source.len(), 2_345);
    assert_eq!(source, target, "users arrive unchanged");
    let tokens_sql = "SELECT id, user_id, hash, name, expires_at FROM tokens ORDER BY id";
    let mut statement = must(lite.prepare(tokens_sql), "prepare");
    let source: Vec<TokenRow> = must(
        must(
            statement.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            }),
            "query",
        )
        .collect::<Result<Vec<_>, _>>(),
        "rows",
    );
    let target: Vec<TokenRow> = must(sqlx::query_as(tokens_sql).fetch_all(&pool).await, "tokens");
    assert_eq!(source.len(), 1_173);
    assert_eq!(source, target, "tokens arrive unchanged");
    pool.close().await;
    drop(store);
    db.drop_database().await;
}

#[postern_testkit::test(needs(Postgres))]
async fn misfits_are_refused_and_an_unfinished_table_rolls_back() {
    let db = TestDatabase::create().await;
    let store = must(PostgresStore::connect(&db.url, Some(1)).await, "connect");
    let follows = |columns: &[&str]| TableShape {
        name: "follows".into(),
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
    };
    // A column short, a column PostgreSQL lacks, a table it lacks: refused before loading.
    for (shape, says) in [
        (
            follows(&["follower_id", "followee_id"]),
            "are not PostgreSQL's",
        ),
        (
            follows(&["follower_id", "followee_id", "seq", "extra"]),
            "are not PostgreSQL's",
        ),
        (
            TableShape {
                name: "events_fts".into(),
                columns: vec!["text".into()],
            },
            "has no table events_fts",
        ),
    ] {
        let refused = store
            .import_table(&shape)
            .await
            .err()
            .map(|e| e.to_string());
        assert!(
            refused.as_deref().is_some_and(|e| e.contains(says)),
            "{shape:?}: {refused:?}"
        );
    }

    // Columns in another order than PostgreSQL's are fine; a value that does not fit is
    // refused with its place, and the rows written before it are rolled back.
    let shape = follows(&["seq", "followee_id", "follower_id"]);
    let mut import = must(store.import_table(&shape).await, "import");
    let row = |seq: i64| vec![Cell::Integer(seq), Cell::Integer(2), Cell::Integer(seq)];
    must(import.write(vec![row(1), row(2)]).await, "first chunk");
    let bad = vec![
        row(3),
        vec![Cell::Integer(4), Cell::Text("two".into()), Cell::Integer(4)],
    ];
    let refused = import.write(bad).await.err().map(|e| e.to_string());
    assert!(
        refused.as_deref().is_some_and(
            |e| e.contains("follows.followee_id, row 4: text does not fit a BIGINT column")
        ),
        "{refused:?}"
    );
    drop(import);
    assert_eq!(must(store.count_rows("follows").await, "count"), 0);

    let mut import = must(store.import_table(&shape).await, "import");
    must(import.write(vec![row(7)]).await, "write");
    assert_eq!(must(import.commit().await, "commit"), 1);
    let pool = must(sqlx::PgPool::connect(&db.url).await, "pool");
    let stored: (i64, i64, i64) = must(
        sqlx::query_as("SELECT follower_id, followee_id, seq FROM follows")
            .fetch_one(&pool)
            .await,
        "follows",
    );
    assert_eq!(stored, (7, 2, 7), "each value lands in its named column");
    pool.close().await;
    drop(store);
    db.drop_database().await;
}
