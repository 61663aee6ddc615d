//! The crawl's configuration: one builder over documented defaults.
//!
//! Every knob has a `DEFAULT_*` constant and a setter whose doc says "By default, …".
//! [`CrawlConfigBuilder::build`] validates everything at once and returns a typed
//! [`ConfigError`](crate::error::ConfigError), so a bad seed or regex is reported before any thread starts.
//!
//! Longer than most files, on purpose: it is the one list of the crawl's knobs, a documented
//! setter each, so a reader finds every default in one place. The checks are in `build`.

mod build;
mod checks;
mod connection;
mod directives;
mod proxy;
mod request_headers;

pub(crate) use request_headers::RequestHeaders;

pub use checks::{MAX_CONCURRENCY, MAX_DURATION, MAX_WORKERS, MIN_RATE};
pub use directives::{DEFAULT_FOLLOW_REL_NOFOLLOW, DEFAULT_OBEY_NOFOLLOW, DEFAULT_REPORT_NOINDEX};
pub use proxy::DEFAULT_PROXY_BENCH;

use crate::politeness::throttle::ThrottleConfig;
use crate::retry::RetryPolicy;
use crate::robots_meta::DirectiveRules;
use crate::scope::Scope;
use crate::traps::TrapRules;
use std::time::Duration;
use url::Url;

/// Requests in flight at once over all hosts (lychee uses 128, Scrapy 16).
pub const DEFAULT_CONCURRENCY: usize = 64;
/// Requests in flight at once to one host (Scrapy's `CONCURRENT_REQUESTS_PER_DOMAIN`).
pub const DEFAULT_PER_HOST_CONCURRENCY: usize = 8;
/// Whole-request timeout, from sending the request to the last body byte.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// TCP (and TLS) connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Body size cap: reading stops there and the page is recorded as truncated (10 MiB, like Colly).
pub const DEFAULT_MAX_BODY: usize = 10 * 1024 * 1024;
/// Redirect hops followed from one request (Firefox and lychee use 10-20).
pub const DEFAULT_MAX_REDIRECTS: u8 = 10;
/// Longest URL accepted (Scrapy's `URLLENGTH_LIMIT`, the old IE limit).
pub const DEFAULT_MAX_URL_LEN: usize = 2083;
/// The User-Agent header sent with every request.
pub const DEFAULT_USER_AGENT: &str = concat!("trawler/", env!("CARGO_PKG_VERSION"));
/// Whether robots.txt is fetched and obeyed: on, as a polite crawler should be.
pub const DEFAULT_ROBOTS: bool = true;
/// Longest robots.txt `Crawl-delay` honoured (Nutch and StormCrawler also stop at 30 s):
/// a larger value is cut to this, so one file cannot stall a crawl for hours.
pub const DEFAULT_CRAWL_DELAY_CAP: Duration = Duration::from_secs(30);
/// How long a host's robots.txt rules are used before the file is read again: 24 hours,
/// the longest RFC 9309 (§2.4) allows.
pub const DEFAULT_ROBOTS_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);
/// Whether sitemaps are read for URLs: off, since links alone reach what a site shows.
pub const DEFAULT_SITEMAPS: bool = false;
/// Whether answers' cookies are kept and sent back: on, as in Scrapy and a browser.
pub const DEFAULT_COOKIES: bool = true;
/// Whether HTTP/2 is offered to https servers (ALPN).
pub const DEFAULT_HTTP2: bool = false;

/// What to follow when `parse` follows nothing itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FollowMode {
    /// Follow every link the default extractor finds (`a[href]`, `area[href]`).
    #[default]
    AllLinks,
    /// Follow only what `parse` asks for.
    Explicit,
}

