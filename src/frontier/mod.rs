//! The frontier: queued requests, one queue per host, and which host may go next.
//!
//! Downloader-aware scheduling: a host is offered only while it has work, is under its
//! concurrency limit and is not held back (by its rate limit or a `Retry-After`). A held
//! host is parked with a wake-up time, so a slow or throttled host never occupies a fetch
//! slot while it waits, and the others go on (Scrapy and StormCrawler users hit exactly
//! that: fetchers blocked on one sleeping host). A host whose robots.txt is not known yet is
//! held the same way, with no wake-up time: its requests queue up until the rules come.
//! Hosts are served round-robin; within a host, higher priority first, then discovery
//! order (breadth-first).
//!
//! A plain struct with no actors and no clock of its own (`now` is passed in), so every
//! rule here is unit-tested.

pub(crate) mod delayed;
mod origin;
mod queue;

use crate::fastmap::FastMap;
use crate::request::Request;
use origin::Origins;
use queue::{HostQueue, Shared};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Instant;

/// A host's index in the frontier (scheme, host and port).
pub(crate) type HostId = u32;

/// What the rate limiter says about sending one more request to a host now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Go.
    Open,
    /// This host must wait until then.
    HostWait(Instant),
    /// Every host must wait until then (global rate).
    GlobalWait(Instant),
}

/// The result of asking for the next request.
#[derive(Debug)]
pub(crate) enum Pop {
    /// Send this one.
    Ready(Request, HostId),
    /// Nothing can go before this time.
    WaitUntil(Instant),
    /// Nothing can go until an in-flight request finishes or new work arrives.
    Idle,
}

#[derive(Debug)]
struct Host {
    queue: HostQueue,
    in_flight: u32,
    /// In the ready list now.
    listed: bool,
    /// Held back until then.
    parked: Option<Instant>,
    /// Held back until released (robots.txt not known yet).
    held: bool,
    /// Its own in-flight limit (adaptive throttle), below the frontier's.
    limit: Option<u32>,
    /// In the list of hosts that may have gone idle.
    idle_listed: bool,
    /// Its requests waiting outside the frontier for a retry.
    retries_waiting: u32,
}

/// Queues of requests per host, and the round-robin of hosts that may send now.
#[derive(Debug)]
pub(crate) struct Frontier {
    hosts: Vec<Host>,
    ids: FastMap<Box<str>, HostId>,
    /// Each host's key (its origin, `scheme://host:port`), by id.
    keys: Vec<Box<str>>,
    /// The origins of the hosts sending most now, parsed.
    origins: Origins,
    /// Referrers and labels of every queued request.
    shared: Shared,
    /// Hosts whose last request finished with nothing queued (they may be idle now).
    maybe_idle: Vec<HostId>,
    /// Slots of evicted hosts, to reuse.
    free: Vec<HostId>,
    ready: VecDeque<HostId>,
    parked: BinaryHeap<Reverse<(Instant, HostId)>>,
    queued: usize,
    seq: u64,
    per_host_limit: u32,
    /// Where [`drain_some`](Self::drain_some) goes on.
    drain_from: usize,
}

impl Frontier {
    /// An empty frontier allowing `per_host_limit` requests in flight per host.
    pub(crate) fn new(per_host_limit: usize) -> Self {
        Frontier {
            hosts: Vec::new(),
            ids: FastMap::default(),
            keys: Vec::new(),
            origins: Origins::default(),
            shared: Shared::default(),
            maybe_idle: Vec::new(),
            free: Vec::new(),
            ready: VecDeque::new(),
            parked: BinaryHeap::new(),
            queued: 0,
            seq: 0,
            drain_from: 0,
            per_host_limit: u32::try_from(per_host_limit).unwrap_or(u32::MAX).max(1),
        }
    }

