//! The single writer. SQLite allows one writer at a time, and a durable commit costs an
//! fsync (~0.2–1 ms here), so one commit per message tops out near 4,700 sends/s. Instead, one
//! thread owns the write connection and runs every write that arrived while the previous
//! commit was syncing in one transaction, each inside its own savepoint so a failing write
//! rolls back alone.
//!
//! Syncing is pipelined too: the connection commits without fsync (`synchronous = NORMAL`) and,
//! when more writes are already waiting, hands the batch to a second thread, which fsyncs the
//! WAL and only then answers the batch's callers while the writer runs the next batch. When
//! nothing is waiting the writer fsyncs itself, sparing a thread wake-up at light load. A
//! caller is answered only after its commit is on disk either way.
//! (Readers may see a commit a fraction of a millisecond before it is durable; the stream
//! only carries events after the writer answered, so nothing is delivered before it is safe.)
//!
//! Work that must not run inside a savepoint (see `search_index`) runs in `before_commit`,
//! once per batch; if it fails the whole batch rolls back and every caller hears so.

use std::fs::File;
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread;

use postern_core::{Error, Result};
use rusqlite::Connection;
use tokio::sync::oneshot;

/// Runs inside the transaction (or, given `None`, learns that none could start) and returns
/// the callback that answers the caller once the commit's outcome is known.
type Job = Box<dyn FnOnce(Option<&Connection>) -> Completion + Send>;
type Completion = Box<dyn FnOnce(bool) + Send>;
/// Runs after a batch's jobs, before its commit.
pub type BeforeCommit = fn(&Connection) -> rusqlite::Result<()>;

/// Upper bound on writes per transaction, so one huge batch cannot delay its first caller
/// indefinitely.
const MAX_BATCH: usize = 512;

pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer on `conn`, whose write-ahead log is the file `wal` (created by SQLite
    /// on the first write).
    pub fn start(
        conn: Connection,
        wal: PathBuf,
        before_commit: BeforeCommit,
    ) -> std::io::Result<Writer> {
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(std::io::Error::other)?;
        let (jobs, rx) = mpsc::channel::<Job>();
        let (synced, to_sync) = mpsc::channel::<Vec<Completion>>();
        let wal_for_syncer = wal.clone();
        thread::Builder::new()
            .name("postern-sqlite-sync".into())
            .spawn(move || sync_loop(wal_for_syncer, to_sync))?;
        thread::Builder::new()
            .name("postern-sqlite-writer".into())
            .spawn(move || run(conn, wal, rx, before_commit, synced))?;
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
    run_cached(conn, "SAVEPOINT job")?;
    let result = f(conn);
    if result.is_err() {
        run_cached(conn, "ROLLBACK TO job")?;
    }
    run_cached(conn, "RELEASE job")?;
    result
}

/// Savepoint statements run twice per write; parsing them each time showed in profiles.
fn run_cached(conn: &Connection, sql: &str) -> Result<()> {
    conn.prepare_cached(sql)
        .and_then(|mut statement| statement.execute([]))
        .map(drop)
        .map_err(Error::internal)
}

fn run(
    conn: Connection,
    wal: PathBuf,
    rx: mpsc::Receiver<Job>,
    before_commit: BeforeCommit,
    synced: mpsc::Sender<Vec<Completion>>,
) {
    let mut log = Wal::new(wal);
    // A job that arrived while the last batch committed, taken to learn that one had.
    let mut waiting: Option<Job> = None;
    loop {
        let Some(first) = waiting.take().or_else(|| rx.recv().ok()) else {
            break;
        };
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
        let committed = match before_commit(&conn).and_then(|()| conn.execute_batch("COMMIT")) {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, "group commit failed");
                let _ = conn.execute_batch("ROLLBACK");
                false
            }
        };
        metrics_batch(completions.len());
        if !committed {
            completions.into_iter().for_each(|done| done(false));
            continue;
        }
        waiting = rx.try_recv().ok();
        if waiting.is_none() {
            // Nothing to overlap the fsync with: syncing here saves waking the syncer.
            let durable = log.sync();
            completions.into_iter().for_each(|done| done(durable));
        } else if let Err(mpsc::SendError(completions)) = synced.send(completions) {
            // The syncer only stops when this sender is dropped, so a failed send means it
            // is gone and nothing more becomes durable.
            completions.into_iter().for_each(|done| done(false));
        }
    }
    tracing::debug!("sqlite writer stopped");
}

/// Fsyncs the WAL for every group of batches that committed while the previous fsync ran,
/// then answers their callers.
fn sync_loop(wal: PathBuf, batches: mpsc::Receiver<Vec<Completion>>) {
    let mut log = Wal::new(wal);
    while let Ok(first) = batches.recv() {
        let mut waiting = vec![first];
        waiting.extend(batches.try_iter());
        let durable = log.sync();
        metrics::histogram!("postern_sqlite_sync_batches").record(waiting.len() as f64);
        waiting.into_iter().flatten().for_each(|done| done(durable));
    }
}

/// The write-ahead log as a file to fsync. A sync covers every commit written before it
/// started, whichever thread runs it.
struct Wal {
    path: PathBuf,
    file: Option<File>,
}

impl Wal {
    fn new(path: PathBuf) -> Wal {
        Wal { path, file: None }
    }

    /// Whether every commit written so far is on disk.
    fn sync(&mut self) -> bool {
        match self.try_sync() {
            Ok(()) => true,
            Err(e) => {
                // Like PostgreSQL, trust nothing after a failed fsync: reopen and report.
                tracing::error!(error = %e, wal = %self.path.display(), "could not sync the write-ahead log");
                self.file = None;
                false
            }
        }
    }

    fn try_sync(&mut self) -> std::io::Result<()> {
        if let Some(file) = &self.file {
            return file.sync_data();
        }
        let opened = File::open(&self.path)?;
        opened.sync_all()?;
        // The WAL was created by SQLite; its directory entry must be durable as well.
        if let Some(dir) = self.path.parent() {
            File::open(dir)?.sync_all()?;
        }
        self.file = Some(opened);
        Ok(())
    }
}

fn metrics_batch(size: usize) {
    metrics::histogram!("postern_sqlite_commit_batch_size").record(size as f64);
}
