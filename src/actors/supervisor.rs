//! The crawl supervisor: the actor shell around the [`Engine`].
//!
//! Takes: [`Fetched`], [`PagesParsed`], [`FileFetched`], [`ItemsProcessed`],
//! [`PipelinesClosed`], [`OutOfFiles`]. Sends: [`FetchBatch`], [`FetchFile`] and
//! [`RetireHosts`] to fetchers; item batches to the pipeline task.
//!
//! Every decision is the engine's: each handler hands its event to the engine, then
//! carries out what [`Engine::pump`] says (requests to workers, hosts whose connections
//! can go, when to wake up), passes the recorded outcomes to the user's callback and
//! publishes the live counters. What stays here is what needs actix: the workers' actors
//! and their restarts, the timers, the pipeline task's channel, the stop flag, and the
//! channel the report goes back on.
//!
//! Actor restarts are done here, not by actix's `Supervisor` (which does not restart an
//! actor that panicked): a heartbeat checks every worker's addresses and restarts a dead
//! pair on its arbiter; the engine retries what it held.

use crate::actors::fetcher::{FetchSettings, Fetcher, Routes};
use crate::actors::items::{self, Pipelines, ToPipelines};
use crate::actors::messages::*;
use crate::actors::parser::Parser;
use crate::config::CrawlConfig;
use crate::engine::{Dispatch, Engine, Phase, Resume};
use crate::fetch::record::Recorder;
use crate::outcome::Outcome;
use crate::progress::Progress;
use crate::report::{CrawlReport, StopReason};
use crate::spider::Spider;

/// How often a durable crawl's cookie jars are saved with its commits, at most.
const COOKIES_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
use crate::store::{CrawlStore, OutcomeLog, StoreError};
use actix::prelude::*;
use actix_rt::ArbiterHandle;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// How often dead workers and the stop flag are checked.
const HEARTBEAT: Duration = Duration::from_millis(100);

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
    pub(crate) store: Box<dyn CrawlStore>,
    pub(crate) resume: Option<Resume>,
    pub(crate) outcome_log: Option<Box<dyn OutcomeLog>>,
    /// The crawl's archive, whose mark goes with each commit.
    pub(crate) archive: Option<Arc<dyn Recorder>>,
    pub(crate) done: oneshot::Sender<Finished>,
}

/// What the supervisor hands back when the crawl is over.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) report: CrawlReport,
    /// Set when the crawl stopped because the process ran out of file descriptors.
    pub(crate) out_of_files: Option<String>,
    /// Set when the crawl's store failed (the crawl then stopped).
    pub(crate) store_error: Option<StoreError>,
}

struct Worker<S: Spider> {
    fetcher: Addr<Fetcher>,
    parser: Addr<Parser<S>>,
}

/// The crawl supervisor actor.
pub(crate) struct CrawlSupervisor<S: Spider> {
    engine: Engine<S>,
    spider: Arc<S>,
    cfg: Arc<CrawlConfig>,
    fetch: Arc<FetchSettings>,
    arbiters: Vec<ArbiterHandle>,
    workers: Vec<Worker<S>>,
    pipelines: Option<Pipelines<S::Item>>,
    items_tx: Option<mpsc::UnboundedSender<ToPipelines<S::Item>>>,
    /// Whether the crawl has pipelines: a commit then waits for them to catch up.
    has_pipelines: bool,
    on_outcome: Option<OutcomeFn>,
    outcome_log: Option<Box<dyn OutcomeLog>>,
    archive: Option<Arc<dyn Recorder>>,
    wake_at: Option<Instant>,
    /// A pump is scheduled for after the messages already in the mailbox.
    pump_due: bool,
    /// When the cookie jars were last saved for a commit.
    cookies_saved: Instant,
    stop_flag: Arc<AtomicBool>,
    progress: Progress,
    done: Option<oneshot::Sender<Finished>>,
}

impl<S: Spider> CrawlSupervisor<S> {
    pub(crate) fn new(setup: Setup<S>) -> Self {
        let now = Instant::now();
        let workers = setup.arbiters.len();
        CrawlSupervisor {
            engine: Engine::new(
                setup.config.clone(),
                setup.spider.clone(),
                setup.store,
                setup.resume,
                workers,
                now,
            ),
            spider: setup.spider,
            cfg: setup.config,
            fetch: setup.fetch,
            arbiters: setup.arbiters,
            workers: Vec::new(),
            has_pipelines: !setup.pipelines.is_empty(),
            pipelines: Some(setup.pipelines),
            items_tx: None,
            on_outcome: setup.on_outcome,
            outcome_log: setup.outcome_log,
            archive: setup.archive,
            wake_at: None,
            pump_due: false,
            cookies_saved: now,
            stop_flag: setup.stop_flag,
            progress: setup.progress,
            done: Some(setup.done),
        }
    }

