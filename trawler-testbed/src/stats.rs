//! Request accounting: the testbed counts what it was asked for, so a test can check a
//! crawl for full coverage and zero duplicates without trusting the crawler's own report.
//!
//! One `AtomicU32` per page (4 MB per million pages) counts every request of that page,
//! faulted ones included; the fault plan is deterministic, so the snapshot can tell how many
//! of those requests were faults and how many were real 200 answers. Everything else is a
//! handful of `AtomicU64`s. Relaxed ordering is enough: counters are only summed, and a
//! snapshot taken while requests are in flight is approximate by nature.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::time::Instant;

/// One request, as recorded when `SiteSpec::record_log` is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// When the request arrived (before any latency or fault).
    pub at: Instant,
    /// Index of the host it was sent to (0 for 127.0.0.1).
    pub host: usize,
    /// The request path, without query.
    pub path: String,
    /// The status it was answered with; 0 when it got no answer (reset or stall fault).
    pub status: u16,
}

/// A snapshot of the testbed's counters (summed over hosts, with the per-host detail in
/// [`TestbedStats::per_host`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestbedStats {
    /// Every request, whatever it asked for.
    pub requests: u64,
    /// Body bytes answered (announced sizes; a reset body counts 0).
    pub bytes: u64,
    /// HTML pages reachable from `/` (over all hosts, for the total).
    pub reachable_pages: u64,
    /// Requests for reachable pages, faulted ones included.
    pub page_requests: u64,
    /// Distinct reachable pages requested at least once.
    pub pages_hit: u64,
    /// Distinct reachable pages answered normally at least once: the crawl's coverage.
    pub pages_served: u64,
    /// Normal answers beyond the first, summed over pages (retries of faults do not count).
    pub duplicate_page_requests: u64,
    /// Requests for pages that no page links to (a correct crawler makes none).
    pub unreachable_hits: u64,
    /// Requests for `/trap/...` URLs that appear only in `<script>`/`<style>` (answered 404).
    pub trap_hits: u64,
    /// Requests for existing assets (`/assets/...`).
    pub asset_hits: u64,
    /// Requests for `/robots.txt`, whether or not it exists.
    pub robots_hits: u64,
    /// Requests for existing sitemaps.
    pub sitemap_hits: u64,
    /// 404 answers other than traps.
    pub not_found: u64,
    /// `304` answers to an `If-None-Match` naming a page's `ETag`.
    pub not_modified: u64,
    /// Requests that were answered with an injected fault.
    pub faults_injected: u64,
    /// The same counters for each host (their own `per_host` is empty).
    pub per_host: Vec<TestbedStats>,
}

impl TestbedStats {
    /// Reachable pages never answered normally.
    #[must_use]
    pub fn missing_pages(&self) -> u64 {
        self.reachable_pages.saturating_sub(self.pages_served)
    }

    /// Every reachable page served, none twice, no unreachable page or trap requested.
    #[must_use]
    pub fn is_perfect_crawl(&self) -> bool {
        self.missing_pages() == 0
            && self.duplicate_page_requests == 0
            && self.unreachable_hits == 0
            && self.trap_hits == 0
    }

    fn add(&mut self, o: &Self) {
        self.requests += o.requests;
        self.bytes += o.bytes;
        self.reachable_pages += o.reachable_pages;
        self.page_requests += o.page_requests;
        self.pages_hit += o.pages_hit;
        self.pages_served += o.pages_served;
        self.duplicate_page_requests += o.duplicate_page_requests;
        self.unreachable_hits += o.unreachable_hits;
        self.trap_hits += o.trap_hits;
        self.asset_hits += o.asset_hits;
        self.robots_hits += o.robots_hits;
        self.sitemap_hits += o.sitemap_hits;
        self.not_found += o.not_found;
        self.not_modified += o.not_modified;
        self.faults_injected += o.faults_injected;
    }
}

