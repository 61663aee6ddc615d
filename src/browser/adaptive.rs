//! Adaptive rendering: every page over HTTP first, the browser only for the pages and the
//! hosts that need it.
//!
//! Two signals decide, both learned from the crawl itself:
//! - **the page looks like a JavaScript shell** ([`Look::is_shell`]): it has scripts and
//!   next to no text or links of its own (under 200 characters of visible text and fewer
//!   than 3 links), or an empty mount point of a script framework (`<div id="root">`,
//!   `id="app"`, `__next`, `__nuxt`, `<app-root>` ...) with little text. Such a page is
//!   rendered at once;
//! - **the host's sampled pages gain links when rendered.** The first [`SAMPLES`] HTML
//!   pages of each host (and those fetched while they render), and one in every
//!   [`RESAMPLE`] after them, are rendered as well as fetched, and the two are compared: the rendered DOM has links the HTTP body had not
//!   (or far more text). When most of the host's last samples gained, every page of the
//!   host is rendered without fetching it over HTTP first (still sampled, so a host whose
//!   pages stop needing it goes back to HTTP); otherwise only its shells are.
//!
//! The browser is handed the HTTP answer rather than asking the server again. A render
//! that gained gives the rendered page; one that gained nothing (a sample of a plain
//! page, a shell whose script added nothing) keeps the HTTP answer, the bytes the server
//! sent. A render that fails falls back to the HTTP answer already in hand: adaptive
//! rendering never loses a page the HTTP client could fetch. The cost: one HTTP fetch and
//! one scan of the body per page, plus a render per shell and per sample.

use crate::extract::{extract_links, resolve_links};
use dashmap::DashMap;
use encoding_rs::UTF_8;
use lol_html::html_content::{Element, TextChunk};
use lol_html::{DocumentContentHandlers, ElementContentHandlers, HtmlRewriter, Selector, Settings};
use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashSet;
use std::rc::Rc;
use std::sync::LazyLock;
use url::Url;

/// HTML pages of a host rendered as samples before its verdict.
pub const SAMPLES: u32 = 3;

/// After the first samples, one HTML page in this many of a host is sampled again.
pub const RESAMPLE: u32 = 50;

/// Samples begun per host before its first [`SAMPLES`] have finished, at most.
pub const MAX_LEARNING: u32 = 2 * SAMPLES;

/// Samples remembered per host (the verdict is their majority).
const WINDOW: u32 = 8;

/// Visible characters under which a page with scripts and few links is a shell.
const SHELL_TEXT: usize = 200;

/// Visible characters under which a page with an empty framework mount point is a shell.
const MOUNT_TEXT: usize = 1000;

/// The `id`s script frameworks mount their application on.
const MOUNT_IDS: [&str; 8] = [
    "root",
    "app",
    "__next",
    "__nuxt",
    "___gatsby",
    "svelte",
    "main-app",
    "application",
];

/// The selectors of a scan, parsed once (not for every page).
static HIDDEN: LazyLock<Selector> =
    LazyLock::new(|| selector("title, script, style, noscript, template"));
static SCRIPTS: LazyLock<Selector> = LazyLock::new(|| selector("script"));
static LINKS: LazyLock<Selector> = LazyLock::new(|| selector("a[href], area[href]"));
static MOUNTS: LazyLock<Selector> =
    LazyLock::new(|| selector("[id], app-root, [data-reactroot], [ng-app]"));

fn selector(s: &str) -> Selector {
    s.parse().expect("constant selector is valid")
}

/// A framework mount point seen while scanning: inside it, the text in it, none found.
#[derive(Default)]
struct Mount {
    open: Cell<bool>,
    seen: Cell<usize>,
    empty: Cell<bool>,
}

/// What a page's markup shows before any script runs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Look {
    /// Visible text characters (outside the title, scripts, styles, templates and
    /// `<noscript>`), whitespace left out.
    pub(crate) text: usize,
    /// `<a href>` and `<area href>` elements.
    pub(crate) links: usize,
    /// `<script>` elements.
    pub(crate) scripts: usize,
    /// A framework's mount point (an element with one of [`MOUNT_IDS`], `<app-root>`,
    /// `[data-reactroot]`, `[ng-app]`) that is empty in the markup.
    pub(crate) empty_mount: bool,
}

