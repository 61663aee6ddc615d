//! The crawl supervisor: owns the crawl's state and decides what happens next.
//!
//! Takes: [`Fetched`], [`PageParsed`], [`ItemsProcessed`], [`PipelinesClosed`].
//! Sends: [`FetchBatch`] to fetchers; item batches to the pipeline task.
//!
//! It owns the frontier, the rate limits, the in-flight table, the retry timers, the
//! report and completion. Work goes out only against the concurrency budget: a request
//! is dispatched while fewer than `concurrency` are in flight (a page being parsed, or
//! whose items are in the pipelines, still counts), so no mailbox between actors grows
//! past that budget. Every accepted URL gets exactly one outcome: results carry a ticket,
//! and a ticket is honoured once; a request whose worker died is re-queued under a new
//! ticket, so a late result of the dead worker is ignored.
//!
//! Actor restarts are done here, not by actix's `Supervisor` (which does not restart an
//! actor that panicked): a heartbeat checks every worker's addresses and restarts a dead
//! pair on its arbiter.
//!
//! robots.txt and sitemaps, the crawler's own requests, are queued and sent in
//! [`site_files`] (which also takes [`FileFetched`]); what their answers change is in
//! [`robots`] and [`sitemaps`].

mod robots;
mod site_files;
mod sitemaps;
mod throttle;

use crate::actors::fetcher::{FetchSettings, Fetcher};
use crate::actors::items::{self, Pipelines};
use crate::actors::messages::*;
use crate::actors::parser::Parser;
use crate::admit::Admission;
use crate::canon;
use crate::config::CrawlConfig;
use crate::error::FetchError;
use crate::frontier::delayed::DelayQueue;
use crate::frontier::{Frontier, Gate, HostId, Pop};
use crate::harvest::{Discovered, Signals, admit_request, panic_message};
use crate::outcome::{Outcome, OutcomeKind, SkipReason};
use crate::politeness::rate::RateLimits;
use crate::politeness::throttle::HostThrottle;
use crate::progress::{Progress, Publish};
use crate::report::{CrawlReport, StopReason};
use crate::request::Request;
use crate::spider::Spider;
use crate::traps::HostBudget;
use actix::prelude::*;
use actix_rt::ArbiterHandle;
use site_files::SiteFiles;
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// How often dead workers and the stop flag are checked.
const HEARTBEAT: Duration = Duration::from_millis(100);
/// How often idle hosts' rate-limiter state is pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

pub(crate) type OutcomeFn = Box<dyn FnMut(&Outcome) + Send>;

/// What the supervisor starts with.
pub(crate) struct Setup<S: Spider> {
    pub(crate) config: Arc<CrawlConfig>,
    pub(crate) spider: Arc<S>,
    pub(crate) fetch: Arc<FetchSettings>,
    pub(crate) arbiters: Vec<ArbiterHandle>,
    pub(crate) pipelines: Pipelines<S::Item>,
    pub(crate) on_outcome: Option<OutcomeFn>,
    pub(crate) stop_flag: Arc<AtomicBool>,
    pub(crate) progress: Progress,
    pub(crate) done: oneshot::Sender<CrawlReport>,
}

struct Worker<S: Spider> {
    fetcher: Addr<Fetcher>,
    parser: Addr<Parser<S>>,
    in_flight: usize,
}

struct InFlight {
    worker: usize,
    host: HostId,
    request: Request,
}

