//! Slowing password guessing: failed logins are counted per account and per address, and
//! past a few free ones each further failure makes the next attempt wait, twice as long each
//! time up to a cap. While an account or address waits, every login for it is refused, the
//! right password included: otherwise a guesser's last guess would simply succeed.
//!
//! Counts live in this node's memory (several nodes each count their own, which bounds a
//! guesser at the nodes' sum) and are forgotten once quiet for the longest wait.

use std::hash::Hash;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use postern_core::{Error, Result};

/// When failures start to cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// Failures an account may have before each further one makes the next attempt wait.
    pub free_per_account: u32,
    /// The same for one address (which may try many accounts).
    pub free_per_address: u32,
    /// The first wait; each further failure doubles it.
    pub first_wait: Duration,
    /// The longest wait, and how long counts are kept after the last failure.
    pub longest_wait: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            free_per_account: 5,
            free_per_address: 20,
            first_wait: Duration::from_secs(1),
            longest_wait: Duration::from_secs(15 * 60),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    /// No attempt before this.
    wait_until: Option<Instant>,
}

pub struct LoginGuard {
    limits: LoginLimits,
    accounts: DashMap<String, Failures>,
    addresses: DashMap<IpAddr, Failures>,
}

impl LoginGuard {
    pub fn new(limits: LoginLimits) -> Self {
        LoginGuard {
            limits,
            accounts: DashMap::new(),
            addresses: DashMap::new(),
        }
    }

    /// Refuses an attempt while the account or the address is made to wait.
    pub fn check(&self, screen_name: &str, from: Option<IpAddr>) -> Result<()> {
        let now = Instant::now();
        let account = waiting(&self.accounts, &key(screen_name), now);
        let address = from.and_then(|ip| waiting(&self.addresses, &ip, now));
        match account.max(address) {
            None => Ok(()),
            Some(retry_after) => Err(Error::RateLimited {
                what: if account.is_some() {
                    "login attempts for this account"
                } else {
                    "login attempts from this address"
                },
                retry_after,
            }),
        }
    }

    pub fn failed(&self, screen_name: &str, from: Option<IpAddr>) {
        let now = Instant::now();
        self.count(
            &self.accounts,
            key(screen_name),
            self.limits.free_per_account,
            now,
        );
        if let Some(ip) = from {
            self.count(&self.addresses, ip, self.limits.free_per_address, now);
        }
    }

    /// A success clears the account's count (the address keeps its own: one right password
    /// does not excuse guesses at other accounts).
    pub fn succeeded(&self, screen_name: &str) {
        self.accounts.remove(&key(screen_name));
    }

    /// Forgets counts quiet for the longest wait, so memory follows recent failures only.
    pub fn prune(&self) {
        let now = Instant::now();
        let quiet = |f: &Failures| now.duration_since(f.last) < self.limits.longest_wait;
        self.accounts.retain(|_, f| quiet(f));
        self.addresses.retain(|_, f| quiet(f));
    }

    fn count<K: Eq + Hash>(&self, map: &DashMap<K, Failures>, key: K, free: u32, now: Instant) {
        let mut entry = map.entry(key).or_insert(Failures {
            count: 0,
            last: now,
            wait_until: None,
        });
        if now.duration_since(entry.last) >= self.limits.longest_wait {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
        if let Some(over) = entry.count.checked_sub(free).filter(|n| *n > 0) {
            let doubled = self
                .limits
                .first_wait
                .saturating_mul(2u32.saturating_pow(over.saturating_sub(1).min(30)));
            entry.wait_until = Some(now + doubled.min(self.limits.longest_wait));
        }
    }
}

/// Screen names are matched without regard to case.
fn key(screen_name: &str) -> String {
    screen_name.to_ascii_lowercase()
}

fn waiting<K: Eq + Hash>(map: &DashMap<K, Failures>, key: &K, now: Instant) -> Option<Duration> {
    let until = map.get(key)?.wait_until?;
    until.checked_duration_since(now).filter(|d| !d.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> LoginGuard {
        LoginGuard::new(LoginLimits {
            free_per_account: 2,
            free_per_address: 3,
            first_wait: Duration::from_secs(1),
            longest_wait: Duration::from_secs(8),
        })
    }

    #[test]
    fn waits_start_after_the_free_failures_and_double() {
        let g = guard();
        let ip = Some(IpAddr::from([10, 0, 0, 1]));
        for _ in 0..2 {
            assert!(g.check("Alice", ip).is_ok());
            g.failed("Alice", ip);
        }
        assert!(g.check("alice", ip).is_ok(), "two failures are free");
        g.failed("alice", ip);
        let first = g.check("ALICE", None);
        assert!(
            matches!(first, Err(Error::RateLimited { retry_after, .. }) if retry_after <= Duration::from_secs(1))
        );
        g.failed("alice", None);
        let second = g.check("alice", None);
        assert!(
            matches!(second, Err(Error::RateLimited { retry_after, .. }) if retry_after > Duration::from_secs(1))
        );
        for _ in 0..20 {
            g.failed("alice", None);
        }
        let capped = g.check("alice", None);
        assert!(
            matches!(capped, Err(Error::RateLimited { retry_after, .. }) if retry_after <= Duration::from_secs(8))
        );
        g.succeeded("alice");
        assert!(g.check("alice", None).is_ok());
    }

    #[test]
    fn an_address_guessing_many_accounts_waits_too() {
        let g = guard();
        let ip = Some(IpAddr::from([10, 0, 0, 2]));
        for name in ["a", "b", "c", "d"] {
            g.failed(name, ip);
        }
        let refused = g.check("e", ip);
        assert!(
            matches!(refused, Err(Error::RateLimited { what, .. }) if what.contains("address"))
        );
        assert!(g.check("e", Some(IpAddr::from([10, 0, 0, 3]))).is_ok());
    }
}
