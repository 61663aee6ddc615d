//! A shared crawl's side of the engine: what changes when many processes crawl as one
//! through a shared store (see `store::RedisStore` for the protocol).
//!
//! - Every URL this process finds goes to the store with the commit of the page it was
//!   found on ([`offer`](Engine::offer)), accepted or ruled out: the store keeps the
//!   crawl's seen-set and queues, and the URL's host's owner takes it. Nothing found is
//!   queued here directly, so a host is only ever scheduled by its owner.
//! - The frontier is filled from the store ([`take_shared`](Engine::take_shared)): the
//!   requests of the hosts this process owns, a window per host, as the frontier runs
//!   down (and every [`TAKE_EVERY`] while it is low, for what other workers found). From
//!   there they take the path of any request taken back: robots.txt judges them (its
//!   record shared through the store), then politeness; a URL ruled out when found is
//!   recorded as skipped by its owner, once for the whole crawl.
//! - A stop leaves what is queued in the store for the other workers (and what would be
//!   retried). The page limit is the store's: it counts first attempts as their owners take
//!   them, for the whole crawl, and hands those past it out to be recorded as skipped.
//!   Sitemaps are not offered for shared crawls yet (refused when the worker joins).

use super::Engine;
use crate::canon;
use crate::config::CrawlConfig;
use crate::harvest::Discovered;
use crate::outcome::SkipReason;
use crate::request::Request;
use crate::spider::Spider;
use crate::store::CrawlFacts;
use std::time::{Duration, Instant};

/// Requests held here (queued, waiting or in flight) before no more are taken from the
/// store. Small, so that a slot given up to a joining worker drains in seconds.
const HOLD: usize = 2048;
/// Requests of one host taken per round, at most.
const PER_HOST: usize = 64;
/// How often a low frontier asks the store for more when the last round found little.
const TAKE_EVERY: Duration = Duration::from_millis(100);

/// When the last round took, and whether it filled what it asked for.
#[derive(Debug, Default)]
pub(crate) struct Rounds {
    last: Option<Instant>,
    full: bool,
}

impl<S: Spider> Engine<S> {
    /// Whether many processes share this crawl (its pumps then talk to the store).
    pub(crate) fn is_shared(&self) -> bool {
        self.shared
    }

    /// Offers a URL found (and admitted by this process's seen-set) to the store.
    pub(super) fn offer(&mut self, d: Discovered) {
        match d {
            Discovered::Accept(r) => {
                match canon::host_key(&r.url) {
                    Some(key) => self.journal.spilled(&r, canon::host_fingerprint(&key)),
                    // Recorded by the owner of slot 0, once, like any URL ruled out.
                    None => self.journal.skipped(&r, 0, SkipReason::Scheme),
                }
            }
            Discovered::Skip(r, reason) => {
                let host = canon::host_key(&r.url).map_or(0, |k| canon::host_fingerprint(&k));
                self.journal.skipped(&r, host, reason);
            }
        }
    }

    /// Takes requests of the hosts this process owns from the store, when the frontier
    /// runs low.
    pub(super) fn take_shared(&mut self, now: Instant) {
        if self.store_error.is_some() || self.stopping.is_some() {
            return;
        }
        let held = self.frontier.len() + self.delayed.len() + self.ledger.leased();
        if held >= HOLD / 2 {
            return;
        }
        let r = &self.rounds;
        if !r.full
            && r.last
                .is_some_and(|t| now.saturating_duration_since(t) < TAKE_EVERY)
        {
            return;
        }
        let want = HOLD - held;
        let taken = match self.store.take(want, PER_HOST) {
            Ok(t) => t,
            Err(e) => return self.store_failed(e),
        };
        self.rounds = Rounds {
            last: Some(now),
            full: taken.len() == want,
        };
        for t in taken {
            let Some(r) = t.request.to_request() else {
                // Ended unfetched, so the crawl can still end.
                tracing::warn!(url = %t.request.url, "a shared queue's URL is not a URL; dropped");
                self.journal.discard(t.fingerprint);
                continue;
            };
            match t.skip {
                Some(reason) => self.skip(r, reason),
                None => self.enqueue_shared(r, t.request.due_ms),
            }
        }
    }

    /// Queues a request taken from the store, a retry at its due time. A host met for the
    /// first time, or idle here, may have been another worker's a moment ago: its rate
    /// limit counts a request as just sent.
    fn enqueue_shared(&mut self, r: Request, due_ms: Option<u64>) {
        if let Some(key) = canon::host_key(&r.url)
            && (self.frontier.existing_id(&key)).is_none_or(|h| self.frontier.is_idle(h))
        {
            let host = self.frontier.host_id(&key);
            self.rate.prime(host);
        }
        let now_ms = super::journal::unix_ms(std::time::SystemTime::now());
        match due_ms.filter(|&due| due > now_ms) {
            Some(due) => self.enqueue_later(r, Duration::from_millis(due - now_ms)),
            None => self.enqueue(r),
        }
    }
}

/// What makes a crawl what it is, for a shared store to hold every worker to.
pub(crate) fn facts(cfg: &CrawlConfig) -> CrawlFacts {
    let mut seeds: Vec<&str> = cfg.seeds.iter().map(url::Url::as_str).collect();
    seeds.sort_unstable();
    let s = &cfg.scope;
    let list = |v: &[regex::Regex]| {
        v.iter()
            .map(regex::Regex::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut hosts: Vec<String> = s.hosts.iter().map(|h| format!("{h:?}")).collect();
    hosts.sort_unstable();
    vec![
        ("seeds", seeds.join(" ")),
        ("include", list(&s.include)),
        ("exclude", list(&s.exclude)),
        ("hosts", hosts.join(" ")),
        (
            "max_depth",
            s.max_depth.map_or("none".into(), |d| d.to_string()),
        ),
        ("sort_query", cfg.sort_query.to_string()),
        ("robots", cfg.robots.to_string()),
        ("user_agent", cfg.user_agent.clone()),
        (
            "max_pages",
            cfg.max_pages.map_or("none".into(), |n| n.to_string()),
        ),
        (
            "max_pages_per_host",
            cfg.max_pages_per_host
                .map_or("none".into(), |n| n.to_string()),
        ),
    ]
}
