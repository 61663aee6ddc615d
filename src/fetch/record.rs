//! The archive seam: where a crawl that keeps an archive hands each exchange, and how a
//! durable crawl's commits say how far the archive goes.
//!
//! The fetchers call [`Recorder::record`] with every answer a transport brought (pages,
//! redirects, error pages, robots.txt and sitemaps), before the answer goes on to be
//! parsed or recorded as an outcome. A page's exchanges (every attempt that got an
//! answer) are held until the supervisor hands out the URL's outcome and calls
//! [`Recorder::release`]: they are written in the order of the outcome records, so a
//! durable crawl's commit, which asks [`Recorder::mark`] where the archive ends, covers
//! exactly the exchanges of the outcomes it commits. A resumed crawl cuts the archive back
//! to its last mark: the pages it fetches again (those whose outcomes were not committed)
//! were cut from the archive with their records, so the archive holds each committed page
//! once and no torn record. robots.txt and sitemap answers, which have no outcome, are
//! written at once. The WARC writer ([`crate::archive`], feature `warc`) is the
//! implementation.

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
    /// [`Wire`](super::transport::Wire)), answered by `response`. A page's (`held`)
    /// waits for [`release`](Self::release); a site file's is written at once.
    fn record(&self, url: &Url, sent: &Headers, response: &FetchResponse, held: bool);

    /// The outcomes of these URLs are being recorded: their held exchanges are written,
    /// in this order.
    fn release(&self, urls: &mut dyn Iterator<Item = &Url>);

    /// Waits until everything recorded so far is written, and says where the archive
    /// ends; `Err` if it could not be written.
    fn mark(&self) -> Result<Option<ArchiveMark>, String>;

    /// The first write failure, if one happened (the crawl then stops).
    fn failure(&self) -> Option<String>;

    /// Writes what is left and closes the archive; `Err` if it could not be written.
    fn finish(&self) -> Result<(), String>;
}
