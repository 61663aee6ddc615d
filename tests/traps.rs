//! Crawler traps: sites that mint URLs without end, each stopped at its bound with its own skip
//! reason; and redirects that never end or carry a fragment. Each test crawls real loopback
//! servers, bounded in time, and checks their request logs.

mod common;

use actix_web::{HttpRequest, HttpResponse, web};
use common::*;
use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use trawler::{
    ConfigError, CrawlConfigBuilder, CrawlReport, Crawler, DEFAULT_MAX_QUERY_PARAMS, OutcomeKind,
    SkipReason,
};

/// Runs `f` on its own thread and fails the test if it takes more than `secs`.
fn bounded<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs))
        .expect("the crawl did not end in time")
}

/// Crawls `config` with [`FollowAll`], in at most a minute.
fn crawl(config: CrawlConfigBuilder) -> CrawlReport {
    let config = config.build().unwrap();
    bounded(60, move || Crawler::new(config, FollowAll).run().unwrap())
}

// ---------------------------------------------------------------------------------------
// Endless sites.

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/seg/{tail:.*}", web::get().to(seg))
        .route("/ab/{tail:.*}", web::get().to(ab))
        .route("/cal", web::get().to(calendar))
        .route("/grow/{n}", web::get().to(grow));
}

fn html(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// Every `/seg/...` page links `x/`: a directory deeper on every visit.
async fn seg() -> HttpResponse {
    html("<a href=\"x/\">deeper</a>".into())
}

/// Every `/ab/...` page links `a/b/`: a two-segment loop.
async fn ab() -> HttpResponse {
    html("<a href=\"a/b/\">round again</a>".into())
}

/// `/cal?m=N` links the months before and after: a calendar without end.
async fn calendar(req: HttpRequest) -> HttpResponse {
    let m: i64 = req
        .query_string()
        .strip_prefix("m=")
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    html(format!(
        "<a href=\"/cal?m={}\">prev</a><a href=\"/cal?m={}\">next</a>",
        m - 1,
        m + 1
    ))
}

/// `/grow/N` redirects to `/grow/N+1`, forever.
async fn grow(n: web::Path<u64>) -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("location", format!("/grow/{}", n.into_inner() + 1)))
        .finish()
}

/// The JSON word of `url`'s skip reason.
fn reason_word(report: &CrawlReport, url: &str) -> String {
    let o = outcome(report, url);
    let json = serde_json::to_value(o).unwrap();
    assert_eq!(json["outcome"], "skipped", "{json}");
    json["reason"].as_str().unwrap().to_string()
}

#[test]
fn a_directory_that_grows_on_every_visit_is_cut_at_the_third_repeat() {
    let server = TestServer::start_with(routes);
    let report = crawl(config(&server.url("/seg/")));

    assert_eq!(server.paths(), ["/seg/", "/seg/x/", "/seg/x/x/"]);
    let cut = server.url("/seg/x/x/x/");
    assert_eq!(
        outcome(&report, &cut).kind,
        OutcomeKind::Skipped(SkipReason::RepeatedSegments)
    );
    assert_eq!(reason_word(&report, &cut), "repeated_segments");
    assert_eq!(report.accepted(), 4);
    assert_books_balance(&report, &server);
}

#[test]
fn a_segment_loop_is_cut_and_the_bound_is_configurable() {
    let server = TestServer::start_with(routes);
    let report = crawl(config(&server.url("/ab/")));
    assert_eq!(server.paths(), ["/ab/", "/ab/a/b/", "/ab/a/b/a/b/"]);
    assert_eq!(
        outcome(&report, &server.url("/ab/a/b/a/b/a/b/")).kind,
        OutcomeKind::Skipped(SkipReason::RepeatedSegments)
    );

    // With the check off, only the depth limit is left to stop it.
    let server = TestServer::start_with(routes);
    let report = crawl(
        config(&server.url("/ab/"))
            .max_segment_repeats(usize::MAX)
            .max_depth(4),
    );
    assert_eq!(server.paths().len(), 5, "{:?}", server.paths());
    let deepest = server.url(&format!("/ab/{}", "a/b/".repeat(5)));
    assert_eq!(
        outcome(&report, &deepest).kind,
        OutcomeKind::Skipped(SkipReason::Depth)
    );
    assert_books_balance(&report, &server);
}

