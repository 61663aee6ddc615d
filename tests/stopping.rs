//! Whole crawls of the loopback site stopped before the end: by a plugin's `Flow::Stop`
//! (from `should_follow` or from the output), by the stop handle from another thread, and
//! what a crawl's progress reads while it runs.
//!
//! Each test checks the crawl's report and outcomes against the server's own request log.

mod common;

use common::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use trawler::{
    BoxError, CrawlReport, Crawler, Flow, OutcomeKind, Output, Page, Request, SkipReason, Spider,
    StopReason,
};

/// Follows everything except what `decide` says.
struct Deciding<F: Fn(&Request) -> Flow + Send + Sync + 'static> {
    decide: F,
}

impl<F: Fn(&Request) -> Flow + Send + Sync + 'static> Spider for Deciding<F> {
    type Item = ();
    fn parse(&self, _page: &Page<'_>, _out: &mut Output<()>) -> Result<(), BoxError> {
        Ok(())
    }
    fn should_follow(&self, request: &Request) -> Flow {
        (self.decide)(request)
    }
}

#[test]
fn should_follow_skip_records_a_spider_skip() {
    let server = TestServer::start();
    let config = config(&server.url("/depth/0.html")).build().unwrap();
    let spider = Deciding {
        decide: |r: &Request| {
            if r.url().path() == "/depth/3.html" {
                Flow::Skip
            } else {
                Flow::Continue
            }
        },
    };
    let report = Crawler::new(config, spider).run().unwrap();

    let three = outcome(&report, &server.url("/depth/3.html"));
    assert_eq!(three.kind, OutcomeKind::Skipped(SkipReason::Spider));
    assert_eq!(three.depth, 3);
    assert_eq!(server.hits("/depth/3.html"), 0);
    assert_eq!(server.hits("/depth/4.html"), 0);
    assert_eq!(server.paths().len(), 3);
    assert_eq!(report.fetched, 3);
    assert_eq!(report.skipped_by_reason.get(&SkipReason::Spider), Some(&1));
    assert_eq!(report.stop_reason, StopReason::Completed);
    assert_books_balance(&report, &server);
}

/// What a plugin-stopped crawl of the site must look like.
fn assert_stopped_early(server: &TestServer, report: &CrawlReport, reason: StopReason) {
    assert_eq!(report.stop_reason, reason, "{report}");
    assert!(
        report.fetched < SITE_PAGES as u64 / 2,
        "stopped early: {report}"
    );
    let stopped = report
        .skipped_by_reason
        .get(&SkipReason::Stopped)
        .copied()
        .unwrap_or(0);
    assert!(stopped > 0, "leftovers are recorded as stopped: {report}");
    for o in &report.outcomes {
        if o.skip_reason() == Some(SkipReason::Stopped) {
            assert_eq!(o.attempts, 0, "{}", o.url);
        }
    }
    assert_books_balance(report, server);
    assert_site_hits_match_fetched(server, report);
}

#[test]
fn flow_stop_from_should_follow_ends_the_crawl() {
    let server = TestServer::start();
    let config = config(&site_url(&server, 0))
        .per_host_concurrency(2)
        .build()
        .unwrap();
    let asked = AtomicUsize::new(0);
    let stop_at = site_url(&server, 6);
    let spider = Deciding {
        decide: move |r: &Request| {
            asked.fetch_add(1, Ordering::SeqCst);
            if r.url().as_str() == stop_at {
                Flow::Stop
            } else {
                Flow::Continue
            }
        },
    };
    let report = Crawler::new(config, spider).run().unwrap();

    let six = outcome(&report, &site_url(&server, 6));
    assert_eq!(six.kind, OutcomeKind::Skipped(SkipReason::Stopped));
    assert_eq!(server.hits("/site/6.html"), 0);
    assert_stopped_early(&server, &report, StopReason::Plugin);
}

/// Stops the crawl from `parse` on one page.
struct StopOn(String);

impl Spider for StopOn {
    type Item = ();
    fn parse(&self, page: &Page<'_>, out: &mut Output<()>) -> Result<(), BoxError> {
        if page.url().as_str() == self.0 {
            out.stop();
        }
        Ok(())
    }
}

#[test]
fn output_stop_ends_the_crawl() {
    let server = TestServer::start();
    let config = config(&site_url(&server, 0))
        .per_host_concurrency(2)
        .build()
        .unwrap();
    let report = Crawler::new(config, StopOn(site_url(&server, 2)))
        .run()
        .unwrap();

    let two = outcome(&report, &site_url(&server, 2));
    assert!(two.is_fetched(), "the stopping page itself is fetched");
    assert_stopped_early(&server, &report, StopReason::Plugin);
}

#[test]
fn stop_handle_ends_a_slow_crawl_from_another_thread() {
    const RATE: f64 = 5.0; // one request every 200 ms
    let server = TestServer::start();
    let config = config(&site_url(&server, 0))
        .per_host_rate(RATE)
        .build()
        .unwrap();
    let crawler = Crawler::new(config, FollowAll);
    let handle = crawler.stop_handle();
    assert!(!handle.is_stopped());
    let started = Instant::now();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(700));
        handle.stop();
        handle
    });
    let report = crawler.run().unwrap();
    let handle = stopper.join().unwrap();

    assert!(handle.is_stopped());
    // Unstopped, this crawl would take SITE_PAGES / RATE = 60 s.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(report.fetched >= 2, "{report}");
    assert!(report.fetched <= 10, "{report}");
    assert_stopped_early(&server, &report, StopReason::Requested);
}

#[test]
fn progress_is_readable_while_the_crawl_runs_and_ends_equal_to_the_report() {
    let server = TestServer::start();
    // `/slow/` pages take SLOW_DELAY each, one at a time: the crawl lasts long enough to
    // be watched while requests are in flight.
    let config = config(&server.url("/slow/0.html"))
        .concurrency(1)
        .build()
        .unwrap();
    let crawler = Crawler::new(config, FollowAll);
    let progress = crawler.progress();
    assert_eq!(progress.snapshot().done(), 0);
    let watcher = {
        let progress = progress.clone();
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(20);
            while !progress.is_finished() && Instant::now() < deadline {
                seen.push(progress.snapshot());
                std::thread::sleep(Duration::from_millis(5));
            }
            seen
        })
    };
    let report = crawler.run().unwrap();
    let seen = watcher.join().unwrap();

    assert!(progress.is_finished());
    assert!(
        seen.iter().any(|s| s.in_flight == 1 && s.queued > 0),
        "never saw a request in flight with others queued"
    );
    // Counters only grow while the crawl runs.
    for pair in seen.windows(2) {
        assert!(pair[1].done() >= pair[0].done() && pair[1].requests >= pair[0].requests);
    }
    let last = progress.snapshot();
    assert_eq!(
        (last.fetched, last.failed, last.skipped),
        (report.fetched, report.failed, report.skipped)
    );
    assert_eq!((last.queued, last.in_flight), (0, 0));
    assert_eq!((last.requests, last.bytes), (report.requests, report.bytes));
    assert_eq!(last.elapsed, report.elapsed);
    assert_eq!(report.fetched as usize, FAN_PAGES);
}
