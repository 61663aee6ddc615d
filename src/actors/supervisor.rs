//! The crawl supervisor: the actor shell around the [`Engine`], which it shares with the
//! workers through the [`Hub`].
//!
//! Takes: [`Results`] (what a worker could not hand the engine itself), [`Attend`],
//! [`FileFetched`], [`ItemsProcessed`], [`PipelinesMarked`], [`PipelinesClosed`],
//! [`OutOfFiles`]. Sends, through the hub: [`FetchBatch`](crate::actors::messages::FetchBatch),
//! [`FetchFile`](crate::actors::messages::FetchFile) and
//! [`RetireHosts`](crate::actors::messages::RetireHosts) to fetchers; item batches to the
//! pipeline task.
//!
//! Every decision is the engine's: each handler hands its event to the engine, then
//! carries out what [`Engine::pump`] says (requests to workers, hosts whose connections
//! can go, when to wake up), passes the recorded outcomes to the user's callback and
//! publishes the live counters. The workers do the same for their own results (see
//! `hub.rs`) and call on the supervisor for the rest. What stays here is what needs
//! actix or one thread: the workers' actors and their restarts, the timers, a durable
//! crawl's commits, the pipeline task, the stop flag, and the
//! channel the report goes back on.
//!
//! Actor restarts are done here, not by actix's `Supervisor` (which does not restart an
//! actor that panicked): a heartbeat checks every worker's addresses and restarts a dead
//! pair on its arbiter; the engine retries what it held.

