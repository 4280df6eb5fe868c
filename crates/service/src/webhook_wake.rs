//! Which webhook subscriptions a node's delivery task looks at, and when.
//!
//! Leasing a subscription is a write, and so is giving it back, even when its stream has
//! nothing new. So the task does not lease every healthy subscription each time it looks:
//! a node that stores events rings [`Wake`] with the accounts they went to, and the task
//! leases just their subscriptions. Its regular look (every 250 ms) takes only those that
//! need it without new events — a retry come due, or a lease whose node stopped — and every
//! few seconds it takes every due subscription, for events whose node stopped before it could
//! deliver them.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use postern_core::UserId;
use postern_store::cold::{Cell, int};

/// Accounts held for the next look; past this many, it takes every due subscription.
const HELD_MAX: usize = 256;

/// The subscriptions one look leases.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Due {
    /// Those of these accounts (events were stored for them).
    Accounts(Vec<UserId>),
    /// Those waiting for a retry, or whose lease ran out with its node.
    Retries,
    /// Every due subscription.
    All,
}

impl Due {
    /// The condition on `webhook_subscriptions s` this look adds, its placeholders numbered
    /// from `first`, and their values.
    pub(crate) fn condition(&self, first: usize) -> (String, Vec<Cell>) {
        match self {
            Due::All => (String::new(), Vec::new()),
            Due::Retries => (
                "AND (s.failures > 0 OR s.lease_until IS NOT NULL)".to_owned(),
                Vec::new(),
            ),
            Due::Accounts(users) => {
                let marks: Vec<String> = (first..first + users.len())
                    .map(|i| format!("?{i}"))
                    .collect();
                (
                    format!("AND s.user_id IN ({})", marks.join(", ")),
                    users.iter().map(|u| int(u.0)).collect(),
                )
            }
        }
    }
}

/// Rung when this node stores events (or a webhook comes back on), so its deliveries start at
/// once rather than at the next look.
#[derive(Default)]
pub(crate) struct Wake {
    held: Mutex<Held>,
    rung: tokio::sync::Notify,
}

#[derive(Default)]
struct Held {
    accounts: HashSet<UserId>,
    everything: bool,
}

impl Wake {
    /// Events were stored for these accounts.
    pub(crate) fn ring(&self, accounts: impl IntoIterator<Item = UserId>) {
        {
            let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
            for account in accounts {
                if held.everything || held.accounts.len() >= HELD_MAX {
                    held.everything = true;
                    held.accounts.clear();
                    break;
                }
                held.accounts.insert(account);
            }
        }
        self.rung.notify_one();
    }

    /// Every due subscription should be looked at (a webhook came back on).
    pub(crate) fn ring_all(&self) {
        {
            let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
            held.everything = true;
            held.accounts.clear();
        }
        self.rung.notify_one();
    }

    /// Resolves when rung.
    pub(crate) async fn rung(&self) {
        self.rung.notified().await;
    }

    /// What was rung for since the last call, forgotten here.
    pub(crate) fn take(&self) -> Due {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let held = std::mem::take(&mut *held);
        if held.everything {
            Due::All
        } else {
            let mut accounts: Vec<UserId> = held.accounts.into_iter().collect();
            accounts.sort_unstable();
            Due::Accounts(accounts)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_rung_are_taken_once_and_too_many_mean_all() {
        let wake = Wake::default();
        wake.ring([UserId(2), UserId(1), UserId(2)]);
        assert_eq!(wake.take(), Due::Accounts(vec![UserId(1), UserId(2)]));
        assert_eq!(wake.take(), Due::Accounts(Vec::new()));
        wake.ring((0..=HELD_MAX as i64).map(UserId));
        assert_eq!(wake.take(), Due::All);
        wake.ring_all();
        wake.ring([UserId(3)]);
        assert_eq!(wake.take(), Due::All);
    }

    #[test]
    fn accounts_become_numbered_placeholders() {
        let (sql, values) = Due::Accounts(vec![UserId(7), UserId(9)]).condition(5);
        assert_eq!(sql, "AND s.user_id IN (?5, ?6)");
        assert_eq!(values.len(), 2);
        assert_eq!(Due::All.condition(1), (String::new(), Vec::new()));
    }
}
