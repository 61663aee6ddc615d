//! The storage seam: where a crawl's state lives, under the engine.
//!
//! The engine decides; a [`CrawlStore`] keeps. The default, [`MemoryStore`], keeps
//! everything in the process (today's behaviour and speed: nothing is built for it that it
//! would not use). A durable store keeps the crawl on disk so a killed crawl resumes; a
//! shared store keeps it in a server so many processes crawl as one.
//!
//! ## The life of a URL through the seam
//!
//! 1. **Seen.** Every URL found (a link, a seed, a redirect target, a sitemap URL) is
//!    canonicalized and its fingerprint inserted into the [`SeenSet`], a page's candidates
//!    at a time ([`SeenSet::insert_batch`]). Insertion is the exact, atomic "first time?"
//!    test: of two parsers finding the same URL at once, one wins. A URL seen before is
//!    dropped with no outcome (its first sighting has one). No probabilistic filter: a
//!    URL is never dropped because another one hashed alike, short of a 64-bit collision.
//! 2. **Queued.** A new URL in scope is queued for its host; one out of scope is recorded
//!    as skipped at once. The engine's frontier holds each host's queue in memory; past a
//!    bound (for the whole frontier, or for one host's window once the frontier is half
//!    full), a durable crawl spills new requests to the store instead
//!    ([`CommitBatch::spilled`]), and takes them back host by host as the frontier or a
//!    host's window runs down ([`CrawlStore::refill`], [`CrawlStore::refill_host`]).
//! 3. **Leased.** A queued request sent to a worker is leased under a ticket. A lease ends
//!    once: acked by its outcome, or reclaimed (the worker died; after a crash, every
//!    lease comes back as queued: [`Recovery`]).
//! 4. **Committed.** A durable store applies a [`CommitBatch`] atomically: the outcomes
//!    recorded since the last commit (their leases acked), the new requests their pages
//!    found (seen and queued), the retries (queued again with their due time), and the
//!    crawl's counters and per-host state. "A page's outcome and the URLs it found"
//!    become durable together or not at all, so a crash loses nothing: what was not
//!    committed is fetched again, its children rediscovered and deduplicated.
//! 5. **Finished.** The crawl is finished when nothing is queued, leased or waiting for a
//!    retry anywhere: for a shared store, in every process ([`CrawlStore::finished`]).
//!
//! Every call takes a batch (a page's links, a commit per tick), never one URL, so a disk
//! or network store costs a call per batch, not per link.
//!
//! ## Ownership
//!
//! A shared crawl ([`CrawlStore::is_shared`], the Redis store) hands hosts out: only the
//! owner of a host fetches it, so per-host politeness holds across processes. Every URL a
//! process finds goes to the store with its commit ([`CommitBatch::spilled`], and
//! [`CommitBatch::skipped`] for those ruled out at once); each process takes its own
//! hosts' requests back ([`CrawlStore::take`]), [`CrawlStore::check`]s before each round
//! of requests that it still owns them, and commits are refused once it does not.

mod codec;
#[cfg(feature = "durable")]
pub(crate) mod disk;
mod memory;
#[cfg(feature = "redis")]
mod redis;

pub use codec::{DecodeError, QueuedRequest};
#[cfg(feature = "durable")]
pub use disk::{DiskStore, SYNC_EVERY};
pub use memory::{MemorySeenSet, MemoryStore};
#[cfg(feature = "redis")]
pub use redis::{CommittedLog, RedisStore, SharedStatus, status};

use std::sync::Arc;

/// The seen-set, shared by the engine and every parser.
pub trait SeenSet: Send + Sync + std::fmt::Debug {
    /// Inserts each fingerprint; `fresh` is cleared and gets, in order, whether each was new.
    /// Each insertion is atomic (a fingerprint is new for exactly one caller).
    fn insert_batch(&self, fingerprints: &[u64], fresh: &mut Vec<bool>);

