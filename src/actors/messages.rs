//! Every message that crosses between actors: the engine's own types (`engine::types`)
//! wrapped for actix, in one place.
//!
//! Commands are imperative (`FetchBatch`, `Parse`, `Attend`), events past tense (`Fetched`,
//! `Results`, `ItemsProcessed`, `PipelinesClosed`). No `scraper::Html` or HTTP client
//! ever travels in a message. Every message a worker receives was paid for with one unit
//! of the crawl's concurrency budget, so these mailboxes stay bounded even though actix's
//! `do_send` itself is not.

use crate::engine::types::{
    FetchJob, FetchResult, FileAnswer, FileJob, Parsed, ResponseMeta, Ticket,
};
use crate::harvest::FetchedPage;
use crate::request::Request;
use actix::Message;

/// Hub → fetcher: start these requests (as many as the fetcher's share of the budget).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct FetchBatch(pub(crate) Vec<FetchJob>);

/// Fetcher → parser (same arbiter): an attempt ended without a page to parse; it goes to
/// the engine with the turn's parsed pages.
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

/// One page parsed: its outcome, items and admitted links.
#[derive(Debug)]
pub(crate) struct PageParsed<I: Send + 'static> {
    pub(crate) ticket: Ticket,
    pub(crate) parsed: Parsed,
    pub(crate) items: Vec<I>,
}

/// One attempt's end, as a worker hands it to the engine.
#[derive(Debug)]
pub(crate) enum WorkerResult<I: Send + 'static> {
    /// An HTML page, parsed.
    Page(PageParsed<I>),
    /// Anything else.
    Fetched(Fetched),
}

/// Parser → supervisor: the results of one turn of a worker's thread, in order, when the
/// worker could not hand them to the engine itself (the hub was busy, or the crawl is
/// shared): one message, and one wake-up of the supervisor's thread, for a burst.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct Results<I: Send + 'static>(pub(crate) Vec<WorkerResult<I>>);

/// Parser → supervisor: a worker's pump left something only the supervisor does (a timer
/// earlier than its own, a commit, the end of the crawl, a panic to raise).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct Attend;

/// Pipeline task → supervisor: one page's items went through the pipelines.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct ItemsProcessed {
    pub(crate) passed: u64,
    pub(crate) errors: u64,
}

/// Pipeline task → supervisor: every item sent before a commit mark went through; each
/// pipeline's position (see `Pipeline::position`).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct PipelinesMarked {
    pub(crate) positions: Vec<Option<u64>>,
}

/// Pipeline task → supervisor: every pipeline was closed (or the task died).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct PipelinesClosed {
    pub(crate) errors: u64,
}

/// Supervisor → fetcher: fetch a robots.txt or a sitemap for the crawl itself, and read
/// it on the worker thread.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct FetchFile(pub(crate) FileJob);

/// Fetcher → supervisor: a [`FetchFile`] ended.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct FileFetched {
    pub(crate) ticket: Ticket,
    pub(crate) answer: FileAnswer,
}

/// Supervisor → fetchers: these hosts (`host:port`) have no work left; their idle
/// connections can go.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct RetireHosts(pub(crate) Vec<String>);

/// Fetcher → supervisor: the process has no file descriptor left for a socket. `page`: the
/// page attempt that found it out, to queue again; it comes with the notice, so the crawl
/// is stopping by the time the request is taken back (and it is recorded as stopped, not
/// sent again at once).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct OutOfFiles {
    pub(crate) what: String,
    pub(crate) page: Option<Ticket>,
}
