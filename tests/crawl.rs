//! Whole crawls of the loopback site: coverage, scope and limits (crawls stopped early are
//! in `stopping.rs`).
//!
//! Each test checks the crawl's report and outcomes against the server's own request log.

mod common;

use common::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use trawler::{
    BoxError, Crawler, FetchError, OutcomeKind, Output, Page, SkipReason, Spider, StopReason,
};

#[test]
fn full_site_is_covered_and_every_page_fetched_once() {
    let server = TestServer::start();
    let config = config(&site_url(&server, 0)).build().unwrap();
    let report = Crawler::new(config, FollowAll).run().unwrap();

    for i in 0..SITE_PAGES {
        assert_eq!(
            server.hits(&format!("/site/{i}.html")),
            1,
            "/site/{i}.html requests"
        );
    }
    let site_hits = server.paths_under("/site/");
    assert_eq!(
        site_hits.len(),
        SITE_PAGES,
        "no other /site/ path requested"
    );
    assert_eq!(server.paths().len(), SITE_PAGES, "nothing else requested");

    assert_eq!(report.fetched, SITE_PAGES as u64, "{report}");
    assert_eq!(report.failed, 0);
    assert_eq!(report.stop_reason, StopReason::Completed);
    assert_eq!(report.statuses.get(&200), Some(&(SITE_PAGES as u64)));
    assert_eq!(report.requests, SITE_PAGES as u64);
    assert_eq!(report.retries, 0);
    assert!(
        report.duplicates > 0,
        "the site links back to page 0 everywhere"
    );

    // The off-host link: one outcome, skipped, never fetched.
    let off = outcome(&report, OFFSITE_LINK);
    assert_eq!(off.kind, OutcomeKind::Skipped(SkipReason::OffHost));
    assert_eq!(off.attempts, 0);
    assert_eq!(off.status, None);
    assert_eq!(report.skipped, 1);
    assert_eq!(report.skipped_by_reason.get(&SkipReason::OffHost), Some(&1));

    // mailto: links are not crawlable URLs: no outcome at all.
    assert!(!report.outcomes.iter().any(|o| o.url.scheme() == "mailto"));
    // Fragments are dropped: no outcome URL carries one.
    assert!(report.outcomes.iter().all(|o| o.url.fragment().is_none()));

    assert_books_balance(&report, &server);
    let reachable = site_reachable(|_| false);
    assert_eq!(reachable.len(), SITE_PAGES, "every page is linked");
    assert_reached(
        &report,
        &server,
        on_host0(reachable.iter().map(|i| format!("/site/{i}.html"))),
    );
    assert_eq!(report.outcomes.len(), SITE_PAGES + 1);
    let seed = outcome(&report, &site_url(&server, 0));
    assert_eq!(seed.depth, 0);
    assert!(seed.referrer.is_none());
    for o in report.outcomes.iter().filter(|o| o.is_fetched()) {
        assert_eq!(o.status, Some(200), "{}", o.url);
        assert_eq!(o.attempts, 1, "{}", o.url);
        assert!(o.bytes > 0, "{}", o.url);
        assert!(
            o.content_type.as_deref().unwrap().starts_with("text/html"),
            "{}",
            o.url
        );
        if o.depth > 0 {
            let referrer = o.referrer.as_ref().expect("a linked page has a referrer");
            assert!(referrer.path().starts_with("/site/"), "{}", o.url);
        }
    }
    assert_site_hits_match_fetched(&server, &report);
}

#[test]
fn max_depth_is_honoured() {
    let server = TestServer::start();
    let config = config(&server.url("/depth/0.html"))
        .max_depth(3)
        .build()
        .unwrap();
    let report = Crawler::new(config, FollowAll).run().unwrap();

    for n in 0..=3 {
        assert_eq!(server.hits(&format!("/depth/{n}.html")), 1, "page {n}");
        let o = outcome(&report, &server.url(&format!("/depth/{n}.html")));
        assert!(o.is_fetched(), "page {n}: {:?}", o.kind);
        assert_eq!(o.depth, n as u32);
    }
    let four = outcome(&report, &server.url("/depth/4.html"));
    assert_eq!(four.kind, OutcomeKind::Skipped(SkipReason::Depth));
    assert_eq!(four.depth, 4);
    assert_eq!(
        four.referrer.as_deref().map(|u| u.path()),
        Some("/depth/3.html")
    );
    assert_eq!(server.hits("/depth/4.html"), 0);
    assert_eq!(server.hits("/depth/5.html"), 0);
    assert!(!has_outcome(&report, &server.url("/depth/5.html")));
    assert_eq!(server.paths().len(), 4);
    assert_eq!(report.fetched, 4);
    assert_eq!(report.skipped, 1);
    assert_books_balance(&report, &server);
    assert_reached(
        &report,
        &server,
        on_host0((0..=3).map(|n| format!("/depth/{n}.html"))),
    );
}

