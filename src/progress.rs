//! Live counters of a running crawl, for progress bars and dashboards.
//!
//! The supervisor owns the real numbers (the report); after each step it copies a few of
//! them into relaxed atomics here, so any thread can read a recent snapshot without
//! sending a message or taking a lock. A snapshot is not a consistent cut (two counters
//! may be one step apart), which is fine for display; the final [`CrawlReport`]
//! (crate::CrawlReport) is exact.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// A handle on a crawl's live counters; get it with
/// [`Crawler::progress`](crate::Crawler::progress) before `run`, read it from any thread.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<Counters>);

#[derive(Debug, Default)]
pub(crate) struct Counters {
    started: OnceLock<Instant>,
    finished: OnceLock<Duration>,
    fetched: AtomicU64,
    failed: AtomicU64,
    skipped: AtomicU64,
    queued: AtomicU64,
    in_flight: AtomicU64,
    requests: AtomicU64,
    retries: AtomicU64,
    bytes: AtomicU64,
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProgressSnapshot {
    /// URLs that got an HTTP answer.
    pub fetched: u64,
    /// URLs that failed after all their attempts.
    pub failed: u64,
    /// URLs accepted but not fetched (filters, limits, robots ...).
    pub skipped: u64,
    /// Requests waiting in the frontier or for a retry.
    pub queued: u64,
    /// Requests being fetched, parsed, or whose items are in the pipelines.
    pub in_flight: u64,
    /// HTTP requests sent, retries and redirects included.
    pub requests: u64,
    /// Attempts that were retries.
    pub retries: u64,
    /// Body bytes read.
    pub bytes: u64,
    /// Time since the crawl started (frozen once it ended).
    pub elapsed: Duration,
}

impl ProgressSnapshot {
    /// URLs with a final outcome so far.
    pub fn done(&self) -> u64 {
        self.fetched + self.failed + self.skipped
    }

    /// Fetched pages per second since the start.
    pub fn pages_per_sec(&self) -> f64 {
        crate::report::per_sec(self.fetched, self.elapsed)
    }
}

/// What the supervisor publishes after a step.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Publish {
    pub(crate) fetched: u64,
    pub(crate) failed: u64,
    pub(crate) skipped: u64,
    pub(crate) queued: u64,
    pub(crate) in_flight: u64,
    pub(crate) requests: u64,
    pub(crate) retries: u64,
    pub(crate) bytes: u64,
}

impl Progress {
    /// The counters now. Before the crawl starts, all zero.
    pub fn snapshot(&self) -> ProgressSnapshot {
        let c = &*self.0;
        let elapsed = match (c.finished.get(), c.started.get()) {
            (Some(d), _) => *d,
            (None, Some(t)) => t.elapsed(),
            (None, None) => Duration::ZERO,
        };
        ProgressSnapshot {
            fetched: c.fetched.load(Relaxed),
            failed: c.failed.load(Relaxed),
            skipped: c.skipped.load(Relaxed),
            queued: c.queued.load(Relaxed),
            in_flight: c.in_flight.load(Relaxed),
            requests: c.requests.load(Relaxed),
            retries: c.retries.load(Relaxed),
            bytes: c.bytes.load(Relaxed),
            elapsed,
        }
    }

    /// Whether the crawl has ended.
    pub fn is_finished(&self) -> bool {
        self.0.finished.get().is_some()
    }

    pub(crate) fn start(&self, at: Instant) {
        let _ = self.0.started.set(at);
    }

    pub(crate) fn publish(&self, p: Publish) {
        let c = &*self.0;
        c.fetched.store(p.fetched, Relaxed);
        c.failed.store(p.failed, Relaxed);
        c.skipped.store(p.skipped, Relaxed);
        c.queued.store(p.queued, Relaxed);
        c.in_flight.store(p.in_flight, Relaxed);
        c.requests.store(p.requests, Relaxed);
        c.retries.store(p.retries, Relaxed);
        c.bytes.store(p.bytes, Relaxed);
    }

    pub(crate) fn finish(&self, elapsed: Duration) {
        let _ = self.0.finished.set(elapsed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_reflects_the_last_publish_and_freezes_at_finish() {
        let p = Progress::default();
        assert_eq!(p.snapshot(), ProgressSnapshot::default());
        p.start(Instant::now() - Duration::from_secs(2));
        p.publish(Publish {
            fetched: 10,
            failed: 1,
            skipped: 2,
            queued: 5,
            in_flight: 3,
            requests: 14,
            retries: 1,
            bytes: 1000,
        });
        let s = p.clone().snapshot();
        assert_eq!((s.fetched, s.done(), s.queued, s.in_flight), (10, 13, 5, 3));
        assert!(s.elapsed >= Duration::from_secs(2));
        assert!(s.pages_per_sec() > 0.0 && s.pages_per_sec() <= 5.0);
        assert!(!p.is_finished());
        p.finish(Duration::from_secs(4));
        assert!(p.is_finished());
        assert_eq!(p.snapshot().elapsed, Duration::from_secs(4));
        assert_eq!(p.snapshot().pages_per_sec(), 2.5);
    }
}