impl Look {
    /// Scans `html` (UTF-8 or any ASCII-compatible encoding: only markup is read).
    pub(crate) fn of(html: &[u8]) -> Look {
        let text = Cell::new(0usize);
        let hidden = Cell::new(0usize);
        let (links, scripts) = (Cell::new(0usize), Cell::new(0usize));
        // Shared with end-tag handlers, which must own what they hold.
        let mount = Rc::new(Mount::default());
        let in_text = Rc::clone(&mount);
        let count = |s: &str| s.chars().filter(|c| !c.is_whitespace()).count();
        let settings = Settings::new()
            .with_strict(false)
            .append_document_content_handler(DocumentContentHandlers::default().text(
                |t: &mut TextChunk<'_>| {
                    let n = count(t.as_str());
                    text.set(text.get() + n);
                    if in_text.open.get() {
                        in_text.seen.set(in_text.seen.get() + n);
                    }
                    Ok(())
                },
            ))
            .append_element_content_handler((
                Cow::Borrowed(&*HIDDEN),
                ElementContentHandlers::default().text(|t: &mut TextChunk<'_>| {
                    hidden.set(hidden.get() + count(t.as_str()));
                    Ok(())
                }),
            ))
            .append_element_content_handler((
                Cow::Borrowed(&*SCRIPTS),
                ElementContentHandlers::default().element(|_: &mut Element<'_, '_>| {
                    scripts.set(scripts.get() + 1);
                    Ok(())
                }),
            ))
            .append_element_content_handler((
                Cow::Borrowed(&*LINKS),
                ElementContentHandlers::default().element(|_: &mut Element<'_, '_>| {
                    links.set(links.get() + 1);
                    Ok(())
                }),
            ))
            .append_element_content_handler((
                Cow::Borrowed(&*MOUNTS),
                ElementContentHandlers::default().element(|el: &mut Element<'_, '_>| {
                    let id = el.get_attribute("id").unwrap_or_default();
                    let is_mount = MOUNT_IDS.iter().any(|m| id.eq_ignore_ascii_case(m))
                        || el.tag_name() == "app-root"
                        || el.has_attribute("data-reactroot")
                        || el.has_attribute("ng-app");
                    if is_mount && !mount.empty.get() && el.can_have_content() {
                        mount.open.set(true);
                        let before = mount.seen.get();
                        let at_end = Rc::clone(&mount);
                        if let Some(handlers) = el.end_tag_handlers() {
                            handlers.push(Box::new(move |_| {
                                at_end.open.set(false);
                                if at_end.seen.get() == before {
                                    at_end.empty.set(true);
                                }
                                Ok(())
                            }));
                        }
                    }
                    Ok(())
                }),
            ));
        let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
        if rewriter.write(html).is_ok() {
            let _ = rewriter.end();
        }
        Look {
            text: text.get().saturating_sub(hidden.get()),
            links: links.get(),
            scripts: scripts.get(),
            empty_mount: mount.empty.get(),
        }
    }

    /// Whether the page is most likely built by its scripts.
    pub(crate) fn is_shell(&self) -> bool {
        self.scripts > 0
            && ((self.text < SHELL_TEXT && self.links < 3)
                || (self.empty_mount && self.text < MOUNT_TEXT))
    }
}

/// Whether the rendered DOM of the page at `url` gained over its HTTP body: a link the
/// body did not have, or at least half as much visible text again (and 200 characters).
pub(crate) fn gained(url: &Url, http: &[u8], rendered: &[u8]) -> bool {
    let links = |html: &[u8]| -> HashSet<String> {
        let raw = extract_links(html, UTF_8);
        let mut urls = resolve_links(url, &raw);
        for u in &mut urls {
            u.set_fragment(None);
        }
        urls.into_iter().map(String::from).collect()
    };
    let before = links(http);
    if links(rendered).iter().any(|u| !before.contains(u)) {
        return true;
    }
    let (a, b) = (Look::of(http).text, Look::of(rendered).text);
    b >= a + SHELL_TEXT && b >= a + a / 2
}

/// What to do with a page of a host before fetching it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Render it straight away: the host's pages need it.
    Render,
    /// Fetch it over HTTP first.
    Http,
}

/// What was learned of each host, shared by the crawl's workers.
#[derive(Debug, Default)]
pub(crate) struct Hosts {
    hosts: DashMap<String, Host>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Host {
    /// HTML pages seen (fetched or rendered).
    pages: u32,
    /// Samples begun.
    begun: u32,
    /// Samples finished (the last [`WINDOW`] of them are in `gains`).
    samples: u32,
    /// The last samples, newest in the lowest bit: 1 if the render gained.
    gains: u8,
}

impl Host {
    fn renders(&self) -> bool {
        let kept = self.samples.min(WINDOW);
        let mask = if kept >= 8 {
            u8::MAX
        } else {
            (1u8 << kept) - 1
        };
        self.samples >= SAMPLES && 2 * (self.gains & mask).count_ones() > kept
    }
}

impl Hosts {
    /// What is known of `host`; its key is copied only the first time.
    fn host(&self, host: &str) -> dashmap::mapref::one::RefMut<'_, String, Host> {
        match self.hosts.get_mut(host) {
            Some(h) => h,
            None => self.hosts.entry(host.to_owned()).or_default(),
        }
    }

    /// The plan for the next page of `host` (its origin): rendered at once when the host
    /// renders and the page is not due for a sample.
    pub(crate) fn plan(&self, host: &str) -> Plan {
        let mut h = self.host(host);
        if h.renders() && !(h.pages + 1).is_multiple_of(RESAMPLE) {
            h.pages += 1;
            return Plan::Render;
        }
        Plan::Http
    }

