//! Loading rows copied from another backend, for `postern migrate-data`.
//!
//! Each table loads in one transaction ([`TableImport`]), a chunk of rows per statement: the
//! chunk goes over as one array per column and `unnest` turns them back into rows, so a
//! statement has as many parameters as the table has columns, whatever the chunk size. Cells
//! are converted to the column's type here: SQLite's 0/1 become BOOLEAN for the columns in
//! [`BOOLEAN_COLUMNS`], and a value that does not fit its column is refused, naming it.

use std::collections::{BTreeMap, BTreeSet};

use postern_core::{Error, Result};
use postern_store::copy::{Cell, CopyRow, TableShape};
use sqlx::{Postgres, Row, Transaction};

use crate::PostgresStore;
use crate::rows::Db;
use crate::schema::{BACKEND_ONLY, BOOLEAN_COLUMNS, Backend};

/// A column's type as the copy fills it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    BigInt,
    Boolean,
    Text,
    Bytea,
}

impl Kind {
    fn array(self) -> &'static str {
        match self {
            Kind::BigInt => "bigint[]",
            Kind::Boolean => "boolean[]",
            Kind::Text => "text[]",
            Kind::Bytea => "bytea[]",
        }
    }
}

/// A table's shared columns: name and the type the copy fills, in the table's order.
type Columns = Vec<(String, Kind)>;

impl PostgresStore {
    /// The tables a copy fills: every table in the schema except those only PostgreSQL has,
    /// each with its columns except PostgreSQL's own (see [`BACKEND_ONLY`]).
    pub async fn shared_tables(&self) -> Result<BTreeMap<String, Vec<String>>> {
        Ok(self
            .shared_columns()
            .await?
            .into_iter()
            .map(|(table, columns)| (table, columns.into_iter().map(|(c, _)| c).collect()))
            .collect())
    }

