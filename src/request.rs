//! A request to crawl one URL, as seeds, plugins and the frontier see it.
//!
//! Requests are plain owned data (they cross from parsers to the supervisor to fetchers).
//! The referrer and the label are `Arc`s because every link found on a page shares them.

use std::sync::Arc;
use url::Url;

/// One URL to fetch, with its place in the crawl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub(crate) url: Url,
    pub(crate) depth: u32,
    pub(crate) priority: i32,
    pub(crate) label: Option<Arc<str>>,
    pub(crate) referrer: Option<Arc<Url>>,
    pub(crate) attempts: u32,
    pub(crate) redirects: u8,
    pub(crate) session: Option<Arc<str>>,
    pub(crate) render: bool,
}

impl Request {
    /// A request for `url` at depth 0 with priority 0.
    pub fn new(url: Url) -> Self {
        Request {
            url,
            depth: 0,
            priority: 0,
            label: None,
            referrer: None,
            attempts: 0,
            redirects: 0,
            session: None,
            render: false,
        }
    }

    /// Parses `url` and makes a request for it.
    pub fn get(url: &str) -> Result<Self, url::ParseError> {
        Url::parse(url).map(Request::new)
    }

    /// Sets the priority: among queued requests of one host, higher goes first; equal
    /// priorities go in discovery order (breadth-first). By default, 0.
    #[must_use]
    pub fn with_priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// Tags the request, e.g. `"product"` or `"listing"`, so `parse` can tell pages apart
    /// ([`Page::label`](crate::Page::label)). By default, no label.
    #[must_use]
    pub fn with_label(mut self, label: impl Into<Arc<str>>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Sends the request in a session of its own: each session has its own cookie jar
    /// and, when the crawl goes through a pool of proxies, keeps to one proxy of it (a
    /// logged-in user, a shopping cart, one identity per proxy). The links of a page
    /// fetched in a session, and its redirects, are requested in the same session unless
    /// a request says another. By default, the crawl's one session.
    #[must_use]
    pub fn with_session(mut self, session: impl Into<Arc<str>>) -> Self {
        self.session = Some(session.into());
        self
    }

    /// Renders the page in the crawl's browser (a crawl with `Crawler::render`, with the
    /// `browser` feature), whatever its rule says: for a page
    /// known to build its links with JavaScript. Its redirects are rendered too; the links
    /// found on it are not, unless they say so or the rule picks them. A crawl without a
    /// browser fetches it over HTTP.
    #[must_use]
    pub fn render(mut self) -> Self {
        self.render = true;
        self
    }

    /// Whether [`render`](Self::render) was asked for.
    pub fn wants_render(&self) -> bool {
        self.render
    }

    /// The session set with [`with_session`](Self::with_session) (or inherited).
    pub fn session(&self) -> Option<&str> {
        self.session.as_deref()
    }

    /// The URL (canonical once the request has been accepted by the crawl).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Link distance from the seeds: a seed is at depth 0, the pages it links to at 1.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// The priority set with [`with_priority`](Self::with_priority).
    pub fn priority(&self) -> i32 {
        self.priority
    }

    /// The label set with [`with_label`](Self::with_label).
    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    /// The page this URL was found on (or redirected from); `None` for seeds.
    pub fn referrer(&self) -> Option<&Url> {
        self.referrer.as_deref()
    }

    /// How many fetch attempts were made so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// How many redirects led to this request.
    pub fn redirects(&self) -> u8 {
        self.redirects
    }
}

/// What a hook wants done next. Modelled on ripgrep's `WalkState`: an enum, not a bool,
/// so that stopping the whole crawl is a distinct, visible choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flow {
    /// Go on with this request.
    #[default]
    Continue,
    /// Drop this request only; it is recorded as skipped.
    Skip,
    /// Drop this request and wind the whole crawl down (in-flight requests finish, queued
    /// ones are recorded as skipped).
    Stop,
}
