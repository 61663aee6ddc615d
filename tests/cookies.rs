//! Cookies, as the servers see them: what answers set comes back only where RFC 6265 sends
//! it, never to another site, not even through a `Domain` attribute naming a public suffix
//! (`co.uk`, `github.io`); sessions have jars of their own; `cookies(false)` keeps none.
//!
//! The sites have real names (`shop.example.co.uk`, `evil.github.io` ...): the crawl goes
//! through an HTTP proxy on 127.0.0.1, so it never resolves them, and the raw server
//! behind the proxy URL answers for every name itself, as the sites would (it reads each
//! request's absolute URL and `Host`). Nothing leaves the machine.

mod common;

use common::config;
use common::raw::{After, RawHit, RawServer, respond};
use trawler::{Crawler, FnSpider, Request};

/// What each name answers.
fn sites() -> RawServer {
    RawServer::start(|hit, stream| {
        let host = hit.host.as_str();
        let page = |set: &[&'static str], links: &[&str]| {
            let body: String = (links.iter())
                .map(|l| format!("<a href=\"{l}\">x</a>"))
                .collect();
            (
                set.iter().map(|c| ("set-cookie", *c)).collect::<Vec<_>>(),
                format!("<html>{body}</html>"),
            )
        };
        let (set, body) = match (host, hit.path.as_str()) {
            (_, "/robots.txt") => {
                respond(stream, "404 Not Found", &[], b"");
                return After::KeepOpen;
            }
            ("shop.example.co.uk", "/") => page(
                &[
                    "a=1; Domain=co.uk",
                    "b=2; Domain=example.co.uk",
                    "c=3; Path=/",
                ],
                &[
                    "http://other.co.uk/",
                    "http://www.example.co.uk/",
                    "http://shop.example.co.uk/next",
                    "http://elsewhere.test/",
                ],
            ),
            ("evil.github.io", "/") => page(
                &["x=1; Domain=github.io", "y=2; Domain=evil.github.io"],
                &["http://victim.github.io/", "http://evil.github.io/next"],
            ),
            (_, p) if p.starts_with("/login?") => {
                let user = p.split("user=").nth(1).unwrap_or("").to_string();
                let cookie = format!("user={user}");
                let link = format!("/profile?as={user}");
                let body = format!("<html><a href=\"{link}\">me</a></html>");
                let mut head = vec![("content-type", "text/html")];
                head.push(("set-cookie", cookie.as_str()));
                respond(stream, "200 OK", &head, body.as_bytes());
                return After::KeepOpen;
            }
            _ => page(&[], &[]),
        };
        let mut head = vec![("content-type", "text/html")];
        head.extend(set);
        respond(stream, "200 OK", &head, body.as_bytes());
        After::KeepOpen
    })
}

/// The `Cookie` field the request for `host` + `path` carried (`None`: no such field);
/// panics if the page was not requested once.
fn cookie_sent(hits: &[RawHit], host: &str, path: &str) -> Option<String> {
    let found: Vec<&RawHit> = (hits.iter())
        .filter(|h| h.host == host && h.path == path)
        .collect();
    assert_eq!(found.len(), 1, "{host}{path}: {hits:?}");
    found[0]
        .headers
        .iter()
        .find(|(k, _)| k == "cookie")
        .map(|(_, v)| v.clone())
}

fn crawl(server: &RawServer, seeds: &[&str], cookies: bool) -> Vec<RawHit> {
    let b = config(seeds[0])
        .seeds(seeds[1..].iter().copied())
        .allow_any_host()
        .proxy(format!("http://{}", server.addr()))
        .cookies(cookies);
    let report = Crawler::new(b.build().unwrap(), FnSpider::<()>::new())
        .run()
        .unwrap();
    assert_eq!(report.failed, 0, "{report}");
    server.hits()
}

