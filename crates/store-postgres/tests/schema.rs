//! The two backends' migrations produce the same logical schema (tables and their columns),
//! apart from what `schema::BACKEND_ONLY` lists; and PostgreSQL migrates safely when several
//! nodes start at once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use postern_core::IdGenerator;
use postern_store_postgres::PostgresStore;
use postern_store_postgres::schema::{BACKEND_ONLY, BOOLEAN_COLUMNS, Backend};
use postern_store_sqlite::SqliteStore;
use postern_testkit::postgres::TestDatabase;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

type Schema = BTreeMap<String, BTreeSet<String>>;

fn must<T, E: std::fmt::Debug>(r: Result<T, E>, what: &str) -> T {
    r.unwrap_or_else(|e| panic!("{what}: {e:?}"))
}

/// Removes one backend's own tables and columns.
fn shared(mut schema: Schema, backend: Backend) -> Schema {
    for only in BACKEND_ONLY.iter().filter(|o| o.backend == backend) {
        match only.column {
            None => {
                assert!(
                    schema.remove(only.table).is_some(),
                    "{} is not in the {backend:?} schema",
                    only.table
                );
            }
            Some(column) => {
                let columns = schema.get_mut(only.table);
                let removed = columns.is_some_and(|c| c.remove(column));
                assert!(
                    removed,
                    "{}.{column} is not in the {backend:?} schema",
                    only.table
                );
            }
        }
    }
    schema
}

fn sqlite_schema(path: &std::path::Path) -> Schema {
    let conn = must(rusqlite::Connection::open(path), "open SQLite");
    let mut stmt = must(
        conn.prepare(
            "SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
        ),
        "prepare",
    );
    let rows = must(
        stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))),
        "query",
    );
    let mut schema = Schema::new();
    for row in rows {
        let (table, column) = must(row, "row");
        schema.entry(table).or_default().insert(column);
    }
    schema
}

async fn postgres_schema(url: &str) -> (Schema, BTreeSet<(String, String)>) {
    let pool = must(sqlx::PgPool::connect(url).await, "connect");
    let rows: Vec<(String, String, String)> = must(
        sqlx::query_as(
            // Base tables only: Citus adds views of its own (`citus_tables`) to the schema.
            "SELECT c.table_name::text, c.column_name::text, c.data_type::text
             FROM information_schema.columns c JOIN information_schema.tables t
               ON t.table_schema = c.table_schema AND t.table_name = c.table_name
             WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'",
        )
        .fetch_all(&pool)
        .await,
        "columns",
    );
    pool.close().await;
    let mut schema = Schema::new();
    let mut booleans = BTreeSet::new();
    for (table, column, data_type) in rows {
        if data_type == "boolean" {
            booleans.insert((table.clone(), column.clone()));
        }
        schema.entry(table).or_default().insert(column);
    }
    (schema, booleans)
}

#[postern_testkit::test(needs(Postgres))]
async fn both_backends_share_one_logical_schema() {
    let db = TestDatabase::create().await;
    let store = must(PostgresStore::connect(&db.url, Some(1)).await, "connect");
    drop(store);
    let (pg, booleans) = postgres_schema(&db.url).await;

    let dir = must(tempfile::tempdir(), "tempdir");
    let path = dir.path().join("postern.db");
    let sqlite = must(
        SqliteStore::open(&path, Arc::new(IdGenerator::new(1))),
        "open",
    );
    drop(sqlite);
    let lite = sqlite_schema(&path);

    let (pg, lite) = (shared(pg, Backend::Postgres), shared(lite, Backend::Sqlite));
    assert!(!pg.is_empty());
    assert_eq!(pg, lite, "PostgreSQL (left) and SQLite (right) differ");

    let listed: BTreeSet<(String, String)> = BOOLEAN_COLUMNS
        .iter()
        .map(|(t, c)| ((*t).to_owned(), (*c).to_owned()))
        .collect();
    assert_eq!(
        booleans, listed,
        "BOOLEAN_COLUMNS lists every boolean column"
    );
    db.drop_database().await;
}

#[postern_testkit::test(needs(Postgres), multi_thread)]
async fn nodes_starting_together_migrate_once() {
    let db = TestDatabase::create().await;
    let starts = (0..4).map(|_| {
        let url = db.url.clone();
        tokio::spawn(async move { PostgresStore::connect(&url, None).await })
    });
    let stores: Vec<PostgresStore> = futures::future::join_all(starts)
        .await
        .into_iter()
        .map(|r| must(must(r, "task"), "connect"))
        .collect();
    assert_eq!(stores.len(), 4);
    // Each start without a node id claimed a different one, so their ids differ even when
    // generated in the same millisecond.
    let ids: BTreeSet<i64> = stores
        .iter()
        .map(|s| s.ids().next_id() & (1023 << 12))
        .collect();
    assert_eq!(ids.len(), 4, "distinct node ids");
    drop(stores);
    let again = must(PostgresStore::connect(&db.url, Some(7)).await, "restart");
    drop(again);
    let pool = must(sqlx::PgPool::connect(&db.url).await, "connect");
    let versions: Vec<i64> = must(
        sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&pool)
            .await,
        "versions",
    );
    pool.close().await;
    assert_eq!(
        versions,
        [
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
            25, 26, 27, 28, 29, 30, 31, 32
        ]
    );
    db.drop_database().await;
}

/// The public futures can be spawned (are `Send`), as a server and its tests need.
#[expect(dead_code, reason = "compiled, not run")]
fn futures_are_send(store: Arc<PostgresStore>) {
    tokio::spawn(async move { PostgresStore::connect("postgres://x", None).await.map(drop) });
    tokio::spawn(async move { store.rebuild_derived().await });
    tokio::spawn(async move {
        TestDatabase::create().await.drop_database().await;
    });
}
