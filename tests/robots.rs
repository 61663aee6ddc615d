//! robots.txt (RFC 9309) as the server sees it: what is never requested, what is asked
//! first and once per host, how each kind of answer is read, and how `Crawl-delay`
//! spaces requests. Every check reads the server's own request log.

mod common;

use common::*;
use std::collections::HashSet;
use std::time::{Duration, Instant};
use trawler::{CrawlReport, Crawler, FetchError, OutcomeKind, SkipReason};

fn crawl(config: trawler::CrawlConfigBuilder) -> CrawlReport {
    Crawler::new(config.build().unwrap(), FollowAll)
        .run()
        .unwrap()
}

fn site(i: usize) -> String {
    format!("/site/{i}.html")
}

fn is_robots_skip(report: &CrawlReport, url: &str) -> bool {
    outcome(report, url).kind == OutcomeKind::Skipped(SkipReason::Robots)
}

#[test]
fn disallowed_paths_are_never_requested_and_are_skipped_as_robots() {
    let server = TestServer::start();
    // `/site/5` is a prefix: it also covers /site/50.html ... /site/59.html.
    server.serve(
        ROBOTS,
        Reply::text("User-agent: *\nDisallow: /site/1.html\nDisallow: /site/5\n"),
    );
    let blocked = |i: usize| i == 1 || i.to_string().starts_with('5');
    let report = crawl(config(&server.url(&site(0))));

    let reachable = site_reachable(blocked);
    let requested: HashSet<String> = server.paths().into_iter().collect();
    let expected: HashSet<String> = reachable.iter().map(|&i| site(i)).collect();
    assert_eq!(requested, expected, "exactly the allowed reachable pages");
    assert_eq!(server.paths().len(), reachable.len(), "each once");
    assert!(
        reachable.len() > 200,
        "the test blocks only a part of the site"
    );

    let linked_blocked: HashSet<usize> = (reachable.iter())
        .flat_map(|&i| site_links(i))
        .filter(|&j| blocked(j))
        .collect();
    assert!(linked_blocked.len() >= 5, "{linked_blocked:?}");
    for j in &linked_blocked {
        assert!(is_robots_skip(&report, &server.url(&site(*j))), "page {j}");
    }
    assert_eq!(
        report.skipped_by_reason.get(&SkipReason::Robots),
        Some(&(linked_blocked.len() as u64))
    );
    assert_eq!(report.fetched, reachable.len() as u64);
    let json = serde_json::to_value(outcome(&report, &server.url(&site(1)))).unwrap();
    assert_eq!(
        (json["outcome"].as_str(), json["reason"].as_str()),
        (Some("skipped"), Some("robots"))
    );
    assert_eq!(report.robots_fetches, 1);
    assert_eq!(
        report.requests,
        reachable.len() as u64,
        "robots.txt is not a page request"
    );
    assert_books_balance(&report, &server);
}

/// The star group shuts everything; trawler's own group (matched on the product token of
/// the default user agent) opens `/linkto` and `/depth/1*` inside a disallowed `/depth/`.
const GROUPS: &str = "User-agent: *\nDisallow: /\n\n\
                      User-agent: trawler\nDisallow: /depth/\nAllow: /depth/1\n";

#[test]
fn our_group_applies_and_a_longer_allow_overrides_a_broader_disallow() {
    let server = TestServer::start();
    server.serve(ROBOTS, Reply::text(GROUPS));
    let seed = link_page(
        &server,
        &["/depth/0.html", "/depth/1.html", "/depth/15.html"],
    );
    let report = crawl(config(&seed));

    let mut fetched: Vec<String> = server.paths();
    fetched.sort();
    let mut want = vec![seed.trim_start_matches(&server.url("")).to_string()];
    want.extend(
        [
            "/depth/1.html",
            "/depth/15.html",
            "/depth/16.html",
            "/depth/17.html",
        ]
        .map(String::from),
    );
    want.extend(["/depth/18.html", "/depth/19.html"].map(String::from));
    want.sort();
    assert_eq!(fetched, want);
    for skipped in ["/depth/0.html", "/depth/2.html", "/depth/20.html"] {
        assert!(is_robots_skip(&report, &server.url(skipped)), "{skipped}");
    }
    assert_eq!(report.fetched, 7);
    assert_books_balance(&report, &server);
}

#[test]
fn another_agent_falls_back_to_the_star_group() {
    let server = TestServer::start();
    server.serve(ROBOTS, Reply::text(GROUPS));
    let seed = server.url("/depth/1.html");
    let report = crawl(config(&seed).user_agent("otherbot/2.0"));

    assert_eq!(server.all_paths(), vec![ROBOTS.to_string()]);
    assert!(is_robots_skip(&report, &seed));
    assert_eq!(report.accepted(), 1);
    assert_eq!(report.requests, 0);
    let robots_hit = &server.all_hits()[0];
    assert_eq!(robots_hit.user_agent.as_deref(), Some("otherbot/2.0"));
}

