//! [`ColdSql`] on PostgreSQL: `?N` placeholders become `$N`, each `run` is one transaction,
//! and returned columns come back as [`Cell`]s by their type (`BOOLEAN` as 0/1, for the
//! columns older tables declare that way).

use async_trait::async_trait;
use postern_core::{Error, Result};
use postern_store::cold::{Cell, ColdRow, ColdSql, Statement, dollar_placeholders};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{Column, PgConnection, Postgres, Row, TypeInfo, ValueRef};

use crate::rows::Db;
use crate::{PostgresStore, search_text};

#[async_trait]
impl ColdSql for PostgresStore {
    async fn run(&self, statements: Vec<Statement>) -> Result<Vec<Vec<ColdRow>>> {
        let mut tx = self.pool.begin().await.db()?;
        let mut outcomes = Vec::with_capacity(statements.len());
        for s in &statements {
            let rows = match s {
                Statement::Sql { sql, params } => {
                    let sql = dollar_placeholders(sql);
                    bind(sqlx::query(&sql), params)
                        .fetch_all(&mut *tx)
                        .await
                        .db()?
                }
                Statement::Index { kind, id, text } => {
                    index(&mut tx, kind, *id, text).await?;
                    Vec::new()
                }
            };
            outcomes.push(rows.iter().map(cold_row).collect::<Result<Vec<_>>>()?);
        }
        tx.commit().await.db()?;
        Ok(outcomes)
    }

    async fn select(&self, statement: Statement) -> Result<Vec<ColdRow>> {
        let Statement::Sql { sql, params } = &statement else {
            return Err(Error::internal("an index change is a write"));
        };
        let sql = dollar_placeholders(sql);
        let rows = bind(sqlx::query(&sql), params)
            .fetch_all(&self.pool)
            .await
            .db()?;
        rows.iter().map(cold_row).collect()
    }

    async fn select_all(&self, statements: Vec<Statement>) -> Result<Vec<Vec<ColdRow>>> {
        let mut c = self.pool.acquire().await.db()?;
        let mut outcomes = Vec::with_capacity(statements.len());
        for s in &statements {
            let Statement::Sql { sql, params } = s else {
                return Err(Error::internal("an index change is a write"));
            };
            let sql = dollar_placeholders(sql);
            let rows = bind(sqlx::query(&sql), params)
                .fetch_all(&mut *c)
                .await
                .db()?;
            outcomes.push(rows.iter().map(cold_row).collect::<Result<Vec<_>>>()?);
        }
        Ok(outcomes)
    }

    async fn search(
        &self,
        kind: &'static str,
        query: &str,
        before: i64,
        limit: usize,
    ) -> Result<Vec<i64>> {
        // Words without letters or digits match nothing, as in FTS5.
        let Some(tsquery) = search_text::query(query) else {
            return Ok(Vec::new());
        };
        let ids = sqlx::query_scalar(
            "SELECT id FROM cold_text WHERE kind = $1 AND doc @@ $2::tsquery AND id < $3
             ORDER BY id DESC LIMIT $4",
        )
        .bind(kind)
        .bind(tsquery)
        .bind(before)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(ids)
    }
}

/// Makes `text` (cut into words as SQLite would) what `id` is found by; none for no words.
pub(crate) async fn index(c: &mut PgConnection, kind: &str, id: i64, text: &str) -> Result<()> {
    match search_text::document(text) {
        Some(doc) => {
            sqlx::query(
                "INSERT INTO cold_text (id, kind, doc) VALUES ($1, $2, $3::tsvector)
                 ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, doc = excluded.doc",
            )
            .bind(id)
            .bind(kind)
            .bind(doc)
            .execute(&mut *c)
            .await
            .db()?;
        }
        None => {
            sqlx::query("DELETE FROM cold_text WHERE id = $1")
                .bind(id)
                .execute(&mut *c)
                .await
                .db()?;
        }
    }
    Ok(())
}

fn bind<'q>(
    mut query: Query<'q, Postgres, PgArguments>,
    params: &'q [Cell],
) -> Query<'q, Postgres, PgArguments> {
    // A NULL goes as text, so a statement prepared (and cached by its SQL) with a NULL where
    // another call puts an integer would read that integer's bytes as text. Statements with
    // a NULL are prepared for their call only.
    if params.iter().any(|p| matches!(p, Cell::Null)) {
        query = query.persistent(false);
    }
    for p in params {
        query = match p {
            Cell::Null => query.bind(None::<String>),
            Cell::Integer(n) => query.bind(*n),
            Cell::Real(f) => query.bind(*f),
            Cell::Text(s) => query.bind(s.as_str()),
            Cell::Blob(b) => query.bind(b.as_slice()),
        };
    }
    query
}

fn cold_row(row: &PgRow) -> Result<ColdRow> {
    let cells = row
        .columns()
        .iter()
        .map(|column| {
            let i = column.ordinal();
            if row.try_get_raw(i).db()?.is_null() {
                return Ok(Cell::Null);
            }
            Ok(match column.type_info().name() {
                "INT8" => Cell::Integer(row.try_get(i).db()?),
                "INT4" => Cell::Integer(i64::from(row.try_get::<i32, _>(i).db()?)),
                "INT2" => Cell::Integer(i64::from(row.try_get::<i16, _>(i).db()?)),
                "BOOL" => Cell::Integer(i64::from(row.try_get::<bool, _>(i).db()?)),
                "FLOAT8" => Cell::Real(row.try_get(i).db()?),
                "TEXT" | "VARCHAR" | "NAME" => Cell::Text(row.try_get(i).db()?),
                "BYTEA" => Cell::Blob(row.try_get(i).db()?),
                other => {
                    return Err(Error::internal(format!(
                        "a cold query returned a {other} column, outside the portable types"
                    )));
                }
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ColdRow(cells))
}
