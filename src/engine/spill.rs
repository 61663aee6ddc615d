//! Spill: a durable crawl's frontier held to a bounded number of requests in memory, with
//! room for many hosts.
//!
//! A new request goes to the store's spill instead of the frontier (its commit carries it)
//! when the frontier holds [`RESIDENT`] requests; or, once it holds half that, when its
//! host already has a window of [`WINDOW`] queued in memory; or when its host has spilled
//! requests that go before it (of its priority or higher), so each host's requests keep
//! their order (priority, then discovery). So a host that finds a million URLs holds a
//! window in memory, not the whole frontier, and the other hosts' requests keep room.
//!
//! They come back two ways, each through the path resumed requests take (robots.txt
//! judged again; their host's budget was taken when they were new):
//! - a host whose window runs below half is topped up from its own spilled requests
//!   ([`CrawlStore::refill_host`]), while the frontier has room;
//! - when the frontier runs below half, requests are taken from the hosts in turn, a
//!   window at most from each ([`CrawlStore::refill`]), so hosts with nothing in memory
//!   (forgotten while idle, or met when the frontier was full, or spilled by an earlier
//!   run) come back too.
//!
//! A spilled request not yet committed cannot be taken back before the next commit (at
//! most [`COMMIT_EVERY`](super::journal::COMMIT_EVERY) away): a top-up that finds nothing
//! is tried again after it, and rounds take only what the store holds. With the memory store nothing spills: it keeps no commit to
//! carry spilled requests.

use super::Engine;
use crate::canon;
use crate::frontier::HostId;
use crate::request::Request;
use crate::spider::Spider;
use std::collections::HashMap;

/// Queued requests a durable crawl holds in memory before it spills (~55 bytes each).
pub(super) const RESIDENT: usize = 250_000;
/// Requests of one host held in memory once the frontier is half full.
pub(super) const WINDOW: usize = 1024;
/// Requests taken back per round, at most.
const REFILL: usize = 4096;

/// What the engine knows of one resident host's spilled requests.
#[derive(Debug)]
struct HostSpill {
    /// Spilled and not taken back (as far as this run knows).
    count: u64,
    /// The highest priority among them: a new request of this priority or lower follows.
    top: i32,
    /// Listed to be topped up.
    listed: bool,
}

/// A durable crawl's spill bookkeeping (see the module docs).
#[derive(Debug)]
pub(crate) struct Spill {
    /// Requests in the store's spill, committed or not.
    pub(super) total: u64,
    hosts: HashMap<HostId, HostSpill>,
    /// Hosts whose window ran low, to top up.
    due: Vec<HostId>,
    /// Hosts whose spilled requests were not committed yet when topped up: again after
    /// the next commit.
    after_commit: Vec<HostId>,
    /// Queued requests held in memory before new ones spill.
    pub(super) resident: usize,
    /// A host's window.
    pub(super) window: usize,
}

impl Spill {
    /// `total` requests spilled by an earlier run.
    pub(super) fn new(total: u64) -> Self {
        Spill {
            total,
            hosts: HashMap::new(),
            due: Vec::new(),
            after_commit: Vec::new(),
            resident: RESIDENT,
            window: WINDOW,
        }
    }

    /// A commit was applied: what it carried can be taken back now.
    pub(super) fn committed(&mut self) {
        self.due.append(&mut self.after_commit);
    }

    /// `host` is forgotten (its slot may go to another host); its spilled requests come
    /// back in the rounds.
    pub(super) fn forget(&mut self, host: HostId) {
        self.hosts.remove(&host);
    }
}

impl<S: Spider> Engine<S> {
    /// Whether a new request of `priority` for `host` goes to the spill, not the frontier.
    pub(super) fn spills(&self, host: HostId, priority: i32) -> bool {
        if !self.journal.is_on() {
            return false;
        }
        let (s, queued) = (&self.spill, self.frontier.len());
        queued >= s.resident
            || (queued >= s.resident / 2 && self.frontier.queued_for(host) >= s.window)
            || s.hosts.get(&host).is_some_and(|h| h.top >= priority)
    }

