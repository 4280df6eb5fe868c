//! Text rules: normalization, length counted as Twitter counts it, and control characters.

use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, Result};

/// Normalizes message text (NFC, `\r\n` → `\n`) and checks it: at most `max` Unicode scalar
/// values, no control characters but newlines. Empty text is allowed here; whether a message
/// may be empty depends on its attachment and is decided by the caller.
pub fn message_text(field: &str, raw: &str, max: usize) -> Result<String> {
    let text: String = raw.replace("\r\n", "\n").nfc().collect();
    check_length(field, &text, max)?;
    if let Some((pos, c)) = text
        .char_indices()
        .find(|(_, c)| is_control(*c) && *c != '\n')
    {
        return Err(Error::invalid(
            field,
            format!(
                "must not contain control characters other than newline (found U+{:04X} at byte {pos})",
                u32::from(c)
            ),
        ));
    }
    require_something_visible(field, &text)?;
    Ok(text)
}

/// A single-line label (names, group names): NFC, trimmed, no control characters at all.
pub fn single_line(field: &str, raw: &str, max: usize) -> Result<String> {
    let text: String = raw.trim().nfc().collect();
    check_length(field, &text, max)?;
    if text.chars().any(is_control) {
        return Err(Error::invalid(
            field,
            "must be a single line without control characters",
        ));
    }
    if let Some(c) = text.chars().find(|c| is_bidi_control(*c)) {
        return Err(Error::invalid(
            field,
            format!(
                "must not contain bidirectional control characters (found U+{:04X}): they \
                 change how the text around them reads",
                u32::from(c)
            ),
        ));
    }
    require_something_visible(field, &text)?;
    Ok(text)
}

/// A search query: trimmed, 1 to `max` characters, no control characters (the full-text
/// engines stop reading at a NUL, and no one types one).
pub fn search_query(field: &str, raw: &str, max: usize) -> Result<String> {
    let text: String = raw.trim().nfc().collect();
    if text.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    check_length(field, &text, max)?;
    if text.chars().any(is_control) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(text)
}

/// Text that is not empty must show something: a name or message of nothing but zero-width
/// or blank characters looks like no text at all, and lets an account pose as nameless.
fn require_something_visible(field: &str, text: &str) -> Result<()> {
    if !text.is_empty() && text.chars().all(is_invisible) {
        return Err(Error::invalid(
            field,
            "must contain a visible character, not only blank or zero-width ones",
        ));
    }
    Ok(())
}

/// Unicode's control characters (general category Cc), as `char::is_control` finds them.
pub(crate) const CONTROLS: &[(char, char)] = &[('\u{0}', '\u{1F}'), ('\u{7F}', '\u{9F}')];

/// Unicode's White_Space characters, as `char::is_whitespace` and `str::trim` find them.
pub(crate) const WHITESPACE: &[(char, char)] = &[
    ('\u{9}', '\u{D}'),
    (' ', ' '),
    ('\u{85}', '\u{85}'),
    ('\u{A0}', '\u{A0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200A}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202F}', '\u{202F}'),
    ('\u{205F}', '\u{205F}'),
    ('\u{3000}', '\u{3000}'),
];

/// Bidirectional embeddings, overrides, isolates and marks: in a name they reorder what
/// follows them ("moc.elgoog" shown as "google.com").
pub(crate) const BIDI_CONTROLS: &[(char, char)] = &[
    ('\u{061C}', '\u{061C}'),
    ('\u{200E}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2066}', '\u{2069}'),
];

/// Characters that draw nothing besides whitespace and bidi controls: zero-width spaces
/// and joiners, invisible operators, fillers that fonts render blank, variation selectors
/// and tags.
pub(crate) const BLANKS: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{034F}', '\u{034F}'),
    ('\u{115F}', '\u{1160}'),
    ('\u{17B4}', '\u{17B5}'),
    ('\u{180E}', '\u{180E}'),
    ('\u{200B}', '\u{200D}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2800}', '\u{2800}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{FE00}', '\u{FE0F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFA0}', '\u{FFA0}'),
    ('\u{E0000}', '\u{E007F}'),
    ('\u{E0100}', '\u{E01EF}'),
];

/// The character sets above are data, so that the OpenAPI document's patterns
/// ([`crate::patterns`]) are built from the very tables these checks use.
fn within(c: char, table: &[(char, char)]) -> bool {
    table
        .iter()
        .any(|(first, last)| (*first..=*last).contains(&c))
}

fn is_control(c: char) -> bool {
    within(c, CONTROLS)
}

fn is_bidi_control(c: char) -> bool {
    within(c, BIDI_CONTROLS)
}

/// Characters that draw nothing: whitespace, bidi controls and the blanks.
fn is_invisible(c: char) -> bool {
    within(c, WHITESPACE) || is_bidi_control(c) || within(c, BLANKS)
}

/// Multi-line free text with a length limit (profile descriptions, report reasons).
pub fn free_text(field: &str, raw: &str, max: usize) -> Result<String> {
    message_text(field, raw.trim(), max)
}

