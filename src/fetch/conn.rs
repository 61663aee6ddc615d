//! The connections a worker holds: every TCP stream its HTTP client uses, seen and bounded.
//!
//! awc keeps idle HTTP/1 connections in a pool per host and only looks at a host's pool
//! when it sends to that host again, so on its own a crawl that moves from host to host
//! keeps every host's sockets open (or half-closed by the server) until it ends, and a
//! connection the server has closed can be handed out again. Each stream awc opens is
//! therefore a [`Tracked`] one, registered in the worker's [`Connections`], which:
//!
//! - knows which attempt a connection serves (the attempt runs inside [`AttemptIo::scope`],
//!   a task-local that the stream reads on every poll), so an attempt can tell whether its
//!   connection was reused, whether any byte of the answer came, and whether the server
//!   closed the connection while the body was read;
//! - closes idle connections that are old, whose server closed them, whose host has no
//!   more work, or that are beyond the worker's idle budget ([`Connections::reap`]); the
//!   shell left in awc's pool then reads as closed and awc drops it;
//! - refuses an idle connection to an attempt that asked for a fresh one (after a reused
//!   connection failed before any byte of the answer came).
//!
//! Everything here lives on one worker thread (awc's client is `!Send`), hence `Rc` and
//! `Cell`.

use crate::proxy::routes::Routes;
use actix_rt::net::TcpStream;
use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::ReadBuf;

mod absolute;
mod stream;

pub(crate) use absolute::AbsoluteForm;
pub(crate) use stream::Tracked;

tokio::task_local! {
    /// The attempt being polled on this thread, if any.
    static ATTEMPT: Rc<AttemptIo>;
}

/// Where a connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Serving an attempt.
    Active,
    /// Back in awc's pool since then.
    Idle(Instant),
    /// Closed by us (the socket is gone; awc's shell reads as closed).
    Closed,
}

/// One connection's shared state: the stream itself, so [`Connections::reap`] can close it
/// while awc still holds the shell.
struct Slot {
    stream: RefCell<Option<TcpStream>>,
    state: Cell<State>,
    /// `host:port`, as [`conn_key`] writes it.
    key: Rc<str>,
    /// Whether TLS runs on top (then unread bytes on an idle socket may be TLS housekeeping,
    /// and answer heads cannot be seen).
    tls: bool,
    /// The head of the answer being read, held until it is whole (plain HTTP only).
    head: RefCell<Head>,
    /// The proxy this connection goes through, if any.
    via: Option<Via>,
    /// The session it was opened for, when it goes through a proxy (a session keeps to
    /// its proxy, so its connections are its own).
    session: Option<Arc<str>>,
    /// Plain http through an HTTP proxy: the requests' rewriting into absolute form.
    absolute: RefCell<Option<AbsoluteForm>>,
    /// HTTP/2: many attempts share the connection at once, and its reads are made by the
    /// connection's own task, so no attempt owns it; it stays open until awc drops it or
    /// its host is retired.
    multiplexed: Cell<bool>,
}

/// The proxy a connection goes through: the crawl's routes, and the proxy's index there.
#[derive(Debug, Clone)]
pub(crate) struct Via {
    pub(crate) routes: Arc<Routes>,
    pub(crate) index: usize,
}

/// Where the answer on a plain connection is, for [`head`](super::head)'s check.
#[derive(Debug, Default)]
enum Head {
    /// Nothing asked, or the head has gone through.
    #[default]
    Passing,
    /// A request went out: its answer's head is being gathered.
    Gathering(Vec<u8>),
    /// The head (checked) and what came with it, handed out from this offset.
    Releasing(Vec<u8>, usize),
}

impl Slot {
    fn close(&self) {
        self.state.set(State::Closed);
        self.stream.borrow_mut().take();
    }

    fn is_open(&self) -> bool {
        self.state.get() != State::Closed
    }

