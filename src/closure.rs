//! The closure layer: a [`Spider`] built from callbacks, for quick crawlers.
//!
//! Colly's shape (`on_html("a[href]", ...)`) over the real extension point, the way
//! ripgrep wraps its `Sink` trait in `sinks::UTF8`. Selectors are compiled once; a bad one
//! is reported by [`Spider::open`], so the crawl refuses to start instead of panicking.

use crate::error::{BoxError, ConfigError};
use crate::page::Page;
use crate::spider::{Output, Spider};
use scraper::{ElementRef, Selector};

type HtmlFn<I> = Box<dyn Fn(ElementRef<'_>, &mut Output<I>) -> Result<(), BoxError> + Send + Sync>;
type PageFn<I> = Box<dyn Fn(&Page<'_>, &mut Output<I>) -> Result<(), BoxError> + Send + Sync>;

/// A spider made of closures.
///
/// ```
/// use trawler::prelude::*;
/// let spider = FnSpider::new()
///     .on_html("title", |el, out| out.item(el.normalized_text()))
///     .on_page(|page, _out| println!("{} {}", page.status(), page.url()));
/// # let _: FnSpider<String> = spider;
/// ```
///
/// The `try_` forms take closures that return a `Result`, so `?` works inside; an `Err` is
/// recorded on the page as a parse error (see [`Spider::parse`]):
///
/// ```
/// use trawler::prelude::*;
/// let spider = FnSpider::new().try_on_html("a[data-id]", |el, out| {
///     let id: u64 = el.attr("data-id").unwrap_or_default().parse()?;
///     out.item(id);
///     Ok(())
/// });
/// # let _: FnSpider<u64> = spider;
/// ```
pub struct FnSpider<I> {
    html: Vec<(Result<Selector, ConfigError>, HtmlFn<I>)>,
    pages: Vec<PageFn<I>>,
}

impl<I> std::fmt::Debug for FnSpider<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FnSpider")
            .field("html_callbacks", &self.html.len())
            .field("page_callbacks", &self.pages.len())
            .finish()
    }
}

impl<I: Send + 'static> Default for FnSpider<I> {
    fn default() -> Self {
        Self::new()
    }
}

impl<I: Send + 'static> FnSpider<I> {
    /// A spider with no callbacks (it still follows every link by default).
    pub fn new() -> Self {
        FnSpider {
            html: Vec::new(),
            pages: Vec::new(),
        }
    }

    /// Calls `f` for every element matching the CSS `selector` on every page (builds the
    /// page's DOM). A selector that does not parse makes the crawl fail to start with
    /// [`ConfigError::BadSelector`].
    #[must_use]
    pub fn on_html<F>(self, selector: &str, f: F) -> Self
    where
        F: Fn(ElementRef<'_>, &mut Output<I>) + Send + Sync + 'static,
    {
        self.try_on_html(selector, move |el, out| {
            f(el, out);
            Ok(())
        })
    }

    /// Like [`on_html`](Self::on_html), for a closure that can fail: an `Err` stops this
    /// page's callbacks and is recorded as its parse error.
    #[must_use]
    pub fn try_on_html<F>(mut self, selector: &str, f: F) -> Self
    where
        F: Fn(ElementRef<'_>, &mut Output<I>) -> Result<(), BoxError> + Send + Sync + 'static,
    {
        let sel = Selector::parse(selector).map_err(|e| ConfigError::BadSelector {
            selector: selector.to_string(),
            reason: e.to_string(),
        });
        self.html.push((sel, Box::new(f)));
        self
    }

    /// Calls `f` once for every page.
    #[must_use]
    pub fn on_page<F>(self, f: F) -> Self
    where
        F: Fn(&Page<'_>, &mut Output<I>) + Send + Sync + 'static,
    {
        self.try_on_page(move |page, out| {
            f(page, out);
            Ok(())
        })
    }

    /// Like [`on_page`](Self::on_page), for a closure that can fail: an `Err` stops this
    /// page's callbacks and is recorded as its parse error.
    #[must_use]
    pub fn try_on_page<F>(mut self, f: F) -> Self
    where
        F: Fn(&Page<'_>, &mut Output<I>) -> Result<(), BoxError> + Send + Sync + 'static,
    {
        self.pages.push(Box::new(f));
        self
    }
}

impl<I: Send + 'static> Spider for FnSpider<I> {
    type Item = I;

    fn open(&self) -> Result<(), BoxError> {
        for (sel, _) in &self.html {
            if let Err(e) = sel {
                return Err(Box::new(e.clone()));
            }
        }
        Ok(())
    }

    fn parse(&self, page: &Page<'_>, out: &mut Output<I>) -> Result<(), BoxError> {
        for f in &self.pages {
            f(page, out)?;
        }
        for (sel, f) in &self.html {
            if let Ok(sel) = sel {
                for el in page.select(sel) {
                    f(el, out)?;
                }
            }
        }
        Ok(())
    }
}
