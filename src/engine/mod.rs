//! The crawl engine: all of a crawl's state and every decision about it, with no actor,
//! thread or clock of its own.
//!
//! It owns the frontier and the delay queue, the rate limits, the leases and outcomes
//! ([`ledger`]), robots.txt and sitemap jobs ([`site_files`]), the adaptive throttle and
//! the per-host budgets. It takes events (the seeds, an attempt's result, a parsed page, a
//! site file's answer, a worker's death, the pipelines' progress, a stop) and says what to
//! do next through [`Engine::pump`]: which requests go to which worker, which hosts are
//! done (their connections can go), when to wake it again. Outcomes are taken with
//! [`Engine::take_outcomes`]. The actor that runs a crawl (`actors::supervisor`) is a thin
//! shell around it; the engine's own tests drive it with plain calls.
//!
//! Every accepted URL ends with exactly one outcome. A URL is accepted by admission (seeds,
//! links, redirect targets and sitemap URLs all take [`harvest::admit_request`]); from then
//! on it is queued, leased, retried or recorded, and [`Ledger`] records each outcome once.

#[cfg(all(test, feature = "durable"))]
mod crash_tests;
mod dispatch;
mod durable;
mod hosts;
pub(crate) mod journal;
mod kept;
pub(crate) mod ledger;
mod results;
#[cfg(all(test, feature = "durable"))]
mod resume_tests;
mod robots;
mod shared;
pub(crate) mod site_files;
mod sitemaps;
mod spill;
#[cfg(test)]
mod tests;
mod throttle;
pub(crate) mod types;

use crate::admit::Admission;
use crate::canon;
use crate::config::CrawlConfig;
use crate::error::FetchError;
use crate::fastmap::FastMap;
use crate::frontier::delayed::DelayQueue;
use crate::frontier::{Frontier, HostId};
use crate::harvest::{self, Discovered, Signals, panic_message};
use crate::outcome::{Outcome, SkipReason};
use crate::politeness::rate::RateLimits;
use crate::politeness::throttle::HostThrottle;
use crate::progress::Publish;
use crate::report::{CrawlReport, StopReason};
use crate::request::Request;
use crate::spider::Spider;
use crate::store::{CrawlStore, QueuedRequest, StoreError};
use crate::traps::HostBudget;
use journal::{Journal, Saved};
use ledger::Ledger;
use site_files::SiteFiles;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often idle hosts' rate-limiter state is pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// Where a crawl is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Work is queued, in flight or waiting.
    Running,
    /// Nothing is left: the pipelines are to be closed (the shell drops their channel).
    Closing,
    /// The pipelines are closed: the report can be taken.
    Done,
}

/// What a durable crawl found in its store: its saved state and the requests not ended.
#[derive(Debug)]
pub(crate) struct Resume {
    pub(crate) saved: Saved,
    pub(crate) queued: Vec<QueuedRequest>,
    /// Pages queued per host (by host fingerprint), against `max_pages_per_host`.
    pub(crate) host_pages: Vec<(u64, u64)>,
    /// Requests in the store's spill, taken back as the frontier runs down.
    pub(crate) spilled: u64,
    /// Sitemap records (see [`kept`]).
    pub(crate) sitemaps: Vec<Vec<u8>>,
    /// Query variants counted per path fingerprint.
    pub(crate) variants: Vec<(u64, u64)>,
    /// The cookie jars as last committed.
    pub(crate) cookies: Option<Vec<u8>>,
}