    /// Whether the server has closed this idle connection (or sent something it should not).
    fn peer_gone(&self) -> bool {
        let stream = self.stream.borrow();
        let Some(s) = stream.as_ref() else {
            return true;
        };
        let mut buf = [0u8; 1];
        let mut buf = ReadBuf::new(&mut buf);
        let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
        match s.poll_peek(&mut cx, &mut buf) {
            Poll::Pending => false,
            Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => true,
            // Data on an idle plain connection is a protocol error (awc would drop it too);
            // on TLS it may be a session ticket, which the next read consumes.
            Poll::Ready(Ok(_)) => !self.tls,
        }
    }
}

/// What one attempt learned about its connection, filled in by the stream as it is polled.
#[derive(Debug)]
pub(crate) struct AttemptIo {
    conn: RefCell<Option<Rc<SlotRef>>>,
    reused: Cell<bool>,
    fresh_only: Cell<bool>,
    received: Cell<u64>,
    eof: Cell<bool>,
    session: Option<Arc<str>>,
}

/// A handle on a [`Slot`] that an attempt holds (a newtype so `AttemptIo` can be `Debug`).
struct SlotRef(Rc<Slot>);

impl fmt::Debug for SlotRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connection to {}", self.0.key)
    }
}

impl AttemptIo {
    /// A record for an attempt in `session`; `fresh_only` refuses idle connections.
    pub(crate) fn new(fresh_only: bool, session: Option<Arc<str>>) -> Rc<Self> {
        Rc::new(AttemptIo {
            conn: RefCell::new(None),
            reused: Cell::new(false),
            fresh_only: Cell::new(fresh_only),
            received: Cell::new(0),
            eof: Cell::new(false),
            session,
        })
    }

    /// Whether this attempt may take an idle connection of `slot` (one through a proxy
    /// must have been opened for the same session).
    fn may_reuse(&self, slot: &Slot) -> bool {
        !self.fresh_only.get() && (slot.via.is_none() || slot.session == self.session)
    }

    /// Runs `fut` with this record as the current attempt of the thread.
    pub(crate) async fn scope<F: Future>(self: &Rc<Self>, fut: F) -> F::Output {
        ATTEMPT.scope(Rc::clone(self), fut).await
    }

    /// Whether the connection used was an idle one from the pool.
    pub(crate) fn reused(&self) -> bool {
        self.reused.get()
    }

    /// Bytes received from the server during the attempt (TLS records included).
    pub(crate) fn received(&self) -> u64 {
        self.received.get()
    }

    /// Whether the server closed the connection during the attempt.
    pub(crate) fn saw_eof(&self) -> bool {
        self.eof.get()
    }

    /// The HTTP proxy the attempt's requests were written to in absolute form, if any
    /// (its answers may be the proxy's own, as a 407 is).
    pub(crate) fn absolute_via(&self) -> Option<Via> {
        let conn = self.conn.borrow();
        let slot = &conn.as_ref()?.0;
        match slot.absolute.borrow().is_some() {
            true => slot.via.clone(),
            false => None,
        }
    }

    /// The attempt is over: its connection is idle in awc's pool now, or closed when
    /// `reusable` is false (the answer said the connection ends, e.g. HTTP/1.0 without
    /// keep-alive, which awc would otherwise hand out again).
    pub(crate) fn finish(&self, reusable: bool) {
        if let Some(slot) = self.conn.borrow_mut().take() {
            let slot = &slot.0;
            if slot.multiplexed.get() {
                // Other attempts' streams go on on it.
            } else if !reusable {
                slot.close();
            } else if slot.state.get() == State::Active && slot.stream.borrow().is_some() {
                slot.state.set(State::Idle(Instant::now()));
            }
        }
    }

    /// The server's address, when the attempt's connection goes straight to it (not
    /// through a proxy).
    pub(crate) fn remote_ip(&self) -> Option<std::net::IpAddr> {
        let conn = self.conn.borrow();
        let slot = &conn.as_ref()?.0;
        if slot.via.is_some() {
            return None;
        }
        let stream = slot.stream.borrow();
        Some(stream.as_ref()?.peer_addr().ok()?.ip())
    }

