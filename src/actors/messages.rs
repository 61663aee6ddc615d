//! Every message that crosses between actors: plain owned data, one place.
//!
//! Commands are imperative (`FetchBatch`, `Parse`), events past tense (`Fetched`,
//! `PageParsed`, `ItemsProcessed`, `PipelinesClosed`). No `scraper::Html` or
//! `awc::Client` ever travels in a message. Every message a worker receives was paid
//! for with one unit of the crawl's concurrency budget, so these mailboxes stay bounded
//! even though actix's `do_send` itself is not.

use crate::error::FetchError;
use crate::harvest::{Discovered, FetchedPage, Signals};
use crate::outcome::SkipReason;
use crate::politeness::robots::RobotsAnswer;
use crate::request::Request;
use crate::robots_meta::RobotsDirectives;
use crate::sitemap::SitemapAnswer;
use actix::Message;
use std::time::Duration;
use url::Url;

/// A ticket names one dispatched attempt; results with an unknown ticket are stale
/// (their request was re-queued after its worker died) and are ignored.
pub(crate) type Ticket = u64;

/// One request for a fetcher.
#[derive(Debug)]
pub(crate) struct FetchJob {
    pub(crate) ticket: Ticket,
    pub(crate) request: Request,
}

/// Supervisor → fetcher: start these requests (as many as the fetcher's share of the budget).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct FetchBatch(pub(crate) Vec<FetchJob>);

/// What was learned about an answer, whatever is done with it.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResponseMeta {
    pub(crate) status: u16,
    pub(crate) bytes: u64,
    pub(crate) elapsed: Duration,
    pub(crate) content_type: Option<String>,
    pub(crate) truncated: bool,
    /// The raw `Location` of a redirect answer.
    pub(crate) location: Option<String>,
}

/// How one attempt ended, when there is no page to parse.
#[derive(Debug)]
pub(crate) enum FetchResult {
    /// An answer to record as it is: not HTML, not 2xx, or a redirect.
    Answer(ResponseMeta),
    /// A failure another attempt may fix (network trouble, 503, 429...).
    Transient {
        error: FetchError,
        meta: Option<ResponseMeta>,
        retry_after: Option<Duration>,
    },
    /// A failure no retry will fix.
    Failed {
        error: FetchError,
        meta: Option<ResponseMeta>,
    },
    /// A request middleware dropped the request (and maybe asked to stop the crawl).
    Skipped { reason: SkipReason, stop: bool },
}

/// Fetcher → supervisor: an attempt ended without a page to parse.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct Fetched {
    pub(crate) ticket: Ticket,
    pub(crate) result: FetchResult,
}

/// Fetcher → parser (same arbiter): an HTML page to parse.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct Parse {
    pub(crate) ticket: Ticket,
    pub(crate) request: Request,
    pub(crate) meta: ResponseMeta,
    pub(crate) page: FetchedPage,
}

/// Parser → supervisor: a page was parsed.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct PageParsed<I: Send + 'static> {
    pub(crate) ticket: Ticket,
    pub(crate) meta: ResponseMeta,
    pub(crate) items: Vec<I>,
    pub(crate) discovered: Vec<Discovered>,
    pub(crate) duplicates: u32,
    pub(crate) parse_error: Option<String>,
    pub(crate) signals: Signals,
    /// The page's robots directives, as the crawl acted on them.
    pub(crate) robots: RobotsDirectives,
}

/// Pipeline task → supervisor: one page's items went through the pipelines.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct ItemsProcessed {
    pub(crate) passed: u64,
    pub(crate) errors: u64,
}

/// Pipeline task → supervisor: every pipeline was closed (or the task died).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct PipelinesClosed {
    pub(crate) errors: u64,
}

/// Which of a site's own files the crawler wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// `/robots.txt`, after `hops` redirects.
    Robots { hops: u8 },
    /// A sitemap.
    Sitemap,
}

/// Supervisor → fetcher: fetch a robots.txt or a sitemap for the crawl itself (no
/// middleware, no parser), and read it on the worker thread.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct FetchFile {
    pub(crate) ticket: Ticket,
    pub(crate) url: Url,
    pub(crate) kind: FileKind,
}

/// What a site file said, already interpreted.
#[derive(Debug)]
pub(crate) enum FileAnswer {
    Robots(RobotsAnswer),
    Sitemap(SitemapAnswer),
}

/// Fetcher → supervisor: a [`FetchFile`] ended.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct FileFetched {
    pub(crate) ticket: Ticket,
    pub(crate) answer: FileAnswer,
}