/// The crawl supervisor actor.
pub(crate) struct CrawlSupervisor<S: Spider> {
    cfg: Arc<CrawlConfig>,
    spider: Arc<S>,
    admission: Arc<Admission>,
    fetch: Arc<FetchSettings>,
    frontier: Frontier,
    rate: RateLimits,
    /// robots.txt and sitemap jobs and state.
    files: SiteFiles,
    arbiters: Vec<ArbiterHandle>,
    workers: Vec<Worker<S>>,
    inflight: HashMap<Ticket, InFlight>,
    next_ticket: Ticket,
    delayed: DelayQueue<(HostId, Request)>,
    /// First attempts dispatched, for the page limit.
    dispatched: u64,
    limit_reached: bool,
    /// Pages queued per host, against `max_pages_per_host`.
    host_budget: HostBudget,
    /// Adaptive throttle state per host (empty when the throttle is off).
    throttles: HashMap<HostId, HostThrottle>,
    stopping: Option<StopReason>,
    report: CrawlReport,
    on_outcome: Option<OutcomeFn>,
    pipelines: Option<Pipelines<S::Item>>,
    items_tx: Option<mpsc::UnboundedSender<Vec<S::Item>>>,
    items_pending: usize,
    pipelines_dead: bool,
    wake_at: Option<Instant>,
    started: Instant,
    last_prune: Instant,
    stop_flag: Arc<AtomicBool>,
    progress: Progress,
    done: Option<oneshot::Sender<CrawlReport>>,
    closing: bool,
}

impl<S: Spider> CrawlSupervisor<S> {
    pub(crate) fn new(setup: Setup<S>) -> Self {
        let cfg = setup.config;
        let canon = canon::CanonOptions {
            sort_query: cfg.sort_query,
        };
        let now = Instant::now();
        CrawlSupervisor {
            admission: Arc::new(Admission::new(canon, cfg.scope.clone())),
            frontier: Frontier::new(cfg.per_host_concurrency),
            rate: RateLimits::new(cfg.per_host_rate, cfg.global_rate),
            spider: setup.spider,
            fetch: setup.fetch,
            arbiters: setup.arbiters,
            workers: Vec::new(),
            inflight: HashMap::new(),
            next_ticket: 0,
            delayed: DelayQueue::default(),
            dispatched: 0,
            // A page limit of 0 fetches nothing: the seeds are recorded as skipped.
            limit_reached: cfg.max_pages == Some(0),
            host_budget: HostBudget::new(cfg.max_pages_per_host),
            throttles: HashMap::new(),
            stopping: None,
            report: CrawlReport::default(),
            on_outcome: setup.on_outcome,
            pipelines: Some(setup.pipelines),
            items_tx: None,
            items_pending: 0,
            pipelines_dead: false,
            wake_at: None,
            started: now,
            last_prune: now,
            stop_flag: setup.stop_flag,
            progress: setup.progress,
            done: Some(setup.done),
            closing: false,
            files: SiteFiles::default(),
            cfg,
        }
    }

    fn spawn_worker(&self, index: usize, ctx: &Context<Self>) -> Worker<S> {
        let arbiter = self.arbiters[index].clone();
        let me = ctx.address();
        let (spider, admission, follow) =
            (self.spider.clone(), self.admission.clone(), self.cfg.follow);
        let to_sup = me.clone().recipient();
        let parser = Parser::start_in_arbiter(&arbiter, move |_| {
            Parser::new(spider, admission, follow, to_sup)
        });
        let (settings, to_parser, to_sup, files) = (
            self.fetch.clone(),
            parser.clone().recipient(),
            me.clone().recipient(),
            me.recipient(),
        );
        let fetcher = Fetcher::start_in_arbiter(&arbiter, move |_| {
            Fetcher::new(settings, to_parser, to_sup, files)
        });
        Worker {
            fetcher,
            parser,
            in_flight: 0,
        }
    }

    fn start_pipelines(&mut self, ctx: &Context<Self>) {
        let pipes = self.pipelines.take().unwrap_or_default();
        let me = ctx.address();
        self.items_tx = Some(items::spawn(pipes, me.clone().recipient(), me.recipient()));
    }

    fn seed(&mut self) {
        let seeds = self.cfg.seeds.clone();
        let spider = self.spider.clone();
        let requests = match catch_unwind(AssertUnwindSafe(|| spider.start_requests(&seeds))) {
            Ok(r) => r,
            Err(p) => {
                tracing::error!(panic = %panic_message(&*p), "start_requests panicked; using the seeds");
                self.report.plugin_panics += 1;
                seeds.into_iter().map(Request::new).collect()
            }
        };
        for mut r in requests {
            r.depth = 0;
            r.attempts = 0;
            let url = r.url.clone();
            self.admit_one(url, 0, move |u| {
                r.url = u;
                r
            });
        }
    }