#[test]
fn robots_txt_is_asked_once_per_host_and_before_anything_else() {
    let a = TestServer::start();
    let b = TestServer::start();
    let links: Vec<String> = (0..6).map(|i| b.url(&format!("/fan/{i}.html"))).collect();
    let mut targets: Vec<&str> = links.iter().map(String::as_str).collect();
    targets.extend(["/depth/18.html", "/fan/1.html"]);
    let seed = link_page(&a, &targets);
    let report = crawl(
        config(&seed)
            .allow_host(a.addr().to_string())
            .allow_host(b.addr().to_string()),
    );

    for (name, server) in [("a", &a), ("b", &b)] {
        let all = server.all_paths();
        assert_eq!(all[0], ROBOTS, "{name}: {all:?}");
        assert_eq!(server.hits(ROBOTS), 1, "{name}: {all:?}");
        assert!(all.len() > 2, "{name}: {all:?}");
    }
    // b: /fan/0 links to /fan/1..19, all of them fetched once.
    assert_eq!(b.paths().len(), FAN_PAGES);
    assert_eq!(report.robots_fetches, 2);
    let pages = (a.paths().len() + b.paths().len()) as u64;
    assert_eq!(report.requests, pages);
    assert_eq!(report.fetched, pages);
    assert_books_balance(&report, &a);
    assert_books_balance(&report, &b);
}

#[test]
fn a_missing_or_forbidden_robots_txt_allows_everything() {
    for status in [404, 403, 410] {
        let server = TestServer::start();
        server.serve(ROBOTS, Reply::status(status));
        let report = crawl(config(&server.url("/fan/0.html")));
        assert_eq!(report.fetched, FAN_PAGES as u64, "{status}: {report}");
        assert_eq!(server.paths().len(), FAN_PAGES);
        assert_eq!(server.hits(ROBOTS), 1);
        assert_books_balance(&report, &server);
    }
}

#[test]
fn a_failing_robots_txt_holds_the_host_until_a_retry_gets_it() {
    let server = TestServer::start();
    server.serve(
        ROBOTS,
        Reply::text("User-agent: *\nDisallow: /fan/3.html\n").failing_first(1, 503),
    );
    let report = crawl(config(&server.url("/fan/0.html")));

    let all = server.all_paths();
    assert_eq!(
        &all[..2],
        [ROBOTS, ROBOTS],
        "held: nothing else before the retry"
    );
    assert_eq!(server.hits(ROBOTS), 2);
    let times = server.times(ROBOTS);
    // fast_retry: the first backoff is between half and all of TEST_BASE_DELAY.
    assert!(times[1] - times[0] + TIMING_TOLERANCE >= TEST_BASE_DELAY / 2);
    assert_eq!(server.hits("/fan/3.html"), 0);
    assert!(is_robots_skip(&report, &server.url("/fan/3.html")));
    assert_eq!(report.fetched, FAN_PAGES as u64 - 1);
    assert_eq!(report.robots_fetches, 2);
    assert_eq!(report.retries, 0, "robots retries are not page retries");
    assert_books_balance(&report, &server);
}

#[test]
fn a_robots_txt_that_keeps_failing_fails_the_hosts_urls_and_the_crawl_ends() {
    let server = TestServer::start();
    server.serve(ROBOTS, Reply::status(500));
    let seed = server.url("/fan/0.html");
    let started = Instant::now();
    let report = crawl(config(&seed).retries(2));

    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        server.all_paths(),
        vec![ROBOTS; 3],
        "1 attempt + 2 retries, no page"
    );
    let o = outcome(&report, &seed);
    assert_eq!(
        o.kind,
        OutcomeKind::Failed(FetchError::RobotsUnavailable {
            cause: "HTTP status 500".into(),
            attempts: 3
        })
    );
    assert_eq!(o.attempts, 0);
    assert!(o.is_broken());
    assert_eq!((report.failed, report.accepted()), (1, 1));
    assert_eq!((report.requests, report.robots_fetches), (0, 3));
    assert_books_balance(&report, &server);
}

#[test]
fn retry_after_on_a_429_robots_txt_is_honoured() {
    let server = TestServer::start();
    server.serve(ROBOTS, Reply::status(429).header("retry-after", "1"));
    let report = crawl(config(&server.url("/fan/0.html")).retries(1));

    let times = server.times(ROBOTS);
    assert_eq!(times.len(), 2);
    let gap = times[1] - times[0];
    assert!(gap + TIMING_TOLERANCE >= Duration::from_secs(1), "{gap:?}");
    assert_eq!(server.all_paths(), vec![ROBOTS; 2], "no page requested");
    assert_eq!(report.failed, 1);
    assert_books_balance(&report, &server);
}

