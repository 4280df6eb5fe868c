//! The embedded migrations, and where PostgreSQL's schema departs from SQLite's.
//!
//! Both backends have the same tables with the same columns (a test compares them), so rows
//! can be copied table to table; the exceptions are listed in [`BACKEND_ONLY`], in one place.

use postern_core::{Error, Result};
use sqlx::{Executor, PgConnection};

use crate::rows::{Db, now_ms};

/// Embedded migrations, applied in order; `schema_migrations` records which ran.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("schema/0001_initial.sql")),
    // Functions, not tables: the logical schema shared with SQLite is unchanged.
    (2, include_str!("schema/0002_append_message.sql")),
    (3, include_str!("schema/0003_media.sql")),
    (4, include_str!("schema/0004_append_message_loop.sql")),
    // A check, not a change: refuses to go on while a conversation has two spellings.
    (
        5,
        include_str!("schema/0005_one_spelling_per_conversation.sql"),
    ),
    (6, include_str!("schema/0006_media_uploading_by_owner.sql")),
    (7, include_str!("schema/0007_avatar_key.sql")),
    // From here, the cold tables' shared migrations (postern_store::cold::migrations).
    (8, postern_store::cold::migrations::SUPPORT),
    (9, postern_store::cold::migrations::MESSAGE_PARTS),
    (10, postern_store::cold::migrations::CUSTOM_PROFILES),
    (11, postern_store::cold::migrations::WELCOME_MESSAGES),
    // The full-text index ColdSql::search reads, then the tables that use it.
    (12, include_str!("schema/0012_cold_text.sql")),
    (13, postern_store::cold::migrations::POSTS),
    (14, postern_store::cold::migrations::DM_CARDS),
    (15, postern_store::cold::migrations::FEEDBACK),
    (16, postern_store::cold::migrations::INSIGHTS),
    // A function again: `append_message` keeps version 16's insights.
    (17, include_str!("schema/0017_append_message_tally.sql")),
    (18, postern_store::cold::migrations::APPS),
    (19, postern_store::cold::migrations::FEEDBACK_DISPLAY_NAME),
    (20, postern_store::cold::migrations::APP_BEARER_SEALED),
    (21, postern_store::cold::migrations::OAUTH_PENDING),
    (22, postern_store::cold::migrations::WEBHOOKS),
    (23, postern_store::cold::migrations::CONVERSATION_CONTROL),
    (24, postern_store::cold::migrations::BOT_FLOWS),
    (25, postern_store::cold::migrations::WEBHOOK_REPLAYS),
    (26, postern_store::cold::migrations::ACTIVITY_SUBSCRIPTIONS),
    (27, postern_store::cold::migrations::WEBHOOK_LOG_INDEX),
    (28, postern_store::cold::migrations::WEBHOOK_CRC),
    // A collation, for Citus (see `citus`).
    (29, include_str!("schema/0029_attachments_collation.sql")),
    // A function again: `append_message` finds a retried key without `sent_with_key`.
    (30, include_str!("schema/0030_append_message_keys.sql")),
    // A function again: `append_message` in fewer statements (for Citus, fewer round trips).
    (
        31,
        include_str!("schema/0031_append_message_statements.sql"),
    ),
    (32, postern_store::cold::migrations::WEBHOOK_LOG_POSTS),
];

/// The advisory lock held while migrating, so nodes starting together migrate once.
/// ("Postern" in ASCII, then 1.)
const MIGRATION_LOCK: i64 = 0x506f_7374_6572_6e01;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A table, or one column of a table, that only one backend has.
#[derive(Debug, Clone, Copy)]
pub struct BackendOnly {
    pub backend: Backend,
    pub table: &'static str,
    /// `None`: the whole table.
    pub column: Option<&'static str>,
    pub why: &'static str,
}

const fn only(
    backend: Backend,
    table: &'static str,
    column: Option<&'static str>,
    why: &'static str,
) -> BackendOnly {
    BackendOnly {
        backend,
        table,
        column,
        why,
    }
}

