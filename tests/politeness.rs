//! Politeness as the server sees it: request spacing under a per-host rate, and requests
//! in flight at once under a per-host concurrency limit.

mod common;

use common::*;
use std::time::Duration;
use trawler::Crawler;

#[test]
fn per_host_rate_spaces_requests() {
    const RATE: f64 = 10.0;
    let period = Duration::from_secs_f64(1.0 / RATE);
    let server = TestServer::start();
    let config = config(&server.url("/fan/0.html"))
        .per_host_rate(RATE)
        .per_host_concurrency(8)
        .build()
        .unwrap();
    let report = Crawler::new(config, FollowAll).run().unwrap();

    assert_eq!(report.fetched, FAN_PAGES as u64, "{report}");
    let log = server.log();
    assert_eq!(log.len(), FAN_PAGES);
    let times: Vec<_> = log.iter().map(|(t, _, _)| *t).collect();
    // The crawler spaces the moments it sends; the server sees arrivals, which a busy
    // machine can delay by tens of milliseconds. A late arrival shortens the next gap
    // (the one after it was sent on time), so one gap is only checked against half a
    // period (unthrottled, gaps here are well under a millisecond), and the sum of all
    // gaps against the full rate below.
    let pair_tolerance = period / 2;
    for (i, pair) in times.windows(2).enumerate() {
        let gap = pair[1] - pair[0];
        assert!(
            gap + pair_tolerance >= period,
            "requests {i} and {} came {gap:?} apart (period {period:?})",
            i + 1
        );
    }
    let total = times[times.len() - 1] - times[0];
    let expected = period.mul_f64((FAN_PAGES - 1) as f64 * 0.9);
    assert!(total >= expected, "{total:?} < {expected:?}");
    assert!(report.elapsed >= expected);
    assert_books_balance(&report, &server);
}

#[test]
fn per_host_concurrency_one_means_one_request_at_a_time() {
    let server = TestServer::start();
    let config = config(&server.url("/slow/0.html"))
        .per_host_concurrency(1)
        .concurrency(16)
        .build()
        .unwrap();
    let report = Crawler::new(config, FollowAll).run().unwrap();

    assert_eq!(report.fetched, FAN_PAGES as u64, "{report}");
    assert_eq!(server.paths().len(), FAN_PAGES);
    assert_eq!(server.max_in_flight(), 1, "never two requests at once");
    // Serial requests each wait SLOW_DELAY.
    assert!(report.elapsed >= SLOW_DELAY * FAN_PAGES as u32);
    assert_books_balance(&report, &server);
}

/// The control for the test above: without the limit, the same crawl does overlap, so the
/// in-flight gauge does see concurrent requests.
#[test]
fn without_the_limit_requests_overlap() {
    let server = TestServer::start();
    let config = config(&server.url("/slow/0.html"))
        .per_host_concurrency(8)
        .concurrency(16)
        .build()
        .unwrap();
    let report = Crawler::new(config, FollowAll).run().unwrap();

    assert_eq!(report.fetched, FAN_PAGES as u64, "{report}");
    let max = server.max_in_flight();
    assert!(max > 1, "max in flight {max}");
    assert!(max <= 8, "never more than the per-host limit: {max}");
}
