//! Recrawls with a page cache: the second crawl of a site asks with each kept page's
//! validators, and the site (the testbed, which answers `304` to an `If-None-Match` naming
//! a page's `ETag`) sends no body for what did not change, while the crawl still covers
//! the whole site; a later edition of the site is seen as changed pages; pages gone are
//! counted; what RFC 9111 says not to keep is asked for whole.
#![cfg(feature = "durable")]

mod common;

use common::raw::{After, RawServer, respond};
use std::collections::BTreeSet;
use std::time::Duration;
use trawler::revisit::RevisitCache;
use trawler::{CrawlConfig, CrawlReport, Crawler, FnSpider, Revisit};
use trawler_testbed::{SiteSpec, Testbed};

fn crawl(seed: &str, cache: &std::path::Path) -> CrawlReport {
    let config = CrawlConfig::builder()
        .seed(seed)
        .workers(2)
        .request_timeout(Duration::from_secs(10))
        .collect_outcomes(true)
        .build()
        .unwrap();
    Crawler::new(config, FnSpider::<()>::new())
        .revisits(RevisitCache::open(cache).unwrap())
        .run()
        .unwrap()
}

fn fetched_urls(r: &CrawlReport) -> BTreeSet<String> {
    (r.outcomes.iter())
        .filter(|o| o.is_fetched())
        .map(|o| o.url.to_string())
        .collect()
}

fn site(port: u16, edition: u32) -> Testbed {
    Testbed::start(SiteSpec {
        pages: 300,
        port,
        edition,
        ..SiteSpec::default()
    })
    .unwrap()
}

#[test]
fn a_recrawl_asks_with_validators_and_still_covers_the_site() {
    let dir = tempfile::tempdir().unwrap();
    let first_site = site(0, 0);
    let port = first_site.url().port().unwrap();
    let seed = first_site.url().to_string();
    let first = crawl(&seed, dir.path());
    assert!(first_site.stats().is_perfect_crawl(), "{first}");
    let pages = first_site.reachable_pages();
    assert_eq!(first.revisits.new, first.fetched, "{first}");
    assert_eq!(
        (first.revisits.unchanged, first.revisits.bytes_saved),
        (0, 0)
    );

    // The same edition again: every page answers 304, and is parsed from the cache.
    let second = crawl(&seed, dir.path());
    assert_eq!(first_site.stats().not_modified, pages, "{second}");
    assert_eq!(
        fetched_urls(&first),
        fetched_urls(&second),
        "the recrawl covers the site"
    );
    let not_modified = second
        .outcomes
        .iter()
        .filter(|o| o.is_not_modified())
        .count() as u64;
    assert_eq!(not_modified, pages);
    assert_eq!(
        second.revisits.unchanged, second.fetched,
        "assets unchanged by content"
    );
    assert_eq!(second.revisits.new + second.revisits.changed, 0);
    assert!(
        second.revisits.bytes_saved > 0 && second.bytes < first.bytes / 10,
        "{second}"
    );
    for o in second.outcomes.iter().filter(|o| o.is_not_modified()) {
        assert_eq!((o.bytes, o.revisit), (0, Some(Revisit::Unchanged)));
        assert!(o.bytes_saved > 0);
    }
    first_site.stop();

    // A later edition on the same address: about one page in ten changed.
    let next_site = site(port, 1);
    let third = crawl(&seed, dir.path());
    assert_eq!(fetched_urls(&first), fetched_urls(&third));
    let changed: Vec<_> = (third.outcomes.iter())
        .filter(|o| o.revisit == Some(Revisit::Changed))
        .collect();
    assert!(
        !changed.is_empty() && (changed.len() as u64) < pages / 4,
        "{third}"
    );
    assert!(changed.iter().all(|o| o.status == Some(200) && o.bytes > 0));
    assert_eq!(
        next_site.stats().not_modified + changed.len() as u64,
        pages,
        "every page either 304 or changed"
    );
    assert_eq!(third.revisits.gone, 0);
}

