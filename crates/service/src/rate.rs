//! Per-user send limits (SPEC §6): a daily allowance of sends, and a smaller one for new
//! conversations with non-followers while an account is young. GCRA (via `governor`)
//! refills the allowance evenly over the day instead of resetting at midnight.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use postern_core::{Error, Result, UserId};

use crate::ServiceConfig;

type Keyed = RateLimiter<UserId, DashMapStateStore<UserId>, DefaultClock>;

pub struct SendLimits {
    enabled: bool,
    sends: Keyed,
    young_new_conversations: Keyed,
}

fn per_day(n: u32) -> Quota {
    let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
    let period = Duration::from_secs(86_400) / n.get();
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(n))
        .allow_burst(n)
}

impl SendLimits {
    pub fn new(config: &ServiceConfig) -> Self {
        SendLimits {
            enabled: config.rate_limits,
            sends: RateLimiter::dashmap(per_day(config.limits.dm_sends_per_day)),
            young_new_conversations: RateLimiter::dashmap(per_day(
                config.limits.young_account_new_conversations_per_day,
            )),
        }
    }

    pub fn check_send(&self, user: UserId) -> Result<()> {
        self.check(&self.sends, user, "direct messages per day")
    }

    pub fn check_young_new_conversation(&self, user: UserId) -> Result<()> {
        self.check(
            &self.young_new_conversations,
            user,
            "new conversations with non-followers per day for new accounts",
        )
    }

    fn check(&self, limiter: &Keyed, user: UserId, what: &'static str) -> Result<()> {
        if !self.enabled {
            return Ok(());
        }
        limiter
            .check_key(&user)
            .map_err(|not_until| Error::RateLimited {
                what,
                retry_after: not_until.wait_time_from(DefaultClock::default().now()),
            })
    }
}
