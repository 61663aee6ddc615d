//! Crawls with the documented defaults, nothing overridden but the seeds (and collecting
//! the outcomes to read them): 64 requests in flight over all hosts, 8 per host, one worker
//! per CPU, the 30 s request timeout, 2 retries with a 0.5 s base backoff, robots.txt obeyed
//! and the `trawler/VERSION` user agent, each as the server sees it.

mod common;

use actix_web::{HttpResponse, web};
use common::*;
use std::time::Duration;
use trawler::{CrawlConfig, CrawlConfigBuilder, CrawlReport, Crawler, FetchError, OutcomeKind};

/// The documented defaults, in the units the server observes them.
const CONCURRENCY: usize = 64;
const PER_HOST: usize = 8;
const RETRIES: usize = 2;
const BASE_DELAY: Duration = Duration::from_millis(500);

/// Pages per host of `/hold/`: page 0 links to all the others.
const HOLD_PAGES: usize = 20;
/// How long a `/hold/` page takes: long enough for every request of a wave to overlap.
const HOLD: Duration = Duration::from_millis(300);
/// How long `/late` takes: far under the default timeout, far over any test override.
const LATE: Duration = Duration::from_secs(2);

async fn hold_page(file: web::Path<String>) -> HttpResponse {
    actix_rt::time::sleep(HOLD).await;
    let body = if file.as_str() == "0.html" {
        (1..HOLD_PAGES)
            .map(|i| format!(r#"<a href="{i}.html">{i}</a>"#))
            .collect::<String>()
    } else {
        String::new()
    };
    HttpResponse::Ok()
        .content_type("text/html")
        .body(format!("<html><body>{body}</body></html>"))
}

async fn late_page() -> HttpResponse {
    actix_rt::time::sleep(LATE).await;
    HttpResponse::Ok()
        .content_type("text/html")
        .body("<html><body>worth the wait</body></html>")
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/hold/{file}", web::get().to(hold_page))
        .route("/late", web::get().to(late_page));
}

/// The defaults, with outcomes collected.
fn defaults(seed: &str) -> CrawlConfigBuilder {
    CrawlConfig::builder().seed(seed).collect_outcomes(true)
}

fn crawl(builder: CrawlConfigBuilder) -> CrawlReport {
    Crawler::new(builder.build().unwrap(), FollowAll)
        .run()
        .unwrap()
}

/// Crawls `hosts` hosts of twenty slow pages with the defaults; returns the server, the
/// report and the most requests each host had in flight at once.
fn crawl_held_hosts(hosts: usize) -> (TestServer, CrawlReport, Vec<usize>) {
    let server = TestServer::start_hosts(hosts, routes);
    let seeds = (0..hosts).map(|h| server.url_on(h, "/hold/0.html"));
    let report = crawl(CrawlConfig::builder().seeds(seeds).collect_outcomes(true));
    assert_eq!(report.fetched as usize, hosts * HOLD_PAGES, "{report}");
    let per_host: Vec<usize> = (0..hosts).map(|h| server.max_in_flight_on(h)).collect();
    assert!(
        per_host.iter().all(|m| *m <= PER_HOST),
        "per host {per_host:?}"
    );
    (server, report, per_host)
}

/// Four hosts of twenty slow pages: each could take 19 requests at once and all of them
/// 76, but 8 a host are only 32, so the per-host limit binds, on every host.
#[test]
fn the_defaults_keep_8_requests_per_host() {
    let (server, report, per_host) = crawl_held_hosts(4);
    assert_eq!(
        per_host, [PER_HOST; 4],
        "each host reaches 8 requests in flight, never more"
    );
    assert_books_balance(&report, &server);
}

/// Ten hosts of twenty slow pages: 8 a host would be 80, so the global limit binds (and
/// the per-host one still holds: with 64 shared by ten hosts, no host need reach 8).
#[test]
fn the_defaults_keep_64_requests_over_all_hosts() {
    const HOSTS: usize = 10;
    let (server, report, per_host) = crawl_held_hosts(HOSTS);
    let max = server.max_in_flight();
    eprintln!("in flight at most {max} over all hosts, per host {per_host:?}");
    assert!(max <= CONCURRENCY, "{max} in flight over all hosts");
    // The first wave asks for 80: the budget of 64 is filled, give or take a request or
    // two still being parsed (the budget counts them).
    assert!(
        max >= CONCURRENCY - 8,
        "only {max} in flight at once; per host {per_host:?}"
    );
    assert_books_balance(&report, &server);
    let reachable =
        (0..HOSTS).flat_map(|h| (0..HOLD_PAGES).map(move |i| (h, format!("/hold/{i}.html"))));
    assert_reached(&report, &server, reachable);
}

/// The default retry policy: a 503 is retried after at least half the 0.5 s base delay; a
/// permanent 500 is tried 1 + 2 times, the second wait at least half of 1 s; an answer that
/// takes 2 s is no timeout. Robots.txt comes first, and every request carries the default
/// user agent.
#[test]
fn the_default_retries_backoff_timeout_robots_and_user_agent() {
    let server = TestServer::start_with(routes);
    let seed = link_page(&server, &["/flaky/d", "/always500", "/late"]);
    let report = crawl(defaults(&seed));

    let flaky = server.times("/flaky/d");
    assert_eq!(flaky.len(), 2, "a 503, then the retry");
    assert!(
        flaky[1] - flaky[0] + TIMING_TOLERANCE >= BASE_DELAY / 2,
        "retried after {:?}",
        flaky[1] - flaky[0]
    );
    assert!(outcome(&report, &server.url("/flaky/d")).is_fetched());

    let broken = server.times("/always500");
    assert_eq!(broken.len(), 1 + RETRIES, "1 attempt + 2 retries");
    assert!(broken[1] - broken[0] + TIMING_TOLERANCE >= BASE_DELAY / 2);
    assert!(broken[2] - broken[1] + TIMING_TOLERANCE >= BASE_DELAY);
    let o = outcome(&report, &server.url("/always500"));
    assert_eq!(o.kind, OutcomeKind::Failed(FetchError::Status(500)));
    assert_eq!(o.attempts as usize, 1 + RETRIES);

    let late = outcome(&report, &server.url("/late"));
    assert!(late.is_fetched(), "{:?}", late.kind);
    assert!(
        late.elapsed + TIMING_TOLERANCE >= LATE,
        "{:?}",
        late.elapsed
    );
    assert_eq!(server.hits("/late"), 1);

    let all = server.all_hits();
    assert_eq!(
        all[0].path,
        ROBOTS,
        "robots.txt first: {:?}",
        server.all_paths()
    );
    let agent = format!("trawler/{}", env!("CARGO_PKG_VERSION"));
    for h in &all {
        assert_eq!(h.user_agent.as_deref(), Some(agent.as_str()), "{}", h.path);
    }
    assert_books_balance(&report, &server);
    let seed_path = &seed[server.url("").len()..];
    assert_reached(
        &report,
        &server,
        on_host0([seed_path, "/flaky/d", "/always500", "/late"]),
    );
}

#[test]
fn the_site_is_covered_once_with_the_defaults() {
    let server = TestServer::start();
    let report = crawl(defaults(&server.url("/site/0.html")));

    for i in 0..SITE_PAGES {
        assert_eq!(server.hits(&format!("/site/{i}.html")), 1, "page {i}");
    }
    assert_eq!(report.fetched as usize, SITE_PAGES, "{report}");
    assert_eq!(report.retries, 0);
    assert!(server.max_in_flight_on(0) <= PER_HOST);
    assert_books_balance(&report, &server);
    let reachable = site_reachable(|_| false);
    assert_eq!(reachable.len(), SITE_PAGES);
    assert_reached(
        &report,
        &server,
        on_host0(reachable.iter().map(|i| format!("/site/{i}.html"))),
    );
}
