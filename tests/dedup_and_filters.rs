//! Deduplication and scope: canonical URLs, allowed hosts, include/exclude patterns and
//! the URL length limit, checked against the server's request log.

mod common;

use common::*;
use std::collections::HashSet;
use std::time::{Duration, Instant};
use trawler::{Crawler, OutcomeKind, SkipReason, StopReason};

#[test]
fn include_and_exclude_filters() {
    let server = TestServer::start();
    // The seed page links to the site and to the depth chain; only /site/ and /linkto are
    // included, and site pages whose number ends in 7 are excluded.
    let seed = server.url(&format!(
        "/linkto?u={}&u={}",
        server.url("/site/0.html"),
        server.url("/depth/0.html")
    ));
    let config = config(&seed)
        .include("/site/")
        .include("/linkto")
        .exclude(r"/site/\d*7\.html$")
        .build()
        .unwrap();
    let report = Crawler::new(config, FollowAll).run().unwrap();

    let excluded = |i: usize| i % 10 == 7;
    let expected = site_reachable(excluded);
    assert!(expected.len() > 100 && expected.len() < SITE_PAGES);
    let fetched: HashSet<usize> = server
        .paths_under("/site/")
        .iter()
        .map(|p| {
            p.trim_start_matches("/site/")
                .trim_end_matches(".html")
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(fetched, expected, "pages fetched vs reachable without *7");
    assert_eq!(server.paths_under("/site/").len(), expected.len());
    assert!(fetched.iter().all(|i| !excluded(*i)));
    assert_eq!(server.hits("/depth/0.html"), 0, "not included");

    let depth = outcome(&report, &server.url("/depth/0.html"));
    assert_eq!(depth.kind, OutcomeKind::Skipped(SkipReason::Filtered));
    // Every excluded page linked from a fetched page is a Filtered skip.
    let linked_excluded: HashSet<usize> = expected
        .iter()
        .flat_map(|i| site_links(*i))
        .filter(|j| excluded(*j))
        .collect();
    for j in &linked_excluded {
        let o = outcome(&report, &site_url(&server, *j));
        assert_eq!(o.kind, OutcomeKind::Skipped(SkipReason::Filtered), "{j}");
    }
    assert_eq!(
        report.skipped_by_reason.get(&SkipReason::Filtered).copied(),
        Some(linked_excluded.len() as u64 + 1),
        "{report}"
    );
    assert_eq!(report.fetched, expected.len() as u64 + 1, "site + seed");
    assert_books_balance(&report, &server);
}

#[test]
fn links_to_another_origin_are_skipped_and_that_server_never_hears_of_them() {
    let server = TestServer::start();
    // A second loopback server: another port is another origin, so it is off-host by
    // default, and its own log proves that nothing was sent to it.
    let canary = TestServer::start();
    let other = canary.url("/depth/20.html");
    let seed = link_page(&server, &[&other, "/depth/20.html"]);
    let report = Crawler::new(config(&seed).build().unwrap(), FollowAll)
        .run()
        .unwrap();

    assert_eq!(
        outcome(&report, &other).kind,
        OutcomeKind::Skipped(SkipReason::OffHost)
    );
    assert!(canary.all_paths().is_empty(), "{:?}", canary.all_paths());
    assert_eq!(server.hits("/depth/20.html"), 1);
    assert_eq!(report.fetched, 2);
    assert_books_balance(&report, &server);
}

#[test]
fn allow_host_with_a_port_admits_exactly_that_origin() {
    let server = TestServer::start();
    let canary = TestServer::start();
    let other = canary.url("/depth/19.html");
    let seed = link_page(&server, &[&other, OFFSITE_LINK]);
    let config = config(&seed)
        .allow_host(server.addr().to_string())
        .allow_host(canary.addr().to_string())
        .build()
        .unwrap();
    let report = Crawler::new(config, FollowAll).run().unwrap();

    assert!(outcome(&report, &other).is_fetched());
    assert_eq!(canary.paths(), vec!["/depth/19.html", "/depth/20.html"]);
    assert_eq!(
        outcome(&report, OFFSITE_LINK).kind,
        OutcomeKind::Skipped(SkipReason::OffHost)
    );
    assert_eq!(report.fetched, 3);
    assert_books_balance(&report, &server);
}

/// Seven spellings of `/depth/20.html` (two of them with swapped query parameters).
fn spellings(server: &TestServer) -> Vec<String> {
    let leaf = "/depth/20.html";
    vec![
        leaf.to_string(),
        format!("{leaf}#top"),
        format!("{leaf}?"),
        server.url(leaf),
        server.url(leaf).replace("http://", "HTTP://"),
        format!("{leaf}?b=1&a=2"),
        format!("{leaf}?a=2&b=1#x"),
    ]
}

#[test]
fn canonical_duplicates_are_fetched_once() {
    let server = TestServer::start();
    let forms = spellings(&server);
    let refs: Vec<&str> = forms.iter().map(String::as_str).collect();
    let seed = link_page(&server, &refs);
    let report = Crawler::new(config(&seed).sort_query(true).build().unwrap(), FollowAll)
        .run()
        .unwrap();

    assert_eq!(server.hits("/depth/20.html"), 1);
    assert_eq!(server.hits("/depth/20.html?a=2&b=1"), 1, "sorted query");
    assert_eq!(server.hits("/depth/20.html?b=1&a=2"), 0);
    assert_eq!(server.paths().len(), 3, "{:?}", server.paths());
    assert_eq!(report.accepted(), 3);
    assert_eq!(report.duplicates, 5, "{report}");
    assert_books_balance(&report, &server);
}

#[test]
fn without_sort_query_parameter_order_makes_a_different_url() {
    let server = TestServer::start();
    let forms = spellings(&server);
    let refs: Vec<&str> = forms.iter().map(String::as_str).collect();
    let seed = link_page(&server, &refs);
    let report = Crawler::new(config(&seed).build().unwrap(), FollowAll)
        .run()
        .unwrap();

    assert_eq!(server.hits("/depth/20.html"), 1);
    assert_eq!(server.hits("/depth/20.html?b=1&a=2"), 1);
    assert_eq!(server.hits("/depth/20.html?a=2&b=1"), 1);
    assert_eq!(server.paths().len(), 4, "{:?}", server.paths());
    assert_eq!(report.accepted(), 4);
    assert_eq!(report.duplicates, 4, "{report}");
    assert_books_balance(&report, &server);
}

#[test]
fn a_too_long_url_is_skipped() {
    let server = TestServer::start();
    let seed = server.url("/long.html");
    let long = server.url(LONG_LINK);
    let limit = seed.len() + 10;
    assert!(long.len() > limit);
    let report = Crawler::new(config(&seed).max_url_len(limit).build().unwrap(), FollowAll)
        .run()
        .unwrap();

    let o = outcome(&report, &long);
    assert_eq!(o.kind, OutcomeKind::Skipped(SkipReason::UrlTooLong));
    assert_eq!(server.hits(LONG_LINK), 0);
    assert_eq!(
        server.hits("/depth/20.html"),
        1,
        "the short link is followed"
    );
    assert_eq!(server.paths().len(), 2);
    assert_books_balance(&report, &server);
}

#[test]
fn a_crawl_whose_only_seed_is_skipped_ends_at_once() {
    let server = TestServer::start();
    let config = config(&server.url("/depth/0.html"))
        .max_url_len(10)
        .build()
        .unwrap();
    let started = Instant::now();
    let report = Crawler::new(config, FollowAll).run().unwrap();

    assert!(started.elapsed() < Duration::from_secs(2));
    let o = outcome(&report, &server.url("/depth/0.html"));
    assert_eq!(o.kind, OutcomeKind::Skipped(SkipReason::UrlTooLong));
    assert_eq!(o.depth, 0);
    assert!(server.all_paths().is_empty());
    assert_eq!(report.accepted(), 1);
    assert_eq!(report.requests, 0);
    assert_eq!(report.stop_reason, StopReason::Completed);
}

#[test]
fn a_seed_is_fetched_whatever_the_include_and_exclude_patterns() {
    let server = TestServer::start();
    // The seed matches the exclude pattern and not the include one.
    let seed = server.url("/depth/0.html");
    let report = Crawler::new(
        config(&seed)
            .include("/site/")
            .exclude("/depth/")
            .build()
            .unwrap(),
        FollowAll,
    )
    .run()
    .unwrap();
    assert_eq!(server.hits("/depth/0.html"), 1, "the seed is fetched");
    assert!(outcome(&report, &seed).is_fetched());
    // Its link is judged by the patterns.
    assert_eq!(server.hits("/depth/1.html"), 0);
    assert_eq!(
        outcome(&report, &server.url("/depth/1.html")).kind,
        OutcomeKind::Skipped(SkipReason::Filtered)
    );
}
