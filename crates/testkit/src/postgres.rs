//! Throwaway PostgreSQL databases.
//!
//! Each test gets its own empty database on the tests' PostgreSQL, named
//! `postern_test_<pid>_<unique>`, and drops it when done, also when the test panics (the
//! value's `Drop` removes it). A test that uses one declares `needs(Postgres)`, so the
//! harness has checked the server is there: failing to create the database is a failure.
//!
//! ```text
//! #[postern_testkit::test(needs(Postgres))]
//! async fn copies() {
//!     let db = TestDatabase::create().await;
//!     let store = PostgresStore::connect(&db.url, Some(1)).await?;
//!     // … drop `store` before `db`, or let `db` force its connections closed.
//! }
//! ```

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::{Connection, Executor, PgConnection};

use crate::services::postgres_url;

/// A database that exists until this value is dropped (or [`TestDatabase::drop_database`]).
pub struct TestDatabase {
    /// Connection URL of the new, empty database.
    pub url: String,
    /// Its name.
    pub name: String,
    dropped: bool,
}

impl TestDatabase {
    /// Creates a uniquely named empty database; panics when the server cannot be reached or
    /// refuses.
    pub async fn create() -> TestDatabase {
        let mut admin = admin()
            .await
            .unwrap_or_else(|e| panic!("cannot reach PostgreSQL: {e}"));
        let name = unique_name();
        if let Err(e) = admin
            .execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await
        {
            panic!("could not create test database {name}: {e}");
        }
        let _ = admin.close().await;
        TestDatabase {
            url: postgres_url(&name),
            name,
            dropped: false,
        }
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
    tokio::time::timeout(
        Duration::from_secs(5),
        PgConnection::connect(&postgres_url("postgres")),
    )
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
