//! Pages rendered by a headless Chromium, for sites that build their links and content with
//! JavaScript; the HTTP client for everything else.
//!
//! [`Crawler::render`](crate::Crawler::render) puts a [`RenderConfig`] on a crawl: the
//! requests it picks ([`RenderRule`]) are loaded in a tab of a Chromium driven over the
//! DevTools protocol (`chromiumoxide`), the rest go through the HTTP client as before. A
//! rendered page is what the browser's DOM holds once the page has loaded and its network
//! has gone quiet (or a bound has passed): that is what the parser and the spider see, with
//! the HTTP status and header fields of the main document. Everything above the transport
//! stays the same: robots.txt, scope, per-host concurrency and rate apply to the main
//! document as to any request, a redirect of the main document is an answer the crawl
//! follows through its own admission, and the retry policy retries a failed render.
//!
//! - `chrome`: the Chromium process, started once per crawl on a thread of its own (headless,
//!   a fresh profile directory, no background networking), and started again when it dies.
//! - `tab`: one render: the page loaded, waited for, its DOM taken; cut at the request's
//!   timeout. `intercept`: each of its requests paused, sub-resources of other hosts and of
//!   blocked kinds refused before they leave, the crawl's header fields on the main document
//!   only. `extras`: the crawl's page script and screenshots.
//! - `transport`: which requests are rendered, and a bound on the tabs open per worker.
//! - `adaptive`: HTTP first, and the browser only for pages that look like a script's
//!   shell and for hosts whose sampled pages gain links when rendered.
//!
//! Compiled with the `browser` feature. No browser is downloaded: Chromium is found on
//! `PATH` (`chromium`, `chromium-browser`, `google-chrome`) or given with
//! [`RenderConfig::executable`].

mod adaptive;
mod chrome;
mod extras;
mod intercept;
mod tab;
mod transport;

use regex::Regex;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use adaptive::{MAX_LEARNING, RESAMPLE, SAMPLES};
use transport::Rendering;

/// The rendering transport for a crawl of `crawl`: the browser found and started, the
/// HTTP transport `http` for what is not rendered.
pub(crate) fn launch(
    config: RenderConfig,
    http: std::sync::Arc<dyn crate::fetch::transport::TransportFactory>,
    crawl: &crate::config::CrawlConfig,
) -> Result<Rendering, crate::Error> {
    let executable = config.find_executable().map_err(crate::Error::Browser)?;
    let chrome = chrome::Chrome::start(executable).map_err(crate::Error::Browser)?;
    let policy = tab::Policy {
        user_agent: crawl.user_agent.clone(),
        settle: config.settle,
        quiet: config.quiet,
        block: config.block,
        allow_hosts: config.allow_hosts,
        script: config.script,
        screenshots: config.screenshots,
    };
    Ok(Rendering {
        http,
        chrome,
        rule: config.rule,
        policy: std::sync::Arc::new(policy),
        tabs: config.tabs,
        adaptive: std::sync::Arc::new(adaptive::Hosts::default()),
    })
}

/// Tabs open at once per worker, unless told otherwise.
pub const DEFAULT_TABS: usize = 4;

/// How long a loaded page may take to go quiet before its DOM is taken anyway, unless told
/// otherwise.
pub const DEFAULT_SETTLE: Duration = Duration::from_secs(5);

/// How long a loaded page's network must stay quiet before its DOM is taken, unless told
/// otherwise.
pub const DEFAULT_QUIET: Duration = Duration::from_millis(250);

/// The browser's names looked for on `PATH`, in order.
pub const BROWSER_NAMES: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

/// Which requests are rendered.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RenderRule {
    /// Every page.
    All,
    /// Pages whose URL matches any of these.
    Matching(Vec<Regex>),
    /// Pages that need it: each page is fetched over HTTP first and rendered if it looks
    /// like a script's shell, or if its host's sampled pages gained links when rendered
    /// (see [`SAMPLES`], [`RESAMPLE`] and the README's "JavaScript pages").
    Adaptive,
}

impl RenderRule {
    /// Whether `url` is rendered.
    pub(crate) fn renders(&self, url: &str) -> bool {
        match self {
            RenderRule::All => true,
            RenderRule::Matching(res) => res.iter().any(|re| re.is_match(url)),
            RenderRule::Adaptive => false,
        }
    }
}

/// Kinds of sub-resource a rendered page may be refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResourceKind {
    /// Images (`<img>`, CSS backgrounds, favicons).
    Images,
    /// Audio and video.
    Media,
    /// Web fonts.
    Fonts,
    /// Style sheets.
    Stylesheets,
}

impl ResourceKind {
    /// Parses `images`, `media`, `fonts` or `stylesheets`.
    pub fn parse(name: &str) -> Option<ResourceKind> {
        match name.trim().to_ascii_lowercase().as_str() {
            "images" | "image" => Some(ResourceKind::Images),
            "media" => Some(ResourceKind::Media),
            "fonts" | "font" => Some(ResourceKind::Fonts),
            "stylesheets" | "stylesheet" | "css" => Some(ResourceKind::Stylesheets),
            _ => None,
        }
    }
}

