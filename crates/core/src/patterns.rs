//! The text and id rules said as JSON Schema patterns, for the OpenAPI document. Each is
//! built from the tables the checks themselves use ([`crate::text`]), so the document cannot
//! drift from the server; the property tests hold every string a pattern matches to being
//! accepted by its check.
//!
//! A pattern may be stricter than its check (a name's surrounding spaces, which the check
//! trims, count towards `maxLength`; a lone `\r`, which a message turns into a newline when
//! `\n` follows, is left out): a client that keeps to the document is never refused.
//!
//! The syntax is what JSON Schema validators, Python's `re` and Rust's `regex` all read:
//! characters outside ASCII's letters and digits are written as `\u` and four hex digits
//! (`\u00AD`), or literally above the Basic Multilingual Plane.

use std::fmt::Write;

use crate::text::{BIDI_CONTROLS, BLANKS, CONTROLS, RESERVED_SCREEN_NAMES, WHITESPACE};

/// A single-line label (names, group names), as [`crate::text::single_line`] takes it when
/// it must not be blank: no control or bidi characters, something visible.
pub fn single_line() -> String {
    let allowed = class(true, &[CONTROLS, BIDI_CONTROLS]);
    let visible = class(true, &[CONTROLS, BIDI_CONTROLS, WHITESPACE, BLANKS]);
    format!("^{allowed}*{visible}{allowed}*$")
}

/// Message text, as [`crate::text::message_text`] takes it: empty, or showing something,
/// with no control characters but newlines.
pub fn message_text() -> String {
    let line = without(CONTROLS, '\n');
    let allowed = class(true, &[&line]);
    let visible = class(true, &[CONTROLS, BIDI_CONTROLS, WHITESPACE, BLANKS]);
    format!("^(?:{allowed}*{visible}{allowed}*)?$")
}

/// Free text that must say something (a report's reason): message text, not empty.
pub fn required_text() -> String {
    let line = without(CONTROLS, '\n');
    let allowed = class(true, &[&line]);
    let visible = class(true, &[CONTROLS, BIDI_CONTROLS, WHITESPACE, BLANKS]);
    format!("^{allowed}*{visible}{allowed}*$")
}

/// A search query, as [`crate::text::search_query`] takes it: no control characters, and
/// something besides whitespace.
pub fn search_query() -> String {
    let allowed = class(true, &[CONTROLS]);
    let shown = class(true, &[CONTROLS, WHITESPACE]);
    format!("^{allowed}*{shown}{allowed}*$")
}

/// Nothing but whitespace (what a trim leaves empty), possibly nothing at all.
pub fn blank() -> String {
    format!("^{}*$", class(false, &[WHITESPACE]))
}

/// Text with no control characters, possibly empty.
pub fn no_controls() -> String {
    format!("^{}*$", class(true, &[CONTROLS]))
}

/// A screen name's characters and length (the reserved names: [`reserved_screen_names`]).
pub fn screen_name() -> String {
    format!("^[A-Za-z0-9_]{{1,{}}}$", crate::limits::SCREEN_NAME_MAX)
}

/// The screen names no account may take, in any case (for a schema's `not`).
pub fn reserved_screen_names() -> String {
    let names: Vec<String> = RESERVED_SCREEN_NAMES
        .iter()
        .map(|name| {
            name.chars()
                .map(|c| format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase()))
                .collect()
        })
        .collect();
    format!("^(?:{})$", names.join("|"))
}

/// An id as Postern writes it: a decimal from 1 to 2^63 − 1, without sign or leading zeros.
pub fn id() -> String {
    format!("^{}$", decimal_up_to(i64::MAX))
}

/// A number from 0 to 2^63 − 1 as Postern writes it (the keys behind list cursors).
pub fn key() -> String {
    format!("^(?:0|{})$", decimal_up_to(i64::MAX))
}

/// A conversation id's shape: a group's id, or two people's ids joined by `-` (which one
/// comes first is the server's to check: the lower, in a conversation that exists).
pub fn conversation_id() -> String {
    let id = decimal_up_to(i64::MAX);
    format!("^(?:(?:0|{id})-{id}|{id})$")
}

/// The history cursor: `b` (older) or `a` (newer) and an event id.
pub fn history_cursor() -> String {
    format!("^[ab](?:0|{})$", decimal_up_to(i64::MAX))
}

/// The inbox cursor: the last activity shown, `_`, and its conversation's id.
pub fn inbox_cursor() -> String {
    let id = decimal_up_to(i64::MAX);
    format!("^(?:0|{id})_(?:(?:0|{id})-{id}|{id})$")
}

/// Decimals from 1 to `max` without leading zeros, as alternatives: every shorter length,
/// then for each digit of `max` the numbers that share its prefix and are smaller there.
fn decimal_up_to(max: i64) -> String {
    let digits: Vec<u32> = max
        .to_string()
        .chars()
        .filter_map(|c| c.to_digit(10))
        .collect();
    let n = digits.len();
    let mut alternatives = Vec::new();
    if n > 1 {
        alternatives.push(format!("[1-9][0-9]{{0,{}}}", n - 2));
    }
    let mut prefix = String::new();
    for (i, digit) in digits.iter().enumerate() {
        let lowest = u32::from(i == 0);
        if *digit > lowest {
            let rest = n - i - 1;
            let tail = if rest > 0 {
                format!("[0-9]{{{rest}}}")
            } else {
                String::new()
            };
            alternatives.push(format!("{prefix}[{lowest}-{}]{tail}", digit - 1));
        }
        let _ = write!(prefix, "{digit}");
    }
    alternatives.push(prefix);
    format!("(?:{})", alternatives.join("|"))
}