/// The live counters of one host.
#[derive(Debug)]
pub(crate) struct HostCounters {
    /// Requests per page id (reachable ids first, then the unreachable ones).
    pub(crate) page_hits: Box<[AtomicU32]>,
    reachable: u32,
    pub(crate) requests: AtomicU64,
    pub(crate) bytes: AtomicU64,
    pub(crate) assets: AtomicU64,
    pub(crate) traps: AtomicU64,
    pub(crate) robots: AtomicU64,
    pub(crate) sitemaps: AtomicU64,
    pub(crate) not_found: AtomicU64,
    pub(crate) not_modified: AtomicU64,
    pub(crate) faults: AtomicU64,
}

impl HostCounters {
    pub(crate) fn new(reachable: u32, total: u32) -> Self {
        Self {
            page_hits: (0..total).map(|_| AtomicU32::new(0)).collect(),
            reachable,
            requests: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            assets: AtomicU64::new(0),
            traps: AtomicU64::new(0),
            robots: AtomicU64::new(0),
            sitemaps: AtomicU64::new(0),
            not_found: AtomicU64::new(0),
            not_modified: AtomicU64::new(0),
            faults: AtomicU64::new(0),
        }
    }

    /// Counts a request of page `id`; returns how many came before it.
    pub(crate) fn hit_page(&self, id: u32) -> u32 {
        self.page_hits[id as usize].fetch_add(1, Relaxed)
    }

    /// A snapshot; `faulted(id, hits)` says how many of a page's `hits` were faults.
    pub(crate) fn snapshot(&self, faulted: impl Fn(u32, u32) -> u32) -> TestbedStats {
        let mut s = TestbedStats {
            requests: self.requests.load(Relaxed),
            bytes: self.bytes.load(Relaxed),
            reachable_pages: u64::from(self.reachable),
            trap_hits: self.traps.load(Relaxed),
            asset_hits: self.assets.load(Relaxed),
            robots_hits: self.robots.load(Relaxed),
            sitemap_hits: self.sitemaps.load(Relaxed),
            not_found: self.not_found.load(Relaxed),
            not_modified: self.not_modified.load(Relaxed),
            faults_injected: self.faults.load(Relaxed),
            ..TestbedStats::default()
        };
        for (id, hits) in (0u32..).zip(self.page_hits.iter()) {
            let hits = hits.load(Relaxed);
            if hits == 0 {
                continue;
            }
            if id >= self.reachable {
                s.unreachable_hits += u64::from(hits);
                continue;
            }
            let served = hits - faulted(id, hits).min(hits);
            s.page_requests += u64::from(hits);
            s.pages_hit += 1;
            s.pages_served += u64::from(served > 0);
            s.duplicate_page_requests += u64::from(served.saturating_sub(1));
        }
        s
    }
}

/// Sums per-host snapshots into one, keeping them as `per_host`.
pub(crate) fn total(per_host: Vec<TestbedStats>) -> TestbedStats {
    let mut total = TestbedStats::default();
    for host in &per_host {
        total.add(host);
    }
    total.per_host = per_host;
    total
}

/// The optional request log.
#[derive(Debug, Default)]
pub(crate) struct RequestLog(Mutex<Vec<LogEntry>>);

impl RequestLog {
    pub(crate) fn push(&self, entry: LogEntry) {
        // A poisoned lock only means another request panicked mid-push; the log is still usable.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(entry);
    }

    pub(crate) fn entries(&self) -> Vec<LogEntry> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_separates_faults_duplicates_and_unreachable() {
        let c = HostCounters::new(4, 6);
        for id in [0, 1, 1, 2, 2, 2, 5] {
            c.hit_page(id);
        }
        // Page 2 is faulty for its first request: 3 hits = 1 fault + 1 served + 1 duplicate.
        let s = c.snapshot(|id, hits| if id == 2 { hits.min(1) } else { 0 });
        assert_eq!((s.pages_hit, s.pages_served, s.page_requests), (3, 3, 6));
        assert_eq!(s.duplicate_page_requests, 2);
        assert_eq!(s.unreachable_hits, 1);
        assert_eq!(s.missing_pages(), 1);
        let t = total(vec![s.clone(), s]);
        assert_eq!(
            (t.pages_served, t.reachable_pages, t.per_host.len()),
            (6, 8, 2)
        );
    }
}