    /// The answer came over HTTP/2: the attempt's connection is shared by every attempt
    /// to its host from now on (see [`Slot::multiplexed`]).
    pub(crate) fn multiplexed(&self) {
        if let Some(slot) = self.conn.borrow().as_ref() {
            slot.0.multiplexed.set(true);
        }
    }

    fn adopt(&self, slot: &Rc<Slot>, reused: bool) {
        *self.conn.borrow_mut() = Some(Rc::new(SlotRef(Rc::clone(slot))));
        self.reused.set(reused);
    }
}

impl Drop for AttemptIo {
    fn drop(&mut self) {
        // An attempt dropped midway (timeout, cancelled) leaves no connection marked busy.
        self.finish(true);
    }
}

/// The session of the attempt being polled on this thread, if any.
pub(crate) fn current_session() -> Option<Arc<str>> {
    ATTEMPT.try_with(|io| io.session.clone()).ok().flatten()
}

/// The key connections are grouped by: `host:port`.
pub(crate) fn conn_key(host: &str, port: u16) -> String {
    // IPv6 literals come bracketed from URLs and bare from some resolvers.
    let host = host.trim_start_matches('[').trim_end_matches(']');
    format!("{host}:{port}")
}

/// Limits on the connections one worker keeps.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnLimits {
    /// An idle connection older than this is closed.
    pub(crate) idle_timeout: Duration,
    /// Idle connections kept at most (the oldest go first).
    pub(crate) max_idle: usize,
}

/// The connections of one worker.
pub(crate) struct Connections {
    open: RefCell<Vec<Rc<Slot>>>,
    /// Hosts whose work is done: their idle connections are closed at the next reap.
    retired: RefCell<HashSet<Rc<str>>>,
    /// Distinct hosts connected to since [`Connections::hosts_seen_reset`].
    hosts_seen: RefCell<HashSet<Rc<str>>>,
    limits: ConnLimits,
}

impl fmt::Debug for Connections {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connections")
            .field("open", &self.open.borrow().len())
            .field("limits", &self.limits)
            .finish()
    }
}

impl Connections {
    pub(crate) fn new(limits: ConnLimits) -> Rc<Self> {
        Rc::new(Connections {
            open: RefCell::new(Vec::new()),
            retired: RefCell::new(HashSet::new()),
            hosts_seen: RefCell::new(HashSet::new()),
            limits,
        })
    }

    /// Wraps a new connection to `key` and gives it to the attempt being polled.
    pub(crate) fn register(&self, stream: TcpStream, key: &str, tls: bool) -> Tracked {
        self.register_via(stream, key, tls, None, None)
    }

    /// [`register`](Self::register) for a connection through a proxy (`via`), its
    /// requests rewritten by `absolute` when they go to an HTTP proxy in plain http.
    pub(crate) fn register_via(
        &self,
        stream: TcpStream,
        key: &str,
        tls: bool,
        via: Option<Via>,
        absolute: Option<AbsoluteForm>,
    ) -> Tracked {
        // Requests and HTTP/2 frames are small writes that must go at once: Nagle's
        // algorithm would hold one back until the server's (delayed) ACK of the last.
        let _ = stream.set_nodelay(true);
        let key: Rc<str> = {
            let mut seen = self.hosts_seen.borrow_mut();
            match seen.get(key) {
                Some(k) => Rc::clone(k),
                None => {
                    let k: Rc<str> = key.into();
                    seen.insert(Rc::clone(&k));
                    k
                }
            }
        };
        self.retired.borrow_mut().remove(&key);
        let slot = Rc::new(Slot {
            stream: RefCell::new(Some(stream)),
            state: Cell::new(State::Active),
            key,
            tls,
            head: RefCell::new(Head::Passing),
            session: via.as_ref().and_then(|_| current_session()),
            via,
            absolute: RefCell::new(absolute),
            multiplexed: Cell::new(false),
        });
        let _ = ATTEMPT.try_with(|io| io.adopt(&slot, false));
        let mut open = self.open.borrow_mut();
        open.retain(|s| s.is_open());
        open.push(Rc::clone(&slot));
        drop(open);
        // A new socket may push the idle ones over budget: settle it now, not a tick later.
        self.enforce_idle_budget();
        Tracked { slot }
    }

