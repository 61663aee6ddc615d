//! The adaptive throttle as the server sees it.
//!
//! Against a host that slows down under load (each answer takes longer the more requests
//! the host is working on, as an overloaded server does): with fixed limits the crawl keeps
//! `per_host_concurrency` requests on it and every answer is slow, but never more than that
//! limit; the throttle finds the concurrency where latency stays near the host's best, and
//! holds it with its concurrency limit even where its delay alone would not.
//!
//! Against a fast host that answers one request with a 503 and a later one with a 429 (no
//! `Retry-After`, so only the throttle can react): the crawl backs off at once, and the
//! server sees the gap in the request log.

mod common;

use actix_web::{HttpResponse, web};
use common::*;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use trawler::{Crawler, ThrottleConfig};

/// Pages on a lane: page 0 links to all the others.
const PAGES: usize = 40;
/// Extra latency per request the host is already working on.
const PER_REQUEST: Duration = Duration::from_millis(15);

/// Per-lane load counters, so the tests (run in parallel) do not see each other.
static IN_FLIGHT: [AtomicUsize; 3] = [const { AtomicUsize::new(0) }; 3];
static MAX_IN_FLIGHT: [AtomicUsize; 3] = [const { AtomicUsize::new(0) }; 3];
static LATENCIES: Mutex<Vec<(usize, Duration)>> = Mutex::new(Vec::new());

