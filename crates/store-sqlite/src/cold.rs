//! [`ColdSql`] on SQLite: writes join the group commit (each `run` in its own savepoint, so
//! its statements stand or fall together); reads use a pooled reader.

use async_trait::async_trait;
use postern_core::{Error, Result};
use postern_store::cold::{Cell, ColdRow, ColdSql, Statement};
use postern_store::tally::{self, Rebuild};
use rusqlite::types::{ToSqlOutput, Value};
use rusqlite::{Connection, params_from_iter};

use crate::SqliteStore;
use crate::export::cell;
use crate::rows::Db;

#[async_trait]
impl ColdSql for SqliteStore {
    async fn run(&self, statements: Vec<Statement>) -> Result<Vec<Vec<ColdRow>>> {
        self.write(move |c| statements.iter().map(|s| step(c, s)).collect())
            .await
    }

    async fn select(&self, statement: Statement) -> Result<Vec<ColdRow>> {
        self.read(move |c| match &statement {
            Statement::Sql { sql, params } => execute(c, sql, params),
            Statement::Index { .. } => Err(Error::internal("an index change is a write")),
        })
        .await
    }

    async fn select_all(&self, statements: Vec<Statement>) -> Result<Vec<Vec<ColdRow>>> {
        self.read(move |c| {
            statements
                .iter()
                .map(|s| match s {
                    Statement::Sql { sql, params } => execute(c, sql, params),
                    Statement::Index { .. } => Err(Error::internal("an index change is a write")),
                })
                .collect()
        })
        .await
    }

    async fn search(
        &self,
        kind: &'static str,
        query: &str,
        before: i64,
        limit: usize,
    ) -> Result<Vec<i64>> {
        // Each word becomes a quoted FTS5 prefix term, so user input cannot inject syntax.
        let terms: Vec<String> = query
            .split_whitespace()
            .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
            .collect();
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let expr = terms.join(" ");
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            let mut found = c
                .prepare_cached(
                    "SELECT rowid FROM cold_text WHERE cold_text MATCH ?1 AND kind = ?2 AND rowid < ?3
                     ORDER BY rowid DESC LIMIT ?4",
                )
                .db()?;
            let ids = found
                .query_map((&expr, kind, before, limit), |r| r.get(0))
                .db()?;
            ids.collect::<rusqlite::Result<Vec<i64>>>().db()
        })
        .await
    }
}

/// Runs one statement on `c` (the writer's, in a send's transaction, or the opening one).
pub(crate) fn step(c: &Connection, s: &Statement) -> Result<Vec<ColdRow>> {
    match s {
        Statement::Sql { sql, params } => execute(c, sql, params),
        Statement::Index { kind, id, text } => {
            c.prepare_cached("DELETE FROM cold_text WHERE rowid = ?1")
                .db()?
                .execute([id])
                .db()?;
            if !text.is_empty() {
                c.prepare_cached("INSERT INTO cold_text (rowid, kind, text) VALUES (?1, ?2, ?3)")
                    .db()?
                    .execute((id, kind, text))
                    .db()?;
            }
            Ok(Vec::new())
        }
    }
}

fn execute(c: &Connection, sql: &str, params: &[Cell]) -> Result<Vec<ColdRow>> {
    let mut statement = c.prepare_cached(sql).db()?;
    let columns = statement.column_count();
    let params = params_from_iter(params.iter().map(bound));
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

/// Counts the insights of messages stored before they were kept ([`tally::rebuild`], here on
/// the opening connection, before anything can send), in one transaction.
pub(crate) fn rebuild_if_pending(conn: &mut Connection) -> Result<()> {
    if step(conn, &tally::pending())?.is_empty() {
        return Ok(());
    }
    let tx = conn.transaction().db()?;
    for s in Rebuild::begin() {
        step(&tx, &s)?;
    }
    let mut rebuild = Rebuild::default();
    while let Some(page) = rebuild.next_page() {
        let rows = step(&tx, &page)?;
        for s in rebuild.feed(&rows)? {
            step(&tx, &s)?;
        }
    }
    let clicks = step(&tx, &Rebuild::clicks())?;
    for s in rebuild.finish(&clicks)? {
        step(&tx, &s)?;
    }
    tx.commit().db()
}