    fn spawn_worker(&self, index: usize, ctx: &Context<Self>) -> Worker<S> {
        let arbiter = self.arbiters[index].clone();
        let me = ctx.address();
        let (spider, admission, follow) = (
            self.spider.clone(),
            self.engine.admission(),
            self.cfg.follow,
        );
        let to_sup = me.clone().recipient();
        let parser = Parser::start_in_arbiter(&arbiter, move |_| {
            Parser::new(spider, admission, follow, to_sup)
        });
        let settings = self.fetch.clone();
        let routes = Routes {
            parser: parser.clone().recipient(),
            supervisor: me.clone().recipient(),
            files: me.clone().recipient(),
            out_of_files: me.recipient(),
        };
        let fetcher = Fetcher::start_in_arbiter(&arbiter, move |_| Fetcher::new(settings, routes));
        Worker { fetcher, parser }
    }

    /// Carries out what the engine wants now, hands out the outcomes recorded, and ends
    /// the crawl when it is over.
    fn pump(&mut self, ctx: &mut Context<Self>) {
        let now = Instant::now();
        let dispatch = self.engine.pump(now);
        self.send(dispatch, ctx);
        self.hand_out_outcomes();
        if self.engine.commit_due(now) {
            self.commit();
        }
        self.progress.publish(self.engine.counters());
        match self.engine.phase() {
            Phase::Running => {}
            // Dropping the sender ends the pipeline task, which closes the pipelines and
            // reports back; the report goes out then. A durable crawl's last commit goes
            // before, so its mark is answered first.
            Phase::Closing => {
                if self.items_tx.is_some() {
                    self.hand_out_outcomes();
                    self.commit();
                }
                self.items_tx = None
            }
            Phase::Done => {
                self.hand_out_outcomes();
                self.commit();
                self.finish(ctx)
            }
        }
    }

    /// Commits a durable crawl's changes, with how far the outcome log is written (the
    /// outcomes are handed out first, so every committed outcome has its record).
    fn commit(&mut self) {
        let position = match self.outcome_log.as_mut().map(|log| log.position()) {
            None => None,
            Some(Ok(p)) => Some(p),
            Some(Err(e)) => {
                self.engine.store_failed(StoreError::OutcomeLog(e));
                return;
            }
        };
        if self.engine.is_journaled()
            && let Some(archive) = &self.archive
        {
            // After the outcomes were handed out: every exchange of a committed outcome
            // was recorded before it, so the mark covers them.
            match archive.mark() {
                Ok(mark) => self.engine.note_archive(mark),
                Err(e) => {
                    self.engine.store_failed(StoreError::Archive(e));
                    return;
                }
            }
        }
        self.save_cookies();
        // With pipelines, the commit waits until every item sent before it went through
        // them (the items of a page are sent before its outcome is noted).
        let wait = self.has_pipelines && self.items_tx.is_some();
        if self.engine.commit(position, wait) {
            let sent =
                (self.items_tx.as_ref()).is_some_and(|tx| tx.send(ToPipelines::Mark).is_ok());
            if !sent {
                // The pipeline task is gone: nothing more will go through them.
                self.engine.pipelines_marked(None);
            }
        }
    }

    /// A durable crawl's cookie jars go with the commit when they changed, at most every
    /// [`COOKIES_EVERY`], and with the last commit whatever the time.
    fn save_cookies(&mut self) {
        let Some(jars) = &self.fetch.cookies else {
            return;
        };
        let last = self.engine.phase() != Phase::Running;
        let due = last || self.cookies_saved.elapsed() >= COOKIES_EVERY;
        if self.engine.is_journaled() && due && jars.take_dirty() {
            self.engine.note_cookies(jars.save());
            self.cookies_saved = Instant::now();
        }
    }

    fn send(&mut self, d: Dispatch, ctx: &mut Context<Self>) {
        let mut batches: Vec<Vec<_>> = (0..self.workers.len()).map(|_| Vec::new()).collect();
        for (w, job) in d.pages {
            batches[w].push(job);
        }
        for (w, batch) in batches.into_iter().enumerate() {
            if !batch.is_empty() {
                self.workers[w].fetcher.do_send(FetchBatch(batch));
            }
        }
        for (w, job) in d.files {
            self.workers[w].fetcher.do_send(FetchFile(job));
        }
        if !d.retire.is_empty() {
            for w in &self.workers {
                w.fetcher.do_send(RetireHosts(d.retire.clone()));
            }
        }
        if let Some(t) = d.wake {
            self.wake(t, ctx);
        }
    }

    fn hand_out_outcomes(&mut self) {
        let outcomes = self.engine.take_outcomes();
        if let Some(archive) = &self.archive
            && !outcomes.is_empty()
        {
            archive.release(&mut outcomes.iter().map(|o| &o.url));
        }
        if let Some(f) = &mut self.on_outcome {
            for o in &outcomes {
                f(o);
            }
        }
    }

