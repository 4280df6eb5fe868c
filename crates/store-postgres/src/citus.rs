//! Where each table lives on a Citus cluster, in one place.
//!
//! Postern runs unchanged on a distributed PostgreSQL (Citus): when the database has the
//! `citus` extension, every start places the tables this plan names that are not placed yet,
//! after the migrations and under their lock, so a table a new migration creates is placed
//! by the first node that runs it. On a plain PostgreSQL nothing here runs.
//!
//! The plan's rules are checked on plain PostgreSQL too (`tests/citus_rules.rs`), because
//! Citus refuses a plan that breaks them only when it is run: every table is placed, tables
//! sharded by the same key are colocated (their keys have one type and one collation), and
//! every unique key of a sharded table includes its shard key.

use postern_core::Result;
use sqlx::PgConnection;

use crate::rows::Db;

/// How a table is spread over the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Sharded by conversation, beside the conversation's row: the column holding its id.
    Conversation(&'static str),
    /// Sharded by user, beside that user's stream: the column holding the user id.
    User(&'static str),
    /// Sharded by its own id, colocated with nothing.
    Own(&'static str),
    /// A copy on every node: small, read with everything, written rarely.
    Reference,
    /// Left on the coordinator: bookkeeping, or cold tables read and written there alone.
    Coordinator,
}

use Placement::{Conversation, Coordinator, Own, Reference, User};

/// Every table, and where it lives. (The first of each colocated group anchors it.)
pub const PLAN: &[(&str, Placement)] = &[
    // One conversation's data on one worker: history pages, unread counts and appends in a
    // conversation never cross workers.
    ("conversations", Conversation("id")),
    ("participants", Conversation("conversation_id")),
    ("events", Conversation("conversation_id")),
    ("reactions", Conversation("conversation_id")),
    ("message_edits", Conversation("conversation_id")),
    ("hidden_events", Conversation("conversation_id")),
    ("media_attachments", Conversation("conversation_id")),
    // One user's stream on one worker: replay after a reconnect is a single-shard range scan.
    ("user_stream", User("user_id")),
    ("stream_heads", User("user_id")),
    ("idempotency", User("sender_id")),
    // Rendered once and shared by every receiver; fetched by id after the user's positions.
    ("stream_events", Own("id")),
    // Uploads, by their id: attaching one is a lookup by id from wherever the send runs.
    ("media", Own("id")),
    // Read beside nearly everything (admission reads the graph and settings on every send),
    // written rarely; unique keys (screen names, token hashes) that are not a shard key.
    ("users", Reference),
    ("tokens", Reference),
    ("follows", Reference),
    ("blocks", Reference),
    ("mutes", Reference),
    ("reports", Reference),
    // Business, bot and insight tables: small next to messages, read and written by the
    // service's cold queries, which join them with one another freely. `append_message`
    // runs on the coordinator too, so the insights it keeps are local writes there. (Run on
    // the worker holding the conversation, as a distributed function, sends were half as
    // fast: a backend serving the coordinator keeps no connections to other workers, so
    // each send opened a new one; docs/benchmarks.md.)
    ("activity_subscriptions", Coordinator),
    ("app_grants", Coordinator),
    ("apps", Coordinator),
    ("away_notices", Coordinator),
    ("bot_flows", Coordinator),
    ("bot_sessions", Coordinator),
    ("button_clicks", Coordinator),
    ("card_clicks", Coordinator),
    ("card_conversations", Coordinator),
    ("card_impressions", Coordinator),
    ("cold_text", Coordinator),
    ("conversation_control", Coordinator),
    ("custom_profiles", Coordinator),
    ("dm_cards", Coordinator),
    ("dm_hours", Coordinator),
    ("dm_starts", Coordinator),
    ("feedback_requests", Coordinator),
    ("oauth_nonces", Coordinator),
    ("oauth_pending", Coordinator),
    ("open_prompts", Coordinator),
    ("pending_rebuilds", Coordinator),
    ("post_mentions", Coordinator),
    ("posts", Coordinator),
    ("server_keys", Coordinator),
    ("webhook_deliveries", Coordinator),
    ("webhook_replays", Coordinator),
    ("webhook_subscriptions", Coordinator),
    ("webhooks", Coordinator),
    ("welcome_messages", Coordinator),
    ("welcome_rules", Coordinator),
    ("schema_migrations", Coordinator),
];

/// The table that anchors a placement's colocation group, if it has one.
pub fn anchor(placement: Placement) -> Option<&'static str> {
    match placement {
        Conversation(_) => Some("conversations"),
        User(_) => Some("user_stream"),
        Own(_) | Reference | Coordinator => None,
    }
}

/// Settings for every session Postern opens on a Citus coordinator.
///
/// A statement that reads many shards (an inbox page reads the user's rows on every shard of
/// `participants`) would otherwise open more connections to each worker than the one Citus
/// keeps, and close them when it ends: under load, a new PostgreSQL process on each worker for
/// most reads. With one connection per worker a statement runs its shards there in turn, over
/// a connection that stays open; Postern's statements are small, so little parallelism is
/// lost. Inbox p99 under load went from 576 to 231 ms (docs/benchmarks.md).
pub const SESSION: &[(&str, &str)] = &[("citus.max_adaptive_executor_pool_size", "1")];

/// Whether this database is a Citus coordinator.
pub async fn enabled(conn: &mut PgConnection) -> Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')")
        .fetch_one(conn)
        .await
        .db()
}

/// Places every planned table not placed yet (a no-op without Citus); answers whether the
/// database is a Citus coordinator. Runs under the migration lock, after the migrations.
pub(crate) async fn place(conn: &mut PgConnection) -> Result<bool> {
    if !enabled(conn).await? {
        return Ok(false);
    }
    let placed: Vec<String> =
        sqlx::query_scalar("SELECT logicalrelid::regclass::text FROM pg_dist_partition")
            .fetch_all(&mut *conn)
            .await
            .db()?;
    // Each group's anchor first: a table is colocated with one already distributed.
    let anchors_first = PLAN
        .iter()
        .filter(|(table, p)| anchor(*p) == Some(*table))
        .chain(PLAN.iter().filter(|(table, p)| anchor(*p) != Some(*table)));
    for (table, placement) in anchors_first {
        if placed.iter().any(|p| p == table) {
            continue;
        }
        let call = match (placement, anchor(*placement)) {
            (Conversation(column) | User(column), Some(anchor)) if anchor == *table => {
                format!(
                    "SELECT create_distributed_table('{table}', '{column}', colocate_with => 'none')"
                )
            }
            (Conversation(column) | User(column), Some(anchor)) => format!(
                "SELECT create_distributed_table('{table}', '{column}', colocate_with => '{anchor}')"
            ),
            (Own(column), _) => format!(
                "SELECT create_distributed_table('{table}', '{column}', colocate_with => 'none')"
            ),
            (Reference, _) => format!("SELECT create_reference_table('{table}')"),
            (Coordinator, _) | (Conversation(_) | User(_), None) => continue,
        };
        sqlx::query(&call)
            .execute(&mut *conn)
            .await
            .map_err(|e| postern_core::Error::internal(format!("placing {table} on Citus: {e}")))?;
        tracing::info!(table, "placed on the Citus cluster");
    }
    Ok(true)
}
