//! The transport seam: what sends one request and brings back its answer.
//!
//! A crawl's workers each own one [`Transport`], made on the worker's own thread by the
//! crawl's [`TransportFactory`] (an HTTP client is usually tied to its thread, as awc's is,
//! and so is a browser tab). Everything above it is shared by every transport: request
//! hooks add their headers before [`Transport::fetch`], and the answer is classified once
//! (response hooks, retryable statuses, redirects, HTML sniffing) after it. awc is the
//! default transport; [`Crawler::transport`](crate::Crawler::transport) puts another in
//! its place (a browser, an archive replay, canned pages in a test).
//!
//! A transport's contract:
//! - one call, one attempt: it does not retry (the crawl's retry policy does, above it)
//!   and does not follow redirects (a 3xx is an answer; the crawl follows it through its
//!   own admission, so every hop is deduplicated, scoped and polite);
//! - it bounds the whole attempt, body included, by [`FetchRequest::timeout`], and reads
//!   at most [`FetchRequest::max_body`] bytes of body, setting
//!   [`FetchResponse::truncated`] when it stopped there;
//! - it returns the body decoded (no `Content-Encoding` left), and an error as a
//!   [`FetchError`] that says what happened (transient or not, see
//!   [`FetchError::is_transient`]).

use crate::error::FetchError;
use crate::headers::Headers;
use crate::middleware::RequestKind;
use futures_util::future::LocalBoxFuture;
use std::time::{Duration, Instant};
use url::Url;

/// One request for a transport.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FetchRequest {
    /// The URL to fetch (a GET).
    pub url: Url,
    /// Headers to send beside the transport's defaults (user agent, accept).
    pub headers: Headers,
    /// Most body bytes to keep (decoded); past it the body is cut and marked truncated.
    pub max_body: usize,
    /// The whole attempt's bound, body included.
    pub timeout: Duration,
    /// A page, or one of the crawler's own requests.
    pub kind: RequestKind,
    /// The request's session ([`Request::with_session`](crate::Request::with_session)):
    /// with a pool of proxies, a session keeps to one of them.
    pub session: Option<std::sync::Arc<str>>,
    /// The crawl keeps an archive: bring back what went over the wire as well
    /// ([`FetchResponse::wire`]). A transport that cannot may leave it out.
    pub keep_wire: bool,
    /// The request asked to be rendered ([`Request::render`](crate::Request::render)): a
    /// transport that renders pages renders it; any other sends it as usual.
    pub render: bool,
}

impl FetchRequest {
    /// A request for `url` with no extra header, a body cap and a timeout.
    pub fn new(url: Url, max_body: usize, timeout: Duration) -> Self {
        FetchRequest {
            url,
            headers: Headers::new(),
            max_body,
            timeout,
            kind: RequestKind::Page,
            session: None,
            keep_wire: false,
            render: false,
        }
    }
}

/// One answer from a transport.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FetchResponse {
    /// The HTTP status.
    pub status: u16,
    /// The answer's header fields.
    pub headers: Headers,
    /// The body, decoded, at most the request's `max_body` bytes.
    pub body: bytes::Bytes,
    /// The body was cut at `max_body`.
    pub truncated: bool,
    /// From sending the request to the last body byte.
    pub elapsed: Duration,
    /// What went over the wire, when the request asked for it
    /// ([`FetchRequest::keep_wire`]) and the transport could tell.
    pub wire: Option<Box<Wire>>,
    /// The body is a browser's DOM after the page ran, not the bytes the server sent.
    pub rendered: bool,
    /// A PNG of the rendered page, when the crawl asked for screenshots.
    pub screenshot: Option<bytes::Bytes>,
}

/// An exchange as it went over the wire, for an archive: the request's header fields as
/// sent (the transport's own included), and the answer's body before content decoding.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Wire {
    /// Every header field the request was sent with, in order.
    pub request_headers: Headers,
    /// The answer's HTTP version as the server wrote it (`HTTP/1.1`, `HTTP/2` ...).
    pub version: String,
    /// The body as received: transfer coding undone, content coding (gzip, br) kept; cut
    /// where the transport stopped reading (then [`FetchResponse::truncated`] is set).
    pub raw_body: bytes::Bytes,
    /// The address the request was sent to, when it went straight to the server.
    pub remote_ip: Option<std::net::IpAddr>,
}

impl Wire {
    /// A record of `request_headers` sent and `raw_body` received over `version`.
    pub fn new(request_headers: Headers, version: &str, raw_body: bytes::Bytes) -> Self {
        Wire {
            request_headers,
            version: version.to_owned(),
            raw_body,
            remote_ip: None,
        }
    }
}

impl FetchResponse {
    /// An answer with this status, headers and (whole) body.
    pub fn new(status: u16, headers: Headers, body: impl Into<bytes::Bytes>) -> Self {
        FetchResponse {
            status,
            headers,
            body: body.into(),
            truncated: false,
            elapsed: Duration::ZERO,
            wire: None,
            rendered: false,
            screenshot: None,
        }
    }
}

/// Why a transport brought back no answer.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportError {
    /// This request failed; the crawl retries it or records the failure.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The process has no file descriptor left: no fault of the request, which is queued
    /// again; the crawl stops ([`Error::OutOfFiles`](crate::Error::OutOfFiles)).
    #[error("{0}")]
    OutOfFiles(String),
}

/// What sends requests for one worker. Made on the worker's own thread, never moved.
pub trait Transport {
    /// Sends one request and brings back its answer (see the module docs for the
    /// contract). Many calls run at once on the worker's thread.
    fn fetch(
        &self,
        request: FetchRequest,
    ) -> LocalBoxFuture<'static, Result<FetchResponse, TransportError>>;

    /// These hosts (`host:port`) have no work left: their idle connections can go. By
    /// default, nothing is done.
    fn hosts_done(&self, hosts: &[String]) {
        let _ = hosts;
    }

    /// Called about once a second on the worker's thread, for upkeep (idle
    /// connections). By default, nothing is done.
    fn upkeep(&self, now: Instant) {
        let _ = now;
    }
}

/// Makes each worker's [`Transport`].
pub trait TransportFactory: Send + Sync + 'static {
    /// A transport for one worker; called on that worker's thread (again if the worker
    /// is restarted).
    fn make(&self) -> Box<dyn Transport>;
}

impl<F> TransportFactory for F
where
    F: Fn() -> Box<dyn Transport> + Send + Sync + 'static,
{
    fn make(&self) -> Box<dyn Transport> {
        self()
    }
}