/// A validated crawl configuration. Made with [`CrawlConfig::builder`].
#[derive(Debug, Clone)]
pub struct CrawlConfig {
    pub(crate) seeds: Vec<Url>,
    pub(crate) concurrency: usize,
    pub(crate) per_host_concurrency: usize,
    pub(crate) workers: usize,
    pub(crate) pin_workers: bool,
    pub(crate) per_host_rate: Option<f64>,
    pub(crate) global_rate: Option<f64>,
    pub(crate) request_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) max_body: usize,
    pub(crate) max_redirects: u8,
    pub(crate) retry: RetryPolicy,
    pub(crate) user_agent: String,
    pub(crate) max_pages: Option<u64>,
    pub(crate) follow: FollowMode,
    pub(crate) sort_query: bool,
    pub(crate) collect_outcomes: bool,
    pub(crate) scope: Scope,
    pub(crate) max_pages_per_host: Option<u64>,
    pub(crate) robots: bool,
    pub(crate) crawl_delay_cap: Duration,
    pub(crate) robots_max_age: Duration,
    pub(crate) sitemaps: bool,
    pub(crate) throttle: Option<ThrottleConfig>,
    pub(crate) extra_roots: Vec<Vec<u8>>,
    /// The crawl's own request headers, credentials for the start origins included (those
    /// of seeds written `scheme://user:password@host/` too).
    pub(crate) request_headers: RequestHeaders,
    /// Which requests go through which proxies.
    pub(crate) proxies: crate::proxy::routes::Table,
    pub(crate) cookies: bool,
    pub(crate) http2: bool,
    pub(crate) continue_other_crawl: bool,
    pub(crate) max_duration: Option<Duration>,
}

impl CrawlConfig {
    /// Starts a builder with every default.
    pub fn builder() -> CrawlConfigBuilder {
        CrawlConfigBuilder::default()
    }

    /// The seed URLs.
    pub fn seeds(&self) -> &[Url] {
        &self.seeds
    }

    /// The number of fetch/parse worker threads.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Whether each worker thread is kept on one CPU.
    pub fn pin_workers(&self) -> bool {
        self.pin_workers
    }
}

/// Builds a [`CrawlConfig`]. Setters take plain values; [`build`](Self::build) checks them.
#[derive(Debug, Clone)]
pub struct CrawlConfigBuilder {
    seeds: Vec<String>,
    concurrency: usize,
    per_host_concurrency: usize,
    workers: Option<usize>,
    pin_workers: bool,
    per_host_rate: Option<f64>,
    global_rate: Option<f64>,
    request_timeout: Duration,
    connect_timeout: Duration,
    max_body: usize,
    max_redirects: u8,
    retry: RetryPolicy,
    user_agent: String,
    max_pages: Option<u64>,
    max_depth: Option<u32>,
    max_url_len: usize,
    allowed_hosts: Option<Vec<String>>,
    include: Vec<String>,
    exclude: Vec<String>,
    max_pages_per_host: Option<u64>,
    traps: TrapRules,
    follow: FollowMode,
    sort_query: bool,
    collect_outcomes: bool,
    extra_roots: Vec<Vec<u8>>,
    robots: bool,
    crawl_delay_cap: Duration,
    robots_max_age: Duration,
    sitemaps: bool,
    throttle: Option<ThrottleConfig>,
    continue_other_crawl: bool,
    request_headers: request_headers::Given,
    proxies: proxy::Given,
    cookies: bool,
    http2: bool,
    max_duration: Option<Duration>,
    /// Set in `directives`; its agent comes from `user_agent` at `build()`.
    directives: DirectiveRules,
}