    /// A pump once the messages that came meanwhile are in: the answers of a burst go to
    /// the engine first, then one dispatch sends the workers their batches (one wake-up
    /// of each worker's thread per burst, not one per answer).
    fn pump_soon(&mut self, ctx: &mut Context<Self>) {
        if self.pump_due {
            return;
        }
        self.pump_due = true;
        ctx.spawn(
            tokio::task::yield_now()
                .into_actor(self)
                .map(|(), act, ctx| {
                    act.pump_due = false;
                    act.pump(ctx);
                }),
        );
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

    fn finish(&mut self, ctx: &mut Context<Self>) {
        self.progress.publish(self.engine.counters());
        let (report, out_of_files) = self.engine.finish(Instant::now());
        self.progress.finish(report.elapsed);
        if let Some(done) = self.done.take() {
            let _ = done.send(Finished {
                report,
                out_of_files,
                store_error: self.engine.take_store_error(),
            });
        }
        ctx.stop();
    }

    fn heartbeat(&mut self, ctx: &mut Context<Self>) {
        if self.stop_flag.load(Ordering::Relaxed) && !self.engine.is_stopping() {
            self.engine.stop(StopReason::Requested);
        }
        let now = Instant::now();
        for w in 0..self.workers.len() {
            let worker = &self.workers[w];
            if !worker.fetcher.connected() || !worker.parser.connected() {
                tracing::warn!(
                    worker = w,
                    "a worker died; restarting it and re-queueing its requests"
                );
                self.workers[w] = self.spawn_worker(w, ctx);
                self.engine.worker_died(w, now);
            }
        }
        if let Some(e) = self.archive.as_ref().and_then(|a| a.failure()) {
            // Pages whose exchanges cannot be kept are not worth fetching.
            self.engine.store_failed(StoreError::Archive(e));
        }
        self.engine.upkeep(now);
        self.pump(ctx);
    }
}

impl<S: Spider> Actor for CrawlSupervisor<S> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.progress.start(self.engine.started());
        self.workers = (0..self.arbiters.len())
            .map(|i| self.spawn_worker(i, ctx))
            .collect();
        let pipes = self.pipelines.take().unwrap_or_default();
        let me = ctx.address();
        let reports = items::Reports {
            processed: me.clone().recipient(),
            marked: me.clone().recipient(),
            closed: me.recipient(),
        };
        let cuts = self.engine.pipeline_cuts();
        self.items_tx = Some(items::spawn(pipes, cuts, reports));
        self.engine.start();
        ctx.run_interval(HEARTBEAT, |act, ctx| act.heartbeat(ctx));
        self.pump(ctx);
    }
}

impl<S: Spider> Handler<Fetched> for CrawlSupervisor<S> {
    type Result = ();

    fn handle(&mut self, msg: Fetched, ctx: &mut Context<Self>) {
        self.engine.fetched(msg.ticket, msg.result, Instant::now());
        self.pump_soon(ctx);
    }
}

impl<S: Spider> Handler<PagesParsed<S::Item>> for CrawlSupervisor<S> {
    type Result = ();

    fn handle(&mut self, msg: PagesParsed<S::Item>, ctx: &mut Context<Self>) {
        for page in msg.0 {
            self.page_parsed(page);
        }
        self.pump_soon(ctx);
    }
}

impl<S: Spider> CrawlSupervisor<S> {
    /// One parsed page to the engine, its items to the pipelines.
    fn page_parsed(&mut self, msg: PageParsed<S::Item>) {
        let mut parsed = msg.parsed;
        parsed.items = msg.items.len();
        if self.engine.parsed(msg.ticket, parsed) {
            let n = msg.items.len() as u64;
            let sent = self
                .items_tx
                .as_ref()
                .is_some_and(|tx| tx.send(ToPipelines::Items(msg.items)).is_ok());
            if !sent {
                // The pipeline task is gone (its close report is on the way): dropped.
                self.engine.items_processed(0, n);
            }
        }
    }
}

impl<S: Spider> Handler<FileFetched> for CrawlSupervisor<S> {
    type Result = ();

    fn handle(&mut self, msg: FileFetched, ctx: &mut Context<Self>) {
        self.engine
            .file_fetched(msg.ticket, msg.answer, Instant::now());
        self.pump(ctx);
    }
}

impl<S: Spider> Handler<ItemsProcessed> for CrawlSupervisor<S> {
    type Result = ();

    fn handle(&mut self, msg: ItemsProcessed, ctx: &mut Context<Self>) {
        self.engine.items_processed(msg.passed, msg.errors);
        self.pump(ctx);
    }
}

impl<S: Spider> Handler<PipelinesMarked> for CrawlSupervisor<S> {
    type Result = ();

    fn handle(&mut self, msg: PipelinesMarked, ctx: &mut Context<Self>) {
        self.engine.pipelines_marked(Some(msg.positions));
        self.pump(ctx);
    }
}

impl<S: Spider> Handler<PipelinesClosed> for CrawlSupervisor<S> {
    type Result = ();

    fn handle(&mut self, msg: PipelinesClosed, ctx: &mut Context<Self>) {
        // Marks the task did not answer (it panicked) are applied as they are.
        self.engine.pipelines_marked(None);
        self.engine.pipelines_closed(msg.errors);
        self.pump(ctx);
    }
}

impl<S: Spider> Handler<OutOfFiles> for CrawlSupervisor<S> {
    type Result = ();

    fn handle(&mut self, msg: OutOfFiles, ctx: &mut Context<Self>) {
        self.engine.out_of_files(msg.0);
        self.pump(ctx);
    }
}
