//! Conditional and `Range` requests (RFC 9110 §13, §14): `If-None-Match` against an ETag,
//! and one byte range of a stored file, as video players and download managers ask for.

use std::ops::Range;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

/// Whether `If-None-Match` names `etag` (or `*`): the client's copy is current, answer 304.
pub fn not_modified(request: &HeaderMap, etag: &str) -> bool {
    request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').map(str::trim).any(|t| t == etag || t == "*"))
}

/// What a `Range` header asks of a file of a known size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// The whole file: no range, or one the server may ignore (unreadable, or several
    /// ranges, which Postern does not assemble into multipart responses).
    All,
    Part(Range<u64>),
    /// A range entirely outside the file: 416.
    Unsatisfiable,
}

pub fn wanted(value: Option<&HeaderValue>, size: u64) -> Wanted {
    let Some(parsed) = value
        .and_then(|v| v.to_str().ok())
        .and_then(|v| http_range_header::parse_range_header(v).ok())
    else {
        return Wanted::All;
    };
    if parsed.ranges.len() != 1 {
        return Wanted::All;
    }
    match parsed.validate(size).as_deref() {
        Ok([only]) if size > 0 => Wanted::Part(*only.start()..only.end().saturating_add(1)),
        _ => Wanted::Unsatisfiable,
    }
}

/// 416, naming the file's size as the standard asks.
pub fn unsatisfiable(size: u64) -> Response {
    let mut response = crate::error::plain(
        StatusCode::RANGE_NOT_SATISFIABLE,
        "range_not_satisfiable",
        format!("the requested range is outside the file's {size} bytes"),
        Some("Range".into()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
        response.headers_mut().insert(header::CONTENT_RANGE, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(range: &str, size: u64) -> Wanted {
        wanted(
            Some(&HeaderValue::from_str(range).unwrap_or(HeaderValue::from_static(""))),
            size,
        )
    }

    #[test]
    fn ranges() {
        assert_eq!(wanted(None, 10), Wanted::All);
        assert_eq!(ask("bytes=0-3", 10), Wanted::Part(0..4));
        assert_eq!(ask("bytes=5-", 10), Wanted::Part(5..10));
        assert_eq!(ask("bytes=-3", 10), Wanted::Part(7..10));
        assert_eq!(ask("bytes=8-100", 10), Wanted::Part(8..10));
        assert_eq!(ask("bytes=10-", 10), Wanted::Unsatisfiable);
        assert_eq!(ask("bytes=0-1,4-5", 10), Wanted::All);
        assert_eq!(ask("pages=1-2", 10), Wanted::All);
    }
}