#[test]
fn an_unreachable_host_is_retried_then_its_urls_fail() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/a.html");
    let started = Instant::now();
    let report = crawl(config(&url).retries(1));

    assert!(started.elapsed() < Duration::from_secs(10));
    // No attempt at the page itself; its record says robots.txt was tried, how often,
    // and what it met.
    let o = outcome(&report, &url);
    match &o.kind {
        OutcomeKind::Failed(e @ FetchError::RobotsUnavailable { cause, attempts: 2 }) => {
            assert!(cause.starts_with("connect error"), "{cause}");
            let text = e.to_string();
            assert!(
                text.contains("robots.txt") && text.contains("2 attempts"),
                "{text}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(o.attempts, 0);
    assert_eq!((report.robots_fetches, report.requests), (2, 0));
    // Nothing listens there: no server log to hold the report against.
    assert_outcomes_unique(&report);
}

#[test]
fn robots_redirects_are_followed_even_to_another_host() {
    let server = TestServer::start();
    let other = TestServer::start();
    other.serve(
        "/shared-robots.txt",
        Reply::text("User-agent: *\nDisallow: /fan/2.html\n"),
    );
    server.serve(ROBOTS, Reply::redirect(301, "/moved-robots.txt"));
    server.serve(
        "/moved-robots.txt",
        Reply::redirect(302, &other.url("/shared-robots.txt")),
    );
    let report = crawl(config(&server.url("/fan/0.html")));

    assert_eq!(&server.all_paths()[..2], [ROBOTS, "/moved-robots.txt"]);
    assert_eq!(other.all_paths(), vec!["/shared-robots.txt"]);
    assert_eq!(server.hits("/fan/2.html"), 0);
    assert!(is_robots_skip(&report, &server.url("/fan/2.html")));
    assert_eq!(report.fetched, FAN_PAGES as u64 - 1);
    assert_eq!(report.robots_fetches, 3);
    assert_books_balance_except(&report, &server, &["/moved-robots.txt"]);
    assert_books_balance_except(&report, &other, &["/shared-robots.txt"]);
}

#[test]
fn more_than_five_robots_redirects_allow_everything() {
    let server = TestServer::start();
    server.serve(ROBOTS, Reply::redirect(302, "/r1"));
    for i in 1..=6 {
        server.serve(
            &format!("/r{i}"),
            Reply::redirect(302, &format!("/r{}", i + 1)),
        );
    }
    // Reached only by a sixth hop, which is not taken.
    server.serve("/r7", Reply::text("User-agent: *\nDisallow: /\n"));
    let report = crawl(config(&server.url("/fan/0.html")));

    let robots_chain: Vec<String> = server.all_paths().into_iter().take(6).collect();
    assert_eq!(robots_chain, [ROBOTS, "/r1", "/r2", "/r3", "/r4", "/r5"]);
    assert_eq!(server.hits("/r6"), 0);
    assert_eq!(report.fetched, FAN_PAGES as u64);
    assert_eq!(report.robots_fetches, 6);
    assert_books_balance_except(&report, &server, &["/r1", "/r2", "/r3", "/r4", "/r5"]);
}

#[test]
fn robots_off_asks_for_no_robots_txt() {
    let server = TestServer::start();
    server.serve(ROBOTS, Reply::text("User-agent: *\nDisallow: /\n"));
    let report = crawl(config(&server.url("/fan/0.html")).robots(false));

    assert_eq!(server.hits(ROBOTS), 0);
    assert_eq!(server.all_paths().len(), FAN_PAGES);
    assert_eq!(
        (report.fetched, report.robots_fetches),
        (FAN_PAGES as u64, 0)
    );
    assert_books_balance(&report, &server);
}

/// Gaps between consecutive requests to `server`, robots.txt included.
fn gaps(server: &TestServer) -> Vec<Duration> {
    let times: Vec<Instant> = server.all_hits().iter().map(|h| h.at).collect();
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

/// Every gap is at least `min`, less a quarter of it: the server sees arrivals, which a
/// busy machine delays by up to tens of milliseconds after the crawler's send; with no
/// delay at all these gaps are well under a millisecond.
fn assert_spaced(server: &TestServer, min: Duration) {
    let gaps = gaps(server);
    let tolerance = TIMING_TOLERANCE.max(min / 4);
    for (i, gap) in gaps.iter().enumerate() {
        assert!(
            *gap + tolerance >= min,
            "requests {i} and {} came {gap:?} apart (minimum {min:?}): {:?}",
            i + 1,
            server.all_paths()
        );
    }
}

/// Pages fetched in the timing tests: robots.txt plus this many requests.
const TIMED_PAGES: u64 = 6;

#[test]
fn crawl_delay_spaces_every_request_to_the_host() {
    let server = TestServer::start();
    server.serve(ROBOTS, Reply::text("User-agent: *\nCrawl-delay: 0.2\n"));
    let report = crawl(config(&server.url("/fan/0.html")).max_pages(TIMED_PAGES));

    assert_eq!(report.fetched, TIMED_PAGES);
    assert_eq!(server.all_paths().len() as u64, TIMED_PAGES + 1);
    assert_spaced(&server, Duration::from_millis(200));
    assert!(report.elapsed >= Duration::from_millis(200) * TIMED_PAGES as u32 - TIMING_TOLERANCE);
}

#[test]
fn the_stricter_of_crawl_delay_and_the_user_rate_wins() {
    // The user's 5 requests/s (200 ms) is stricter than a 50 ms delay.
    let server = TestServer::start();
    server.serve(ROBOTS, Reply::text("User-agent: *\nCrawl-delay: 0.05\n"));
    let cfg = config(&server.url("/fan/0.html")).per_host_rate(5.0);
    let report = crawl(cfg.max_pages(TIMED_PAGES));
    assert_eq!(report.fetched, TIMED_PAGES);
    assert_spaced(&server, Duration::from_millis(200));

    // A 250 ms delay is stricter than the user's 20 requests/s (50 ms).
    let server = TestServer::start();
    server.serve(ROBOTS, Reply::text("User-agent: *\nCrawl-delay: 0.25\n"));
    let cfg = config(&server.url("/fan/0.html")).per_host_rate(20.0);
    let report = crawl(cfg.max_pages(TIMED_PAGES));
    assert_eq!(report.fetched, TIMED_PAGES);
    assert_spaced(&server, Duration::from_millis(250));
}

#[test]
fn a_huge_crawl_delay_is_capped() {
    let server = TestServer::start();
    server.serve(ROBOTS, Reply::text("User-agent: *\nCrawl-delay: 3600\n"));
    let cap = Duration::from_millis(150);
    let started = Instant::now();
    let report = crawl(
        config(&server.url("/fan/0.html"))
            .crawl_delay_cap(cap)
            .max_pages(TIMED_PAGES),
    );

    assert_eq!(report.fetched, TIMED_PAGES);
    assert_spaced(&server, cap);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn without_crawl_delay_the_same_crawl_is_not_spaced() {
    // The control for the timing tests: their spacing comes from Crawl-delay.
    let server = TestServer::start();
    server.serve(ROBOTS, Reply::text("User-agent: *\nDisallow:\n"));
    let report = crawl(config(&server.url("/fan/0.html")).max_pages(TIMED_PAGES));
    assert_eq!(report.fetched, TIMED_PAGES);
    let gaps = gaps(&server);
    assert!(
        gaps.iter().any(|g| *g < Duration::from_millis(50)),
        "{gaps:?}"
    );
}

#[test]
fn a_stop_while_robots_txt_is_pending_ends_every_url() {
    let server = TestServer::start();
    server.serve(ROBOTS, Reply::status(503));
    let config = config(&server.url("/fan/0.html"))
        .retry_policy(trawler::RetryPolicy {
            max_retries: 50,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_millis(200),
            ..trawler::RetryPolicy::default()
        })
        .build()
        .unwrap();
    let crawler = Crawler::new(config, FollowAll);
    let stop = crawler.stop_handle();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        stop.stop();
    });
    let started = Instant::now();
    let report = crawler.run().unwrap();
    stopper.join().unwrap();

    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        server.all_paths().iter().filter(|p| *p != ROBOTS).count(),
        0
    );
    assert_eq!(
        outcome(&report, &server.url("/fan/0.html")).kind,
        OutcomeKind::Skipped(SkipReason::Stopped)
    );
    assert_books_balance(&report, &server);
}

#[test]
fn an_escaped_path_is_judged_as_the_path_it_encodes() {
    let server = TestServer::start();
    server.serve(
        ROBOTS,
        Reply::text("User-agent: *\nDisallow: /site/1\nDisallow: /site/%32.html\n"),
    );
    // `%73` is `s`, `%31` is `1`: the same paths as `/site/1.html` and `/site/2.html`.
    let seed = link_page(
        &server,
        &[
            "/%73ite/%31.html",
            "/site/%32.html",
            "/site/2.html",
            "/site/3.html",
        ],
    );
    let report = crawl(config(&seed).max_depth(1));
    assert_eq!(
        server.hits("/site/1.html") + server.hits("/%73ite/%31.html"),
        0
    );
    assert_eq!(
        server.hits("/site/2.html") + server.hits("/site/%32.html"),
        0
    );
    assert_eq!(server.hits("/site/3.html"), 1);
    assert!(is_robots_skip(&report, &server.url("/site/1.html")));
    assert!(is_robots_skip(&report, &server.url("/site/2.html")));
}