/// The crawl's state and rules.
pub(crate) struct Engine<S: Spider> {
    cfg: Arc<CrawlConfig>,
    spider: Arc<S>,
    /// Where the crawl's state is kept (the seen-set the admission uses is its own).
    store: Box<dyn CrawlStore>,
    admission: Arc<Admission>,
    frontier: Frontier,
    /// Requests waiting for their retry backoff.
    delayed: DelayQueue<(HostId, Request)>,
    rate: RateLimits,
    files: SiteFiles,
    /// Adaptive throttle state per host (empty when the throttle is off).
    throttles: FastMap<HostId, HostThrottle>,
    /// Hosts that went idle, oldest first: the first to be forgotten when too many hosts
    /// are held.
    idle_hosts: std::collections::VecDeque<HostId>,
    /// Pages queued per host, against `max_pages_per_host`.
    host_budget: HostBudget,
    ledger: Ledger,
    /// What a durable store is to commit next (nothing is noted for the memory store).
    journal: Journal,
    /// What a durable crawl resumes from, until [`start`](Self::start) takes it.
    resume: Option<Resume>,
    /// Why the store failed, if it did (the crawl then stopped).
    store_error: Option<StoreError>,
    /// The pipelines' positions as last committed (see `Pipeline::position`).
    pipeline_positions: Vec<Option<u64>>,
    /// Where the archive ended at the last mark (see `fetch::record`).
    archive_mark: Option<crate::fetch::record::ArchiveMark>,
    /// Commits taken, in order, waiting for the pipelines' positions.
    held_commits: std::collections::VecDeque<durable::PendingCommit>,
    /// The store's spilled requests (see [`spill`]).
    spill: spill::Spill,
    /// Whether many processes share the crawl (see [`shared`]).
    shared: bool,
    /// A shared crawl's rounds of taking from the store.
    rounds: shared::Rounds,
    /// Item batches sent to the pipelines and not yet through (they count against the
    /// concurrency budget, so a slow pipeline slows fetching).
    items_pending: usize,
    pipelines_closed: bool,
    phase: Phase,
    stopping: Option<StopReason>,
    /// What ran out, when the process ran out of file descriptors.
    out_of_files: Option<String>,
    started: Instant,
    last_prune: Instant,
    /// The latest time the engine was pumped or kept up at.
    clock: Instant,
}

impl<S: Spider> std::fmt::Debug for Engine<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("phase", &self.phase)
            .field("queued", &self.frontier.len())
            .field("leased", &self.ledger.leased())
            .finish_non_exhaustive()
    }
}

impl<S: Spider> Engine<S> {
    /// A crawl of `cfg` with `spider` over `workers` workers, its state in `store`,
    /// starting at `now`.
    pub(crate) fn new(
        cfg: Arc<CrawlConfig>,
        spider: Arc<S>,
        store: Box<dyn CrawlStore>,
        resume: Option<Resume>,
        workers: usize,
        now: Instant,
    ) -> Self {
        let canon = canon::CanonOptions {
            sort_query: cfg.sort_query,
        };
        let durable = store.is_durable();
        Engine {
            admission: Arc::new(Admission::new(canon, cfg.scope.clone(), store.seen())),
            journal: Journal::new(durable),
            pipeline_positions: (resume.as_ref())
                .map(|r| r.saved.pipelines.clone())
                .unwrap_or_default(),
            archive_mark: resume.as_ref().and_then(|r| r.saved.archive),
            held_commits: std::collections::VecDeque::new(),
            shared: store.is_shared(),
            rounds: shared::Rounds::default(),
            spill: spill::Spill::new(resume.as_ref().map_or(0, |r| r.spilled)),
            resume,
            store_error: None,
            store,
            frontier: Frontier::new(cfg.per_host_concurrency),
            delayed: DelayQueue::default(),
            rate: RateLimits::new(cfg.per_host_rate, cfg.global_rate),
            files: SiteFiles::default(),
            throttles: FastMap::default(),
            idle_hosts: std::collections::VecDeque::new(),
            host_budget: HostBudget::new(cfg.max_pages_per_host, durable),
            ledger: Ledger::new(workers, cfg.collect_outcomes, cfg.max_pages),
            items_pending: 0,
            pipelines_closed: false,
            phase: Phase::Running,
            stopping: None,
            out_of_files: None,
            started: now,
            last_prune: now,
            clock: now,
            spider,
            cfg,
        }
    }

    /// When the crawl started.
    pub(crate) fn started(&self) -> Instant {
        self.started
    }

