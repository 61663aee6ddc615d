//! What a parser does with one fetched HTML page, as a plain function.
//!
//! Runs the spider (its panics and errors caught and recorded on the page), decides
//! what to follow (explicit follows, or every link under `FollowMode::AllLinks`; nothing
//! from a page whose robots directives say `nofollow`, unless told to ignore them; links
//! marked `rel="nofollow"` only if told to), and sends each candidate through admission
//! and `should_follow`. The parser actor is a thin shell around [`harvest`]; tests call it
//! without any actor.

use crate::admit::{Admission, Admit, Candidate};
use crate::charset;
use crate::config::FollowMode;
use crate::headers::Headers;
use crate::outcome::SkipReason;
use crate::page::Page;
use crate::request::{Flow, Request};
use crate::robots_meta::RobotsDirectives;
use crate::spider::{Follow, Output, Spider};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use url::Url;

/// A URL found on a page (or a redirect target) after admission.
#[derive(Debug)]
pub(crate) enum Discovered {
    /// New and in scope: queue it.
    Accept(Request),
    /// New but not to be fetched: record the skip.
    Skip(Request, SkipReason),
}

/// Everything the supervisor needs from one parsed page.
#[derive(Debug)]
pub(crate) struct Harvest<I> {
    pub(crate) items: Vec<I>,
    pub(crate) discovered: Vec<Discovered>,
    pub(crate) duplicates: u32,
    pub(crate) parse_error: Option<String>,
    /// The link extractor gave up before the end of the page.
    pub(crate) links_truncated: bool,
    /// What the plugin signalled while the page was handled.
    pub(crate) signals: Signals,
    /// The page's robots directives the crawl acted on: `nofollow` when its links were not
    /// followed for it, `noindex` when reported.
    pub(crate) robots: RobotsDirectives,
}

/// What plugin code signalled while a page or URL was handled.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Signals {
    /// It asked to stop the crawl.
    pub(crate) stop: bool,
    /// Its callbacks (`parse`, `should_follow`) panicked this many times.
    pub(crate) panics: u32,
}

/// A fetched page handed to a parser.
#[derive(Debug)]
pub(crate) struct FetchedPage {
    pub(crate) status: u16,
    pub(crate) headers: Headers,
    pub(crate) body: bytes::Bytes,
    pub(crate) truncated: bool,
    /// The body is a browser's DOM.
    pub(crate) rendered: bool,
    /// A PNG of the rendered page, if the crawl takes them.
    pub(crate) screenshot: Option<bytes::Bytes>,
}

