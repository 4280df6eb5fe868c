//! The single writer. SQLite allows one writer at a time, and a durable commit costs an
//! fsync (~0.2 ms here), so one commit per message tops out near 4,700 sends/s. Instead, one
//! thread owns the write connection and runs every write that arrived while the previous
//! commit was syncing in one transaction, each inside its own savepoint so a failing write
//! rolls back alone. Callers are answered only after the commit is on disk.

use std::sync::mpsc;
use std::thread;

use postern_core::{Error, Result};
use rusqlite::Connection;
use tokio::sync::oneshot;

/// Runs inside the transaction (or, given `None`, learns that none could start) and returns
/// the callback that answers the caller once the commit's outcome is known.
type Job = Box<dyn FnOnce(Option<&Connection>) -> Completion + Send>;
type Completion = Box<dyn FnOnce(bool) + Send>;

/// Upper bound on writes per transaction, so one huge batch cannot delay its first caller
/// indefinitely.
const MAX_BATCH: usize = 512;

pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    pub fn start(conn: Connection) -> std::io::Result<Writer> {
        let (jobs, rx) = mpsc::channel::<Job>();
        thread::Builder::new()
            .name("postern-sqlite-writer".into())
            .spawn(move || run(conn, rx))?;
        Ok(Writer { jobs })
    }

    /// Runs `f` in the next group commit and returns its result once that commit is durable.
    pub async fn write<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<R>>();
        let job: Job = Box::new(move |conn: Option<&Connection>| {
            let outcome = match conn {
                Some(conn) => in_savepoint(conn, f),
                None => Err(Error::internal("could not begin a write transaction")),
            };
            Box::new(move |committed: bool| {
                let answer = match outcome {
                    Ok(value) if committed => Ok(value),
                    Ok(_) => Err(Error::internal("the database refused to commit")),
                    Err(e) => Err(e),
                };
                // The caller may have gone away (client disconnected); the write stands.
                let _ = tx.send(answer);
            })
        });
        self.jobs
            .send(job)
            .map_err(|_| Error::internal("the database writer has stopped"))?;
        rx.await
            .map_err(|_| Error::internal("the database writer has stopped"))?
    }
}

fn in_savepoint<R>(conn: &Connection, f: impl FnOnce(&Connection) -> Result<R>) -> Result<R> {
    conn.execute_batch("SAVEPOINT job")
        .map_err(Error::internal)?;
    let result = f(conn);
    let end = if result.is_ok() {
        "RELEASE job"
    } else {
        "ROLLBACK TO job; RELEASE job"
    };
    conn.execute_batch(end).map_err(Error::internal)?;
    result
}

fn run(conn: Connection, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            tracing::error!(error = %e, "could not begin a write transaction");
            batch.into_iter().for_each(|job| job(None)(false));
            continue;
        }
        let completions: Vec<Completion> = batch.into_iter().map(|job| job(Some(&conn))).collect();
        let committed = match conn.execute_batch("COMMIT") {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, "group commit failed");
                let _ = conn.execute_batch("ROLLBACK");
                false
            }
        };
        metrics_batch(completions.len());
        completions.into_iter().for_each(|done| done(committed));
    }
    tracing::debug!("sqlite writer stopped");
}

fn metrics_batch(size: usize) {
    metrics::histogram!("postern_sqlite_commit_batch_size").record(size as f64);
}
