//! The rules a distributed PostgreSQL (Citus) holds Postern's schema to, checked on a plain
//! PostgreSQL, so CI catches a migration that would break the Citus path without a cluster
//! (`scripts/citus-check` runs the suites on a real one). Each rule is one Citus refused
//! before it was kept:
//!
//! - every table is placed by `citus::PLAN`, and the plan names no table that is gone;
//! - tables sharded together have keys of one type and one collation (Citus colocates only
//!   equal collations: `media_attachments` was once left in the database's);
//! - every unique key of a sharded table holds its shard key;
//! - a reference table's foreign keys point at reference tables;
//! - no SQL-language function takes parameters (Citus cannot run one's parameters inside a
//!   distributed query: `sent_with_key` made every retried send fail).

use std::collections::{BTreeMap, BTreeSet};

use postern_store_postgres::PostgresStore;
use postern_store_postgres::citus::{PLAN, Placement, anchor};
use postern_testkit::postgres::TestDatabase;
use sqlx::PgPool;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

fn must<T, E: std::fmt::Debug>(r: Result<T, E>, what: &str) -> T {
    r.unwrap_or_else(|e| panic!("{what}: {e:?}"))
}

/// A freshly migrated database, and a pool on it.
async fn migrated() -> (TestDatabase, PgPool) {
    let db = TestDatabase::create().await;
    drop(must(
        PostgresStore::connect(&db.url, Some(1)).await,
        "connect",
    ));
    let pool = must(PgPool::connect(&db.url).await, "pool");
    (db, pool)
}

/// The shard key of a sharded table.
fn shard_key(placement: Placement) -> Option<&'static str> {
    match placement {
        Placement::Conversation(c) | Placement::User(c) | Placement::Own(c) => Some(c),
        Placement::Reference | Placement::Coordinator => None,
    }
}

fn placement(table: &str) -> Option<Placement> {
    PLAN.iter().find(|(t, _)| *t == table).map(|(_, p)| *p)
}

#[postern_testkit::test(needs(Postgres))]
async fn every_table_is_placed_once() {
    let (db, pool) = migrated().await;
    let tables: BTreeSet<String> = must(
        sqlx::query_scalar(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()",
        )
        .fetch_all(&pool)
        .await,
        "tables",
    )
    .into_iter()
    .collect();
    let planned: BTreeSet<String> = PLAN.iter().map(|(t, _)| (*t).to_owned()).collect();
    assert_eq!(planned.len(), PLAN.len(), "the plan names a table twice");
    assert_eq!(
        tables, planned,
        "the tables (left) and citus::PLAN (right) differ: place every new table"
    );
    pool.close().await;
    db.drop_database().await;
}

#[postern_testkit::test(needs(Postgres))]
async fn colocated_keys_share_type_and_collation() {
    let (db, pool) = migrated().await;
    // (type, collation) of each planned shard key.
    let mut keys = BTreeMap::new();
    for (table, placement) in PLAN {
        let Some(column) = shard_key(*placement) else {
            continue;
        };
        let key: (String, Option<String>) = must(
            sqlx::query_as(
                "SELECT format_type(a.atttypid, a.atttypmod), co.collname::text
                 FROM pg_attribute a LEFT JOIN pg_collation co ON co.oid = a.attcollation
                 WHERE a.attrelid = $1::regclass AND a.attname = $2 AND NOT a.attisdropped",
            )
            .bind(table)
            .bind(column)
            .fetch_optional(&pool)
            .await,
            "key",
        )
        .unwrap_or_else(|| panic!("{table} has no column {column}"));
        keys.insert(*table, key);
    }
    for (table, placement) in PLAN {
        let Some(anchor) = anchor(*placement) else {
            continue;
        };
        assert_eq!(
            keys.get(table),
            keys.get(anchor),
            "{table}'s shard key must have {anchor}'s type and collation to live beside it"
        );
    }
    pool.close().await;
    db.drop_database().await;
}

#[postern_testkit::test(needs(Postgres))]
async fn unique_keys_hold_the_shard_key() {
    let (db, pool) = migrated().await;
    let unique: Vec<(String, String, Vec<String>)> = must(
        sqlx::query_as(
            "SELECT t.relname::text, i.relname::text,
                    array(SELECT a.attname::text FROM pg_attribute a
                          WHERE a.attrelid = t.oid AND a.attnum = ANY(x.indkey))
             FROM pg_index x
             JOIN pg_class t ON t.oid = x.indrelid
             JOIN pg_class i ON i.oid = x.indexrelid
             JOIN pg_namespace n ON n.oid = t.relnamespace
             WHERE x.indisunique AND n.nspname = current_schema()",
        )
        .fetch_all(&pool)
        .await,
        "unique indexes",
    );
    assert!(!unique.is_empty());
    for (table, index, columns) in unique {
        let Some(key) = placement(&table).and_then(shard_key) else {
            continue;
        };
        assert!(
            columns.iter().any(|c| c == key),
            "{index} on {table} ({columns:?}) must include the shard key {key}"
        );
    }
    pool.close().await;
    db.drop_database().await;
}

#[postern_testkit::test(needs(Postgres))]
async fn reference_tables_refer_only_to_reference_tables() {
    let (db, pool) = migrated().await;
    let references: Vec<(String, String)> = must(
        sqlx::query_as(
            "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint
             WHERE contype = 'f' AND connamespace = current_schema()::regnamespace",
        )
        .fetch_all(&pool)
        .await,
        "foreign keys",
    );
    for (from, to) in references {
        if placement(&from) == Some(Placement::Reference) {
            assert_eq!(
                placement(&to),
                Some(Placement::Reference),
                "{from} is a reference table, so {to}, which it refers to, must be one"
            );
        }
    }
    pool.close().await;
    db.drop_database().await;
}

#[postern_testkit::test(needs(Postgres))]
async fn no_sql_function_takes_parameters() {
    let (db, pool) = migrated().await;
    let functions: Vec<String> = must(
        sqlx::query_scalar(
            "SELECT p.proname::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
             WHERE l.lanname = 'sql' AND p.pronargs > 0
               AND p.pronamespace = current_schema()::regnamespace",
        )
        .fetch_all(&pool)
        .await,
        "functions",
    );
    assert!(
        functions.is_empty(),
        "SQL-language functions with parameters fail inside Citus's distributed queries; \
         write them in PL/pgSQL: {functions:?}"
    );
    pool.close().await;
    db.drop_database().await;
}
