//! The journal: what a durable crawl commits, gathered as the engine goes.
//!
//! With a durable store, every change to the set of URLs not yet ended is noted here: a
//! URL accepted (queued), a URL ended (its outcome recorded), a URL sent back for a retry
//! (with its due time), a URL found and skipped at once (only marked seen: it was never
//! queued); and what the crawl learnt of its sites: a robots.txt read or given up on, a
//! sitemap taken on or read, a query variant counted.
//! [`Journal::take`] turns the notes into one [`CommitBatch`] with the engine's
//! [`Saved`] state. The shell commits when [`Journal::due`] says so: every
//! [`COMMIT_OUTCOMES`] outcomes or [`COMMIT_EVERY`], whichever comes first, after it has
//! handed the outcomes out, so an outcome is committed only once its record is written.
//! With pipelines, a commit taken is applied once the pipelines have handled every item
//! sent before it, with their positions (`Pipeline::position`), in the order taken.
//! (Only outcomes of queued URLs count: URLs skipped when found, possibly thousands per
//! page, would otherwise make commits many times more frequent.)
//!
//! Because a URL's outcome and the URLs its page led to are noted by the same engine call
//! and committed together, a crash loses either both or neither: a page whose outcome was
//! not committed is fetched again and finds its links again. The seen-set's entries are
//! committed here too, from the URLs the engine took in, never from the parsers' inserts
//! (a URL the parsers saw but the engine had not taken in yet would be seen and lost).
//!
//! With the memory store nothing is noted at all.

use super::Resume;
use crate::canon;
use crate::config::CrawlConfig;
use crate::report::CrawlReport;
use crate::request::Request;
use crate::store::{CommitBatch, CrawlStore, OutcomeLog, QueuedRequest, StoreError};
use std::time::{Duration, Instant, SystemTime};

/// Outcomes that make a commit due.
pub(crate) const COMMIT_OUTCOMES: usize = 1024;
/// Time after which noted changes make a commit due.
pub(crate) const COMMIT_EVERY: Duration = Duration::from_millis(50);

/// The engine's state as a durable crawl keeps it.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Saved {
    /// What the crawl is (its seeds and scope): a state of another crawl is refused.
    pub(crate) identity: u64,
    /// The report's counters so far.
    pub(crate) report: CrawlReport,
    /// First attempts sent, against the page limit.
    pub(crate) dispatched: u64,
    /// How far the outcome log's records are committed (see `OutcomeLog`).
    pub(crate) log_position: Option<u64>,
    /// How far each pipeline's output is committed (see `Pipeline::position`).
    #[serde(default)]
    pub(crate) pipelines: Vec<Option<u64>>,
    /// Where the crawl's archive ended at the commit (see `fetch::record`).
    #[serde(default)]
    pub(crate) archive: Option<crate::fetch::record::ArchiveMark>,
}

/// Changes noted since the last commit.
#[derive(Debug)]
pub(crate) struct Journal {
    on: bool,
    batch: CommitBatch,
    outcomes: usize,
    since: Option<Instant>,
}

impl Journal {
    /// A journal that notes changes only when `on` (a durable store).
    pub(crate) fn new(on: bool) -> Self {
        Journal {
            on,
            batch: CommitBatch::default(),
            outcomes: 0,
            since: None,
        }
    }

    /// Whether changes are noted.
    pub(crate) fn is_on(&self) -> bool {
        self.on
    }

    fn touch(&mut self) {
        if self.since.is_none() {
            self.since = Some(Instant::now());
        }
    }

    /// `r` was accepted: seen, and queued until it ends.
    pub(crate) fn queued(&mut self, r: &Request) {
        if self.on {
            self.touch();
            let fp = canon::fingerprint(&r.url);
            self.batch.queued.push((fp, QueuedRequest::from_request(r)));
        }
    }

    /// `r` (of the host with this fingerprint) was accepted and goes to the store's
    /// spill, not the frontier.
    pub(crate) fn spilled(&mut self, r: &Request, host: u64) {
        if self.on {
            self.touch();
            let fp = canon::fingerprint(&r.url);
            let q = QueuedRequest::from_request(r);
            self.batch.spilled.push((fp, host, q));
        }
    }

    /// `r` (of the host with this fingerprint) was found and ruled out at once, for
    /// `reason`: a shared store has its host's owner record it.
    pub(crate) fn skipped(&mut self, r: &Request, host: u64, reason: crate::outcome::SkipReason) {
        if self.on {
            self.touch();
            let fp = canon::fingerprint(&r.url);
            let q = QueuedRequest::from_request(r);
            self.batch.skipped.push((fp, host, q, reason));
        }
    }

    /// The request with this fingerprint is ended without an outcome (its stored form is
    /// damaged: it cannot be fetched or recorded).
    pub(crate) fn discard(&mut self, fp: u64) {
        if self.on {
            self.touch();
            self.batch.done.push(fp);
        }
    }

    /// Spilled requests noted and not committed yet.
    pub(crate) fn spilled_pending(&self) -> usize {
        self.batch.spilled.len()
    }

