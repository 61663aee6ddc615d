//! [`SiteSpec`]: everything that decides what the testbed serves, and its defaults.
//!
//! A plain struct with public fields and `Default`, because tests want to say
//! `SiteSpec { pages: 500, ..SiteSpec::default() }` and nothing more. Every default is a
//! named `DEFAULT_*` constant so docs, the demo and benchmarks can quote it. The spec is
//! checked once in [`SiteSpec::validate`] (called by `Testbed::start`), which returns an
//! `InvalidInput` I/O error naming the field, so the server code can trust it.

use std::io;
use std::time::Duration;

/// Default number of reachable HTML pages per host.
pub const DEFAULT_PAGES: u32 = 1_000;
/// Default number of distinct in-content site links per page (nav links come on top).
pub const DEFAULT_LINKS_PER_PAGE: u32 = 20;
/// Default mean page size in bytes; each page varies by up to ±50 % around it.
pub const DEFAULT_PAGE_BYTES: usize = 20_000;
/// Default seed of the whole site.
pub const DEFAULT_SEED: u64 = 1;
/// Default number of hosts (listeners on 127.0.0.1, 127.0.0.2, ...).
pub const DEFAULT_HOSTS: usize = 1;
/// Default port: 0 asks the OS for a free ephemeral port per host.
pub const DEFAULT_PORT: u16 = 0;
/// Default number of actix-web worker threads (one leaves the other core to the crawler).
pub const DEFAULT_WORKERS: usize = 1;
/// Default number of unreachable pages per host: valid URLs that no page links to.
pub const DEFAULT_UNREACHABLE_PAGES: u32 = 5;
/// Default robots.txt; `{origin}` is replaced by the host's origin (`http://127.0.0.1:PORT`).
pub const DEFAULT_ROBOTS_TXT: &str = "User-agent: *\nAllow: /\n\nSitemap: {origin}/sitemap.xml\n";
/// By default `/sitemap.xml` (a sitemap index) and its `/sitemap-N.xml` files are served.
pub const DEFAULT_SITEMAP: bool = true;
/// By default no request log is kept (only counters).
pub const DEFAULT_RECORD_LOG: bool = false;
/// By default a faulty URL misbehaves on its first request only, then answers normally.
pub const DEFAULT_FAULT_REPEATS: u32 = 1;
/// Default time a `stall` fault holds a request before dropping it without an answer.
pub const DEFAULT_STALL: Duration = Duration::from_secs(60);

/// Most hosts a testbed may have; keeps 127.0.0.252..=254 free for the dead off-site links.
pub const MAX_HOSTS: usize = 250;
/// Most pages (reachable plus unreachable) per host: the hit counters take 4 bytes each.
pub const MAX_PAGES: u32 = 100_000_000;

/// Artificial delay before every answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Latency {
    /// Answer as fast as possible (the default).
    #[default]
    None,
    /// Wait exactly this long.
    Fixed(Duration),
    /// Wait a uniformly random time in `min..=max`.
    Uniform {
        /// Shortest wait.
        min: Duration,
        /// Longest wait.
        max: Duration,
    },
}

/// Injected failures. Each rate is the share of page URLs (chosen by a hash of seed, host and
/// path, so the same URLs every run) that suffer that fault for their first `repeats` requests
/// and then answer normally, so a crawler that retries still reaches full coverage. The kinds
/// are exclusive (a URL has at most one); only HTML pages fault, never robots.txt, sitemaps or
/// assets. All rates default to 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Faults {
    /// Share of pages answering 503 or 500.
    pub status_5xx: f64,
    /// Share of pages answering 429 with `Retry-After: 1`.
    pub status_429: f64,
    /// Share of pages whose connection is dropped without any answer.
    pub reset: f64,
    /// Share of pages that send nothing for [`Faults::stall_for`], then drop the connection.
    pub stall: f64,
    /// Share of pages that send headers, then drip the body a few bytes per 100 ms.
    pub slow_body: f64,
    /// How many requests of a faulty URL misbehave. By default, [`DEFAULT_FAULT_REPEATS`].
    pub repeats: u32,
    /// How long a stall lasts. By default, [`DEFAULT_STALL`].
    pub stall_for: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            status_5xx: 0.0,
            status_429: 0.0,
            reset: 0.0,
            stall: 0.0,
            slow_body: 0.0,
            repeats: DEFAULT_FAULT_REPEATS,
            stall_for: DEFAULT_STALL,
        }
    }
}

impl Faults {
    /// The rates in the order faults are assigned (5xx, 429, reset, stall, slow body).
    pub(crate) fn rates(&self) -> [f64; 5] {
        [
            self.status_5xx,
            self.status_429,
            self.reset,
            self.stall,
            self.slow_body,
        ]
    }

    /// True when no fault can ever be injected (lets the hot path skip hashing).
    pub(crate) fn none(&self) -> bool {
        self.repeats == 0 || self.rates().iter().all(|&r| r <= 0.0)
    }
}

