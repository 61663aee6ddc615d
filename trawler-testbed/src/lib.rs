//! A synthetic website on loopback: the site trawler's demo, examples, tests and benchmarks
//! crawl, so that nothing in the project ever needs the internet. It does not depend on
//! trawler: any crawler can be pointed at it and judged by its counters.
//!
//! [`Testbed::start`] binds one listener per host on 127.0.0.1, 127.0.0.2, ... (port 0 by
//! default) and serves pages generated on the fly from a seed: a 10M-page site stores
//! nothing but 4 bytes of hit counter per page, and the same [`SiteSpec`] always yields
//! byte-identical pages. The server counts every request, so a test can check a crawl for
//! full coverage and zero duplicates ([`TestbedStats::is_perfect_crawl`]).
//!
//! # Site shape (per host)
//!
//! * `/` (the index) and `/sNN/pNNNNNN.html`, a few hundred pages per section folder; page `i`
//!   is generated from a PRNG seeded by `hash(seed, host, i)`.
//! * Each page has `links_per_page` distinct in-content links spread through its paragraphs,
//!   in mixed forms (absolute path, relative `p.html` / `./p.html` / `../sNN/p.html`, full
//!   URL, some with a `#fragment`), plus a nav bar (index and hub pages). A spanning tree
//!   built into the links makes every page reachable from `/`.
//! * A few *unreachable* pages: valid URLs no page links to ([`Testbed::unreachable_urls`]).
//! * *Traps*: `/trap/...` URLs that appear only inside `<script>` strings and CSS `url()`;
//!   a correct crawler never requests them (they answer 404 and are counted).
//! * 1-3 off-site links per page, all to dead loopback ports (127.0.0.252-254:9) or `.invalid`
//!   names, never a real host; 1-3 links to `/assets/N.{pdf,png,zip}`, plus `<img>` and
//!   stylesheet assets.
//! * `/robots.txt` (permissive, with a `Sitemap:` line) and `/sitemap.xml` (an index of
//!   `/sitemap-N.xml` files listing every reachable page).
//! * With several hosts, each host's index links to every other host's index, and pages link
//!   across hosts now and then: [`Testbed::reachable_pages`] counts all hosts.
//!
//! Optional [`Latency`] and deterministic [`Faults`] (5xx, 429, connection reset, stall,
//! slow body) make retry and timeout paths testable; a faulty page misbehaves only for its
//! first `repeats` requests.
//!
//! ```no_run
//! use trawler_testbed::{SiteSpec, Testbed};
//!
//! let testbed = Testbed::start(SiteSpec { pages: 500, ..SiteSpec::default() })?;
//! println!("crawl {} ({} pages)", testbed.url(), testbed.reachable_pages());
//! // ... crawl it ...
//! assert!(testbed.stats().is_perfect_crawl());
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Layout
//!
//! Pure core: `spec` (configuration), `rng` and `perm` (determinism), `graph` (one host's
//! links), `text`, `page`, `scripted` and `resources` (bodies), `site` (all hosts and routing). Server:
//! `faults`, `stats`, `server` (the actix-web handler) and `runner` ([`Testbed`]);
//! `sample` renders pages without a server ([`render_pages`], for benchmarks); `coverage`
//! is the verdict a crawl of it gets ([`Coverage`]).

mod coverage;
mod editions;
mod faults;
mod graph;
mod page;
mod perm;
mod proxy_server;
mod redis_server;
mod resources;
mod rng;
mod runner;
mod sample;
mod scripted;
mod server;
mod site;
mod spec;
mod stats;
mod text;
#[cfg(feature = "tls")]
mod tls;

#[cfg(test)]
mod tests;

pub use coverage::Coverage;
pub use proxy_server::{ProxyKind, ProxyServer};
pub use redis_server::RedisServer;
pub use runner::{STOP_TIMEOUT, Testbed};
pub use sample::render_pages;
pub use spec::{
    DEFAULT_FAULT_REPEATS, DEFAULT_HOSTS, DEFAULT_LINKS_PER_PAGE, DEFAULT_PAGE_BYTES,
    DEFAULT_PAGES, DEFAULT_PORT, DEFAULT_RECORD_LOG, DEFAULT_ROBOTS_TXT, DEFAULT_SEED,
    DEFAULT_SITEMAP, DEFAULT_STALL, DEFAULT_UNREACHABLE_PAGES, DEFAULT_WORKERS, Faults, Latency,
    MAX_HOSTS, MAX_PAGES, SiteSpec,
};
pub use stats::{LogEntry, TestbedStats};
