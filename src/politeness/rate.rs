//! Rate limits with `governor`: an optional global quota and an optional per-host quota.
//!
//! The scheduler asks [`RateLimits::gate`] before taking a request off a host's queue,
//! and a host that must wait is parked in the frontier with the time governor gives. So
//! requests wait on governor in the queue, never while holding a fetch slot. The per-host
//! limiter is keyed by host id in governor's `DashMapStateStore`; keys that went idle are
//! pruned by [`RateLimits::prune`] (governor never evicts on its own: boinkor-net/governor#171).
//! Built without governor's `quanta` clock, whose TSC source is not monotonic across cores.
//!
//! A robots.txt `Crawl-delay` is a per-host minimum spacing on top of those quotas: a
//! plain "not before" time per host, checked first and without taking any permit, so a
//! host with both a delay and a user rate waits for whichever is stricter.

use crate::frontier::{Gate, HostId};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

/// The crawl's rate limiters.
#[derive(Debug)]
pub(crate) struct RateLimits {
    global: Option<DefaultDirectRateLimiter>,
    per_host: Option<DefaultKeyedRateLimiter<HostId>>,
    /// Hosts with a spacing of their own (Crawl-delay, adaptive throttle).
    spacing: HashMap<HostId, Spacing>,
}

/// A host's own minimum gap between request starts: the larger of its robots.txt
/// `Crawl-delay` and the adaptive throttle's current delay.
#[derive(Debug, Clone, Copy)]
struct Spacing {
    crawl_delay: Duration,
    adaptive: Duration,
    next: Instant,
}

