//! The hub: the [`Engine`] and what carries out its dispatch, shared by the crawl's
//! threads behind one lock.
//!
//! Whichever thread has news takes the lock and does the engine's work there: a worker,
//! at the end of a turn of its thread, hands the engine the results of that turn and
//! sends out what the engine dispatches next (to its own fetcher and the others'); the
//! supervisor does the same for what reaches it (robots.txt and sitemaps, pipeline
//! reports, timers, restarts). A finished request is then replaced without a round trip
//! through the supervisor's thread. Measured on 100k-page crawls of the testbed (crawl
//! benchmark, both sides pinned, 20 interleaved pairs): 3 % less CPU and 5 % less wall
//! time (medians of the per-pair ratios), ~17.5k context switches against ~24-26k,
//! peak RSS 22.9 against 21.4 MiB.
//!
//! Outcomes are handed out (to the archive and the user's callback) by the thread that
//! recorded them, under the lock, so each goes out once, in order, and before any commit
//! that counts it; memory allocated for an outcome is also freed on the thread that
//! allocated it (handing them to the supervisor's thread to free raised the peak RSS of a
//! 100k-page crawl from 21.3 to 32.0 MiB with mimalloc, medians of 20 runs each). A panic
//! in a worker's turn (the callback's, or a bug) is caught there and raised again on the
//! supervisor's thread, so the crawl fails as it always did
//! ([`Error::SupervisorDied`](crate::Error::SupervisorDied)), and no thread works the
//! engine after it.
//!
//! What stays with the supervisor is what must happen on one thread or may take long: a
//! durable crawl's commits, timers, worker restarts and the end of the crawl. A worker
//! never waits for the lock: when the supervisor holds it (a commit can take a disk
//! flush), the worker sends its results to the supervisor instead, as it does in a
//! shared crawl, whose every pump talks to the store over the network.

use crate::actors::fetcher::Fetcher;
use crate::actors::items::ToPipelines;
use crate::actors::messages::{
    FetchBatch, FetchFile, Fetched, PageParsed, RetireHosts, WorkerResult,
};
use crate::actors::supervisor::OutcomeFn;
use crate::engine::{Engine, Phase};
use crate::fetch::record::Recorder;
use crate::progress::Progress;
use crate::spider::Spider;
use actix::Addr;
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::sync::mpsc;

/// The shared part of a crawl's shell.
pub(crate) struct Hub<S: Spider> {
    pub(crate) engine: Engine<S>,
    /// Each worker's fetcher, by worker number (set once the workers are started).
    pub(crate) fetchers: Vec<Addr<Fetcher>>,
    /// The pipeline task's channel; `None` once the pipelines are to close.
    pub(crate) items_tx: Option<mpsc::UnboundedSender<ToPipelines<S::Item>>>,
    progress: Progress,
    /// When the supervisor's timer pumps next, if it is set.
    pub(crate) wake_at: Option<Instant>,
    on_outcome: Option<OutcomeFn>,
    /// The crawl's archive: outcomes release their exchanges to it here, the supervisor
    /// takes its mark with each commit.
    pub(crate) archive: Option<Arc<dyn Recorder>>,
    /// A panic caught while a worker worked the engine (the user's outcome callback, or a
    /// bug), for the supervisor to go on with.
    pub(crate) panic: Option<Box<dyn Any + Send>>,
    /// Set with the first such panic, and never cleared: nothing more is done here (the
    /// engine may be half-way through a change; the crawl fails).
    broken: bool,
}

/// The supervisor's lock on a hub. Only the supervisor can leave it poisoned (a worker's
/// turn catches its panics), and a supervisor that panicked is gone, so a poisoned lock
/// is taken as it is.
pub(crate) fn lock<S: Spider>(hub: &Mutex<Hub<S>>) -> MutexGuard<'_, Hub<S>> {
    hub.lock().unwrap_or_else(|p| p.into_inner())
}

/// A worker's lock on a hub, if nobody holds it now and the supervisor did not panic
/// while holding it (the crawl is then failing: the worker leaves the engine alone).
pub(crate) fn try_lock<S: Spider>(hub: &Mutex<Hub<S>>) -> Option<MutexGuard<'_, Hub<S>>> {
    hub.try_lock().ok()
}