fn check_length(field: &str, text: &str, max: usize) -> Result<()> {
    let len = text.chars().count();
    if len > max {
        return Err(Error::TooLong(crate::Invalid {
            field: field.into(),
            message: format!("must be at most {max} characters, got {len}"),
        }));
    }
    Ok(())
}

/// `screen_name`: 1–15 of `[A-Za-z0-9_]`.
pub fn screen_name(raw: &str) -> Result<String> {
    let max = crate::limits::SCREEN_NAME_MAX;
    // Counted in characters, as the message says (non-ASCII is refused just below).
    let len = raw.chars().count();
    if len == 0 || len > max {
        return Err(Error::invalid(
            "screen_name",
            format!("must be 1 to {max} characters, got {len}"),
        ));
    }
    if !raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(Error::invalid(
            "screen_name",
            "may contain only letters A-Z, digits and _",
        ));
    }
    if RESERVED_SCREEN_NAMES
        .iter()
        .any(|r| r.eq_ignore_ascii_case(raw))
    {
        return Err(Error::invalid(
            "screen_name",
            format!("'{raw}' is reserved; choose another"),
        ));
    }
    Ok(raw.to_owned())
}

/// A reaction: one emoji, as Unicode's emoji list has it (skin tones included).
pub fn reaction_emoji(raw: &str) -> Result<()> {
    if emojis::get(raw).is_none() {
        return Err(Error::invalid("emoji", "must be a single emoji"));
    }
    Ok(())
}

/// Every reaction [`reaction_emoji`] takes in its usual spelling (the OpenAPI document lists
/// them).
pub fn reaction_emojis() -> impl Iterator<Item = &'static str> {
    emojis::iter().flat_map(|emoji| {
        std::iter::once(emoji.as_str()).chain(
            emoji
                .skin_tones()
                .into_iter()
                .flatten()
                .skip(1)
                .map(|tone| tone.as_str()),
        )
    })
}

/// Names that are pages of the web app, whose profiles live at `/{screen_name}`: an account
/// called `settings` would have a profile nobody could open.
pub(crate) const RESERVED_SCREEN_NAMES: &[&str] = &[
    "about",
    "admin",
    "api",
    "assets",
    "compose",
    "explore",
    "healthz",
    "home",
    "i",
    "intent",
    "l",
    "login",
    "logout",
    "messages",
    "metrics",
    "notifications",
    "oauth",
    "readyz",
    "search",
    "settings",
    "signup",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_counts_scalar_values_after_nfc() {
        // "e" + combining acute composes to one character under NFC.
        let decomposed = "e\u{301}".repeat(10);
        assert_eq!(
            message_text("text", &decomposed, 10)
                .map(|t| t.chars().count())
                .ok(),
            Some(10)
        );
        assert!(message_text("text", &"a".repeat(11), 10).is_err());
    }

    #[test]
    fn newlines_kept_other_controls_refused() {
        assert_eq!(
            message_text("text", "a\r\nb", 10).ok().as_deref(),
            Some("a\nb")
        );
        let err = message_text("text", "a\u{7}b", 10)
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("U+0007")));
    }

    #[test]
    fn names_refuse_bidi_controls_and_invisible_only_text() {
        assert!(single_line("name", "Alice \u{202E}gnp.exe", 50).is_err());
        assert!(single_line("name", "\u{2066}Alice\u{2069}", 50).is_err());
        assert!(single_line("name", "\u{200B}\u{3164}\u{2800}", 50).is_err());
        assert_eq!(
            single_line("name", " Zoë ", 50).ok().as_deref(),
            Some("Zoë")
        );
        // Arabic and Hebrew read right to left by themselves, without controls.
        assert!(single_line("name", "مريم", 50).is_ok());
        assert!(
            single_line("name", "", 50).is_ok(),
            "blank is decided by the caller"
        );
    }

    #[test]
    fn messages_must_show_something_but_may_use_joiners_inside() {
        assert!(message_text("text", "\u{200B}\u{200B}\n\u{FEFF}", 10).is_err());
        // A family emoji is joined with zero-width joiners.
        assert!(message_text("text", "👩\u{200D}👩\u{200D}👧", 10).is_ok());
        assert!(message_text("text", "", 10).is_ok());
    }

    #[test]
    fn search_queries_are_non_empty_bounded_and_without_controls() {
        assert_eq!(
            search_query("q", "  café ", 10).ok().as_deref(),
            Some("café")
        );
        for bad in ["", "   ", "a\u{0}b", &"x".repeat(11)] {
            let err = search_query("q", bad, 10).err().map(|e| e.to_string());
            assert!(err.is_some_and(|e| e.contains('q')), "{bad:?}");
        }
    }

    #[test]
    fn the_tables_are_the_standard_library_s_classes() {
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            assert_eq!(is_control(c), c.is_control(), "U+{:04X}", u32::from(c));
            assert_eq!(
                within(c, WHITESPACE),
                c.is_whitespace(),
                "U+{:04X}",
                u32::from(c)
            );
        }
    }

    #[test]
    fn screen_names() {
        assert!(screen_name("jack_1").is_ok());
        assert!(screen_name("").is_err());
        assert!(screen_name("sixteen_chars_xx").is_err());
        assert!(screen_name("no-dash").is_err());
        assert!(screen_name("Settings").is_err());
    }
}
