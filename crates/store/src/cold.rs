//! Cold tables, written once for both backends (docs/storage.md).
//!
//! The hot paths (append, inbox, history, stream) keep SQL tuned to each backend. Everything
//! else (business settings, welcome messages, profiles, click counts, and the tables later
//! features add) is read and written through [`ColdSql`]: statements in the SQL both SQLite
//! and PostgreSQL speak, with `?1`, `?2`, … placeholders, bound with [`Cell`]s, run by
//! whichever backend is configured. A cold table's queries live beside its domain code in
//! this crate, once; its DDL is one file both backends' migrations include.
//!
//! The portable subset, which [`ColdSql`] implementations may rely on:
//! - column types `BIGINT` and `TEXT` only (booleans are 0/1, times Unix milliseconds, JSON
//!   is text), so every value is a [`Cell::Integer`], [`Cell::Text`] or [`Cell::Null`];
//! - `INSERT … ON CONFLICT … DO UPDATE`, `RETURNING`, `LIMIT`, `coalesce`, `CASE`;
//! - no backend functions (`now()`, `json_*`): times and ids come in as parameters;
//! - a parameter that may be NULL where a `BIGINT` goes is written `CAST(?N AS BIGINT)`
//!   (PostgreSQL types a NULL parameter as text, which a `BIGINT` column will not take);
//! - a `sum(…)` is written `CAST(… AS BIGINT)` (PostgreSQL sums integers as `NUMERIC`).

/// The cold tables' migrations, one DDL file each for both backends; each backend runs them in
/// this order, numbered in its own sequence of migrations.
pub mod migrations {
    /// Support settings beside the user; who was sent an away message.
    pub const SUPPORT: &str = include_str!("schema/0001_support.sql");
    /// Interactive message parts, open quick-reply prompts, button clicks.
    pub const MESSAGE_PARTS: &str = include_str!("schema/0002_message_parts.sql");
    /// The names and pictures an account's agents send as.
    pub const CUSTOM_PROFILES: &str = include_str!("schema/0003_custom_profiles.sql");
    /// Welcome messages and each account's default.
    pub const WELCOME_MESSAGES: &str = include_str!("schema/0004_welcome_messages.sql");
    /// Public posts and whom they mention. (Each backend first creates its own full-text
    /// index for [`super::ColdSql::search`].)
    pub const POSTS: &str = include_str!("schema/0005_posts.sql");
    /// DM cards and what they measure.
    pub const DM_CARDS: &str = include_str!("schema/0006_dm_cards.sql");
    /// Feedback surveys and their answers.
    pub const FEEDBACK: &str = include_str!("schema/0007_feedback.sql");
    /// Insights kept as messages are stored (see [`crate::tally`]).
    pub const INSIGHTS: &str = include_str!("schema/0008_insights.sql");
    /// Developer apps, their keys, who authorized them, OAuth nonces, sealing keys.
    pub const APPS: &str = include_str!("schema/0009_apps.sql");
    /// The name a survey's question gives the account (Twitter's `display_name`).
    pub const FEEDBACK_DISPLAY_NAME: &str = include_str!("schema/0010_feedback_display_name.sql");
    /// An app's bearer token, sealed, so `POST /oauth2/token` can hand it back.
    pub const APP_BEARER_SEALED: &str = include_str!("schema/0011_app_bearer_sealed.sql");
    /// OAuth request tokens and authorization codes between consent and exchange.
    pub const OAUTH_PENDING: &str = include_str!("schema/0012_oauth_pending.sql");
    /// Native webhooks and their delivery log.
    pub const WEBHOOKS: &str = include_str!("schema/0013_webhooks.sql");
    /// Who speaks for a business account in each conversation: its bots or a person.
    pub const CONVERSATION_CONTROL: &str = include_str!("schema/0014_conversation_control.sql");
    /// The bot builder's flows and where each conversation is in them.
    pub const BOT_FLOWS: &str = include_str!("schema/0015_bot_flows.sql");
    /// Webhook replays of a time range.
    pub const WEBHOOK_REPLAYS: &str = include_str!("schema/0016_webhook_replays.sql");
    /// The X Activity API's subscriptions.
    pub const ACTIVITY_SUBSCRIPTIONS: &str = include_str!("schema/0017_activity_subscriptions.sql");
    /// The webhook log's index by time, dropped (it is swept by id).
    pub const WEBHOOK_LOG_INDEX: &str = include_str!("schema/0018_webhook_log_index.sql");
    /// When a Twitter-compatible webhook last answered the CRC, and was last asked.
    pub const WEBHOOK_CRC: &str = include_str!("schema/0019_webhook_crc.sql");
    /// A delivery log row per POST: how many events it carried.
    pub const WEBHOOK_LOG_POSTS: &str = include_str!("schema/0020_webhook_log_posts.sql");
}

/// The kinds of object [`ColdSql::search`] finds.
pub mod kinds {
    pub const POST: &str = "post";
}

use std::borrow::Cow;

use async_trait::async_trait;
use postern_core::{Error, Result};

pub use crate::copy::Cell;

/// One step of a [`ColdSql::run`]: a statement and its parameters, which `?1`, `?2`, … in
/// `sql` name in order; or a change to the full-text index [`ColdSql::search`] reads, which
/// each backend keeps its own way (and which returns no rows).
#[derive(Debug, Clone)]
pub enum Statement {
    Sql {
        sql: Cow<'static, str>,
        params: Vec<Cell>,
    },
    /// Makes `text` findable as object `id` of `kind` (a post), replacing what it was
    /// findable by; with an empty `text`, makes it findable by nothing.
    Index {
        kind: &'static str,
        id: i64,
        text: String,
    },
}

