//! Proxies, through real ones on 127.0.0.1: Debian's `tinyproxy` (an HTTP proxy: plain
//! http in absolute form, https through CONNECT, basic auth) and `microsocks` (SOCKS5
//! with user and password). Both open their connections from 127.0.0.3, which the crawler
//! never does on its own, so each site checks from the peer address of every request that
//! it came through the proxy and that none went around it; tinyproxy's log shows every
//! request it carried.

mod common;
#[path = "common/https.rs"]
mod https;

use common::config;
use common::raw::{After, RawServer, respond};
use std::net::{IpAddr, TcpListener};
use std::time::Duration;
use trawler::{
    CrawlConfigBuilder, CrawlReport as Report, Crawler, FetchError, FnSpider, OutcomeKind,
};
use trawler_testbed::{ProxyKind, ProxyServer};

/// `/` links `/a.html`, `/b.html` and `/c.html`; those are leaves; robots.txt is missing.
/// Each connection carries one request: tinyproxy logs the first request of a client
/// connection only, and relays the rest as they are.
fn site() -> RawServer {
    RawServer::start(|hit, stream| {
        let body: &[u8] = match hit.path.as_str() {
            "/" => b"<html><a href=\"/a.html\">a</a><a href=\"/b.html\">b</a><a href=\"/c.html\">c</a></html>",
            "/robots.txt" => {
                respond(stream, "404 Not Found", &[("connection", "close")], b"");
                return After::Close;
            }
            _ => b"<html>leaf</html>",
        };
        respond(
            stream,
            "200 OK",
            &[("content-type", "text/html"), ("connection", "close")],
            body,
        );
        After::Close
    })
}

fn proxy(kind: ProxyKind, credentials: Option<(&str, &str)>) -> ProxyServer {
    ProxyServer::start(kind, credentials)
        .unwrap_or_else(|e| panic!("{e} (`.ci/run` installs tinyproxy and microsocks)"))
}

fn outgoing() -> IpAddr {
    ProxyServer::OUTGOING.parse().unwrap()
}

fn crawl(b: CrawlConfigBuilder) -> Report {
    let config = b.retries(1).build().unwrap();
    Crawler::new(config, FnSpider::<()>::new()).run().unwrap()
}

/// Every page of `site` fetched once, every request from the proxy's address.
fn assert_all_through_the_proxy(site: &RawServer, report: &Report) {
    assert_eq!((report.fetched, report.failed), (4, 0), "{report}");
    let hits = site.hits();
    for page in ["/", "/a.html", "/b.html", "/c.html"] {
        assert_eq!(site.count(page), 1, "{page}: {hits:?}");
    }
    for h in &hits {
        assert_eq!(h.peer.ip(), outgoing(), "{} went around the proxy", h.path);
    }
}

/// A port where nothing listens.
fn dead_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn plain_http_goes_through_an_http_proxy_in_absolute_form() {
    let site = site();
    let proxy = proxy(ProxyKind::Http, None);
    let report = crawl(config(&site.url("/")).proxy(proxy.url()));
    assert_all_through_the_proxy(&site, &report);
    let log = proxy.log();
    for page in ["/", "/a.html", "/b.html", "/c.html", "/robots.txt"] {
        let line = format!("GET {} HTTP/1.1", site.url(page));
        assert!(log.contains(&line), "{line} not in the proxy's log:\n{log}");
    }
}

#[test]
fn https_goes_through_a_connect_tunnel_with_credentials() {
    let (ca, tls) = https::pki();
    let (port, log) = https::serve(tls);
    let proxy = proxy(ProxyKind::Http, Some(("crawler", "s3cret")));
    let seed = format!("https://127.0.0.1:{port}/");
    let report = crawl(config(&seed).add_root_certificate(ca).proxy(proxy.url()));
    assert_eq!((report.fetched, report.failed), (2, 0), "{report}");
    let hits = log.lock().unwrap().clone();
    assert_eq!(hits.len(), 3, "robots.txt and two pages: {hits:?}");
    for h in &hits {
        assert_eq!(
            h.peer.map(|p| p.ip()),
            Some(outgoing()),
            "{h:?} went around the proxy"
        );
    }
    let proxy_log = proxy.log();
    let connect = format!("CONNECT 127.0.0.1:{port} HTTP/1.1");
    assert!(
        proxy_log.contains(&connect),
        "no {connect} in:\n{proxy_log}"
    );
}

#[test]
fn socks5_with_credentials_carries_every_request() {
    let site = site();
    let proxy = proxy(ProxyKind::Socks5, Some(("crawler", "s3cret")));
    assert!(proxy.url().starts_with("socks5h://"));
    let report = crawl(config(&site.url("/")).proxy(proxy.url()));
    assert_all_through_the_proxy(&site, &report);
    // Names resolved here (socks5://) work the same.
    let site = self::site();
    let local_dns = proxy.url().replace("socks5h://", "socks5://");
    let report = crawl(config(&site.url("/")).proxy(local_dns));
    assert_all_through_the_proxy(&site, &report);
}

