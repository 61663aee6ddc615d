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
    /// The crawl supervisor itself died (a bug in trawler or a panicking outcome callback).
    #[error("the crawl supervisor died before the crawl ended")]
    SupervisorDied,
}

/// A configuration value that cannot work, reported by
/// [`CrawlConfigBuilder::build`](crate::CrawlConfigBuilder::build).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// No seed URL was given.
    #[error("no seed URL given")]
    NoSeeds,
    /// A seed could not be parsed as a URL.
    #[error("invalid URL {url:?}: {reason}")]
    BadUrl {
        /// The text that was given.
        url: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A URL uses a scheme trawler cannot fetch (only http and https are supported).
    #[error("unsupported URL scheme in {url:?}: only http and https can be crawled")]
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
    /// A rate (requests per second) or a throttle target is not a finite positive number.
    #[error("{field} must be a finite positive number, got {value}")]
    BadRate {
        /// The setting's name.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// An include/exclude pattern is not a valid regular expression.
    #[error("invalid regular expression {pattern:?}: {reason}")]
    BadRegex {
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
    #[error("invalid allowed host {host:?}")]
    BadHost {
        /// The entry given.
        host: String,
    },
}

/// Why one fetch failed. Part of an [`Outcome`](crate::Outcome), never an `Err` of the crawl.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchError {
    /// The TCP (or TLS) connection could not be made: refused, unreachable, DNS failure.
    #[error("connect error: {0}")]
    Connect(String),
    /// No complete answer (head and body) came within the request timeout.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The request failed after connecting (reset, protocol error, broken pipe).
    #[error("request error: {0}")]
    Request(String),
    /// The body could not be read to its end (reset or decoding error mid-body).
    #[error("body error: {0}")]
    Body(String),
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
    /// The host's robots.txt kept answering 429 or 5xx, even after the retries, so, as
    /// RFC 9309 asks, nothing on that host was fetched. (When robots.txt got no answer at
    /// all, the host's URLs fail with that transport error instead.)
    #[error("robots.txt unavailable ({0}): the host is treated as disallowed")]
    RobotsUnavailable(String),
}

impl FetchError {
    /// Whether another attempt may succeed (network trouble, timeouts); a status error is
    /// judged by the [`RetryPolicy`](crate::RetryPolicy) instead.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            FetchError::Connect(_)
                | FetchError::Timeout(_)
                | FetchError::Request(_)
                | FetchError::Body(_)
                | FetchError::WorkerDied
        )
    }
}