#[test]
fn an_endless_calendar_is_cut_at_its_query_variants() {
    let server = TestServer::start_with(routes);
    // One request at a time, so "breadth-first" is an exact order.
    let report = crawl(
        config(&server.url("/cal?m=0"))
            .max_query_variants(5)
            .workers(1)
            .concurrency(1),
    );

    // m = 0 (the seed), then its neighbours breadth-first: -1, 1, -2, 2, then the allowance
    // of 5 variants of /cal is spent.
    let mut fetched = server.paths();
    fetched.sort();
    assert_eq!(
        fetched,
        ["/cal?m=-1", "/cal?m=-2", "/cal?m=0", "/cal?m=1", "/cal?m=2"]
    );
    let over = report
        .outcomes
        .iter()
        .filter(|o| o.skip_reason() == Some(SkipReason::QueryVariants))
        .count();
    assert_eq!(over, 2, "m = -3 and m = 3");
    assert_eq!(
        reason_word(&report, &server.url("/cal?m=3")),
        "query_variants"
    );
    assert_eq!(
        report.skipped_by_reason.get(&SkipReason::QueryVariants),
        Some(&2)
    );
    assert_books_balance(&report, &server);
}

#[test]
fn a_query_with_too_many_parameters_is_skipped() {
    let server = TestServer::start_with(routes);
    let params = |n: usize| {
        (0..n)
            .map(|i| format!("p{i}={i}"))
            .collect::<Vec<_>>()
            .join("&")
    };
    let ok = format!("/depth/20.html?{}", params(DEFAULT_MAX_QUERY_PARAMS));
    let over = format!("/depth/20.html?{}", params(DEFAULT_MAX_QUERY_PARAMS + 1));
    let report = crawl(config(&link_page(&server, &[&ok, &over])));

    assert_eq!(server.hits(&ok), 1);
    assert_eq!(server.hits(&over), 0);
    assert_eq!(
        outcome(&report, &server.url(&over)).kind,
        OutcomeKind::Skipped(SkipReason::QueryParams)
    );
    assert_eq!(reason_word(&report, &server.url(&over)), "query_params");

    // 0 allows no query at all: the seed itself (a `/linkto?` page) is skipped.
    let server = TestServer::start_with(routes);
    let seed = link_page(&server, &[&ok]);
    let report = crawl(config(&seed).max_query_params(0));
    assert!(server.paths().is_empty());
    assert_eq!(
        outcome(&report, &seed).kind,
        OutcomeKind::Skipped(SkipReason::QueryParams)
    );
    assert_books_balance(&report, &server);
}

#[test]
fn each_host_gets_at_most_its_page_budget() {
    const BUDGET: u64 = 10;
    let a = TestServer::start();
    let b = TestServer::start();
    let seed = link_page(&a, &[&a.url("/site/0.html"), &b.url("/site/0.html")]);
    let report = crawl(
        config(&seed)
            .allow_host(a.addr().to_string())
            .allow_host(b.addr().to_string())
            .max_pages_per_host(BUDGET),
    );

    assert_eq!(
        a.paths().len() as u64,
        BUDGET,
        "the seed counts: {:?}",
        a.paths()
    );
    assert_eq!(b.paths().len() as u64, BUDGET, "{:?}", b.paths());
    let skipped = report
        .skipped_by_reason
        .get(&SkipReason::HostPageLimit)
        .copied()
        .unwrap_or(0);
    assert!(skipped > 0, "{report}");
    let o = report
        .outcomes
        .iter()
        .find(|o| o.skip_reason() == Some(SkipReason::HostPageLimit))
        .unwrap();
    assert_eq!(reason_word(&report, o.url.as_str()), "host_page_limit");
    assert_eq!(report.fetched, 2 * BUDGET);
    assert_books_balance(&report, &a);
    assert_books_balance(&report, &b);
}