#[test]
fn refused_credentials_fail_each_url_and_nothing_goes_around_the_proxy() {
    let (ca, tls) = https::pki();
    let (port, log) = https::serve(tls);
    let http = proxy(ProxyKind::Http, Some(("crawler", "s3cret")));
    let socks = proxy(ProxyKind::Socks5, Some(("crawler", "s3cret")));
    for wrong in [
        format!("http://crawler:wrong@127.0.0.1:{}", http.port()),
        format!("http://127.0.0.1:{}", http.port()),
        format!("socks5h://crawler:wrong@127.0.0.1:{}", socks.port()),
    ] {
        let seed = format!("https://127.0.0.1:{port}/");
        let report = crawl(config(&seed).add_root_certificate(ca.clone()).proxy(&wrong));
        assert_eq!((report.fetched, report.failed), (0, 1), "{wrong}: {report}");
        let OutcomeKind::Failed(FetchError::RobotsUnavailable { cause, .. }) =
            &report.outcomes[0].kind
        else {
            panic!("{wrong}: {:?}", report.outcomes[0]);
        };
        assert!(
            cause.starts_with("proxy error") && cause.contains("credentials"),
            "{wrong}: {cause}"
        );
        assert!(
            !cause.contains("wrong") && !cause.contains("s3cret"),
            "{cause}"
        );
    }
    assert!(log.lock().unwrap().is_empty(), "the site was reached");
}

#[test]
fn a_dead_proxy_is_benched_and_its_requests_go_through_another() {
    let site = site();
    let live = proxy(ProxyKind::Http, None);
    let dead = format!("http://127.0.0.1:{}", dead_port());
    let b = config(&site.url("/"))
        .proxy(dead)
        .proxy(live.url())
        // One connection per request, so each one picks a proxy.
        .per_host_concurrency(4);
    let report = crawl(b);
    assert_all_through_the_proxy(&site, &report);
    assert_eq!(report.retries, 0, "failover is no retry: {report}");
}

#[test]
fn unreachable_proxies_fail_each_url_and_nothing_goes_direct() {
    let site = site();
    let b = config(&site.url("/"))
        .proxy(format!("http://127.0.0.1:{}", dead_port()))
        .proxy(format!("socks5h://127.0.0.1:{}", dead_port()))
        .robots(false)
        .proxy_bench(Duration::from_millis(50));
    let report = crawl(b);
    assert_eq!((report.fetched, report.failed), (0, 1), "{report}");
    let OutcomeKind::Failed(FetchError::Proxy(why)) = &report.outcomes[0].kind else {
        panic!("{:?}", report.outcomes[0]);
    };
    assert!(why.contains("cannot be reached"), "{why}");
    assert_eq!(report.outcomes[0].attempts, 2, "a proxy failure is retried");
    assert!(site.hits().is_empty(), "went direct: {:?}", site.hits());
}

#[test]
fn rules_and_no_proxy_send_some_hosts_direct_and_the_rest_through_the_proxy() {
    // The same site on 127.0.0.1 and 127.0.0.2, linked to each other.
    let sites = RawServer::start_hosts(2, |hit, stream| {
        let port = hit.host.rsplit(':').next().unwrap_or("");
        let body = match hit.path.as_str() {
            "/" => format!(
                "<html><a href=\"http://127.0.0.1:{port}/a.html\">a</a>\
                 <a href=\"http://127.0.0.2:{port}/a.html\">b</a></html>"
            ),
            _ => "<html>leaf</html>".to_string(),
        };
        let head = [("content-type", "text/html"), ("connection", "close")];
        respond(stream, "200 OK", &head, body.as_bytes());
        After::Close
    });
    let proxy = proxy(ProxyKind::Http, None);
    let port = sites.addr().port();
    for (b, direct) in [
        (
            config(&sites.url("/"))
                .proxy(proxy.url())
                .no_proxy("localhost, 127.0.0.2"),
            "127.0.0.2",
        ),
        (
            config(&sites.url("/"))
                .proxy(proxy.url())
                .proxy_rule("127.0.0.1", "direct"),
            "127.0.0.1",
        ),
        (
            config(&sites.url("/")).proxy_rule("127.0.0.2/32", proxy.url()),
            "127.0.0.1",
        ),
    ] {
        let before = sites.hits().len();
        let report = crawl(
            b.allow_host(format!("127.0.0.1:{port}"))
                .allow_host(format!("127.0.0.2:{port}")),
        );
        assert_eq!(report.failed, 0, "{report}");
        let hits = &sites.hits()[before..];
        assert_eq!(
            hits.len(),
            5,
            "robots.txt on each host, / and /a.html on each: {hits:?}"
        );
        for h in hits {
            let through = h.peer.ip() == outgoing();
            let went_direct = h.host.starts_with(&format!("{direct}:"));
            assert_eq!(through, !went_direct, "{h:?}");
        }
    }
}