/// `/load/{lane}/{i}.html`: answers after `PER_REQUEST` × the requests in progress.
async fn load_page(path: web::Path<(usize, String)>) -> HttpResponse {
    let (lane, file) = path.into_inner();
    let now = IN_FLIGHT[lane].fetch_add(1, Ordering::SeqCst) + 1;
    MAX_IN_FLIGHT[lane].fetch_max(now, Ordering::SeqCst);
    let latency = PER_REQUEST * now as u32;
    actix_rt::time::sleep(latency).await;
    IN_FLIGHT[lane].fetch_sub(1, Ordering::SeqCst);
    LATENCIES.lock().unwrap().push((lane, latency));
    let body = if file == "0.html" {
        (1..PAGES)
            .map(|i| format!(r#"<a href="{i}.html">{i}</a>"#))
            .collect::<String>()
    } else {
        String::new()
    };
    HttpResponse::Ok()
        .content_type("text/html")
        .body(format!("<html><body>{body}</body></html>"))
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/load/{lane}/{file}", web::get().to(load_page))
        .route("/burst/{file}", web::get().to(burst_page));
}

/// Crawls a lane; returns the host's peak concurrency and its mean answer latency.
fn crawl_lane(lane: usize, throttle: Option<ThrottleConfig>) -> (usize, Duration) {
    let server = TestServer::start_with(routes);
    let mut builder = config(&server.url(&format!("/load/{lane}/0.html")))
        .robots(false)
        .per_host_concurrency(8);
    if let Some(t) = throttle {
        builder = builder.adaptive_throttle(t);
    }
    let report = Crawler::new(builder.build().unwrap(), FollowAll)
        .run()
        .unwrap();
    assert_eq!(report.fetched as usize, PAGES, "{report}");
    assert_books_balance(&report, &server);
    let lat: Vec<Duration> = LATENCIES
        .lock()
        .unwrap()
        .iter()
        .filter(|(l, _)| *l == lane)
        .map(|(_, d)| *d)
        .collect();
    assert_eq!(lat.len(), PAGES, "each page requested once");
    let mean = lat.iter().sum::<Duration>() / lat.len() as u32;
    let peak = MAX_IN_FLIGHT[lane].load(Ordering::SeqCst);
    eprintln!(
        "lane {lane}: peak concurrency {peak}, mean latency {mean:?}, {:?}",
        report.elapsed
    );
    (peak, mean)
}

#[test]
fn fixed_limits_pile_requests_on_a_slowing_host() {
    let (peak, mean) = crawl_lane(0, None);
    // Page 0 releases 39 links at once; 8 go out together and each waits for the others.
    assert!(peak >= 6, "peak concurrency {peak}");
    assert!(peak <= 8, "never more than per_host_concurrency: {peak}");
    assert!(mean >= PER_REQUEST * 4, "mean latency {mean:?}");
}

#[test]
fn the_adaptive_throttle_keeps_a_slowing_host_near_its_best_latency() {
    let throttle = ThrottleConfig {
        // Start fast so the test is short; the controller still starts at one request.
        start_delay: Duration::from_millis(20),
        ..ThrottleConfig::default()
    };
    let (peak, mean) = crawl_lane(1, Some(throttle));
    // Latency doubles from one request in flight to two and triples at three: the
    // controller probes upwards one slot at a time, sees an answer slower than twice the
    // host's best and steps back, so it hovers at two or three, half of the fixed case.
    assert!(peak <= 4, "peak concurrency {peak} (mean latency {mean:?})");
    assert!(
        mean <= PER_REQUEST * 3,
        "mean latency {mean:?} (peak {peak})"
    );
}

/// The same host with the throttle's delay out of play: a target concurrency so high that
/// the delay (latency / target) spaces nothing, so what keeps the host at two or three
/// requests is the throttle's concurrency limit alone.
#[test]
fn the_throttle_limits_concurrency_where_its_delay_does_not() {
    let throttle = ThrottleConfig {
        start_delay: Duration::from_millis(20),
        target_concurrency: 1000.0,
        ..ThrottleConfig::default()
    };
    let (peak, mean) = crawl_lane(2, Some(throttle));
    assert!(peak <= 4, "peak concurrency {peak} (mean latency {mean:?})");
}

/// Pages of the `/burst/` site: page 0 links to all the others.
const BURST_PAGES: usize = 80;
/// How long a `/burst/` page takes to answer: short, so the throttle opens up.
const BURST_LATENCY: Duration = Duration::from_millis(5);
/// The requests (counted from 1 at the server) answered with a back-off status.
const BACK_OFF_AT: [(usize, u16); 2] = [(20, 503), (45, 429)];
/// How long after a back-off answer the server counts the requests that come.
const WINDOW: Duration = Duration::from_millis(150);

static BURST_REQUESTS: AtomicUsize = AtomicUsize::new(0);
/// When each back-off answer left the server, and its status.
static BACKED_OFF: Mutex<Vec<(Instant, u16)>> = Mutex::new(Vec::new());

/// `/burst/{i}.html`: answers after `BURST_LATENCY`, with a 503 or a 429 (no `Retry-After`)
/// for the requests listed in `BACK_OFF_AT`.
async fn burst_page(file: web::Path<String>) -> HttpResponse {
    let n = BURST_REQUESTS.fetch_add(1, Ordering::SeqCst) + 1;
    actix_rt::time::sleep(BURST_LATENCY).await;
    if let Some((_, status)) = BACK_OFF_AT.iter().find(|(at, _)| *at == n) {
        BACKED_OFF.lock().unwrap().push((Instant::now(), *status));
        let status = actix_web::http::StatusCode::from_u16(*status).unwrap();
        return HttpResponse::build(status).finish();
    }
    let body = if file.as_str() == "0.html" {
        (1..BURST_PAGES)
            .map(|i| format!(r#"<a href="{i}.html">{i}</a>"#))
            .collect::<String>()
    } else {
        String::new()
    };
    HttpResponse::Ok()
        .content_type("text/html")
        .body(format!("<html><body>{body}</body></html>"))
}

/// A 503 and a 429 are back-off signals: after each, the host gets at most the request the
/// old spacing had already let through (and those in flight), then nothing for about
/// `start_delay`. Without the back-off the crawl goes on at full speed: the remaining pages
/// come within a few tens of milliseconds.
#[test]
fn the_throttle_backs_off_at_once_on_503_and_429() {
    let server = TestServer::start_with(routes);
    let config = config(&server.url("/burst/0.html"))
        .robots(false)
        .adaptive_throttle(ThrottleConfig::default())
        .build()
        .unwrap();
    let report = Crawler::new(config, FollowAll).run().unwrap();

    assert_eq!(report.fetched as usize, BURST_PAGES, "{report}");
    assert_eq!(report.retries, 2, "each back-off answer is retried once");
    let backed_off = BACKED_OFF.lock().unwrap().clone();
    let statuses: Vec<u16> = backed_off.iter().map(|(_, s)| *s).collect();
    assert_eq!(statuses, [503, 429]);
    let arrivals: Vec<Instant> = server.log().into_iter().map(|(at, _, _)| at).collect();
    for (answered, status) in backed_off {
        let soon = arrivals
            .iter()
            .filter(|at| **at > answered && **at <= answered + WINDOW)
            .count();
        eprintln!("{soon} requests within {WINDOW:?} of the {status} answer");
        assert!(
            soon <= 4,
            "{soon} requests within {WINDOW:?} of the {status} answer: no back-off"
        );
    }
    assert_books_balance(&report, &server);
    assert_reached(
        &report,
        &server,
        on_host0((0..BURST_PAGES).map(|i| format!("/burst/{i}.html"))),
    );
}
