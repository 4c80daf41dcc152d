//! The clock is injected: the store stamps `recorded_at` from a [`Clock`], so tests and the
//! demo world run on simulated time and give byte-identical leaves.

use std::sync::atomic::{AtomicI64, Ordering};

/// A source of the current instant.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> jiff::Timestamp;
}

/// The real wall clock, truncated to whole seconds.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> jiff::Timestamp {
        let s = jiff::Timestamp::now().as_second();
        jiff::Timestamp::from_second(s).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }
}

/// A clock that returns a set instant, moved by hand (tests, the demo world).
#[derive(Debug)]
pub struct ManualClock {
    seconds: AtomicI64,
}

impl ManualClock {
    /// A clock standing at `t`.
    pub fn new(t: jiff::Timestamp) -> Self {
        Self {
            seconds: AtomicI64::new(t.as_second()),
        }
    }
    /// Sets the time.
    pub fn set(&self, t: jiff::Timestamp) {
        self.seconds.store(t.as_second(), Ordering::SeqCst);
    }
    /// Moves the time on by `secs` seconds.
    pub fn advance(&self, secs: i64) {
        self.seconds.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::from_second(self.seconds.load(Ordering::SeqCst))
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }
}