impl<S: Spider> Hub<S> {
    pub(crate) fn new(
        engine: Engine<S>,
        progress: Progress,
        on_outcome: Option<OutcomeFn>,
        archive: Option<Arc<dyn Recorder>>,
    ) -> Self {
        Hub {
            engine,
            fetchers: Vec::new(),
            items_tx: None,
            progress,
            wake_at: None,
            on_outcome,
            archive,
            panic: None,
            broken: false,
        }
    }

    /// Keeps the first panic caught here for the supervisor; nothing more is done here.
    fn fail(&mut self, panic: Box<dyn Any + Send>) {
        if !self.broken {
            self.broken = true;
            self.panic = Some(panic);
        }
    }

    /// Hands the outcomes recorded to the archive (their exchanges can be written) and to
    /// the user's callback, in order, where they were recorded: the lock makes each go
    /// out once, and before any commit that counts it.
    pub(crate) fn hand_out(&mut self) {
        if self.broken {
            return;
        }
        let outcomes = self.engine.take_outcomes();
        if outcomes.is_empty() {
            return;
        }
        if let Some(archive) = &self.archive {
            archive.release(&mut outcomes.iter().map(|o| &o.url));
        }
        if let Some(f) = &mut self.on_outcome {
            let each = AssertUnwindSafe(|| outcomes.iter().for_each(&mut *f));
            if let Err(panic) = catch_unwind(each) {
                self.fail(panic);
            }
        }
    }

    /// One result to the engine: a parsed page's items go to the pipelines.
    pub(crate) fn result(&mut self, r: WorkerResult<S::Item>, now: Instant) {
        match r {
            WorkerResult::Fetched(Fetched { ticket, result }) => {
                self.engine.fetched(ticket, result, now)
            }
            WorkerResult::Page(page) => self.page_parsed(page),
        }
    }

    fn page_parsed(&mut self, msg: PageParsed<S::Item>) {
        let mut parsed = msg.parsed;
        parsed.items = msg.items.len();
        if self.engine.parsed(msg.ticket, parsed) {
            let n = msg.items.len() as u64;
            let sent = (self.items_tx.as_ref())
                .is_some_and(|tx| tx.send(ToPipelines::Items(msg.items)).is_ok());
            if !sent {
                // The pipeline task is gone (its close report is on the way): dropped.
                self.engine.items_processed(0, n);
            }
        }
    }

    /// Sends out what the engine dispatches at `now` and publishes the counters; returns
    /// when the engine wants to be pumped again.
    pub(crate) fn dispatch(&mut self, now: Instant) -> Option<Instant> {
        let d = self.engine.pump(now);
        let mut batches: Vec<Vec<_>> = (0..self.fetchers.len()).map(|_| Vec::new()).collect();
        for (w, job) in d.pages {
            batches[w].push(job);
        }
        for (w, batch) in batches.into_iter().enumerate() {
            if !batch.is_empty() {
                self.fetchers[w].do_send(FetchBatch(batch));
            }
        }
        for (w, job) in d.files {
            self.fetchers[w].do_send(FetchFile(job));
        }
        if !d.retire.is_empty() {
            for f in &self.fetchers {
                f.do_send(RetireHosts(d.retire.clone()));
            }
        }
        self.progress.publish(self.engine.counters());
        d.wake
    }

    /// A worker's turn: its results to the engine, then a dispatch and the outcomes.
    /// `true` if the supervisor has to follow up ([`Attend`](crate::actors::messages::Attend)).
    /// A panic is caught and kept for the supervisor, which fails the crawl with it, as it
    /// would have had the engine's work panicked on its own thread.
    pub(crate) fn worker_turn(&mut self, results: Vec<WorkerResult<S::Item>>) -> bool {
        if self.broken {
            return false;
        }
        match catch_unwind(AssertUnwindSafe(|| self.turn(results))) {
            Ok(attend) => attend,
            Err(panic) => {
                self.fail(panic);
                true
            }
        }
    }

    fn turn(&mut self, results: Vec<WorkerResult<S::Item>>) -> bool {
        let now = Instant::now();
        for r in results {
            self.result(r, now);
        }
        let wake = self.dispatch(now);
        self.hand_out();
        let sooner = wake.is_some_and(|t| self.wake_at.is_none_or(|w| t < w));
        sooner
            || self.panic.is_some()
            || self.engine.commit_due(now)
            || self.engine.phase() != Phase::Running
    }
}
