//! Throwaway PostgreSQL databases for test suites (feature `test-support`).
//!
//! Each test gets its own empty database on the local server, named
//! `postern_test_<pid>_<unique>`, and drops it when done, also when the test panics (the
//! value's `Drop` removes it). Without a reachable server the tests skip, unless `CI=true`,
//! where a missing database is a failure rather than a silent pass.
//!
//! ```ignore
//! let Some(db) = TestDatabase::create().await else { return }; // skipped
//! let store = PostgresStore::connect(&db.url, Some(1)).await?;
//! // … drop `store` before `db`, or let `db` force its connections closed.
//! ```

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::{Connection, Executor, PgConnection};

/// Where the tests' PostgreSQL listens (trust authentication for `postgres`).
pub const SERVER: &str = "127.0.0.1:5432";
/// The maintenance database through which test databases are created and dropped.
pub const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that exists until this value is dropped (or [`TestDatabase::drop_database`]).
pub struct TestDatabase {
    /// Connection URL of the new, empty database.
    pub url: String,
    /// Its name.
    pub name: String,
    dropped: bool,
}

impl TestDatabase {
    /// Creates a uniquely named empty database. Returns `None` (after printing
    /// `skipped: PostgreSQL not reachable at 127.0.0.1:5432` to stderr) when the server cannot
    /// be reached and `CI` is not `true`; panics when it cannot be reached under `CI=true`, or
    /// when the server answers but refuses to create the database.
    pub async fn create() -> Option<TestDatabase> {
        let mut admin = match admin().await {
            Ok(conn) => conn,
            Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("PostgreSQL not reachable at {SERVER} (CI=true, so this fails): {e}")
            }
            Err(_) => {
                eprintln!("skipped: PostgreSQL not reachable at {SERVER}");
                return None;
            }
        };
        let name = unique_name();
        if let Err(e) = admin
            .execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await
        {
            panic!("could not create test database {name}: {e}");
        }
        let _ = admin.close().await;
        Some(TestDatabase {
            url: format!("postgres://postgres@{SERVER}/{name}"),
            name,
            dropped: false,
        })
    }

    /// Drops the database now, closing any connections still open to it.
    pub async fn drop_database(mut self) {
        self.dropped = true;
        if let Err(e) = drop_named(&self.name).await {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        // Drop may run inside a runtime (or while a test unwinds), where blocking on async
        // work is not allowed: a short-lived thread with its own runtime does the cleanup.
        let name = self.name.clone();
        let cleanup = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
                .and_then(|rt| rt.block_on(drop_named(&name)))
        });
        match cleanup.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop test database {}: {e}", self.name),
            Err(_) => eprintln!("could not drop test database {}", self.name),
        }
    }
}

async fn admin() -> Result<PgConnection, String> {
    // A server that drops packets rather than refusing would otherwise hang the suite.
    tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(ADMIN_URL))
        .await
        .map_err(|_| "timed out".to_owned())?
        .map_err(|e| e.to_string())
}

async fn drop_named(name: &str) -> Result<(), String> {
    let mut admin = admin().await?;
    // FORCE ends the connections of a store the test still holds (PostgreSQL 13+).
    let dropped = admin
        .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
        .await
        .map(drop)
        .map_err(|e| e.to_string());
    let _ = admin.close().await;
    dropped
}

/// `postern_test_<pid>_<unique>`: the process id tells leftovers of a killed run apart, the
/// rest separates databases within a run (and runs that reuse a pid).
fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "postern_test_{}_{:x}_{n}",
        std::process::id(),
        nanos % (1 << 48)
    )
}
