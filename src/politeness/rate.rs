//! Rate limits with `governor`: an optional global quota and an optional per-host quota.
//!
//! The scheduler asks [`RateLimits::gate`] before taking a request off a host's queue,
//! and a host that must wait is parked in the frontier with the time governor gives. So
//! requests wait on governor in the queue, never while holding a fetch slot. The per-host
//! limiter is keyed by host id in governor's `DashMapStateStore`; keys that went idle are
//! pruned by [`RateLimits::prune`] (governor never evicts on its own: boinkor-net/governor#171).
//! Built without governor's `quanta` clock, whose TSC source is not monotonic across cores.

use crate::frontier::{Gate, HostId};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

/// The crawl's rate limiters.
#[derive(Debug)]
pub(crate) struct RateLimits {
    global: Option<DefaultDirectRateLimiter>,
    per_host: Option<DefaultKeyedRateLimiter<HostId>>,
}

/// One request every `1/per_second`, no burst: politeness means spacing, not averages.
fn quota(per_second: f64, burst: u32) -> Quota {
    let period = Duration::from_secs_f64(1.0 / per_second).max(Duration::from_nanos(1));
    Quota::with_period(period)
        .expect("period is positive")
        .allow_burst(NonZeroU32::new(burst.max(1)).expect("burst is at least 1"))
}

impl RateLimits {
    /// Limits from requests-per-second figures (`None`: unlimited).
    pub(crate) fn new(per_host: Option<f64>, global: Option<f64>) -> Self {
        RateLimits {
            // A global quota may burst a little so several hosts can start at once.
            global: global.map(|r| RateLimiter::direct(quota(r, (r as u32).clamp(1, 16)))),
            per_host: per_host.map(|r| RateLimiter::dashmap(quota(r, 1))),
        }
    }

    /// Whether one request to `host` may go now; takes the permit when it may.
    pub(crate) fn gate(&self, host: HostId) -> Gate {
        if let Some(l) = &self.per_host
            && let Err(not_until) = l.check_key(&host)
        {
            return Gate::HostWait(not_until.earliest_possible());
        }
        if let Some(l) = &self.global
            && let Err(not_until) = l.check()
        {
            // The host's permit is spent: being a little more polite to it is harmless.
            return Gate::GlobalWait(not_until.earliest_possible());
        }
        Gate::Open
    }

    /// Whether any limit is set (the scheduler skips the calls otherwise).
    pub(crate) fn is_unlimited(&self) -> bool {
        self.global.is_none() && self.per_host.is_none()
    }

    /// Drops the state of hosts that have been idle long enough to be back at a full bucket.
    pub(crate) fn prune(&self) {
        if let Some(l) = &self.per_host {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }

    /// Hosts with live limiter state.
    #[cfg(test)]
    pub(crate) fn tracked_hosts(&self) -> usize {
        self.per_host.as_ref().map_or(0, |l| l.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn per_host_spacing_parks_only_that_host() {
        let r = RateLimits::new(Some(10.0), None);
        assert_eq!(r.gate(1), Gate::Open);
        match r.gate(1) {
            Gate::HostWait(t) => {
                let wait = t.saturating_duration_since(Instant::now());
                assert!(wait <= Duration::from_millis(100) && wait >= Duration::from_millis(50));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(r.gate(2), Gate::Open);
        assert_eq!(r.tracked_hosts(), 2);
    }

    #[test]
    fn global_limit_applies_across_hosts() {
        let r = RateLimits::new(None, Some(1.0));
        assert_eq!(r.gate(1), Gate::Open);
        assert!(matches!(r.gate(2), Gate::GlobalWait(_)));
        assert!(!r.is_unlimited());
        assert!(RateLimits::new(None, None).is_unlimited());
    }

    #[test]
    fn idle_hosts_are_pruned() {
        let r = RateLimits::new(Some(1000.0), None);
        for h in 0..5 {
            assert_eq!(r.gate(h), Gate::Open);
        }
        std::thread::sleep(Duration::from_millis(20));
        r.prune();
        assert_eq!(r.tracked_hosts(), 0);
    }
}
