//! The adaptive throttle against a host that slows down under load: each answer takes
//! longer the more requests the host is working on, as an overloaded server does. With
//! fixed limits the crawl keeps `per_host_concurrency` requests on it and every answer
//! is slow; the throttle finds the concurrency where latency stays near the host's best.

mod common;

use actix_web::{HttpResponse, web};
use common::*;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use trawler::{Crawler, ThrottleConfig};

/// Pages on a lane: page 0 links to all the others.
const PAGES: usize = 40;
/// Extra latency per request the host is already working on.
const PER_REQUEST: Duration = Duration::from_millis(15);

/// Per-lane load counters, so the two tests (run in parallel) do not see each other.
static IN_FLIGHT: [AtomicUsize; 2] = [AtomicUsize::new(0), AtomicUsize::new(0)];
static MAX_IN_FLIGHT: [AtomicUsize; 2] = [AtomicUsize::new(0), AtomicUsize::new(0)];
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
    cfg.route("/load/{lane}/{file}", web::get().to(load_page));
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