/// Everything in one backend's schema that the other lacks. Nothing here holds data of its
/// own: each is derived from the shared tables ([`crate::PostgresStore::rebuild_derived`]
/// recomputes PostgreSQL's after a copy) or is bookkeeping. Tables named `sqlite_*` are
/// SQLite's own and not listed.
pub const BACKEND_ONLY: &[BackendOnly] = &[
    only(
        Backend::Sqlite,
        "events_fts",
        None,
        "the FTS5 index of message text",
    ),
    only(
        Backend::Sqlite,
        "events_fts_data",
        None,
        "FTS5 shadow table",
    ),
    only(Backend::Sqlite, "events_fts_idx", None, "FTS5 shadow table"),
    only(
        Backend::Sqlite,
        "events_fts_docsize",
        None,
        "FTS5 shadow table",
    ),
    only(
        Backend::Sqlite,
        "events_fts_config",
        None,
        "FTS5 shadow table",
    ),
    only(
        Backend::Sqlite,
        "cold_text",
        None,
        "the FTS5 index of cold tables' text (posts)",
    ),
    only(Backend::Sqlite, "cold_text_data", None, "FTS5 shadow table"),
    only(Backend::Sqlite, "cold_text_idx", None, "FTS5 shadow table"),
    only(
        Backend::Sqlite,
        "cold_text_content",
        None,
        "FTS5 shadow table",
    ),
    only(
        Backend::Sqlite,
        "cold_text_docsize",
        None,
        "FTS5 shadow table",
    ),
    only(
        Backend::Sqlite,
        "cold_text_config",
        None,
        "FTS5 shadow table",
    ),
    only(
        Backend::Postgres,
        "events",
        Some("search"),
        "the message's search words (tsvector, GIN-indexed)",
    ),
    only(
        Backend::Postgres,
        "cold_text",
        None,
        "the search words of cold tables' text (posts), tsvector, GIN-indexed",
    ),
    only(
        Backend::Postgres,
        "stream_heads",
        None,
        "each user's newest stream position, locked to take the next one",
    ),
    only(
        Backend::Postgres,
        "schema_migrations",
        None,
        "applied migrations (SQLite uses PRAGMA user_version)",
    ),
];

/// Columns that are BOOLEAN here and 0/1 INTEGER in SQLite: a copy converts these.
pub const BOOLEAN_COLUMNS: &[(&str, &str)] = &[
    ("users", "verified"),
    ("users", "read_receipts"),
    ("users", "quality_filter"),
    ("participants", "active"),
    ("participants", "muted"),
    ("participants", "archived"),
    ("participants", "accepted"),
    ("participants", "reported"),
    ("events", "deleted"),
    ("media", "shared"),
    ("media", "has_thumbnail"),
    ("media", "attached"),
];

/// Takes the advisory lock held while migrating (and finishing what migrations leave, see
/// `PostgresStore::connect`), so nodes starting together migrate once. The caller closes
/// `conn` afterwards, which releases the lock even if [`unlock`] failed.
pub(crate) async fn lock(conn: &mut PgConnection) -> Result<()> {
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *conn)
        .await
        .db()
        .map(drop)
}

pub(crate) async fn unlock(conn: &mut PgConnection) -> Result<()> {
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *conn)
        .await
        .db()
        .map(drop)
}

/// Applies the migrations not yet recorded, each in its own transaction, under [`lock`].
pub(crate) async fn apply(conn: &mut PgConnection) -> Result<()> {
    // A plain string runs as a simple query, which may hold several statements. (sqlx's
    // `raw_sql` does the same, but its future cannot be proven `Send`.)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version     BIGINT PRIMARY KEY,
            applied_at  BIGINT NOT NULL
        )",
    )
    .await
    .db()?;
    let done: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations")
        .fetch_all(&mut *conn)
        .await
        .db()?;
    if let Some(newer) = done
        .iter()
        .find(|v| !MIGRATIONS.iter().any(|(m, _)| m == *v))
    {
        // A newer server migrated this database. Like the SQLite store, carry on (a rolling
        // upgrade restarts old nodes against the new schema), but say so.
        tracing::warn!(
            version = newer,
            "the database has a migration this version of Postern does not know"
        );
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| !done.contains(v)) {
        let mut tx = sqlx::Connection::begin(&mut *conn).await.db()?;
        tx.execute(*sql)
            .await
            .map_err(|e| Error::internal(format!("migration {version}: {e}")))?;
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(version)
            .bind(now_ms())
            .execute(&mut *tx)
            .await
            .db()?;
        tx.commit().await.db()?;
        tracing::info!(version, "applied PostgreSQL migration");
    }
    Ok(())
}