    /// Fingerprints seen so far.
    fn len(&self) -> usize;

    /// Whether nothing was seen.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A failure of the store: the crawl cannot go on safely.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store's medium failed (disk full, I/O error, connection lost).
    #[error("crawl state: {0}")]
    Io(#[from] std::io::Error),
    /// The outcome log a durable crawl commits with could not be written (disk full, say):
    /// the state holds the crawl up to its last commit.
    #[error(
        "writing the outcome records failed: {0}; the crawl's state holds it up to its last commit"
    )]
    OutcomeLog(std::io::Error),
    /// The crawl's archive could not be opened, cut back or written (disk full, say); a
    /// durable crawl's state holds the archive up to its last commit.
    #[error("the archive: {0}")]
    Archive(String),
    /// What the store holds cannot be read (corrupt, another version, another crawl).
    #[error("crawl state: {0}")]
    Invalid(String),
    /// The store holds another crawl (other start URLs or scope); see
    /// [`CrawlConfigBuilder::continue_other_crawl`](crate::CrawlConfigBuilder::continue_other_crawl).
    #[error(
        "crawl state: {0} holds another crawl (other start URLs or scope); start a new state directory, or continue that crawl on purpose"
    )]
    OtherCrawl(String),
    /// Another process has the store open.
    #[error("crawl state: {0} is in use by another trawler process")]
    Locked(String),
    /// The store's server cannot be reached, or stopped answering.
    #[error("crawl state: {0}")]
    Unavailable(String),
    /// A shared crawl's worker lost a lease it relied on (it was paused or cut off for
    /// longer than a lease lasts): another worker took its hosts over, and its commits
    /// are refused. Run again, it rejoins the crawl.
    #[error("this worker left the shared crawl: {0}")]
    LeaseLost(String),
}

/// What a previous run left in the store, to resume from.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Recovery {
    /// Requests queued (leased ones included: they are fetched again).
    pub queued: Vec<QueuedRequest>,
    /// The crawl's own state as last committed (counters, per-host state), opaque to
    /// the store.
    pub state: Option<Vec<u8>>,
    /// Pages queued per host (by host fingerprint), as last committed.
    pub host_pages: Vec<(u64, u64)>,
    /// Requests in the spill ([`CrawlStore::refill`] hands them back), not in `queued`.
    pub spilled: u64,
    /// Every sitemap record, as last committed ([`CommitBatch::sitemaps`]).
    pub sitemaps: Vec<Vec<u8>>,
    /// Query variants counted per path (by path fingerprint), summed over every commit
    /// ([`CommitBatch::variants`]); at most [`MAX_RECOVERED_VARIANTS`] paths.
    pub variants: Vec<(u64, u64)>,
    /// The cookie jars as last committed ([`CommitBatch::cookies`]).
    pub cookies: Option<Vec<u8>>,
}

/// Paths whose query variants [`CrawlStore::recover`] gives back, at most (the crawl
/// counts no more than this many paths in memory either).
pub const MAX_RECOVERED_VARIANTS: usize = 1 << 20;

