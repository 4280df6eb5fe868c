//! Words for full-text search, cut the way SQLite's FTS5 `unicode61 remove_diacritics 2`
//! tokenizer cuts them, so a search finds the same messages on either backend.
//!
//! PostgreSQL's own parser splits differently (e-mail addresses, URLs and hyphenated words are
//! single tokens there) and removing accents needs the `unaccent` extension, so the store
//! tokenizes in Rust and hands PostgreSQL finished lexemes: a `tsvector` with positions for
//! each message and a `tsquery` for each search, both written in their input syntax and cast,
//! so no PostgreSQL parser ever sees user text.
//!
//! The rules, as FTS5 applies them (checked against SQLite in this crate's tests):
//! - letters, numbers and private-use characters make words; everything else separates;
//! - words are lower-cased, and Latin letters lose their diacritics (`é` → `e`; `ø`, `ł`,
//!   Greek and Cyrillic letters are left alone, as FTS5 leaves them);
//! - a combining diacritic (U+0300–U+036F) is dropped without splitting the word;
//! - each word of a query is a prefix; a query word that holds several words (`e-mail`) is a
//!   phrase whose last word is a prefix; all query words must match; a query word with no
//!   letters in it is ignored.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// PostgreSQL refuses lexemes of 2 KiB or more; longer words are cut (on a character
/// boundary) both when indexed and when searched, so a search for one still finds it.
const MAX_LEXEME_BYTES: usize = 2046;

/// The words of `text`, in order.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if is_diacritic(c) {
            continue;
        }
        if is_word_char(c) {
            word.push(fold(c));
        } else if !word.is_empty() {
            out.push(cut(std::mem::take(&mut word)));
        }
    }
    if !word.is_empty() {
        out.push(cut(word));
    }
    out
}

/// The `tsvector` input for `text`, or `None` when it has no words (nothing to find).
pub fn document(text: &str) -> Option<String> {
    let words = words(text);
    if words.is_empty() {
        return None;
    }
    // Positions let a query phrase (`e-mail`) match adjacent words. PostgreSQL keeps 256
    // positions per word and none past 16383; a message is at most 10,000 characters.
    let entries: Vec<String> = words
        .iter()
        .zip(1..)
        .map(|(w, position): (&String, u32)| format!("{}:{position}", quote(w)))
        .collect();
    Some(entries.join(" "))
}

/// The `tsquery` input for a search, or `None` when no query word holds a word.
pub fn query(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split_whitespace()
        .filter_map(|token| {
            let words = words(token);
            let phrase: Vec<String> = words.iter().map(|w| quote(w)).collect();
            (!phrase.is_empty()).then(|| format!("({}:*)", phrase.join(" <-> ")))
        })
        .collect();
    (!terms.is_empty()).then(|| terms.join(" & "))
}

/// A lexeme in `tsvector`/`tsquery` input syntax. Words hold only letters and numbers, but
/// quoting and escaping anyway keeps the syntax closed whatever a word holds.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\\', "\\\\").replace('\'', "''"))
}

fn cut(mut word: String) -> String {
    if word.len() > MAX_LEXEME_BYTES {
        let mut end = MAX_LEXEME_BYTES;
        while !word.is_char_boundary(end) {
            end -= 1;
        }
        word.truncate(end);
    }
    word
}

fn is_diacritic(c: char) -> bool {
    ('\u{300}'..='\u{36f}').contains(&c)
}

/// FTS5's token characters: the Unicode categories L*, N* and Co. Other marks separate words
/// (Rust's `is_alphabetic` counts some of them as letters, hence the explicit check).
fn is_word_char(c: char) -> bool {
    !is_combining_mark(c) && (c.is_alphanumeric() || is_private_use(c))
}

fn is_private_use(c: char) -> bool {
    ('\u{e000}'..='\u{f8ff}').contains(&c)
        || ('\u{f0000}'..='\u{ffffd}').contains(&c)
        || ('\u{100000}'..='\u{10fffd}').contains(&c)
}

/// A Latin letter with diacritics becomes its base letter; anything else stays.
fn fold(c: char) -> char {
    let latin = ('\u{c0}'..='\u{24f}').contains(&c) || ('\u{1e00}'..='\u{1eff}').contains(&c);
    if !latin {
        return c;
    }
    let mut parts = std::iter::once(c).nfd();
    match parts.next() {
        Some(base) if base.is_ascii_alphabetic() && parts.all(is_diacritic) => base,
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_follow_fts5() {
        assert_eq!(words("Lunch at NOON!"), ["lunch", "at", "noon"]);
        assert_eq!(words("e-mail foo_bar"), ["e", "mail", "foo", "bar"]);
        assert_eq!(words("Café crème brûlée"), ["cafe", "creme", "brulee"]);
        assert_eq!(
            words("İstanbul Straße ÅNGSTRÖM"),
            ["istanbul", "straße", "angstrom"]
        );
        assert_eq!(words("ØRE æble ŁÓDŹ"), ["øre", "æble", "łodz"]);
        assert_eq!(words("Ελληνικά Ёлка"), ["ελληνικά", "ёлка"]);
        assert_eq!(
            words("a\u{301}b x\u{e000}y 😀 Ⅻ x²"),
            ["ab", "x\u{e000}y", "ⅻ", "x²"]
        );
        assert_eq!(words("नमस्ते"), ["नमस", "त"]);
        assert_eq!(words("日本語テキスト"), ["日本語テキスト"]);
        assert!(words("!!! -- 😀").is_empty());
    }

    #[test]
    fn queries_are_prefixes_and_phrases() {
        assert_eq!(query("lunch"), Some("('lunch':*)".to_owned()));
        assert_eq!(
            query("e-ma Noon !!!"),
            Some("('e' <-> 'ma':*) & ('noon':*)".to_owned())
        );
        assert_eq!(query("!!! ' \\ & | :*"), None);
        assert_eq!(query("   "), None);
    }

    #[test]
    fn documents_carry_positions_and_long_words_are_cut() {
        assert_eq!(document("a b a"), Some("'a':1 'b':2 'a':3".to_owned()));
        assert_eq!(document("..."), None);
        let long = "é".repeat(3000);
        let cut = words(&long);
        assert_eq!(cut.len(), 1);
        assert!(cut.iter().all(|w| w.len() <= MAX_LEXEME_BYTES));
    }
}
