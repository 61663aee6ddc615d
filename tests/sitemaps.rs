//! Sitemaps as the server sees them: where they are found (the seeds' `/sitemap.xml`,
//! robots.txt `Sitemap:` lines, indexes, redirects), that each is fetched once, gzipped
//! or not, and that their URLs go through the crawl's own admission at depth 1.

mod common;

use common::*;
use std::io::Write;
use trawler::{CrawlReport, Crawler, OutcomeKind, SkipReason};

fn crawl(config: trawler::CrawlConfigBuilder) -> CrawlReport {
    Crawler::new(config.build().unwrap(), FollowAll)
        .run()
        .unwrap()
}

const NS: &str = "xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"";

/// A `<urlset>` of `urls` (paths are made absolute on `server`).
fn urlset(server: &TestServer, urls: &[&str]) -> String {
    let locs: String = urls
        .iter()
        .map(|u| {
            let u = if u.starts_with('/') {
                server.url(u)
            } else {
                u.to_string()
            };
            format!("<url><loc>{u}</loc><changefreq>daily</changefreq></url>\n")
        })
        .collect();
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset {NS}>\n{locs}</urlset>\n")
}

/// A `<sitemapindex>` of sitemap paths on `server`.
fn index(server: &TestServer, paths: &[&str]) -> String {
    let locs: String = (paths.iter())
        .map(|p| format!("<sitemap><loc>{}</loc></sitemap>\n", server.url(p)))
        .collect();
    format!("<sitemapindex {NS}>\n{locs}</sitemapindex>\n")
}

fn gzip(data: &str) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data.as_bytes()).unwrap();
    e.finish().unwrap()
}

fn xml(body: String) -> Reply {
    Reply::ok("application/xml", body)
}

#[test]
fn a_seed_hosts_sitemap_adds_its_urls_at_depth_one() {
    let server = TestServer::start();
    let listed = [
        "/depth/5.html",
        "/fan/3.html",
        "/depth/5.html",
        OFFSITE_LINK,
        "/depth/19.html",
    ];
    server.serve("/sitemap.xml", xml(urlset(&server, &listed)));
    let seed = server.url("/depth/19.html");
    let report = crawl(config(&seed).sitemaps(true).max_depth(1));

    assert_eq!(server.hits("/sitemap.xml"), 1);
    let five = outcome(&report, &server.url("/depth/5.html"));
    assert!(five.is_fetched());
    assert_eq!(five.depth, 1);
    assert_eq!(
        five.referrer.as_deref().map(|u| u.as_str()),
        Some(server.url("/sitemap.xml").as_str())
    );
    assert_eq!(
        outcome(&report, &server.url("/depth/6.html")).kind,
        OutcomeKind::Skipped(SkipReason::Depth),
        "a sitemap URL's links are at depth 2"
    );
    assert!(outcome(&report, &server.url("/fan/3.html")).is_fetched());
    assert_eq!(
        outcome(&report, OFFSITE_LINK).kind,
        OutcomeKind::Skipped(SkipReason::OffHost)
    );
    assert_eq!(outcome(&report, &seed).depth, 0, "the seed keeps its depth");
    for path in [
        "/depth/5.html",
        "/fan/3.html",
        "/depth/19.html",
        "/depth/20.html",
    ] {
        assert_eq!(server.hits(path), 1, "{path}");
    }
    assert_eq!(server.paths().len(), 5, "{:?}", server.paths());
    assert_eq!(
        (report.sitemap_fetches, report.sitemap_urls),
        (1, listed.len() as u64)
    );
    assert_eq!(report.requests, 4, "sitemaps are not page requests");
    assert_books_balance_except(&report, &server, &["/sitemap.xml"]);
}

#[test]
fn indexes_and_gzipped_sitemaps_from_robots_txt_are_each_fetched_once() {
    let server = TestServer::start();
    server.serve(
        ROBOTS,
        Reply::text(&format!(
            "User-agent: *\nDisallow: /private/\n\nSitemap: {}\nSitemap: /maps/index.xml\n",
            server.url("/maps/index.xml")
        )),
    );
    let maps = [
        "/maps/a.xml.gz",
        "/maps/b.xml",
        "/maps/a.xml.gz",
        "/maps/index.xml",
        "/maps/c.xml",
        "/private/p.xml",
    ];
    server.serve("/maps/index.xml", xml(index(&server, &maps)));
    // A `.xml.gz` file as servers send it: compressed body, no Content-Encoding.
    let a = gzip(&urlset(&server, &["/fan/1.html", "/fan/2.html"]));
    server.serve("/maps/a.xml.gz", Reply::ok("application/gzip", a));
    server.serve("/maps/b.xml", xml(urlset(&server, &["/depth/10.html"])));
    // A compressed transfer of a plain sitemap: the HTTP client inflates it.
    let c = gzip(&urlset(&server, &["/rel/dir/page.html"]));
    server.serve(
        "/maps/c.xml",
        Reply::ok("application/xml", c).header("content-encoding", "gzip"),
    );
    server.serve("/private/p.xml", xml(urlset(&server, &["/long.html"])));
    let report = crawl(config(&server.url("/depth/20.html")).sitemaps(true));

    for map in [
        "/maps/index.xml",
        "/maps/a.xml.gz",
        "/maps/b.xml",
        "/maps/c.xml",
        "/sitemap.xml",
    ] {
        assert_eq!(server.hits(map), 1, "{map}");
    }
    assert_eq!(server.hits("/private/p.xml"), 0, "disallowed by robots.txt");
    assert_eq!(
        server.hits("/long.html"),
        0,
        "only listed in the disallowed sitemap"
    );
    for page in [
        "/fan/1.html",
        "/fan/2.html",
        "/depth/10.html",
        "/depth/15.html",
        "/rel/dir/page.html",
        "/rel/up.html",
    ] {
        assert_eq!(server.hits(page), 1, "{page}");
        assert!(outcome(&report, &server.url(page)).is_fetched(), "{page}");
    }
    let maps_at = server
        .all_paths()
        .iter()
        .position(|p| p.starts_with("/maps/"));
    assert!(
        maps_at > Some(0),
        "robots.txt first: {:?}",
        server.all_paths()
    );
    assert_eq!(
        report.sitemap_fetches, 5,
        "sitemap.xml (404), index, a, b, c"
    );
    assert_eq!(report.sitemap_urls, 4);
    assert_books_balance_except(
        &report,
        &server,
        &[
            "/sitemap.xml",
            "/maps/index.xml",
            "/maps/a.xml.gz",
            "/maps/b.xml",
            "/maps/c.xml",
        ],
    );
}