/// One atomic step of a durable crawl (see the module docs).
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct CommitBatch {
    /// Newly queued requests, each with its fingerprint (also to insert as seen).
    pub queued: Vec<(u64, QueuedRequest)>,
    /// Fingerprints seen and recorded without being queued (skipped when found).
    pub seen_only: Vec<u64>,
    /// Fingerprints whose request has its outcome now: no longer queued. Each was queued
    /// by this batch or an earlier one (a URL that ends without having been queued is
    /// `seen_only`).
    pub done: Vec<u64>,
    /// Requests queued again (a retry: attempts and due time changed), by fingerprint.
    pub requeued: Vec<(u64, QueuedRequest)>,
    /// New requests, each with its fingerprint (also to insert as seen) and its host's
    /// fingerprint, that go to the spill: kept for [`CrawlStore::refill`] and
    /// [`CrawlStore::refill_host`] (per host: by priority, then in the order given), not
    /// recovered as queued.
    pub spilled: Vec<(u64, u64, QueuedRequest)>,
    /// The crawl's own state after this step, opaque to the store.
    pub state: Option<Vec<u8>>,
    /// Pages queued per host (by host fingerprint) for the hosts whose count changed.
    pub host_pages: Vec<(u64, u64)>,
    /// robots.txt records by host fingerprint, opaque to the store: each replaces the
    /// host's last one ([`CrawlStore::robots`] reads it back).
    pub robots: Vec<(u64, Vec<u8>)>,
    /// Sitemap records by URL fingerprint, opaque to the store: each replaces that
    /// sitemap's last one ([`Recovery::sitemaps`] gives them all back).
    pub sitemaps: Vec<(u64, Vec<u8>)>,
    /// Query variants newly counted per path (by path fingerprint): added to the path's
    /// count ([`Recovery::variants`]).
    pub variants: Vec<(u64, u64)>,
    /// A shared crawl's URLs found and ruled out at once, each with its fingerprint, its
    /// host's fingerprint and why: the owner of the host records them ([`Taken::skip`]).
    pub skipped: Vec<(u64, u64, QueuedRequest, crate::outcome::SkipReason)>,
    /// How far the outcome log is written ([`OutcomeLog::position`]), if there is one.
    pub log_position: Option<u64>,
    /// The crawl's cookie jars, opaque to the store, replacing the last ones when set.
    pub cookies: Option<Vec<u8>>,
}

/// A check made right before each request goes out ([`CrawlStore::fence`]).
pub type Fence = Arc<dyn Fn() -> bool + Send + Sync>;

