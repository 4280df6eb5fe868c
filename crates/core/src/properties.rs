//! Property tests of the parsers that take client bytes: entities, ids and text rules. Each
//! holds for any input, not only the examples the unit tests name.

use proptest::prelude::*;

use crate::entities::extract;
use crate::ids::{ConversationId, UserId};
use crate::media::{MediaCategory, MediaType};
use crate::text;

/// Text with the characters entities are made of, and anything else.
fn text_with_entities() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("#".to_owned()),
        Just("@".to_owned()),
        Just("$".to_owned()),
        Just("https://".to_owned()),
        Just("www.".to_owned()),
        Just(".com/".to_owned()),
        Just(" ".to_owned()),
        "[a-zA-Z0-9_]{1,12}",
        "\\PC{1,4}",
        any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(pieces, 0..40).prop_map(|p| p.concat())
}

proptest! {
    /// Every entity lies inside the text, is what its indices cut out, and none overlap.
    #[test]
    fn entities_are_where_their_indices_say(text in text_with_entities()) {
        let chars: Vec<char> = text.chars().collect();
        let e = extract(&text);
        let at = |[start, end]: [usize; 2]| -> String {
            chars.get(start..end).unwrap_or_default().iter().collect()
        };
        let mut spans: Vec<[usize; 2]> = Vec::new();
        for h in &e.hashtags {
            prop_assert_eq!(at(h.indices), format!("#{}", h.text));
            spans.push(h.indices);
        }
        for c in &e.cashtags {
            prop_assert_eq!(at(c.indices), format!("${}", c.text));
            spans.push(c.indices);
        }
        for m in &e.mentions {
            prop_assert_eq!(at(m.indices).to_lowercase(), format!("@{}", m.screen_name).to_lowercase());
            spans.push(m.indices);
        }
        for u in &e.urls {
            prop_assert_eq!(at(u.indices), u.url.clone());
            spans.push(u.indices);
        }
        spans.sort_unstable();
        for [start, end] in &spans {
            prop_assert!(start < end && *end <= chars.len());
        }
        for pair in spans.windows(2) {
            if let [a, b] = pair {
                prop_assert!(a[1] <= b[0], "{:?} overlaps {:?}", a, b);
            }
        }
    }

    /// A conversation id parses only in the one spelling Postern writes, and that spelling
    /// always parses back to itself.
    #[test]
    fn conversation_ids_have_one_spelling(raw in "[-+0-9 a-z]{0,24}") {
        if let Some(id) = ConversationId::parse(&raw) {
            prop_assert_eq!(id.as_str(), raw.as_str());
        }
    }

    #[test]
    fn written_conversation_ids_parse_back(a in 0i64..i64::MAX, b in 0i64..i64::MAX, g in 1i64..i64::MAX) {
        prop_assume!(a != b);
        let pair = ConversationId::one_to_one(UserId(a), UserId(b));
        prop_assert_eq!(ConversationId::parse(pair.as_str()), Some(pair.clone()));
        prop_assert_eq!(pair.pair().map(|(x, y)| (x.0, y.0)), Some((a.min(b), a.max(b))));
        let group = ConversationId::parse(&g.to_string());
        prop_assert!(group.is_some_and(|c| c.is_group()));
    }

    /// Text rules return text within the limit and without the characters they refuse, or
    /// an error naming the field: never anything else.
    #[test]
    fn text_rules_keep_their_promises(raw in "\\PC{0,30}|[\\x00-\\x1f\\u{200B}\\u{202E} a]{0,30}", max in 1usize..20) {
        match text::message_text("text", &raw, max) {
            Ok(t) => {
                prop_assert!(t.chars().count() <= max);
                prop_assert!(!t.chars().any(|c| c.is_control() && c != '\n'));
            }
            Err(e) => prop_assert!(e.to_string().starts_with("text")),
        }
        match text::single_line("name", &raw, max) {
            Ok(t) => prop_assert!(t.chars().count() <= max && !t.chars().any(char::is_control)),
            Err(e) => prop_assert!(e.to_string().starts_with("name")),
        }
        match text::search_query("q", &raw, max) {
            Ok(t) => prop_assert!(!t.is_empty() && !t.chars().any(char::is_control)),
            Err(e) => prop_assert!(e.to_string().starts_with('q')),
        }
    }

    /// Declared types and categories are one of the known ones, or refused naming the field.
    #[test]
    fn media_declarations_are_known_or_refused(raw in "\\PC{0,40}") {
        match MediaType::parse("media_type", &raw) {
            Ok(t) => prop_assert!(MediaType::ALL.contains(&t)),
            Err(e) => prop_assert!(e.to_string().starts_with("media_type")),
        }
        if let Err(e) = MediaCategory::parse("media_category", &raw) {
            prop_assert!(e.to_string().starts_with("media_category"));
        }
    }
}
