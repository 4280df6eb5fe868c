//! OAuth 1.0a nonces held in memory, for a store that is one node (the embedded one): a
//! signed request's nonce is remembered until its timestamp leaves the window, so the same
//! one again is a replay. A restart forgets them: a request replayed within the window after
//! a restart is accepted once more, which the durable alternative (a write per request
//! waiting for its own flush) was too slow to prevent (docs/benchmarks.md).

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use postern_core::{Error, Result};

/// Nonces held at once, at most: beyond, signed requests are refused until some expire
/// (about 100 MB at the limit).
pub const HELD_MAX: usize = 1_000_000;

pub struct MemoryNonces {
    held: Mutex<HashMap<String, i64>>,
    /// `HELD_MAX`, or less in tests.
    cap: usize,
}

impl Default for MemoryNonces {
    fn default() -> Self {
        MemoryNonces::holding(HELD_MAX)
    }
}

impl MemoryNonces {
    /// Holding at most `cap` nonces at once.
    pub fn holding(cap: usize) -> Self {
        MemoryNonces {
            held: Mutex::new(HashMap::new()),
            cap,
        }
    }

    /// Remembers `nonce` of `consumer_key` until `expires_at`; `false` if it already was.
    pub fn claim(
        &self,
        consumer_key: &str,
        nonce: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let key = format!("{consumer_key}\u{0}{nonce}");
        let mut held = self.held.lock();
        if let Some(until) = held.get(&key)
            && *until >= now.timestamp_millis()
        {
            return Ok(false);
        }
        if held.len() >= self.cap {
            let now = now.timestamp_millis();
            held.retain(|_, until| *until >= now);
            if held.len() >= self.cap {
                return Err(Error::RateLimited {
                    what: "signed requests in the last ten minutes",
                    retry_after: Duration::from_secs(1),
                });
            }
        }
        held.insert(key, expires_at.timestamp_millis());
        Ok(true)
    }

    /// Forgets the nonces whose window has passed; how many.
    pub fn forget(&self, now: DateTime<Utc>) -> usize {
        let mut held = self.held.lock();
        let before = held.len();
        let now = now.timestamp_millis();
        held.retain(|_, until| *until >= now);
        before - held.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_claimed_once_until_it_expires() -> Result<()> {
        let nonces = MemoryNonces::default();
        let now = Utc::now();
        let until = now + chrono::Duration::minutes(10);
        assert!(nonces.claim("app", "n1", until, now)?);
        assert!(!nonces.claim("app", "n1", until, now)?, "a replay");
        assert!(
            nonces.claim("other app", "n1", until, now)?,
            "nonces are per app"
        );
        let later = until + chrono::Duration::seconds(1);
        assert_eq!(nonces.forget(later), 2);
        assert!(nonces.claim("app", "n1", later + chrono::Duration::minutes(10), later)?);
        Ok(())
    }

    #[test]
    fn a_full_table_refuses_until_some_expire_and_never_grows_past_its_cap() -> Result<()> {
        let nonces = MemoryNonces::holding(3);
        let now = Utc::now();
        for (n, minutes) in [("a", 1), ("b", 10), ("c", 10)] {
            assert!(nonces.claim("app", n, now + chrono::Duration::minutes(minutes), now)?);
        }
        let until = now + chrono::Duration::minutes(10);
        assert!(
            matches!(
                nonces.claim("app", "d", until, now),
                Err(Error::RateLimited { .. })
            ),
            "full, none expired: refused"
        );
        assert_eq!(nonces.held.lock().len(), 3);
        // Once "a" has expired, its place is taken; the table stays at its cap.
        let later = now + chrono::Duration::minutes(2);
        assert!(nonces.claim("app", "d", until, later)?);
        assert_eq!(nonces.held.lock().len(), 3);
        assert!(!nonces.claim("app", "b", until, later)?, "still remembered");
        Ok(())
    }
}
