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
//!
//! Checkpoints (copying committed pages from the WAL into the database file, then fsyncing
//! it) run on a third thread with its own connection. Left to SQLite's automatic checkpoint
//! they ran inside the writer's commit: the writer stalled for the whole copy, every caller
//! queued behind it waited too, and with writes spread over many conversations this was a
//! seventh of the writer's time. The writer keeps the automatic checkpoint only to restart
//! the log once it is full, which is cheap because by then the background thread has copied
//! nearly all of it (a log can only restart when every frame in it has been copied, and the
//! background thread cannot restart it itself while the writer keeps appending).

use std::fs::File;
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use postern_core::{Error, Result};
use rusqlite::Connection;
use tokio::sync::oneshot;

/// Runs inside the transaction (or, given `None`, learns that none could start) and returns
/// the callback that answers the caller once the commit's outcome is known.
type Job = Box<dyn FnOnce(Option<&Connection>) -> Completion + Send>;
type Completion = Box<dyn FnOnce(bool) + Send>;
/// Runs after a batch's jobs, before its commit.
pub type BeforeCommit = Box<dyn Fn(&Connection) -> rusqlite::Result<()> + Send>;

/// Upper bound on writes per transaction, so one huge batch cannot delay its first caller
/// indefinitely.
const MAX_BATCH: usize = 512;

/// How long the checkpointer waits between checkpoints. A page written many times between two
/// checkpoints is copied once, so checkpointing more often only copies hot pages more often;
/// this keeps the un-copied tail small (a few thousand frames at full write rate) for the
/// writer's restart.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(100);

pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer on `conn`, whose write-ahead log is the file `wal` (created by SQLite
    /// on the first write), and the checkpointer on `checkpoints`, a second connection to the
    /// same database.
    pub fn start(
        conn: Connection,
        checkpoints: Connection,
        wal: PathBuf,
        before_commit: BeforeCommit,
    ) -> std::io::Result<Writer> {
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(std::io::Error::other)?;
        let (jobs, rx) = mpsc::channel::<Job>();
        let (synced, to_sync) = mpsc::channel::<Vec<Completion>>();
        let (committed, to_checkpoint) = mpsc::sync_channel::<()>(1);
        let wal_for_syncer = wal.clone();
        thread::Builder::new()
            .name("postern-sqlite-sync".into())
            .spawn(move || sync_loop(wal_for_syncer, to_sync))?;
        thread::Builder::new()
            .name("postern-sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(&checkpoints, &to_checkpoint))?;
        let threads = Threads { synced, committed };
        thread::Builder::new()
            .name("postern-sqlite-writer".into())
            .spawn(move || run(conn, wal, rx, before_commit, threads))?;
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

/// The writer's helpers: the syncer, which answers batches once their commit is on disk,
/// and the checkpointer, told after each commit that the log has grown.
struct Threads {
    synced: mpsc::Sender<Vec<Completion>>,
    committed: mpsc::SyncSender<()>,
}

fn run(
    conn: Connection,
    wal: PathBuf,
    rx: mpsc::Receiver<Job>,
    before_commit: BeforeCommit,
    threads: Threads,
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
        // Full means the checkpointer has been told already.
        let _ = threads.committed.try_send(());
        waiting = rx.try_recv().ok();
        if waiting.is_none() {
            // Nothing to overlap the fsync with: syncing here saves waking the syncer.
            let durable = log.sync();
            completions.into_iter().for_each(|done| done(durable));
        } else if let Err(mpsc::SendError(completions)) = threads.synced.send(completions) {
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

/// Copies the log into the database file in the background, at most once per
/// `CHECKPOINT_INTERVAL` while commits keep arriving; stops when the writer does.
fn checkpoint_loop(conn: &Connection, committed: &mpsc::Receiver<()>) {
    while committed.recv().is_ok() {
        // PASSIVE copies what it can without waiting for readers or the writer; a failure
        // leaves the pages in the log, where readers still find them, and the next round or
        // the writer's own checkpoint copies them.
        let checkpoint = timed("postern_sqlite_checkpoint_seconds", || {
            conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
        });
        if let Err(e) = checkpoint {
            tracing::warn!(error = %e, "background checkpoint failed");
        }
        thread::sleep(CHECKPOINT_INTERVAL);
    }
    tracing::debug!("sqlite checkpointer stopped");
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

    /// Whether every commit written so far is on disk. Its duration is recorded: every send
    /// in flight waits for it, and a virtual disk's flush can stall behind other writes.
    fn sync(&mut self) -> bool {
        match timed("postern_sqlite_wal_sync_seconds", || self.try_sync()) {
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

/// Runs `f`, recording how long it took in the histogram `metric`.
fn timed<T>(metric: &'static str, f: impl FnOnce() -> T) -> T {
    let started = std::time::Instant::now();
    let out = f();
    metrics::histogram!(metric).record(started.elapsed().as_secs_f64());
    out
}

fn metrics_batch(size: usize) {
    metrics::histogram!("postern_sqlite_commit_batch_size").record(size as f64);
}