/// How a crawl renders pages; see the module docs.
#[derive(Debug, Clone)]
pub struct RenderConfig {
    pub(crate) rule: RenderRule,
    pub(crate) executable: Option<PathBuf>,
    pub(crate) tabs: usize,
    pub(crate) settle: Duration,
    pub(crate) quiet: Duration,
    pub(crate) block: Vec<ResourceKind>,
    pub(crate) allow_hosts: Vec<String>,
    pub(crate) script: Option<std::sync::Arc<str>>,
    pub(crate) screenshots: bool,
}

impl RenderConfig {
    /// Renders the requests `rule` picks, with images, media and fonts blocked, at most
    /// [`DEFAULT_TABS`] tabs per worker.
    pub fn new(rule: RenderRule) -> Self {
        RenderConfig {
            rule,
            executable: None,
            tabs: DEFAULT_TABS,
            settle: DEFAULT_SETTLE,
            quiet: DEFAULT_QUIET,
            block: vec![
                ResourceKind::Images,
                ResourceKind::Media,
                ResourceKind::Fonts,
            ],
            allow_hosts: Vec::new(),
            script: None,
            screenshots: false,
        }
    }

    /// Every page rendered.
    pub fn all() -> Self {
        RenderConfig::new(RenderRule::All)
    }

    /// Pages rendered where needed ([`RenderRule::Adaptive`]).
    pub fn adaptive() -> Self {
        RenderConfig::new(RenderRule::Adaptive)
    }

    /// JavaScript run in each rendered page once it has loaded, before its DOM is taken:
    /// the body of an `async` function, awaited (`await` works in it), e.g. a scroll to the
    /// bottom or clicks on "load more". What it makes the page fetch is waited for as the
    /// page's own requests are. A script that throws is logged, and the page taken as it is.
    #[must_use]
    pub fn script(mut self, js: &str) -> Self {
        self.script = Some(std::sync::Arc::from(js));
        self
    }

    /// A PNG of each rendered page (the whole page, up to 4096 × 16384 CSS pixels), for the
    /// spider as [`Page::screenshot`](crate::Page::screenshot).
    #[must_use]
    pub fn screenshots(mut self, on: bool) -> Self {
        self.screenshots = on;
        self
    }

    /// The browser to run; by default the first of [`BROWSER_NAMES`] found on `PATH`.
    #[must_use]
    pub fn executable(mut self, path: impl Into<PathBuf>) -> Self {
        self.executable = Some(path.into());
        self
    }

    /// Tabs open at once per worker (at least 1); more renders wait for one.
    #[must_use]
    pub fn tabs(mut self, n: usize) -> Self {
        self.tabs = n.max(1);
        self
    }

    /// How long a loaded page may take to go quiet before its DOM is taken anyway.
    #[must_use]
    pub fn settle(mut self, bound: Duration) -> Self {
        self.settle = bound;
        self
    }

    /// How long a loaded page's network must stay quiet (no request in flight) before its
    /// DOM is taken: longer waits for slower scripts, and costs that much per page.
    #[must_use]
    pub fn quiet(mut self, quiet: Duration) -> Self {
        self.quiet = quiet;
        self
    }

    /// The kinds of sub-resource refused (by default images, media and fonts).
    #[must_use]
    pub fn block(mut self, kinds: Vec<ResourceKind>) -> Self {
        self.block = kinds;
        self
    }

    /// A host whose sub-resources a rendered page may load besides its own (its
    /// subdomains too; `*` for every host). By default, only the page's own host.
    #[must_use]
    pub fn allow_host(mut self, host: &str) -> Self {
        self.allow_hosts.push(host.trim().to_ascii_lowercase());
        self
    }

    /// The browser's path: the one given, or the first found on `PATH`; or why there is
    /// none, in words.
    ///
    /// # Errors
    ///
    /// No file at the path given, or none of [`BROWSER_NAMES`] on `PATH`.
    pub fn find_executable(&self) -> Result<PathBuf, String> {
        if let Some(path) = &self.executable {
            return match path.is_file() {
                true => Ok(path.clone()),
                false => Err(format!("no browser at {}", path.display())),
            };
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        for name in BROWSER_NAMES {
            for dir in std::env::split_paths(&path) {
                let candidate = Path::new(&dir).join(name);
                if candidate.is_file() {
                    return Ok(candidate);
                }
            }
        }
        Err(format!(
            "no browser found: install Chromium (one of {} on PATH), or give its path",
            BROWSER_NAMES.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_and_kinds() {
        assert!(RenderRule::All.renders("http://a.test/"));
        let rule = RenderRule::Matching(vec![Regex::new("/app/").unwrap()]);
        assert!(rule.renders("http://a.test/app/x") && !rule.renders("http://a.test/doc"));
        assert_eq!(ResourceKind::parse(" Images"), Some(ResourceKind::Images));
        assert_eq!(ResourceKind::parse("css"), Some(ResourceKind::Stylesheets));
        assert_eq!(ResourceKind::parse("scripts"), None);
    }

    #[test]
    fn a_missing_browser_is_named() {
        let e = RenderConfig::all()
            .executable("/nonexistent/chromium")
            .find_executable()
            .unwrap_err();
        assert!(e.contains("/nonexistent/chromium"), "{e}");
    }
}
