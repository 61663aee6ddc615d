//! Retries, timeouts and the body cap, against misbehaving endpoints.
//!
//! Every crawl here uses a retry policy with a 50 ms base delay ([`TEST_BASE_DELAY`]), so
//! backoffs cost milliseconds, except where the server itself asks for longer.

mod common;

use common::*;
use std::time::{Duration, Instant};
use trawler::{CrawlConfigBuilder, CrawlReport, Crawler, FetchError, OutcomeKind};

fn crawl(builder: CrawlConfigBuilder) -> CrawlReport {
    Crawler::new(builder.build().unwrap(), FollowAll)
        .run()
        .unwrap()
}

#[test]
fn a_503_then_200_is_recovered_by_one_retry() {
    let server = TestServer::start();
    let report = crawl(config(&server.url("/flaky/one")));

    let o = outcome(&report, &server.url("/flaky/one"));
    assert_eq!(o.kind, OutcomeKind::Fetched);
    assert_eq!(o.status, Some(200), "the status of the last answer");
    assert_eq!(o.attempts, 2);
    assert_eq!(server.hits("/flaky/one"), 2);
    assert_eq!(report.retries, 1);
    assert_eq!(report.requests, 2);
    assert_eq!(report.statuses.get(&200), Some(&1));
    assert_eq!(report.statuses.get(&503), None, "only final answers count");
    // The retry waited the backoff: at least half the base delay (equal jitter).
    let t = server.times("/flaky/one");
    assert!(
        t[1] - t[0] + TIMING_TOLERANCE >= TEST_BASE_DELAY / 2,
        "{:?}",
        t[1] - t[0]
    );
    assert_books_balance(&report, &server);
}

#[test]
fn a_429_with_retry_after_is_waited_for() {
    let server = TestServer::start();
    let report = crawl(config(&server.url("/throttle/one")));

    let o = outcome(&report, &server.url("/throttle/one"));
    assert_eq!(o.kind, OutcomeKind::Fetched);
    assert_eq!(o.status, Some(200));
    assert_eq!(o.attempts, 2);
    let t = server.times("/throttle/one");
    assert_eq!(t.len(), 2);
    // `Retry-After: 1` beats the 50 ms backoff: the second request comes a second later.
    let gap = t[1] - t[0];
    assert!(
        gap + TIMING_TOLERANCE >= Duration::from_secs(1),
        "second request after {gap:?}"
    );
    assert!(gap < Duration::from_secs(3), "not much longer: {gap:?}");
    assert_books_balance(&report, &server);
}

#[test]
fn a_permanent_500_is_retried_a_bounded_number_of_times() {
    let server = TestServer::start();
    let report = crawl(config(&server.url("/always500")).retry_policy(fast_retry(2)));

    let o = outcome(&report, &server.url("/always500"));
    assert_eq!(o.kind, OutcomeKind::Failed(FetchError::Status(500)));
    assert_eq!(o.status, Some(500));
    assert_eq!(o.attempts, 3);
    assert!(o.is_broken());
    assert_eq!(server.hits("/always500"), 3, "1 attempt + 2 retries");
    assert_eq!(server.hits("/from-500.html"), 0, "a 500 page is not parsed");
    assert_eq!(server.paths().len(), 3);
    assert_eq!(report.failed, 1);
    assert_eq!(report.retries, 2);
    assert_eq!(report.statuses.get(&500), Some(&1));
    // Backoffs of at least 25 ms then 50 ms (half of 50 and 100 ms).
    let t = server.times("/always500");
    assert!(t[1] - t[0] + TIMING_TOLERANCE >= TEST_BASE_DELAY / 2);
    assert!(t[2] - t[1] + TIMING_TOLERANCE >= TEST_BASE_DELAY);
    assert_books_balance(&report, &server);
}

#[test]
fn a_stalled_answer_times_out() {
    let server = TestServer::start();
    let timeout = Duration::from_secs(1);
    let started = Instant::now();
    let report = crawl(
        config(&server.url("/stall"))
            .request_timeout(timeout)
            .retries(0),
    );
    let took = started.elapsed();

    let o = outcome(&report, &server.url("/stall"));
    assert_eq!(o.kind, OutcomeKind::Failed(FetchError::Timeout(timeout)));
    assert_eq!(o.attempts, 1);
    assert_eq!(o.status, None);
    assert_eq!(server.hits("/stall"), 1);
    assert!(
        took + TIMING_TOLERANCE >= timeout,
        "not before the timeout: {took:?}"
    );
    assert!(took < STALL / 4, "well before the server answers: {took:?}");
    assert_books_balance(&report, &server);
}

#[test]
fn a_dripping_body_times_out() {
    let server = TestServer::start();
    let timeout = Duration::from_secs(1);
    let started = Instant::now();
    let report = crawl(
        config(&server.url("/drip"))
            .request_timeout(timeout)
            .retries(0),
    );
    let took = started.elapsed();

    let o = outcome(&report, &server.url("/drip"));
    assert_eq!(o.kind, OutcomeKind::Failed(FetchError::Timeout(timeout)));
    assert_eq!(o.attempts, 1);
    assert_eq!(server.hits("/drip"), 1);
    // The whole body would take DRIP_BYTES * DRIP_EVERY = 20 s.
    assert!(took < Duration::from_secs(4), "{took:?}");
    assert_books_balance(&report, &server);
}