#[test]
fn cookies_go_back_to_their_site_only_and_never_to_a_public_suffix() {
    let server = sites();
    let hits = crawl(
        &server,
        &["http://shop.example.co.uk/", "http://evil.github.io/"],
        true,
    );
    assert_eq!(cookie_sent(&hits, "shop.example.co.uk", "/"), None);
    assert_eq!(
        cookie_sent(&hits, "shop.example.co.uk", "/next").as_deref(),
        Some("b=2; c=3")
    );
    // `Domain=example.co.uk` covers the site's other hosts; `c` was the host's own.
    assert_eq!(
        cookie_sent(&hits, "www.example.co.uk", "/").as_deref(),
        Some("b=2")
    );
    // `Domain=co.uk` and `Domain=github.io` are public suffixes: those cookies were
    // dropped, and nothing went to the neighbours.
    assert_eq!(cookie_sent(&hits, "other.co.uk", "/"), None);
    assert_eq!(cookie_sent(&hits, "victim.github.io", "/"), None);
    assert_eq!(cookie_sent(&hits, "elsewhere.test", "/"), None);
    assert_eq!(
        cookie_sent(&hits, "evil.github.io", "/next").as_deref(),
        Some("y=2")
    );
}

#[test]
fn no_cookies_keeps_none() {
    let server = sites();
    let hits = crawl(&server, &["http://shop.example.co.uk/"], false);
    assert_eq!(cookie_sent(&hits, "shop.example.co.uk", "/next"), None);
    assert_eq!(cookie_sent(&hits, "www.example.co.uk", "/"), None);
}

#[test]
fn each_session_has_its_jar_and_its_links_stay_in_it() {
    let server = sites();
    let spider = FnSpider::<()>::new().on_page(|page, out| {
        if page.url().path() == "/" {
            for user in ["alice", "bob"] {
                let url = format!("http://site.test/login?user={user}");
                out.follow_request(Request::get(&url).unwrap().with_session(user));
            }
        }
    });
    let b = config("http://site.test/").proxy(format!("http://{}", server.addr()));
    let report = Crawler::new(b.build().unwrap(), spider).run().unwrap();
    assert_eq!((report.fetched, report.failed), (5, 0), "{report}");
    let hits = server.hits();
    for user in ["alice", "bob"] {
        assert_eq!(
            cookie_sent(&hits, "site.test", &format!("/login?user={user}")),
            None
        );
        let profile = format!("/profile?as={user}");
        assert_eq!(
            cookie_sent(&hits, "site.test", &profile),
            Some(format!("user={user}"))
        );
    }
}

/// A durable crawl keeps its cookies: stopped after its first page, it goes on in a
/// second run whose first request carries the cookie that page set.
#[cfg(feature = "durable")]
#[test]
fn a_durable_crawl_keeps_its_cookies_across_runs() {
    use std::sync::{Arc, Mutex};
    use trawler::store::DiskStore;
    let server = sites();
    let dir = tempfile::tempdir().unwrap();
    let run = |stop_after_first: bool| {
        let b = config("http://shop.example.co.uk/")
            .proxy(format!("http://{}", server.addr()))
            .robots(false)
            // One request every 3 s to the host: the first run stops before its second.
            .per_host_rate(1.0 / 3.0);
        let crawler = Crawler::new(b.build().unwrap(), FnSpider::<()>::new())
            .store(DiskStore::open(dir.path().join("state")).unwrap());
        let stop = Arc::new(Mutex::new(Some(crawler.stop_handle())));
        let crawler = crawler.on_outcome(move |_| {
            if let (true, Some(handle)) = (stop_after_first, stop.lock().unwrap().take()) {
                handle.stop();
            }
        });
        crawler.run().unwrap()
    };
    let first = run(true);
    assert_eq!(first.fetched, 1, "{first}");
    let hits = server.hits();
    assert_eq!(hits.len(), 1, "{hits:?}");
    let second = run(false);
    assert_eq!(
        second.fetched, 2,
        "the page left, counted on the first run's: {second}"
    );
    let hits = server.hits();
    assert_eq!(
        cookie_sent(&hits, "shop.example.co.uk", "/").as_deref(),
        None
    );
    assert_eq!(
        cookie_sent(&hits, "shop.example.co.uk", "/next").as_deref(),
        Some("b=2; c=3")
    );
}
