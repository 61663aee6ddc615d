//! The adaptive throttle: a per-host controller that finds how hard a host can be pressed.
//!
//! Opt-in ([`CrawlConfigBuilder::adaptive_throttle`](crate::CrawlConfigBuilder::adaptive_throttle)).
//! Scrapy's AutoThrottle moves only a delay, towards `latency / target_concurrency`, with a
//! fixed concurrency, and treats a 429 like any other error answer. This controller steers
//! two knobs per host:
//!
//! - **Concurrency** (requests in flight to the host), by AIMD as TCP does: +1 after a
//!   window of answers whose latency stayed near the host's best (`baseline`), −1 for an
//!   answer slower than [`SLOW_FACTOR`] × baseline (the host is queueing our requests),
//!   halved on a back-off signal (429, 503, a timeout, a connect error or reset).
//! - **Delay** between request starts, AutoThrottle's rule: it jumps up to
//!   `latency / target_concurrency` at once and comes down halfway per answer, never
//!   shrinks on an error answer (fast error pages would pull it down), and doubles (to at
//!   least `start_delay`) on a back-off signal.
//!
//! Both stay inside the user's bounds: concurrency in `1..=per_host_concurrency`, delay in
//! `0..=max_delay`; and the controller's delay is one more per-host gate beside the user's
//! rate and robots.txt `Crawl-delay`, so the strictest of them wins: adapting never makes
//! the crawl less polite than configured. A plain struct with explicit inputs, unit-tested
//! here; the supervisor feeds it answers and applies its output.

use std::time::Duration;

/// Latency over this many times the host's baseline means the host is queueing our work.
pub(crate) const SLOW_FACTOR: f64 = 2.0;
/// Weight of a new latency sample in the moving average.
const EWMA_WEIGHT: f64 = 0.3;

/// The throttle's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ThrottleConfig {
    /// Requests the host should be working on at once, on average (AutoThrottle's
    /// `TARGET_CONCURRENCY`). By default, [`DEFAULT_TARGET_CONCURRENCY`].
    pub target_concurrency: f64,
    /// Delay a host starts with, and the least delay after a back-off. By default,
    /// [`DEFAULT_START_DELAY`].
    pub start_delay: Duration,
    /// The longest delay the controller sets. By default, [`DEFAULT_MAX_DELAY`].
    pub max_delay: Duration,
}

/// Default target concurrency per host.
pub const DEFAULT_TARGET_CONCURRENCY: f64 = 2.0;
/// Default start delay (AutoThrottle starts at 5 s; answers move it within a few pages).
pub const DEFAULT_START_DELAY: Duration = Duration::from_millis(250);
/// Default delay ceiling (AutoThrottle's `MAX_DELAY`).
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(60);

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            target_concurrency: DEFAULT_TARGET_CONCURRENCY,
            start_delay: DEFAULT_START_DELAY,
            max_delay: DEFAULT_MAX_DELAY,
        }
    }
}

/// How an attempt ended, as the throttle sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    /// An answer the host produced normally (2xx, 3xx, 404 ...), after `latency`.
    Answer { latency: Duration, error: bool },
    /// The host asked us to slow down or is failing: 429, 503, timeout, connect error.
    BackOff,
}

/// One host's controller state.
#[derive(Debug, Clone)]
pub(crate) struct HostThrottle {
    limit: u32,
    max_limit: u32,
    delay: Duration,
    latency: Option<f64>,
    baseline: Option<f64>,
    /// Good answers since the last change of `limit`.
    streak: u32,
}

impl HostThrottle {
    /// A host's starting state: one request at a time, `start_delay` apart.
    pub(crate) fn new(cfg: &ThrottleConfig, max_limit: u32) -> Self {
        HostThrottle {
            limit: 1,
            max_limit: max_limit.max(1),
            delay: cfg.start_delay.min(cfg.max_delay),
            latency: None,
            baseline: None,
            streak: 0,
        }
    }

    /// Requests allowed in flight to the host now.
    pub(crate) fn limit(&self) -> u32 {
        self.limit
    }

    /// Spacing between request starts now.
    pub(crate) fn delay(&self) -> Duration {
        self.delay
    }

