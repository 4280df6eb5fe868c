//! Insights kept as messages are stored (tables `dm_hours` and `dm_starts`, migration
//! `schema/0008_insights.sql`): the statements a send adds, and the rebuild that computes the
//! same tables from the stored messages (for messages stored before the tables existed).
//!
//! The SQLite store applies a group commit's tallies before its commit ([`hours_upsert`],
//! then [`START_OR_ANSWER`] per message written by hand); PostgreSQL's `append_message`
//! function does the same per send in PL/pgSQL (migration 17), so the two must agree.
//! A conformance test checks that both stores' live tallies equal a [`rebuild`].

use std::collections::BTreeMap;

use postern_core::insights::{HOUR_MS, Tally};
use postern_core::parts::Parts;
use postern_core::{ConversationId, Result, UserId};

use crate::cold::{ColdRow, ColdSql, Statement, int, text};

/// Adds `amounts` (received, sent, buttons, clicks) to accounts' hours.
const ADD_TO_HOURS: &str = "ON CONFLICT (account_id, hour) DO UPDATE SET
    received = dm_hours.received + excluded.received, sent = dm_hours.sent + excluded.sent,
    buttons = dm_hours.buttons + excluded.buttons, clicks = dm_hours.clicks + excluded.clicks";

/// Records a conversation's start, or (when it has one) the account's first answer to it, for
/// a message written by hand, with the parameters [`start_or_answer`] gives.
pub const START_OR_ANSWER: &str =
    "INSERT INTO dm_starts (conversation_id, account_id, starter_id, started_at, source, from_post, answered_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL)
     ON CONFLICT (conversation_id) DO UPDATE SET answered_at = excluded.started_at
     WHERE dm_starts.answered_at IS NULL AND dm_starts.account_id = excluded.starter_id";

/// [`START_OR_ANSWER`]'s parameters: (conversation, account written to, writer, at, source,
/// from a post).
pub fn start_or_answer<'a>(
    conversation: &'a ConversationId,
    tally: &Tally,
    at: i64,
) -> (&'a str, i64, i64, i64, &'static str, i64) {
    (
        conversation.as_str(),
        tally.recipient.0,
        tally.sender.0,
        at,
        tally.source,
        i64::from(tally.from_post),
    )
}

/// The clicks on an account's button at `at`.
pub fn click(account: UserId, at: i64) -> Statement {
    let amounts = Amounts {
        clicks: 1,
        ..Amounts::default()
    };
    add_to_hours([(account.0, at.div_euclid(HOUR_MS), amounts)])
}

/// What an account's hour counts (the columns of `dm_hours`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Amounts {
    pub received: i64,
    pub sent: i64,
    pub buttons: i64,
    pub clicks: i64,
}

/// What a message with `tally`, stored at `at` (Unix ms), adds to each member's hour:
/// `((account, hour), amounts)`, the sender's first.
pub fn hours_of(tally: &Tally, at: i64) -> [((i64, i64), Amounts); 2] {
    let hour = at.div_euclid(HOUR_MS);
    [
        (
            (tally.sender.0, hour),
            Amounts {
                sent: i64::from(tally.by_hand),
                buttons: tally.buttons,
                ..Amounts::default()
            },
        ),
        (
            (tally.recipient.0, hour),
            Amounts {
                received: 1,
                ..Amounts::default()
            },
        ),
    ]
}

impl Amounts {
    pub fn add(&mut self, other: Amounts) {
        self.received += other.received;
        self.sent += other.sent;
        self.buttons += other.buttons;
        self.clicks += other.clicks;
    }
}

fn add_to_hours(rows: impl IntoIterator<Item = (i64, i64, Amounts)>) -> Statement {
    let (sql, params) = hours_upsert(
        rows.into_iter()
            .map(|(account, hour, a)| [account, hour, a.received, a.sent, a.buttons, a.clicks]),
    );
    Statement::owned(sql, params.into_iter().map(int).collect())
}

/// One statement adding rows of (account, hour, received, sent, buttons, clicks) to
/// `dm_hours`, in the order given, and its parameters.
pub fn hours_upsert(rows: impl IntoIterator<Item = [i64; 6]>) -> (String, Vec<i64>) {
    let mut values = Vec::new();
    let mut params = Vec::new();
    for row in rows {
        let n = params.len();
        let places: Vec<String> = (1..=6).map(|i| format!("?{}", n + i)).collect();
        values.push(format!("({})", places.join(", ")));
        params.extend(row);
    }
    (
        format!(
            "INSERT INTO dm_hours (account_id, hour, received, sent, buttons, clicks) VALUES {} {ADD_TO_HOURS}",
            values.join(", ")
        ),
        params,
    )
}

/// Messages read per step of a rebuild.
const PAGE: i64 = 5_000;

/// Computes `dm_hours` and `dm_starts` from the stored messages, replacing what they held,
/// one page of messages at a time (in conversation, then id, order). A store drives it:
/// [`Rebuild::begin`], then for each [`Rebuild::next_page`] its rows to [`Rebuild::feed`],
/// then the rows of [`Rebuild::clicks`] to [`Rebuild::finish`], running every statement
/// returned, in order. [`rebuild`] is that loop over [`ColdSql`].
#[derive(Debug, Default)]
pub struct Rebuild {
    /// Where the next page starts: after this conversation's message.
    after: Option<(String, i64)>,
    done: bool,
    /// The conversation being read, and its start so far.
    open: Option<Start>,
}

#[derive(Debug)]
struct Start {
    conversation: ConversationId,
    first: Option<(Tally, i64)>,
    answered_at: Option<i64>,
}