    /// Sockets open now (busy and idle).
    pub(crate) fn open_count(&self) -> usize {
        self.open.borrow().iter().filter(|s| s.is_open()).count()
    }

    /// Idle sockets now.
    #[cfg(test)]
    pub(crate) fn idle_count(&self) -> usize {
        (self.open.borrow().iter())
            .filter(|s| matches!(s.state.get(), State::Idle(_)))
            .count()
    }

    /// Distinct hosts connected to since the last reset (to know when to renew the client,
    /// whose pool keeps an entry per host it ever saw).
    pub(crate) fn hosts_seen(&self) -> usize {
        self.hosts_seen.borrow().len()
    }

    /// Forgets the hosts seen (the client was renewed).
    pub(crate) fn hosts_seen_reset(&self) {
        self.hosts_seen.borrow_mut().clear();
    }

    /// These hosts have no work left: their idle connections go at the next reap, and the
    /// busy ones when they come back idle.
    pub(crate) fn retire<'a>(&self, keys: impl IntoIterator<Item = &'a str>) {
        let mut retired = self.retired.borrow_mut();
        for k in keys {
            retired.insert(k.into());
        }
    }

    /// Closes every idle connection that is too old, closed by its server, of a retired
    /// host, or beyond the idle budget.
    pub(crate) fn reap(&self, now: Instant) {
        let timeout = self.limits.idle_timeout;
        {
            let retired = self.retired.borrow();
            let mut open = self.open.borrow_mut();
            for s in open.iter() {
                let idle_gone = |since: Instant| {
                    now.saturating_duration_since(since) >= timeout
                        || retired.contains(&s.key)
                        || s.peer_gone()
                };
                let close = match s.state.get() {
                    State::Idle(since) => idle_gone(since),
                    // A host done with its HTTP/2 connection has no stream left on it.
                    State::Active => s.multiplexed.get() && retired.contains(&s.key),
                    State::Closed => false,
                };
                if close {
                    s.close();
                }
            }
            open.retain(|s| s.is_open());
            let busy: HashSet<&str> = (open.iter())
                .filter(|s| s.state.get() == State::Active)
                .map(|s| &*s.key)
                .collect();
            drop(retired);
            // A retired host is forgotten once none of its connections is left.
            self.retired
                .borrow_mut()
                .retain(|k| busy.contains(&**k) || open.iter().any(|s| s.key == *k));
        }
        self.enforce_idle_budget();
    }

    /// Closes the oldest idle connections beyond the idle budget.
    pub(crate) fn enforce_idle_budget(&self) {
        let open = self.open.borrow();
        // Called after every answer: counted first, sorted only when over the budget.
        let is_idle = |s: &&Rc<Slot>| matches!(s.state.get(), State::Idle(_));
        if open.iter().filter(is_idle).count() <= self.limits.max_idle {
            return;
        }
        let mut idle: Vec<(Instant, &Rc<Slot>)> = (open.iter())
            .filter_map(|s| match s.state.get() {
                State::Idle(since) => Some((since, s)),
                _ => None,
            })
            .collect();
        idle.sort_by_key(|(since, _)| *since);
        let excess = idle.len() - self.limits.max_idle;
        for (_, s) in idle.into_iter().take(excess) {
            s.close();
        }
    }

    /// Closes every idle connection (the client is being renewed, or the crawl is short of
    /// file descriptors).
    pub(crate) fn close_idle(&self) {
        for s in self.open.borrow().iter() {
            if matches!(s.state.get(), State::Idle(_)) {
                s.close();
            }
        }
    }
}

#[cfg(test)]
mod tests;
