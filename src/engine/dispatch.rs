//! Dispatch: what goes out now, within the concurrency budget, the frontier's order and
//! the rate limits.
//!
//! One budget for everything out at once: page attempts, the crawler's own robots.txt and
//! sitemap requests, and item batches still in the pipelines. Site files go first (a
//! host's robots.txt holds all its pages), then pages, host by host. What cannot go yet
//! sets the wake-up time.

use super::Engine;
use super::types::{FetchJob, FileJob};
use crate::frontier::{Gate, Pop};
use crate::outcome::SkipReason;
use crate::spider::Spider;
use std::time::Instant;

/// Queued requests a stopped crawl records per pump.
pub(super) const DRAIN_BATCH: usize = 4096;

/// What the engine wants done now.
#[derive(Debug, Default)]
pub(crate) struct Dispatch {
    /// Page attempts, each with the worker it is for.
    pub(crate) pages: Vec<(usize, FetchJob)>,
    /// robots.txt and sitemap requests, each with the worker it is for.
    pub(crate) files: Vec<(usize, FileJob)>,
    /// Hosts (`host:port`) with no work left: their idle connections can go.
    pub(crate) retire: Vec<String>,
    /// When to call [`Engine::pump`] again, if nothing else happens first.
    pub(crate) wake: Option<Instant>,
}

impl Dispatch {
    pub(crate) fn wake_by(&mut self, t: Instant) {
        self.wake = Some(self.wake.map_or(t, |w| w.min(t)));
    }
}

impl<S: Spider> Engine<S> {
    /// Whether one more request may go out (the one budget check).
    pub(super) fn has_budget(&self) -> bool {
        self.ledger.leased() + self.items_pending + self.files.in_flight() < self.cfg.concurrency
    }

    /// Dispatches as much as the budget, the frontier and the rate limits allow at `now`.
    pub(crate) fn pump(&mut self, now: Instant) -> Dispatch {
        let mut out = Dispatch::default();
        self.clock = self.clock.max(now);
        if self.shared
            && self.stopping.is_none()
            && let Err(e) = self.store.check()
        {
            self.store_failed(e);
        }
        self.refill();
        if self.stopping.is_none() {
            while let Some((host, r)) = self.delayed.pop_due(now) {
                self.frontier.retry_released(host);
                self.frontier.push(host, r);
            }
            if let Some(t) = self.delayed.next_due() {
                out.wake_by(t);
            }
            self.dispatch_files(now, &mut out);
            self.dispatch_pages(now, &mut out);
        } else if !self.frontier.is_empty() || self.spill.total > 0 {
            self.drain_stopped(now, &mut out);
        }
        let idle = self.frontier.take_idle_hosts();
        out.retire.reserve(idle.len());
        for (id, key) in idle {
            if let Some((_, host_port)) = key.split_once("://") {
                out.retire.push(host_port.to_string());
            }
            self.idle_hosts.push_back(id);
        }
        self.forget_idle_hosts();
        out
    }

    /// Records one batch of what a stopped crawl left queued as skipped (`Stopped`), and
    /// asks to be pumped again at once while more is left: a frontier of millions of URLs
    /// goes out as outcomes a bounded batch at a time.
    fn drain_stopped(&mut self, now: Instant, out: &mut Dispatch) {
        for r in self.frontier.drain_some(DRAIN_BATCH) {
            self.leave(r);
        }
        if !self.frontier.is_empty() || (self.spill.total > 0 && !self.keeps_queue()) {
            out.wake_by(now);
        }
    }

    fn dispatch_pages(&mut self, now: Instant, out: &mut Dispatch) {
        // Past the page limit every queued first attempt is recorded as skipped here, a
        // bounded batch per pump for the same reason as `drain_stopped`.
        let mut skipped = 0;
        while self.has_budget() {
            if skipped == DRAIN_BATCH {
                out.wake_by(now);
                break;
            }
            let rate = &mut self.rate;
            let gate = |h| {
                if rate.is_unlimited() {
                    Gate::Open
                } else {
                    rate.gate(h)
                }
            };
            match self.frontier.pop(now, gate) {
                Pop::Ready(mut r, host) => {
                    self.window_used(host);
                    if r.attempts == 0 {
                        if !self.ledger.admit_first_attempt() {
                            self.frontier.done(host);
                            self.skip(r, SkipReason::PageLimit);
                            skipped += 1;
                            continue;
                        }
                    } else {
                        self.ledger.report.retries += 1;
                    }
                    r.attempts += 1;
                    self.ledger.report.requests += 1;
                    let (worker, ticket, leased) = self.ledger.lease(host, r);
                    let request = leased.clone();
                    out.pages.push((worker, FetchJob { ticket, request }));
                }
                Pop::WaitUntil(t) => {
                    out.wake_by(t);
                    break;
                }
                Pop::Idle => break,
            }
        }
    }

    /// Sends what the site-file jobs want sent: one attempt, leased like a page.
    pub(super) fn send_file(&mut self, job: site_files_job::Job, out: &mut Dispatch) {
        let kind = job.kind();
        match kind {
            super::types::FileKind::Robots { .. } => self.ledger.report.robots_fetches += 1,
            super::types::FileKind::Sitemap => self.ledger.report.sitemap_fetches += 1,
        }
        let (worker, ticket) = self.ledger.mint();
        out.files.push((
            worker,
            FileJob {
                ticket,
                url: job.url.clone(),
                kind,
            },
        ));
        self.files.leased(ticket, worker, job);
    }
}

use super::site_files as site_files_job;
