//! The crawl's own requests, robots.txt and sitemaps: their jobs, their queue and their
//! dispatch.
//!
//! A job is ready, waiting for a time (a retry backoff, a rate limit), waiting for its
//! host's robots.txt (a sitemap), or in flight. Ready jobs go out ahead of pages,
//! robots.txt first; like pages, each counts against the crawl's concurrency budget, takes
//! one of its host's concurrency slots and passes the host's rate gate (user rate,
//! `Crawl-delay`), and is counted in the report, apart from pages. What an answer changes
//! is in the sibling modules `robots` and `sitemaps`.

use super::Engine;
use super::dispatch::Dispatch;
use super::types::{FileAnswer, FileKind, Ticket};
use crate::error::FetchError;
use crate::frontier::delayed::DelayQueue;
use crate::frontier::{Gate, HostId};
use crate::politeness::robots::{Access, RobotsCache};
use crate::sitemap::SitemapBook;
use crate::spider::Spider;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};
use url::Url;

/// One file to fetch for the crawl itself.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    /// The host the request goes to (for its slots and rate gate).
    pub(crate) host: HostId,
    pub(crate) url: Url,
    pub(crate) what: What,
    /// Failed attempts so far.
    pub(crate) failures: u32,
}

impl Job {
    pub(crate) fn kind(&self) -> FileKind {
        match self.what {
            What::Robots { hops, .. } => FileKind::Robots { hops },
            What::Sitemap { .. } => FileKind::Sitemap,
        }
    }
}

/// Which file a job is.
#[derive(Debug, Clone)]
pub(crate) enum What {
    /// The robots.txt of `owner` (`url` may be a redirect target on another host).
    Robots { owner: HostId, hops: u8, first: Url },
    /// A sitemap found at this nesting level.
    Sitemap { level: u8 },
}

/// The state of the crawl's own requests.
#[derive(Debug, Default)]
pub(crate) struct SiteFiles {
    pub(crate) robots: RobotsCache,
    pub(crate) book: SitemapBook,
    pub(crate) ready: VecDeque<Job>,
    /// Jobs waiting for a retry backoff or a rate limit.
    later: DelayQueue<Job>,
    /// Sitemaps waiting for their host's robots.txt.
    waiting: HashMap<HostId, Vec<Job>>,
    in_flight: HashMap<Ticket, (usize, Job)>,
}

impl SiteFiles {
    /// Requests in flight (they count against the concurrency budget).
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Whether nothing is left to do (when stopping, only what is in flight counts).
    pub(crate) fn is_idle(&self, stopping: bool) -> bool {
        self.in_flight.is_empty()
            && (stopping
                || (self.ready.is_empty() && self.later.is_empty() && self.waiting.is_empty()))
    }

    /// Drops every job not yet sent (the crawl is stopping).
    pub(crate) fn stop(&mut self) {
        self.ready.clear();
        self.later.drain();
        self.waiting.clear();
    }

    /// Holds `job` until `due`.
    pub(crate) fn push_later(&mut self, due: Instant, job: Job) {
        self.later.push(due, job);
    }

    /// `job` went out under `ticket` on worker `w`.
    pub(crate) fn leased(&mut self, ticket: Ticket, w: usize, job: Job) {
        self.in_flight.insert(ticket, (w, job));
    }

    /// Hosts that have a job queued, waiting or in flight (a robots.txt job also holds the
    /// host it is for).
    pub(crate) fn hosts_with_jobs(&self) -> std::collections::HashSet<HostId> {
        let in_flight = self.in_flight.values().map(|(_, j)| j);
        let jobs = self.ready.iter().chain(self.later.iter()).chain(in_flight);
        let mut hosts: std::collections::HashSet<HostId> = self.waiting.keys().copied().collect();
        for j in jobs {
            hosts.insert(j.host);
            if let What::Robots { owner, .. } = j.what {
                hosts.insert(owner);
            }
        }
        hosts
    }

    /// `host`'s robots.txt is settled (known or given up): the sitemaps that waited for
    /// it are ready again, to be judged by it when dispatched.
    pub(crate) fn robots_settled(&mut self, host: HostId) {
        if let Some(jobs) = self.waiting.remove(&host) {
            self.ready.extend(jobs);
        }
    }
}

impl<S: Spider> Engine<S> {
    /// Sends the site-file jobs that may go now, ahead of pages.
    pub(super) fn dispatch_files(&mut self, now: Instant, out: &mut Dispatch) {
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
            match self.rate.gate(job.host) {
                Gate::Open => self.send_file(job, out),
                Gate::HostWait(t) => {
                    self.frontier.done(job.host);
                    self.files.push_later(t, job);
                    out.wake_by(t);
                }
                Gate::GlobalWait(t) => {
                    self.frontier.done(job.host);
                    blocked.push_back(job);
                    out.wake_by(t);
                    break;
                }
            }
        }
        while let Some(job) = blocked.pop_back() {
            self.files.ready.push_front(job);
        }
        if let Some(next) = self.files.later.next_due() {
            out.wake_by(next);
        }
    }

    /// A robots.txt or sitemap attempt ended.
    pub(crate) fn file_fetched(&mut self, ticket: Ticket, answer: FileAnswer, now: Instant) {
        let Some((w, job)) = self.files.in_flight.remove(&ticket) else {
            return;
        };
        self.ledger.release_worker(w);
        self.frontier.done(job.host);
        match answer {
            FileAnswer::Robots(a) => self.on_robots(job, a, now),
            FileAnswer::Sitemap(a) => self.on_sitemap(job, a, now),
        }
    }

    /// Worker `w` died: its site-file jobs failed and are retried (or given up) like any
    /// failed attempt, so a file that kills its worker cannot loop forever.
    pub(super) fn files_worker_died(&mut self, w: usize, now: Instant) {
        let tickets: Vec<Ticket> = (self.files.in_flight.iter())
            .filter(|(_, (worker, _))| *worker == w)
            .map(|(t, _)| *t)
            .collect();
        for t in tickets {
            if let Some((_, job)) = self.files.in_flight.remove(&t) {
                self.ledger.release_worker(w);
                self.frontier.done(job.host);
                self.file_failed(job, FetchError::WorkerDied, None, now);
            }
        }
    }

    pub(super) fn file_failed(
        &mut self,
        job: Job,
        error: FetchError,
        retry_after: Option<Duration>,
        now: Instant,
    ) {
        match job.what {
            What::Robots { .. } => self.robots_failed(job, error, retry_after, now),
            What::Sitemap { .. } => self.sitemap_failed(job, error, retry_after, now),
        }
    }
}
