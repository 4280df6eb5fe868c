//! Keyset paging as both backends do it: a cursor is the key of the last row shown, a page
//! asks the database for one row more than it shows, and that extra row is how it knows a
//! next page exists.

use postern_core::ids::canonical_key;
use postern_core::{ConversationId, Error};

use crate::{HistoryDirection, HistoryQuery, Page};

/// A numeric cursor (`None`: start from the newest). `list` names the list in the error,
/// as "this list" or "this search".
pub fn parse_key(cursor: Option<&str>, list: &str) -> Result<i64, Error> {
    match cursor {
        Some(c) => canonical_key(c)
            .map_err(|_| Error::invalid("cursor", format!("is not a cursor {list} returned"))),
        None => Ok(i64::MAX),
    }
}

/// An inbox cursor, `{activity}_{conversation id}`.
pub fn parse_inbox_cursor(cursor: &str) -> Result<(i64, String), Error> {
    cursor
        .split_once('_')
        .filter(|(_, id)| ConversationId::is_well_formed(id))
        .and_then(|(a, id)| Some((canonical_key(a).ok()?, id.to_owned())))
        .ok_or_else(|| Error::invalid("cursor", "is not a cursor this list returned"))
}

/// The inbox cursor after `activity` in `conversation`.
pub fn inbox_cursor(activity: i64, conversation: impl std::fmt::Display) -> String {
    format!("{activity}_{conversation}")
}

/// How many rows to fetch for a page of `limit`: one more, to see whether another follows.
pub fn fetch_count(limit: usize) -> usize {
    limit.saturating_add(1)
}

/// Cuts fetched rows to `limit`; when there were more, the cursor is `key` of the last row
/// kept.
pub fn cut<T>(rows: &mut Vec<T>, limit: usize, key: impl Fn(&T) -> String) -> Option<String> {
    if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(key)
    } else {
        None
    }
}

/// An empty page with nothing after it.
pub fn empty<T>() -> Page<T> {
    Page {
        items: Vec::new(),
        next_cursor: None,
    }
}

/// The ids a history page spans, as an open range `(lower, upper)`, and whether it runs
/// newest first. The viewer sees `(visible_after, visible_until]`; the anchor narrows that.
pub fn history_range(q: &HistoryQuery) -> (bool, i64, i64) {
    let lower = q.visible_after.map_or(i64::MIN, |e| e.0);
    let upper = q.visible_until.map_or(i64::MAX, |e| e.0);
    let end = upper.saturating_add(1);
    match q.direction {
        HistoryDirection::Before(anchor) => (true, lower, anchor.map_or(end, |a| a.0.min(end))),
        HistoryDirection::After(anchor) => (false, anchor.0.max(lower), end),
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// A cursor from a client is a number (a key this server wrote, or the same key
        /// spelled otherwise, which names the same place), or refused naming `cursor`.
        #[test]
        fn cursors_parse_or_are_refused(raw in "[-+0-9_]{0,24}|\\PC{0,40}") {
            match parse_key(Some(&raw), "this list") {
                Ok(key) => prop_assert_eq!(raw.parse::<i64>().ok(), Some(key)),
                Err(e) => prop_assert!(e.to_string().starts_with("cursor")),
            }
            if let Err(e) = parse_inbox_cursor(&raw) {
                prop_assert!(e.to_string().starts_with("cursor"));
            }
        }

        /// The inbox cursor this server writes reads back as what it was made from.
        #[test]
        fn inbox_cursors_round_trip(activity in 0..=i64::MAX, low in 0..i64::MAX, high in 1..=i64::MAX, group in any::<bool>()) {
            let conversation = if group { high.to_string() } else { format!("{low}-{high}") };
            let cursor = inbox_cursor(activity, &conversation);
            prop_assert_eq!(parse_inbox_cursor(&cursor).ok(), Some((activity, conversation)));
        }
    }
}