#[test]
fn sitemaps_are_off_by_default() {
    let server = TestServer::start();
    server.serve(
        ROBOTS,
        Reply::text(&format!("Sitemap: {}\n", server.url("/maps/s.xml"))),
    );
    server.serve("/maps/s.xml", xml(urlset(&server, &["/fan/1.html"])));
    server.serve("/sitemap.xml", xml(urlset(&server, &["/fan/2.html"])));
    let report = crawl(config(&server.url("/depth/20.html")));

    assert_eq!(server.paths(), vec!["/depth/20.html"]);
    assert_eq!((report.sitemap_fetches, report.fetched), (0, 1));
}

#[test]
fn without_robots_the_seed_hosts_sitemap_is_read_through_a_redirect_and_a_retry() {
    let server = TestServer::start();
    server.serve(ROBOTS, Reply::text("User-agent: *\nDisallow: /\n"));
    server.serve("/sitemap.xml", Reply::redirect(301, "/maps/real.xml"));
    server.serve(
        "/maps/real.xml",
        xml(urlset(&server, &["/fan/4.html"])).failing_first(1, 503),
    );
    let report = crawl(
        config(&server.url("/depth/20.html"))
            .robots(false)
            .sitemaps(true),
    );

    assert_eq!(server.hits(ROBOTS), 0);
    assert_eq!(server.hits("/sitemap.xml"), 1);
    assert_eq!(server.hits("/maps/real.xml"), 2, "503, then the retry");
    assert!(outcome(&report, &server.url("/fan/4.html")).is_fetched());
    assert_eq!(report.sitemap_fetches, 3);
    assert_books_balance_except(&report, &server, &["/sitemap.xml", "/maps/real.xml"]);
}

#[test]
fn a_sitemap_on_a_host_outside_the_scope_is_not_fetched() {
    let server = TestServer::start();
    let other = TestServer::start();
    server.serve(
        ROBOTS,
        Reply::text(&format!("Sitemap: {}\n", other.url("/sitemap.xml"))),
    );
    other.serve("/sitemap.xml", xml(urlset(&server, &["/fan/1.html"])));
    let report = crawl(config(&server.url("/depth/20.html")).sitemaps(true));

    assert!(other.all_paths().is_empty(), "{:?}", other.all_paths());
    assert_eq!(server.hits("/fan/1.html"), 0);
    assert_eq!(
        report.sitemap_fetches, 1,
        "only the seed host's /sitemap.xml"
    );
    assert_books_balance_except(&report, &server, &["/sitemap.xml"]);
    assert_books_balance(&report, &other);
}

#[test]
fn the_testbeds_sitemap_index_reaches_every_page_once() {
    use trawler_testbed::{SiteSpec, Testbed};
    // Over 10,000 pages: the index lists two `/sitemap-N.xml` files. No link is
    // followed (the spider follows nothing explicitly), so full coverage means the
    // sitemaps delivered every page.
    let site = Testbed::start(SiteSpec {
        pages: 10_500,
        links_per_page: 2,
        page_bytes: 512,
        ..SiteSpec::default()
    })
    .unwrap();
    let cfg = config(site.url().as_str())
        .concurrency(32)
        .per_host_concurrency(32)
        .sitemaps(true)
        .follow(trawler::FollowMode::Explicit);
    let report = crawl(cfg);

    let stats = site.stats();
    assert_eq!(stats.robots_hits, 1);
    assert_eq!(
        stats.sitemap_hits, 3,
        "the index (found twice) and its two files, once each"
    );
    assert_eq!(stats.missing_pages(), 0, "{report}");
    assert!(stats.is_perfect_crawl(), "{stats:?}");
    assert_eq!(report.sitemap_urls, site.reachable_pages());
    assert_eq!(report.fetched, site.reachable_pages(), "{report}");
    assert_eq!((report.robots_fetches, report.sitemap_fetches), (1, 3));
}