#[test]
fn max_pages_is_honoured_and_the_rest_is_skipped_not_lost() {
    const MAX: u64 = 10;
    let server = TestServer::start();
    let config = config(&site_url(&server, 0))
        .max_pages(MAX)
        .build()
        .unwrap();
    let report = Crawler::new(config, FollowAll).run().unwrap();

    assert_eq!(report.stop_reason, StopReason::PageLimit, "{report}");
    assert!(report.fetched <= MAX, "{report}");
    assert_eq!(report.fetched, MAX, "every dispatched page succeeds here");
    assert_eq!(server.paths_under("/site/").len() as u64, report.fetched);
    assert_eq!(report.requests, MAX);
    let page_limit = report
        .skipped_by_reason
        .get(&SkipReason::PageLimit)
        .copied()
        .unwrap_or(0);
    assert!(page_limit > 0, "links found beyond the limit: {report}");
    // Every accepted site URL is either fetched or skipped for the page limit.
    for o in &report.outcomes {
        if o.url.path().starts_with("/site/") {
            assert!(
                o.is_fetched() || o.skip_reason() == Some(SkipReason::PageLimit),
                "{}: {:?}",
                o.url,
                o.kind
            );
        }
    }
    assert_eq!(
        report.accepted(),
        report.fetched + page_limit + 1,
        "fetched + page-limit skips + the off-host link"
    );
    assert_books_balance(&report, &server);
    assert_site_hits_match_fetched(&server, &report);
}

#[test]
fn base_href_and_relative_links_resolve() {
    let server = TestServer::start();
    let config = two_seeds(&server, "/base/index.html", "/rel/dir/page.html");
    let report = Crawler::new(config, FollowAll).run().unwrap();

    for path in [
        "/base/index.html",
        "/base/sub/a.html",
        "/base/abs.html",
        "/rel/dir/page.html",
        "/rel/up.html",
        "/rel/dir/same.html",
        "/rel/dir/child/c.html",
    ] {
        assert_eq!(server.hits(path), 1, "{path}");
        let o = outcome(&report, &server.url(path));
        assert!(o.is_fetched() && o.status == Some(200), "{path}: {o:?}");
    }
    // Resolving `a.html` against the page instead of the <base> would ask for this.
    assert_eq!(server.hits("/base/a.html"), 0);
    assert_eq!(server.paths().len(), 7, "{:?}", server.paths());
    assert_eq!(report.fetched, 7);
    assert_eq!(report.accepted(), 7);
    assert_books_balance(&report, &server);
    assert_reached(
        &report,
        &server,
        on_host0([
            "/base/index.html",
            "/base/sub/a.html",
            "/base/abs.html",
            "/rel/dir/page.html",
            "/rel/up.html",
            "/rel/dir/same.html",
            "/rel/dir/child/c.html",
        ]),
    );
}

/// A configuration with two seeds on one server.
fn two_seeds(server: &TestServer, a: &str, b: &str) -> trawler::CrawlConfig {
    config(&server.url(a)).seed(server.url(b)).build().unwrap()
}

#[test]
fn non_html_answers_are_not_parsed() {
    let server = TestServer::start();
    let config = two_seeds(&server, "/json", "/img.png");
    let parsed = Arc::new(AtomicUsize::new(0));
    let spider = CountingSpider {
        parsed: parsed.clone(),
    };
    let report = Crawler::new(config, spider).run().unwrap();

    assert_eq!(parsed.load(Ordering::SeqCst), 0, "parse ran on non-HTML");
    assert_eq!(report.parse_errors, 0);

    let json = outcome(&report, &server.url("/json"));
    assert!(json.is_fetched());
    assert_eq!(json.status, Some(200));
    assert_eq!(json.content_type.as_deref(), Some("application/json"));
    assert!(json.bytes > 0);
    let png = outcome(&report, &server.url("/img.png"));
    assert!(png.is_fetched());
    assert_eq!(png.content_type.as_deref(), Some("image/png"));
    assert_eq!(server.hits("/nope"), 0);
    assert_eq!(server.hits("/nope-img"), 0);
    assert_eq!(server.paths().len(), 2);
    assert_eq!(report.accepted(), 2);
    assert_books_balance(&report, &server);
    assert_reached(&report, &server, on_host0(["/json", "/img.png"]));
}

/// Counts `parse` calls (and fails them: the test wants none).
struct CountingSpider {
    parsed: Arc<AtomicUsize>,
}

impl Spider for CountingSpider {
    type Item = ();
    fn parse(&self, page: &Page<'_>, _out: &mut Output<()>) -> Result<(), BoxError> {
        self.parsed.fetch_add(1, Ordering::SeqCst);
        Err(format!("parse called for non-HTML {}", page.url()).into())
    }
}

