//! The crawl's own requests, robots.txt and sitemaps: their queue and their dispatch.
//!
//! Takes: [`FileFetched`]. Sends: [`FetchFile`] to fetchers.
//!
//! A job is ready, waiting for a time (a retry backoff, a rate limit), waiting for its
//! host's robots.txt (a sitemap), or in flight. Ready jobs go out in `pump` ahead of
//! pages, robots.txt first; like pages, each counts against the crawl's concurrency
//! budget, takes one of its host's concurrency slots and passes the host's rate gate
//! (user rate, `Crawl-delay`), and is counted in the report, apart from pages. What an
//! answer changes is in the sibling modules [`robots`](super::robots) and
//! [`sitemaps`](super::sitemaps).

use super::CrawlSupervisor;
use crate::actors::messages::{FetchFile, FileAnswer, FileFetched, FileKind, Ticket};
use crate::error::FetchError;
use crate::frontier::delayed::DelayQueue;
use crate::frontier::{Gate, HostId};
use crate::politeness::robots::{Access, RobotsCache};
use crate::sitemap::SitemapBook;
use crate::spider::Spider;
use actix::prelude::*;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};
use url::Url;

/// One file to fetch for the crawl itself.
#[derive(Debug, Clone)]
pub(super) struct Job {
    /// The host the request goes to (for its slots and rate gate).
    pub(super) host: HostId,
    pub(super) url: Url,
    pub(super) what: What,
    /// Failed attempts so far.
    pub(super) failures: u32,
}

/// Which file a job is.
#[derive(Debug, Clone)]
pub(super) enum What {
    /// The robots.txt of `owner` (`url` may be a redirect target on another host).
    Robots { owner: HostId, hops: u8, first: Url },
    /// A sitemap found at this nesting level.
    Sitemap { level: u8 },
}

/// The state of the crawl's own requests.
#[derive(Debug, Default)]
pub(super) struct SiteFiles {
    pub(super) robots: RobotsCache,
    pub(super) book: SitemapBook,
    pub(super) ready: VecDeque<Job>,
    /// Jobs waiting for a retry backoff or a rate limit.
    later: DelayQueue<Job>,
    /// Sitemaps waiting for their host's robots.txt.
    waiting: HashMap<HostId, Vec<Job>>,
    in_flight: HashMap<Ticket, (usize, Job)>,
}

impl SiteFiles {
    /// Requests in flight (they count against the concurrency budget).
    pub(super) fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Whether nothing is left to do (when stopping, only what is in flight counts).
    pub(super) fn is_idle(&self, stopping: bool) -> bool {
        self.in_flight.is_empty()
            && (stopping
                || (self.ready.is_empty() && self.later.is_empty() && self.waiting.is_empty()))
    }

    /// Drops every job not yet sent (the crawl is stopping).
    pub(super) fn stop(&mut self) {
        self.ready.clear();
        self.later.drain();
        self.waiting.clear();
    }

    /// Holds `job` until `due`.
    pub(super) fn push_later(&mut self, due: Instant, job: Job) {
        self.later.push(due, job);
    }

    /// `host`'s robots.txt is settled (known or given up): the sitemaps that waited for
    /// it are ready again, to be judged by it when dispatched.
    pub(super) fn robots_settled(&mut self, host: HostId) {
        if let Some(jobs) = self.waiting.remove(&host) {
            self.ready.extend(jobs);
        }
    }
}

impl<S: Spider> CrawlSupervisor<S> {
    fn has_budget(&self) -> bool {
        self.inflight.len() + self.items_pending + self.files.in_flight() < self.cfg.concurrency
    }