    /// The admission the parsers share (canonicalizer, seen-set, scope).
    pub(crate) fn admission(&self) -> Arc<Admission> {
        Arc::clone(&self.admission)
    }

    /// Queues the seeds (through the spider's `start_requests`) and the seed hosts'
    /// sitemaps.
    pub(crate) fn start(&mut self) {
        if let Some(resume) = self.resume.take() {
            return self.resume(resume);
        }
        let seeds = self.cfg.seeds.clone();
        let spider = Arc::clone(&self.spider);
        let requests = match catch_unwind(AssertUnwindSafe(|| spider.start_requests(&seeds))) {
            Ok(r) => r,
            Err(p) => {
                tracing::error!(panic = %panic_message(&*p), "start_requests panicked; using the seeds");
                self.ledger.report.plugin_panics += 1;
                seeds.into_iter().map(Request::new).collect()
            }
        };
        for mut r in requests {
            r.depth = 0;
            r.attempts = 0;
            let url = r.url.clone();
            self.admit(url, 0, move |u| {
                r.url = u;
                r
            });
        }
        self.seed_sitemaps();
    }

    /// Admission and `should_follow` (the one path for seeds, redirect targets and sitemap
    /// URLs; links take it on the parsers), then the result.
    fn admit(&mut self, url: url::Url, depth: u32, build: impl FnOnce(url::Url) -> Request) {
        let mut signals = Signals::default();
        match harvest::admit_request(
            &*self.spider,
            &self.admission,
            url,
            depth,
            build,
            &mut signals,
        ) {
            Some(d) => self.discovered(d),
            None => self.ledger.report.duplicates += 1,
        }
        self.signalled(signals);
    }

    fn signalled(&mut self, signals: Signals) {
        self.ledger.report.plugin_panics += u64::from(signals.panics);
        if signals.stop {
            self.stop(StopReason::Plugin);
        }
    }

    fn discovered(&mut self, d: Discovered) {
        let counted = match &d {
            Discovered::Accept(_) => true,
            // Admitted (and counted) before `should_follow` said no.
            Discovered::Skip(_, reason) => {
                matches!(reason, SkipReason::Spider | SkipReason::Stopped)
            }
        };
        if counted {
            let (Discovered::Accept(r) | Discovered::Skip(r, _)) = &d;
            self.note_variant(&r.url);
        }
        if self.is_shared() {
            return self.offer(d);
        }
        match d {
            Discovered::Accept(r) => self.enqueue_as(r, true),
            Discovered::Skip(r, reason) => self.skip_as(r, reason, false),
        }
    }

    /// Notes for a durable crawl that admission counted `url` as a query variant of its
    /// path, if it did: the counts then hold across restarts.
    fn note_variant(&mut self, url: &url::Url) {
        if self.journal.is_on()
            && let Some(path) = self.admission.variant_key(url)
        {
            self.journal.variant(path);
        }
    }

    /// Queues a request taken back (resumed, judged again after robots.txt came): see
    /// [`enqueue_as`](Self::enqueue_as).
    pub(super) fn enqueue(&mut self, r: Request) {
        self.enqueue_as(r, false);
    }

    /// Queues an accepted request, unless the crawl, its page limit (reached, or sure to be
    /// reached before this request's turn), its host's robots.txt or its host's budget says
    /// otherwise. A `new` request (just found, in no store yet) goes into a durable store's
    /// queue only if it is queued here (or kept for the next run by a stop); one skipped
    /// here is only marked seen there.
    fn enqueue_as(&mut self, r: Request, new: bool) {
        if self.stopping.is_some() {
            if !new {
                return self.leave(r);
            }
            if self.keeps_queue() {
                return self.journal.queued(&r);
            }
            return self.skip_as(r, SkipReason::Stopped, false);
        }
        if r.attempts == 0 && self.ledger.limit_reached() {
            return self.skip_as(r, SkipReason::PageLimit, !new);
        }
        let Some(key) = canon::host_key(&r.url) else {
            return self.skip_as(r, SkipReason::Scheme, !new);
        };
        let host = self.frontier.host_id(&key);
        if let Some(r) = self.robots_gate(host, r, new) {
            // A request taken back took its page of the budget when it was new.
            if new && !self.host_budget.take(&key) {
                return self.skip_as(r, SkipReason::HostPageLimit, !new);
            }
            if r.attempts == 0 && self.doomed(host, r.priority) {
                return self.skip_as(r, SkipReason::PageLimit, !new);
            }
            if new && self.spills(host, r.priority) {
                return self.spill(host, &key, &r);
            }
            if new {
                self.journal.queued(&r);
            }
            self.throttle_host(host);
            self.frontier.push(host, r);
        }
    }

