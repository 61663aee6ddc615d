//! The parser actor: runs the spider on HTML pages, on the same arbiter as its fetcher.
//!
//! Takes: [`Parse`], and [`Fetched`] from its fetcher (attempts with no page to parse).
//! The results of one turn of the worker's thread go to the engine together, once the
//! pages that came in that turn are parsed (a yield to the thread's other tasks first):
//! the parser takes the [`Hub`]'s lock and hands them over itself, and the engine's
//! dispatch goes out from here (see `hub.rs`); it sends [`Attend`] to the supervisor when
//! the dispatch leaves it something to do. When the lock is held elsewhere, or the crawl
//! is shared, the results go to the supervisor as one [`Results`] message instead, so
//! its thread is woken once per burst, not once per page.
//!
//! Placement: each worker arbiter hosts one fetcher and one parser. The page body then
//! never crosses threads, and parsing one page with the streaming extractor takes tens
//! of microseconds for a 20 KB page, short enough not to starve the fetcher's I/O futures
//! on the same thread. Measured against a dedicated parser pool (one more arbiter per
//! worker) on 2 cores, 20,000 testbed pages served by a separate process, 3 runs each:
//! the same CPU per page (0.13-0.15 ms user+sys either way) and RSS (14 MB); the pool
//! finished faster (5.6-6.1k vs 3.8-4.8k pages/s), but those runs shared the machine
//! with other processes (load ~8), where twice the threads get twice the scheduler share,
//! so the wall-time gap is not settled. With equal CPU per page and no spare core for a
//! pool to use, the simpler placement stays; `workers` sets how many pairs run. (A
//! spider that builds a DOM costs ~100+ µs per page; the fetcher's sockets wait that long.)
//!
//! The spider's panics are caught inside [`harvest`](crate::harvest::harvest), so one bad
//! page never takes the parser down.

use crate::actors::hub::{self, Hub};
use crate::actors::messages::{Attend, Fetched, PageParsed, Parse, Results, WorkerResult};
use crate::admit::Admission;
use crate::config::FollowMode;
use crate::engine::types::Parsed;
use crate::harvest::harvest;
use crate::spider::Spider;
use actix::prelude::*;
use std::sync::{Arc, Mutex};

/// A parser: one per worker arbiter.
pub(crate) struct Parser<S: Spider> {
    spider: Arc<S>,
    admission: Arc<Admission>,
    follow: FollowMode,
    supervisor: Recipient<Results<S::Item>>,
    attend: Recipient<Attend>,
    /// The hub, when this worker hands its results to the engine itself.
    hub: Option<Arc<Mutex<Hub<S>>>>,
    /// Results of this turn, not handed over yet.
    turn: Vec<WorkerResult<S::Item>>,
}

impl<S: Spider> Parser<S> {
    pub(crate) fn new(
        spider: Arc<S>,
        admission: Arc<Admission>,
        follow: FollowMode,
        supervisor: Recipient<Results<S::Item>>,
        attend: Recipient<Attend>,
        hub: Option<Arc<Mutex<Hub<S>>>>,
    ) -> Self {
        Parser {
            spider,
            admission,
            follow,
            supervisor,
            attend,
            hub,
            turn: Vec::new(),
        }
    }

    /// Notes one result of this turn; the first schedules the hand-over, after the
    /// thread's other ready work (the results that come meanwhile go too).
    fn note(&mut self, r: WorkerResult<S::Item>, ctx: &mut Context<Self>) {
        if self.turn.is_empty() {
            ctx.spawn(
                tokio::task::yield_now()
                    .into_actor(self)
                    .map(|(), act, _| act.hand_over()),
            );
        }
        self.turn.push(r);
    }

    /// The turn's results to the engine: here if the hub is free, else to the supervisor.
    fn hand_over(&mut self) {
        let results = std::mem::take(&mut self.turn);
        let attend = match self.hub.as_deref().and_then(hub::try_lock) {
            Some(mut hub) => hub.worker_turn(results),
            None => {
                self.supervisor.do_send(Results(results));
                false
            }
        };
        if attend {
            self.attend.do_send(Attend);
        }
    }
}

// An actor must be `Unpin`; a vector of the spider's items is only when the items are, but
// nothing here is ever pinned in place (the vector is moved out whole), so it always is.
impl<S: Spider> Unpin for Parser<S> {}

impl<S: Spider> Actor for Parser<S> {
    type Context = Context<Self>;
}

impl<S: Spider> Handler<Parse> for Parser<S> {
    type Result = ();

    fn handle(&mut self, msg: Parse, ctx: &mut Context<Self>) {
        let h = harvest(
            &*self.spider,
            &self.admission,
            self.follow,
            &msg.request,
            &msg.page,
        );
        let page = WorkerResult::Page(PageParsed {
            ticket: msg.ticket,
            parsed: Parsed {
                meta: msg.meta,
                discovered: h.discovered,
                duplicates: h.duplicates,
                parse_error: h.parse_error,
                links_truncated: h.links_truncated,
                robots: h.robots,
                signals: h.signals,
                items: 0,
            },
            items: h.items,
        });
        self.note(page, ctx);
    }
}

impl<S: Spider> Handler<Fetched> for Parser<S> {
    type Result = ();

    fn handle(&mut self, msg: Fetched, ctx: &mut Context<Self>) {
        self.note(WorkerResult::Fetched(msg), ctx);
    }
}
