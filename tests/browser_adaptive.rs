//! Rendering where it is needed (feature `browser`; `.ci/run` installs `chromium`): the
//! adaptive rule renders the pages that are a script's shell and the hosts whose sampled
//! pages gain links, and leaves plain pages to HTTP (renders counted from the server's log:
//! each plain page loads a script of its own, which only a browser asks for), never asking
//! the server for a page twice; `Request::render` renders one request whatever the rule;
//! the crawl's script runs in each rendered page ("load more" clicked until it is gone);
//! a rendered page has a screenshot, a PNG of its size.
#![cfg(feature = "browser")]

mod common;

use common::{Reply, TestServer};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use trawler::browser::{MAX_LEARNING, RenderConfig, RenderRule};
use trawler::prelude::*;
use trawler::{CrawlConfig, CrawlReport, Crawler, FnSpider, Outcome};

fn config(seed: &str) -> CrawlConfig {
    CrawlConfig::builder()
        .seed(seed)
        .workers(1)
        .request_timeout(Duration::from_secs(20))
        .collect_outcomes(true)
        .build()
        .unwrap()
}

fn fetched(report: &CrawlReport) -> BTreeSet<String> {
    common::paths(report, Outcome::is_fetched)
}

fn rendered(report: &CrawlReport) -> BTreeSet<String> {
    common::paths(report, |o| o.rendered)
}

/// A page with words and `links` of its own, and `script` at its end.
fn page(links: &[String], script: &str) -> String {
    let words = "Plain words of a page written on the server, long enough to read. ".repeat(8);
    let anchors: String = links
        .iter()
        .map(|l| format!("<a href=\"{l}\">{l}</a> "))
        .collect();
    format!(
        "<!DOCTYPE html><title>page</title><body><h1>Page</h1><p>{words}</p><p>{anchors}</p>{script}</body>"
    )
}

/// A script that adds a link to `href` after 20 ms.
fn adds_link(href: &str) -> String {
    format!(
        "<script>setTimeout(function () {{ var a = document.createElement('a'); \
         a.href = '{href}'; a.textContent = 'more'; document.body.appendChild(a); }}, 20);</script>"
    )
}

#[test]
fn adaptive_renders_shells_and_leaves_plain_pages_to_http() {
    let server = TestServer::start();
    let docs: Vec<String> = (0..30).map(|i| format!("/doc{i}.html")).collect();
    let shells: Vec<String> = (0..4).map(|i| format!("/shell{i}.html")).collect();
    let index_links: Vec<String> = docs.iter().chain(&shells).cloned().collect();
    // Each plain page loads a script of its own that does nothing: a render of it shows in
    // the server's log.
    let plain = |path: &str, links: &[String]| {
        let js = format!("/noop{}.js", path.replace('/', "-"));
        server.serve(&js, Reply::ok("text/javascript", "void 0;"));
        let script = format!("<script src=\"{js}\"></script>");
        server.serve(path, Reply::ok("text/html", page(links, &script)));
    };
    plain("/", &index_links);
    for (i, d) in docs.iter().enumerate() {
        plain(d, &[docs[(i + 1) % docs.len()].clone(), "/".into()]);
    }
    for (i, s) in shells.iter().enumerate() {
        // An application shell: an empty mount point, the links made by a script.
        let body = format!(
            "<!DOCTYPE html><html><head><title>App</title></head><body><div id=\"root\"></div>\
             <noscript>This app needs JavaScript.</noscript>{}</body></html>",
            adds_link(&format!("/from-shell{i}.html"))
        );
        server.serve(s, Reply::ok("text/html", body));
        plain(&format!("/from-shell{i}.html"), &["/".to_string()]);
    }
    let report = Crawler::new(config(&server.url("/")), FnSpider::<()>::new())
        .render(RenderConfig::adaptive())
        .run()
        .unwrap();
    let pages = fetched(&report);
    for i in 0..4 {
        assert!(
            pages.contains(&format!("/from-shell{i}.html")),
            "{report}: {pages:?}"
        );
    }
    assert_eq!(pages.len(), 1 + 30 + 4 + 4, "{pages:?}");
    // The shells, and only they, were taken from the browser.
    let taken: Vec<String> = rendered(&report).into_iter().collect();
    assert_eq!(taken, shells, "{report}");
    assert_eq!(report.rendered, 4);
    // Of the 35 plain pages, only the host's first samples (and those fetched while they
    // rendered, to a bound) were rendered.
    let hits = server.all_hits();
    let renders: Vec<&str> = (hits.iter())
        .filter(|h| h.path.starts_with("/noop"))
        .map(|h| h.path.as_str())
        .collect();
    assert!(
        (1..=MAX_LEARNING as usize).contains(&renders.len()),
        "plain pages rendered: {renders:?}"
    );
    // No page was asked for twice: the browser was handed the HTTP answer.
    for p in &pages {
        assert_eq!(server.hits(p), 1, "{p}");
    }
}

#[test]
fn a_host_whose_samples_gain_links_is_rendered_throughout() {
    let server = TestServer::start();
    let n = 12;
    for i in 0..n {
        // Text and a link on the server; one more link made by a script.
        let next = if i + 1 < n {
            vec![format!("/p{}.html", i + 1)]
        } else {
            vec![]
        };
        let body = page(&next, &adds_link(&format!("/j{i}.html")));
        server.serve(&format!("/p{i}.html"), Reply::ok("text/html", body));
        server.serve(
            &format!("/j{i}.html"),
            Reply::ok("text/html", page(&[], "")),
        );
    }
    let report = Crawler::new(config(&server.url("/p0.html")), FnSpider::<()>::new())
        .render(RenderConfig::adaptive())
        .run()
        .unwrap();
    let pages = fetched(&report);
    let missing: Vec<usize> = (0..n)
        .filter(|i| !pages.contains(&format!("/j{i}.html")))
        .collect();
    assert!(
        missing.is_empty(),
        "{report}: links made by script missed on {missing:?}"
    );
    // Every page with a script was taken from the browser.
    let taken = rendered(&report);
    assert!(
        (0..n).all(|i| taken.contains(&format!("/p{i}.html"))),
        "{taken:?}"
    );
}

