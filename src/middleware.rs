//! Request and response hooks that run inside the fetchers.
//!
//! For what is about HTTP rather than pages: headers, cookies, auth, a custom user agent
//! per host, retry decisions from the response (including its body). Hooks are
//! synchronous and run on a fetcher thread for every request, so keep them cheap.
//! A hook that panics takes its fetcher down: the supervisor restarts the fetcher and
//! re-queues what it held (the attempt counts). A hook that sets a header that is not valid
//! HTTP fails that request with [`FetchError::BadRequestHeader`](crate::FetchError::BadRequestHeader):
//! nothing is sent, and the outcome says why. The chain itself runs in [`chain`].

pub(crate) mod chain;

use crate::headers::{Headers, InvalidHeader};
use crate::request::{Flow, Request};
use url::Url;

/// A request/response hook. Both methods have do-nothing defaults.
///
/// ```no_run
/// use trawler::prelude::*;
///
/// /// Sends a token to one host, and retries pages that say the server is busy.
/// struct Auth {
///     token: String,
/// }
///
/// impl Middleware for Auth {
///     fn on_request(&self, request: &mut OutgoingRequest<'_>) -> Flow {
///         if request.url().host_str() == Some("127.0.0.1") {
///             // An invalid value (a line break ...) fails this request with a clear error.
///             let _ = request.set_header("authorization", &format!("Bearer {}", self.token));
///         }
///         Flow::Continue
///     }
///
///     fn on_response(&self, response: &ResponseView<'_>) -> ResponseAction {
///         if response.status() == 200 && response.body().starts_with(b"busy") {
///             ResponseAction::Retry
///         } else {
///             ResponseAction::Default
///         }
///     }
/// }
///
/// let config = CrawlConfig::builder().seed("http://127.0.0.1:8080/").build()?;
/// let auth = Auth { token: "s3cret".into() };
/// let report = Crawler::new(config, FnSpider::<()>::new()).middleware(auth).run()?;
/// # Ok::<(), BoxError>(())
/// ```
pub trait Middleware: Send + Sync + 'static {
    /// Called before each attempt is sent. [`Flow::Skip`] records the URL as skipped;
    /// [`Flow::Stop`] also winds the crawl down. By default, continues.
    fn on_request(&self, request: &mut OutgoingRequest<'_>) -> Flow {
        let _ = request;
        Flow::Continue
    }

    /// Called after each answer has been read (body included), before redirects and retries
    /// are decided. By default, [`ResponseAction::Default`].
    fn on_response(&self, response: &ResponseView<'_>) -> ResponseAction {
        let _ = response;
        ResponseAction::Default
    }
}

/// What to do with an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseAction {
    /// Let the retry policy decide by status.
    #[default]
    Default,
    /// Take the answer as it is, whatever its status.
    Accept,
    /// Retry it (within the retry budget), e.g. a 200 page that says "try again later".
    Retry,
    /// Fail the URL now with [`FetchError::Rejected`](crate::FetchError::Rejected).
    Fail,
}

/// Which kind of request a hook is looking at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestKind {
    /// A page of the crawl (a seed, a link, a redirect target, a sitemap URL).
    Page,
    /// A host's `/robots.txt`, which the crawler asks for itself before any page.
    Robots,
    /// A sitemap, which the crawler reads itself for URLs.
    Sitemap,
}

/// A request about to be sent, with headers a hook may add.
///
/// Hooks see the crawler's own requests (robots.txt and sitemaps) too, so a header, a
/// cookie or credentials reach them as well; [`kind`](Self::kind) tells them apart. For
/// those, only the headers count: a hook's [`Flow::Skip`] or [`Flow::Stop`] applies to
/// pages only (robots.txt is always asked for).
#[derive(Debug)]
pub struct OutgoingRequest<'a> {
    pub(crate) request: &'a Request,
    pub(crate) kind: RequestKind,
    pub(crate) headers: &'a mut Headers,
    /// The first header set that is not valid HTTP: it fails the request.
    pub(crate) invalid: &'a mut Option<InvalidHeader>,
}

impl OutgoingRequest<'_> {
    /// The request (URL, depth, attempt, label).
    pub fn request(&self) -> &Request {
        self.request
    }

    /// The URL to be fetched.
    pub fn url(&self) -> &Url {
        &self.request.url
    }

    /// Whether this is a page or one of the crawler's own requests.
    pub fn kind(&self) -> RequestKind {
        self.kind
    }

    /// Sets a header (replacing the default of the same name, e.g. `user-agent`).
    ///
    /// A name or value that is not valid HTTP (a line break or another control character in
    /// the value, a space in the name ...) is not set, and this request then fails with
    /// [`FetchError::BadRequestHeader`](crate::FetchError::BadRequestHeader) once the hooks
    /// have run, without being sent; the `Err` tells the hook at once.
    pub fn set_header(&mut self, name: &str, value: &str) -> Result<(), InvalidHeader> {
        self.headers.set(name, value).map_err(|_| {
            let e = InvalidHeader(format!("{name}: {value}"));
            self.invalid.get_or_insert_with(|| e.clone());
            e
        })
    }
}

/// An answer, as a response hook sees it.
#[derive(Debug)]
pub struct ResponseView<'a> {
    pub(crate) request: &'a Request,
    pub(crate) status: u16,
    pub(crate) headers: &'a Headers,
    pub(crate) body: &'a [u8],
}

impl ResponseView<'_> {
    /// The request this answers.
    pub fn request(&self) -> &Request {
        self.request
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// A header's value, if present and valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The body read so far (all of it, up to the size cap).
    pub fn body(&self) -> &[u8] {
        self.body
    }
}
