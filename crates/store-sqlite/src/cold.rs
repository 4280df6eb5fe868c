//! [`ColdSql`] on SQLite: writes join the group commit (each `run` in its own savepoint, so
//! its statements stand or fall together); reads use a pooled reader.

use async_trait::async_trait;
use postern_core::{Error, Result};
use postern_store::cold::{Cell, ColdRow, ColdSql, Statement};
use rusqlite::types::{ToSqlOutput, Value};
use rusqlite::{Connection, params_from_iter};

use crate::SqliteStore;
use crate::export::cell;
use crate::rows::Db;

#[async_trait]
impl ColdSql for SqliteStore {
    async fn run(&self, statements: Vec<Statement>) -> Result<Vec<Vec<ColdRow>>> {
        self.write(move |c| statements.iter().map(|s| execute(c, s)).collect())
            .await
    }

    async fn select(&self, statement: Statement) -> Result<Vec<ColdRow>> {
        self.read(move |c| execute(c, &statement)).await
    }
}

fn execute(c: &Connection, s: &Statement) -> Result<Vec<ColdRow>> {
    let mut statement = c.prepare_cached(&s.sql).db()?;
    let columns = statement.column_count();
    let params = params_from_iter(s.params.iter().map(bound));
    let mut rows = Vec::new();
    let mut found = statement.query(params).db()?;
    while let Some(row) = found.next().db()? {
        let cells = (0..columns)
            .map(|i| {
                let value = row.get_ref(i).db()?;
                cell(value)
                    .ok_or_else(|| Error::internal("a cold column holds text that is not UTF-8"))
            })
            .collect::<Result<Vec<_>>>()?;
        rows.push(ColdRow(cells));
    }
    Ok(rows)
}

fn bound(cell: &Cell) -> ToSqlOutput<'static> {
    ToSqlOutput::Owned(match cell {
        Cell::Null => Value::Null,
        Cell::Integer(n) => Value::Integer(*n),
        Cell::Real(f) => Value::Real(*f),
        Cell::Text(s) => Value::Text(s.clone()),
        Cell::Blob(b) => Value::Blob(b.clone()),
    })
}