    /// Whether a new request of `priority` for `host` can never be sent under the page
    /// limit: its host has at least as many first attempts queued before it as the limit
    /// has pages left. It is recorded as skipped at once instead of being queued, so a
    /// crawl that finds far more URLs than its page limit does not hold them all.
    fn doomed(&self, host: HostId, priority: i32) -> bool {
        self.ledger
            .pages_left()
            .is_some_and(|left| self.frontier.first_attempts_before(host, priority) as u64 >= left)
    }

    pub(super) fn skip(&mut self, r: Request, reason: SkipReason) {
        self.skip_as(r, reason, true);
    }

    /// Records `r` as skipped; `stored`: it may be in a durable store's queue (false only
    /// for a request just found and never queued).
    pub(super) fn skip_as(&mut self, r: Request, reason: SkipReason, stored: bool) {
        let mut o = Outcome::skipped(r.url, r.depth, r.referrer, reason);
        o.label = r.label;
        o.attempts = r.attempts;
        self.record_as(o, stored);
    }

    /// Records an outcome; a failure also goes to the spider's `on_failure`.
    fn record(&mut self, o: Outcome) {
        self.record_as(o, true);
    }

    /// [`record`](Self::record); `stored` as in [`skip_as`](Self::skip_as).
    pub(super) fn record_as(&mut self, o: Outcome, stored: bool) {
        if o.is_failed() {
            let spider = Arc::clone(&self.spider);
            if let Err(p) = catch_unwind(AssertUnwindSafe(|| spider.on_failure(&o))) {
                tracing::error!(panic = %panic_message(&*p), "on_failure panicked");
                self.ledger.report.plugin_panics += 1;
            }
        }
        self.journal.ended(&o.url, stored);
        self.ledger.record(o);
    }

    /// One batch of items went through the pipelines.
    pub(crate) fn items_processed(&mut self, passed: u64, errors: u64) {
        self.items_pending = self.items_pending.saturating_sub(1);
        self.ledger.report.items += passed;
        self.ledger.report.item_errors += errors;
    }

    /// The pipelines are closed (or their task died).
    pub(crate) fn pipelines_closed(&mut self, errors: u64) {
        self.ledger.report.item_errors += errors;
        self.items_pending = 0;
        self.pipelines_closed = true;
        if self.phase == Phase::Closing {
            self.phase = Phase::Done;
        }
    }

    /// A worker died: what it held is retried (or given up) like any failed attempt, so a
    /// URL that kills its worker cannot loop forever.
    pub(crate) fn worker_died(&mut self, w: usize, now: Instant) {
        self.ledger.report.restarts += 1;
        for lease in self.ledger.reclaim(w) {
            self.frontier.done(lease.host);
            self.retry_or_fail(lease, FetchError::WorkerDied, None, None, now);
        }
        self.files_worker_died(w, now);
    }

    /// The process ran out of file descriptors: the crawl stops.
    pub(crate) fn out_of_files(&mut self, what: String) {
        if self.out_of_files.is_none() {
            tracing::error!("{what}; stopping the crawl");
            self.out_of_files = Some(what);
        }
        self.stop(StopReason::OutOfFiles);
    }

