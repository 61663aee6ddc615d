//! Links a crawler must find and pages it must leave alone: links inside `<noscript>`,
//! robots `<meta>` tags and `X-Robots-Tag` (`nofollow` obeyed, `noindex` reported, each
//! switchable), and `rel="nofollow"` links, checked against the server's request log.

mod common;

use common::{FollowAll, Reply, TestServer, config, outcome};
use trawler::prelude::*;

fn html(body: &str) -> Reply {
    Reply::ok("text/html; charset=utf-8", body)
}

/// A leaf page at each path.
fn leaves(server: &TestServer, paths: &[&str]) {
    for p in paths {
        server.serve(p, html("<title>leaf</title>"));
    }
}

fn crawl(b: CrawlConfigBuilder) -> CrawlReport {
    Crawler::new(b.build().unwrap(), FollowAll).run().unwrap()
}

#[test]
fn links_inside_noscript_are_followed() {
    let server = TestServer::start();
    server.serve(
        "/ns.html",
        html(
            r#"<script>document.write('<a href="/js.html">')</script>
            <noscript><a href="/noscript.html">plain version</a></noscript>"#,
        ),
    );
    leaves(&server, &["/noscript.html", "/js.html"]);
    let seed = server.url("/ns.html");
    crawl(config(&seed));
    assert_eq!(server.hits("/noscript.html"), 1);
    assert_eq!(server.hits("/js.html"), 0, "script text is not markup");
}

#[test]
fn a_nofollow_page_leads_nowhere_and_its_record_says_why() {
    let server = TestServer::start();
    server.serve(
        "/closed.html",
        html(r#"<meta name="robots" content="noindex, nofollow"><a href="/behind.html">x</a>"#),
    );
    leaves(&server, &["/behind.html"]);
    let seed = server.url("/closed.html");
    let report = crawl(config(&seed));
    assert_eq!(server.hits("/behind.html"), 0);
    let page = outcome(&report, &seed);
    assert!(page.nofollow && page.noindex, "{page:?}");
    let json = serde_json::to_value(page).unwrap();
    assert_eq!(
        (json["nofollow"].clone(), json["noindex"].clone()),
        (true.into(), true.into())
    );
    assert_eq!(report.accepted(), 1, "its links are not even recorded");

    // Turned off: followed, and the record no longer says nofollow; noindex still reported.
    let server = TestServer::start();
    server.serve(
        "/closed.html",
        html(r#"<meta name="robots" content="noindex, nofollow"><a href="/behind.html">x</a>"#),
    );
    leaves(&server, &["/behind.html"]);
    let seed = server.url("/closed.html");
    let report = crawl(config(&seed).obey_nofollow(false));
    assert_eq!(server.hits("/behind.html"), 1);
    let page = outcome(&report, &seed);
    assert!(!page.nofollow && page.noindex, "{page:?}");
    let report = crawl(config(&seed).report_noindex(false).obey_nofollow(false));
    assert!(!outcome(&report, &seed).noindex);
}

/// Follows `/explicit.html` by hand from every page.
struct Explicit;

impl Spider for Explicit {
    type Item = ();

    fn parse(&self, page: &Page<'_>, out: &mut Output<()>) -> Result<(), BoxError> {
        let said = page.robots();
        assert!(said.nofollow, "the page tells the spider too");
        out.follow("/explicit.html");
        Ok(())
    }
}

#[test]
fn agent_named_tags_and_x_robots_tag_count_and_explicit_follows_are_dropped() {
    let server = TestServer::start();
    let page = |meta: &str| html(&format!(r#"{meta}<a href="/next.html">next</a>"#));
    server.serve(
        "/ours.html",
        page(r#"<meta name="trawler" content="nofollow">"#),
    );
    server.serve(
        "/custom.html",
        page(r#"<meta name="mybot" content="none">"#),
    );
    server.serve(
        "/theirs.html",
        page(r#"<meta name="googlebot" content="nofollow">"#),
    );
    server.serve("/header.html", page("").header("x-robots-tag", "nofollow"));
    server.serve(
        "/named.html",
        page("").header("X-Robots-Tag", "otherbot: noindex, trawler: nofollow"),
    );
    leaves(&server, &["/next.html", "/explicit.html"]);
    for (path, ua, followed) in [
        ("/ours.html", None, false),
        (
            "/custom.html",
            Some("MyBot/2.0 (+https://a.test/bot)"),
            false,
        ),
        ("/custom.html", None, true),
        ("/theirs.html", None, true),
        ("/header.html", None, false),
        ("/named.html", None, false),
    ] {
        let before = server.hits("/next.html");
        let seed = server.url(path);
        let mut b = config(&seed).max_depth(1);
        if let Some(ua) = ua {
            b = b.user_agent(ua);
        }
        let report = crawl(b);
        let fetched_next = server.hits("/next.html") > before;
        assert_eq!(fetched_next, followed, "{path} {ua:?}");
        assert_eq!(outcome(&report, &seed).nofollow, !followed, "{path} {ua:?}");
    }
    // A spider's own follows from a nofollow page are dropped as well.
    let seed = server.url("/header.html");
    let report = Crawler::new(config(&seed).build().unwrap(), Explicit)
        .run()
        .unwrap();
    assert_eq!(server.hits("/explicit.html"), 0);
    assert_eq!(report.plugin_panics + report.parse_errors, 0, "{report}");
}

#[test]
fn rel_nofollow_links_are_followed_unless_asked_not_to() {
    // `/ugc2.html` is marked nofollow on one page and linked plainly on another.
    let site = || {
        let server = TestServer::start();
        server.serve(
            "/links.html",
            html(r#"<a rel="nofollow" href="/ugc.html">u</a><a href="/other.html">o</a>"#),
        );
        server.serve(
            "/other.html",
            html(r#"<a rel="nofollow" href="/ugc2.html">u</a><a href="/ugc2.html">plain</a>"#),
        );
        leaves(&server, &["/ugc.html", "/ugc2.html"]);
        server
    };
    let server = site();
    let seed = server.url("/links.html");
    crawl(config(&seed));
    assert_eq!(server.hits("/ugc.html"), 1, "followed by default");

    let server = site();
    let seed = server.url("/links.html");
    let report = crawl(config(&seed).follow_rel_nofollow(false));
    assert_eq!(server.hits("/ugc.html"), 0);
    assert!(
        !common::has_outcome(&report, &server.url("/ugc.html")),
        "not recorded"
    );
    assert_eq!(server.hits("/other.html"), 1);
    assert_eq!(server.hits("/ugc2.html"), 1, "linked plainly too");
}
