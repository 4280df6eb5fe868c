//! Postern's store on PostgreSQL, for several nodes sharing one database.
//!
//! - `accounts`, `graph`, `conversations`, `messages`, `stream`: the storage traits, behaving
//!   exactly like the SQLite store (the conformance suite in `tests/` runs against both).
//! - `append`: sending a message, one call to a database function.
//! - `fanout`: stream positions, taken per receiver at commit.
//! - `import`: loading rows copied from SQLite (`postern migrate-data`), a table per
//!   transaction.
//! - `rows`: mapping between rows and domain values.
//! - `search_text`: full-text words cut the way SQLite's FTS5 cuts them.
//! - [`schema`]: the embedded migrations and what differs from SQLite's schema.
//!
//! There is no single writer: every trait write is one transaction, and the orderings SQLite
//! gets from its writer thread come from row locks here. A conversation's row is locked
//! first by every write in it, so its event ids follow commit order; stream heads are locked
//! last, in user order (see `fanout`).

mod accounts;
mod append;
pub mod citus;
mod cold;
mod conversations;
mod fanout;
mod graph;
mod import;
mod media;
mod messages;
mod rows;
pub mod schema;
mod search_text;
mod stream;

pub use import::TableImport;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use postern_core::{Error, IdGenerator, Result};
use postern_store::cold::ColdSql;
use postern_store::{Store, tally};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection, Postgres, Transaction};

use crate::rows::Db;

/// Connections per node. A send holds one for a single round trip, other writes for a few,
/// reads for one or a few. (With 32 concurrent senders on a 2-core machine, 8 and 32 measured
/// within the noise of 16: the database's CPU is the limit there, not connections.)
const MAX_CONNECTIONS: u32 = 16;

pub struct PostgresStore {
    pool: PgPool,
    ids: Arc<IdGenerator>,
}

impl PostgresStore {
    /// Connects, applies the embedded migrations (under an advisory lock, so several nodes can
    /// start at once) and sets up the id generator: with `node_id` it uses that node id,
    /// otherwise it claims one from the database.
    pub async fn connect(url: &str, node_id: Option<u16>) -> Result<PostgresStore> {
        let mut conn = PgConnection::connect(url)
            .await
            .map_err(|e| Error::internal(format!("connecting to PostgreSQL: {e}")))?;
        schema::lock(&mut conn).await?;
        let opened = async {
            let (node, citus) = prepare(&mut conn, node_id).await?;
            let store = Self::open(url, node, citus).await?;
            // Still under the lock: no node serves until what the migrations left is done.
            if !store.select(tally::pending()).await?.is_empty() {
                tally::rebuild(&store).await?;
            }
            Ok(store)
        }
        .await;
        // Closing the session also releases the advisory lock if unlocking failed.
        let _ = schema::unlock(&mut conn).await;
        let _ = conn.close().await;
        opened
    }

