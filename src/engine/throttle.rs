//! The engine's side of the adaptive throttle: feeding it answers, applying its output.
//!
//! Each host gets a [`HostThrottle`] when its first request is queued; every attempt that
//! ends feeds it one [`Signal`], and its concurrency limit and delay are written straight
//! into the frontier (the host's in-flight limit) and the rate limits (the host's spacing,
//! combined with any `Crawl-delay`). The controller itself is
//! [`crate::politeness::throttle`]; nothing here runs when the throttle is off.

use super::Engine;
use super::types::ResponseMeta;
use crate::error::FetchError;
use crate::frontier::HostId;
use crate::politeness::throttle::{HostThrottle, Signal};
use crate::spider::Spider;

/// Statuses that mean "slow down" rather than "this page is broken".
const BACK_OFF_STATUSES: [u16; 2] = [429, 503];

impl<S: Spider> Engine<S> {
    /// Starts the controller of a host the first time one of its requests is queued.
    pub(super) fn throttle_host(&mut self, host: HostId) {
        let Some(cfg) = &self.cfg.throttle else {
            return;
        };
        if self.throttles.contains_key(&host) {
            return;
        }
        let max = u32::try_from(self.cfg.per_host_concurrency).unwrap_or(u32::MAX);
        let t = HostThrottle::new(cfg, max);
        self.frontier.set_limit(host, t.limit());
        self.rate.set_adaptive_delay(host, t.delay());
        self.throttles.insert(host, t);
    }

    /// Feeds how an attempt to `host` ended: its answer, or the error without one.
    pub(super) fn throttle_observe(
        &mut self,
        host: HostId,
        meta: Option<&ResponseMeta>,
        error: Option<&FetchError>,
    ) {
        let Some(cfg) = &self.cfg.throttle else {
            return;
        };
        let Some(t) = self.throttles.get_mut(&host) else {
            return;
        };
        let signal = match (meta, error) {
            (Some(m), _) if BACK_OFF_STATUSES.contains(&m.status) => Signal::BackOff,
            (Some(m), _) => Signal::Answer {
                latency: m.elapsed,
                error: m.status >= 400,
            },
            // No answer: the host is down, overloaded or dropping us.
            (None, Some(e)) if e.is_transient() => Signal::BackOff,
            _ => return,
        };
        t.observe(cfg, signal);
        let (limit, delay) = (t.limit(), t.delay());
        tracing::trace!(host, limit, ?delay, ?signal, "throttle");
        self.frontier.set_limit(host, limit);
        self.rate.set_adaptive_delay(host, delay);
    }
}
