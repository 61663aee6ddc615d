//! Narrow access to crate-private cores, for the benchmarks in `benches/` only.
//!
//! The frontier, the seen-set and the robots.txt rules are internal: their shape changes with the engine and no
//! plugin should depend on it. Benchmarks still need to time them in isolation, so this
//! module wraps the few operations the crawl itself performs, one call per operation, and
//! nothing more. It is `#[doc(hidden)]` and outside any stability promise.

use std::time::Instant;

use url::Url;

use crate::admit::Candidate;
use crate::canon::CanonOptions;
use crate::frontier::{self, Gate, Pop};
use crate::politeness::robots;
use crate::request::Request;

/// The per-host frontier, with every host always open (no rate limits, no parking).
#[derive(Debug)]
pub struct Frontier(frontier::Frontier);

impl Frontier {
    /// An empty frontier allowing `per_host_limit` requests in flight per host.
    #[must_use]
    pub fn new(per_host_limit: usize) -> Self {
        Self(frontier::Frontier::new(per_host_limit))
    }

    /// The id of the host with this key (`scheme://host:port`), made on first use.
    pub fn host_id(&mut self, key: &str) -> u32 {
        self.0.host_id(key)
    }

    /// Queues `request` for `host`.
    pub fn push(&mut self, host: u32, request: Request) {
        self.0.push(host, request);
    }

    /// The next request that may go now, as the supervisor asks for it; `None` when every
    /// host with work is at its in-flight limit (or nothing is queued).
    pub fn pop(&mut self, now: Instant) -> Option<(Request, u32)> {
        match self.0.pop(now, |_| Gate::Open) {
            Pop::Ready(request, host) => Some((request, host)),
            Pop::WaitUntil(_) | Pop::Idle => None,
        }
    }

    /// A request of `host` taken by [`pop`](Self::pop) has finished.
    pub fn done(&mut self, host: u32) {
        self.0.done(host);
    }

    /// Requests queued.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing is queued.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The crawl's seen-set of 64-bit URL fingerprints ([`crate::canon::fingerprint`]).
#[derive(Debug, Default)]
pub struct SeenSet(crate::store::MemorySeenSet);

use crate::store::SeenSet as _;

impl SeenSet {
    /// Records `fingerprint`; true if it was not there before.
    pub fn insert(&self, fingerprint: u64) -> bool {
        let mut fresh = Vec::with_capacity(1);
        self.0.insert_batch(&[fingerprint], &mut fresh);
        fresh.first().copied().unwrap_or(false)
    }

    /// Records a page's `fingerprints` in one call, as the crawl's admission does;
    /// `fresh[i]` tells whether `fingerprints[i]` was new.
    pub fn insert_batch(&self, fingerprints: &[u64], fresh: &mut Vec<bool>) {
        self.0.insert_batch(fingerprints, fresh);
    }

    /// How many fingerprints it holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.len() == 0
    }
}

/// One host's robots.txt rules for one user agent, as the crawl checks them per URL.
#[derive(Debug)]
pub struct RobotsRules(robots::RobotsRules);

impl RobotsRules {
    /// Parses a robots.txt body for `user_agent` (its product token is what groups match).
    #[must_use]
    pub fn parse(user_agent: &str, body: &[u8]) -> Self {
        Self(robots::RobotsRules::parse(
            &robots::agent_token(user_agent),
            body,
        ))
    }

    /// Whether `url` may be fetched.
    #[must_use]
    pub fn allows(&self, url: &Url) -> bool {
        self.0.allows(url)
    }
}

/// The crawl's own HTTP transport for a crawl of `config` (the client settings a crawl of
/// it gives its workers), for a loop that fetches without the crawl's machinery.
///
/// # Errors
///
/// The TLS settings of `config` cannot be built.
pub fn http_transports(
    config: &crate::CrawlConfig,
) -> Result<std::sync::Arc<dyn crate::TransportFactory>, crate::ConfigError> {
    crate::crawler::install_crypto_provider();
    let tls = crate::tls::client_config(&config.extra_roots, config.http2)?;
    let settings = crate::fetch::client::ClientSettings::for_crawl(config, tls);
    Ok(std::sync::Arc::new(crate::fetch::http::HttpTransports {
        settings,
    }))
}

/// Keeps the calling thread on the CPU the crawl gives worker `index` when its
/// `pin_workers` is set (the ceiling's threads are placed as the crawl's workers are);
/// the CPU, or why not.
pub fn pin_current_thread(index: usize) -> Result<usize, String> {
    crate::actors::pin::pin_current_thread(index)
}

/// A page request of `url` as the crawl's fetcher makes it for `config` (its body cap and
/// timeout).
#[must_use]
pub fn page_request(config: &crate::CrawlConfig, url: Url) -> crate::FetchRequest {
    crate::FetchRequest::new(url, config.max_body, config.request_timeout)
}

/// What the crawl does with a fetched page to find its links, without admission: the
/// encoding decided, the links extracted (streaming), resolved, made canonical and
/// fingerprinted (a plain href from its text, as the crawl does); the fingerprints go to
/// `out`.
pub fn link_fingerprints(url: &Url, content_type: Option<&str>, body: &[u8], out: &mut Vec<u64>) {
    let encoding = crate::charset::detect(content_type, body, Some(url));
    let raw = crate::extract::extract_links(body, encoding);
    let resolver = crate::extract::Resolver::new(url, raw.base.as_deref(), encoding);
    let options = CanonOptions::default();
    let mut text = String::new();
    for href in &raw.hrefs {
        if let Some(mut link) = Candidate::of(&resolver, href, 0, options, &mut text) {
            out.push(link.fingerprint(options));
        }
    }
}
