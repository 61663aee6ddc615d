//! The crawl's report: counts per outcome, status and skip reason, and throughput.
//!
//! Built by the supervisor as outcomes are recorded, so its counts always add up:
//! `fetched + failed + skipped` is the number of URLs the crawl accepted.

use crate::outcome::{Outcome, OutcomeKind, SkipReason};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// Why the crawl ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StopReason {
    /// Nothing was left to fetch.
    #[default]
    Completed,
    /// The page limit was reached.
    PageLimit,
    /// A plugin asked to stop ([`Flow::Stop`](crate::Flow::Stop) or `Output::stop`).
    Plugin,
    /// The host program asked to stop ([`StopHandle::stop`](crate::StopHandle::stop)).
    Requested,
    /// The crawl ran for its
    /// [`max_duration`](crate::CrawlConfigBuilder::max_duration).
    TimeLimit,
    /// The process ran out of file descriptors for sockets, so the crawl could not go on
    /// ([`Crawler::run`](crate::Crawler::run) then returns
    /// [`Error::OutOfFiles`](crate::Error::OutOfFiles)).
    OutOfFiles,
}

/// What a crawl did.
///
/// Serializable (`serde`) without its outcomes, duration and stop reason: a durable crawl
/// keeps its counters in its state, so a resumed crawl's report counts every run.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CrawlReport {
    /// URLs that got an HTTP answer.
    pub fetched: u64,
    /// URLs that failed after all attempts.
    pub failed: u64,
    /// URLs accepted but not fetched.
    pub skipped: u64,
    /// Skips by reason.
    pub skipped_by_reason: BTreeMap<SkipReason, u64>,
    /// Final answers by HTTP status (of fetched and failed-by-status URLs).
    pub statuses: BTreeMap<u16, u64>,
    /// HTTP requests sent, retries and redirects included.
    pub requests: u64,
    /// Attempts that were retries.
    pub retries: u64,
    /// robots.txt requests (redirect hops and retries included), not counted in `requests`.
    pub robots_fetches: u64,
    /// Sitemap requests (retries included), not counted in `requests`.
    pub sitemap_fetches: u64,
    /// URLs listed in the sitemaps read (before admission: duplicates and out-of-scope
    /// URLs included).
    pub sitemap_urls: u64,
    /// Body bytes read (after decompression).
    pub bytes: u64,
    /// Pages whose body was cut at the size cap.
    pub truncated: u64,
    /// Pages whose outcome is a rendered page (their last answer came from the crawl's
    /// browser).
    pub rendered: u64,
    /// Distinct canonical URLs the crawl saw (accepted or not), the size of the seen-set.
    pub urls_seen: u64,
    /// Links dropped because their canonical URL had been seen before.
    pub duplicates: u64,
    /// Worker actors that died and were restarted.
    pub restarts: u64,
    /// Pages whose `parse` returned an error or panicked.
    pub parse_errors: u64,
    /// Panics caught in plugin code (`parse`, `should_follow`, `start_requests`,
    /// `on_failure`); the crawl goes on after each.
    pub plugin_panics: u64,
    /// Items that came out of the last pipeline stage.
    pub items: u64,
    /// Items dropped by a pipeline error (and failed pipeline closes).
    pub item_errors: u64,
    /// With a page cache of an earlier crawl (`Crawler::revisits`): pages new, changed,
    /// unchanged and gone, and the bytes `304`s saved.
    pub revisits: crate::revisit::RevisitCounts,
    /// Wall time of the crawl.
    #[serde(skip)]
    pub elapsed: Duration,
    /// Why it ended.
    #[serde(skip)]
    pub stop_reason: StopReason,
    /// Every outcome, when [`collect_outcomes`](crate::CrawlConfigBuilder::collect_outcomes) is on.
    #[serde(skip)]
    pub outcomes: Vec<Outcome>,
}

/// `n` per second over `elapsed` (0 for no time at all).
pub(crate) fn per_sec(n: u64, elapsed: Duration) -> f64 {
    let s = elapsed.as_secs_f64();
    if s > 0.0 { n as f64 / s } else { 0.0 }
}

impl CrawlReport {
    /// The counters, without the outcomes collected.
    pub(crate) fn clone_counters(&self) -> CrawlReport {
        CrawlReport {
            outcomes: Vec::new(),
            skipped_by_reason: self.skipped_by_reason.clone(),
            statuses: self.statuses.clone(),
            ..*self
        }
    }

    /// URLs the crawl accepted: each has exactly one outcome.
    pub fn accepted(&self) -> u64 {
        self.fetched + self.failed + self.skipped
    }

    /// Fetched pages per second of wall time.
    pub fn pages_per_sec(&self) -> f64 {
        per_sec(self.fetched, self.elapsed)
    }

    pub(crate) fn record(&mut self, o: &Outcome) {
        match &o.kind {
            OutcomeKind::Fetched => self.fetched += 1,
            OutcomeKind::Failed(_) => self.failed += 1,
            OutcomeKind::Skipped(r) => {
                self.skipped += 1;
                *self.skipped_by_reason.entry(*r).or_default() += 1;
            }
        }
        if let Some(s) = o.status {
            *self.statuses.entry(s).or_default() += 1;
        }
        if o.truncated {
            self.truncated += 1;
        }
        if o.rendered {
            self.rendered += 1;
        }
        if o.parse_error.is_some() {
            self.parse_errors += 1;
        }
        if let Some(r) = o.revisit {
            self.revisits.add(r, o.bytes_saved);
        }
    }
}

impl fmt::Display for CrawlReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} URLs: {} fetched, {} failed, {} skipped ({:?})",
            self.accepted(),
            self.fetched,
            self.failed,
            self.skipped,
            self.stop_reason
        )?;
        if !self.statuses.is_empty() {
            let s: Vec<String> = self
                .statuses
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            writeln!(f, "statuses: {}", s.join(", "))?;
        }
        if !self.skipped_by_reason.is_empty() {
            let s: Vec<String> = self
                .skipped_by_reason
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            writeln!(f, "skipped: {}", s.join(", "))?;
        }
        writeln!(
            f,
            "{} requests ({} retries), {:.1} MB, {} URLs seen, {} duplicate links, {} items",
            self.requests,
            self.retries,
            self.bytes as f64 / 1e6,
            self.urls_seen,
            self.duplicates,
            self.items
        )?;
        if self.robots_fetches + self.sitemap_fetches > 0 {
            writeln!(
                f,
                "{} robots.txt requests, {} sitemap requests ({} URLs listed)",
                self.robots_fetches, self.sitemap_fetches, self.sitemap_urls
            )?;
        }
        if self.rendered > 0 {
            writeln!(f, "{} pages rendered in the browser", self.rendered)?;
        }
        write!(
            f,
            "{:.2} s, {:.0} pages/s",
            self.elapsed.as_secs_f64(),
            self.pages_per_sec()
        )
    }
}