/// Parses one page with `spider` and admits what it leads to.
pub(crate) fn harvest<S: Spider>(
    spider: &S,
    admission: &Admission,
    follow: FollowMode,
    request: &Request,
    fetched: &FetchedPage,
) -> Harvest<S::Item> {
    let rules = admission.directives();
    let content_type = fetched.headers.get("content-type");
    let encoding = charset::detect(content_type, &fetched.body, Some(&request.url));
    let mut page = Page::new(request, fetched, encoding, &rules.agent);
    let mut out = Output::default();
    let (parse_error, panicked) =
        match catch_unwind(AssertUnwindSafe(|| spider.parse(&page, &mut out))) {
            Ok(Ok(())) => (None, false),
            Ok(Err(e)) => (Some(e.to_string()), false),
            Err(p) => (Some(format!("panic: {}", panic_message(&*p))), true),
        };
    if parse_error.is_some() {
        // What a failed parse produced is not trusted; the crawl's own following still is.
        out = Output::default();
    }
    let mut follow_all = out.all_links || (!out.explicit && follow == FollowMode::AllLinks);
    let mut robots = RobotsDirectives::default();
    if rules.obey_nofollow || rules.report_noindex {
        let said = page.robots();
        robots.noindex = rules.report_noindex && said.noindex;
        robots.nofollow = rules.obey_nofollow && said.nofollow;
    }
    if robots.nofollow {
        // The page asked that nothing be followed from it, explicit follows included.
        follow_all = false;
        out.follows.clear();
    }

    let referrer = Arc::new(request.url.clone());
    let depth = request.depth + 1;
    let session = request.session.clone();
    // The page's links first, in document order, then what the plugin followed; a
    // plugin's own request is kept beside its URL's index (no second vector per page).
    let mut links: Vec<Candidate> = match follow_all {
        true => page.take_candidates(rules.follow_rel_nofollow, admission.canon()),
        false => Vec::new(),
    };
    let mut requests: Vec<(usize, Request)> = Vec::new();
    for f in out.follows.drain(..) {
        match f {
            Follow::Href(h) => {
                if let Some(u) = page.resolve(&h) {
                    links.push(Candidate::Url(u));
                }
            }
            Follow::Request(r) => {
                let url = r.url.clone();
                requests.push((links.len(), r));
                links.push(Candidate::Url(url));
            }
        }
    }
    let mut h = Harvest {
        items: out.items,
        discovered: Vec::new(),
        duplicates: 0,
        parse_error,
        links_truncated: page.links_were_truncated(),
        signals: Signals {
            stop: out.stop,
            panics: u32::from(panicked),
        },
        robots,
    };
    let mut requests = requests.into_iter().peekable();
    let admitted = admission.admit_batch(links, depth, |at| page.link_at(at));
    for (i, admit) in admitted.into_iter().enumerate() {
        // Peeked by reference: most pages have no plugin request, and most links are known.
        let from = match requests.peek() {
            Some((at, _)) if *at == i => requests.next().map(|(_, r)| r),
            _ => None,
        };
        if matches!(admit, Admit::Duplicate) {
            h.duplicates += 1;
            continue;
        }
        let build = |url: Url| {
            let mut r = match from {
                Some(mut r) => {
                    r.url = url;
                    r
                }
                None => Request::new(url),
            };
            if r.session.is_none() {
                r.session.clone_from(&session);
            }
            r.depth = depth;
            r.attempts = 0;
            r.redirects = 0;
            r.referrer = Some(referrer.clone());
            r
        };
        // A duplicate was passed over above, so every verdict here is a discovery.
        h.discovered
            .extend(judge(spider, admit, build, &mut h.signals));
    }
    h
}

/// Admission then `should_follow` for one URL found at `depth` (seeds, links and redirect
/// targets); `build` makes its request once it is known to be new. `None` for a duplicate.
/// A panicking `should_follow` skips the URL and is counted in `signals`.
pub(crate) fn admit_request<S: Spider>(
    spider: &S,
    admission: &Admission,
    url: Url,
    depth: u32,
    build: impl FnOnce(Url) -> Request,
    signals: &mut Signals,
) -> Option<Discovered> {
    judge(spider, admission.admit(url, depth), build, signals)
}

/// What admission decided, then `should_follow` for a new URL: the one tail of every
/// admission path. `None` for a duplicate.
fn judge<S: Spider>(
    spider: &S,
    admit: Admit,
    build: impl FnOnce(Url) -> Request,
    signals: &mut Signals,
) -> Option<Discovered> {
    match admit {
        Admit::Duplicate => None,
        Admit::Skip(url, reason) => Some(Discovered::Skip(build(url), reason)),
        Admit::New(url) => {
            let request = build(url);
            let flow = catch_unwind(AssertUnwindSafe(|| spider.should_follow(&request)))
                .unwrap_or_else(|p| {
                    tracing::error!(panic = %panic_message(&*p), url = %request.url, "should_follow panicked; URL skipped");
                    signals.panics += 1;
                    Flow::Skip
                });
            Some(match flow {
                Flow::Continue => Discovered::Accept(request),
                Flow::Skip => Discovered::Skip(request, SkipReason::Spider),
                Flow::Stop => {
                    signals.stop = true;
                    Discovered::Skip(request, SkipReason::Stopped)
                }
            })
        }
    }
}

/// The text of a panic payload.
pub(crate) fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_string())
}