    /// Feeds one attempt's end into the controller.
    pub(crate) fn observe(&mut self, cfg: &ThrottleConfig, signal: Signal) {
        match signal {
            Signal::BackOff => {
                self.limit = (self.limit / 2).max(1);
                self.streak = 0;
                let doubled = self.delay.saturating_mul(2).max(cfg.start_delay);
                self.delay = doubled.min(cfg.max_delay);
            }
            Signal::Answer { latency, error } => {
                let sample = latency.as_secs_f64();
                let avg = match self.latency {
                    Some(l) => l + EWMA_WEIGHT * (sample - l),
                    None => sample,
                };
                self.latency = Some(avg);
                // The best the host has done: the floor latency climbs from under load.
                let base = self.baseline.map_or(sample, |b| b.min(sample));
                self.baseline = Some(base);

                let target = Duration::from_secs_f64(avg / cfg.target_concurrency.max(0.1));
                let next = if target > self.delay {
                    target
                } else {
                    (self.delay + target) / 2
                };
                if !(error && next < self.delay) {
                    self.delay = next.min(cfg.max_delay);
                }

                // The raw sample, not the average: a queueing host shows it in the very
                // next answer, and the step back is a gentle one slot.
                if sample > SLOW_FACTOR * base.max(1e-4) {
                    if self.limit > 1 {
                        self.limit -= 1;
                    }
                    self.streak = 0;
                } else if !error {
                    self.streak += 1;
                    // Additive increase: one more slot per window of `limit` good answers.
                    if self.streak >= self.limit && self.limit < self.max_limit {
                        self.limit += 1;
                        self.streak = 0;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn answer(latency_ms: u64) -> Signal {
        Signal::Answer {
            latency: ms(latency_ms),
            error: false,
        }
    }

    #[test]
    fn a_fast_steady_host_is_opened_up_to_the_user_limit() {
        let cfg = ThrottleConfig::default();
        let mut t = HostThrottle::new(&cfg, 8);
        assert_eq!((t.limit(), t.delay()), (1, DEFAULT_START_DELAY));
        for _ in 0..200 {
            t.observe(&cfg, answer(10));
        }
        assert_eq!(t.limit(), 8, "never above per_host_concurrency");
        // Delay converges to latency / target concurrency = 5 ms.
        assert!(t.delay() <= ms(6) && t.delay() >= ms(4), "{:?}", t.delay());
    }

    #[test]
    fn a_host_slowing_under_load_gets_fewer_requests() {
        let cfg = ThrottleConfig::default();
        let mut t = HostThrottle::new(&cfg, 8);
        for _ in 0..100 {
            t.observe(&cfg, answer(10));
        }
        assert_eq!(t.limit(), 8);
        // The host now takes 5x longer: it is queueing our requests.
        for _ in 0..10 {
            t.observe(&cfg, answer(50));
        }
        assert!(t.limit() < 8, "limit {}", t.limit());
        assert!(t.delay() > ms(15), "delay {:?}", t.delay());
    }

    #[test]
    fn back_off_halves_concurrency_and_doubles_delay_within_bounds() {
        let cfg = ThrottleConfig {
            max_delay: ms(1000),
            ..ThrottleConfig::default()
        };
        let mut t = HostThrottle::new(&cfg, 8);
        for _ in 0..100 {
            t.observe(&cfg, answer(10));
        }
        t.observe(&cfg, Signal::BackOff);
        assert_eq!(t.limit(), 4);
        assert_eq!(
            t.delay(),
            DEFAULT_START_DELAY,
            "at least the start delay after a back-off"
        );
        for _ in 0..10 {
            t.observe(&cfg, Signal::BackOff);
        }
        assert_eq!(t.limit(), 1, "never below one");
        assert_eq!(t.delay(), ms(1000), "never above max_delay");
    }

    #[test]
    fn an_error_answer_never_shortens_the_delay() {
        let cfg = ThrottleConfig::default();
        let mut t = HostThrottle::new(&cfg, 8);
        let before = t.delay();
        t.observe(
            &cfg,
            Signal::Answer {
                latency: ms(1),
                error: true,
            },
        );
        assert_eq!(t.delay(), before);
        assert_eq!(t.limit(), 1, "error answers open no slots");
        // A slow error answer may lengthen it.
        t.observe(
            &cfg,
            Signal::Answer {
                latency: ms(2000),
                error: true,
            },
        );
        assert!(t.delay() > before);
    }
}
