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
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The actors and their message flow are described in the `actors` module's source docs;
//! the README has the design, the defaults and the measured performance.

mod actors;
mod admit;
#[cfg(feature = "warc")]
pub mod archive;
#[doc(hidden)]
pub mod bench_api;
pub mod canon;
pub mod charset;
mod closure;
mod config;
#[cfg(feature = "content")]
pub mod content;
mod crawler;
pub mod dom;
mod error;
pub mod extract;
mod fetch;
mod frontier;
mod harvest;
mod middleware;
mod outcome;
mod page;
mod pipeline;
mod politeness;
pub mod prelude;
mod progress;
mod report;
mod request;
pub mod retry;
#[cfg(feature = "save")]
pub mod save;
mod scope;
mod sitemap;
mod sniff;
mod spider;
#[cfg(feature = "testbed")]
pub mod testbed;
mod tls;
mod traps;

// The plugin API (also in the prelude).
#[doc(inline)]
pub use crate::closure::FnSpider;
#[doc(inline)]
pub use crate::page::Page;
#[doc(inline)]
pub use crate::request::{Flow, Request};
#[doc(inline)]
pub use crate::spider::{Output, Spider};
// Items and HTTP hooks.
#[doc(inline)]
pub use crate::middleware::{
    InvalidHeader, Middleware, OutgoingRequest, RequestKind, ResponseAction, ResponseView,
};
#[doc(inline)]
pub use crate::pipeline::{Collect, Collected, JsonLines, Pipeline};
// Configuration and running.
#[doc(inline)]
pub use crate::config::{
    CrawlConfig, CrawlConfigBuilder, DEFAULT_CONCURRENCY, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_BODY, DEFAULT_MAX_REDIRECTS, DEFAULT_MAX_URL_LEN, DEFAULT_PER_HOST_CONCURRENCY,
    DEFAULT_REQUEST_TIMEOUT, DEFAULT_USER_AGENT, FollowMode,
};
#[doc(inline)]
pub use crate::config::{DEFAULT_CRAWL_DELAY_CAP, DEFAULT_ROBOTS, DEFAULT_SITEMAPS};
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
pub use crate::retry::RetryPolicy;
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
// The crates whose types appear in the API, so plugins use the same versions.
pub use scraper;
pub use url;

/// The README's code blocks, compiled as doc tests so they never go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
