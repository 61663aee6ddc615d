//! Bad input never panics: the builder turns every value into a configuration or a typed
//! error (property-tested), values at the edges of what it accepts run without a worker
//! dying, and a header a middleware cannot send fails that request with a clear outcome.

mod common;

use common::{TestServer, config};
use proptest::prelude::*;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::Duration;
use trawler::prelude::*;
use trawler::{MAX_CONCURRENCY, MAX_DURATION, MIN_RATE};

/// Text with what breaks parsers and headers: control characters, non-ASCII, URL pieces.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("http://".to_string()),
        Just("https://".to_string()),
        Just("127.0.0.1".to_string()),
        Just("localhost".to_string()),
        Just(":8080".to_string()),
        Just("/".to_string()),
        Just("./".to_string()),
        Just("file:".to_string()),
        Just("*".to_string()),
        Just("(".to_string()),
        Just("[".to_string()),
        Just("\\".to_string()),
        Just("\n".to_string()),
        Just("\r".to_string()),
        Just("\0".to_string()),
        Just("\u{7f}".to_string()),
        Just("\u{e9}\u{65e5}".to_string()),
        Just(" ".to_string()),
        "[a-z0-9.]{0,5}".prop_map(String::from),
        any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

/// Durations over the whole range, edges and `Duration::MAX` included.
fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::ZERO),
        Just(Duration::MAX),
        Just(MAX_DURATION),
        Just(MAX_DURATION + Duration::from_nanos(1)),
        (any::<u64>(), 0..1_000_000_000u32).prop_map(|(s, n)| Duration::new(s, n)),
        (0..100_000u64).prop_map(Duration::from_millis),
    ]
}

/// Rates over every kind of `f64`.
fn rate() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::MIN_POSITIVE),
        Just(MIN_RATE),
        Just(0.0),
        Just(-1.0),
        any::<f64>(),
        0.0..1e6f64,
    ]
}

/// A count over the whole range, with the edges made likely.
fn count() -> impl Strategy<Value = usize> {
    prop_oneof![
        Just(0),
        Just(1),
        Just(MAX_CONCURRENCY),
        Just(MAX_CONCURRENCY + 1),
        Just(usize::MAX),
        any::<usize>()
    ]
}

/// Every builder input at once.
#[derive(Debug, Clone)]
struct Input {
    seeds: Vec<String>,
    user_agent: Option<String>,
    hosts: Vec<String>,
    include: Vec<String>,
    exclude: Vec<String>,
    counts: (usize, usize, usize, usize, usize),
    rates: (Option<f64>, Option<f64>, f64),
    durations: (Duration, Duration, Duration, Duration, Duration, Duration),
    retries: u32,
}

fn input() -> impl Strategy<Value = Input> {
    let strings = || proptest::collection::vec(text(), 0..3);
    (
        (
            strings(),
            proptest::option::of(text()),
            strings(),
            strings(),
            strings(),
        ),
        (count(), count(), count(), count(), count()),
        (
            proptest::option::of(rate()),
            proptest::option::of(rate()),
            rate(),
        ),
        (
            duration(),
            duration(),
            duration(),
            duration(),
            duration(),
            duration(),
        ),
        any::<u32>(),
    )
        .prop_map(|(s, counts, rates, durations, retries)| Input {
            seeds: s.0,
            user_agent: s.1,
            hosts: s.2,
            include: s.3,
            exclude: s.4,
            counts,
            rates,
            durations,
            retries,
        })
}