    /// Sends a new request (admitted, its budget taken) for `host` (with this key) to the
    /// store's spill.
    pub(super) fn spill(&mut self, host: HostId, key: &str, r: &Request) {
        self.journal.spilled(r, canon::host_fingerprint(key));
        self.spill.total += 1;
        let h = (self.spill.hosts.entry(host)).or_insert(HostSpill {
            count: 0,
            top: i32::MIN,
            listed: false,
        });
        h.count += 1;
        h.top = h.top.max(r.priority);
        // A host with (almost) nothing in memory is topped up when there is room.
        if !h.listed && self.frontier.queued_for(host) < self.spill.window / 2 {
            h.listed = true;
            self.spill.due.push(host);
        }
    }

    /// A request of `host` went out: its window is topped up once it runs below half.
    pub(super) fn window_used(&mut self, host: HostId) {
        if let Some(h) = self.spill.hosts.get_mut(&host)
            && !h.listed
            && self.frontier.queued_for(host) < self.spill.window / 2
        {
            h.listed = true;
            self.spill.due.push(host);
        }
    }

    /// Takes spilled requests back (see the module docs); a stopping crawl that records
    /// what it left takes them all back as the frontier empties.
    pub(super) fn refill(&mut self) {
        if self.is_shared() {
            return self.take_shared(self.clock);
        }
        if self.spill.total == 0 || self.store_error.is_some() {
            return;
        }
        let room = self.spill.resident.saturating_sub(self.frontier.len());
        match self.stopping {
            Some(_) if self.keeps_queue() => {}
            Some(_) if self.frontier.is_empty() => self.round(REFILL, usize::MAX),
            Some(_) => {}
            None => {
                if room > 0 {
                    self.top_up();
                }
                // Rounds take only what is committed (a spilled request not committed yet
                // comes back after its commit).
                if self.store.spilled() > 0 && self.frontier.len() < self.spill.resident / 2 {
                    self.round(room.clamp(1, REFILL), self.spill.window);
                }
            }
        }
    }

    /// Tops up the hosts whose window ran low, while the frontier has room.
    fn top_up(&mut self) {
        let mut due = std::mem::take(&mut self.spill.due).into_iter();
        while let Some(host) = due.next() {
            if self.frontier.len() >= self.spill.resident {
                self.spill.due.push(host);
                self.spill.due.extend(due);
                return;
            }
            if !self.spill.hosts.contains_key(&host) {
                continue;
            }
            let want = self
                .spill
                .window
                .saturating_sub(self.frontier.queued_for(host));
            let fp = canon::host_fingerprint(self.frontier.key(host));
            match self.store.refill_host(fp, want.max(1)) {
                Ok(back) if back.is_empty() => self.spill.after_commit.push(host),
                Ok(back) => {
                    if let Some(h) = self.spill.hosts.get_mut(&host) {
                        h.listed = false;
                    }
                    self.take_back(back);
                }
                Err(e) => return self.store_failed(e),
            }
        }
    }

    /// Takes up to `max` requests back, at most `per_host` from each host in turn.
    fn round(&mut self, max: usize, per_host: usize) {
        match self.store.refill(max, per_host) {
            Ok(back) if back.is_empty() => {
                self.spill.total = self.store.spilled() + self.journal.spilled_pending() as u64;
            }
            Ok(back) => self.take_back(back),
            Err(e) => self.store_failed(e),
        }
    }

    /// Queues requests taken back from the spill.
    fn take_back(&mut self, back: Vec<crate::store::QueuedRequest>) {
        for q in back {
            let Some(r) = q.to_request() else {
                tracing::warn!(url = %q.url, "a spilled URL is not a URL; dropped");
                continue;
            };
            if let Some(key) = canon::host_key(&r.url)
                && let Some(host) = self.frontier.existing_id(&key)
                && let Some(h) = self.spill.hosts.get_mut(&host)
            {
                h.count = h.count.saturating_sub(1);
                if h.count == 0 {
                    self.spill.hosts.remove(&host);
                }
            }
            self.enqueue(r);
        }
        self.spill.total = self.store.spilled() + self.journal.spilled_pending() as u64;
    }
}
