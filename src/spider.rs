//! The plugin API: what a crawl does with each page.
//!
//! [`Spider`] is the one extension point for page logic: a required `parse` and defaults
//! for the rest. `parse` is synchronous on purpose: it runs on a parser thread where the
//! page and its DOM live and die; async work belongs in a [`Pipeline`](crate::Pipeline).
//! Writes go to an [`Output`]: items for the pipelines, requests for the frontier.

use crate::error::BoxError;
use crate::outcome::Outcome;
use crate::page::Page;
use crate::request::{Flow, Request};
use url::Url;

/// What a crawl does with each page. Only [`parse`](Self::parse) is required.
///
/// One value is shared by every parser thread (`&self`); keep per-crawl state in
/// atomics or locks, or emit it as items and aggregate in a pipeline. An `Arc<S>` is a
/// spider too, so state can be read after the crawl through a clone of the `Arc`:
///
/// ```no_run
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use trawler::prelude::*;
///
/// #[derive(Default)]
/// struct Bytes {
///     total: AtomicU64,
/// }
///
/// impl Spider for Bytes {
///     type Item = ();
///
///     fn parse(&self, page: &Page<'_>, _out: &mut Output<()>) -> Result<(), BoxError> {
///         self.total.fetch_add(page.body().len() as u64, Ordering::Relaxed);
///         Ok(())
///     }
/// }
///
/// let spider = Arc::new(Bytes::default());
/// let config = CrawlConfig::builder().seed("http://127.0.0.1:8080/").build()?;
/// Crawler::new(config, Arc::clone(&spider)).run()?;
/// println!("{} bytes of HTML", spider.total.load(Ordering::Relaxed));
/// # Ok::<(), BoxError>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Spider",
    note = "implement `trawler::Spider` (only `type Item` and `fn parse` are required), or build one from closures with `FnSpider`"
)]
pub trait Spider: Send + Sync + 'static {
    /// What this spider extracts; each item goes through the pipelines in order.
    type Item: Send + 'static;

    /// Called on a parser thread for every fetched HTML page with a 2xx status.
    ///
    /// Push items and follow links through `out`. If `parse` follows nothing itself, the
    /// crawl's [`FollowMode`](crate::FollowMode) decides (by default, every link is followed).
    /// An `Err` or a panic is recorded on the page's outcome and counted; what `out` holds
    /// is then dropped, and the default link following still applies.
    fn parse(&self, page: &Page<'_>, out: &mut Output<Self::Item>) -> Result<(), BoxError>;

    /// Called once before the crawl starts; an `Err` aborts the crawl with
    /// [`Error::SpiderOpen`](crate::Error::SpiderOpen). By default, does nothing.
    fn open(&self) -> Result<(), BoxError> {
        Ok(())
    }

    /// The first requests. By default, one request per seed URL.
    ///
    /// ```
    /// use trawler::prelude::*;
    ///
    /// /// Starts from the seeds and from each seed's `/sitemap.html`, ahead of the rest.
    /// struct WithSitemapPage;
    ///
    /// impl Spider for WithSitemapPage {
    ///     type Item = ();
    ///
    ///     fn parse(&self, _: &Page<'_>, _: &mut Output<()>) -> Result<(), BoxError> {
    ///         Ok(())
    ///     }
    ///
    ///     fn start_requests(&self, seeds: &[Url]) -> Vec<Request> {
    ///         let mut requests: Vec<Request> = seeds.iter().cloned().map(Request::new).collect();
    ///         for seed in seeds {
    ///             if let Ok(page) = seed.join("/sitemap.html") {
    ///                 requests.push(Request::new(page).with_priority(10).with_label("sitemap"));
    ///             }
    ///         }
    ///         requests
    ///     }
    /// }
    ///
    /// let seeds = [Url::parse("http://127.0.0.1:8080/")?];
    /// assert_eq!(WithSitemapPage.start_requests(&seeds).len(), 2);
    /// # Ok::<(), BoxError>(())
    /// ```
    fn start_requests(&self, seeds: &[Url]) -> Vec<Request> {
        seeds.iter().cloned().map(Request::new).collect()
    }

    /// Called for every new, in-scope request before it is queued (seeds, links, redirect
    /// targets): [`Flow::Skip`] records it as skipped, [`Flow::Stop`] winds the crawl down.
    /// By default, every request continues.
    ///
    /// ```
    /// use trawler::prelude::*;
    ///
    /// /// Crawls the docs only, and stops the whole crawl at the first logout link.
    /// struct DocsOnly;
    ///
    /// impl Spider for DocsOnly {
    ///     type Item = ();
    ///
    ///     fn parse(&self, _: &Page<'_>, _: &mut Output<()>) -> Result<(), BoxError> {
    ///         Ok(())
    ///     }
    ///
    ///     fn should_follow(&self, request: &Request) -> Flow {
    ///         let path = request.url().path();
    ///         if path.starts_with("/logout") {
    ///             Flow::Stop
    ///         } else if request.depth() > 0 && !path.starts_with("/docs/") {
    ///             Flow::Skip // recorded with the skip reason `spider`
    ///         } else {
    ///             Flow::Continue
    ///         }
    ///     }
    /// }
    ///
    /// assert_eq!(DocsOnly.should_follow(&Request::get("http://a.test/docs/x")?), Flow::Continue);
    /// assert_eq!(DocsOnly.should_follow(&Request::get("http://a.test/logout")?), Flow::Stop);
    /// # Ok::<(), BoxError>(())
    /// ```
    fn should_follow(&self, request: &Request) -> Flow {
        let _ = request;
        Flow::Continue
    }

    /// Called once for every URL that failed for good (after its retries). By default,
    /// does nothing; every outcome also reaches [`Crawler::on_outcome`](crate::Crawler::on_outcome).
    ///
    /// ```
    /// use std::sync::Mutex;
    /// use trawler::prelude::*;
    ///
    /// /// Keeps the URLs that failed, with why.
    /// #[derive(Default)]
    /// struct Failures(Mutex<Vec<(Url, String)>>);
    ///
    /// impl Spider for Failures {
    ///     type Item = ();
    ///
    ///     fn parse(&self, _: &Page<'_>, _: &mut Output<()>) -> Result<(), BoxError> {
    ///         Ok(())
    ///     }
    ///
    ///     fn on_failure(&self, outcome: &Outcome) {
    ///         if let OutcomeKind::Failed(error) = &outcome.kind {
    ///             let mut failures = self.0.lock().unwrap();
    ///             failures.push((outcome.url.clone(), error.to_string()));
    ///         }
    ///     }
    /// }
    /// ```
    fn on_failure(&self, outcome: &Outcome) {
        let _ = outcome;
    }
}

