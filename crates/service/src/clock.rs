//! What time it is for rules that depend on the time of day (support hours, away messages).
//! The real time, unless a test stands the clock at an instant; passed in the service's
//! configuration, never global, so servers in one process keep their own.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Default)]
pub struct Clock {
    standing: Arc<Mutex<Option<DateTime<Utc>>>>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        self.standing
            .lock()
            .ok()
            .and_then(|t| *t)
            .unwrap_or_else(Utc::now)
    }

    /// From now on, it is `at` (until moved again or released).
    pub fn stand_at(&self, at: DateTime<Utc>) {
        if let Ok(mut t) = self.standing.lock() {
            *t = Some(at);
        }
    }

    /// Back to the real time.
    pub fn release(&self) {
        if let Ok(mut t) = self.standing.lock() {
            *t = None;
        }
    }
}