    /// An HTML page of `host` came over HTTP: whether to render it as a sample too. Every
    /// page is, until [`SAMPLES`] samples have finished (pages fetched while the first
    /// ones render are not left out), but at most [`MAX_LEARNING`] begun (a busy host does
    /// not render a crowd before its verdict, nor a browser that keeps failing double every
    /// fetch); then one in every [`RESAMPLE`], and every page of a host that renders.
    pub(crate) fn sample(&self, host: &str) -> bool {
        let mut h = self.host(host);
        h.pages = h.pages.saturating_add(1);
        let learning = h.samples < SAMPLES && h.begun < MAX_LEARNING;
        let sample = learning || h.pages.is_multiple_of(RESAMPLE) || h.renders();
        h.begun += u32::from(sample);
        sample
    }

    /// A sample of `host` rendered: whether it `gained`.
    pub(crate) fn learn(&self, host: &str, gained: bool) {
        let mut h = self.host(host);
        h.samples = h.samples.saturating_add(1);
        h.gains = (h.gains << 1) | u8::from(gained);
    }

    /// Whether `host`'s pages are rendered without an HTTP fetch first.
    #[cfg(test)]
    pub(crate) fn renders(&self, host: &str) -> bool {
        self.hosts.get(host).is_some_and(|h| h.renders())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_application_shell_is_told_from_a_page() {
        let shell = br#"<html><head><script src="/app.js"></script></head>
            <body><div id="root"></div><noscript>You need to enable JavaScript to run this app.</noscript></body></html>"#;
        let look = Look::of(shell);
        assert!(
            look.empty_mount && look.scripts == 1 && look.text == 0,
            "{look:?}"
        );
        assert!(look.is_shell());
        let bare = br#"<body><p>Loading</p><script>document.write('x')</script></body>"#;
        assert!(Look::of(bare).is_shell(), "{:?}", Look::of(bare));
        let words = "Static words on a documentation page. ".repeat(20);
        let page = format!(
            r#"<body><div id="app"><h1>Guide</h1><p>{words}</p><a href="/a">a</a><a href="/b">b</a><a href="/c">c</a></div>
            <script>console.log(1)</script></body>"#
        );
        let look = Look::of(page.as_bytes());
        assert!(
            !look.empty_mount && look.links == 3 && look.text > 500,
            "{look:?}"
        );
        assert!(!look.is_shell());
        // No script: nothing to render, however bare.
        assert!(!Look::of(b"<body><div id=root></div></body>").is_shell());
        // A mount point with content rendered on the server is not empty.
        let ssr = format!(r#"<div id="__next"><p>{words}</p></div><script src="/n.js"></script>"#);
        assert!(!Look::of(ssr.as_bytes()).is_shell());
    }

    #[test]
    fn a_render_gains_when_it_has_new_links_or_much_more_text() {
        let url = Url::parse("http://a.test/p").unwrap();
        let http = br#"<body><a href="/a">a</a><script></script></body>"#;
        let same = br#"<html><head></head><body><a href="/a#top">a</a></body></html>"#;
        assert!(!gained(&url, http, same));
        let more = br#"<body><a href="/a">a</a><a href="http://a.test/b">b</a></body>"#;
        assert!(gained(&url, http, more));
        let text = format!(
            "<body><a href=/a>a</a><p>{}</p></body>",
            "word ".repeat(100)
        );
        assert!(gained(&url, http, text.as_bytes()));
    }

    #[test]
    fn a_host_renders_when_most_of_its_samples_gained() {
        let hosts = Hosts::default();
        for _ in 0..SAMPLES {
            assert_eq!(hosts.plan("h"), Plan::Http);
            assert!(hosts.sample("h"));
            hosts.learn("h", true);
        }
        assert!(hosts.renders("h"));
        let mut samples = 0;
        for _ in 0..2 * RESAMPLE {
            if hosts.plan("h") == Plan::Http {
                assert!(
                    hosts.sample("h"),
                    "a page of a host that renders is sampled"
                );
                samples += 1;
            }
        }
        assert_eq!(samples, 2, "one sample in every {RESAMPLE} pages");
        // Samples that stop gaining turn the host back to HTTP.
        for _ in 0..WINDOW {
            hosts.learn("h", false);
        }
        assert!(!hosts.renders("h"));
        assert_eq!(hosts.plan("h"), Plan::Http);
        // Another host starts afresh; a plain one never renders, and is sampled again
        // once in every RESAMPLE pages.
        for _ in 0..SAMPLES {
            assert!(hosts.sample("p"));
            hosts.learn("p", false);
        }
        assert!(!hosts.renders("p"));
        let sampled = (0..RESAMPLE * 4).filter(|_| hosts.sample("p")).count();
        assert_eq!(sampled, 4);
        // Pages fetched while the first samples render are samples too, up to a bound.
        let q: Vec<bool> = (0..20).map(|_| hosts.sample("q")).collect();
        assert_eq!(q.iter().filter(|s| **s).count(), MAX_LEARNING as usize);
    }
}
