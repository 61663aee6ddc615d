//! Incremental recrawls: a crawl that keeps its pages in a cache directory asks again,
//! the next time, only for what changed (feature `durable`).
//!
//! With a `RevisitCache` (`Crawler::revisits`, with the `durable` feature; `trawler
//! crawl --cache DIR`), every HTML page answered `200` is kept with its validators. The
//! next crawl asks for each kept page with `If-None-Match`/`If-Modified-Since`; a `304`
//! that matches (see `policy`) means the page did not change: its outcome says status
//! `304`, [`Revisit::Unchanged`], no body bytes read, and the kept body is parsed again,
//! so its links are followed (and its items made) as in the crawl that kept it: the
//! recrawl covers the whole site. What RFC 9111 says may not be reused (`no-store`, a
//! `304` whose validators do not match) is fetched whole.
//!
//! Each outcome of a page says what it is to the cache ([`Outcome::revisit`](crate::Outcome::revisit)):
//! new, changed, unchanged (also a full answer whose body is the same), or gone (`404` or
//! `410` now); and the [`CrawlReport::revisits`](crate::CrawlReport::revisits) counts them,
//! with the body bytes a `304` saved and, for a crawl that ran to its end, the kept pages
//! it never met (gone too: they are forgotten).

#[cfg(feature = "durable")]
mod cache;
#[cfg(feature = "durable")]
mod kept;
#[cfg(feature = "durable")]
mod policy;

#[cfg(feature = "durable")]
pub use kept::RevisitCache;

use crate::fetch::transport::FetchResponse;
use crate::headers::Headers;
use url::Url;

/// What a page is to the cache of the crawl before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Revisit {
    /// Not kept before.
    New,
    /// Kept before, and its body is another now.
    Changed,
    /// Kept before, and the same: a `304`, or the same body again.
    Unchanged,
    /// Kept before, and `404` or `410` now.
    Gone,
}

/// A recrawl's counts ([`CrawlReport::revisits`](crate::CrawlReport::revisits)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RevisitCounts {
    /// Pages not kept before.
    pub new: u64,
    /// Pages whose body changed.
    pub changed: u64,
    /// Pages that did not change.
    pub unchanged: u64,
    /// Pages kept before and gone: `404`/`410` now, or, when the crawl ran to its end,
    /// never met.
    pub gone: u64,
    /// Body bytes not read thanks to `304`s (as the pages were kept, decoded).
    pub bytes_saved: u64,
}

impl RevisitCounts {
    /// Counts one page.
    pub(crate) fn add(&mut self, revisit: Revisit, saved: u64) {
        match revisit {
            Revisit::New => self.new += 1,
            Revisit::Changed => self.changed += 1,
            Revisit::Unchanged => self.unchanged += 1,
            Revisit::Gone => self.gone += 1,
        }
        self.bytes_saved += saved;
    }
}

/// What the cache knew of a page before its request went out (opaque to the fetcher).
pub(crate) type Prior = Box<dyn std::any::Any + Send>;

/// What a page's answer was to the cache, for its outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Note {
    pub(crate) revisit: Revisit,
    /// Body bytes a `304` saved.
    pub(crate) saved: u64,
    /// The status the server sent (a `304`, when the kept page stands in for it).
    pub(crate) status: u16,
}

/// Where a crawl's pages are kept for the next one: the fetchers ask it before a page's
/// request and tell it the answer ([`RevisitCache`] on disk is the one there is).
pub(crate) trait PageCache: Send + Sync + std::fmt::Debug {
    /// What is kept of `url`; the validators its request sends go into `headers`.
    fn before(&self, url: &Url, headers: &mut Headers) -> Prior;

    /// Takes the answer to the request (`sent` its headers), keeps it, and gives back what
    /// stands for it (the kept page after a matching `304`), with its note.
    fn after(
        &self,
        url: &Url,
        prior: Prior,
        sent: &Headers,
        answer: FetchResponse,
    ) -> (FetchResponse, Option<Note>);

    /// The crawl is over: when it ran to its end, the kept pages it never met are
    /// forgotten and counted (`None` otherwise).
    fn finish(&self, completed: bool) -> Option<u64>;
}
