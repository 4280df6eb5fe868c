//! Postern's embedded store: SQLite in WAL mode.
//!
//! - [`writer`]: one writer thread with grouped, durable commits, and background checkpoints.
//! - `accounts`, `graph`, `conversations`, `messages`, `stream`: the storage traits.
//! - `rows`: mapping between rows and domain values, shared by the above.
//! - [`export`]: a read-only snapshot read out table by table (`postern migrate-data`).
//!
//! Reads run on a small pool of read-only connections; WAL lets them proceed while the writer
//! commits. Scans run on tokio's blocking threads, each in one read transaction; point
//! lookups run on the calling thread (see [`SqliteStore::lookup`]).

mod accounts;
mod cold;
mod conversations;
pub mod export;
mod fanout;
mod graph;
mod media;
mod messages;
mod rows;
mod search_index;
mod stream;
mod tallies;
pub mod writer;

use crate::tallies::Tallies;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use postern_core::{Error, IdGenerator, Result};
use postern_store::Store;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};

use crate::writer::Writer;

/// Embedded migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    include_str!("schema.sql"),
    include_str!("schema_0002.sql"),
    include_str!("schema_0003.sql"),
    include_str!("schema_0004.sql"),
    include_str!("schema_0005.sql"),
    include_str!("schema_0006.sql"),
    // From here, the cold tables' shared migrations (postern_store::cold::migrations).
    postern_store::cold::migrations::SUPPORT,
    postern_store::cold::migrations::MESSAGE_PARTS,
    postern_store::cold::migrations::CUSTOM_PROFILES,
    postern_store::cold::migrations::WELCOME_MESSAGES,
    // The full-text index ColdSql::search reads, then the tables that use it.
    include_str!("schema_cold_text.sql"),
    postern_store::cold::migrations::POSTS,
    postern_store::cold::migrations::DM_CARDS,
    postern_store::cold::migrations::FEEDBACK,
    postern_store::cold::migrations::INSIGHTS,
    postern_store::cold::migrations::APPS,
    postern_store::cold::migrations::FEEDBACK_DISPLAY_NAME,
    postern_store::cold::migrations::APP_BEARER_SEALED,
    postern_store::cold::migrations::OAUTH_PENDING,
    postern_store::cold::migrations::WEBHOOKS,
    postern_store::cold::migrations::CONVERSATION_CONTROL,
    postern_store::cold::migrations::BOT_FLOWS,
    postern_store::cold::migrations::WEBHOOK_REPLAYS,
    postern_store::cold::migrations::ACTIVITY_SUBSCRIPTIONS,
    postern_store::cold::migrations::WEBHOOK_LOG_INDEX,
    postern_store::cold::migrations::WEBHOOK_CRC,
    postern_store::cold::migrations::WEBHOOK_LOG_POSTS,
];

pub struct SqliteStore {
    writer: Writer,
    readers: r2d2::Pool<SqliteConnectionManager>,
    ids: Arc<IdGenerator>,
    /// What the batch being written adds to insights, applied before its commit.
    tallies: Tallies,
    /// OAuth 1.0a nonces: one node, so in memory.
    nonces: postern_store::nonces::MemoryNonces,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and migrates it.
    pub fn open(path: &Path, ids: Arc<IdGenerator>) -> Result<SqliteStore> {
        let mut conn = Connection::open(path).map_err(Error::internal)?;
        configure(&conn)?;
        migrate(&mut conn)?;
        cold::rebuild_if_pending(&mut conn)?;
        conn.execute_batch(search_index::SETUP)
            .map_err(Error::internal)?;
        // Seeding the generator with the newest stored id keeps ids increasing across
        // restarts even if the clock went back.
        let newest: i64 = conn
            .query_row("SELECT max(coalesce((SELECT max(id) FROM events), 0), coalesce((SELECT max(id) FROM users), 0))", [], |r| r.get(0))
            .map_err(Error::internal)?;
        ids.observe(newest);
        let manager = SqliteConnectionManager::file(path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .with_init(|c| {
                stable_plans(c)?;
                c.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA cache_size = -16000;")
            });
        let readers = r2d2::Pool::builder()
            .max_size(8)
            .build(manager)
            .map_err(Error::internal)?;
        let tallies = Tallies::default();
        let queued = tallies.clone();
        let before_commit = Box::new(move |c: &Connection| {
            search_index::flush(c)?;
            queued.flush(c)
        });
        let checkpoints = Connection::open(path).map_err(Error::internal)?;
        configure(&checkpoints)?;
        Ok(SqliteStore {
            writer: Writer::start(conn, checkpoints, wal_path(path), before_commit)
                .map_err(Error::internal)?,
            readers,
            ids,
            tallies,
            nonces: postern_store::nonces::MemoryNonces::default(),
        })
    }

    /// Runs a read on a pooled connection off the async threads, in one read transaction: its
    /// queries (an inbox page runs several per conversation) see one snapshot, and take the
    /// file lock and the log's snapshot once instead of once per statement.
    async fn read<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
    {
        let pool = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let conn = pool.get().map_err(Error::internal)?;
            // Dropping the transaction ends it; a read has nothing to commit.
            let snapshot = conn.unchecked_transaction().map_err(Error::internal)?;
            f(&snapshot)
        })
        .await
        .map_err(Error::internal)?
    }

    /// Runs a point read (a few index lookups, no scans) on the calling thread. Handing a
    /// read to another thread and back costs two wake-ups, each slower than the lookup itself
    /// (on a small VM, 100 µs or more from idle); a page scan that may touch the disk goes
    /// through [`SqliteStore::read`] instead so it cannot stall the async threads.
    async fn lookup<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
    {
        match self.readers.try_get() {
            Some(conn) => f(&conn),
            None => self.read(f).await,
        }
    }

    async fn write<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
    {
        self.writer.write(f).await
    }
}