impl Rebuild {
    pub fn begin() -> Vec<Statement> {
        vec![
            Statement::new("DELETE FROM dm_hours", Vec::new()),
            Statement::new("DELETE FROM dm_starts", Vec::new()),
        ]
    }

    /// The next page of messages to feed; `None` once a page came back short.
    pub fn next_page(&self) -> Option<Statement> {
        if self.done {
            return None;
        }
        let (conversation, id) = self.after.clone().unwrap_or_default();
        Some(Statement::new(
            "SELECT conversation_id, id, sender_id, created_at, parts FROM events
             WHERE kind = 0 AND (conversation_id, id) > (?1, ?2)
             ORDER BY conversation_id, id LIMIT ?3",
            vec![text(conversation), int(id), int(PAGE)],
        ))
    }

    /// What one page of messages adds.
    pub fn feed(&mut self, rows: &[ColdRow]) -> Result<Vec<Statement>> {
        self.done = (rows.len() as i64) < PAGE;
        let mut hours: BTreeMap<(i64, i64), Amounts> = BTreeMap::new();
        let mut out = Vec::new();
        for r in rows {
            let conversation = ConversationId::from_stored(r.text(0)?);
            let sender = UserId(r.int(2)?);
            let at = r.int(3)?;
            self.after = Some((conversation.as_str().to_owned(), r.int(1)?));
            if self
                .open
                .as_ref()
                .is_none_or(|o| o.conversation != conversation)
            {
                out.extend(self.close());
                self.open = Some(Start {
                    conversation: conversation.clone(),
                    first: None,
                    answered_at: None,
                });
            }
            let parts: Parts = r
                .opt_text(4)?
                .and_then(|j| serde_json::from_str(&j).ok())
                .unwrap_or_default();
            let Some(tally) = Tally::of(&conversation, sender, &parts) else {
                continue;
            };
            for (key, amounts) in hours_of(&tally, at) {
                hours.entry(key).or_default().add(amounts);
            }
            if let Some(open) = self.open.as_mut().filter(|_| tally.by_hand) {
                match &open.first {
                    None => open.first = Some((tally, at)),
                    Some((first, _))
                        if open.answered_at.is_none() && first.recipient == tally.sender =>
                    {
                        open.answered_at = Some(at);
                    }
                    Some(_) => {}
                }
            }
        }
        if self.done {
            out.extend(self.close());
        }
        if !hours.is_empty() {
            out.push(add_to_hours(
                hours
                    .into_iter()
                    .map(|((account, hour), a)| (account, hour, a)),
            ));
        }
        Ok(out)
    }

    /// Clicks on each account's buttons in one-to-one conversations (whose ids, and only
    /// theirs, hold a `-`), by the hour of the message they are on: when each click came was
    /// not kept before.
    pub fn clicks() -> Statement {
        Statement::new(
            "SELECT e.sender_id, e.created_at / 3600000, CAST(sum(k.clicks) AS BIGINT)
             FROM button_clicks k JOIN events e ON e.conversation_id = k.conversation_id AND e.id = k.event_id
             WHERE k.conversation_id LIKE '%-%'
             GROUP BY e.sender_id, e.created_at / 3600000",
            Vec::new(),
        )
    }

    pub fn finish(mut self, clicks: &[ColdRow]) -> Result<Vec<Statement>> {
        let mut out: Vec<Statement> = self.close().into_iter().collect();
        let rows = clicks
            .iter()
            .map(|r| {
                let amounts = Amounts {
                    clicks: r.int(2)?,
                    ..Amounts::default()
                };
                Ok((r.int(0)?, r.int(1)?, amounts))
            })
            .collect::<Result<Vec<_>>>()?;
        if !rows.is_empty() {
            out.push(add_to_hours(rows));
        }
        out.push(Statement::new(
            "DELETE FROM pending_rebuilds WHERE what = 'insights'",
            Vec::new(),
        ));
        Ok(out)
    }

    /// The start of the conversation just read, if it has one.
    fn close(&mut self) -> Option<Statement> {
        let open = self.open.take()?;
        let (tally, at) = open.first?;
        Some(Statement::new(
            "INSERT INTO dm_starts (conversation_id, account_id, starter_id, started_at, source, from_post, answered_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, CAST(?7 AS BIGINT))",
            vec![
                text(open.conversation.as_str()),
                int(tally.recipient.0),
                int(tally.sender.0),
                int(at),
                text(tally.source),
                int(i64::from(tally.from_post)),
                open.answered_at.map_or(crate::cold::Cell::Null, int),
            ],
        ))
    }
}

/// Whether the store holds messages whose insights were never counted (it was made before
/// insights were kept).
pub fn pending() -> Statement {
    Statement::new(
        "SELECT what FROM pending_rebuilds WHERE what = 'insights'",
        Vec::new(),
    )
}

/// Runs a [`Rebuild`] through `cold`. Nothing may send meanwhile (stores run it when they
/// open, before serving): a message stored during it could be counted twice or not at all.
pub async fn rebuild(cold: &dyn ColdSql) -> Result<()> {
    cold.run(Rebuild::begin()).await?;
    let mut rebuild = Rebuild::default();
    while let Some(page) = rebuild.next_page() {
        let rows = cold.select(page).await?;
        let adds = rebuild.feed(&rows)?;
        cold.run(adds).await?;
    }
    let clicks = cold.select(Rebuild::clicks()).await?;
    cold.run(rebuild.finish(&clicks)?).await?;
    Ok(())
}