use crate::actors::fetcher::{FetchSettings, Fetcher, Routes};
use crate::actors::hub::{self, Hub};
use crate::actors::items::{self, Pipelines, ToPipelines};
use crate::actors::messages::*;
use crate::actors::parser::Parser;
use crate::admit::Admission;
use crate::config::CrawlConfig;
use crate::engine::types::FetchResult;
use crate::engine::{Engine, Phase, Resume};
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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

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
    hub: Arc<Mutex<Hub<S>>>,
    /// Whether workers hand their results to the engine themselves (not in a shared
    /// crawl, whose pumps talk to the store).
    inline: bool,
    /// The engine's admission, which each parser shares.
    admission: Arc<Admission>,
    spider: Arc<S>,
    cfg: Arc<CrawlConfig>,
    fetch: Arc<FetchSettings>,
    arbiters: Vec<ArbiterHandle>,
    workers: Vec<Worker<S>>,
    pipelines: Option<Pipelines<S::Item>>,
    /// Whether the crawl has pipelines: a commit then waits for them to catch up.
    has_pipelines: bool,
    outcome_log: Option<Box<dyn OutcomeLog>>,
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
        let engine = Engine::new(
            setup.config.clone(),
            setup.spider.clone(),
            setup.store,
            setup.resume,
            workers,
            now,
        );
        CrawlSupervisor {
            inline: !engine.is_shared(),
            admission: engine.admission(),
            hub: Arc::new(Mutex::new(Hub::new(
                engine,
                setup.progress.clone(),
                setup.on_outcome,
                setup.archive,
            ))),
            spider: setup.spider,
            cfg: setup.config,
            fetch: setup.fetch,
            arbiters: setup.arbiters,
            workers: Vec::new(),
            has_pipelines: !setup.pipelines.is_empty(),
            pipelines: Some(setup.pipelines),
            outcome_log: setup.outcome_log,
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
        let (spider, follow) = (self.spider.clone(), self.cfg.follow);
        let admission = self.admission.clone();
        let (to_sup, attend) = (me.clone().recipient(), me.clone().recipient());
        let shared = self.inline.then(|| self.hub.clone());
        let parser = Parser::start_in_arbiter(&arbiter, move |_| {
            Parser::new(spider, admission, follow, to_sup, attend, shared)
        });
        let settings = self.fetch.clone();
        let routes = Routes {
            parser: parser.clone().recipient(),
            results: parser.clone().recipient(),
            files: me.clone().recipient(),
            out_of_files: me.recipient(),
        };
        let fetcher = Fetcher::start_in_arbiter(&arbiter, move |_| Fetcher::new(settings, routes));
        Worker { fetcher, parser }
    }

    /// Carries out what the engine wants now, hands out the outcomes recorded, and ends
    /// the crawl when it is over.
    fn pump(&mut self, ctx: &mut Context<Self>) {
        let hub = self.hub.clone();
        let mut hub = hub::lock(&hub);
        raise(&mut hub);
        let now = Instant::now();
        if let Some(t) = hub.dispatch(now) {
            self.wake(&mut hub, t, ctx);
        }
        self.hand_out_outcomes(&mut hub);
        if hub.engine.commit_due(now) {
            self.commit(&mut hub);
        }
        match hub.engine.phase() {
            Phase::Running => {}
            // Dropping the sender ends the pipeline task, which closes the pipelines and
            // reports back; the report goes out then. A durable crawl's last commit goes
            // before, so its mark is answered first.
            Phase::Closing => {
                if hub.items_tx.is_some() {
                    self.hand_out_outcomes(&mut hub);
                    self.commit(&mut hub);
                }
                hub.items_tx = None
            }
            Phase::Done => {
                self.hand_out_outcomes(&mut hub);
                self.commit(&mut hub);
                self.finish(&mut hub, ctx)
            }
        }
    }

    /// Commits a durable crawl's changes, with how far the outcome log is written (the
    /// outcomes are handed out first, so every committed outcome has its record).
    fn commit(&mut self, hub: &mut Hub<S>) {
        let position = match self.outcome_log.as_mut().map(|log| log.position()) {
            None => None,
            Some(Ok(p)) => Some(p),
            Some(Err(e)) => {
                hub.engine.store_failed(StoreError::OutcomeLog(e));
                return;
            }
        };
        if hub.engine.is_journaled()
            && let Some(archive) = &hub.archive
        {
            // After the outcomes were handed out: every exchange of a committed outcome
            // was recorded before it, so the mark covers them.
            match archive.mark() {
                Ok(mark) => hub.engine.note_archive(mark),
                Err(e) => {
                    hub.engine.store_failed(StoreError::Archive(e));
                    return;
                }
            }
        }
        self.save_cookies(hub);
        // With pipelines, the commit waits until every item sent before it went through
        // them (the items of a page are sent before its outcome is noted).
        let wait = self.has_pipelines && hub.items_tx.is_some();
        if hub.engine.commit(position, wait) {
            let sent = (hub.items_tx.as_ref()).is_some_and(|tx| tx.send(ToPipelines::Mark).is_ok());
            if !sent {
                // The pipeline task is gone: nothing more will go through them.
                hub.engine.pipelines_marked(None);
            }
        }
    }

    /// A durable crawl's cookie jars go with the commit when they changed, at most every
    /// [`COOKIES_EVERY`], and with the last commit whatever the time.
    fn save_cookies(&mut self, hub: &mut Hub<S>) {
        let Some(jars) = &self.fetch.cookies else {
            return;
        };
        let last = hub.engine.phase() != Phase::Running;
        let due = last || self.cookies_saved.elapsed() >= COOKIES_EVERY;
        if hub.engine.is_journaled() && due && jars.take_dirty() {
            hub.engine.note_cookies(jars.save());
            self.cookies_saved = Instant::now();
        }
    }

    /// Hands out the outcomes recorded; a panic caught in a worker's turn or in the user's
    /// callback (on whichever thread it ran) goes on here, as if it had happened on this
    /// thread: the crawl fails.
    fn hand_out_outcomes(&mut self, hub: &mut Hub<S>) {
        hub.hand_out();
        raise(hub);
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

    /// Sets the timer for a pump at `at`, unless one is set for then or sooner.
    fn wake(&mut self, hub: &mut Hub<S>, at: Instant, ctx: &mut Context<Self>) {
        if hub.wake_at.is_some_and(|w| w <= at) {
            return;
        }
        hub.wake_at = Some(at);
        let after = at.saturating_duration_since(Instant::now());
        ctx.run_later(after, move |act, ctx| {
            {
                let mut hub = hub::lock(&act.hub);
                if hub.wake_at == Some(at) {
                    hub.wake_at = None;
                }
            }
            act.pump(ctx);
        });
    }

    fn finish(&mut self, hub: &mut Hub<S>, ctx: &mut Context<Self>) {
        self.progress.publish(hub.engine.counters());
        let (report, out_of_files) = hub.engine.finish(Instant::now());
        self.progress.finish(report.elapsed);
        if let Some(done) = self.done.take() {
            let _ = done.send(Finished {
                report,
                out_of_files,
                store_error: hub.engine.take_store_error(),
            });
        }
        ctx.stop();
    }

    fn heartbeat(&mut self, ctx: &mut Context<Self>) {
        {
            let hub = self.hub.clone();
            let mut hub = hub::lock(&hub);
            if self.stop_flag.load(Ordering::Relaxed) && !hub.engine.is_stopping() {
                hub.engine.stop(StopReason::Requested);
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
                    hub.fetchers[w] = self.workers[w].fetcher.clone();
                    hub.engine.worker_died(w, now);
                }
            }
            if let Some(e) = hub.archive.as_ref().and_then(|a| a.failure()) {
                // Pages whose exchanges cannot be kept are not worth fetching.
                hub.engine.store_failed(StoreError::Archive(e));
            }
            hub.engine.upkeep(now);
        }
        self.pump(ctx);
    }

    /// Runs `f` on the engine, then pumps.
    fn with_engine(&mut self, ctx: &mut Context<Self>, f: impl FnOnce(&mut Engine<S>)) {
        f(&mut hub::lock(&self.hub).engine);
        self.pump(ctx);
    }
}