#[test]
fn bad_proxies_are_refused_when_the_crawl_is_built() {
    for (bad, says) in [
        ("ftp://p:1", "unsupported scheme"),
        ("https://user:hunter2@p:1", "not supported"),
        ("http://p:1/path", "no path"),
    ] {
        let e = config("http://127.0.0.1:9/")
            .proxy(bad)
            .build()
            .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains(says) && !text.contains("hunter2"),
            "{bad}: {text}"
        );
        assert_eq!(e.setting(), Some("proxy"));
    }
    let e = config("http://127.0.0.1:9/")
        .proxy_rule("a b", "direct")
        .build()
        .unwrap_err();
    assert_eq!(e.setting(), Some("proxy_rule"), "{e}");
}

#[test]
fn a_session_keeps_to_one_proxy_of_the_pool() {
    // `/` is followed in many sessions, each to `/s/NAME/0`, which links `/s/NAME/1..4`.
    let site = RawServer::start(|hit, stream| {
        let body = match hit
            .path
            .strip_prefix("/s/")
            .and_then(|r| r.strip_suffix("/0"))
        {
            Some(name) => (1..=4)
                .map(|i| format!("<a href=\"/s/{name}/{i}\">p</a>"))
                .collect(),
            None => String::new(),
        };
        let head = [("content-type", "text/html"), ("connection", "close")];
        respond(
            stream,
            "200 OK",
            &head,
            format!("<html>{body}</html>").as_bytes(),
        );
        After::Close
    });
    let proxies = [proxy(ProxyKind::Http, None), proxy(ProxyKind::Http, None)];
    // Sixteen sessions: all on one of the two proxies by chance once in 30,000 runs.
    let names = [
        "ann", "ben", "cat", "dan", "eve", "fay", "gus", "hal", "ivy", "jon", "kim", "lou", "max",
        "ned", "oli", "pam",
    ];
    let spider = trawler::FnSpider::<()>::new().on_page(move |page, out| {
        if page.url().path() == "/" {
            for name in names {
                let url = page.url().join(&format!("/s/{name}/0")).unwrap();
                out.follow_request(trawler::Request::new(url).with_session(name));
            }
        }
    });
    let b = config(&site.url("/"))
        .robots(false)
        .proxy(proxies[0].url())
        .proxy(proxies[1].url());
    let report = Crawler::new(b.build().unwrap(), spider).run().unwrap();
    assert_eq!((report.fetched, report.failed), (81, 0), "{report}");
    let logs = [proxies[0].log(), proxies[1].log()];
    let mut used = [0, 0];
    for name in names {
        let through: Vec<usize> = (0..2)
            .filter(|&p| logs[p].contains(&format!("/s/{name}/")))
            .collect();
        assert_eq!(through.len(), 1, "session {name} went through {through:?}");
        for i in 0..=4 {
            let line = format!("GET {} HTTP/1.1", site.url(&format!("/s/{name}/{i}")));
            assert!(logs[through[0]].contains(&line), "{line}");
        }
        used[through[0]] += 1;
    }
    assert!(
        used[0] > 0 && used[1] > 0,
        "sessions over two proxies: {used:?}"
    );
}

#[test]
fn a_proxy_that_cannot_reach_the_site_or_is_no_proxy_fails_the_url_clearly() {
    use std::io::Write;
    let (ca, tls) = https::pki();
    let (port, log) = https::serve(tls);
    // A "proxy" answering every CONNECT with 502, and one that speaks another protocol.
    let refusing = RawServer::start(|_, stream| {
        respond(stream, "502 Bad Gateway", &[], b"");
        After::Close
    });
    let not_a_proxy = RawServer::start(|_, stream| {
        let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.2\r\n\r\n");
        After::Close
    });
    let seed = format!("https://127.0.0.1:{port}/");
    for (proxy, says) in [
        (
            format!("http://{}", refusing.addr()),
            "connect error: proxy http://127.0.0.1",
        ),
        (
            format!("http://{}", not_a_proxy.addr()),
            "proxy error: proxy http://127.0.0.1",
        ),
    ] {
        let b = config(&seed)
            .add_root_certificate(ca.clone())
            .proxy(&proxy)
            .robots(false);
        let report = crawl(b);
        assert_eq!((report.fetched, report.failed), (0, 1), "{report}");
        let OutcomeKind::Failed(e) = &report.outcomes[0].kind else {
            panic!("{:?}", report.outcomes[0]);
        };
        assert!(e.to_string().starts_with(says), "{proxy}: {e}");
    }
    assert!(log.lock().unwrap().is_empty(), "the site was reached");
}