    /// Admission, `should_follow` and queueing, for seeds and redirect targets.
    fn admit_one(&mut self, url: url::Url, depth: u32, build: impl FnOnce(url::Url) -> Request) {
        let mut signals = Signals::default();
        match admit_request(
            &*self.spider,
            &self.admission,
            url,
            depth,
            build,
            &mut signals,
        ) {
            Some(d) => self.discovered(d),
            None => self.report.duplicates += 1,
        }
        self.signalled(signals);
    }

    fn signalled(&mut self, signals: Signals) {
        self.report.plugin_panics += u64::from(signals.panics);
        if signals.stop {
            self.begin_stop(StopReason::Plugin);
        }
    }

    fn discovered(&mut self, d: Discovered) {
        match d {
            Discovered::Accept(r) => self.enqueue(r),
            Discovered::Skip(r, reason) => self.skip(r, reason),
        }
    }

    fn enqueue(&mut self, r: Request) {
        if self.stopping.is_some() {
            return self.skip(r, SkipReason::Stopped);
        }
        if self.limit_reached && r.attempts == 0 {
            return self.skip(r, SkipReason::PageLimit);
        }
        let Some(key) = canon::host_key(&r.url) else {
            return self.skip(r, SkipReason::Scheme);
        };
        let host = self.frontier.host_id(&key);
        if let Some(r) = self.robots_gate(host, r) {
            if !self.host_budget.take(host) {
                return self.skip(r, SkipReason::HostPageLimit);
            }
            self.throttle_host(host);
            self.frontier.push(host, r);
        }
    }

    fn skip(&mut self, r: Request, reason: SkipReason) {
        let mut o = Outcome::skipped(r.url, r.depth, r.referrer, reason);
        o.label = r.label;
        o.attempts = r.attempts;
        self.record(o);
    }

    fn record(&mut self, o: Outcome) {
        self.report.record(&o);
        if o.is_failed() {
            let spider = self.spider.clone();
            if let Err(p) = catch_unwind(AssertUnwindSafe(|| spider.on_failure(&o))) {
                tracing::error!(panic = %panic_message(&*p), "on_failure panicked");
                self.report.plugin_panics += 1;
            }
        }
        if let Some(f) = &mut self.on_outcome {
            f(&o);
        }
        if self.cfg.collect_outcomes {
            self.report.outcomes.push(o);
        }
    }

    fn outcome(r: Request, kind: OutcomeKind, meta: Option<&ResponseMeta>) -> Outcome {
        let mut o = Outcome::skipped(r.url, r.depth, r.referrer, SkipReason::Stopped);
        o.kind = kind;
        o.label = r.label;
        o.attempts = r.attempts;
        if let Some(m) = meta {
            o.status = Some(m.status);
            o.bytes = m.bytes;
            o.elapsed = m.elapsed;
            o.content_type = m.content_type.clone();
            o.truncated = m.truncated;
        }
        o
    }

    /// Closes the books on a ticket; `None` if it is stale.
    fn complete(&mut self, ticket: Ticket) -> Option<InFlight> {
        let f = self.inflight.remove(&ticket)?;
        let w = &mut self.workers[f.worker];
        w.in_flight = w.in_flight.saturating_sub(1);
        self.frontier.done(f.host);
        Some(f)
    }

    fn retry_or_fail(
        &mut self,
        f: InFlight,
        error: FetchError,
        meta: Option<ResponseMeta>,
        retry_after: Option<Duration>,
    ) {
        if self.stopping.is_none() && self.cfg.retry.may_retry(f.request.attempts) {
            let now = Instant::now();
            if let Some(ra) = retry_after {
                // The server asked the whole host to slow down, not only this URL.
                self.frontier.park(f.host, now + ra);
            }
            let wait = self.cfg.retry.backoff(f.request.attempts, retry_after);
            tracing::debug!(url = %f.request.url, %error, ?wait, "retrying");
            self.delayed.push(now + wait, (f.host, f.request));
            return;
        }
        let o = Self::outcome(f.request, OutcomeKind::Failed(error), meta.as_ref());
        self.record(o);
    }

