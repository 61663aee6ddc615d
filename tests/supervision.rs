//! Plugin failures and middleware: a panicking or failing plugin never loses a URL, a dead
//! fetcher is restarted and its requests re-queued, and hooks change what is sent.

mod common;

use common::*;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use trawler::{
    BoxError, Crawler, FetchError, Flow, Middleware, OutcomeKind, OutgoingRequest, Output, Page,
    ResponseAction, ResponseView, SkipReason, Spider, StopReason,
};

/// Panics in `parse` on `/panic.html`, fails on pages listed in `fail_on`.
#[derive(Default)]
struct Fragile {
    fail_on: Vec<&'static str>,
    parsed: Arc<AtomicUsize>,
}

const PANIC_TEXT: &str = "fragile spider cannot parse this page";

impl Spider for Fragile {
    type Item = ();
    fn parse(&self, page: &Page<'_>, out: &mut Output<()>) -> Result<(), BoxError> {
        self.parsed.fetch_add(1, Ordering::SeqCst);
        if page.url().path() == "/panic.html" {
            panic!("{PANIC_TEXT}");
        }
        if self.fail_on.contains(&page.url().path()) {
            // What `out` holds is dropped on error: this must not stop the default following.
            out.follow_none();
            return Err(format!("no data on {}", page.url().path()).into());
        }
        Ok(())
    }
}

#[test]
fn a_panicking_parse_is_caught_and_the_page_links_still_followed() {
    let server = TestServer::start();
    let parsed = Arc::new(AtomicUsize::new(0));
    let spider = Fragile {
        parsed: parsed.clone(),
        ..Fragile::default()
    };
    let config = config(&server.url("/panic.html")).build().unwrap();
    let report = Crawler::new(config, spider).run().unwrap();

    assert_eq!(report.plugin_panics, 1, "{report}");
    assert_eq!(report.parse_errors, 1);
    assert_eq!(report.restarts, 0, "a caught panic kills no actor");
    let o = outcome(&report, &server.url("/panic.html"));
    assert_eq!(o.kind, OutcomeKind::Fetched);
    let err = o.parse_error.as_deref().expect("parse_error is set");
    assert!(err.contains(PANIC_TEXT), "{err}");
    let after = outcome(&report, &server.url("/after-panic.html"));
    assert!(after.is_fetched());
    assert!(after.parse_error.is_none());
    assert_eq!(server.hits("/after-panic.html"), 1);
    assert_eq!(parsed.load(Ordering::SeqCst), 2);
    assert_eq!(report.stop_reason, StopReason::Completed);
    assert_books_balance(&report, &server);
}

/// Panics in `should_follow` for one URL of the `/fan/` pages.
struct PanickyFilter;

impl Spider for PanickyFilter {
    type Item = ();
    fn parse(&self, _page: &Page<'_>, _out: &mut Output<()>) -> Result<(), BoxError> {
        Ok(())
    }
    fn should_follow(&self, request: &trawler::Request) -> Flow {
        if request.url().path() == "/fan/3.html" {
            panic!("filter bug");
        }
        Flow::Continue
    }
}

#[test]
fn a_panicking_should_follow_skips_that_url_and_is_counted() {
    let server = TestServer::start();
    let config = config(&server.url("/fan/0.html")).build().unwrap();
    let report = Crawler::new(config, PanickyFilter).run().unwrap();

    assert_eq!(report.plugin_panics, 1, "{report}");
    assert_eq!(
        outcome(&report, &server.url("/fan/3.html")).kind,
        OutcomeKind::Skipped(SkipReason::Spider)
    );
    assert_eq!(server.hits("/fan/3.html"), 0);
    assert_eq!(report.fetched as usize, FAN_PAGES - 1, "{report}");
    assert_books_balance(&report, &server);
}