/// What makes a crawl what it is, field by field (seeds, scope, limits): a worker that
/// joins a shared crawl with other facts is refused with what differs.
pub type CrawlFacts = Vec<(&'static str, String)>;

/// A request taken from a shared store by its host's owner ([`CrawlStore::take`]).
#[derive(Debug)]
#[non_exhaustive]
pub struct Taken {
    /// The request.
    pub request: QueuedRequest,
    /// Set for a URL ruled out when it was found: it is recorded as skipped for this
    /// reason instead of being fetched.
    pub skip: Option<crate::outcome::SkipReason>,
    /// The URL's fingerprint, as it was offered (to end a request whose URL no longer
    /// parses: [`CommitBatch::done`]).
    pub fingerprint: u64,
}

impl CommitBatch {
    /// Whether the batch holds nothing to commit.
    pub fn is_empty(&self) -> bool {
        self.queued.is_empty()
            && self.seen_only.is_empty()
            && self.done.is_empty()
            && self.requeued.is_empty()
            && self.spilled.is_empty()
            && self.state.is_none()
            && self.host_pages.is_empty()
            && self.robots.is_empty()
            && self.sitemaps.is_empty()
            && self.variants.is_empty()
            && self.skipped.is_empty()
            && self.cookies.is_none()
    }
}

/// Where a durable crawl's outcome records are written (a file, say), so that each commit
/// can say how far they go and a resumed crawl can cut back what was written after its
/// last commit: each URL then has exactly one record, whatever stopped the crawl. Set with
/// [`Crawler::outcome_log`](crate::Crawler::outcome_log), beside the `on_outcome` callback
/// that writes the records.
pub trait OutcomeLog: Send {
    /// Makes every record written so far reach the operating system (a flush, not an
    /// `fsync`), and says how far they go (the file's length, say).
    fn position(&mut self) -> std::io::Result<u64>;

    /// Cuts the records back to `position`, as the last commit of an earlier run said (0
    /// when nothing was committed yet); called once, before a durable crawl writes
    /// anything.
    fn resume_at(&mut self, position: u64) -> std::io::Result<()>;
}

/// Where a crawl's state is kept.
pub trait CrawlStore: Send + 'static {
    /// The seen-set the engine and the parsers share.
    fn seen(&self) -> Arc<dyn SeenSet>;

    /// Whether the store keeps the crawl beyond the process. Commits are built and
    /// applied only for a durable store; the memory store never pays for them.
    fn is_durable(&self) -> bool {
        false
    }

    /// What a previous run left (nothing for a new crawl).
    fn recover(&mut self) -> Result<Recovery, StoreError> {
        Ok(Recovery::default())
    }

    /// Applies `batch` atomically: after a crash, all of it or none of it is there.
    fn commit(&mut self, batch: CommitBatch) -> Result<(), StoreError> {
        let _ = batch;
        Ok(())
    }

    /// Requests in the spill, as committed ([`CommitBatch::spilled`] adds to it, a refill
    /// takes from it). By default, none.
    fn spilled(&self) -> u64 {
        0
    }

    /// Takes up to `max` spilled requests back, at most `per_host` of each host, visiting
    /// the hosts in turn from where the last call stopped (so that many hosts come back
    /// into memory, not one), each host's by priority, then in the order they were
    /// spilled. From then on they are queued (recovered as such, ended by `done`). By
    /// default, none: a store that never gets spilled requests has none to give.
    fn refill(&mut self, max: usize, per_host: usize) -> Result<Vec<QueuedRequest>, StoreError> {
        let _ = (max, per_host);
        Ok(Vec::new())
    }

    /// Takes up to `max` spilled requests of the host with this fingerprint back, as
    /// [`refill`](Self::refill) does. By default, none.
    fn refill_host(&mut self, host: u64, max: usize) -> Result<Vec<QueuedRequest>, StoreError> {
        let _ = (host, max);
        Ok(Vec::new())
    }

    /// The robots.txt record last committed for the host with this fingerprint
    /// ([`CommitBatch::robots`]), if any. Asked once per host the crawl meets (a disk
    /// lookup, not a scan). By default, none.
    fn robots(&mut self, host: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let _ = host;
        Ok(None)
    }

    /// Whether many processes share the crawl through this store. A shared crawl offers
    /// every URL it finds to the store ([`CommitBatch::spilled`], [`CommitBatch::skipped`])
    /// and fetches only what [`take`](Self::take) gives it. By default, not.
    fn is_shared(&self) -> bool {
        false
    }

    /// Joins a shared crawl with the crawl's `facts`: refuses a crawl that differs, and
    /// says how far this worker's outcome log was committed by an earlier process of its
    /// name (0 if none). By default (a store of one process), `None`.
    fn join(&mut self, facts: &CrawlFacts) -> Result<Option<u64>, StoreError> {
        let _ = facts;
        Ok(None)
    }

    /// A shared store: takes up to `max` queued requests of the hosts this process owns,
    /// at most `per_host` of each host in turn. Each is this process's until its outcome
    /// is committed (`done`). By default, none.
    fn take(&mut self, max: usize, per_host: usize) -> Result<Vec<Taken>, StoreError> {
        let _ = (max, per_host);
        Ok(Vec::new())
    }

    /// Whether this process may go on fetching: a shared store's process fails once it
    /// lost a lease (it was paused or cut off for longer than a lease lasts), before it
    /// sends anything more. Asked before every round of dispatch; it must be cheap (no
    /// call to a server). By default, it may.
    fn check(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// A check the fetchers make right before each page request goes out, on their own
    /// threads: `false` holds the request back (it goes back to its queue). For a shared
    /// store whose process lost a lease while a request was on its way to a fetcher (the
    /// process was paused, say), so that it never reaches a host another process owns
    /// now. It must be cheap (no call to a server). By default, none.
    fn fence(&self) -> Option<Fence> {
        None
    }

    /// Whether the whole crawl is finished (nothing queued, leased or waiting anywhere),
    /// given that this process has nothing left. By default, it is then.
    fn finished(&mut self) -> Result<bool, StoreError> {
        Ok(true)
    }
}