/// `table` without `c` (which must not be the end of one of its ranges' neighbours).
fn without(table: &[(char, char)], c: char) -> Vec<(char, char)> {
    let mut out = Vec::new();
    for &(first, last) in table {
        if !(first..=last).contains(&c) {
            out.push((first, last));
            continue;
        }
        let (before, after) = (u32::from(c) - 1, u32::from(c) + 1);
        if c > first {
            out.extend(char::from_u32(before).map(|b| (first, b)));
        }
        if c < last {
            out.extend(char::from_u32(after).map(|a| (a, last)));
        }
    }
    out
}

/// A character class of the tables' characters, or of every other character when `negated`.
fn class(negated: bool, tables: &[&[(char, char)]]) -> String {
    let mut out = String::from(if negated { "[^" } else { "[" });
    for &(first, last) in tables.iter().flat_map(|t| t.iter()) {
        out.push_str(&escape(first));
        if last != first {
            out.push('-');
            out.push_str(&escape(last));
        }
    }
    out.push(']');
    out
}

fn escape(c: char) -> String {
    if c.is_ascii_alphanumeric() {
        c.to_string()
    } else if u32::from(c) <= 0xFFFF {
        format!("\\u{:04X}", u32::from(c))
    } else {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use regex::Regex;

    use super::*;
    use crate::{ConversationId, text};

    fn compiled(pattern: &str) -> Regex {
        Regex::new(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"))
    }

    /// Strings made mostly of the characters the rules are about.
    fn tricky() -> impl Strategy<Value = String> {
        let interesting: Vec<char> = [CONTROLS, WHITESPACE, BIDI_CONTROLS, BLANKS]
            .iter()
            .flat_map(|t| t.iter().flat_map(|(a, b)| [*a, *b]))
            .chain(['a', 'Z', 'é', '😀', '\n', '\r', '_', '-', '0'])
            .collect();
        prop::collection::vec(
            prop_oneof![prop::sample::select(interesting), any::<char>(),],
            0..12,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #[test]
        fn a_single_line_the_pattern_takes_is_taken(s in tricky()) {
            if compiled(&single_line()).is_match(&s) {
                let taken = text::single_line("name", &s, 50);
                prop_assert!(taken.as_ref().is_ok_and(|t| !t.is_empty()), "{s:?}: {taken:?}");
            }
        }

        #[test]
        fn message_text_the_pattern_takes_is_taken(s in tricky()) {
            if compiled(&message_text()).is_match(&s) {
                prop_assert!(text::message_text("text", &s, 50).is_ok(), "{s:?}");
            }
            if compiled(&required_text()).is_match(&s) {
                let taken = text::free_text("reason", &s, 50);
                prop_assert!(taken.as_ref().is_ok_and(|t| !t.is_empty()), "{s:?}: {taken:?}");
            }
        }

        #[test]
        fn a_search_the_pattern_takes_is_taken(s in tricky()) {
            if compiled(&search_query()).is_match(&s) {
                prop_assert!(text::search_query("q", &s, 50).is_ok(), "{s:?}");
            }
            prop_assert_eq!(compiled(&blank()).is_match(&s), s.trim().is_empty(), "{:?}", s);
            let no_controls = compiled(&no_controls()).is_match(&s);
            prop_assert_eq!(no_controls, !s.chars().any(char::is_control));
        }

        #[test]
        fn an_id_matches_exactly_when_it_is_canonical_and_in_range(n in any::<u64>(), zeros in 0..2usize) {
            let s = format!("{}{n}", "0".repeat(zeros));
            let canonical = zeros == 0 && n >= 1 && i64::try_from(n).is_ok();
            prop_assert_eq!(compiled(&id()).is_match(&s), canonical, "{}", s);
            let is_key = zeros == 0 && i64::try_from(n).is_ok();
            prop_assert_eq!(compiled(&key()).is_match(&s), is_key, "{}", s);
        }

        #[test]
        fn a_conversation_id_that_matches_is_well_formed(a in 0..i64::MAX, b in 1..i64::MAX) {
            let s = format!("{a}-{b}");
            prop_assert!(compiled(&conversation_id()).is_match(&s));
            prop_assert_eq!(ConversationId::parse(&s).is_some(), a < b, "{}", s);
        }
    }

    #[test]
    fn the_largest_ids_are_at_the_edge() {
        let id = compiled(&id());
        for (s, matches) in [
            ("9223372036854775807", true),
            ("9223372036854775808", false),
            ("9223372036854775799", true),
            ("9300000000000000000", false),
            ("1", true),
            ("0", false),
            ("10000000000000000000", false),
        ] {
            assert_eq!(id.is_match(s), matches, "{s}");
        }
    }

    #[test]
    fn screen_names_the_pattern_takes_are_taken_unless_reserved() {
        let shape = compiled(&screen_name());
        let reserved = compiled(&reserved_screen_names());
        for s in [
            "jack_1",
            "SETTINGS",
            "settings",
            "i",
            "I",
            "",
            "no-dash",
            "x".repeat(16).as_str(),
        ] {
            let taken = text::screen_name(s).is_ok();
            assert_eq!(taken, shape.is_match(s) && !reserved.is_match(s), "{s}");
        }
    }

    #[test]
    fn every_listed_emoji_is_a_reaction() {
        let mut count = 0;
        for emoji in text::reaction_emojis() {
            assert!(text::reaction_emoji(emoji).is_ok(), "{emoji}");
            count += 1;
        }
        assert!(count > 3000, "{count} emoji");
    }
}