    /// How many rows `table` holds.
    pub async fn count_rows(&self, table: &str) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", quote(table)))
            .fetch_one(&self.pool)
            .await
            .map_err(|e| Error::internal(format!("counting {table}: {e}")))?;
        u64::try_from(n).map_err(Error::internal)
    }

    /// Starts loading rows of `shape` into the table of that name, in one transaction. The
    /// shape must carry exactly the table's shared columns (in any order): a column left out
    /// would silently take its default.
    pub async fn import_table(&self, shape: &TableShape) -> Result<TableImport> {
        let mut tables = self.shared_columns().await?;
        let Some(columns) = tables.remove(&shape.name) else {
            return Err(Error::internal(format!(
                "PostgreSQL has no table {} to copy into",
                shape.name
            )));
        };
        let theirs: BTreeSet<&str> = shape.columns.iter().map(String::as_str).collect();
        let ours: BTreeSet<&str> = columns.iter().map(|(c, _)| c.as_str()).collect();
        if theirs != ours || theirs.len() != shape.columns.len() {
            return Err(Error::internal(format!(
                "{}: the source's columns ({}) are not PostgreSQL's ({})",
                shape.name,
                shape.columns.join(", "),
                columns
                    .iter()
                    .map(|(c, _)| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let kinds: Vec<Kind> = shape
            .columns
            .iter()
            .filter_map(|name| columns.iter().find(|(c, _)| c == name).map(|(_, k)| *k))
            .collect();
        let names: Vec<String> = shape.columns.iter().map(|c| quote(c)).collect();
        let arrays: Vec<String> = kinds
            .iter()
            .enumerate()
            .map(|(i, k)| format!("${}::{}", i + 1, k.array()))
            .collect();
        let sql = format!(
            "INSERT INTO {} ({}) SELECT * FROM unnest({})",
            quote(&shape.name),
            names.join(", "),
            arrays.join(", ")
        );
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| Error::internal(format!("loading {}: {e}", shape.name)))?;
        if crate::citus::enabled(&mut tx).await? {
            // Citus writes a reference table's copy on the coordinator locally, and then
            // refuses to reach the workers' copies in the same transaction; remotely, it can.
            sqlx::query("SET LOCAL citus.enable_local_execution TO off")
                .execute(&mut *tx)
                .await
                .db()?;
        }
        Ok(TableImport {
            tx,
            shape: shape.clone(),
            kinds,
            sql,
            written: 0,
        })
    }

    /// Every shared table's shared columns, with the types a copy fills them as.
    async fn shared_columns(&self) -> Result<BTreeMap<String, Columns>> {
        let rows = sqlx::query(
            // Tables only: Citus adds views of its own (`citus_tables`, …) to the schema.
            "SELECT c.table_name::text, c.column_name::text, c.data_type::text
             FROM information_schema.columns c
             JOIN information_schema.tables t
               ON t.table_schema = c.table_schema AND t.table_name = c.table_name
             WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
             ORDER BY c.table_name, c.ordinal_position",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| Error::internal(format!("reading the schema: {e}")))?;
        let postgres_only = |table: &str, column: Option<&str>| {
            BACKEND_ONLY
                .iter()
                .any(|o| o.backend == Backend::Postgres && o.table == table && o.column == column)
        };
        let mut tables: BTreeMap<String, Columns> = BTreeMap::new();
        for row in rows {
            let table: String = row.try_get(0).map_err(Error::internal)?;
            let column: String = row.try_get(1).map_err(Error::internal)?;
            let data_type: String = row.try_get(2).map_err(Error::internal)?;
            if postgres_only(&table, None) || postgres_only(&table, Some(&column)) {
                continue;
            }
            let kind = kind(&table, &column, &data_type)?;
            tables.entry(table).or_default().push((column, kind));
        }
        Ok(tables)
    }
}

/// How the copy fills a column of `data_type`. [`BOOLEAN_COLUMNS`] decides which columns
/// take SQLite's 0/1; the database must agree with it.
fn kind(table: &str, column: &str, data_type: &str) -> Result<Kind> {
    let listed = BOOLEAN_COLUMNS
        .iter()
        .any(|(t, c)| *t == table && *c == column);
    match (data_type, listed) {
        ("boolean", true) => Ok(Kind::Boolean),
        ("boolean", false) | (_, true) => Err(Error::internal(format!(
            "schema::BOOLEAN_COLUMNS and the database disagree about {table}.{column} ({data_type})"
        ))),
        ("bigint", false) => Ok(Kind::BigInt),
        ("text", false) => Ok(Kind::Text),
        ("bytea", false) => Ok(Kind::Bytea),
        (other, false) => Err(Error::internal(format!(
            "{table}.{column} has type {other}, which a copy cannot fill"
        ))),
    }
}

/// One table being loaded, in its own transaction; dropped without [`TableImport::commit`],
/// it rolls back.
pub struct TableImport {
    tx: Transaction<'static, Postgres>,
    shape: TableShape,
    kinds: Vec<Kind>,
    sql: String,
    written: u64,
}

impl TableImport {
    /// Inserts `rows` (cells in the shape's column order) in one statement.
    pub async fn write(&mut self, rows: Vec<CopyRow>) -> Result<()> {
        let mut columns: Vec<Values> = self
            .kinds
            .iter()
            .map(|k| Values::new(*k, rows.len()))
            .collect();
        for row in rows {
            self.written += 1;
            if row.len() != columns.len() {
                return Err(Error::internal(format!(
                    "{}: row {} has {} values for {} columns",
                    self.shape.name,
                    self.written,
                    row.len(),
                    columns.len()
                )));
            }
            for ((cell, values), name) in row.into_iter().zip(&mut columns).zip(&self.shape.columns)
            {
                values.push(cell).map_err(|what| {
                    Error::internal(format!(
                        "{}.{name}, row {}: {what}",
                        self.shape.name, self.written
                    ))
                })?;
            }
        }
        let mut query = sqlx::query(&self.sql);
        for values in columns {
            query = match values {
                Values::BigInt(v) => query.bind(v),
                Values::Boolean(v) => query.bind(v),
                Values::Text(v) => query.bind(v),
                Values::Bytea(v) => query.bind(v),
            };
        }
        query
            .execute(&mut *self.tx)
            .await
            .map_err(|e| Error::internal(format!("loading {}: {e}", self.shape.name)))?;
        Ok(())
    }

    /// Commits the table's rows; returns how many were written. The table is analyzed first,
    /// so the planner knows its size from the first query on.
    pub async fn commit(mut self) -> Result<u64> {
        let failed = |e: sqlx::Error| Error::internal(format!("loading {}: {e}", self.shape.name));
        sqlx::query(&format!("ANALYZE {}", quote(&self.shape.name)))
            .execute(&mut *self.tx)
            .await
            .map_err(failed)?;
        self.tx.commit().await.map_err(failed)?;
        Ok(self.written)
    }
}

/// One column of a chunk, as the array bound for it.
enum Values {
    BigInt(Vec<Option<i64>>),
    Boolean(Vec<Option<bool>>),
    Text(Vec<Option<String>>),
    Bytea(Vec<Option<Vec<u8>>>),
}

impl Values {
    fn new(kind: Kind, capacity: usize) -> Values {
        match kind {
            Kind::BigInt => Values::BigInt(Vec::with_capacity(capacity)),
            Kind::Boolean => Values::Boolean(Vec::with_capacity(capacity)),
            Kind::Text => Values::Text(Vec::with_capacity(capacity)),
            Kind::Bytea => Values::Bytea(Vec::with_capacity(capacity)),
        }
    }

    /// Appends `cell`, or says why it does not fit this column.
    fn push(&mut self, cell: Cell) -> std::result::Result<(), String> {
        match (self, cell) {
            (Values::BigInt(v), Cell::Null) => v.push(None),
            (Values::Boolean(v), Cell::Null) => v.push(None),
            (Values::Text(v), Cell::Null) => v.push(None),
            (Values::Bytea(v), Cell::Null) => v.push(None),
            (Values::BigInt(v), Cell::Integer(i)) => v.push(Some(i)),
            (Values::Boolean(v), Cell::Integer(0)) => v.push(Some(false)),
            (Values::Boolean(v), Cell::Integer(1)) => v.push(Some(true)),
            (Values::Text(v), Cell::Text(t)) => v.push(Some(t)),
            (Values::Bytea(v), Cell::Blob(b)) => v.push(Some(b)),
            (Values::Boolean(_), Cell::Integer(i)) => {
                return Err(format!("{i} is not a flag (0 or 1)"));
            }
            (values, cell) => {
                return Err(format!(
                    "{} does not fit a {} column",
                    cell.kind(),
                    values.type_name()
                ));
            }
        }
        Ok(())
    }

    fn type_name(&self) -> &'static str {
        match self {
            Values::BigInt(_) => "BIGINT",
            Values::Boolean(_) => "BOOLEAN",
            Values::Text(_) => "TEXT",
            Values::Bytea(_) => "BYTEA",
        }
    }
}

/// An identifier quoted for SQL.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_convert_to_their_column_or_are_refused() {
        let mut flags = Values::new(Kind::Boolean, 3);
        for cell in [Cell::Integer(1), Cell::Integer(0), Cell::Null] {
            assert_eq!(flags.push(cell), Ok(()));
        }
        assert!(matches!(&flags, Values::Boolean(v) if *v == [Some(true), Some(false), None]));
        assert_eq!(
            flags.push(Cell::Integer(2)),
            Err("2 is not a flag (0 or 1)".into())
        );
        let mut ids = Values::new(Kind::BigInt, 1);
        assert_eq!(
            ids.push(Cell::Text("12".into())),
            Err("text does not fit a BIGINT column".into())
        );
        let mut hashes = Values::new(Kind::Bytea, 1);
        assert_eq!(
            hashes.push(Cell::Real(1.5)),
            Err("a real number does not fit a BYTEA column".into())
        );
    }

    #[test]
    fn boolean_columns_must_agree_with_the_database() {
        assert_eq!(
            kind("users", "verified", "boolean").ok(),
            Some(Kind::Boolean)
        );
        assert!(kind("users", "verified", "bigint").is_err());
        assert!(kind("users", "name", "boolean").is_err());
        assert!(kind("events", "search", "tsvector").is_err());
        assert_eq!(kind("tokens", "hash", "bytea").ok(), Some(Kind::Bytea));
    }
}
