//! Everything a plugin author needs: `use trawler::prelude::*;`.

pub use crate::closure::FnSpider;
pub use crate::config::{CrawlConfig, CrawlConfigBuilder, FollowMode};
pub use crate::crawler::{Crawler, StopHandle};
pub use crate::element::ElementExt;
pub use crate::error::{BoxError, ConfigError, Error, FetchError};
pub use crate::middleware::{
    Middleware, OutgoingRequest, RequestKind, ResponseAction, ResponseView,
};
pub use crate::outcome::{Outcome, OutcomeKind, SkipReason};
pub use crate::page::Page;
pub use crate::pipeline::{Collect, Collected, Csv, JsonLines, Pipeline};
pub use crate::politeness::throttle::ThrottleConfig;
pub use crate::progress::{Progress, ProgressSnapshot};
pub use crate::report::{CrawlReport, StopReason};
pub use crate::request::{Flow, Request};
pub use crate::retry::RetryPolicy;
pub use crate::robots_meta::RobotsDirectives;
pub use crate::spider::{Output, Spider};
pub use regex::Regex;
pub use scraper::{ElementRef, Html, Selector};
/// The trait and its derive; a derive through this re-export needs
/// `#[serde(crate = "trawler::serde")]`.
pub use serde::Serialize;
pub use url::Url;