#[test]
fn a_segment_bound_below_two_is_a_config_error() {
    for n in [0, 1] {
        let err = config("http://127.0.0.1:9/")
            .max_segment_repeats(n)
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            ConfigError::TooSmall {
                field: "max_segment_repeats",
                min: 2
            }
        );
    }
}

// ---------------------------------------------------------------------------------------
// Redirects.

#[test]
fn a_redirect_chain_that_never_ends_stops_at_max_redirects() {
    let server = TestServer::start_with(routes);
    let report = crawl(config(&server.url("/grow/0")).max_redirects(4));

    assert_eq!(
        server.paths(),
        ["/grow/0", "/grow/1", "/grow/2", "/grow/3", "/grow/4"]
    );
    let cut = server.url("/grow/5");
    assert_eq!(
        outcome(&report, &cut).kind,
        OutcomeKind::Skipped(SkipReason::RedirectLimit)
    );
    assert_eq!(reason_word(&report, &cut), "redirect_limit");
    assert_books_balance(&report, &server);
}

/// A bare HTTP/1.1 server (keep-alive, `Content-Length` bodies) that records every request
/// line exactly as it came over the wire, which a framework would have parsed and cleaned.
struct RawServer {
    addr: std::net::SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl RawServer {
    fn start(respond: fn(&str) -> String) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log, done) = (lines.clone(), stop.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let log = log.clone();
                        std::thread::spawn(move || serve_connection(stream, &log, respond));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        RawServer { addr, lines, stop }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Request lines, robots.txt left out.
    fn lines(&self) -> Vec<String> {
        let lines = self.lines.lock().unwrap();
        lines
            .iter()
            .filter(|l| !l.contains("/robots.txt"))
            .cloned()
            .collect()
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn serve_connection(
    mut stream: std::net::TcpStream,
    log: &Mutex<Vec<String>>,
    respond: fn(&str) -> String,
) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut pending = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end]).into_owned();
            pending.drain(..end + 4);
            let line = head.lines().next().unwrap_or("").to_string();
            let target = line.split(' ').nth(1).unwrap_or("").to_string();
            log.lock().unwrap().push(line);
            if stream.write_all(respond(&target).as_bytes()).is_err() {
                return;
            }
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => pending.extend_from_slice(&buf[..n]),
        }
    }
}

fn raw_response(status: &str, extra: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\n{extra}content-length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn fragment_site(target: &str) -> String {
    match target {
        "/frag/start" => raw_response("302 Found", "location: /frag/target.html#section\r\n", ""),
        "/frag/target.html" => raw_response(
            "200 OK",
            "",
            "<a href=\"other.html#x\">other</a><a href=\"#top\">top</a><a href=\"/frag/start#again\">again</a>",
        ),
        "/frag/other.html" => raw_response("200 OK", "", "no links"),
        _ => raw_response("404 Not Found", "", ""),
    }
}

#[test]
fn a_fragment_never_goes_on_the_wire() {
    let server = RawServer::start(fragment_site);
    let report = crawl(config(&server.url("/frag/start")));

    assert_eq!(
        server.lines(),
        [
            "GET /frag/start HTTP/1.1",
            "GET /frag/target.html HTTP/1.1",
            "GET /frag/other.html HTTP/1.1"
        ]
    );
    let start = outcome(&report, &server.url("/frag/start"));
    assert_eq!(start.status, Some(302));
    assert_eq!(
        start.redirected_to.as_ref().map(|u| u.as_str()),
        Some(server.url("/frag/target.html").as_str())
    );
    assert!(report.outcomes.iter().all(|o| o.url.fragment().is_none()));
    assert_eq!(report.fetched, 3);
    // The request lines above are this server's log.
    assert_outcomes_unique(&report);
}
