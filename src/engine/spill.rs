//! Spill: a durable crawl's frontier held to a bounded number of requests in memory.
//!
//! Past [`RESIDENT`] queued requests, a new request goes to the store's spill instead of the
//! frontier (its commit carries it), and every later one too while any is spilled, so they
//! come back in the order they were found. When the frontier runs down to half of that,
//! the oldest spilled requests are taken back ([`CrawlStore::refill`]) and queued again
//! through the same path as resumed ones (robots.txt judged again; their host's budget
//! was taken when they were new). A spilled request not yet committed cannot be taken back
//! before the next commit (at most [`COMMIT_EVERY`](super::journal::COMMIT_EVERY) away).
//!
//! With the memory store nothing spills: it keeps no commit to carry spilled requests.

use super::Engine;
use crate::request::Request;
use crate::spider::Spider;

/// Queued requests a durable crawl holds in memory before it spills (~55 bytes each).
pub(super) const RESIDENT: usize = 250_000;
/// Requests taken back from the spill per call, at most.
const REFILL: usize = 4096;

impl<S: Spider> Engine<S> {
    /// Whether a new request goes to the spill rather than the frontier.
    pub(super) fn spills(&self) -> bool {
        self.journal.is_on() && (self.spilled > 0 || self.frontier.len() >= self.resident)
    }

    /// Sends a new request (admitted, its budget taken) to the store's spill.
    pub(super) fn spill(&mut self, r: &Request) {
        self.journal.spilled(r);
        self.spilled += 1;
    }

    /// Takes spilled requests back while the frontier is low (or, for a crawl recording
    /// what it left, whenever it is empty), and queues them again.
    pub(super) fn refill(&mut self) {
        if self.spilled == 0 || self.store_error.is_some() {
            return;
        }
        let low = match self.stopping {
            Some(_) if self.keeps_queue() => return,
            Some(_) => self.frontier.is_empty(),
            None => self.frontier.len() < self.resident / 2,
        };
        if !low {
            return;
        }
        // Up to what the frontier has room for.
        let want = (self.resident.saturating_sub(self.frontier.len())).clamp(1, REFILL);
        match self.store.refill(want) {
            Ok(back) => {
                let n = back.len() as u64;
                for q in back {
                    match q.to_request() {
                        Some(r) => self.enqueue(r),
                        None => tracing::warn!(url = %q.url, "a spilled URL is not a URL; dropped"),
                    }
                }
                self.spilled = self.spilled.saturating_sub(n);
                // Fewer than asked and none waiting for a commit: the spill is empty,
                // whatever the count said.
                if n < want as u64 && self.journal.spilled_pending() == 0 {
                    self.spilled = 0;
                }
            }
            Err(e) => self.store_failed(e),
        }
    }
}