impl Spacing {
    fn every(&self) -> Duration {
        self.crawl_delay.max(self.adaptive)
    }
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
            spacing: HashMap::new(),
        }
    }

    /// Spaces requests to `host` at least `every` apart, the next one not before
    /// `from + every` (a robots.txt `Crawl-delay`, counted from its answer).
    pub(crate) fn set_spacing(&mut self, host: HostId, every: Duration, from: Instant) {
        let s = self.spacing.entry(host).or_insert(Spacing {
            crawl_delay: every,
            adaptive: Duration::ZERO,
            next: from,
        });
        s.crawl_delay = every;
        s.next = from + s.every();
    }

    /// Sets the adaptive throttle's delay for `host`; the host's spacing is the larger of
    /// it and the host's `Crawl-delay`. Takes effect from the host's next request.
    pub(crate) fn set_adaptive_delay(&mut self, host: HostId, delay: Duration) {
        let s = self.spacing.entry(host).or_insert(Spacing {
            crawl_delay: Duration::ZERO,
            adaptive: delay,
            next: Instant::now(),
        });
        s.adaptive = delay;
    }

    /// Whether one request to `host` may go now; takes the permit when it may.
    pub(crate) fn gate(&mut self, host: HostId) -> Gate {
        let spaced = self.spacing.get_mut(&host);
        if let Some(s) = &spaced
            && s.next > Instant::now()
        {
            return Gate::HostWait(s.next);
        }
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
        if let Some(s) = spaced {
            s.next = Instant::now() + s.every();
        }
        Gate::Open
    }

    /// Counts a request to `host` as just sent, so its next one waits a full period: for a
    /// host taken over from another process, whose last request this one did not see.
    pub(crate) fn prime(&mut self, host: HostId) {
        if let Some(l) = &self.per_host {
            let _ = l.check_key(&host);
        }
    }

    /// Forgets `host`'s spacing (its slot is reused). Its keyed limiter state goes with
    /// the next prune, as every idle key's does.
    pub(crate) fn forget(&mut self, host: HostId) {
        self.spacing.remove(&host);
    }

    /// Whether any limit is set (the scheduler skips the calls otherwise).
    pub(crate) fn is_unlimited(&self) -> bool {
        self.global.is_none() && self.per_host.is_none() && self.spacing.is_empty()
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
    fn a_primed_host_waits_a_full_period_first() {
        let mut r = RateLimits::new(Some(10.0), None);
        r.prime(7);
        assert!(matches!(r.gate(7), Gate::HostWait(_)));
        assert_eq!(r.gate(8), Gate::Open);
        let mut none = RateLimits::new(None, None);
        none.prime(7);
        assert_eq!(none.gate(7), Gate::Open);
    }

    #[test]
    fn per_host_spacing_parks_only_that_host() {
        let mut r = RateLimits::new(Some(10.0), None);
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
    fn the_adaptive_delay_and_the_crawl_delay_combine_to_the_larger() {
        let mut r = RateLimits::new(None, None);
        r.set_adaptive_delay(1, Duration::from_millis(200));
        assert_eq!(r.gate(1), Gate::Open, "the first request goes at once");
        let w = wait_of(r.gate(1));
        assert!(
            w > Duration::from_millis(150) && w <= Duration::from_millis(200),
            "{w:?}"
        );
        // A longer Crawl-delay wins over the adaptive delay ...
        r.set_spacing(1, Duration::from_millis(400), Instant::now());
        let w = wait_of(r.gate(1));
        assert!(w > Duration::from_millis(350), "{w:?}");
        // ... and a longer adaptive delay over the Crawl-delay, from the next request.
        r.set_spacing(
            1,
            Duration::from_millis(50),
            Instant::now() - Duration::from_secs(1),
        );
        r.set_adaptive_delay(1, Duration::from_millis(300));
        assert_eq!(r.gate(1), Gate::Open);
        let w = wait_of(r.gate(1));
        assert!(w > Duration::from_millis(250), "{w:?}");
        assert_eq!(r.gate(2), Gate::Open, "other hosts are not spaced");
    }

    #[test]
    fn global_limit_applies_across_hosts() {
        let mut r = RateLimits::new(None, Some(1.0));
        assert_eq!(r.gate(1), Gate::Open);
        assert!(matches!(r.gate(2), Gate::GlobalWait(_)));
        assert!(!r.is_unlimited());
        assert!(RateLimits::new(None, None).is_unlimited());
    }

    fn wait_of(g: Gate) -> Duration {
        match g {
            Gate::HostWait(t) => t.saturating_duration_since(Instant::now()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_crawl_delay_spaces_only_its_host_and_takes_no_permit_while_waiting() {
        let mut r = RateLimits::new(None, None);
        assert!(r.is_unlimited());
        let delay = Duration::from_millis(300);
        r.set_spacing(1, delay, Instant::now());
        assert!(!r.is_unlimited());
        let w = wait_of(r.gate(1));
        assert!(w > Duration::from_millis(250) && w <= delay, "{w:?}");
        assert_eq!(r.gate(2), Gate::Open);
        r.set_spacing(1, delay, Instant::now() - delay);
        assert_eq!(r.gate(1), Gate::Open);
        let w = wait_of(r.gate(1));
        assert!(
            w > Duration::from_millis(250),
            "spaced from the last request: {w:?}"
        );
    }

    /// How long after a first request the next one to `host` may go, asking the gate
    /// again at each time it names (as the frontier does).
    fn next_permit_after_first(r: &mut RateLimits, host: HostId) -> Duration {
        assert_eq!(r.gate(host), Gate::Open);
        let start = Instant::now();
        loop {
            match r.gate(host) {
                Gate::Open => return start.elapsed(),
                Gate::HostWait(t) | Gate::GlobalWait(t) => {
                    std::thread::sleep(t.saturating_duration_since(Instant::now()))
                }
            }
        }
    }

    #[test]
    fn the_stricter_of_crawl_delay_and_user_rate_wins() {
        let past = Instant::now() - Duration::from_secs(1);
        // The user's 5/s (200 ms) is stricter than a 50 ms delay.
        let mut r = RateLimits::new(Some(5.0), None);
        r.set_spacing(1, Duration::from_millis(50), past);
        let gap = next_permit_after_first(&mut r, 1);
        assert!(gap >= Duration::from_millis(190), "{gap:?}");
        // A 300 ms delay is stricter than the user's 20/s (50 ms).
        let mut r = RateLimits::new(Some(20.0), None);
        r.set_spacing(1, Duration::from_millis(300), past);
        let gap = next_permit_after_first(&mut r, 1);
        assert!(gap >= Duration::from_millis(290), "{gap:?}");
    }

    #[test]
    fn idle_hosts_are_pruned() {
        let mut r = RateLimits::new(Some(1000.0), None);
        for h in 0..5 {
            assert_eq!(r.gate(h), Gate::Open);
        }
        std::thread::sleep(Duration::from_millis(20));
        r.prune();
        assert_eq!(r.tracked_hosts(), 0);
    }
}
