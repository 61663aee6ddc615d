//! The archive seam: where a crawl that keeps an archive hands each exchange, and how a
//! durable crawl's commits say how far the archive goes.
//!
//! The fetchers call [`Recorder::record`] with every answer a transport brought (pages,
//! redirects, error pages, robots.txt and sitemaps), before the answer goes on to be
//! parsed or recorded as an outcome. So when a durable crawl commits an outcome, its
//! exchange was handed over before it; [`Recorder::mark`] waits for everything handed over
//! so far to be written and says where the archive ends, and that mark goes into the
//! commit. A resumed crawl cuts the archive back to its last mark, so the archive holds
//! each committed page once and no torn record. The WARC writer
//! ([`crate::archive`], feature `warc`) is the implementation.

use super::transport::FetchResponse;
use crate::headers::Headers;
use url::Url;

/// Where a durable crawl's archive ended at a commit: the file's serial number and its
/// length up to the last whole exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct ArchiveMark {
    /// The number of the file being written (1 for the first).
    pub(crate) serial: u32,
    /// Its length, in bytes, up to the last whole exchange.
    pub(crate) len: u64,
}

/// Takes a crawl's exchanges (see the module docs). Called from every fetcher's thread.
pub(crate) trait Recorder: Send + Sync {
    /// Keeps one exchange: `url` asked with `sent` (the headers the fetcher gave the
    /// transport, for a transport that brings no
    /// [`Wire`](super::transport::Wire)), answered by `response`.
    fn record(&self, url: &Url, sent: &Headers, response: &FetchResponse);

    /// Waits until everything recorded so far is written, and says where the archive
    /// ends; `Err` if it could not be written.
    fn mark(&self) -> Result<Option<ArchiveMark>, String>;

    /// The first write failure, if one happened (the crawl then stops).
    fn failure(&self) -> Option<String>;

    /// Writes what is left and closes the archive; `Err` if it could not be written.
    fn finish(&self) -> Result<(), String>;
}