fn builder(i: &Input) -> CrawlConfigBuilder {
    let mut b = CrawlConfig::builder()
        .seeds(i.seeds.iter().cloned())
        .concurrency(i.counts.0)
        .per_host_concurrency(i.counts.1)
        .workers(i.counts.2)
        .max_body(i.counts.3)
        .max_url_len(i.counts.4)
        .request_timeout(i.durations.0)
        .connect_timeout(i.durations.1)
        .crawl_delay_cap(i.durations.2)
        .retry_policy(RetryPolicy {
            max_retries: i.retries,
            base_delay: i.durations.3,
            max_delay: i.durations.4,
            retry_after_cap: i.durations.5,
            ..RetryPolicy::default()
        })
        .adaptive_throttle(ThrottleConfig {
            target_concurrency: i.rates.2,
            max_delay: i.durations.4,
            ..ThrottleConfig::default()
        });
    if let Some(ua) = &i.user_agent {
        b = b.user_agent(ua.as_str());
    }
    if let Some(r) = i.rates.0 {
        b = b.per_host_rate(r);
    }
    if let Some(r) = i.rates.1 {
        b = b.global_rate(r);
    }
    for h in &i.hosts {
        b = b.allow_host(h.as_str());
    }
    for p in &i.include {
        b = b.include(p.as_str());
    }
    for p in &i.exclude {
        b = b.exclude(p.as_str());
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// `build()` never panics, and what it accepts is what a running crawl can use: the
    /// user agent is a header value, every duration can be added to a clock, every rate
    /// has a representable period.
    #[test]
    fn build_never_panics_and_accepts_only_usable_values(i in input()) {
        let built = catch_unwind(AssertUnwindSafe(|| builder(&i).build()));
        let Ok(result) = built else {
            return Err(TestCaseError::fail(format!("build() panicked on {i:?}")));
        };
        let Ok(config) = result else {
            return Ok(());
        };
        prop_assert!(!config.seeds().is_empty());
        let ua = i.user_agent.as_deref().unwrap_or(trawler::DEFAULT_USER_AGENT);
        prop_assert!(actix_web::http::header::HeaderValue::from_str(ua).is_ok());
        let now = std::time::Instant::now();
        for d in [i.durations.0, i.durations.1, i.durations.2, i.durations.3, i.durations.4, i.durations.5] {
            prop_assert!(d <= MAX_DURATION && now.checked_add(d).is_some());
        }
        for r in [i.rates.0, i.rates.1].into_iter().flatten() {
            prop_assert!(r >= MIN_RATE && Duration::try_from_secs_f64(1.0 / r).is_ok());
        }
        prop_assert!(i.counts.0 <= MAX_CONCURRENCY && config.workers() <= trawler::MAX_WORKERS);
    }
}

/// Runs `crawler` on its own thread, stopping it after `stop_after`; the report, or a
/// failure if it takes far longer than that.
fn run_bounded<S: Spider>(crawler: Crawler<S>, stop_after: Duration) -> CrawlReport {
    let stop = crawler.stop_handle();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(crawler.run());
    });
    std::thread::sleep(stop_after);
    stop.stop();
    rx.recv_timeout(Duration::from_secs(30))
        .expect("the crawl ended in bounded time")
        .expect("the crawl ran")
}

#[test]
fn the_largest_and_smallest_accepted_values_run_without_a_worker_dying() {
    let server = TestServer::start();
    let policy = RetryPolicy {
        base_delay: MAX_DURATION,
        max_delay: MAX_DURATION,
        retry_after_cap: MAX_DURATION,
        ..RetryPolicy::default()
    };
    let edges = [
        config(&server.url("/fan/0.html"))
            .concurrency(MAX_CONCURRENCY)
            .per_host_concurrency(MAX_CONCURRENCY)
            .request_timeout(MAX_DURATION)
            .connect_timeout(MAX_DURATION)
            .max_body(usize::MAX)
            .retry_policy(policy.clone()),
        config(&server.url("/fan/0.html"))
            .per_host_rate(MIN_RATE)
            .global_rate(1e300)
            .crawl_delay_cap(MAX_DURATION),
        config(&server.url("/always500"))
            .retry_policy(policy)
            .adaptive_throttle(ThrottleConfig {
                target_concurrency: 1e-300,
                start_delay: MAX_DURATION,
                max_delay: MAX_DURATION,
            }),
    ];
    for b in edges {
        let crawler = Crawler::new(b.build().unwrap(), common::FollowAll);
        let report = run_bounded(crawler, Duration::from_millis(500));
        assert_eq!(report.restarts, 0, "{report}");
        // Something went out (under a rate of one a day, only the robots.txt request).
        assert!(report.requests + report.robots_fetches >= 1, "{report}");
    }
}

/// Sets `x-token` on every request; to a value with a line break for `/fan/1.html`.
struct Token;

impl Middleware for Token {
    fn on_request(&self, request: &mut OutgoingRequest<'_>) -> Flow {
        let value = if request.url().path() == "/fan/1.html" {
            "a\nb"
        } else {
            "ok"
        };
        // The hook ignores the error: the request must fail all the same.
        let _ = request.set_header("x-token", value);
        Flow::Continue
    }
}

#[test]
fn a_header_a_middleware_cannot_send_fails_that_request() {
    let server = TestServer::start();
    let seed = server.url("/fan/0.html");
    let report = Crawler::new(
        config(&seed).collect_outcomes(true).build().unwrap(),
        common::FollowAll,
    )
    .middleware(Token)
    .run()
    .unwrap();
    let bad = common::outcome(&report, &server.url("/fan/1.html"));
    assert_eq!(
        bad.kind,
        OutcomeKind::Failed(FetchError::BadRequestHeader("x-token: a\nb".into())),
        "{bad:?}"
    );
    assert!(
        bad.kind.clone() != OutcomeKind::Fetched && server.hits("/fan/1.html") == 0,
        "the request was not sent"
    );
    let error = serde_json::to_value(bad).unwrap()["error"].clone();
    assert!(
        error.as_str().unwrap().contains("invalid header"),
        "{error}"
    );
    // The other pages went out with the header, and no worker died.
    assert_eq!(server.hits("/fan/2.html"), 1);
    let sent = server.hits_full();
    assert!(
        sent.iter()
            .all(|h| h.headers.iter().any(|(k, v)| k == "x-token" && v == "ok"))
    );
    assert_eq!(report.restarts, 0);
    assert_eq!(report.failed, 1, "{report}");
}