#[test]
fn a_parse_error_is_recorded_on_the_page() {
    let server = TestServer::start();
    let spider = Fragile {
        fail_on: vec!["/depth/1.html"],
        ..Fragile::default()
    };
    let config = config(&server.url("/depth/0.html"))
        .max_depth(3)
        .build()
        .unwrap();
    let report = Crawler::new(config, spider).run().unwrap();

    let o = outcome(&report, &server.url("/depth/1.html"));
    assert_eq!(o.kind, OutcomeKind::Fetched);
    assert_eq!(o.parse_error.as_deref(), Some("no data on /depth/1.html"));
    assert_eq!(report.parse_errors, 1);
    assert_eq!(report.plugin_panics, 0);
    // Its links are still followed (the default FollowMode), despite `follow_none`.
    assert_eq!(server.hits("/depth/2.html"), 1);
    assert_eq!(report.fetched, 4);
    for n in [0, 2, 3] {
        let o = outcome(&report, &server.url(&format!("/depth/{n}.html")));
        assert!(o.parse_error.is_none(), "page {n}");
    }
    assert_books_balance(&report, &server);
}

/// Panics in `on_request` the first time it sees `target`.
struct PanicOnce {
    target: String,
    fired: AtomicBool,
}

impl Middleware for PanicOnce {
    fn on_request(&self, request: &mut OutgoingRequest<'_>) -> Flow {
        if request.url().as_str() == self.target && !self.fired.swap(true, Ordering::SeqCst) {
            panic!("middleware blew up on {}", self.target);
        }
        Flow::Continue
    }
}

/// The dead worker held only the target, which never reached the server: with two workers
/// and two requests in flight at most, each worker holds one request, so the restart
/// re-queues the target alone and the other worker's request is left alone. The promise is
/// then exactly one request per URL at the server, the target's after the restart.
#[test]
fn a_panicking_middleware_kills_its_fetcher_which_is_restarted_and_nothing_is_lost() {
    let server = TestServer::start();
    let target = server.url("/site/5.html");
    let config = config(&server.url("/site/0.html"))
        .workers(2)
        .concurrency(2)
        .build()
        .unwrap();
    let report = Crawler::new(config, FollowAll)
        .middleware(PanicOnce {
            target: target.clone(),
            fired: AtomicBool::new(false),
        })
        .run()
        .unwrap();

    assert_eq!(report.restarts, 1, "{report}");
    let o = outcome(&report, &target);
    assert_eq!(o.kind, OutcomeKind::Fetched);
    assert_eq!(o.status, Some(200));
    assert_eq!(o.attempts, 2, "the lost attempt counts");
    // Full coverage, nothing lost, nothing fetched twice.
    for i in 0..SITE_PAGES {
        let path = format!("/site/{i}.html");
        assert_eq!(server.hits(&path), 1, "{path}");
        assert!(outcome(&report, &server.url(&path)).is_fetched(), "{path}");
    }
    assert_eq!(server.paths().len(), SITE_PAGES, "nothing else requested");
    assert_eq!(report.fetched, SITE_PAGES as u64);
    assert_eq!(report.failed, 0);
    assert_eq!(report.retries, 1, "only the target was re-queued");
    assert_eq!(report.requests, SITE_PAGES as u64 + 1);
    assert_eq!(report.stop_reason, StopReason::Completed);
    assert_books_balance(&report, &server);
    assert_reached(
        &report,
        &server,
        on_host0((0..SITE_PAGES).map(|i| format!("/site/{i}.html"))),
    );
    assert_eq!(
        report.outcomes.len(),
        SITE_PAGES + 1,
        "pages + off-host link"
    );
}

/// Panics in `on_response` for answers to `path`: the request was sent and answered (the
/// server saw it) when the worker dies. Panics `times` times, then lets answers through.
struct PanicOnAnswer {
    path: &'static str,
    times: usize,
    panics: Arc<AtomicUsize>,
}

impl Middleware for PanicOnAnswer {
    fn on_response(&self, response: &ResponseView<'_>) -> ResponseAction {
        if response.request().url().path() == self.path
            && self.panics.fetch_add(1, Ordering::SeqCst) < self.times
        {
            panic!("middleware blew up on the answer for {}", self.path);
        }
        ResponseAction::Default
    }
}

