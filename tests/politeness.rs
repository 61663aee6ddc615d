//! Politeness as the server sees it: request spacing under a per-host rate, requests in
//! flight at once under a per-host concurrency limit, and under the global `concurrency`
//! budget over several hosts.

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
    assert_reached(
        &report,
        &server,
        on_host0((0..FAN_PAGES).map(|i| format!("/fan/{i}.html"))),
    );
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
    assert_reached(
        &report,
        &server,
        on_host0((0..FAN_PAGES).map(|i| format!("/slow/{i}.html"))),
    );
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

/// Every `/slow/` page of `hosts` hosts, for [`assert_reached`].
fn slow_pages(hosts: usize) -> Vec<(usize, String)> {
    (0..hosts)
        .flat_map(|h| (0..FAN_PAGES).map(move |i| (h, format!("/slow/{i}.html"))))
        .collect()
}

/// Four hosts could take 8 requests each; the global budget of 6 holds over all of them,
/// counted by the server across its ports.
#[test]
fn the_global_concurrency_budget_holds_over_several_hosts() {
    const HOSTS: usize = 4;
    const BUDGET: usize = 6;
    let server = TestServer::start_hosts(HOSTS, |_| {});
    let mut builder = config(&server.url_on(0, "/slow/0.html"))
        .concurrency(BUDGET)
        .per_host_concurrency(8);
    for h in 1..HOSTS {
        builder = builder.seed(server.url_on(h, "/slow/0.html"));
    }
    let report = Crawler::new(builder.build().unwrap(), FollowAll)
        .run()
        .unwrap();

    assert_eq!(report.fetched as usize, HOSTS * FAN_PAGES, "{report}");
    let max = server.max_in_flight();
    let per_host: Vec<usize> = (0..HOSTS).map(|h| server.max_in_flight_on(h)).collect();
    eprintln!("in flight at most {max} over all hosts, per host {per_host:?}");
    assert!(
        max <= BUDGET,
        "{max} in flight over all hosts; per host {per_host:?}"
    );
    // The budget was used, and shared: it is what held the crawl, not the hosts' limits.
    assert!(max >= BUDGET - 2, "only {max} in flight at once");
    assert!(
        per_host.iter().filter(|m| **m >= 1).count() == HOSTS,
        "{per_host:?}"
    );
    assert_books_balance(&report, &server);
    assert_reached(&report, &server, slow_pages(HOSTS));
}
