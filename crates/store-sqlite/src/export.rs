//! Reading an embedded database out table by table, for `postern migrate-data`.
//!
//! The file is opened read-only and never created: a wrong path is an error, not a new empty
//! database. Everything is read inside one read transaction, so the tables and their counts
//! come from one snapshot even if a server were still writing. Rows are handed over in chunks
//! as they are read; no table is ever held in memory whole.
//!
//! Which tables there are, and in which order they may be loaded elsewhere, comes from the
//! database itself (`sqlite_master` and its foreign keys), not from a list kept here: the
//! caller names only what to leave out.

use std::path::Path;

use postern_core::{Error, Result};
use postern_store::copy::{Cell, CopyRow, TableShape};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, params_from_iter};

/// The schema version this build's migrations produce (`PRAGMA user_version`).
pub const SCHEMA_VERSION: usize = crate::MIGRATIONS.len();

/// A read-only snapshot of an embedded database.
pub struct Export {
    conn: Connection,
}

impl Export {
    /// Opens the database at `path` read-only and starts the snapshot. A missing file is
    /// refused (no `CREATE` flag), as is a file that is not a database.
    pub fn open(path: &Path) -> Result<Export> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| Error::internal(format!("opening {}: {e}", path.display())))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(Error::internal)?;
        // A deferred transaction takes its snapshot at the first read, which the count does;
        // it also fails here, rather than later, on a file that is not a database.
        conn.execute_batch("BEGIN")
            .and_then(|()| conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(())))
            .map_err(|e| Error::internal(format!("reading {}: {e}", path.display())))?;
        Ok(Export { conn })
    }

    /// The file's schema version; [`SCHEMA_VERSION`] when this build migrated it last.
    pub fn schema_version(&self) -> Result<usize> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(Error::internal)
    }

    /// Every table except SQLite's own (`sqlite_*`) and those in `skip`, with its columns
    /// except those in `skip` (`(table, None)` leaves a table out, `(table, Some(column))` a
    /// column). Tables come in creation order, moved as needed so that a table comes after
    /// every table its foreign keys reference: loading them in this order satisfies the keys
    /// one table at a time.
    pub fn tables(&self, skip: &[(&str, Option<&str>)]) -> Result<Vec<TableShape>> {
        let skipped = |table: &str, column: Option<&str>| {
            skip.iter().any(|(t, c)| *t == table && *c == column)
        };
        let names: Vec<String> = self.strings(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
             ORDER BY rowid",
            None,
        )?;
        let mut pending = Vec::new();
        for name in names.into_iter().filter(|n| !skipped(n, None)) {
            let columns = self
                .strings(
                    "SELECT name FROM pragma_table_info(?1) ORDER BY cid",
                    Some(&name),
                )?
                .into_iter()
                .filter(|c| !skipped(&name, Some(c)))
                .collect();
            let references = self.strings(
                "SELECT \"table\" FROM pragma_foreign_key_list(?1)",
                Some(&name),
            )?;
            pending.push((TableShape { name, columns }, references));
        }
        order_by_references(pending)
    }

    /// How many rows `table` holds in this snapshot.
    pub fn count(&self, table: &str) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row(&format!("SELECT count(*) FROM {}", quote(table)), [], |r| {
                r.get(0)
            })
            .map_err(|e| Error::internal(format!("counting {table}: {e}")))?;
        u64::try_from(n).map_err(Error::internal)
    }

    /// Reads `table`'s rows (its columns in the shape's order) and hands them to `each` in
    /// chunks of `chunk` rows, the last one shorter; stops at the first error `each` returns.
    /// Returns how many rows were read.
    pub fn rows(
        &self,
        table: &TableShape,
        chunk: usize,
        mut each: impl FnMut(Vec<CopyRow>) -> Result<()>,
    ) -> Result<u64> {
        let chunk = chunk.max(1);
        let failed = |e: rusqlite::Error| Error::internal(format!("reading {}: {e}", table.name));
        let columns: Vec<String> = table.columns.iter().map(|c| quote(c)).collect();
        let sql = format!("SELECT {} FROM {}", columns.join(", "), quote(&table.name));
        let mut statement = self.conn.prepare(&sql).map_err(failed)?;
        let mut rows = statement.query([]).map_err(failed)?;
        let mut batch = Vec::with_capacity(chunk);
        let mut read = 0_u64;
        while let Some(row) = rows.next().map_err(failed)? {
            let mut cells = Vec::with_capacity(table.columns.len());
            for (i, column) in table.columns.iter().enumerate() {
                let value = row.get_ref(i).map_err(failed)?;
                cells.push(cell(value).ok_or_else(|| {
                    Error::internal(format!(
                        "{}.{column} holds text that is not valid UTF-8",
                        table.name
                    ))
                })?);
            }
            batch.push(cells);
            read += 1;
            if batch.len() == chunk {
                each(std::mem::replace(&mut batch, Vec::with_capacity(chunk)))?;
            }
        }
        if !batch.is_empty() {
            each(batch)?;
        }
        Ok(read)
    }

    /// The first column of every row of `sql`, given at most one text parameter.
    fn strings(&self, sql: &str, param: Option<&str>) -> Result<Vec<String>> {
        let mut statement = self.conn.prepare(sql).map_err(Error::internal)?;
        statement
            .query_map(params_from_iter(param), |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(Error::internal)
    }
}

