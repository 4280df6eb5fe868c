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
        .find(|(_, c)| c.is_control() && *c != '\n')
    {
        return Err(Error::invalid(
            field,
            format!(
                "must not contain control characters other than newline (found U+{:04X} at byte {pos})",
                u32::from(c)
            ),
        ));
    }
    Ok(text)
}

/// A single-line label (names, group names): NFC, trimmed, no control characters at all.
pub fn single_line(field: &str, raw: &str, max: usize) -> Result<String> {
    let text: String = raw.trim().nfc().collect();
    check_length(field, &text, max)?;
    if text.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            "must be a single line without control characters",
        ));
    }
    Ok(text)
}

/// Multi-line free text with a length limit (profile descriptions, report reasons).
pub fn free_text(field: &str, raw: &str, max: usize) -> Result<String> {
    message_text(field, raw.trim(), max)
}

fn check_length(field: &str, text: &str, max: usize) -> Result<()> {
    let len = text.chars().count();
    if len > max {
        return Err(Error::invalid(
            field,
            format!("must be at most {max} characters, got {len}"),
        ));
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

/// Names that are pages of the web app, whose profiles live at `/{screen_name}`: an account
/// called `settings` would have a profile nobody could open.
const RESERVED_SCREEN_NAMES: &[&str] = &[
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
    fn screen_names() {
        assert!(screen_name("jack_1").is_ok());
        assert!(screen_name("").is_err());
        assert!(screen_name("sixteen_chars_xx").is_err());
        assert!(screen_name("no-dash").is_err());
        assert!(screen_name("Settings").is_err());
    }
}