    fn redirect(&mut self, from: &Request, location: &str) -> Result<url::Url, FetchError> {
        let target = from
            .url
            .join(location.trim())
            .ok()
            .filter(|_| !location.trim().is_empty())
            .ok_or_else(|| FetchError::BadRedirect(location.to_string()))?;
        let mut shown = target.clone();
        canon::canonicalize(
            &mut shown,
            canon::CanonOptions {
                sort_query: self.cfg.sort_query,
            },
        );
        let hops = from.redirects.saturating_add(1);
        let over = hops > self.cfg.max_redirects;
        let referrer = Arc::new(from.url.clone());
        let (priority, label) = (from.priority, from.label.clone());
        let mut signals = Signals::default();
        let build = |url| {
            let mut r = Request::new(url);
            r.depth = from.depth;
            r.priority = priority;
            r.label = label;
            r.referrer = Some(referrer);
            r.redirects = hops;
            r
        };
        match admit_request(
            &*self.spider,
            &self.admission,
            target,
            from.depth,
            build,
            &mut signals,
        ) {
            Some(Discovered::Accept(r)) if over => self.skip(r, SkipReason::RedirectLimit),
            Some(d) => self.discovered(d),
            None => self.report.duplicates += 1,
        }
        self.signalled(signals);
        Ok(shown)
    }

    fn begin_stop(&mut self, reason: StopReason) {
        if self.stopping.is_some() {
            return;
        }
        tracing::info!(?reason, "stopping the crawl");
        self.stopping = Some(reason);
        for r in self.frontier.drain() {
            self.skip(r, SkipReason::Stopped);
        }
        for (_, r) in self.delayed.drain() {
            self.skip(r, SkipReason::Stopped);
        }
        self.files.stop();
    }