/// A worker that dies with a request on the wire: the server has seen the request (and
/// answered it) but the crawler never got the result. The promise: the request is sent
/// again, as a retry, so the server sees it at most `1 + retries` times, and the URL ends
/// with one outcome. The `/depth/` chain keeps one request in flight at a time, so no
/// other request dies with it and every other page is requested exactly once.
#[test]
fn a_worker_dying_with_a_request_on_the_wire_refetches_it_within_the_retries() {
    let run = |times: usize| {
        let server = TestServer::start();
        let panics = Arc::new(AtomicUsize::new(0));
        let config = config(&server.url("/depth/0.html"))
            .retries(2)
            .max_depth(3)
            .build()
            .unwrap();
        let report = Crawler::new(config, FollowAll)
            .middleware(PanicOnAnswer {
                path: "/depth/1.html",
                times,
                panics: panics.clone(),
            })
            .run()
            .unwrap();
        assert_books_balance(&report, &server);
        (server, report)
    };

    // Dies once: the answer is lost with the worker, the retry gets the page.
    let (server, report) = run(1);
    assert_eq!(report.restarts, 1, "{report}");
    assert_eq!(
        server.hits("/depth/1.html"),
        2,
        "the lost answer and the retry"
    );
    let o = outcome(&report, &server.url("/depth/1.html"));
    assert_eq!(o.kind, OutcomeKind::Fetched);
    assert_eq!(o.attempts, 2);
    for n in [0, 2, 3] {
        assert_eq!(server.hits(&format!("/depth/{n}.html")), 1, "page {n}");
    }
    assert_eq!(report.fetched, 4);
    assert_eq!(report.retries, 1);
    assert_reached(
        &report,
        &server,
        on_host0((0..=3).map(|n| format!("/depth/{n}.html"))),
    );

    // Dies every time: sent 1 + 2 times, then the URL fails; its links are never known.
    let (server, report) = run(usize::MAX);
    assert_eq!(report.restarts, 3, "{report}");
    assert_eq!(
        server.hits("/depth/1.html"),
        3,
        "at most 1 + retries requests"
    );
    let o = outcome(&report, &server.url("/depth/1.html"));
    assert_eq!(o.kind, OutcomeKind::Failed(FetchError::WorkerDied));
    assert_eq!(o.attempts, 3);
    assert_eq!(server.hits("/depth/2.html"), 0);
    assert_eq!(server.paths().len(), 4, "{:?}", server.paths());
    assert_eq!(report.fetched, 1);
    assert_eq!(report.failed, 1);
}

/// Panics in `on_request` every time it sees `path`, and counts the panics.
struct AlwaysPanic {
    path: &'static str,
    panics: Arc<AtomicUsize>,
}

impl Middleware for AlwaysPanic {
    fn on_request(&self, request: &mut OutgoingRequest<'_>) -> Flow {
        if request.url().path() == self.path {
            self.panics.fetch_add(1, Ordering::SeqCst);
            panic!("middleware always fails on {}", self.path);
        }
        Flow::Continue
    }
}

#[test]
fn a_middleware_that_always_panics_fails_that_url_after_its_retries() {
    let server = TestServer::start();
    let panics = Arc::new(AtomicUsize::new(0));
    let config = config(&server.url("/depth/0.html"))
        .retries(2)
        .max_depth(3)
        .build()
        .unwrap();
    let report = Crawler::new(config, FollowAll)
        .middleware(AlwaysPanic {
            path: "/depth/3.html",
            panics: panics.clone(),
        })
        .run()
        .unwrap();

    let o = outcome(&report, &server.url("/depth/3.html"));
    assert_eq!(o.kind, OutcomeKind::Failed(FetchError::WorkerDied));
    assert_eq!(o.attempts, 3, "1 attempt + 2 retries");
    assert_eq!(panics.load(Ordering::SeqCst), 3);
    assert_eq!(report.restarts, 3, "{report}");
    assert_eq!(server.hits("/depth/3.html"), 0, "never sent");
    assert_eq!(report.fetched, 3);
    assert_eq!(report.failed, 1);
    assert_books_balance(&report, &server);
}