/// SQLite names the write-ahead log after the database file.
fn wal_path(db: &Path) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    name.into()
}

/// Plans that do not depend on bound values. Without this, SQLite (3.50) plans `LIMIT ?`
/// with the bound number as a constant and so marks the statement stale whenever a new value
/// is bound: every paged query (history, inbox, lists, stream replay) was parsed and planned
/// again on every run, a sixth of a reader's time in profiles.
fn stable_plans(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map(drop)
}

fn configure(conn: &Connection) -> Result<()> {
    stable_plans(conn).map_err(Error::internal)?;
    // FULL makes every commit durable (fsync of the WAL) during migrations; the writer then
    // switches to NORMAL and fsyncs the WAL itself before answering (see `writer`).
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;
         PRAGMA cache_size = -32000;
         PRAGMA wal_autocheckpoint = 4000;",
    )
    .map_err(Error::internal)
}

/// Applies the migrations not yet recorded in `user_version`, each in its own transaction.
/// Small enough not to warrant a migration framework; the writer is the only other
/// connection that writes, and it starts after this returns.
fn migrate(conn: &mut Connection) -> Result<()> {
    let done: usize = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(Error::internal)?;
    for (n, sql) in MIGRATIONS.iter().enumerate().skip(done) {
        if n + 1 == 4 {
            one_spelling_per_conversation(conn)?;
        }
        let tx = conn.transaction().map_err(Error::internal)?;
        tx.execute_batch(sql)
            .map_err(|e| Error::internal(format!("migration {}: {e}", n + 1)))?;
        tx.pragma_update(None, "user_version", n + 1)
            .map_err(Error::internal)?;
        tx.commit().map_err(Error::internal)?;
    }
    Ok(())
}

/// Migration 4's check: an earlier version accepted client conversation ids with leading
/// zeros or a sign ('0123-456', '+123-456'), each a second conversation between the same two
/// people. Rather than merge or drop them silently, stop with a report naming them; nothing
/// is changed. docs/scale-out.md, "Conversations with more than one spelling", says what to do.
fn one_spelling_per_conversation(conn: &Connection) -> Result<()> {
    let mut found = conn
        .prepare(
            "SELECT c.id, (SELECT count(*) FROM events e WHERE e.conversation_id = c.id)
               FROM conversations c
              WHERE c.id GLOB '0[0-9]*' OR c.id GLOB '+*' OR c.id GLOB '*-0*'
                 OR c.id GLOB '*-+*'
              ORDER BY c.id",
        )
        .and_then(|mut s| {
            s.query_map([], |r| {
                Ok(format!(
                    "{} ({} events)",
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?
                ))
            })?
            .collect::<rusqlite::Result<Vec<String>>>()
        })
        .map_err(Error::internal)?;
    if found.is_empty() {
        return Ok(());
    }
    found.sort();
    Err(Error::internal(format!(
        "migration 4: conversations with more than one spelling: {}; nothing was changed (see \
         docs/scale-out.md, \"Conversations with more than one spelling\")",
        found.join(", ")
    )))
}

#[async_trait]
impl Store for SqliteStore {
    fn cold(&self) -> &dyn postern_store::cold::ColdSql {
        self
    }

    fn backend_name(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<()> {
        self.lookup(|c| {
            c.query_row("SELECT 1", [], |_| Ok(()))
                .map_err(Error::internal)
        })
        .await
    }

    async fn claim_nonce(
        &self,
        consumer_key: &str,
        nonce: &str,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool> {
        self.nonces
            .claim(consumer_key, nonce, expires_at, chrono::Utc::now())
    }

    async fn forget_nonces(&self, now: chrono::DateTime<chrono::Utc>) -> Result<usize> {
        Ok(self.nonces.forget(now))
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, StatementStatus};

    use super::configure;

    /// A paged query run with a new `LIMIT` each time is planned once (see `stable_plans`).
    #[test]
    fn a_new_limit_does_not_replan_the_statement() -> Result<(), Box<dyn std::error::Error>> {
        let conn = Connection::open_in_memory()?;
        configure(&conn)?;
        conn.execute_batch("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2), (3);")?;
        let mut page = conn.prepare("SELECT n FROM t ORDER BY n LIMIT ?1")?;
        for limit in 1..=3 {
            let rows = page.query_map([limit], |r| r.get::<_, i64>(0))?;
            assert_eq!(rows.count(), usize::try_from(limit).unwrap_or_default());
        }
        assert_eq!(page.get_status(StatementStatus::RePrepare), 0);
        Ok(())
    }

    /// The bundled SQLite is built without the process-wide page-cache mutex
    /// (`.cargo/config.toml`).
    #[test]
    fn page_caches_are_per_connection() -> rusqlite::Result<()> {
        let conn = Connection::open_in_memory()?;
        let mut options = conn.prepare("PRAGMA compile_options")?;
        let options: Vec<String> = options
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        assert!(options.iter().any(|o| o.starts_with("THREADSAFE")));
        assert!(!options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"));
        Ok(())
    }
}