impl Default for CrawlConfigBuilder {
    fn default() -> Self {
        CrawlConfigBuilder {
            seeds: Vec::new(),
            concurrency: DEFAULT_CONCURRENCY,
            per_host_concurrency: DEFAULT_PER_HOST_CONCURRENCY,
            workers: None,
            pin_workers: false,
            per_host_rate: None,
            global_rate: None,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_body: DEFAULT_MAX_BODY,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            retry: RetryPolicy::default(),
            user_agent: DEFAULT_USER_AGENT.to_string(),
            max_pages: None,
            max_depth: None,
            max_url_len: DEFAULT_MAX_URL_LEN,
            allowed_hosts: None,
            include: Vec::new(),
            exclude: Vec::new(),
            max_pages_per_host: None,
            traps: TrapRules::default(),
            follow: FollowMode::AllLinks,
            sort_query: false,
            collect_outcomes: false,
            extra_roots: Vec::new(),
            robots: DEFAULT_ROBOTS,
            crawl_delay_cap: DEFAULT_CRAWL_DELAY_CAP,
            robots_max_age: DEFAULT_ROBOTS_MAX_AGE,
            sitemaps: DEFAULT_SITEMAPS,
            throttle: None,
            continue_other_crawl: false,
            request_headers: request_headers::Given::default(),
            proxies: proxy::Given::default(),
            cookies: DEFAULT_COOKIES,
            http2: DEFAULT_HTTP2,
            max_duration: None,
            directives: DirectiveRules {
                agent: String::new(),
                obey_nofollow: DEFAULT_OBEY_NOFOLLOW,
                report_noindex: DEFAULT_REPORT_NOINDEX,
                follow_rel_nofollow: DEFAULT_FOLLOW_REL_NOFOLLOW,
            },
        }
    }
}

impl CrawlConfigBuilder {
    /// Adds a seed URL (http or https). At least one is required.
    #[must_use]
    pub fn seed(mut self, url: impl Into<String>) -> Self {
        self.seeds.push(url.into());
        self
    }

    /// Adds several seed URLs.
    #[must_use]
    pub fn seeds<I: IntoIterator<Item = S>, S: Into<String>>(mut self, urls: I) -> Self {
        self.seeds.extend(urls.into_iter().map(Into::into));
        self
    }