/// Sets the user agent and a header carrying the request's depth.
struct Headers;

impl Middleware for Headers {
    fn on_request(&self, request: &mut OutgoingRequest<'_>) -> Flow {
        let depth = request.request().depth().to_string();
        request
            .set_header("user-agent", "hooked-agent/1.0")
            .unwrap();
        request.set_header("x-test-depth", &depth).unwrap();
        // (A header that is not valid HTTP fails the request: tests/bad_input.rs.)
        Flow::Continue
    }
}

#[test]
fn a_middleware_sets_request_headers() {
    let server = TestServer::start();
    let config = config(&server.url("/depth/0.html"))
        .user_agent("config-agent/2.0")
        .max_depth(2)
        .build()
        .unwrap();
    let report = Crawler::new(config, FollowAll)
        .middleware(Headers)
        .run()
        .unwrap();

    assert_eq!(report.fetched, 3);
    let hits = server.hits_full();
    assert_eq!(hits.len(), 3);
    for h in &hits {
        assert_eq!(
            h.user_agent.as_deref(),
            Some("hooked-agent/1.0"),
            "{}",
            h.path
        );
        let uas = h.headers.iter().filter(|(k, _)| k == "user-agent").count();
        assert_eq!(uas, 1, "the hook replaces the default: {:?}", h.headers);
        let depth: Vec<&str> = h
            .headers
            .iter()
            .filter(|(k, _)| k == "x-test-depth")
            .map(|(_, v)| v.as_str())
            .collect();
        let n = h
            .path
            .trim_start_matches("/depth/")
            .trim_end_matches(".html");
        assert_eq!(depth, vec![n], "{}", h.path);
    }
    assert_books_balance(&report, &server);
}

#[test]
fn the_configured_user_agent_is_sent() {
    let server = TestServer::start();
    let config = config(&server.url("/depth/19.html"))
        .user_agent("config-agent/2.0")
        .build()
        .unwrap();
    let report = Crawler::new(config, FollowAll).run().unwrap();

    assert_eq!(report.fetched, 2);
    let log = server.log();
    assert_eq!(log.len(), 2);
    for (_, path, ua) in &log {
        assert_eq!(ua.as_deref(), Some("config-agent/2.0"), "{path}");
    }
}

/// Applies `action` to the first answer for `path`, and records every answer it sees.
struct OnResponse {
    path: &'static str,
    action: ResponseAction,
    fired: AtomicBool,
    seen: Arc<Mutex<Vec<(String, u16, usize)>>>,
}

impl OnResponse {
    fn new(path: &'static str, action: ResponseAction) -> Self {
        OnResponse {
            path,
            action,
            fired: AtomicBool::new(false),
            seen: Arc::default(),
        }
    }
}

impl Middleware for OnResponse {
    fn on_response(&self, response: &ResponseView<'_>) -> ResponseAction {
        let path = response.request().url().path().to_string();
        self.seen
            .lock()
            .unwrap()
            .push((path.clone(), response.status(), response.body().len()));
        if path == self.path && !self.fired.swap(true, Ordering::SeqCst) {
            return self.action;
        }
        ResponseAction::Default
    }
}