    /// Dispatches as much as the budget, the frontier and the rate limits allow.
    fn pump(&mut self, ctx: &mut Context<Self>) {
        if self.stopping.is_none() {
            let now = Instant::now();
            while let Some((host, r)) = self.delayed.pop_due(now) {
                self.frontier.push(host, r);
            }
            let mut batches: Vec<Vec<FetchJob>> =
                (0..self.workers.len()).map(|_| Vec::new()).collect();
            let budget = self.cfg.concurrency;
            let mut wake = self.delayed.next_due();
            self.dispatch_files(now, &mut wake);
            while self.inflight.len() + self.items_pending + self.files.in_flight() < budget {
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
                        if r.attempts == 0 {
                            if self.limit_reached {
                                self.frontier.done(host);
                                self.skip(r, SkipReason::PageLimit);
                                continue;
                            }
                            self.dispatched += 1;
                            if self.cfg.max_pages.is_some_and(|m| self.dispatched >= m) {
                                self.limit_reached = true;
                            }
                        } else {
                            self.report.retries += 1;
                        }
                        r.attempts += 1;
                        self.report.requests += 1;
                        let w = (0..self.workers.len())
                            .min_by_key(|&i| self.workers[i].in_flight)
                            .expect("at least one worker");
                        self.workers[w].in_flight += 1;
                        self.next_ticket += 1;
                        let ticket = self.next_ticket;
                        batches[w].push(FetchJob {
                            ticket,
                            request: r.clone(),
                        });
                        self.inflight.insert(
                            ticket,
                            InFlight {
                                worker: w,
                                host,
                                request: r,
                            },
                        );
                    }
                    Pop::WaitUntil(t) => {
                        wake = Some(wake.map_or(t, |w| w.min(t)));
                        break;
                    }
                    Pop::Idle => break,
                }
            }
            for (w, batch) in batches.into_iter().enumerate() {
                if !batch.is_empty() {
                    self.workers[w].fetcher.do_send(FetchBatch(batch));
                }
            }
            if let Some(t) = wake {
                self.wake(t, ctx);
            }
        }
        self.publish();
        self.maybe_finish(ctx);
    }

    /// Copies the live counters out for [`Progress`] readers.
    fn publish(&self) {
        let r = &self.report;
        self.progress.publish(Publish {
            fetched: r.fetched,
            failed: r.failed,
            skipped: r.skipped,
            queued: (self.frontier.len() + self.delayed.len()) as u64,
            in_flight: (self.inflight.len() + self.items_pending) as u64,
            requests: r.requests,
            retries: r.retries,
            bytes: r.bytes,
        });
    }

    fn wake(&mut self, at: Instant, ctx: &mut Context<Self>) {
        if self.wake_at.is_some_and(|w| w <= at) {
            return;
        }
        self.wake_at = Some(at);
        let after = at.saturating_duration_since(Instant::now());
        ctx.run_later(after, move |act, ctx| {
            if act.wake_at == Some(at) {
                act.wake_at = None;
            }
            act.pump(ctx);
        });
    }

    fn maybe_finish(&mut self, ctx: &mut Context<Self>) {
        if self.closing
            || !self.inflight.is_empty()
            || self.items_pending > 0
            || !self.files.is_idle(self.stopping.is_some())
        {
            return;
        }
        if self.stopping.is_none() && !(self.frontier.is_empty() && self.delayed.is_empty()) {
            return;
        }
        self.closing = true;
        if self.stopping.is_none() && self.limit_reached {
            self.stopping = Some(StopReason::PageLimit);
        }
        // Dropping the sender ends the pipeline task, which closes the pipelines and
        // reports back; the report goes out then.
        self.items_tx = None;
        if self.pipelines_dead {
            self.finish(ctx);
        }
    }

    fn finish(&mut self, ctx: &mut Context<Self>) {
        self.report.elapsed = self.started.elapsed();
        self.report.urls_seen = self.admission.seen() as u64;
        self.publish();
        self.progress.finish(self.report.elapsed);
        self.report.stop_reason = self.stopping.unwrap_or(StopReason::Completed);
        if let Some(done) = self.done.take() {
            let _ = done.send(std::mem::take(&mut self.report));
        }
        ctx.stop();
    }

    fn heartbeat(&mut self, ctx: &mut Context<Self>) {
        if self.stop_flag.load(Ordering::Relaxed) && self.stopping.is_none() {
            self.begin_stop(StopReason::Requested);
        }
        for w in 0..self.workers.len() {
            let worker = &self.workers[w];
            if !worker.fetcher.connected() || !worker.parser.connected() {
                self.restart_worker(w, ctx);
            }
        }
        if self.last_prune.elapsed() >= PRUNE_EVERY {
            self.last_prune = Instant::now();
            self.rate.prune();
        }
        self.pump(ctx);
    }

    fn restart_worker(&mut self, w: usize, ctx: &mut Context<Self>) {
        tracing::warn!(
            worker = w,
            "a worker died; restarting it and re-queueing its requests"
        );
        self.report.restarts += 1;
        self.workers[w] = self.spawn_worker(w, ctx);
        let tickets: Vec<Ticket> = self
            .inflight
            .iter()
            .filter(|(_, f)| f.worker == w)
            .map(|(t, _)| *t)
            .collect();
        for t in tickets {
            if let Some(f) = self.complete(t) {
                self.retry_or_fail(f, FetchError::WorkerDied, None, None);
            }
        }
        self.files_worker_died(w);
    }
}

impl<S: Spider> Actor for CrawlSupervisor<S> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.progress.start(self.started);
        self.workers = (0..self.arbiters.len())
            .map(|i| self.spawn_worker(i, ctx))
            .collect();
        self.start_pipelines(ctx);
        self.seed();
        self.seed_sitemaps();
        ctx.run_interval(HEARTBEAT, |act, ctx| act.heartbeat(ctx));
        self.pump(ctx);
    }
}

