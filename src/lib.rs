//! # trawler
//!
//! An actor-based web crawler framework: fast on the same work, polite by default, and
//! it never loses a URL: every URL it accepts ends with exactly one recorded
//! [`Outcome`].
//!
//! A plugin is a [`Spider`]: one required method, `parse`, that turns a [`Page`] into
//! items and links to follow. Configure with [`CrawlConfig::builder`], run with
//! [`Crawler::run`]:
//!
//! ```no_run
//! use trawler::prelude::*;
//!
//! struct Titles;
//!
//! impl Spider for Titles {
//!     type Item = (String, String);
//!
//!     fn parse(&self, page: &Page<'_>, out: &mut Output<Self::Item>) -> Result<(), BoxError> {
//!         let title = Selector::parse("title")?;
//!         if let Some(t) = page.select(&title).next() {
//!             out.item((page.url().to_string(), t.text().collect()));
//!         }
//!         Ok(()) // following nothing explicitly: every link is followed
//!     }
//! }
//!
//! let config = CrawlConfig::builder().seed("http://127.0.0.1:8080/").max_depth(3).build()?;
//! let report = Crawler::new(config, Titles).pipeline(JsonLines::create("titles.jsonl")?).run()?;
//! println!("{report}");
//! # Ok::<(), BoxError>(())
//! ```
//!
//! The actors and their message flow are described in the `actors` module's source docs;
//! the README has the design, the defaults and the measured performance.

mod actors;
mod admit;
#[cfg(feature = "warc")]
pub mod archive;
pub mod bench_api;
#[doc(hidden)]
#[cfg(feature = "browser")]
pub mod browser;
pub mod canon;
pub mod charset;
mod closure;
mod config;
#[cfg(feature = "content")]
pub mod content;
mod cookies;
mod crawler;
pub mod dom;
mod element;
mod engine;
mod error;
pub mod extract;
mod fastmap;
mod fetch;
mod frontier;
mod harvest;
mod headers;
mod middleware;
mod outcome;
mod page;
mod pipeline;
mod politeness;
pub mod prelude;
mod progress;
mod proxy;
mod report;
mod request;
pub mod retry;
pub mod revisit;
mod robots_meta;
#[cfg(feature = "save")]
pub mod save;
mod scope;
mod sitemap;
mod sniff;
mod spider;
pub mod store;
mod tls;
mod traps;

// The plugin API (also in the prelude).
#[doc(inline)]
pub use crate::closure::FnSpider;
#[doc(inline)]
pub use crate::element::ElementExt;
#[doc(inline)]
pub use crate::page::Page;
#[doc(inline)]
pub use crate::request::{Flow, Request};
#[doc(inline)]
pub use crate::robots_meta::RobotsDirectives;
#[doc(inline)]
pub use crate::spider::{Output, Spider};
// Items and HTTP hooks.
#[doc(inline)]
pub use crate::headers::{Headers, InvalidHeader};
#[doc(inline)]
pub use crate::middleware::{
    Middleware, OutgoingRequest, RequestKind, ResponseAction, ResponseView,
};
// The transport seam: what sends requests, for a crawl that does not use the default HTTP
// client.
#[doc(inline)]
pub use crate::fetch::transport::{
    FetchRequest, FetchResponse, Transport, TransportError, TransportFactory, Wire,
};
#[doc(inline)]
pub use crate::pipeline::{Collect, Collected, Csv, JsonLines, Pipeline};
// Configuration and running.
#[doc(inline)]
pub use crate::config::DEFAULT_PROXY_BENCH;
#[doc(inline)]
pub use crate::config::{
    CrawlConfig, CrawlConfigBuilder, DEFAULT_CONCURRENCY, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_BODY, DEFAULT_MAX_REDIRECTS, DEFAULT_MAX_URL_LEN, DEFAULT_PER_HOST_CONCURRENCY,
    DEFAULT_REQUEST_TIMEOUT, DEFAULT_USER_AGENT, FollowMode,
};
#[doc(inline)]
pub use crate::config::{
    DEFAULT_COOKIES, DEFAULT_CRAWL_DELAY_CAP, DEFAULT_HTTP2, DEFAULT_ROBOTS,
    DEFAULT_ROBOTS_MAX_AGE, DEFAULT_SITEMAPS,
};
#[doc(inline)]
pub use crate::config::{
    DEFAULT_FOLLOW_REL_NOFOLLOW, DEFAULT_OBEY_NOFOLLOW, DEFAULT_REPORT_NOINDEX,
};
#[doc(inline)]
pub use crate::config::{MAX_CONCURRENCY, MAX_DURATION, MAX_WORKERS, MIN_RATE};
#[doc(inline)]
pub use crate::crawler::{Crawler, StopHandle};
#[doc(inline)]
pub use crate::dom::MAX_DOM_DEPTH;
#[doc(inline)]
pub use crate::politeness::throttle::{
    DEFAULT_MAX_DELAY, DEFAULT_START_DELAY, DEFAULT_TARGET_CONCURRENCY, ThrottleConfig,
};
#[doc(inline)]
pub use crate::progress::{Progress, ProgressSnapshot};
#[doc(inline)]
pub use crate::proxy::{DEFAULT_PROXY_PORT, Proxy, ProxyScheme, Rotation};
#[doc(inline)]
pub use crate::retry::RetryPolicy;
#[doc(inline)]
pub use crate::revisit::{Revisit, RevisitCounts};
#[doc(inline)]
pub use crate::traps::{
    DEFAULT_MAX_QUERY_PARAMS, DEFAULT_MAX_QUERY_VARIANTS, DEFAULT_MAX_SEGMENT_REPEATS,
};
// Results.
#[doc(inline)]
pub use crate::error::{BoxError, ConfigError, Error, FetchError};
#[doc(inline)]
pub use crate::outcome::{Outcome, OutcomeKind, SkipReason};
#[doc(inline)]
pub use crate::report::{CrawlReport, StopReason};
// The crates whose types appear in the API, so plugins use the same versions; `serde` so
// items can derive `Serialize` with no dependency of their own
// (`#[serde(crate = "trawler::serde")]`).
pub use regex;
pub use scraper;
pub use serde;
pub use url;

/// The README's code blocks, compiled as doc tests so they never go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