    /// The URL `url` ended (its outcome is recorded); `stored`: it may be in the store's
    /// queue (when not, it was found and skipped at once, and is only marked seen).
    pub(crate) fn ended(&mut self, url: &url::Url, stored: bool) {
        if self.on {
            self.touch();
            self.outcomes += usize::from(stored);
            let fp = canon::fingerprint(url);
            match stored {
                true => self.batch.done.push(fp),
                false => self.batch.seen_only.push(fp),
            }
        }
    }

    /// `r` waits for a retry, with the attempts it made so far, for `wait` from now.
    pub(crate) fn requeued(&mut self, r: &Request, wait: Duration) {
        if self.on {
            self.touch();
            let fp = canon::fingerprint(&r.url);
            let mut q = QueuedRequest::from_request(r);
            q.due_ms = Some(unix_ms(SystemTime::now() + wait));
            self.batch.requeued.push((fp, q));
        }
    }

    /// The host with this fingerprint has its robots.txt `record` now.
    pub(crate) fn robots(&mut self, host: u64, record: Vec<u8>) {
        if self.on {
            self.touch();
            self.batch.robots.push((host, record));
        }
    }

    /// The sitemap with this URL fingerprint has its `record` now.
    pub(crate) fn sitemap(&mut self, url: u64, record: Vec<u8>) {
        if self.on {
            self.touch();
            self.batch.sitemaps.push((url, record));
        }
    }

    /// One more query variant of the path with this fingerprint was admitted.
    pub(crate) fn variant(&mut self, path: u64) {
        if self.on {
            self.touch();
            self.batch.variants.push((path, 1));
        }
    }

    /// Whether nothing was noted since the last commit.
    pub(crate) fn is_empty(&self) -> bool {
        self.batch.is_empty()
    }

    /// Whether a commit is due at `now`.
    pub(crate) fn due(&self, now: Instant) -> bool {
        self.on
            && (self.outcomes >= COMMIT_OUTCOMES
                || self
                    .since
                    .is_some_and(|t| now.saturating_duration_since(t) >= COMMIT_EVERY))
    }

    /// The cookie jars, saved, to commit with the next batch.
    pub(crate) fn note_cookies(&mut self, jars: Vec<u8>) {
        if self.on {
            self.batch.cookies = Some(jars);
            self.touch();
        }
    }

    /// The batch to commit (its state is set when it is applied); the journal starts
    /// afresh.
    pub(crate) fn take(&mut self) -> CommitBatch {
        self.outcomes = 0;
        self.since = None;
        std::mem::take(&mut self.batch)
    }
}

/// Milliseconds from the Unix epoch to `t` (0 before it).
pub(crate) fn unix_ms(t: SystemTime) -> u64 {
    let since = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

/// The identity of a crawl: its seeds and its scope, as a fingerprint.
pub(crate) fn identity(cfg: &CrawlConfig) -> u64 {
    let mut seeds: Vec<&str> = cfg.seeds.iter().map(url::Url::as_str).collect();
    seeds.sort_unstable();
    let s = &cfg.scope;
    let include: Vec<&str> = s.include.iter().map(regex::Regex::as_str).collect();
    let exclude: Vec<&str> = s.exclude.iter().map(regex::Regex::as_str).collect();
    let text = format!(
        "{seeds:?} {:?} {include:?} {exclude:?} {:?} {}",
        s.hosts, s.max_depth, cfg.sort_query
    );
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

/// What a durable store holds of an earlier run of this crawl, with the outcome log cut
/// back to its last commit (to its start when nothing was committed); `None` for a new
/// crawl (or a memory store). A state of another
/// crawl is refused unless the configuration says to continue it.
pub(crate) fn resume_from(
    config: &CrawlConfig,
    store: &mut dyn CrawlStore,
    log: Option<&mut dyn OutcomeLog>,
) -> Result<Option<Resume>, StoreError> {
    if !store.is_durable() {
        return Ok(None);
    }
    if store.is_shared() {
        // A shared crawl's state is the store's; this worker only cuts its log back to
        // what it last committed.
        let position = store.join(&super::shared::facts(config))?;
        if let (Some(log), Some(position)) = (log, position) {
            log.resume_at(position)?;
        }
        return Ok(None);
    }
    let recovery = store.recover()?;
    let Some(state) = recovery.state else {
        // Nothing was ever committed: what the log holds was written by a run that
        // committed none of it (its URLs are fetched again).
        if let Some(log) = log {
            log.resume_at(0)?;
        }
        return Ok(None);
    };
    let saved: Saved = serde_json::from_slice(&state)
        .map_err(|e| StoreError::Invalid(format!("the crawl's saved state cannot be read: {e}")))?;
    if saved.identity != identity(config) && !config.continue_other_crawl {
        return Err(StoreError::OtherCrawl("the state directory".to_string()));
    }
    if let (Some(log), Some(position)) = (log, saved.log_position) {
        log.resume_at(position)?;
    }
    Ok(Some(Resume {
        saved,
        queued: recovery.queued,
        host_pages: recovery.host_pages,
        spilled: recovery.spilled,
        sitemaps: recovery.sitemaps,
        variants: recovery.variants,
        cookies: recovery.cookies,
    }))
}
