//! Errors as data.
//!
//! Only a failure of the crawl as a whole is an [`Error`] (returned by
//! [`Crawler::run`](crate::Crawler::run)). A URL that cannot be fetched is not an error
//! of the crawl: it ends as an [`Outcome`](crate::Outcome) carrying a [`FetchError`], and
//! the crawl goes on. Configuration mistakes are caught by
//! [`CrawlConfigBuilder::build`](crate::CrawlConfigBuilder::build) as a [`ConfigError`].

use std::time::Duration;

/// A boxed error, what plugin code returns from fallible hooks.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A failure of the whole crawl.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration or a plugin's static setup (e.g. a CSS selector) is invalid.
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// The spider's [`open`](crate::Spider::open) hook refused to start.
    #[error("the spider failed to open: {0}")]
    SpiderOpen(#[source] BoxError),
    /// A thread or arbiter of the crawl could not be started.
    #[error("could not start the crawl runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The browser that renders pages cannot be found or started (`Crawler::render`, with
    /// the `browser` feature).
    #[error("the browser: {0}")]
    Browser(String),
    /// The crawl supervisor itself died (a bug in trawler or a panicking outcome callback).
    #[error("the crawl supervisor died before the crawl ended")]
    SupervisorDied,
    /// The process ran out of file descriptors for sockets (its `ulimit -n`, or the
    /// system's), so the crawl was stopped: the URLs it had not fetched were recorded as
    /// skipped (`stopped`), none of them as failed. The sockets trawler keeps are bounded
    /// by the concurrency settings; lower them, or raise the limit.
    #[error("{detail}; the crawl could not go on (raise `ulimit -n`, or lower the concurrency)")]
    OutOfFiles {
        /// What ran out, and the limit when it is known.
        detail: String,
        /// The report of the crawl up to the stop.
        report: Box<crate::report::CrawlReport>,
    },
    /// The crawl's store could not be opened, read or written (a full disk, a damaged
    /// or foreign state directory). A store that fails during the crawl stops it, its
    /// state as of the last commit.
    #[error("{error}")]
    Store {
        /// What failed.
        #[source]
        error: crate::store::StoreError,
        /// The report of the crawl up to the stop, when it had started.
        report: Option<Box<crate::report::CrawlReport>>,
    },
}