impl Statement {
    pub fn new(sql: &'static str, params: Vec<Cell>) -> Statement {
        Statement::Sql {
            sql: Cow::Borrowed(sql),
            params,
        }
    }

    /// A statement whose text is built at run time (an `IN` list's placeholders).
    pub fn owned(sql: String, params: Vec<Cell>) -> Statement {
        Statement::Sql {
            sql: Cow::Owned(sql),
            params,
        }
    }

    /// Indexes (or, with empty text, unindexes) `id` of `kind` for [`ColdSql::search`].
    pub fn index(kind: &'static str, id: i64, text: impl Into<String>) -> Statement {
        Statement::Index {
            kind,
            id,
            text: text.into(),
        }
    }
}

/// A returned row's cells, in the statement's column order.
#[derive(Debug, Clone, PartialEq)]
pub struct ColdRow(pub Vec<Cell>);

impl ColdRow {
    fn cell(&self, i: usize) -> Result<&Cell> {
        self.0
            .get(i)
            .ok_or_else(|| Error::internal(format!("a cold row has no column {i}")))
    }

    pub fn int(&self, i: usize) -> Result<i64> {
        match self.cell(i)? {
            Cell::Integer(n) => Ok(*n),
            other => Err(mismatch(i, "an integer", other)),
        }
    }

    pub fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            _ => self.int(i).map(Some),
        }
    }

    pub fn text(&self, i: usize) -> Result<String> {
        match self.cell(i)? {
            Cell::Text(s) => Ok(s.clone()),
            other => Err(mismatch(i, "text", other)),
        }
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            _ => self.text(i).map(Some),
        }
    }

    pub fn boolean(&self, i: usize) -> Result<bool> {
        self.int(i).map(|n| n != 0)
    }
}

fn mismatch(i: usize, wanted: &str, got: &Cell) -> Error {
    Error::internal(format!(
        "cold column {i}: wanted {wanted}, got {}",
        got.kind()
    ))
}

/// Runs portable statements on the configured backend.
#[async_trait]
pub trait ColdSql: Send + Sync {
    /// Runs `statements` in order in one transaction (all or nothing) and returns the rows
    /// each returned: a `SELECT`'s, or `RETURNING`'s (how a write says what it changed).
    async fn run(&self, statements: Vec<Statement>) -> Result<Vec<Vec<ColdRow>>>;
    /// Runs one read-only statement, without waiting for writes.
    async fn select(&self, statement: Statement) -> Result<Vec<ColdRow>>;
    /// Runs read-only statements in turn on one connection, without waiting for writes
    /// (on SQLite, in one snapshot), and returns each one's rows.
    async fn select_all(&self, statements: Vec<Statement>) -> Result<Vec<Vec<ColdRow>>>;
    /// The ids of `kind` whose indexed text matches `query`, below `before`, newest (highest
    /// id) first, at most `limit`. As message search matches, on both backends: each query
    /// word is the start of a word of the text, all must match, accents are ignored, and a
    /// query without words finds nothing.
    async fn search(
        &self,
        kind: &'static str,
        query: &str,
        before: i64,
        limit: usize,
    ) -> Result<Vec<i64>>;
}

/// Shorthands for parameters.
pub fn int(n: i64) -> Cell {
    Cell::Integer(n)
}

pub fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

pub fn opt_text(s: Option<impl Into<String>>) -> Cell {
    s.map_or(Cell::Null, |s| Cell::Text(s.into()))
}

pub fn opt_int(n: Option<i64>) -> Cell {
    n.map_or(Cell::Null, Cell::Integer)
}

/// A row count (a `LIMIT`).
pub fn count(n: usize) -> Cell {
    Cell::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

pub fn boolean(b: bool) -> Cell {
    Cell::Integer(i64::from(b))
}

/// `sql` with SQLite's `?N` placeholders spelled PostgreSQL's way, `$N`. Placeholders are
/// only recognized outside string literals and quoted names.
pub fn dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, '?') if chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push('$');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_renamed_outside_quotes_only() {
        assert_eq!(
            dollar_placeholders("SELECT a FROM t WHERE b = ?1 AND c = '?2' AND \"?3\" = ?12"),
            "SELECT a FROM t WHERE b = $1 AND c = '?2' AND \"?3\" = $12"
        );
        assert_eq!(
            dollar_placeholders("SELECT 'it''s ?1', ?2"),
            "SELECT 'it''s ?1', $2"
        );
    }

    #[test]
    fn cells_read_back_as_their_kind_or_say_what_they_are() {
        let row = ColdRow(vec![int(1), text("a"), Cell::Null]);
        assert_eq!(row.int(0).ok(), Some(1));
        assert!(row.boolean(0).unwrap_or(false));
        assert_eq!(row.text(1).ok().as_deref(), Some("a"));
        assert_eq!(row.opt_text(2).ok(), Some(None));
        assert_eq!(row.opt_int(2).ok(), Some(None));
        let wrong = row.int(1).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(wrong.contains("wanted an integer, got text"), "{wrong}");
        assert!(row.int(7).is_err());
    }
}
