//! The engine's vocabulary: what goes out to the workers and what comes back, as plain
//! owned data with no actor in sight.
//!
//! The actors wrap these in their messages (`actors::messages`); the engine and its
//! tests use them as they are.

use crate::error::FetchError;
use crate::harvest::{Discovered, Signals};
use crate::outcome::SkipReason;
use crate::politeness::robots::RobotsAnswer;
use crate::request::Request;
use crate::robots_meta::RobotsDirectives;
use crate::sitemap::SitemapAnswer;
use std::time::Duration;
use url::Url;

/// A ticket names one dispatched attempt (its lease); a result whose ticket is unknown is
/// stale (its request was re-queued after its worker died) and is ignored.
pub(crate) type Ticket = u64;

/// One request for a worker's fetcher.
#[derive(Debug)]
pub(crate) struct FetchJob {
    pub(crate) ticket: Ticket,
    pub(crate) request: Request,
}

/// Which of a site's own files the crawler wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// `/robots.txt`, after `hops` redirects.
    Robots { hops: u8 },
    /// A sitemap.
    Sitemap,
}

/// A robots.txt or sitemap request for a worker's fetcher (no middleware verdict, no parser).
#[derive(Debug)]
pub(crate) struct FileJob {
    pub(crate) ticket: Ticket,
    pub(crate) url: Url,
    pub(crate) kind: FileKind,
}

/// What was learned about an answer, whatever is done with it.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResponseMeta {
    pub(crate) status: u16,
    pub(crate) bytes: u64,
    pub(crate) elapsed: Duration,
    pub(crate) content_type: Option<String>,
    pub(crate) truncated: bool,
    /// The answer came from the crawl's browser.
    pub(crate) rendered: bool,
    /// The raw `Location` of a redirect answer.
    pub(crate) location: Option<String>,
    /// What the page is to the page cache of an earlier crawl, if there is one.
    pub(crate) revisit: Option<crate::revisit::Revisit>,
    /// Body bytes a `304` saved.
    pub(crate) saved: u64,
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
    /// A request hook dropped the request (and maybe asked to stop the crawl).
    Skipped { reason: SkipReason, stop: bool },
    /// No fault of the URL (the process ran out of file descriptors): queue it again as
    /// it was, the attempt not counted.
    Requeue,
}

/// A parsed page, as the engine needs it.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub(crate) meta: ResponseMeta,
    pub(crate) discovered: Vec<Discovered>,
    pub(crate) duplicates: u32,
    pub(crate) parse_error: Option<String>,
    pub(crate) links_truncated: bool,
    /// The page's robots directives, as the crawl acted on them.
    pub(crate) robots: RobotsDirectives,
    pub(crate) signals: Signals,
    /// Items the spider produced (they go to the pipelines beside the engine).
    pub(crate) items: usize,
}

/// What a site file said, already interpreted on the worker.
#[derive(Debug)]
pub(crate) enum FileAnswer {
    Robots(RobotsAnswer),
    Sitemap(SitemapAnswer),
}