/// A value as a [`Cell`]; `None` for text that is not UTF-8, which no other backend stores.
pub(crate) fn cell(value: ValueRef<'_>) -> Option<Cell> {
    Some(match value {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(i) => Cell::Integer(i),
        ValueRef::Real(f) => Cell::Real(f),
        ValueRef::Text(t) => Cell::Text(std::str::from_utf8(t).ok()?.to_owned()),
        ValueRef::Blob(b) => Cell::Blob(b.to_vec()),
    })
}

/// Orders tables so each follows the tables it references (a stable topological sort:
/// creation order is kept wherever the references allow). References to tables outside the
/// list, and to the table itself, impose nothing.
fn order_by_references(mut pending: Vec<(TableShape, Vec<String>)>) -> Result<Vec<TableShape>> {
    let listed: Vec<String> = pending.iter().map(|(t, _)| t.name.clone()).collect();
    let mut ordered: Vec<TableShape> = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready = pending.iter().position(|(table, references)| {
            references.iter().all(|r| {
                *r == table.name || !listed.contains(r) || ordered.iter().any(|t| t.name == *r)
            })
        });
        let Some(i) = ready else {
            let stuck: Vec<&str> = pending.iter().map(|(t, _)| t.name.as_str()).collect();
            return Err(Error::internal(format!(
                "the foreign keys of {} form a cycle; no table order satisfies them",
                stuck.join(", ")
            )));
        };
        ordered.push(pending.remove(i).0);
    }
    Ok(ordered)
}

/// An identifier quoted for SQL.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(name: &str) -> TableShape {
        TableShape {
            name: name.into(),
            columns: Vec::new(),
        }
    }

    fn names(tables: &[TableShape]) -> Vec<&str> {
        tables.iter().map(|t| t.name.as_str()).collect()
    }

    #[test]
    fn referenced_tables_come_first_and_creation_order_stays_otherwise() -> Result<()> {
        let pending = vec![
            (shape("tokens"), vec!["users".into()]),
            (shape("follows"), vec![]),
            (shape("users"), vec!["users".into(), "gone".into()]),
            (shape("edits"), vec!["events".into()]),
            (shape("events"), vec![]),
        ];
        let ordered = order_by_references(pending)?;
        assert_eq!(
            names(&ordered),
            ["follows", "users", "tokens", "events", "edits"]
        );
        Ok(())
    }

    #[test]
    fn a_cycle_is_refused() {
        let pending = vec![
            (shape("a"), vec!["b".into()]),
            (shape("b"), vec!["a".into()]),
        ];
        assert!(
            order_by_references(pending)
                .is_err_and(|e| e.to_string().contains("a, b form a cycle"))
        );
    }
}