/// A timeout is transient: a stalled answer and a dripping body are each tried again, and a
/// URL that keeps timing out fails only after its retries. The server's log shows every
/// attempt, each one request timeout after the one before (plus the backoff).
#[test]
fn a_timeout_is_retried_like_any_transient_error() {
    let server = TestServer::start();
    let timeout = Duration::from_secs(1);
    let (once, drip, always) = ("/stall-once/a", "/drip-once/a", "/stall");
    let seed = link_page(&server, &[once, drip, always]);
    let report = crawl(
        config(&seed)
            .robots(false)
            .request_timeout(timeout)
            .retry_policy(fast_retry(1)),
    );

    for path in [once, drip] {
        let o = outcome(&report, &server.url(path));
        assert_eq!(o.kind, OutcomeKind::Fetched, "{path}");
        assert_eq!(o.attempts, 2, "{path}: the timed-out attempt and the retry");
        assert_eq!(server.hits(path), 2, "{path}");
        let t = server.times(path);
        assert!(
            t[1] - t[0] + TIMING_TOLERANCE >= timeout,
            "{path}: retried {:?} after the first attempt, before it timed out",
            t[1] - t[0]
        );
    }
    let o = outcome(&report, &server.url(always));
    assert_eq!(o.kind, OutcomeKind::Failed(FetchError::Timeout(timeout)));
    assert_eq!(o.attempts, 2, "1 attempt + 1 retry");
    assert_eq!(server.hits(always), 2, "1 attempt + 1 retry");
    assert_eq!(report.retries, 3, "{report}");
    assert_eq!(report.requests, 7, "the link page and 3 × 2 attempts");
    assert_books_balance(&report, &server);
    assert_reached(
        &report,
        &server,
        on_host0([&seed[server.url("").len()..], once, drip, always]),
    );
}

#[test]
fn a_huge_body_is_cut_at_max_body() {
    const CAP: usize = 256 * 1024;
    let server = TestServer::start();
    let report = crawl(config(&server.url("/huge")).max_body(CAP));

    let o = outcome(&report, &server.url("/huge"));
    assert_eq!(o.kind, OutcomeKind::Fetched);
    assert_eq!(o.status, Some(200));
    assert!(o.truncated);
    assert_eq!(o.bytes, CAP as u64);
    assert_eq!(o.attempts, 1);
    assert_eq!(report.truncated, 1);
    assert_eq!(report.bytes, CAP as u64);
    assert_eq!(server.hits("/huge"), 1);
    // The crawler hung up: the server handed out far less than the whole body (socket
    // buffers on loopback hold a few MiB at most).
    let sent = server.huge_bytes_sent();
    assert!(sent >= CAP as u64, "{sent}");
    assert!(sent < HUGE_TOTAL / 4, "server produced {sent} bytes");
    assert_books_balance(&report, &server);
}

#[test]
fn retry_after_is_capped_by_the_policy() {
    let cap = Duration::from_millis(200);
    let server = TestServer::start();
    let policy = trawler::RetryPolicy {
        retry_after_cap: cap,
        ..fast_retry(2)
    };
    let report = crawl(config(&server.url("/throttle/capped")).retry_policy(policy));

    let o = outcome(&report, &server.url("/throttle/capped"));
    assert_eq!(o.kind, OutcomeKind::Fetched);
    assert_eq!(o.attempts, 2);
    let t = server.times("/throttle/capped");
    let gap = t[1] - t[0];
    assert!(gap + TIMING_TOLERANCE >= cap, "{gap:?}");
    // The server asked for 1 s; the cap wins.
    assert!(gap < Duration::from_millis(800), "{gap:?}");
}

#[test]
fn retry_after_holds_back_the_whole_host() {
    let server = TestServer::start();
    // One request at a time: the 429 comes first, then the host is parked for 1 s, and
    // the other link must wait too although it was never throttled itself.
    let seed = server.url("/linkto?u=/throttle/host&u=/depth/20.html");
    let report = crawl(config(&seed).per_host_concurrency(1));

    assert_eq!(report.fetched, 3, "{report}");
    let throttled = server.times("/throttle/host");
    let other = server.times("/depth/20.html");
    assert_eq!((throttled.len(), other.len()), (2, 1));
    assert!(throttled[0] < other[0], "{:?}", server.paths());
    let gap = other[0] - throttled[0];
    assert!(
        gap + TIMING_TOLERANCE >= Duration::from_secs(1),
        "the other page came {gap:?} after the 429"
    );
    assert_books_balance(&report, &server);
}

#[test]
fn a_stop_during_a_retry_wait_ends_the_crawl_promptly() {
    let server = TestServer::start();
    let policy = trawler::RetryPolicy {
        base_delay: Duration::from_secs(5),
        ..fast_retry(3)
    };
    let config = config(&server.url("/always500"))
        .retry_policy(policy)
        .build()
        .unwrap();
    let crawler = Crawler::new(config, FollowAll);
    let handle = crawler.stop_handle();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        handle.stop();
    });
    let started = Instant::now();
    let report = crawler.run().unwrap();
    stopper.join().unwrap();

    // The first retry would come 2.5-5 s after the first attempt.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(report.stop_reason, trawler::StopReason::Requested);
    assert_eq!(server.hits("/always500"), 1);
    let o = outcome(&report, &server.url("/always500"));
    assert_eq!(o.kind, OutcomeKind::Skipped(trawler::SkipReason::Stopped));
    assert_eq!(o.attempts, 1, "the attempt made is kept");
    assert_books_balance(&report, &server);
}