    /// The id of the host with this key, made on first use.
    pub(crate) fn host_id(&mut self, key: &str) -> HostId {
        if let Some(id) = self.ids.get(key) {
            return *id;
        }
        let fresh = Host {
            queue: HostQueue::default(),
            in_flight: 0,
            listed: false,
            parked: None,
            held: false,
            limit: None,
            idle_listed: false,
            retries_waiting: 0,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.hosts[id as usize] = fresh;
                self.keys[id as usize] = key.into();
                id
            }
            None => {
                let id = HostId::try_from(self.hosts.len()).expect("fewer than 2^32 hosts");
                self.hosts.push(fresh);
                self.keys.push(key.into());
                id
            }
        };
        self.ids.insert(key.into(), id);
        id
    }

    /// Hosts with state held now (evicted ones not counted).
    pub(crate) fn resident_hosts(&self) -> usize {
        self.hosts.len() - self.free.len()
    }

    /// The id of the host with this key, if it has one now.
    pub(crate) fn existing_id(&self, key: &str) -> Option<HostId> {
        self.ids.get(key).copied()
    }

    /// The key of `host` (its origin, `scheme://host:port`).
    pub(crate) fn key(&self, host: HostId) -> &str {
        &self.keys[host as usize]
    }

    /// Whether `host` has nothing queued, in flight or waiting for a retry.
    pub(crate) fn is_idle(&self, host: HostId) -> bool {
        self.hosts
            .get(host as usize)
            .is_none_or(|h| h.queue.is_empty() && h.in_flight == 0 && h.retries_waiting == 0)
    }

    /// Requests queued for `host`.
    pub(crate) fn queued_for(&self, host: HostId) -> usize {
        self.hosts[host as usize].queue.len()
    }

    /// A request of `host` went to wait for a retry outside the frontier.
    pub(crate) fn retry_waiting(&mut self, host: HostId) {
        self.hosts[host as usize].retries_waiting += 1;
    }

    /// A request of `host` came back from waiting for a retry.
    pub(crate) fn retry_released(&mut self, host: HostId) {
        let h = &mut self.hosts[host as usize];
        h.retries_waiting = h.retries_waiting.saturating_sub(1);
    }

    /// Forgets `host` if it has nothing queued, in flight or waiting, and is not held or
    /// parked: its slot is reused by the next new host. Returns whether it was forgotten.
    pub(crate) fn evict(&mut self, host: HostId) -> bool {
        let h = &self.hosts[host as usize];
        let busy = !h.queue.is_empty()
            || h.in_flight > 0
            || h.retries_waiting > 0
            || h.held
            || h.parked.is_some()
            || h.listed
            || h.idle_listed;
        if busy || self.free.contains(&host) {
            return false;
        }
        let key = std::mem::take(&mut self.keys[host as usize]);
        self.ids.remove(&key);
        self.origins.forget(host);
        self.free.push(host);
        true
    }

    /// How many requests never sent yet are sure to go to `host` before a request of
    /// `priority` queued now (0 when not known: the host waits for its robots.txt, which may
    /// drop some, or has requests of lower priority queued).
    pub(crate) fn first_attempts_before(&self, host: HostId, priority: i32) -> usize {
        let h = &self.hosts[host as usize];
        if h.held {
            return 0;
        }
        h.queue.first_attempts_before(priority)
    }

    /// Queues a request for `host`.
    pub(crate) fn push(&mut self, host: HostId, request: Request) {
        self.seq += 1;
        let h = &mut self.hosts[host as usize];
        h.queue.push(
            request,
            self.seq,
            &self.keys[host as usize],
            &mut self.shared,
        );
        self.queued += 1;
        self.relist(host);
    }

    /// The next request that may be sent now, asking `gate` before taking one from a host.
    pub(crate) fn pop(&mut self, now: Instant, mut gate: impl FnMut(HostId) -> Gate) -> Pop {
        while let Some(Reverse((t, id))) = self.parked.peek().copied() {
            if t > now {
                break;
            }
            self.parked.pop();
            let h = &mut self.hosts[id as usize];
            if h.parked.is_some_and(|p| p <= now) {
                h.parked = None;
                self.relist(id);
            }
        }
        for _ in 0..self.ready.len() {
            let Some(id) = self.ready.pop_front() else {
                break;
            };
            let limit = self.limit_of(id);
            let h = &mut self.hosts[id as usize];
            h.listed = false;
            if h.queue.is_empty() || h.in_flight >= limit || h.parked.is_some() || h.held {
                continue; // relisted by push, done or the wake-up
            }
            match gate(id) {
                Gate::Open => {
                    let key = &self.keys[id as usize];
                    let origins = &mut self.origins;
                    let popped =
                        (h.queue).pop(&mut self.shared, |suffix| origins.join(id, key, suffix));
                    self.queued -= 1;
                    let Some((_, request)) = popped else {
                        // Records hold URLs that parsed when queued; this cannot happen.
                        tracing::error!(host = %key, "a queued URL no longer parses");
                        self.relist(id);
                        continue;
                    };
                    h.in_flight += 1;
                    self.relist(id);
                    return Pop::Ready(request, id);
                }
                Gate::HostWait(until) => self.park(id, until),
                Gate::GlobalWait(until) => {
                    h.listed = true;
                    self.ready.push_front(id);
                    return Pop::WaitUntil(until);
                }
            }
        }
        match self.parked.peek() {
            Some(Reverse((t, _))) => Pop::WaitUntil(*t),
            None => Pop::Idle,
        }
    }

    /// A request of `host` taken by [`pop`](Self::pop) has finished.
    pub(crate) fn done(&mut self, host: HostId) {
        let h = &mut self.hosts[host as usize];
        h.in_flight = h.in_flight.saturating_sub(1);
        if h.in_flight == 0 && h.queue.is_empty() && !h.idle_listed {
            h.idle_listed = true;
            self.maybe_idle.push(host);
        }
        self.relist(host);
    }

    /// The keys of the hosts that have no request queued or in flight now, among those
    /// whose last request finished since the last call: their connections can go.
    pub(crate) fn take_idle_hosts(&mut self) -> Vec<(HostId, &str)> {
        let mut idle = Vec::new();
        for id in self.maybe_idle.drain(..) {
            let h = &mut self.hosts[id as usize];
            h.idle_listed = false;
            if h.in_flight == 0 && h.queue.is_empty() {
                idle.push((id, &*self.keys[id as usize]));
            }
        }
        idle
    }

    /// Holds `host` back until `until` (a `Retry-After`, a rate limit).
    pub(crate) fn park(&mut self, host: HostId, until: Instant) {
        let h = &mut self.hosts[host as usize];
        let until = h.parked.map_or(until, |p| p.max(until));
        h.parked = Some(until);
        self.parked.push(Reverse((until, host)));
    }

    /// Sets how many requests `host` may have in flight (the adaptive throttle's limit),
    /// instead of the frontier-wide per-host limit; never above that limit.
    pub(crate) fn set_limit(&mut self, host: HostId, limit: u32) {
        let limit = limit.clamp(1, self.per_host_limit);
        self.hosts[host as usize].limit = Some(limit);
        self.relist(host);
    }

    fn limit_of(&self, host: HostId) -> u32 {
        self.hosts[host as usize]
            .limit
            .unwrap_or(self.per_host_limit)
    }

    /// Holds `host` back until [`release`](Self::release); its requests stay queued.
    pub(crate) fn hold(&mut self, host: HostId) {
        self.hosts[host as usize].held = true;
    }

    /// Lets a held host be served again.
    pub(crate) fn release(&mut self, host: HostId) {
        self.hosts[host as usize].held = false;
        self.relist(host);
    }

    /// Takes one concurrency slot of `host` for a request that is not in its queue (the
    /// crawler's own robots.txt and sitemap requests), if one is free; give it back with
    /// [`done`](Self::done).
    pub(crate) fn try_acquire(&mut self, host: HostId) -> bool {
        let limit = self.limit_of(host);
        let h = &mut self.hosts[host as usize];
        if h.in_flight >= limit {
            return false;
        }
        h.in_flight += 1;
        true
    }

    /// Takes every queued request of `host` out, in discovery order (to judge them again).
    pub(crate) fn take_host(&mut self, host: HostId) -> Vec<Request> {
        let mut q = Vec::new();
        self.take_all(host, &mut q);
        q.sort_by_key(|(seq, _)| *seq);
        // A stale entry in the ready list is skipped by `pop` (the queue is empty).
        q.into_iter().map(|(_, r)| r).collect()
    }

    /// Moves every queued request of `host` into `out`, with its discovery number.
    fn take_all(&mut self, host: HostId, out: &mut Vec<(u64, Request)>) {
        let h = &mut self.hosts[host as usize];
        let key = &self.keys[host as usize];
        self.queued -= h.queue.len();
        while !h.queue.is_empty() {
            let origins = &mut self.origins;
            out.extend((h.queue).pop(&mut self.shared, |s| origins.join(host, key, s)));
        }
    }

    /// Requests queued (not in flight).
    pub(crate) fn len(&self) -> usize {
        self.queued
    }

    /// Whether nothing is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// Takes up to `max` queued requests out (when a crawl stops early), host after host,
    /// each host's in the order it would have sent them. Taken in rounds so that a frontier
    /// of millions of URLs is recorded a bounded batch at a time, not decoded all at once.
    pub(crate) fn drain_some(&mut self, max: usize) -> Vec<Request> {
        let mut out = Vec::with_capacity(max.min(self.queued));
        let mut wrapped = false;
        while out.len() < max && self.queued > 0 {
            if self.drain_from >= self.hosts.len() {
                // Only a push after the drain began can be behind the cursor.
                if std::mem::replace(&mut wrapped, true) {
                    break;
                }
                self.drain_from = 0;
            }
            let h = &mut self.hosts[self.drain_from];
            let (id, key) = (self.drain_from as HostId, &self.keys[self.drain_from]);
            while out.len() < max {
                let origins = &mut self.origins;
                let popped = (h.queue).pop(&mut self.shared, |s| origins.join(id, key, s));
                let Some((_, r)) = popped else {
                    break;
                };
                self.queued -= 1;
                out.push(r);
            }
            if h.queue.is_empty() {
                self.drain_from += 1;
            }
        }
        if self.queued == 0 {
            self.ready.clear();
            self.hosts.iter_mut().for_each(|h| h.listed = false);
            self.drain_from = 0;
        }
        out
    }

    fn relist(&mut self, id: HostId) {
        let limit = self.limit_of(id);
        let h = &mut self.hosts[id as usize];
        if !h.listed && h.parked.is_none() && !h.held && !h.queue.is_empty() && h.in_flight < limit
        {
            h.listed = true;
            self.ready.push_back(id);
        }
    }
}

#[cfg(test)]
mod tests;
