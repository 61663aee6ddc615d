//! Redirects: each hop is a fetched outcome pointing at its target, and the target enters
//! the crawl as a new URL (through the seen-set and the scope) at the same depth.

mod common;

use common::*;
use trawler::{CrawlReport, Crawler, FetchError, OutcomeKind, SkipReason, StopReason};

fn crawl(seed: &str, max_redirects: Option<u8>) -> CrawlReport {
    let mut builder = config(seed);
    if let Some(m) = max_redirects {
        builder = builder.max_redirects(m);
    }
    Crawler::new(builder.build().unwrap(), FollowAll)
        .run()
        .unwrap()
}

fn chain(n: u32) -> String {
    format!("/redirect/chain/{n}")
}

#[test]
fn a_chain_of_five_is_followed_hop_by_hop() {
    let server = TestServer::start();
    let report = crawl(&server.url(&chain(5)), None);

    for n in (1..=5).rev() {
        let o = outcome(&report, &server.url(&chain(n)));
        assert_eq!(o.kind, OutcomeKind::Fetched, "hop {n}");
        assert_eq!(o.status, Some(302), "hop {n}");
        assert_eq!(
            o.redirected_to.as_ref().map(|u| u.as_str()),
            Some(server.url(&chain(n - 1)).as_str()),
            "hop {n}"
        );
        assert_eq!(o.depth, 0, "a redirect target keeps the depth");
        assert_eq!(o.attempts, 1);
        if n < 5 {
            assert_eq!(
                o.referrer.as_deref().map(|u| u.path().to_string()),
                Some(chain(n + 1)),
                "the referrer of a target is the redirecting URL"
            );
        }
        assert_eq!(server.hits(&chain(n)), 1, "hop {n}");
    }
    let end = outcome(&report, &server.url(&chain(0)));
    assert_eq!(end.kind, OutcomeKind::Fetched);
    assert_eq!(end.status, Some(200));
    assert!(end.redirected_to.is_none());
    assert_eq!(end.depth, 0);
    assert_eq!(server.hits(&chain(0)), 1);
    assert_eq!(server.paths().len(), 6);
    assert_eq!(report.fetched, 6);
    assert_eq!(report.requests, 6);
    assert_eq!(report.statuses.get(&302), Some(&5));
    assert_eq!(report.stop_reason, StopReason::Completed);
    assert_books_balance(&report, &server);
    assert_reached(&report, &server, on_host0((0..=5).map(chain)));
}

#[test]
fn a_chain_longer_than_max_redirects_is_cut() {
    let server = TestServer::start();
    let report = crawl(&server.url(&chain(5)), Some(3));

    // Three hops are followed (5→4→3→2); the fourth target is over the limit.
    for n in [5, 4, 3, 2] {
        let o = outcome(&report, &server.url(&chain(n)));
        assert_eq!(o.kind, OutcomeKind::Fetched, "hop {n}");
        assert_eq!(o.status, Some(302));
        assert_eq!(server.hits(&chain(n)), 1, "hop {n}");
    }
    let cut = outcome(&report, &server.url(&chain(1)));
    assert_eq!(cut.kind, OutcomeKind::Skipped(SkipReason::RedirectLimit));
    assert_eq!(cut.attempts, 0);
    assert_eq!(server.hits(&chain(1)), 0);
    assert_eq!(server.hits(&chain(0)), 0);
    assert!(!has_outcome(&report, &server.url(&chain(0))));
    assert_eq!(report.fetched, 4);
    assert_eq!(
        report.skipped_by_reason.get(&SkipReason::RedirectLimit),
        Some(&1)
    );
    assert_books_balance(&report, &server);
}

#[test]
fn a_redirect_loop_terminates_with_each_url_once() {
    let server = TestServer::start();
    let (a, b) = (
        server.url("/redirect/loop/a"),
        server.url("/redirect/loop/b"),
    );
    let report = crawl(&a, None);

    let oa = outcome(&report, &a);
    assert_eq!(oa.kind, OutcomeKind::Fetched);
    assert_eq!(oa.redirected_to.as_ref().map(|u| u.as_str()), Some(&*b));
    let ob = outcome(&report, &b);
    assert_eq!(ob.kind, OutcomeKind::Fetched);
    assert_eq!(ob.redirected_to.as_ref().map(|u| u.as_str()), Some(&*a));
    assert_eq!(server.hits("/redirect/loop/a"), 1);
    assert_eq!(server.hits("/redirect/loop/b"), 1);
    assert_eq!(report.accepted(), 2);
    assert!(report.duplicates >= 1, "b → a is a duplicate: {report}");
    assert_books_balance(&report, &server);
}

#[test]
fn an_off_host_redirect_target_is_skipped_and_never_requested() {
    let server = TestServer::start();
    let report = crawl(&server.url("/redirect/off"), None);

    let from = outcome(&report, &server.url("/redirect/off"));
    assert_eq!(from.kind, OutcomeKind::Fetched);
    assert_eq!(from.status, Some(301));
    assert_eq!(
        from.redirected_to.as_ref().map(|u| u.as_str()),
        Some(OFFSITE_REDIRECT)
    );
    let target = outcome(&report, OFFSITE_REDIRECT);
    assert_eq!(target.kind, OutcomeKind::Skipped(SkipReason::OffHost));
    assert_eq!(target.attempts, 0);
    assert_eq!(
        target.referrer.as_deref().map(|u| u.as_str()),
        Some(&*server.url("/redirect/off"))
    );
    // One request in all: the redirect itself (a request to 127.0.0.254:9 would have been
    // a second one, and a connect failure).
    assert_eq!(report.requests, 1);
    assert_eq!(report.failed, 0);
    assert_eq!(server.paths(), vec!["/redirect/off".to_string()]);
    assert_books_balance(&report, &server);
}

#[test]
fn a_relative_location_resolves_against_the_redirecting_url() {
    let server = TestServer::start();
    let report = crawl(&server.url("/redirect/rel"), None);

    let from = outcome(&report, &server.url("/redirect/rel"));
    assert_eq!(from.status, Some(301));
    let target = server.url("/redirect/target.html");
    assert_eq!(
        from.redirected_to.as_ref().map(|u| u.as_str()),
        Some(&*target)
    );
    let to = outcome(&report, &target);
    assert_eq!(to.kind, OutcomeKind::Fetched);
    assert_eq!(to.status, Some(200));
    assert_eq!(server.hits("/redirect/target.html"), 1);
    assert_eq!(server.paths().len(), 2);
    assert_books_balance(&report, &server);
}

#[test]
fn a_redirect_without_location_fails_as_bad_redirect() {
    let server = TestServer::start();
    let report = crawl(&server.url("/redirect/nolocation"), None);

    let o = outcome(&report, &server.url("/redirect/nolocation"));
    assert!(
        matches!(o.kind, OutcomeKind::Failed(FetchError::BadRedirect(_))),
        "{:?}",
        o.kind
    );
    assert_eq!(o.status, Some(302));
    assert_eq!(o.attempts, 1, "a bad redirect is not retried");
    assert!(o.redirected_to.is_none());
    assert_eq!(server.hits("/redirect/nolocation"), 1);
    assert_eq!(report.failed, 1);
    assert_eq!(report.accepted(), 1);
    assert_books_balance(&report, &server);
}
