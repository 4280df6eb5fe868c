//! Insights tallies (`postern_store::tally`), applied once per group commit.
//!
//! The writer opens a savepoint per job, and the first change to a page inside a savepoint
//! copies the page aside: counting each send inline cost its two statements and those copies
//! (about 6 µs a send, measured). Sends that succeed queue their tally here instead, and the
//! writer applies the batch's tallies after its last savepoint, before its commit: each
//! account's hour once, then the starts in send order. A failed send
//! queues nothing; a failed commit rolls the applied tallies back with the sends.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use postern_core::ConversationId;
use postern_core::insights::Tally;
use postern_store::tally::{self, Amounts};
use rusqlite::Connection;

/// The tallies of the sends in the batch being written.
#[derive(Clone, Default)]
pub(crate) struct Tallies(Arc<Mutex<Pending>>);

#[derive(Default)]
struct Pending {
    /// (account, hour) → what it counts.
    hours: BTreeMap<(i64, i64), Amounts>,
    /// Messages written by hand, in send order: each may start or answer its conversation.
    starts: Vec<(ConversationId, Tally, i64)>,
}

impl Tallies {
    /// Queues what a stored message adds (called once its send can no longer fail).
    pub(crate) fn add(&self, conversation: &ConversationId, tally: Tally, at: i64) {
        let mut pending = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        for (key, amounts) in tally::hours_of(&tally, at) {
            pending.hours.entry(key).or_default().add(amounts);
        }
        if tally.by_hand {
            pending.starts.push((conversation.clone(), tally, at));
        }
    }

    /// Applies and forgets the queued tallies (the writer calls this before each commit).
    pub(crate) fn flush(&self, c: &Connection) -> rusqlite::Result<()> {
        let Pending { hours, starts } =
            std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        if !hours.is_empty() {
            // One row a statement: a statement for the whole batch would change its text
            // with the batch's size, and be parsed again each time.
            let (sql, _) = tally::hours_upsert([[0; 6]]);
            let mut add = c.prepare_cached(&sql)?;
            for ((account, hour), a) in hours {
                add.execute([account, hour, a.received, a.sent, a.buttons, a.clicks])?;
            }
        }
        for (conversation, t, at) in &starts {
            c.prepare_cached(tally::START_OR_ANSWER)?
                .execute(tally::start_or_answer(conversation, t, *at))?;
        }
        Ok(())
    }
}
