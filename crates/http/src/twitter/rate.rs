//! Twitter's rate-limit windows: each principal gets a budget per route per 15 minutes, and
//! every response says where it stands (`x-rate-limit-limit`, `-remaining`, `-reset` in epoch
//! seconds), as clients such as tweepy's `wait_on_rate_limit` read them. Over the budget:
//! 429 with code 88 (v1.1) or the problem type (v2), and `retry-after`.
//!
//! A request is counted against its principal only once its credentials check out (so no
//! one can spend another's budget); a request that authenticates no one is counted against
//! its address. Counts are per node. Sends are also held to the account's daily send limit
//! (SPEC §6), which the service applies whatever the surface.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use dashmap::DashMap;

/// Seconds in a window.
pub const WINDOW_SECS: u64 = 15 * 60;
/// Requests a principal may make to one route in a window (reads and most writes).
pub const PER_WINDOW: u32 = 900;
/// For the routes a busy bot calls most: sends, typing, read receipts.
pub const PER_WINDOW_BUSY: u32 = 3000;
/// Requests that authenticate no one, per address per window.
pub const UNAUTHENTICATED_PER_WINDOW: u32 = 300;

const ENTRIES_MAX: usize = 200_000;

/// What one request took from its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taken {
    pub limit: u32,
    pub remaining: u32,
    /// When the window resets, epoch seconds.
    pub reset: u64,
    /// Whether the request was over the budget (and refused).
    pub refused: bool,
}

/// Every principal's windows on this node.
#[derive(Default)]
pub struct Windows {
    counts: DashMap<(String, String), (u64, u32)>,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Windows {
    /// Counts one request by `who` to `route` against `limit`.
    pub fn take(&self, who: &str, route: &str, limit: u32) -> Taken {
        let now = now();
        let start = now - now % WINDOW_SECS;
        if self.counts.len() >= ENTRIES_MAX {
            // Windows that have ended hold nothing worth keeping.
            self.counts.retain(|_, (s, _)| *s == start);
        }
        let mut entry = self
            .counts
            .entry((who.to_owned(), route.to_owned()))
            .or_insert((start, 0));
        if entry.0 != start {
            *entry = (start, 0);
        }
        let refused = entry.1 >= limit;
        if !refused {
            entry.1 += 1;
        }
        Taken {
            limit,
            remaining: limit - entry.1,
            reset: start + WINDOW_SECS,
            refused,
        }
    }
}

/// The request's place in the windows: the authenticating extractor takes from them once
/// it knows the principal; the middleware writes the headers.
#[derive(Clone)]
pub struct Slot {
    windows: Arc<Windows>,
    route: Arc<str>,
    taken: Arc<OnceLock<Taken>>,
}

impl Slot {
    /// Counts the request against `who`; `busy` routes get the larger budget.
    pub fn take(&self, who: &str) -> Taken {
        let limit = if BUSY.iter().any(|r| self.route.ends_with(r)) {
            PER_WINDOW_BUSY
        } else {
            PER_WINDOW
        };
        *self
            .taken
            .get_or_init(|| self.windows.take(who, &self.route, limit))
    }
}

/// Routes a bot calls for every conversation turn.
const BUSY: [&str; 4] = [
    "direct_messages/events/new.json",
    "direct_messages/indicate_typing.json",
    "direct_messages/mark_read.json",
    "/messages",
];

/// Middleware: gives the request its [`Slot`], and the response its headers.
pub async fn headers(
    State(windows): State<Arc<Windows>>,
    mut request: Request,
    next: Next,
) -> Response {
    let route: Arc<str> = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| request.uri().path().into(), |p| p.as_str().into());
    let peer: Option<IpAddr> = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let slot = Slot {
        windows: windows.clone(),
        route,
        taken: Arc::default(),
    };
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    let taken = match slot.taken.get() {
        Some(t) => *t,
        None => {
            let who = format!("ip:{}", peer.map_or_else(String::new, |p| p.to_string()));
            windows.take(&who, "unauthenticated", UNAUTHENTICATED_PER_WINDOW)
        }
    };
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-rate-limit-limit", taken.limit.to_string()),
        ("x-rate-limit-remaining", taken.remaining.to_string()),
        ("x-rate-limit-reset", taken.reset.to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_counts_down_then_refuses_until_it_resets() {
        let windows = Windows::default();
        let first = windows.take("u1", "r", 2);
        assert_eq!((first.remaining, first.refused), (1, false));
        assert_eq!(first.reset % WINDOW_SECS, 0);
        assert!(first.reset > now());
        assert_eq!(windows.take("u1", "r", 2).remaining, 0);
        let over = windows.take("u1", "r", 2);
        assert!(over.refused);
        assert_eq!(over.remaining, 0);
        // Another principal, or another route, has its own window.
        assert!(!windows.take("u2", "r", 2).refused);
        assert!(!windows.take("u1", "other", 2).refused);
    }
}