    /// Winds the crawl down: what is queued or waiting is recorded as skipped (`stopped`);
    /// what is in flight finishes.
    pub(crate) fn stop(&mut self, reason: StopReason) {
        if self.stopping.is_some() {
            return;
        }
        tracing::info!(?reason, "stopping the crawl");
        self.stopping = Some(reason);
        // The queued requests are recorded a batch per pump (`drain_stopped`).
        for (_, r) in self.delayed.drain() {
            self.leave(r);
        }
        self.files.stop();
    }

    /// Whether the crawl is winding down.
    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.is_some()
    }

    /// The outcomes recorded since the last call, in order.
    pub(crate) fn take_outcomes(&mut self) -> Vec<Outcome> {
        self.ledger.take_recorded()
    }

    /// Where the crawl is: once nothing is left, [`Phase::Closing`] (close the pipelines),
    /// then [`Phase::Done`].
    pub(crate) fn phase(&mut self) -> Phase {
        // A shared crawl is over when every worker is done; a worker that stops leaves its
        // share to the others.
        if self.phase == Phase::Running
            && self.nothing_left()
            && (self.stopping.is_some() || self.store_finished())
        {
            self.phase = if self.pipelines_closed {
                Phase::Done
            } else {
                Phase::Closing
            };
        }
        self.phase
    }

    /// Whether the store says the whole crawl is over (a shared crawl may still have work
    /// in other processes). A store that cannot say stops the crawl.
    fn store_finished(&mut self) -> bool {
        match self.store.finished() {
            Ok(done) => done,
            Err(e) => {
                self.store_failed(e);
                true
            }
        }
    }

    fn nothing_left(&self) -> bool {
        if self.ledger.leased() > 0
            || self.items_pending > 0
            || !self.files.is_idle(self.stopping.is_some())
        {
            return false;
        }
        // A shared crawl's uncommitted offers may be all the work there is.
        // (Not once the store failed: nothing more is committed then.)
        if self.shared
            && self.store_error.is_none()
            && (!self.journal.is_empty() || !self.held_commits.is_empty())
        {
            return false;
        }
        self.frontier.is_empty()
            && (self.stopping.is_some() || self.delayed.is_empty())
            && (self.spill.total == 0 || self.keeps_queue())
    }

    /// The report of a finished crawl, and what ran out if it ran out of file descriptors.
    pub(crate) fn finish(&mut self, now: Instant) -> (CrawlReport, Option<String>) {
        if self.stopping.is_none() && self.ledger.limit_reached() {
            self.stopping = Some(StopReason::PageLimit);
        }
        let mut report = std::mem::take(&mut self.ledger.report);
        report.elapsed = now.saturating_duration_since(self.started);
        report.urls_seen = self.admission.seen() as u64;
        report.stop_reason = self.stopping.unwrap_or(StopReason::Completed);
        (report, self.out_of_files.take())
    }

    /// The live counters, for [`Progress`](crate::Progress) readers.
    pub(crate) fn counters(&self) -> Publish {
        let r = &self.ledger.report;
        Publish {
            fetched: r.fetched,
            failed: r.failed,
            skipped: r.skipped,
            queued: (self.frontier.len() + self.delayed.len()) as u64 + self.spill.total,
            in_flight: (self.ledger.leased() + self.items_pending) as u64,
            requests: r.requests,
            retries: r.retries,
            bytes: r.bytes,
        }
    }

    /// Periodic upkeep: stops a crawl past its time limit, prunes idle hosts' rate-limiter
    /// state, and has hosts whose robots.txt grew old read it again.
    pub(crate) fn upkeep(&mut self, now: Instant) {
        self.clock = self.clock.max(now);
        if let Some(limit) = self.cfg.max_duration
            && now.saturating_duration_since(self.started) >= limit
        {
            self.stop(StopReason::TimeLimit);
        }
        if now.saturating_duration_since(self.last_prune) >= PRUNE_EVERY {
            self.last_prune = now;
            self.rate.prune();
            self.expire_robots();
        }
    }
}