/// `/` links `/keep.html`, `/gone.html`, `/dropped.html` (the latter two only in the first
/// run) and `/nostore.html`; the second run finds `/gone.html` answering 404.
fn changing_site() -> RawServer {
    let runs = std::sync::atomic::AtomicUsize::new(0);
    RawServer::start(move |hit, stream| {
        use std::sync::atomic::Ordering::SeqCst;
        if hit.path == "/" {
            runs.fetch_add(1, SeqCst);
        }
        let first = runs.load(SeqCst) <= 1;
        let html = [("content-type", "text/html")];
        match hit.path.as_str() {
            "/" if first => {
                let body = "<a href=/keep.html>k</a><a href=/gone.html>g</a>\
                            <a href=/dropped.html>d</a><a href=/nostore.html>n</a>";
                respond(
                    stream,
                    "200 OK",
                    &[html[0], ("last-modified", "Tue, 01 Dec 2026 10:00:00 GMT")],
                    body.as_bytes(),
                );
            }
            "/" => {
                let body =
                    "<a href=/keep.html>k</a><a href=/gone.html>g</a><a href=/nostore.html>n</a>";
                respond(stream, "200 OK", &html, body.as_bytes());
            }
            "/keep.html" => {
                let since = hit
                    .headers
                    .iter()
                    .any(|(k, v)| k == "if-none-match" && v == "W/\"k1\"");
                if since {
                    respond(stream, "304 Not Modified", &[("etag", "W/\"k1\"")], b"");
                } else {
                    respond(
                        stream,
                        "200 OK",
                        &[html[0], ("etag", "W/\"k1\"")],
                        b"<html>keep</html>",
                    );
                }
            }
            "/gone.html" if !first => respond(stream, "404 Not Found", &html, b"gone"),
            "/nostore.html" => respond(
                stream,
                "200 OK",
                &[html[0], ("etag", "\"n1\""), ("cache-control", "no-store")],
                b"<html>n</html>",
            ),
            "/robots.txt" => respond(stream, "404 Not Found", &[], b""),
            _ => respond(stream, "200 OK", &html, b"<html>leaf</html>"),
        }
        After::KeepOpen
    })
}

#[test]
fn gone_pages_no_store_and_the_validators_sent() {
    let dir = tempfile::tempdir().unwrap();
    let site = changing_site();
    let first = crawl(&site.url("/"), dir.path());
    assert_eq!(first.revisits.new, 5, "{first}");
    let before = site.hits().len();
    let second = crawl(&site.url("/"), dir.path());
    let hits = &site.hits()[before..];
    let sent = |path: &str, header: &str| {
        (hits.iter())
            .find(|h| h.path == path)
            .and_then(|h| h.headers.iter().find(|(k, _)| k == header))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        sent("/keep.html", "if-none-match").as_deref(),
        Some("W/\"k1\"")
    );
    assert_eq!(
        sent("/", "if-modified-since").as_deref(),
        Some("Tue, 01 Dec 2026 10:00:00 GMT")
    );
    assert_eq!(
        sent("/nostore.html", "if-none-match"),
        None,
        "no-store was not kept"
    );
    let r = second.revisits;
    // `/` changed (new links), `/keep.html` 304, `/gone.html` 404 now, `/dropped.html`
    // never met (the crawl ran to its end), `/nostore.html` new again.
    assert_eq!(
        (r.changed, r.unchanged, r.gone, r.new),
        (1, 1, 2, 1),
        "{second}"
    );
    // The sweep forgot what was gone: a third crawl counts nothing gone.
    let third = crawl(&site.url("/"), dir.path());
    assert_eq!(third.revisits.gone, 0, "{third}");
}

#[test]
fn a_cache_in_use_or_of_something_else_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let held = RevisitCache::open(dir.path()).unwrap();
    let e = RevisitCache::open(dir.path()).unwrap_err();
    assert!(
        e.to_string().contains("in use") || matches!(e, trawler::store::StoreError::Locked(_)),
        "{e}"
    );
    drop(held);
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    assert!(RevisitCache::open(&file).is_err());
}