    /// Requests in flight at once over all hosts, 1 to [`MAX_CONCURRENCY`]. By default,
    /// [`DEFAULT_CONCURRENCY`].
    #[must_use]
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n;
        self
    }

    /// Requests in flight at once to one host (scheme, host and port), 1 to
    /// [`MAX_CONCURRENCY`]. By default, [`DEFAULT_PER_HOST_CONCURRENCY`].
    #[must_use]
    pub fn per_host_concurrency(mut self, n: usize) -> Self {
        self.per_host_concurrency = n;
        self
    }

    /// Fetch/parse worker threads (one actix arbiter each), 1 to [`MAX_WORKERS`]. By default,
    /// the number of CPUs.
    #[must_use]
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = Some(n);
        self
    }

    /// Keeps each worker's thread on one CPU: worker `i` on the `i`-th CPU the process may
    /// use (wrapping around when there are more workers than CPUs); the supervisor's thread
    /// is left to the scheduler. Worth it on a machine given to the crawl, where a worker
    /// that stays put keeps its caches warm; not on one shared with other busy processes,
    /// where a pinned thread cannot move off a busy CPU. Linux only (elsewhere, and if the
    /// system refuses, the crawl runs unpinned and says so in the log). By default, off.
    #[must_use]
    pub fn pin_workers(mut self, pin: bool) -> Self {
        self.pin_workers = pin;
        self
    }

    /// Most requests per second to one host, evenly spaced (no burst); at least
    /// [`MIN_RATE`]. By default, no limit beyond the per-host concurrency.
    #[must_use]
    pub fn per_host_rate(mut self, per_second: f64) -> Self {
        self.per_host_rate = Some(per_second);
        self
    }

    /// Most requests per second over all hosts; at least [`MIN_RATE`]. By default, no limit.
    #[must_use]
    pub fn global_rate(mut self, per_second: f64) -> Self {
        self.global_rate = Some(per_second);
        self
    }

    /// Whole-request timeout, body included; at most [`MAX_DURATION`]. By default,
    /// [`DEFAULT_REQUEST_TIMEOUT`].
    #[must_use]
    pub fn request_timeout(mut self, t: Duration) -> Self {
        self.request_timeout = t;
        self
    }

    /// Connect timeout; at most [`MAX_DURATION`]. By default, [`DEFAULT_CONNECT_TIMEOUT`].
    #[must_use]
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    /// Body size cap in bytes (after decompression). By default, [`DEFAULT_MAX_BODY`].
    #[must_use]
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Redirect hops followed from one request. By default, [`DEFAULT_MAX_REDIRECTS`].
    #[must_use]
    pub fn max_redirects(mut self, hops: u8) -> Self {
        self.max_redirects = hops;
        self
    }

    /// Retries after the first attempt. By default,
    /// [`DEFAULT_MAX_RETRIES`](crate::retry::DEFAULT_MAX_RETRIES).
    #[must_use]
    pub fn retries(mut self, n: u32) -> Self {
        self.retry.max_retries = n;
        self
    }

    /// The whole retry policy (statuses, delays; each delay at most [`MAX_DURATION`]). By
    /// default, [`RetryPolicy::default`].
    #[must_use]
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The User-Agent header. It must be a valid header value (no line break or other
    /// control character): [`build`](Self::build) says so with
    /// [`ConfigError::BadHeaderValue`](crate::error::ConfigError::BadHeaderValue) instead of letting every request fail. By default,
    /// [`DEFAULT_USER_AGENT`].
    #[must_use]
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// Sends a header with every request: pages, robots.txt and sitemaps, to every host;
    /// repeatable (a later value for a name replaces an earlier one). `Authorization`,
    /// `Proxy-Authorization` and `Cookie` are credentials: they go to the start URLs'
    /// origins (scheme, host and port) only, never to another host, not even after a
    /// redirect. A request hook's header of the same name wins. A name or value that
    /// cannot be sent is refused by [`build`](Self::build) with
    /// [`ConfigError::BadHeader`](crate::error::ConfigError::BadHeader). By default, none.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        (self.request_headers.headers).push((name.into(), value.into()));
        self
    }

    /// Basic auth (`Authorization: Basic ...`) for the start URLs' origins only, as
    /// [`header`](Self::header) sends credentials; a start URL's own `user:password@` wins
    /// for its origin. By default, none.
    #[must_use]
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.request_headers.basic_auth = Some((user.into(), password.into()));
        self
    }

    /// A cookie, `name=value`, sent to the start URLs' origins only (repeatable: all go in
    /// one `Cookie` header, which replaces one given with [`header`](Self::header)). By
    /// default, none.
    #[must_use]
    pub fn cookie(mut self, pair: impl Into<String>) -> Self {
        self.request_headers.cookies.push(pair.into());
        self
    }

    /// Stops fetching new URLs after this many (retries not counted). By default, no limit.
    #[must_use]
    pub fn max_pages(mut self, n: u64) -> Self {
        self.max_pages = Some(n);
        self
    }

    /// Deepest link distance fetched (seeds are depth 0). By default, no limit.
    #[must_use]
    pub fn max_depth(mut self, depth: u32) -> Self {
        self.max_depth = Some(depth);
        self
    }

    /// Longest URL accepted. By default, [`DEFAULT_MAX_URL_LEN`].
    #[must_use]
    pub fn max_url_len(mut self, len: usize) -> Self {
        self.max_url_len = len;
        self
    }

    /// Most pages fetched from one host (scheme, host and port), redirect targets included;
    /// further URLs of that host are skipped with
    /// [`SkipReason::HostPageLimit`](crate::SkipReason::HostPageLimit) (0 fetches nothing).
    /// Counted when a URL is queued, so retries do not count again. By default, no limit.
    #[must_use]
    pub fn max_pages_per_host(mut self, n: u64) -> Self {
        self.max_pages_per_host = Some(n);
        self
    }

    /// Crawler-trap bound on repeated path segments: a URL is skipped with
    /// [`SkipReason::RepeatedSegments`](crate::SkipReason::RepeatedSegments) when one segment
    /// occurs more than `n` times in its path, or a run of segments occurs `n` times back to
    /// back (`/a/b/a/b/a/b/` for 3). At least 2; `usize::MAX` turns the check off. By default,
    /// [`DEFAULT_MAX_SEGMENT_REPEATS`](crate::DEFAULT_MAX_SEGMENT_REPEATS).
    #[must_use]
    pub fn max_segment_repeats(mut self, n: usize) -> Self {
        self.traps.max_segment_repeats = n;
        self
    }

    /// Crawler-trap bound on query parameters: a URL whose query has more than `n` non-empty
    /// `&`-separated parameters is skipped with
    /// [`SkipReason::QueryParams`](crate::SkipReason::QueryParams). 0 skips every URL with a
    /// query; `usize::MAX` turns the check off. By default,
    /// [`DEFAULT_MAX_QUERY_PARAMS`](crate::DEFAULT_MAX_QUERY_PARAMS).
    #[must_use]
    pub fn max_query_params(mut self, n: usize) -> Self {
        self.traps.max_query_params = n;
        self
    }

    /// Crawler-trap bound on query variants: at most `n` distinct queries are admitted on one
    /// path (scheme, host, port and path, after canonicalization, in discovery order); later
    /// ones are skipped with [`SkipReason::QueryVariants`](crate::SkipReason::QueryVariants).
    /// Generous by default because one script serving a whole site (`/item.php?id=…`) is
    /// common; `u64::MAX` turns the check off. By default,
    /// [`DEFAULT_MAX_QUERY_VARIANTS`](crate::DEFAULT_MAX_QUERY_VARIANTS).
    #[must_use]
    pub fn max_query_variants(mut self, n: u64) -> Self {
        self.traps.max_query_variants = n;
        self
    }

    /// Allows a host: `example.com` admits it and its subdomains on any port;
    /// `127.0.0.1:8080` admits exactly that host and port. By default, only the seeds'
    /// hosts and ports; the first call replaces that default.
    #[must_use]
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.allowed_hosts
            .get_or_insert_with(Vec::new)
            .push(host.into());
        self
    }

    /// Admits every host (mind the scope of such a crawl). By default, only the seeds' hosts.
    #[must_use]
    pub fn allow_any_host(mut self) -> Self {
        self.allowed_hosts = Some(vec!["*".to_string()]);
        self
    }

    /// Only URLs matching at least one include pattern are fetched. The seeds (and what
    /// [`Spider::start_requests`](crate::Spider::start_requests) returns, and their redirect
    /// targets: everything at depth 0) are always fetched, as wget does: the patterns choose
    /// among the links found from them. By default, all are.
    #[must_use]
    pub fn include(mut self, regex: impl Into<String>) -> Self {
        self.include.push(regex.into());
        self
    }

    /// URLs matching any exclude pattern are skipped; the seeds are always fetched (see
    /// [`include`](Self::include)). By default, none is.
    #[must_use]
    pub fn exclude(mut self, regex: impl Into<String>) -> Self {
        self.exclude.push(regex.into());
        self
    }

    /// What to follow when `parse` follows nothing itself. By default, [`FollowMode::AllLinks`].
    #[must_use]
    pub fn follow(mut self, mode: FollowMode) -> Self {
        self.follow = mode;
        self
    }

    /// Sorts query parameters when canonicalizing (`?b=1&a=2` = `?a=2&b=1`). By default, off:
    /// some servers care about order.
    #[must_use]
    pub fn sort_query(mut self, on: bool) -> Self {
        self.sort_query = on;
        self
    }

    /// Keeps every outcome in [`CrawlReport::outcomes`](crate::CrawlReport::outcomes). By
    /// default, off: use [`Crawler::on_outcome`](crate::Crawler::on_outcome) to stream them.
    #[must_use]
    pub fn collect_outcomes(mut self, on: bool) -> Self {
        self.collect_outcomes = on;
        self
    }

    /// Fetches each host's robots.txt (RFC 9309) before anything else on that host, once
    /// per crawl, and obeys it for the user agent's product token (`trawler` in
    /// `trawler/0.1`): a disallowed URL is skipped with
    /// [`SkipReason::Robots`](crate::SkipReason::Robots), and its `Crawl-delay` spaces
    /// requests to the host (see [`crawl_delay_cap`](Self::crawl_delay_cap)). A missing file (4xx) allows
    /// everything; redirects are followed up to 5 hops; a 429, 5xx or unreachable file
    /// holds the host and is asked again with the retry policy's backoff, after which the
    /// host's URLs fail (with no attempt): with
    /// [`FetchError::RobotsUnavailable`](crate::FetchError::RobotsUnavailable) after a 429
    /// or 5xx, with the transport error (connect, TLS, timeout) when nothing answered.
    /// robots.txt requests go out under the same concurrency, rate and timeouts as pages,
    /// without the middleware, and are counted in
    /// [`CrawlReport::robots_fetches`](crate::CrawlReport::robots_fetches), not as pages.
    /// By default, [`DEFAULT_ROBOTS`].
    #[must_use]
    pub fn robots(mut self, on: bool) -> Self {
        self.robots = on;
        self
    }

    /// Longest robots.txt `Crawl-delay` honoured; a host's delay and the
    /// [`per_host_rate`](Self::per_host_rate) both apply, so the stricter wins.
    /// `Duration::ZERO` ignores `Crawl-delay`; at most [`MAX_DURATION`]. By default,
    /// [`DEFAULT_CRAWL_DELAY_CAP`].
    #[must_use]
    pub fn crawl_delay_cap(mut self, cap: Duration) -> Self {
        self.crawl_delay_cap = cap;
        self
    }

    /// How long a host's robots.txt rules are used: older ones are read again before the
    /// host's next request goes out (checked once a minute). A durable crawl keeps each
    /// file with the time it was read, so the age holds across restarts. Not zero; at
    /// most [`MAX_DURATION`]. By default, [`DEFAULT_ROBOTS_MAX_AGE`].
    #[must_use]
    pub fn robots_max_age(mut self, age: Duration) -> Self {
        self.robots_max_age = age;
        self
    }

    /// Reads sitemaps for more URLs: each seed host's `/sitemap.xml` and, with
    /// [`robots`](Self::robots) on, the `Sitemap:` lines of every robots.txt read. Sitemap
    /// indexes are followed (3 levels, 1,000 files per crawl), gzipped sitemaps are
    /// inflated, and a file is read up to 50 MB and 50,000 URLs (the protocol's limits).
    /// A sitemap is fetched only from an allowed host and where robots.txt allows it.
    /// Its URLs are admitted like links found on a seed page: at depth 1, through the
    /// same canonicalization, seen-set, scope and `should_follow`. As for links, the first
    /// sighting of a URL decides its one outcome, and sitemaps are read while pages are
    /// crawled: with [`max_depth`](Self::max_depth), a page that links reached too deep
    /// before its sitemap was read stays skipped for depth. Sitemap requests are
    /// counted in [`CrawlReport::sitemap_fetches`](crate::CrawlReport::sitemap_fetches),
    /// not as pages. By default, [`DEFAULT_SITEMAPS`].
    #[must_use]
    pub fn sitemaps(mut self, on: bool) -> Self {
        self.sitemaps = on;
        self
    }

    /// Stops the crawl once it has run this long, as a [`StopHandle`](crate::StopHandle)
    /// would: requests in flight finish; what is queued is recorded as skipped
    /// (`stopped`), or kept for the next run by a durable store. The report says
    /// [`StopReason::TimeLimit`](crate::StopReason::TimeLimit). At most
    /// [`MAX_DURATION`]. By default, no limit.
    #[must_use]
    pub fn max_duration(mut self, limit: Duration) -> Self {
        self.max_duration = Some(limit);
        self
    }

    /// Lets a durable crawl resume a state that another crawl (other seeds or scope) left,
    /// instead of refusing it with
    /// [`StoreError::OtherCrawl`](crate::store::StoreError::OtherCrawl): its queue is
    /// crawled under this configuration. By default, off.
    #[must_use]
    pub fn continue_other_crawl(mut self, on: bool) -> Self {
        self.continue_other_crawl = on;
        self
    }

    /// Turns on the adaptive throttle: per host, concurrency and delay follow the host's
    /// latency, back off on 429, 503, timeouts and connect errors, and never go past
    /// `per_host_concurrency`, `per_host_rate` or a `Crawl-delay` (see
    /// [`ThrottleConfig`] for the algorithm). Each host starts at one request at a time.
    /// By default, off: the fixed limits apply.
    #[must_use]
    pub fn adaptive_throttle(mut self, throttle: ThrottleConfig) -> Self {
        self.throttle = Some(throttle);
        self
    }
}

#[cfg(test)]
mod tests;