#[test]
fn on_response_retry_refetches_a_200_page_once() {
    let server = TestServer::start();
    let hook = OnResponse::new("/depth/1.html", ResponseAction::Retry);
    let seen = hook.seen.clone();
    let config = config(&server.url("/depth/0.html"))
        .max_depth(2)
        .build()
        .unwrap();
    let report = Crawler::new(config, FollowAll)
        .middleware(hook)
        .run()
        .unwrap();

    let o = outcome(&report, &server.url("/depth/1.html"));
    assert_eq!(o.kind, OutcomeKind::Fetched);
    assert_eq!(o.status, Some(200));
    assert_eq!(o.attempts, 2);
    assert_eq!(server.hits("/depth/1.html"), 2);
    assert_eq!(server.hits("/depth/2.html"), 1);
    assert_eq!(report.retries, 1);
    assert_eq!(report.requests, 4);
    // The hook saw every answer, body included.
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 4);
    assert!(
        seen.iter()
            .all(|(_, status, len)| *status == 200 && *len > 0)
    );
    assert_books_balance(&report, &server);
}

#[test]
fn on_response_fail_and_accept() {
    let server = TestServer::start();
    let config = config(&server.url("/depth/20.html"))
        .seed(server.url("/always500"))
        .build()
        .unwrap();
    let report = Crawler::new(config, FollowAll)
        .middleware(OnResponse::new("/depth/20.html", ResponseAction::Fail))
        .middleware(OnResponse::new("/always500", ResponseAction::Accept))
        .run()
        .unwrap();

    let failed = outcome(&report, &server.url("/depth/20.html"));
    assert_eq!(failed.kind, OutcomeKind::Failed(FetchError::Rejected));
    assert_eq!(failed.status, Some(200));
    let accepted = outcome(&report, &server.url("/always500"));
    assert_eq!(accepted.kind, OutcomeKind::Fetched, "accepted as it is");
    assert_eq!(accepted.status, Some(500));
    assert_eq!(accepted.attempts, 1, "not retried");
    assert_eq!(server.hits("/always500"), 1);
    assert_eq!(server.hits("/from-500.html"), 0);
    assert_books_balance(&report, &server);
}

/// Skips (or stops at) requests whose path is `path`.
struct SkipPath(&'static str, Flow);

impl Middleware for SkipPath {
    fn on_request(&self, request: &mut OutgoingRequest<'_>) -> Flow {
        if request.url().path() == self.0 {
            self.1
        } else {
            Flow::Continue
        }
    }
}

#[test]
fn on_request_skip_records_a_middleware_skip() {
    let server = TestServer::start();
    let config = config(&server.url("/depth/0.html")).build().unwrap();
    let report = Crawler::new(config, FollowAll)
        .middleware(SkipPath("/depth/2.html", Flow::Skip))
        .run()
        .unwrap();

    let o = outcome(&report, &server.url("/depth/2.html"));
    assert_eq!(o.kind, OutcomeKind::Skipped(SkipReason::Middleware));
    assert_eq!(server.hits("/depth/2.html"), 0);
    assert_eq!(server.hits("/depth/3.html"), 0);
    assert_eq!(server.paths().len(), 2);
    assert_eq!(report.fetched, 2);
    assert_eq!(
        report.skipped_by_reason.get(&SkipReason::Middleware),
        Some(&1)
    );
    assert_eq!(report.stop_reason, StopReason::Completed);
    assert_books_balance(&report, &server);
}

#[test]
fn on_request_stop_winds_the_crawl_down() {
    let server = TestServer::start();
    let config = config(&server.url("/site/0.html"))
        .per_host_concurrency(2)
        .build()
        .unwrap();
    let report = Crawler::new(config, FollowAll)
        .middleware(SkipPath("/site/4.html", Flow::Stop))
        .run()
        .unwrap();

    assert_eq!(report.stop_reason, StopReason::Plugin, "{report}");
    let o = outcome(&report, &server.url("/site/4.html"));
    assert_eq!(o.kind, OutcomeKind::Skipped(SkipReason::Middleware));
    assert_eq!(server.hits("/site/4.html"), 0);
    assert!(report.fetched < SITE_PAGES as u64 / 2, "{report}");
    assert!(
        report.skipped_by_reason.contains_key(&SkipReason::Stopped),
        "{report}"
    );
    assert_eq!(server.paths().len() as u64, report.fetched);
    assert_books_balance(&report, &server);
}