#[test]
fn a_404_page_is_recorded_but_its_links_are_not_followed() {
    let server = TestServer::start();
    let config = config(&server.url("/notfound")).build().unwrap();
    let report = Crawler::new(config, FollowAll).run().unwrap();

    let o = outcome(&report, &server.url("/notfound"));
    assert_eq!(o.kind, OutcomeKind::Fetched);
    assert_eq!(o.status, Some(404));
    assert_eq!(o.attempts, 1, "404 is not retried");
    assert!(o.is_broken());
    assert!(o.parse_error.is_none());
    assert_eq!(server.paths(), vec!["/notfound".to_string()]);
    assert_eq!(report.accepted(), 1);
    assert_eq!(report.statuses.get(&404), Some(&1));
    assert_books_balance(&report, &server);
    assert_reached(&report, &server, on_host0(["/notfound"]));
}

#[test]
fn an_unreachable_seed_fails_with_connect_after_its_retries() {
    // A port that was just free: bind, note, close. Nothing listens there now.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/");
    // The page's own attempts are under test: with robots on, robots.txt would meet the
    // dead port first (that path is in tests/robots.rs).
    let config = config(&url).robots(false).retries(1).build().unwrap();
    let started = Instant::now();
    let report = Crawler::new(config, FollowAll).run().unwrap();

    assert!(started.elapsed() < Duration::from_secs(10));
    let o = outcome(&report, &url);
    assert!(
        matches!(o.kind, OutcomeKind::Failed(FetchError::Connect(_))),
        "{:?}",
        o.kind
    );
    assert_eq!(o.attempts, 2, "one retry");
    assert_eq!(o.status, None);
    assert_eq!(report.failed, 1);
    assert_eq!(report.requests, 2);
    assert_eq!(report.retries, 1);
    assert_eq!(report.stop_reason, StopReason::Completed);
    // Nothing listens there: no server log to hold the report against.
    assert_outcomes_unique(&report);
}

#[test]
fn two_seeds_are_both_crawled() {
    let server = TestServer::start();
    let config = two_seeds(&server, "/depth/18.html", "/rel/dir/page.html");
    let report = Crawler::new(config, FollowAll).run().unwrap();

    for (path, depth) in [
        ("/depth/18.html", 0),
        ("/depth/19.html", 1),
        ("/depth/20.html", 2),
        ("/rel/dir/page.html", 0),
        ("/rel/up.html", 1),
        ("/rel/dir/same.html", 1),
        ("/rel/dir/child/c.html", 1),
    ] {
        assert_eq!(server.hits(path), 1, "{path}");
        let o = outcome(&report, &server.url(path));
        assert!(o.is_fetched(), "{path}");
        assert_eq!(o.depth, depth, "{path}");
        assert_eq!(o.referrer.is_none(), depth == 0, "{path}");
    }
    assert_eq!(server.paths().len(), 7);
    assert_eq!(report.fetched, 7);
    assert_books_balance(&report, &server);
    assert_reached(
        &report,
        &server,
        on_host0([
            "/depth/18.html",
            "/depth/19.html",
            "/depth/20.html",
            "/rel/dir/page.html",
            "/rel/up.html",
            "/rel/dir/same.html",
            "/rel/dir/child/c.html",
        ]),
    );
}

#[test]
fn max_depth_zero_fetches_only_the_seeds() {
    let server = TestServer::start();
    let config = config(&server.url("/depth/0.html"))
        .max_depth(0)
        .build()
        .unwrap();
    let report = Crawler::new(config, FollowAll).run().unwrap();

    assert_eq!(server.paths(), vec!["/depth/0.html"]);
    assert_eq!(
        outcome(&report, &server.url("/depth/1.html")).kind,
        OutcomeKind::Skipped(SkipReason::Depth)
    );
    assert_eq!(report.accepted(), 2);
}

#[test]
fn max_pages_one_fetches_only_the_seed() {
    let server = TestServer::start();
    let config = config(&site_url(&server, 0)).max_pages(1).build().unwrap();
    let report = Crawler::new(config, FollowAll).run().unwrap();

    assert_eq!(server.paths(), vec!["/site/0.html"]);
    assert_eq!(report.fetched, 1);
    assert_eq!(report.stop_reason, StopReason::PageLimit);
    // The seed's site links are accepted and skipped for the limit; none is lost.
    let left = report
        .skipped_by_reason
        .get(&SkipReason::PageLimit)
        .copied();
    assert_eq!(left, Some(4), "{report}");
    assert_books_balance(&report, &server);
}

#[test]
fn max_pages_zero_fetches_nothing() {
    let server = TestServer::start();
    // A limit of 0 is valid and means "record the seeds, fetch nothing".
    let config = config(&site_url(&server, 0)).max_pages(0).build().unwrap();
    let report = Crawler::new(config, FollowAll).run().unwrap();

    assert_eq!(report.fetched, 0, "max_pages(0) fetched pages: {report}");
    assert!(server.all_paths().is_empty(), "{:?}", server.all_paths());
    assert_eq!(
        outcome(&report, &site_url(&server, 0)).kind,
        OutcomeKind::Skipped(SkipReason::PageLimit)
    );
    assert_eq!(report.stop_reason, StopReason::PageLimit);
    assert_books_balance(&report, &server);
}