    /// The pool (its sessions set up for Citus when `citus`), and the id generator seeded past
    /// every stored id.
    async fn open(url: &str, node: u16, citus: bool) -> Result<PostgresStore> {
        let mut options: PgConnectOptions = url.parse().map_err(Error::internal)?;
        if citus {
            options = options.options(citus::SESSION.iter().copied());
        }
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            // sqlx would otherwise ping each connection before handing it out: a round trip
            // added to every operation. sqlx still tests connections when they are returned
            // (off the request's path), so only one that breaks while idle can fail an
            // operation, once, before it is discarded.
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(Error::internal)?;
        let ids = Arc::new(IdGenerator::new(node));
        // Seeding the generator with the newest stored id keeps ids increasing across
        // restarts even if the clock went back, as the SQLite store does (stream event ids
        // come from the generator here, so they count too). With several nodes the newest id
        // may be another node's: a node whose clock is behind it counts up from that id, with
        // that node's bits, until its clock catches up, so node clocks should be kept in step
        // (NTP); a clash then shows as a refused write, never as two rows with one id.
        let newest: i64 = sqlx::query_scalar(
            "SELECT greatest(
                coalesce((SELECT max(id) FROM events), 0),
                coalesce((SELECT max(id) FROM users), 0),
                coalesce((SELECT max(id) FROM stream_events), 0))",
        )
        .fetch_one(&pool)
        .await
        .db()?;
        ids.observe(newest);
        tracing::info!(node, "connected to PostgreSQL");
        Ok(PostgresStore { pool, ids })
    }

    /// The generator the store uses; the server hands the same one to the service layer.
    pub fn ids(&self) -> Arc<IdGenerator> {
        self.ids.clone()
    }

    /// Recomputes what PostgreSQL keeps beside SQLite's tables (see [`schema::BACKEND_ONLY`])
    /// after rows were copied in table by table: the search words of messages and posts that
    /// have none, and every user's stream head. Safe to run again; run it before serving.
    pub async fn rebuild_derived(&self) -> Result<()> {
        // Keyset batches by id, so messages without words (left NULL) are passed only once.
        let mut after = i64::MIN;
        loop {
            let batch = sqlx::query_as::<_, (String, i64, String)>(
                "SELECT conversation_id, id, text FROM events
                 WHERE search IS NULL AND kind = 0 AND NOT deleted AND id > $1 ORDER BY id LIMIT 1000",
            )
            .bind(after)
            .fetch_all(&self.pool)
            .await
            .db()?;
            let Some((_, last, _)) = batch.last() else {
                break;
            };
            after = *last;
            let mut tx = self.begin().await?;
            for (conversation, id, text) in batch {
                let Some(document) = search_text::document(&text) else {
                    continue;
                };
                sqlx::query(
                    "UPDATE events SET search = $3::tsvector WHERE conversation_id = $1 AND id = $2",
                )
                .bind(conversation)
                .bind(id)
                .bind(document)
                .execute(&mut *tx)
                .await
                .db()?;
            }
            tx.commit().await.db()?;
        }
        self.rebuild_cold_text().await?;
        sqlx::query(
            "INSERT INTO stream_heads (user_id, position)
             SELECT user_id, max(position) FROM user_stream GROUP BY user_id
             ON CONFLICT (user_id) DO UPDATE SET position = greatest(stream_heads.position, excluded.position)",
        )
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    /// Indexes the words of every live post without any (copied rows come without them).
    async fn rebuild_cold_text(&self) -> Result<()> {
        let mut after = i64::MIN;
        loop {
            let batch = sqlx::query_as::<_, (i64, String)>(
                "SELECT p.id, p.text FROM posts p
                 WHERE p.deleted_at IS NULL AND p.id > $1
                   AND NOT EXISTS (SELECT 1 FROM cold_text t WHERE t.id = p.id)
                 ORDER BY p.id LIMIT 1000",
            )
            .bind(after)
            .fetch_all(&self.pool)
            .await
            .db()?;
            let Some((last, _)) = batch.last() else {
                return Ok(());
            };
            after = *last;
            let mut tx = self.begin().await?;
            for (id, text) in batch {
                cold::index(&mut tx, postern_store::cold::kinds::POST, id, &text).await?;
            }
            tx.commit().await.db()?;
        }
    }

    async fn begin(&self) -> Result<Transaction<'static, Postgres>> {
        self.pool.begin().await.db()
    }

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<Postgres>> {
        self.pool.acquire().await.db()
    }
}

/// Migrates, then settles the node id, on the one session that holds the migration lock;
/// answers the node id and whether the database is a Citus coordinator.
async fn prepare(conn: &mut PgConnection, node_id: Option<u16>) -> Result<(u16, bool)> {
    schema::apply(conn).await?;
    let citus = citus::place(conn).await?;
    let node = match node_id {
        Some(n) => n,
        None => claim_node_id(conn).await?,
    };
    Ok((node, citus))
}

/// Claims a node id for a server started without one: a database sequence hands each start
/// the next number, modulo the 1024 node ids. Two servers collide only if one keeps running
/// while 1023 other starts happen, and even then their ids clash only when both take the same
/// millisecond and sequence; deployments that keep nodes up for long while others churn should
/// set node ids explicitly.
async fn claim_node_id(conn: &mut PgConnection) -> Result<u16> {
    let n: i64 = sqlx::query_scalar("SELECT nextval('postern_node_ids') % 1024")
        .fetch_one(&mut *conn)
        .await
        .db()?;
    u16::try_from(n).map_err(Error::internal)
}

#[async_trait]
impl Store for PostgresStore {
    fn cold(&self) -> &dyn postern_store::cold::ColdSql {
        self
    }

    fn backend_name(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .db()
            .map(drop)
    }

    async fn claim_nonce(
        &self,
        consumer_key: &str,
        nonce: &str,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool> {
        // Not waiting for the disk: a crash may forget the last moments' nonces, which lets
        // those requests be replayed once within their five minutes; waiting would add a
        // flush to every signed request.
        let mut tx = self.pool.begin().await.db()?;
        sqlx::query("SET LOCAL synchronous_commit = off")
            .execute(&mut *tx)
            .await
            .db()?;
        let claimed = sqlx::query(
            "INSERT INTO oauth_nonces (consumer_key, nonce, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (consumer_key, nonce) DO NOTHING",
        )
        .bind(consumer_key)
        .bind(nonce)
        .bind(expires_at.timestamp_millis())
        .execute(&mut *tx)
        .await
        .db()?
        .rows_affected();
        tx.commit().await.db()?;
        Ok(claimed == 1)
    }

    async fn forget_nonces(&self, now: chrono::DateTime<chrono::Utc>) -> Result<usize> {
        let removed = sqlx::query("DELETE FROM oauth_nonces WHERE expires_at < $1")
            .bind(now.timestamp_millis())
            .execute(&self.pool)
            .await
            .db()?
            .rows_affected();
        Ok(usize::try_from(removed).unwrap_or(usize::MAX))
    }
}