/// Renders the seeds it is given with `Request::render`, the rest by the crawl's rule.
struct RenderSeeds;

impl Spider for RenderSeeds {
    type Item = ();

    fn parse(&self, _: &Page<'_>, _: &mut Output<()>) -> Result<(), BoxError> {
        Ok(())
    }

    fn start_requests(&self, seeds: &[Url]) -> Vec<Request> {
        let mut requests = vec![Request::new(seeds[0].clone()).render()];
        requests.extend(seeds[1..].iter().cloned().map(Request::new));
        requests
    }
}

#[test]
fn a_request_that_asks_to_be_rendered_is_whatever_the_rule() {
    let server = TestServer::start();
    for name in ["a", "b"] {
        let body = page(&[], &adds_link(&format!("/from-{name}.html")));
        server.serve(&format!("/{name}.html"), Reply::ok("text/html", body));
        server.serve(
            &format!("/from-{name}.html"),
            Reply::ok("text/html", page(&[], "")),
        );
    }
    let config = CrawlConfig::builder()
        .seeds([server.url("/a.html"), server.url("/b.html")])
        .workers(1)
        .request_timeout(Duration::from_secs(20))
        .collect_outcomes(true)
        .build()
        .unwrap();
    // A rule that picks nothing: only the request that asks is rendered.
    let nothing = RenderRule::Matching(vec![regex::Regex::new("^$").unwrap()]);
    let report = Crawler::new(config, RenderSeeds)
        .render(RenderConfig::new(nothing))
        .run()
        .unwrap();
    let pages = fetched(&report);
    assert!(pages.contains("/from-a.html"), "{report}: {pages:?}");
    assert!(!pages.contains("/from-b.html"), "{pages:?}");
    assert_eq!(rendered(&report), BTreeSet::from(["/a.html".to_string()]));
}

/// A page whose "load more" button adds a link (from a JSON answer) per click, three times,
/// then goes away.
fn load_more_site() -> TestServer {
    let server = TestServer::start();
    let body = page(
        &[],
        r#"<button id="more">Load more</button><ul id="list"></ul>
<script>
var clicks = 0;
document.getElementById('more').addEventListener('click', function () {
  clicks += 1;
  var n = clicks;
  if (n >= 3) { document.getElementById('more').remove(); }
  fetch('/more.json').then(function (r) { return r.json(); }).then(function () {
    var a = document.createElement('a'); a.href = '/more' + n + '.html'; a.textContent = n;
    document.getElementById('list').appendChild(a);
  });
});
</script>"#,
    );
    server.serve("/list.html", Reply::ok("text/html", body));
    server.serve("/more.json", Reply::ok("application/json", "{}"));
    for n in 1..=3 {
        server.serve(
            &format!("/more{n}.html"),
            Reply::ok("text/html", page(&[], "")),
        );
    }
    server
}

#[test]
fn the_crawls_script_runs_in_each_rendered_page() {
    let plain = load_more_site();
    let report = Crawler::new(config(&plain.url("/list.html")), FnSpider::<()>::new())
        .render(RenderConfig::all())
        .run()
        .unwrap();
    assert!(!fetched(&report).iter().any(|p| p.starts_with("/more")));

    let server = load_more_site();
    let click = "for (let i = 0; i < 10; i++) {
        const more = document.getElementById('more');
        if (!more) break;
        more.click();
        await new Promise(r => setTimeout(r, 30));
    }";
    let report = Crawler::new(config(&server.url("/list.html")), FnSpider::<()>::new())
        .render(RenderConfig::all().script(click))
        .run()
        .unwrap();
    let pages = fetched(&report);
    for n in 1..=3 {
        assert!(
            pages.contains(&format!("/more{n}.html")),
            "{report}: {pages:?}"
        );
    }
    assert_eq!(server.hits("/more.json"), 3);
}

/// Each page's path and screenshot, as the spider saw them.
type Shots = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

#[test]
fn a_rendered_page_has_a_screenshot() {
    let server = TestServer::start();
    let tall = format!(
        "<body style=\"margin:0\"><div style=\"width:300px;height:2000px;background:#c33\">{}</div></body>",
        "tall "
    );
    server.serve("/tall.html", Reply::ok("text/html", tall));
    let shots: Shots = Arc::default();
    let keep = Arc::clone(&shots);
    let spider = FnSpider::<()>::new().on_page(move |page, _| {
        let shot = page.screenshot().map(<[u8]>::to_vec).unwrap_or_default();
        keep.lock()
            .unwrap()
            .push((page.url().path().to_string(), shot));
    });
    Crawler::new(config(&server.url("/tall.html")), spider)
        .render(RenderConfig::all().screenshots(true))
        .run()
        .unwrap();
    let shots = shots.lock().unwrap();
    let (path, png) = &shots[0];
    assert_eq!(path, "/tall.html");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // The IHDR chunk: width, then height, big-endian, at bytes 16..24.
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    assert!(height >= 2000 && width >= 300, "{width} x {height}");
}
