//! A durable crawl's side of the engine: resuming from what a store kept, taking and
//! applying commits (with the outcome log's and the pipelines' positions), a store that
//! fails, and a stop that leaves the queue in the store for the next run.
//!
//! What a commit holds is gathered by the [`journal`](super::journal); when the shell
//! commits, and why in that order, is said there.

use super::journal::{self, Saved};
use super::{Engine, Resume};
use crate::canon;
use crate::outcome::SkipReason;
use crate::report::StopReason;
use crate::request::Request;
use crate::spider::Spider;
use crate::store::{CommitBatch, StoreError};
use std::time::{Duration, Instant, SystemTime};

/// A commit taken from the journal, waiting for the pipelines to catch up with it.
#[derive(Debug)]
pub(super) struct PendingCommit {
    batch: CommitBatch,
    saved: Saved,
}

impl<S: Spider> Engine<S> {
    /// Takes a durable crawl up where its last commit left it: its counters, the trap
    /// counters and the sitemaps taken on (see [`kept`](super::kept)), and every request
    /// not ended (those in flight then included) queued again in discovery order, a retry
    /// at its due time. robots.txt rules come back host by host as the hosts are met.
    pub(super) fn resume(&mut self, resume: Resume) {
        let Resume {
            saved,
            queued,
            host_pages,
            spilled: _,
            sitemaps,
            variants,
            cookies: _,
        } = resume;
        tracing::info!(queued = queued.len(), "resuming the crawl from its state");
        self.ledger.report = saved.report;
        self.ledger.restore_dispatched(saved.dispatched);
        self.host_budget.restore(host_pages);
        self.admission.restore_variants(&variants);
        self.restore_sitemaps(&sitemaps);
        let now_ms = journal::unix_ms(SystemTime::now());
        for q in queued {
            let Some(r) = q.to_request() else {
                tracing::warn!(url = %q.url, "a queued URL of the state is not a URL; dropped");
                continue;
            };
            match q.due_ms.filter(|&due| due > now_ms) {
                Some(due) => self.enqueue_later(r, Duration::from_millis(due - now_ms)),
                None => self.enqueue(r),
            }
        }
        self.seed_sitemaps();
    }

    /// Queues a request taken back that waits for a retry, `wait` from now: judged by
    /// robots.txt like any request taken back, then held until it is due.
    pub(super) fn enqueue_later(&mut self, r: Request, wait: Duration) {
        let Some(key) = canon::host_key(&r.url) else {
            return self.skip(r, SkipReason::Scheme);
        };
        let host = self.frontier.host_id(&key);
        if let Some(r) = self.robots_gate(host, r, false) {
            self.frontier.retry_waiting(host);
            self.delayed.push(self.clock + wait, (host, r));
        }
    }

    /// The cookie jars, saved, go with the next commit (a durable crawl's only).
    pub(crate) fn note_cookies(&mut self, jars: Vec<u8>) {
        self.journal.note_cookies(jars);
    }

    /// Whether a durable crawl keeps what the crawl learns (its commits are not empty).
    pub(crate) fn is_journaled(&self) -> bool {
        self.journal.is_on()
    }

    /// Whether a durable crawl's commit is due.
    pub(crate) fn commit_due(&self, now: Instant) -> bool {
        self.journal.due(now)
    }

    /// Where the archive ends now: the next commit records it.
    pub(crate) fn note_archive(&mut self, mark: Option<crate::fetch::record::ArchiveMark>) {
        self.archive_mark = mark;
    }