/// Goes on with a panic caught in a worker's turn, on this thread.
fn raise<S: Spider>(hub: &mut Hub<S>) {
    if let Some(panic) = hub.panic.take() {
        std::panic::resume_unwind(panic);
    }
}

impl<S: Spider> Actor for CrawlSupervisor<S> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.progress.start(hub::lock(&self.hub).engine.started());
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
        {
            let mut hub = hub::lock(&self.hub);
            hub.fetchers = self.workers.iter().map(|w| w.fetcher.clone()).collect();
            let cuts = hub.engine.pipeline_cuts();
            hub.items_tx = Some(items::spawn(pipes, cuts, reports));
            hub.engine.start();
        }
        ctx.run_interval(HEARTBEAT, |act, ctx| act.heartbeat(ctx));
        self.pump(ctx);
    }
}

impl<S: Spider> Handler<Results<S::Item>> for CrawlSupervisor<S> {
    type Result = ();

    fn handle(&mut self, msg: Results<S::Item>, ctx: &mut Context<Self>) {
        {
            let mut hub = hub::lock(&self.hub);
            let now = Instant::now();
            for r in msg.0 {
                hub.result(r, now);
            }
        }
        self.pump_soon(ctx);
    }
}

impl<S: Spider> Handler<Attend> for CrawlSupervisor<S> {
    type Result = ();

    fn handle(&mut self, _: Attend, ctx: &mut Context<Self>) {
        self.pump_soon(ctx);
    }
}

impl<S: Spider> Handler<FileFetched> for CrawlSupervisor<S> {
    type Result = ();

    fn handle(&mut self, msg: FileFetched, ctx: &mut Context<Self>) {
        self.with_engine(ctx, |e| {
            e.file_fetched(msg.ticket, msg.answer, Instant::now())
        });
    }
}

impl<S: Spider> Handler<ItemsProcessed> for CrawlSupervisor<S> {
    type Result = ();

    fn handle(&mut self, msg: ItemsProcessed, ctx: &mut Context<Self>) {
        self.with_engine(ctx, |e| e.items_processed(msg.passed, msg.errors));
    }
}

impl<S: Spider> Handler<PipelinesMarked> for CrawlSupervisor<S> {
    type Result = ();

    fn handle(&mut self, msg: PipelinesMarked, ctx: &mut Context<Self>) {
        self.with_engine(ctx, |e| e.pipelines_marked(Some(msg.positions)));
    }
}

impl<S: Spider> Handler<PipelinesClosed> for CrawlSupervisor<S> {
    type Result = ();

    fn handle(&mut self, msg: PipelinesClosed, ctx: &mut Context<Self>) {
        self.with_engine(ctx, |e| {
            // Marks the task did not answer (it panicked) are applied as they are.
            e.pipelines_marked(None);
            e.pipelines_closed(msg.errors);
        });
    }
}

impl<S: Spider> Handler<OutOfFiles> for CrawlSupervisor<S> {
    type Result = ();

    fn handle(&mut self, msg: OutOfFiles, ctx: &mut Context<Self>) {
        self.with_engine(ctx, |e| {
            e.out_of_files(msg.what);
            if let Some(ticket) = msg.page {
                e.fetched(ticket, FetchResult::Requeue, Instant::now());
            }
        });
    }
}
