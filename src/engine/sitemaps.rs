//! The engine's side of sitemaps: which ones to read, and where their URLs go.
//!
//! Sitemaps are offered from the seeds' hosts (`/sitemap.xml`), robots.txt `Sitemap:`
//! lines, indexes and redirects; each is taken on once, within the bounds of
//! [`SitemapBook`](crate::sitemap::SitemapBook), and only on an allowed host (a sitemap
//! may name any host; fetching files from hosts the crawl will not visit is not its
//! business). Its URLs go through the crawl's own admission (canonicalization, seen-set,
//! scope, `should_follow`) at depth 1, as if linked from a seed page: `max_depth(0)` then
//! keeps them out, and their own links are depth 2. A failed sitemap is retried with the
//! crawl's retry policy, then dropped with a warning: it only ever adds URLs.

use super::Engine;
use super::site_files::{Job, What};
use crate::canon;
use crate::error::FetchError;
use crate::request::Request;
use crate::sitemap::{SitemapAnswer, SitemapKind};
use crate::spider::Spider;
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

impl<S: Spider> Engine<S> {
    /// Queues the `/sitemap.xml` of every seed's host.
    pub(super) fn seed_sitemaps(&mut self) {
        if !self.cfg.sitemaps || self.ledger.limit_reached() {
            return;
        }
        for seed in self.cfg.seeds.clone() {
            if let Ok(url) = seed.join("/sitemap.xml") {
                self.offer_sitemap(url, 1);
            }
        }
    }

    /// Queues the sitemap at `url`, found at nesting `level`, if it is new and allowed.
    pub(super) fn offer_sitemap(&mut self, url: Url, level: u8) {
        if !self.cfg.sitemaps
            || self.stopping.is_some()
            || !matches!(url.scheme(), "http" | "https")
            || !self.cfg.scope.host_allowed(&url)
            || !self.files.book.offer(&url, level)
        {
            return;
        }
        self.keep_sitemap(&url, level, false);
        self.queue_sitemap(url, level);
    }

    /// Queues the job of reading the sitemap at `url` (nesting `level`), taken on.
    pub(super) fn queue_sitemap(&mut self, url: Url, level: u8) {
        let Some(key) = canon::host_key(&url) else {
            return;
        };
        let host = self.frontier.host_id(&key);
        self.files.ready.push_back(Job {
            host,
            url,
            what: What::Sitemap { level },
            failures: 0,
        });
    }

    pub(super) fn on_sitemap(&mut self, job: Job, answer: SitemapAnswer, now: Instant) {
        let What::Sitemap { level } = job.what else {
            return;
        };
        if self.stopping.is_some() {
            return;
        }
        if !matches!(answer, SitemapAnswer::Retry { .. }) {
            // Read: its URLs (or the sitemaps it names) are noted with it.
            self.keep_sitemap(&job.url, level, true);
        }
        match answer {
            SitemapAnswer::Doc(doc) => {
                if let Some(problem) = &doc.problem {
                    tracing::warn!(url = %job.url, %problem, "sitemap read in part");
                }
                match doc.kind {
                    SitemapKind::Index => {
                        for loc in &doc.locs {
                            if let Ok(url) = job.url.join(loc) {
                                self.offer_sitemap(url, level.saturating_add(1));
                            }
                        }
                    }
                    SitemapKind::Urls => self.admit_listed(&job.url, &doc.locs),
                }
            }
            SitemapAnswer::Redirect(location) => {
                if let Ok(url) = job.url.join(&location) {
                    self.offer_sitemap(url, level);
                }
            }
            SitemapAnswer::Retry { error, retry_after } => {
                self.sitemap_failed(job, error, retry_after, now);
            }
            SitemapAnswer::Gone(status) => {
                tracing::debug!(url = %job.url, status, "no sitemap there");
            }
        }
    }

    fn admit_listed(&mut self, sitemap: &Url, locs: &[String]) {
        self.ledger.report.sitemap_urls += locs.len() as u64;
        let referrer = Arc::new(sitemap.clone());
        for loc in locs {
            let Ok(url) = sitemap.join(loc) else {
                continue;
            };
            let referrer = referrer.clone();
            self.admit(url, 1, move |u| {
                let mut r = Request::new(u);
                r.depth = 1;
                r.referrer = Some(referrer);
                r
            });
        }
    }

    /// A sitemap attempt got no usable answer: retry per the crawl's policy, or drop it.
    pub(super) fn sitemap_failed(
        &mut self,
        mut job: Job,
        error: FetchError,
        retry_after: Option<Duration>,
        now: Instant,
    ) {
        job.failures += 1;
        let wait = match self.stopping {
            None => self.cfg.retry.after_failure(job.failures, retry_after),
            Some(_) => None,
        };
        match wait {
            Some(wait) => self.files.push_later(now + wait, job),
            None if self.stopping.is_some() => {}
            None => {
                tracing::warn!(url = %job.url, %error, "sitemap not read");
                if let What::Sitemap { level } = job.what {
                    self.keep_sitemap(&job.url, level, true);
                }
            }
        }
    }
}