impl<S: Spider> Handler<Fetched> for CrawlSupervisor<S> {
    type Result = ();

    fn handle(&mut self, msg: Fetched, ctx: &mut Context<Self>) {
        let Some(f) = self.complete(msg.ticket) else {
            return;
        };
        match &msg.result {
            FetchResult::Answer(meta) => self.throttle_observe(f.host, Some(meta), None),
            FetchResult::Transient { error, meta, .. } | FetchResult::Failed { error, meta } => {
                self.throttle_observe(f.host, meta.as_ref(), Some(error))
            }
            FetchResult::Skipped { .. } => {}
        }
        match msg.result {
            FetchResult::Answer(meta) => {
                self.report.bytes += meta.bytes;
                let redirected = match &meta.location {
                    Some(loc) => Some(self.redirect(&f.request, loc)),
                    None => None,
                };
                let (kind, target) = match redirected {
                    Some(Err(e)) => (OutcomeKind::Failed(e), None),
                    Some(Ok(t)) => (OutcomeKind::Fetched, Some(t)),
                    None => (OutcomeKind::Fetched, None),
                };
                let mut o = Self::outcome(f.request, kind, Some(&meta));
                o.redirected_to = target;
                self.record(o);
            }
            FetchResult::Transient {
                error,
                meta,
                retry_after,
            } => {
                if let Some(m) = &meta {
                    self.report.bytes += m.bytes;
                }
                self.retry_or_fail(f, error, meta, retry_after);
            }
            FetchResult::Failed { error, meta } => {
                let o = Self::outcome(f.request, OutcomeKind::Failed(error), meta.as_ref());
                self.record(o);
            }
            FetchResult::Skipped { reason, stop } => {
                self.skip(f.request, reason);
                if stop {
                    self.begin_stop(StopReason::Plugin);
                }
            }
        }
        self.pump(ctx);
    }
}

impl<S: Spider> Handler<PageParsed<S::Item>> for CrawlSupervisor<S> {
    type Result = ();

    fn handle(&mut self, msg: PageParsed<S::Item>, ctx: &mut Context<Self>) {
        let Some(f) = self.complete(msg.ticket) else {
            return;
        };
        self.throttle_observe(f.host, Some(&msg.meta), None);
        self.report.bytes += msg.meta.bytes;
        self.report.duplicates += u64::from(msg.duplicates);
        let mut o = Self::outcome(f.request, OutcomeKind::Fetched, Some(&msg.meta));
        o.parse_error = msg.parse_error;
        (o.noindex, o.nofollow) = (msg.robots.noindex, msg.robots.nofollow);
        self.record(o);
        for d in msg.discovered {
            self.discovered(d);
        }
        if !msg.items.is_empty() {
            match &self.items_tx {
                Some(tx) if !self.pipelines_dead => {
                    if tx.send(msg.items).is_ok() {
                        self.items_pending += 1;
                    }
                }
                _ => self.report.item_errors += msg.items.len() as u64,
            }
        }
        self.signalled(msg.signals);
        self.pump(ctx);
    }
}

impl<S: Spider> Handler<ItemsProcessed> for CrawlSupervisor<S> {
    type Result = ();

    fn handle(&mut self, msg: ItemsProcessed, ctx: &mut Context<Self>) {
        self.items_pending = self.items_pending.saturating_sub(1);
        self.report.items += msg.passed;
        self.report.item_errors += msg.errors;
        self.pump(ctx);
    }
}

impl<S: Spider> Handler<PipelinesClosed> for CrawlSupervisor<S> {
    type Result = ();

    fn handle(&mut self, msg: PipelinesClosed, ctx: &mut Context<Self>) {
        self.report.item_errors += msg.errors;
        self.items_pending = 0;
        self.pipelines_dead = true;
        if self.closing {
            self.finish(ctx);
        } else {
            self.pump(ctx);
        }
    }
}
