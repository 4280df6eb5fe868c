//! Entities extracted from message text on the server, with `[start, end)` indices counted
//! in Unicode scalar values as Twitter counts them. URLs are found first so that a `#` or
//! `@` inside a link is not also taken for a hashtag or mention.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::UserId;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Entities {
    pub hashtags: Vec<TextEntity>,
    pub cashtags: Vec<TextEntity>,
    pub mentions: Vec<Mention>,
    pub urls: Vec<UrlEntity>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TextEntity {
    /// The tag without its `#` or `$`.
    pub text: String,
    pub indices: [usize; 2],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Mention {
    pub screen_name: String,
    /// Set when the screen name belongs to an account on this server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    pub indices: [usize; 2],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UrlEntity {
    pub url: String,
    pub expanded_url: String,
    pub display_url: String,
    pub indices: [usize; 2],
}

/// Extracts all entities from (already normalized) text.
pub fn extract(text: &str) -> Entities {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Entities::default();
    let mut taken: Vec<[usize; 2]> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if let Some(end) = url_at(&chars, i) {
            let url: String = chars.get(i..end).unwrap_or_default().iter().collect();
            let expanded = if url.starts_with("www.") {
                format!("https://{url}")
            } else {
                url.clone()
            };
            let display = display_url(&expanded);
            out.urls.push(UrlEntity {
                url,
                expanded_url: expanded,
                display_url: display,
                indices: [i, end],
            });
            taken.push([i, end]);
            i = end;
        } else {
            i += 1;
        }
    }
    let inside_url = |pos: usize| taken.iter().any(|[s, e]| pos >= *s && pos < *e);
    for (i, c) in chars.iter().enumerate() {
        if inside_url(i) || !boundary_before(&chars, i) {
            continue;
        }
        match c {
            '#' | '＃' => {
                let end = run(&chars, i + 1, |c| c.is_alphanumeric() || c == '_');
                let tag: String = chars.get(i + 1..end).unwrap_or_default().iter().collect();
                if !tag.is_empty()
                    && !tag.chars().all(|c| c.is_ascii_digit())
                    && !followed_by_tagchar(&chars, end)
                {
                    out.hashtags.push(TextEntity {
                        text: tag,
                        indices: [i, end],
                    });
                }
            }
            '$' => {
                let end = run(&chars, i + 1, |c| c.is_ascii_alphabetic());
                let len = end - (i + 1);
                if (1..=6).contains(&len) && !followed_by_tagchar(&chars, end) {
                    let tag: String = chars.get(i + 1..end).unwrap_or_default().iter().collect();
                    out.cashtags.push(TextEntity {
                        text: tag,
                        indices: [i, end],
                    });
                }
            }
            '@' | '＠' => {
                let end = run(&chars, i + 1, |c| c.is_ascii_alphanumeric() || c == '_');
                let len = end - (i + 1);
                let next = chars.get(end).copied();
                if (1..=crate::limits::SCREEN_NAME_MAX).contains(&len)
                    && !matches!(next, Some('@' | '＠'))
                    && !followed_by_tagchar(&chars, end)
                {
                    let name: String = chars.get(i + 1..end).unwrap_or_default().iter().collect();
                    out.mentions.push(Mention {
                        screen_name: name,
                        user_id: None,
                        indices: [i, end],
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// A tag may start at the beginning or after a character that cannot be part of a word, so
/// `a#b` and `me@example.com` are not entities.
fn boundary_before(chars: &[char], i: usize) -> bool {
    match i.checked_sub(1).and_then(|p| chars.get(p)) {
        None => true,
        Some(p) => !(p.is_alphanumeric() || matches!(p, '_' | '&' | '@' | '#' | '$' | '＠' | '＃')),
    }
}

fn followed_by_tagchar(chars: &[char], end: usize) -> bool {
    chars
        .get(end)
        .is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

fn run(chars: &[char], from: usize, ok: impl Fn(char) -> bool) -> usize {
    let mut end = from;
    while chars.get(end).is_some_and(|c| ok(*c)) {
        end += 1;
    }
    end
}

/// Finds a URL starting at `i` (`http://`, `https://` or `www.`), returning its end after
/// trailing punctuation is given back to the sentence.
fn url_at(chars: &[char], i: usize) -> Option<usize> {
    let starts = |p: &str| {
        p.chars().enumerate().all(|(k, pc)| {
            chars
                .get(i + k)
                .is_some_and(|c| c.eq_ignore_ascii_case(&pc))
        })
    };
    let prefix = ["https://", "http://", "www."]
        .into_iter()
        .find(|p| starts(p))?;
    if !boundary_before(chars, i) {
        return None;
    }
    let mut end = run(chars, i, |c| {
        !c.is_whitespace() && !matches!(c, '<' | '>' | '"')
    });
    // Trailing punctuation belongs to the sentence; a closing bracket only if unbalanced.
    while end > i {
        let last = chars.get(end - 1).copied().unwrap_or(' ');
        let body = chars.get(i..end).unwrap_or_default();
        let unbalanced = |open: char, close: char| {
            last == close
                && body.iter().filter(|c| **c == open).count()
                    < body.iter().filter(|c| **c == close).count()
        };
        if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*')
            || unbalanced('(', ')')
            || unbalanced('[', ']')
        {
            end -= 1;
        } else {
            break;
        }
    }
    let host_len = end.saturating_sub(i + prefix.chars().count());
    (host_len >= 3).then_some(end)
}

fn display_url(expanded: &str) -> String {
    let bare = expanded
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    if bare.chars().count() > 30 {
        let cut: String = bare.chars().take(27).collect();
        format!("{cut}…")
    } else {
        bare.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_kind_with_char_indices() {
        let e = extract("héllo @jack see #rust and $TSLA at https://example.com/a?b=1.");
        assert_eq!(
            e.mentions
                .first()
                .map(|m| (m.screen_name.as_str(), m.indices)),
            Some(("jack", [6, 11]))
        );
        assert_eq!(
            e.hashtags.first().map(|h| (h.text.as_str(), h.indices)),
            Some(("rust", [16, 21]))
        );
        assert_eq!(e.cashtags.first().map(|h| h.text.as_str()), Some("TSLA"));
        let url = e.urls.first().map(|u| u.url.as_str());
        assert_eq!(url, Some("https://example.com/a?b=1"));
    }

    #[test]
    fn no_entities_inside_words_or_urls() {
        let e = extract("mail me@example.com or a#b http://x.org/#frag @");
        assert!(e.mentions.is_empty());
        assert!(e.hashtags.is_empty());
        assert_eq!(e.urls.len(), 1);
    }

    #[test]
    fn numeric_hashtags_and_long_cashtags_are_not_entities() {
        let e = extract("#123 $TOOLONGX (https://example.com/x_(y))");
        assert!(e.hashtags.is_empty());
        assert!(e.cashtags.is_empty());
        assert_eq!(
            e.urls.first().map(|u| u.url.as_str()),
            Some("https://example.com/x_(y)")
        );
    }
}
