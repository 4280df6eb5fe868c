//! `postern migrate-data --from sqlite://PATH --to postgres://URL`: moves an embedded
//! installation's data to PostgreSQL (docs/scale-out.md, "Moving an embedded installation to
//! PostgreSQL").
//!
//! 1. The source is opened read-only, as one snapshot; a missing file is refused.
//! 2. The target is migrated ([`PostgresStore::connect`]) and refused if it holds anything.
//! 3. Every shared table is copied in one transaction per table, [`CHUNK_ROWS`] rows per
//!    statement: a reader thread streams chunks from SQLite through a one-slot channel while
//!    the previous chunk is written, so memory stays bounded whatever the database's size.
//! 4. [`PostgresStore::rebuild_derived`] fills what only PostgreSQL keeps (search words,
//!    stream heads).
//! 5. Source and target row counts are compared table by table ([`Report`]).
//!
//! The table list has one source: SQLite's own catalogue, minus what
//! [`BACKEND_ONLY`] says only SQLite has, ordered by its foreign keys (`Export::tables`). It
//! must then name exactly the tables PostgreSQL has minus PostgreSQL's own, or nothing is
//! copied: a table one side lacks is an error, not a silent gap.

use std::collections::BTreeSet;
use std::fmt;

use anyhow::Context;
use postern_core::Error;
use postern_store::copy::{CopyRow, TableShape};
use postern_store_postgres::PostgresStore;
use postern_store_postgres::schema::{BACKEND_ONLY, Backend};
use postern_store_sqlite::export::{Export, SCHEMA_VERSION};

use crate::config::Database;
use crate::redact;

/// Rows per INSERT. Each goes over as one array per column, so the statement's size is not
/// limited by PostgreSQL's 65,535 parameters; 2,000 rows of the widest table (messages of up
/// to 10,000 characters) stay within a few tens of MiB, twice over with the chunk in flight.
pub const CHUNK_ROWS: usize = 2_000;

/// Row counts per table after a copy, in copy order.
#[derive(Debug, Default)]
pub struct Report {
    pub tables: Vec<TableCount>,
}

#[derive(Debug)]
pub struct TableCount {
    pub table: String,
    pub source: u64,
    pub target: u64,
}

impl Report {
    /// The tables whose counts differ.
    pub fn mismatches(&self) -> Vec<&TableCount> {
        self.tables
            .iter()
            .filter(|t| t.source != t.target)
            .collect()
    }
}

/// The per-table summary the command prints.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .tables
            .iter()
            .map(|t| t.table.len())
            .chain([5])
            .max()
            .unwrap_or(5);
        writeln!(f, "{:<width$}  {:>10}  {:>10}", "table", "source", "target")?;
        for t in &self.tables {
            let flag = if t.source == t.target {
                ""
            } else {
                "  DIFFERS"
            };
            writeln!(
                f,
                "{:<width$}  {:>10}  {:>10}{flag}",
                t.table, t.source, t.target
            )?;
        }
        Ok(())
    }
}