    /// Sends the site-file jobs that may go now, ahead of pages; lowers `wake` to when
    /// the next waiting one may.
    pub(super) fn dispatch_files(&mut self, now: Instant, wake: &mut Option<Instant>) {
        while let Some(job) = self.files.later.pop_due(now) {
            self.files.ready.push_back(job);
        }
        let mut blocked = VecDeque::new();
        while self.has_budget() {
            let Some(job) = self.files.ready.pop_front() else {
                break;
            };
            if matches!(job.what, What::Sitemap { .. }) && self.cfg.robots {
                let allowed = match self.files.robots.access(job.host) {
                    Access::Known(rules) => Some(rules.allows(&job.url)),
                    Access::Unavailable(_) => Some(false),
                    Access::Pending | Access::Unknown => None,
                };
                match allowed {
                    Some(true) => {}
                    Some(false) => {
                        tracing::debug!(url = %job.url, "sitemap disallowed by robots.txt");
                        continue;
                    }
                    None => {
                        if matches!(self.files.robots.access(job.host), Access::Unknown) {
                            let url = job.url.clone();
                            self.start_robots(job.host, &url);
                        }
                        self.files.waiting.entry(job.host).or_default().push(job);
                        continue;
                    }
                }
            }
            if !self.frontier.try_acquire(job.host) {
                blocked.push_back(job);
                continue;
            }
            let until = match self.rate.gate(job.host) {
                Gate::Open => {
                    self.send_file(job);
                    continue;
                }
                Gate::HostWait(t) => {
                    self.frontier.done(job.host);
                    self.files.push_later(t, job);
                    t
                }
                Gate::GlobalWait(t) => {
                    self.frontier.done(job.host);
                    blocked.push_back(job);
                    *wake = Some(wake.map_or(t, |w| w.min(t)));
                    break;
                }
            };
            *wake = Some(wake.map_or(until, |w| w.min(until)));
        }
        while let Some(job) = blocked.pop_back() {
            self.files.ready.push_front(job);
        }
        if let Some(next) = self.files.later.next_due() {
            *wake = Some(wake.map_or(next, |w| w.min(next)));
        }
    }

    fn send_file(&mut self, job: Job) {
        let kind = match job.what {
            What::Robots { hops, .. } => {
                self.report.robots_fetches += 1;
                FileKind::Robots { hops }
            }
            What::Sitemap { .. } => {
                self.report.sitemap_fetches += 1;
                FileKind::Sitemap
            }
        };
        let w = (0..self.workers.len())
            .min_by_key(|&i| self.workers[i].in_flight)
            .expect("at least one worker");
        self.next_ticket += 1;
        let ticket = self.next_ticket;
        self.workers[w].fetcher.do_send(FetchFile {
            ticket,
            url: job.url.clone(),
            kind,
        });
        self.files.in_flight.insert(ticket, (w, job));
    }

    /// Worker `w` died: its site-file jobs failed and are retried (or given up) like any
    /// failed attempt, so a file that kills its worker cannot loop forever.
    pub(super) fn files_worker_died(&mut self, w: usize) {
        let tickets: Vec<Ticket> = (self.files.in_flight.iter())
            .filter(|(_, (worker, _))| *worker == w)
            .map(|(t, _)| *t)
            .collect();
        for t in tickets {
            if let Some((_, job)) = self.files.in_flight.remove(&t) {
                self.frontier.done(job.host);
                self.file_failed(job, FetchError::WorkerDied, None);
            }
        }
    }

    fn file_failed(&mut self, job: Job, error: FetchError, retry_after: Option<Duration>) {
        match job.what {
            What::Robots { .. } => self.robots_failed(job, error, retry_after),
            What::Sitemap { .. } => self.sitemap_failed(job, error, retry_after),
        }
    }
}

impl<S: Spider> Handler<FileFetched> for CrawlSupervisor<S> {
    type Result = ();

    fn handle(&mut self, msg: FileFetched, ctx: &mut Context<Self>) {
        let Some((_, job)) = self.files.in_flight.remove(&msg.ticket) else {
            return;
        };
        self.frontier.done(job.host);
        match msg.answer {
            FileAnswer::Robots(a) => self.on_robots(job, a),
            FileAnswer::Sitemap(a) => self.on_sitemap(job, a),
        }
        self.pump(ctx);
    }
}