/// A shared spider: the crawl holds one clone, the caller another to read the spider's
/// state during or after the crawl (see [`Spider`]).
impl<S: Spider> Spider for std::sync::Arc<S> {
    type Item = S::Item;

    fn parse(&self, page: &Page<'_>, out: &mut Output<Self::Item>) -> Result<(), BoxError> {
        (**self).parse(page, out)
    }

    fn open(&self) -> Result<(), BoxError> {
        (**self).open()
    }

    fn start_requests(&self, seeds: &[Url]) -> Vec<Request> {
        (**self).start_requests(seeds)
    }

    fn should_follow(&self, request: &Request) -> Flow {
        (**self).should_follow(request)
    }

    fn on_failure(&self, outcome: &Outcome) {
        (**self).on_failure(outcome);
    }
}

/// Where `parse` puts what it found.
#[derive(Debug)]
pub struct Output<I> {
    pub(crate) items: Vec<I>,
    pub(crate) follows: Vec<Follow>,
    pub(crate) all_links: bool,
    pub(crate) explicit: bool,
    pub(crate) stop: bool,
}

#[derive(Debug)]
pub(crate) enum Follow {
    /// A link as written in the page, resolved against the page's base after `parse`.
    Href(String),
    /// A full request (absolute URL, own priority and label).
    Request(Request),
}

impl<I> Default for Output<I> {
    fn default() -> Self {
        Output {
            items: Vec::new(),
            follows: Vec::new(),
            all_links: false,
            explicit: false,
            stop: false,
        }
    }
}

impl<I> Output<I> {
    /// Emits an item to the pipelines.
    pub fn item(&mut self, item: I) {
        self.items.push(item);
    }

    /// Follows a link as written in the page (relative links resolve against the page's
    /// `<base href>` or URL; fragments are dropped; non-http(s) links are ignored).
    pub fn follow(&mut self, href: impl Into<String>) {
        self.explicit = true;
        self.follows.push(Follow::Href(href.into()));
    }

    /// Follows a request made by the plugin (absolute URL, with its priority and label).
    /// Its depth is set by the crawl: the page's depth plus one.
    pub fn follow_request(&mut self, request: Request) {
        self.explicit = true;
        self.follows.push(Follow::Request(request));
    }

    /// Follows every link of the page (what the default [`FollowMode`](crate::FollowMode)
    /// does), in addition to anything followed explicitly.
    pub fn follow_links(&mut self) {
        self.explicit = true;
        self.all_links = true;
    }

    /// Follows nothing from this page, whatever the [`FollowMode`](crate::FollowMode).
    pub fn follow_none(&mut self) {
        self.explicit = true;
    }

    /// Winds the whole crawl down after this page: in-flight requests finish, queued ones
    /// are recorded as skipped.
    pub fn stop(&mut self) {
        self.stop = true;
    }

    /// The items emitted so far (useful in unit tests of a spider).
    pub fn items(&self) -> &[I] {
        &self.items
    }
}