/// Copies the embedded database `from` (`sqlite://PATH`) into the empty PostgreSQL database
/// `to` and returns the row counts of both. Counts that differ are reported, not an error:
/// the caller prints the summary and then fails.
pub async fn migrate_data(from: &str, to: &str) -> anyhow::Result<Report> {
    let path = match Database::parse("--from", from)? {
        Database::Sqlite(path) => path,
        Database::Postgres(_) => anyhow::bail!(
            "--from must name the embedded database (sqlite://PATH), not `{}`",
            redact(from)
        ),
    };
    let url = match Database::parse("--to", to)? {
        Database::Postgres(url) => url,
        Database::Sqlite(_) => anyhow::bail!(
            "--to must name a PostgreSQL database (postgres://USER:PASSWORD@HOST:PORT/DATABASE), not `{to}`"
        ),
    };
    anyhow::ensure!(
        path.is_file(),
        "--from: there is no SQLite database at {}",
        path.display()
    );
    let export =
        Export::open(&path).with_context(|| format!("--from: cannot read {}", path.display()))?;
    let version = export.schema_version()?;
    anyhow::ensure!(
        version != 0,
        "--from: {} is not a Postern database (it has no schema version)",
        path.display()
    );
    anyhow::ensure!(
        version <= SCHEMA_VERSION,
        "--from: {} was last used by a newer Postern (schema version {version}, this one knows \
         {SCHEMA_VERSION}); run that version's migrate-data",
        path.display()
    );
    anyhow::ensure!(
        version == SCHEMA_VERSION,
        "--from: {} is at schema version {version}, this Postern's is {SCHEMA_VERSION}: upgrade \
         it first with `postern migrate --database-url {from}`",
        path.display()
    );
    let sqlite_only: Vec<(&str, Option<&str>)> = BACKEND_ONLY
        .iter()
        .filter(|o| o.backend == Backend::Sqlite)
        .map(|o| (o.table, o.column))
        .collect();
    let tables = export.tables(&sqlite_only)?;

    // A fixed node id: the copy generates no ids, so claiming one from the database would
    // only use up a number.
    let store = PostgresStore::connect(&url, Some(0))
        .await
        .with_context(|| format!("--to: cannot open {}", redact(&url)))?;
    let shared = store.shared_tables().await?;
    refuse_unless_empty(&store, shared.keys()).await?;
    let ours: BTreeSet<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let theirs: BTreeSet<&str> = shared.keys().map(String::as_str).collect();
    anyhow::ensure!(
        ours == theirs,
        "the two schemas do not have the same tables: only in SQLite: {:?}; only in PostgreSQL: {:?}",
        ours.difference(&theirs).collect::<Vec<_>>(),
        theirs.difference(&ours).collect::<Vec<_>>()
    );

    let mut export = export;
    for table in &tables {
        export = copy_table(export, &store, table)
            .await
            .with_context(|| format!("copying table {}", table.name))?;
    }
    store
        .rebuild_derived()
        .await
        .context("rebuilding search words and stream heads")?;
    tracing::info!("rebuilt search words and stream heads");

    let names: Vec<String> = tables.iter().map(|t| t.name.clone()).collect();
    let sources = tokio::task::spawn_blocking(move || {
        names
            .iter()
            .map(|t| export.count(t))
            .collect::<Result<Vec<u64>, Error>>()
    })
    .await
    .context("the SQLite reader failed")??;
    let mut report = Report::default();
    for (table, source) in tables.iter().zip(sources) {
        report.tables.push(TableCount {
            table: table.name.clone(),
            source,
            target: store.count_rows(&table.name).await?,
        });
    }
    Ok(report)
}

/// Refuses a target that holds any rows: the copy keeps the source's ids, which would clash
/// with (or silently join) data already there.
async fn refuse_unless_empty(
    store: &PostgresStore,
    tables: impl Iterator<Item = &String>,
) -> anyhow::Result<()> {
    let accounts = store.count_rows("users").await?;
    anyhow::ensure!(
        accounts == 0,
        "refusing to migrate: the target database already holds {accounts} account(s); \
         migrate-data only fills an empty database (drop and recreate it to start over)"
    );
    for table in tables {
        let rows = store.count_rows(table).await?;
        anyhow::ensure!(
            rows == 0,
            "refusing to migrate: the target database is not empty (table {table} holds {rows} \
             rows); migrate-data only fills an empty database (drop and recreate it to start over)"
        );
    }
    Ok(())
}

/// Copies one table in one transaction. A blocking thread reads chunks from SQLite into a
/// one-slot channel while this task writes the previous chunk; the export is handed back for
/// the next table (its snapshot lives on its connection).
async fn copy_table(
    export: Export,
    store: &PostgresStore,
    table: &TableShape,
) -> anyhow::Result<Export> {
    let mut import = store.import_table(table).await?;
    let (chunks, mut arriving) = tokio::sync::mpsc::channel::<Vec<CopyRow>>(1);
    let shape = table.clone();
    let reader = tokio::task::spawn_blocking(move || {
        let read = export.rows(&shape, CHUNK_ROWS, |chunk| {
            chunks
                .blocking_send(chunk)
                .map_err(|_| Error::internal("the PostgreSQL side stopped"))
        });
        (export, read)
    });
    let mut written = Ok(());
    while let Some(chunk) = arriving.recv().await {
        written = import.write(chunk).await;
        if written.is_err() {
            break;
        }
    }
    // A reader still sending fails at its next chunk and stops.
    drop(arriving);
    let (export, read) = reader.await.context("the SQLite reader failed")?;
    written?;
    let read = read?;
    let committed = import.commit().await?;
    anyhow::ensure!(committed == read, "read {read} rows but wrote {committed}");
    tracing::info!(table = %table.name, rows = read, "copied");
    Ok(export)
}