/// What the testbed serves. See the module docs of [`crate::testbed`] for the site shape.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteSpec {
    /// Reachable HTML pages per host, including the index `/`. By default, [`DEFAULT_PAGES`].
    pub pages: u32,
    /// Distinct in-content site links per page. By default, [`DEFAULT_LINKS_PER_PAGE`].
    pub links_per_page: u32,
    /// Mean page size in bytes (±50 % per page). By default, [`DEFAULT_PAGE_BYTES`].
    pub page_bytes: usize,
    /// Seed of everything random. By default, [`DEFAULT_SEED`].
    pub seed: u64,
    /// Number of hosts, 1 to [`MAX_HOSTS`]. By default, [`DEFAULT_HOSTS`].
    pub hosts: usize,
    /// Port of every host (each on its own 127.0.0.x). By default, [`DEFAULT_PORT`] (ephemeral).
    pub port: u16,
    /// actix-web worker threads. By default, [`DEFAULT_WORKERS`].
    pub workers: usize,
    /// Delay before each answer. By default, [`Latency::None`].
    pub latency: Latency,
    /// Injected failures. By default, none.
    pub faults: Faults,
    /// Body of `/robots.txt` (`{origin}` is substituted); `None` makes it a 404.
    /// By default, [`DEFAULT_ROBOTS_TXT`].
    pub robots_txt: Option<String>,
    /// Whether `/sitemap.xml` and `/sitemap-N.xml` exist. By default, [`DEFAULT_SITEMAP`].
    pub sitemap: bool,
    /// Unreachable pages per host. By default, [`DEFAULT_UNREACHABLE_PAGES`].
    pub unreachable_pages: u32,
    /// Keep a timestamped log of every request. By default, [`DEFAULT_RECORD_LOG`].
    pub record_log: bool,
    /// The site's edition: each one changes about one page in ten (see the `ETag`s and
    /// `304`s every page answers with). By default, 0.
    pub edition: u32,
    /// Serve https (HTTP/2 and HTTP/1.1 by ALPN) with a CA made at start
    /// ([`Testbed::ca_pem`](crate::Testbed::ca_pem)); needs the `tls` feature. By default,
    /// plain http.
    pub tls: bool,
    /// Share of the pages (0 to 1; never the index) served as a script's shell that
    /// writes the page in the browser: their links are found only by rendering. By
    /// default, 0.
    pub script_pages: f64,
}

impl Default for SiteSpec {
    fn default() -> Self {
        Self {
            pages: DEFAULT_PAGES,
            links_per_page: DEFAULT_LINKS_PER_PAGE,
            page_bytes: DEFAULT_PAGE_BYTES,
            seed: DEFAULT_SEED,
            hosts: DEFAULT_HOSTS,
            port: DEFAULT_PORT,
            workers: DEFAULT_WORKERS,
            latency: Latency::None,
            faults: Faults::default(),
            robots_txt: Some(DEFAULT_ROBOTS_TXT.to_owned()),
            sitemap: DEFAULT_SITEMAP,
            unreachable_pages: DEFAULT_UNREACHABLE_PAGES,
            record_log: DEFAULT_RECORD_LOG,
            edition: 0,
            tls: false,
            script_pages: 0.0,
        }
    }
}

impl SiteSpec {
    /// Checks every field.
    ///
    /// # Errors
    ///
    /// An `InvalidInput` error naming the first field that is out of range.
    pub fn validate(&self) -> io::Result<()> {
        let bad = |msg: String| Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
        if self.tls && !cfg!(feature = "tls") {
            return bad("testbed: tls needs trawler-testbed's `tls` feature".to_string());
        }
        if self.pages == 0 || self.pages.saturating_add(self.unreachable_pages) > MAX_PAGES {
            return bad(format!(
                "testbed: pages + unreachable_pages must be in 1..={MAX_PAGES} (pages >= 1), got {} + {}",
                self.pages, self.unreachable_pages
            ));
        }
        if !(0.0..=1.0).contains(&self.script_pages) {
            return bad(format!(
                "testbed: script_pages must be in 0..=1, got {}",
                self.script_pages
            ));
        }
        if !(1..=1_000).contains(&self.links_per_page) {
            return bad(format!(
                "testbed: links_per_page must be in 1..=1000, got {}",
                self.links_per_page
            ));
        }
        if !(1..=MAX_HOSTS).contains(&self.hosts) {
            return bad(format!(
                "testbed: hosts must be in 1..={MAX_HOSTS}, got {}",
                self.hosts
            ));
        }
        if !(1..=64).contains(&self.workers) {
            return bad(format!(
                "testbed: workers must be in 1..=64, got {}",
                self.workers
            ));
        }
        if self.page_bytes > 16 << 20 {
            return bad(format!(
                "testbed: page_bytes must be at most 16 MiB, got {}",
                self.page_bytes
            ));
        }
        let max_wait = Duration::from_secs(600);
        match self.latency {
            Latency::Uniform { min, max } if min > max => {
                return bad(format!("testbed: latency min {min:?} exceeds max {max:?}"));
            }
            Latency::Fixed(d) | Latency::Uniform { max: d, .. } if d > max_wait => {
                return bad(format!("testbed: latency {d:?} exceeds {max_wait:?}"));
            }
            _ => {}
        }
        let rates = self.faults.rates();
        if rates.iter().any(|r| !(0.0..=1.0).contains(r)) || rates.iter().sum::<f64>() > 1.0 + 1e-9
        {
            return bad(format!(
                "testbed: fault rates must be in 0..=1 and sum to at most 1, got {rates:?}"
            ));
        }
        if self.faults.stall_for > max_wait {
            return bad(format!(
                "testbed: faults.stall_for must be at most {max_wait:?}"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_bad_fields_are_named() {
        assert!(SiteSpec::default().validate().is_ok());
        let err = SiteSpec {
            hosts: 0,
            ..SiteSpec::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("hosts"), "{err}");
        let faults = Faults {
            status_5xx: 0.7,
            reset: 0.6,
            ..Faults::default()
        };
        assert!(
            SiteSpec {
                faults,
                ..SiteSpec::default()
            }
            .validate()
            .is_err()
        );
        for share in [-0.1, 1.5, f64::NAN] {
            let err = SiteSpec {
                script_pages: share,
                ..SiteSpec::default()
            }
            .validate()
            .unwrap_err();
            assert!(err.to_string().contains("script_pages"), "{err}");
        }
        assert!(Faults::default().none());
    }
}