/// A configuration value that cannot work, reported by
/// [`CrawlConfigBuilder::build`](crate::CrawlConfigBuilder::build).
///
/// A variant about one setting names it (see [`setting`](Self::setting)), and its message
/// starts with that name, so a front end can say it in its own words (the `trawler` command
/// names its flags instead).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// No seed URL was given.
    #[error("no seed URL given")]
    NoSeeds,
    /// A seed could not be parsed as a URL.
    #[error("seed URL {url:?} is invalid: {reason}")]
    BadUrl {
        /// The text that was given.
        url: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A seed has no scheme (`localhost:8080/x`, `127.0.0.1:8080`, `example.com`).
    #[error("seed URL {url:?} has no scheme: did you mean {suggestion}?")]
    MissingScheme {
        /// The text that was given.
        url: String,
        /// The same with `http://` in front.
        suggestion: String,
    },
    /// A seed is a file path (or a `file:` URL): only http(s) can be crawled.
    #[error(
        "seed URL {url:?} is a file path: only http(s) URLs can be crawled; serve its folder over HTTP \
         (e.g. `python3 -m http.server 8000` there) and crawl http://127.0.0.1:8000/"
    )]
    FilePath {
        /// The text that was given.
        url: String,
    },
    /// A URL uses a scheme trawler cannot fetch (only http and https are supported).
    #[error("seed URL {url:?} has an unsupported scheme: only http and https can be crawled")]
    UnsupportedScheme {
        /// The URL that was given.
        url: String,
    },
    /// A certificate given to trust is not a valid DER X.509 certificate.
    #[error("invalid root certificate: {0}")]
    BadCertificate(String),
    /// A setting that must be positive is zero.
    #[error("{field} must be greater than zero")]
    Zero {
        /// The setting's name.
        field: &'static str,
    },
    /// A setting is below its smallest meaningful value.
    #[error("{field} must be at least {min}")]
    TooSmall {
        /// The setting's name.
        field: &'static str,
        /// Its smallest meaningful value.
        min: u64,
    },
    /// A count is beyond what a crawl can use (threads, connections).
    #[error("{field} must be at most {max}")]
    TooLarge {
        /// The setting's name.
        field: &'static str,
        /// Its largest accepted value.
        max: u64,
    },
    /// A duration is beyond [`MAX_DURATION`](crate::MAX_DURATION).
    #[error("{field} must be at most {max_secs} seconds")]
    TooLong {
        /// The setting's name.
        field: &'static str,
        /// Its largest accepted value, in seconds.
        max_secs: u64,
    },
    /// A rate (requests per second) or a throttle target is not a finite positive number,
    /// or a rate is below [`MIN_RATE`](crate::MIN_RATE).
    #[error("{field} must be a finite number {bound}, got {value}")]
    BadRate {
        /// The setting's name.
        field: &'static str,
        /// The value given.
        value: String,
        /// What a value must be (`above 0`, `of at least ...`).
        bound: String,
    },
    /// A value to be sent in an HTTP header (the user agent) is not a valid header value.
    #[error(
        "{field} {value:?} cannot be sent in an HTTP header: line breaks and other control characters are not allowed"
    )]
    BadHeaderValue {
        /// The setting's name.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// A request header (or cookie) the crawl was given cannot be sent.
    #[error(
        "{field} {header:?} cannot be sent: a header is NAME: VALUE with a name of letters, digits and -, and no line break; a cookie is name=value"
    )]
    BadHeader {
        /// The setting's name (`header`, `cookie`, `basic_auth`).
        field: &'static str,
        /// What was given.
        header: String,
    },
    /// A proxy URL cannot be used (shown without its credentials).
    #[error("proxy {proxy:?} cannot be used: {reason}")]
    BadProxy {
        /// The proxy URL given, credentials replaced by `***`.
        proxy: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A proxy rule's host pattern (or a `no_proxy` entry) cannot be read.
    #[error("{field} pattern {rule:?} cannot be used: {reason}")]
    BadProxyRule {
        /// The setting's name (`proxy_rule`, `no_proxy`).
        field: &'static str,
        /// The pattern given.
        rule: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An include/exclude pattern is not a valid regular expression.
    #[error("{field} pattern {pattern:?} is not a valid regular expression: {reason}")]
    BadRegex {
        /// The setting's name (`include` or `exclude`).
        field: &'static str,
        /// The pattern given.
        pattern: String,
        /// The parser's message.
        reason: String,
    },
    /// A CSS selector given to the closure layer does not parse.
    #[error("invalid CSS selector {selector:?}: {reason}")]
    BadSelector {
        /// The selector given.
        selector: String,
        /// The parser's message.
        reason: String,
    },
    /// An allowed-host entry is empty or malformed.
    #[error("allow_host {host:?} is not a host, host:port or *")]
    BadHost {
        /// The entry given.
        host: String,
    },
}

impl ConfigError {
    /// The builder setting this error is about (`"concurrency"`, `"user_agent"`, `"seed"`
    /// ...), if it is about one; the message then starts with that name (`seed URL` for
    /// seeds).
    pub fn setting(&self) -> Option<&'static str> {
        match self {
            ConfigError::BadUrl { .. }
            | ConfigError::MissingScheme { .. }
            | ConfigError::FilePath { .. }
            | ConfigError::UnsupportedScheme { .. } => Some("seed"),
            ConfigError::Zero { field }
            | ConfigError::TooSmall { field, .. }
            | ConfigError::TooLarge { field, .. }
            | ConfigError::TooLong { field, .. }
            | ConfigError::BadRate { field, .. }
            | ConfigError::BadHeaderValue { field, .. }
            | ConfigError::BadHeader { field, .. }
            | ConfigError::BadProxyRule { field, .. }
            | ConfigError::BadRegex { field, .. } => Some(field),
            ConfigError::BadHost { .. } => Some("allow_host"),
            ConfigError::BadProxy { .. } => Some("proxy"),
            ConfigError::NoSeeds
            | ConfigError::BadCertificate(_)
            | ConfigError::BadSelector { .. } => None,
        }
    }
}

