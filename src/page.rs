//! A fetched page as the spider sees it, with lazily built views.
//!
//! Only what a plugin asks for is computed: the decoded text, the scraper DOM (the costly
//! one, ~40 MB/s per core, and bounded in nesting depth by `dom`), or the links found by the
//! streaming extractor. A page lives on its parser thread for the duration of one `parse`
//! call; nothing in it crosses actors.

use crate::admit::Candidate;
use crate::canon::CanonOptions;
use crate::dom;
use crate::extract::{self, RawLinks, Resolver};
use crate::harvest::FetchedPage;
use crate::headers::Headers;
use crate::request::Request;
use crate::robots_meta::{self, RobotsDirectives};
use encoding_rs::Encoding;
use regex::Regex;
use scraper::{ElementRef, Html, Selector};
use std::borrow::Cow;
use std::cell::OnceCell;
use url::Url;

/// A fetched HTML page.
pub struct Page<'a> {
    pub(crate) request: &'a Request,
    pub(crate) url: &'a Url,
    pub(crate) status: u16,
    pub(crate) headers: &'a Headers,
    pub(crate) body: &'a [u8],
    pub(crate) encoding: &'static Encoding,
    pub(crate) truncated: bool,
    rendered: bool,
    screenshot: Option<&'a [u8]>,
    /// The product token robots directives may be addressed to.
    agent: &'a str,
    text: OnceCell<Cow<'a, str>>,
    html: OnceCell<(Html, bool)>,
    raw: OnceCell<RawLinks>,
    resolver: OnceCell<Resolver>,
    links: OnceCell<Vec<Url>>,
}