    /// Commits what changed since the last commit, with `log_position` (how far the
    /// outcome log is written). With `wait` (the crawl has pipelines), the commit is held
    /// until [`pipelines_marked`](Self::pipelines_marked) brings the pipelines' positions,
    /// once every item sent before now went through them; the caller sends the mark.
    /// Returns whether a commit was held (nothing is taken for a memory store, or a store
    /// that failed).
    pub(crate) fn commit(&mut self, log_position: Option<u64>, wait: bool) -> bool {
        if !self.journal.is_on() || self.store_error.is_some() {
            return false;
        }
        let saved = Saved {
            identity: journal::identity(&self.cfg),
            report: self.ledger.report.clone_counters(),
            dispatched: self.ledger.dispatched(),
            log_position,
            pipelines: Vec::new(),
            archive: self.archive_mark,
        };
        let mut batch = self.journal.take();
        batch.host_pages = self.host_budget.take_changes();
        let pending = PendingCommit { batch, saved };
        if wait {
            self.held_commits.push_back(pending);
        } else {
            self.apply_commit(pending, None);
        }
        wait
    }

    /// The pipelines' positions at the oldest held commit's mark: it is applied. `None`:
    /// the pipelines are gone (no mark will be answered); every held commit is applied
    /// with the positions last committed.
    pub(crate) fn pipelines_marked(&mut self, positions: Option<Vec<Option<u64>>>) {
        match positions {
            Some(p) => {
                if let Some(pending) = self.held_commits.pop_front() {
                    self.apply_commit(pending, Some(p));
                }
            }
            None => {
                while let Some(pending) = self.held_commits.pop_front() {
                    self.apply_commit(pending, None);
                }
            }
        }
    }

    /// Commits `pending` with the pipelines' positions (`None`: as last committed).
    /// Commits are applied in the order they were taken. A store that fails stops the
    /// crawl.
    fn apply_commit(&mut self, pending: PendingCommit, pipelines: Option<Vec<Option<u64>>>) {
        if self.store_error.is_some() {
            return;
        }
        if let Some(p) = pipelines {
            self.pipeline_positions = p;
        }
        let PendingCommit {
            mut batch,
            mut saved,
        } = pending;
        saved.pipelines = self.pipeline_positions.clone();
        batch.log_position = saved.log_position;
        batch.state = Some(serde_json::to_vec(&saved).unwrap_or_default());
        match self.store.commit(batch) {
            Ok(()) => self.spill.committed(),
            Err(e) => self.store_failed(e),
        }
    }

    /// Where a durable crawl's pipelines are to cut their output back to before the first
    /// item, one position per pipeline (0 when nothing was committed); `None` in memory or
    /// for a shared crawl.
    pub(crate) fn pipeline_cuts(&self) -> Option<Vec<u64>> {
        // A shared crawl keeps no pipeline positions: its pipelines' items are written at
        // least once (a page fetched again after a worker's loss gives its items again).
        if !self.journal.is_on() || self.shared {
            return None;
        }
        let saved = self.resume.as_ref().map(|r| r.saved.pipelines.as_slice());
        let saved = saved.unwrap_or_default();
        Some(saved.iter().map(|p| p.unwrap_or(0)).collect())
    }

    /// The store (or the outcome log a commit covers) failed: the crawl stops, its state
    /// as of the last commit.
    pub(crate) fn store_failed(&mut self, e: StoreError) {
        if self.store_error.is_some() {
            return;
        }
        tracing::error!(error = %e, "keeping the crawl's state failed; stopping");
        self.store_error = Some(e);
        self.stop(StopReason::Requested);
    }

    /// The store's failure, if it failed.
    pub(crate) fn take_store_error(&mut self) -> Option<StoreError> {
        self.store_error.take()
    }

    /// Whether a stop leaves what is queued in the store for a resumed run, instead of
    /// recording it as skipped: a durable crawl stopped for any reason but its page limit.
    pub(super) fn keeps_queue(&self) -> bool {
        self.journal.is_on()
            && (self.shared || !matches!(self.stopping, Some(StopReason::PageLimit) | None))
    }

    /// A request the stopping crawl does not fetch: kept queued in a durable store for the
    /// next run, or recorded as skipped (`Stopped`).
    pub(super) fn leave(&mut self, r: Request) {
        if !self.keeps_queue() {
            self.skip(r, SkipReason::Stopped);
        }
    }
}