/// Why one fetch failed. Part of an [`Outcome`](crate::Outcome), never an `Err` of the crawl.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchError {
    /// The TCP connection could not be made: refused, unreachable, DNS failure, connect
    /// timeout.
    #[error("connect error: {0}")]
    Connect(String),
    /// No connection could be made through the proxy this request asked for: every proxy
    /// of its pool was unreachable, is not a proxy, or refused the credentials (a 407).
    /// Retried (a benched proxy may come back); never sent around the proxy.
    #[error("proxy error: {0}")]
    Proxy(String),
    /// The TLS handshake failed: an untrusted or invalid certificate, no common protocol,
    /// or a server that answered plain HTTP on an https URL. Not retried.
    #[error("TLS error: {0}")]
    Tls(String),
    /// No complete answer (head and body) came within the request timeout.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The request failed after connecting (reset, broken pipe, the server closed the
    /// connection without answering).
    #[error("request error: {0}")]
    Request(String),
    /// The server's answer is not valid HTTP (a malformed status line or header, a head
    /// too large). The same server would answer the same way again, so it is not retried.
    #[error("invalid response: {0}")]
    Protocol(String),
    /// The body could not be read to its end (reset or decoding error mid-body).
    #[error("body error: {0}")]
    Body(String),
    /// The connection ended before the whole body came: fewer bytes than the
    /// `Content-Length` promised, or a chunked body without its last chunk.
    #[error("{}", incomplete_text(*received, *expected))]
    Incomplete {
        /// Body bytes received (as sent, before decoding).
        received: u64,
        /// Body bytes promised by `Content-Length`, if it said.
        expected: Option<u64>,
    },
    /// Every attempt got an answer that is retried (by the [`RetryPolicy`](crate::RetryPolicy)'s
    /// statuses or a middleware's [`ResponseAction::Retry`](crate::ResponseAction::Retry)),
    /// and the retries ran out; the status is the last one.
    #[error("HTTP status {0} after all retries")]
    Status(u16),
    /// A redirect without a usable `Location` header.
    #[error("redirect with a missing or invalid Location: {0:?}")]
    BadRedirect(String),
    /// The worker holding the request died, and the retries ran out.
    #[error("the worker holding this request died")]
    WorkerDied,
    /// A response middleware asked to fail the request.
    #[error("rejected by a response middleware")]
    Rejected,
    /// The host's robots.txt could not be had (no answer, or 429 or 5xx answers) after
    /// every attempt, so, as RFC 9309 asks, nothing on that host was fetched.
    #[error(
        "robots.txt unavailable after {attempts} attempt{} ({cause}): nothing on this host was fetched",
        if *attempts == 1 { "" } else { "s" }
    )]
    RobotsUnavailable {
        /// What the last attempt met (an HTTP status, or the transport error).
        cause: String,
        /// How many times robots.txt was asked for.
        attempts: u32,
    },
    /// A request middleware set a header that is not valid HTTP (given as `name: value`),
    /// so the request was not sent.
    #[error("a request middleware set an invalid header {0:?}; the request was not sent")]
    BadRequestHeader(String),
}

fn incomplete_text(received: u64, expected: Option<u64>) -> String {
    match expected {
        Some(n) => format!("incomplete body: the connection closed after {received} of {n} bytes"),
        None => format!(
            "incomplete body: the connection closed after {received} bytes, before the last chunk"
        ),
    }
}

impl FetchError {
    /// Whether another attempt may succeed (network trouble, timeouts, a body cut short);
    /// a status error is judged by the [`RetryPolicy`](crate::RetryPolicy) instead, and
    /// an invalid answer or a TLS failure would only happen again.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            FetchError::Connect(_)
                | FetchError::Proxy(_)
                | FetchError::Timeout(_)
                | FetchError::Request(_)
                | FetchError::Body(_)
                | FetchError::Incomplete { .. }
                | FetchError::WorkerDied
        )
    }
}