impl std::fmt::Debug for Page<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("url", &self.url.as_str())
            .field("status", &self.status)
            .field("bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Page<'a> {
    /// The page `fetched` for `request`, in `encoding`; `agent` is the product token robots
    /// directives may name.
    pub(crate) fn new(
        request: &'a Request,
        fetched: &'a FetchedPage,
        encoding: &'static Encoding,
        agent: &'a str,
    ) -> Self {
        Page {
            request,
            url: &request.url,
            status: fetched.status,
            headers: &fetched.headers,
            body: &fetched.body,
            encoding,
            truncated: fetched.truncated,
            rendered: fetched.rendered,
            screenshot: fetched.screenshot.as_deref(),
            agent,
            text: OnceCell::new(),
            html: OnceCell::new(),
            raw: OnceCell::new(),
            resolver: OnceCell::new(),
            links: OnceCell::new(),
        }
    }

    /// The final URL, after redirects (links resolve against it).
    pub fn url(&self) -> &Url {
        self.url
    }

    /// The request that led here (depth, label, referrer, attempts).
    pub fn request(&self) -> &Request {
        self.request
    }

    /// Link distance from the seeds.
    pub fn depth(&self) -> u32 {
        self.request.depth
    }

    /// The request's label, if any.
    pub fn label(&self) -> Option<&str> {
        self.request.label()
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// A response header's value, if present and valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The raw body bytes (decompressed).
    pub fn body(&self) -> &[u8] {
        self.body
    }

    /// Whether the body was cut at the size cap.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// Whether the page was rendered in the crawl's browser: the body is the DOM after the
    /// page's scripts ran (`Crawler::render`, with the `browser` feature).
    pub fn is_rendered(&self) -> bool {
        self.rendered
    }

    /// A PNG of the rendered page, when the crawl takes screenshots
    /// (`RenderConfig::screenshots`, with the `browser` feature).
    pub fn screenshot(&self) -> Option<&[u8]> {
        self.screenshot
    }

    /// The page's character encoding: byte-order mark, then the Content-Type charset, then a
    /// `<meta>` declaration, then a guess from the bytes (see [`charset`](crate::charset)).
    pub fn encoding(&self) -> &'static Encoding {
        self.encoding
    }

    /// The body decoded to text (borrowed when it already is valid UTF-8).
    pub fn text(&self) -> &str {
        self.text.get_or_init(|| {
            if self.encoding == encoding_rs::UTF_8
                && let Ok(s) = std::str::from_utf8(self.body)
            {
                return Cow::Borrowed(s);
            }
            self.encoding.decode(self.body).0
        })
    }

    /// The parsed DOM, built on first use (this is the costly view: prefer
    /// [`links`](Self::links) when links are all you need). Parsed as a browser with
    /// scripting off parses it: the content of `<noscript>` is elements, not text.
    ///
    /// Parsing stops at the first element nested deeper than
    /// [`MAX_DOM_DEPTH`](crate::MAX_DOM_DEPTH): the DOM then holds the page up to there (see
    /// [`is_dom_truncated`](Self::is_dom_truncated)). This bounds the parser's time on hostile
    /// markup, which otherwise grows with the square of the nesting.
    pub fn html(&self) -> &Html {
        &self.dom().0
    }

    /// Whether [`html`](Self::html) holds only the start of the page, because of its nesting
    /// depth (builds the DOM).
    pub fn is_dom_truncated(&self) -> bool {
        self.dom().1
    }

    fn dom(&self) -> &(Html, bool) {
        self.html
            .get_or_init(|| dom::parse_document(self.text(), dom::MAX_DOM_DEPTH))
    }

    /// The elements matching a CSS selector, in document order (builds the DOM).
    ///
    /// The elements borrow the page, not the selector, so a selector made on the spot will do:
    ///
    /// ```no_run
    /// # use trawler::prelude::*;
    /// # fn parse(page: &Page<'_>) -> Result<(), BoxError> {
    /// if let Some(h1) = page.select(&Selector::parse("h1")?).next() {
    ///     println!("{}", h1.normalized_text());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn select<'p, 's>(&'p self, selector: &'s Selector) -> scraper::html::Select<'p, 's> {
        self.html().select(selector)
    }

    /// The first element matching a CSS selector, if any (builds the DOM).
    ///
    /// ```no_run
    /// # use trawler::prelude::*;
    /// # fn parse(page: &Page<'_>) -> Result<(), BoxError> {
    /// let title = page.first(&Selector::parse("title")?).map(|t| t.normalized_text());
    /// # Ok(())
    /// # }
    /// ```
    pub fn first(&self, selector: &Selector) -> Option<ElementRef<'_>> {
        self.html().select(selector).next()
    }

    /// An attribute of `element` (`href`, `src`, `action` ...) resolved to an absolute URL
    /// as a browser would (see [`resolve`](Self::resolve)); `None` when the attribute is
    /// missing or does not give an http(s) URL.
    ///
    /// ```no_run
    /// # use trawler::prelude::*;
    /// # fn parse(page: &Page<'_>) -> Result<(), BoxError> {
    /// let images: Vec<Url> = page
    ///     .select(&Selector::parse("img[src]")?)
    ///     .filter_map(|img| page.attr_url(img, "src"))
    ///     .collect();
    /// # Ok(())
    /// # }
    /// ```
    pub fn attr_url(&self, element: ElementRef<'_>, attribute: &str) -> Option<Url> {
        self.resolve(element.attr(attribute)?)
    }

    /// Every match of `re` in the page's [`text`](Self::text) (the decoded markup; no DOM
    /// is built), in order.
    ///
    /// ```no_run
    /// # use trawler::prelude::*;
    /// # fn parse(page: &Page<'_>) -> Result<(), BoxError> {
    /// let emails = Regex::new(r"[\w.+-]+@[\w-]+\.[\w.]+")?;
    /// let found: Vec<&str> = page.text_matches(&emails).collect();
    /// # Ok(())
    /// # }
    /// ```
    pub fn text_matches<'p>(&'p self, re: &'p Regex) -> impl Iterator<Item = &'p str> + 'p {
        re.find_iter(self.text()).map(|m| m.as_str())
    }

    /// The page's http(s) links (`a[href]`, `area[href]`, those inside `<noscript>`
    /// included), absolute, fragments dropped, in document order, duplicates kept. Found by
    /// the streaming extractor: no DOM is built.
    pub fn links(&self) -> &[Url] {
        self.links
            .get_or_init(|| self.resolver().resolve_all(self.raw_links()))
    }

    /// The links for admission, once the spider is done with the page (the crawl's own
    /// following), without those marked `rel="nofollow"` unless `rel_nofollow`: when the
    /// spider had resolved them and none is left out, they are taken out (no copy); else a
    /// plain href comes as its canonical fingerprint (under the crawl's canonical form
    /// `canon`), its URL left to [`link_at`](Self::link_at) should it be new, and the rest
    /// resolved.
    pub(crate) fn take_candidates(
        &mut self,
        rel_nofollow: bool,
        canon: CanonOptions,
    ) -> Vec<Candidate> {
        let keep_all = rel_nofollow || self.raw_links().nofollow.is_empty();
        if keep_all && let Some(links) = self.links.take() {
            return links.into_iter().map(Candidate::Url).collect();
        }
        let raw = self.raw_links();
        let resolver = self.resolver();
        let skip = if keep_all { &[][..] } else { &raw.nofollow[..] };
        let mut skip = skip.iter().copied().peekable();
        let mut text = String::new();
        let mut out = Vec::with_capacity(raw.hrefs.len());
        for (i, href) in raw.hrefs.iter().enumerate() {
            if skip.next_if_eq(&i).is_some() {
                continue;
            }
            let at = u32::try_from(i).unwrap_or(u32::MAX);
            out.extend(Candidate::of(resolver, href, at, canon, &mut text));
        }
        out
    }

    /// The link at `at` among the page's hrefs, resolved (what a [`Candidate::Known`] of
    /// [`take_candidates`](Self::take_candidates) stands for).
    pub(crate) fn link_at(&self, at: u32) -> Option<Url> {
        let href = self.raw_links().hrefs.get(usize::try_from(at).ok()?)?;
        self.resolver().resolve(href)
    }

    /// Whether the link extractor gave up before the end of the page (hostile markup that
    /// would need more than [`MAX_PARSER_MEMORY`](crate::extract::MAX_PARSER_MEMORY)):
    /// [`links`](Self::links) then has the links found until then. Runs the extractor.
    pub fn links_truncated(&self) -> bool {
        self.raw_links().truncated
    }

    /// Whether links were extracted and cut short (without extracting them).
    pub(crate) fn links_were_truncated(&self) -> bool {
        self.raw.get().is_some_and(|r| r.truncated)
    }

    /// The robots directives this page gives the crawler: `<meta name="robots">` (or the
    /// user agent's product token as the name) and `X-Robots-Tag` headers.
    pub fn robots(&self) -> RobotsDirectives {
        let headers = self.headers.get_all("x-robots-tag");
        let values = headers.filter_map(|v| std::str::from_utf8(v).ok());
        robots_meta::directives(&self.raw_links().robots_meta, values, self.agent)
    }

    /// The base URL that relative links resolve against (`<base href>` or the page URL).
    pub fn base(&self) -> Url {
        self.resolver().base().clone()
    }

    /// Resolves an href found on this page as a browser would: against [`base`](Self::base),
    /// with a non-ASCII query encoded in the page's encoding. `None` unless it gives an http(s)
    /// URL; the fragment is dropped.
    pub fn resolve(&self, href: &str) -> Option<Url> {
        self.resolver().resolve(href)
    }

    fn resolver(&self) -> &Resolver {
        self.resolver.get_or_init(|| {
            Resolver::new(self.url, self.raw_links().base.as_deref(), self.encoding)
        })
    }

    fn raw_links(&self) -> &RawLinks {
        self.raw
            .get_or_init(|| extract::extract_links(self.body, self.encoding))
    }
}
