//! The parser actor: runs the spider on HTML pages, on the same arbiter as its fetcher.
//!
//! Takes: [`Parse`]. Sends: [`PagesParsed`] to the supervisor: the pages parsed in one
//! turn of the worker's thread go together, once the pages that came in that turn are
//! parsed (a yield to the thread's other tasks first), so the supervisor's thread is woken
//! once per burst, not once per page.
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

use crate::actors::messages::{PageParsed, PagesParsed, Parse};
use crate::admit::Admission;
use crate::config::FollowMode;
use crate::engine::types::Parsed;
use crate::harvest::harvest;
use crate::spider::Spider;
use actix::prelude::*;
use std::sync::Arc;

/// A parser: one per worker arbiter.
pub(crate) struct Parser<S: Spider> {
    spider: Arc<S>,
    admission: Arc<Admission>,
    follow: FollowMode,
    supervisor: Recipient<PagesParsed<S::Item>>,
    /// Pages parsed in this turn, not sent yet.
    parsed: Vec<PageParsed<S::Item>>,
}

impl<S: Spider> Parser<S> {
    pub(crate) fn new(
        spider: Arc<S>,
        admission: Arc<Admission>,
        follow: FollowMode,
        supervisor: Recipient<PagesParsed<S::Item>>,
    ) -> Self {
        Parser {
            spider,
            admission,
            follow,
            supervisor,
            parsed: Vec::new(),
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
        if self.parsed.is_empty() {
            // Sent after the thread's other ready work: the pages that come meanwhile go too.
            ctx.spawn(tokio::task::yield_now().into_actor(self).map(|(), act, _| {
                let pages = std::mem::take(&mut act.parsed);
                act.supervisor.do_send(PagesParsed(pages));
            }));
        }
        self.parsed.push(PageParsed {
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
    }
}
