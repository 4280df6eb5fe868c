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
        if citus()
            && let Err(e) = spread(&mut admin, &name).await
        {
            let _ = admin.close().await;
            let _ = drop_named(&name).await;
            panic!("could not make test database {name} a Citus cluster: {e}");
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

/// Whether the tests' PostgreSQL is a Citus coordinator (`POSTERN_TEST_CITUS=1`, set by
/// `scripts/citus-check`): each test database is then made on the coordinator and every
/// worker it knows, with the extension and the nodes added, so Postern places its tables on
/// the cluster when it first starts on it.
pub fn citus() -> bool {
    std::env::var("POSTERN_TEST_CITUS").is_ok_and(|v| v == "1")
}

/// The workers the coordinator's own `postgres` database knows (`citus_add_node` there).
async fn workers(admin: &mut PgConnection) -> Result<Vec<(String, i32)>, String> {
    sqlx::query_as(
        "SELECT nodename, nodeport FROM pg_dist_node
         WHERE groupid <> 0 AND noderole = 'primary' ORDER BY nodeid",
    )
    .fetch_all(&mut *admin)
    .await
    .map_err(|e| format!("listing the workers: {e}"))
}

async fn on(host: &str, port: i32, database: &str, sql: &str) -> Result<(), String> {
    let url = format!("postgres://postgres@{host}:{port}/{database}");
    let mut c = PgConnection::connect(&url)
        .await
        .map_err(|e| format!("{host}:{port}: {e}"))?;
    let done = c
        .execute(sql)
        .await
        .map(drop)
        .map_err(|e| format!("{host}:{port}: {sql}: {e}"));
    let _ = c.close().await;
    done
}

/// Makes `name` (just created on the coordinator) a database of the whole cluster.
async fn spread(admin: &mut PgConnection, name: &str) -> Result<(), String> {
    // One at a time: adding a node copies roles to the worker, and two databases adding the
    // same worker at once collide there ("tuple concurrently updated").
    admin
        .execute("SELECT pg_advisory_lock(7370650)")
        .await
        .map_err(|e| format!("waiting for the cluster: {e}"))?;
    let spread = spread_locked(admin, name).await;
    let _ = admin.execute("SELECT pg_advisory_unlock(7370650)").await;
    spread
}

async fn spread_locked(admin: &mut PgConnection, name: &str) -> Result<(), String> {
    let workers = workers(admin).await?;
    if workers.is_empty() {
        return Err("the coordinator's postgres database knows no workers".into());
    }
    for (host, port) in &workers {
        on(
            host,
            *port,
            "postgres",
            &format!("CREATE DATABASE \"{name}\""),
        )
        .await?;
        on(host, *port, name, "CREATE EXTENSION citus").await?;
    }
    let location = crate::services::Service::Postgres.location();
    let (host, port) = location
        .rsplit_once(':')
        .unwrap_or((location.as_str(), "5432"));
    let mut sql =
        format!("CREATE EXTENSION citus; SELECT citus_set_coordinator_host('{host}', {port});");
    for (worker, worker_port) in &workers {
        sql.push_str(&format!(
            "SELECT citus_add_node('{worker}', {worker_port});"
        ));
    }
    let port: i32 = port.parse().map_err(|_| format!("{location}: no port"))?;
    on(host, port, name, &sql).await
}

async fn drop_named(name: &str) -> Result<(), String> {
    let mut admin = admin().await?;
    if citus() {
        for (host, port) in workers(&mut admin).await.unwrap_or_default() {
            let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            if let Err(e) = on(&host, port, "postgres", &sql).await {
                eprintln!("could not drop test database {name} on a worker: {e}");
            }
        }
    }
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
