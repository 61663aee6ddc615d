//! The loopback test server and helpers shared by the integration tests.
//!
//! [`TestServer`] is a real actix-web server on `127.0.0.1:0`, run on its own thread with
//! its own `actix_rt::System`, so plain `#[test]` functions can crawl it. Every request is
//! logged (arrival time, path with query, user agent, headers) before it is routed, so a
//! test can check what the crawler really sent, not only what the crawler reports. The
//! routes (in `routes.rs`) are named behaviours (Scrapy's mockserver, colly's `httptest` mux):
//!
//! | route | behaviour |
//! |---|---|
//! | `/site/{i}.html` | [`SITE_PAGES`] pages; links listed by [`site_links`], plus an off-host and a `mailto:` link |
//! | `/depth/{n}.html` | linear chain n → n+1, up to [`DEPTH_LAST`] |
//! | `/fan/{i}.html`, `/slow/{i}.html` | page 0 links to 1..[`FAN_PAGES`]; `/slow/` answers after [`SLOW_DELAY`] |
//! | `/base/index.html` | `<base href="/base/sub/">`, links `a.html` and `/base/abs.html` |
//! | `/rel/dir/page.html` | links `../up.html`, `./same.html`, `child/c.html` |
//! | `/redirect/chain/{n}` | 302 to `chain/{n-1}`; `chain/0` is a 200 page |
//! | `/redirect/loop/{a,b}` | 302 to each other |
//! | `/redirect/off` | 301 to [`OFFSITE_REDIRECT`] |
//! | `/redirect/rel` | 301 with the relative Location `target.html` |
//! | `/redirect/nolocation` | 302 without Location |
//! | `/flaky/{id}` | 503 on the first request per id, then 200 |
//! | `/throttle/{id}` | 429 + `Retry-After: 1` on the first request per id, then 200 |
//! | `/always500` | 500, always |
//! | `/notfound` | 404 with an HTML body full of links (never to be followed) |
//! | `/stall` | answers after 30 s |
//! | `/stall-once/{id}` | the first request per id answers after 30 s, later ones at once |
//! | `/drip` | 200, then 1 byte every 200 ms, 100 bytes |
//! | `/drip-once/{id}` | the first request per id drips like `/drip`, later ones answer at once |
//! | `/huge` | 64 MiB streamed in 64 KiB chunks, counted in [`TestServer::huge_bytes_sent`] |
//! | `/panic.html` | a page the test spiders panic on, linking to `/after-panic.html` |
//! | `/json`, `/img.png` | non-HTML bodies that contain `<a href>` text |
//! | `/linkto?u=URL&u=URL` | an HTML page linking to each `u` |
//! | `/long.html` | links to [`LONG_LINK`] (over 200 characters) and `/depth/20.html` |
//! | `/encoded/{enc}.html` | compressed with Content-Encoding `enc` (gzip, deflate, br), linking to the next of [`ENCODINGS`] |
//!
//! | anything set with [`TestServer::serve`] | that canned [`Reply`] (robots.txt, sitemaps ...) |
//! | anything else | 404, so `/robots.txt` is missing unless served |
//!
//! [`TestServer::start_hosts`] serves the same routes on several ports at once: each port is
//! a host of its own for the crawler (its politeness key is scheme, host and port), while
//! the server keeps one log and counts requests in flight both per port and over all ports,
//! so a test can read per-host and global concurrency as the server saw them.
//!
//! The crawler asks for `/robots.txt` before anything else on a host (unless told not
//! to), so the log accessors that tests compare with expected paths ([`TestServer::paths`],
//! [`TestServer::log`], [`TestServer::hits_full`]) leave it out, after checking that it
//! came at most once per host and before anything else on that host;
//! [`TestServer::all_hits`] has every request.
//!
//! [`assert_books_balance`] checks a report against this log, an account the crawler does
//! not keep: every URL the server was asked for has exactly one outcome, no outcome claims
//! an answer the server never gave, and nothing skipped was ever sent.
//! [`assert_reached`] checks the log against the set of pages a test knows to be reachable.
//!
//! Nothing here listens on or links to an address outside 127.0.0.0/8: the off-host
//! targets are `127.0.0.254:9`, where nothing listens, so a request to them fails locally.
// Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]
// `pub` shares these items with the test files; the module itself is private to each test crate.
#![allow(unreachable_pub)]

mod checks;
pub mod raw;
mod routes;

// Not every test file uses the crawl helpers.
#[allow(unused_imports)]
pub use checks::*;

// Not every test file uses the site graph.
#[allow(unused_imports)]
pub use routes::{ENCODINGS, site_links, site_reachable, site_title};

use actix_web::dev::Service;
use actix_web::http::header;
use actix_web::{App, HttpServer, web};
use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Pages of the generated site.
pub const SITE_PAGES: usize = 300;
/// The last page of the `/depth/` chain.
pub const DEPTH_LAST: usize = 20;
/// Pages of `/fan/` and `/slow/` (page 0 links to all the others).
pub const FAN_PAGES: usize = 20;
/// How long a `/slow/` page takes to answer.
pub const SLOW_DELAY: Duration = Duration::from_millis(30);
/// How long `/stall` takes to answer: far beyond any test's request timeout.
pub const STALL: Duration = Duration::from_secs(30);
/// Bytes `/drip` sends, one per [`DRIP_EVERY`].
pub const DRIP_BYTES: usize = 100;
/// The pause between two bytes of `/drip`.
pub const DRIP_EVERY: Duration = Duration::from_millis(200);
/// What `/huge` would send in full.
pub const HUGE_TOTAL: u64 = 64 * 1024 * 1024;
/// The size of one `/huge` chunk.
pub const HUGE_CHUNK: usize = 64 * 1024;
/// The off-host link on every site page (nothing listens there).
pub const OFFSITE_LINK: &str = "http://127.0.0.254:9/offsite.html";
/// Where `/redirect/off` points (nothing listens there).
pub const OFFSITE_REDIRECT: &str = "http://127.0.0.254:9/x";

/// A long link (a padded query) found on `/long.html`.
pub const LONG_LINK: &str = "/depth/20.html?pad=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

/// Slack allowed on timing assertions: loopback latency, thread wake-ups and the
/// scheduler's timer granularity can shift an observed gap by a few milliseconds either way.
pub const TIMING_TOLERANCE: Duration = Duration::from_millis(15);

/// The base delay of the retry policy every test uses, so retries cost milliseconds.
pub const TEST_BASE_DELAY: Duration = Duration::from_millis(50);

/// The path the crawler asks first on every host.
pub const ROBOTS: &str = "/robots.txt";

/// A canned answer for [`TestServer::serve`].
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status of a normal answer.
    pub status: u16,
    /// Extra headers, Content-Type included.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// How many first requests get `fail_status` (and an empty body) instead.
    pub fail_first: u32,
    /// The status of those failing answers.
    pub fail_status: u16,
}

impl Reply {
    /// A 200 answer with this Content-Type and body.
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            fail_first: 0,
            fail_status: 503,
        }
    }

    /// A 200 `text/plain` answer (a robots.txt).
    pub fn text(body: &str) -> Reply {
        Reply::ok("text/plain; charset=utf-8", body)
    }

    /// An answer with this status and an empty body.
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            ..Reply::ok("text/plain", "")
        }
    }

    /// A redirect to `location`.
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::status(status).header("location", location)
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Answers the first `n` requests with `status` before answering normally.
    pub fn failing_first(mut self, n: u32, status: u16) -> Reply {
        self.fail_first = n;
        self.fail_status = status;
        self
    }
}

/// One logged request.
#[derive(Debug, Clone)]
pub struct Hit {
    /// When the request arrived.
    pub at: Instant,
    /// The index of the host (listening port) it arrived on: 0 unless several were started.
    pub host: usize,
    /// Path and query, e.g. `/site/3.html` or `/linkto?u=/json`.
    pub path: String,
    /// The User-Agent header, if any.
    pub user_agent: Option<String>,
    /// Every header, lowercase names.
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Default)]
struct State {
    /// The listening ports, host 0 first.
    ports: Vec<u16>,
    log: Mutex<Vec<Hit>>,
    seen_ids: Mutex<HashMap<String, u32>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// Requests in flight on each host, and the most there ever were.
    host_in_flight: Vec<AtomicUsize>,
    host_max_in_flight: Vec<AtomicUsize>,
    huge_sent: AtomicU64,
    files: Mutex<HashMap<String, Reply>>,
}

impl State {
    /// The index of the host whose port this is (0 for an unknown port).
    fn host_of(&self, port: u16) -> usize {
        self.ports.iter().position(|p| *p == port).unwrap_or(0)
    }

    /// Counts a request in, on its host and over all hosts; returns its host.
    fn enter(&self, port: u16) -> usize {
        let host = self.host_of(port);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let now = self.host_in_flight[host].fetch_add(1, Ordering::SeqCst) + 1;
        self.host_max_in_flight[host].fetch_max(now, Ordering::SeqCst);
        host
    }

    /// Counts a request out (its response head is ready).
    fn leave(&self, host: usize) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.host_in_flight[host].fetch_sub(1, Ordering::SeqCst);
    }

    fn record(&self, req: &actix_web::dev::ServiceRequest) {
        let path = match req.query_string() {
            "" => req.path().to_string(),
            q => format!("{}?{q}", req.path()),
        };
        let headers = req
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let user_agent = req
            .headers()
            .get(header::USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let hit = Hit {
            at: Instant::now(),
            host: self.host_of(req.app_config().local_addr().port()),
            path,
            user_agent,
            headers,
        };
        self.log.lock().unwrap().push(hit);
    }

    /// How many times `key` was requested before this request (0 the first time).
    fn count(&self, key: String) -> u32 {
        let mut m = self.seen_ids.lock().unwrap();
        let n = m.entry(key).or_default();
        *n += 1;
        *n - 1
    }
}

/// A loopback HTTP server with the named behaviours above; stops on drop.
#[derive(Debug)]
pub struct TestServer {
    /// The listening addresses, host 0 first.
    addrs: Vec<SocketAddr>,
    state: Arc<State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Binds `127.0.0.1:0` and starts serving on a thread of its own.
    pub fn start() -> TestServer {
        Self::start_with(|_| {})
    }

    /// [`start`](Self::start) with a test file's own routes, registered before the named ones
    /// (and logged like them).
    pub fn start_with(extra: fn(&mut web::ServiceConfig)) -> TestServer {
        Self::start_hosts(1, extra)
    }

    /// A server on `hosts` ports of 127.0.0.1, each a host of its own for the crawler, with
    /// one log and the same routes (a test file's own first) on every port.
    pub fn start_hosts(hosts: usize, extra: fn(&mut web::ServiceConfig)) -> TestServer {
        assert!(hosts >= 1);
        let listeners: Vec<TcpListener> = (0..hosts)
            .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0"))
            .collect();
        let addrs: Vec<SocketAddr> = listeners.iter().map(|l| l.local_addr().unwrap()).collect();
        let state = Arc::new(State {
            ports: addrs.iter().map(SocketAddr::port).collect(),
            host_in_flight: (0..hosts).map(|_| AtomicUsize::new(0)).collect(),
            host_max_in_flight: (0..hosts).map(|_| AtomicUsize::new(0)).collect(),
            ..State::default()
        });
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        let st = state.clone();
        let thread = std::thread::Builder::new()
            .name(format!("test-server-{}", addrs[0].port()))
            .spawn(move || {
                let system = actix_rt::System::new();
                system.block_on(async move {
                    let data = web::Data::from(st.clone());
                    let mut server = HttpServer::new(move || {
                        let st = st.clone();
                        App::new()
                            .app_data(data.clone())
                            .wrap_fn(move |req, srv| {
                                st.record(&req);
                                let host = st.enter(req.app_config().local_addr().port());
                                let fut = srv.call(req);
                                let st = st.clone();
                                async move {
                                    let res = fut.await;
                                    st.leave(host);
                                    res
                                }
                            })
                            .configure(extra)
                            .configure(routes::routes)
                    })
                    .workers(2)
                    .disable_signals()
                    // Bounds a graceful stop: `/stall` must not hold the test for 30 s.
                    .shutdown_timeout(1);
                    for listener in listeners {
                        server = match server.listen(listener) {
                            Ok(s) => s,
                            Err(e) => {
                                let _ = ready_tx.send(Err(e.to_string()));
                                return;
                            }
                        };
                    }
                    let server = server.run();
                    let handle = server.handle();
                    let running = actix_rt::spawn(server);
                    let _ = ready_tx.send(Ok(()));
                    // A dropped sender (a panicking test) stops the server as well.
                    let _ = stop_rx.await;
                    let _ =
                        actix_rt::time::timeout(Duration::from_secs(3), handle.stop(true)).await;
                    let _ = actix_rt::time::timeout(Duration::from_secs(1), running).await;
                });
            })
            .expect("spawn the server thread");
        ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the test server started in time")
            .expect("the test server could listen");
        TestServer {
            addrs,
            state,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// The absolute URL of `path` on this server (`path` starts with `/`); on host 0 when
    /// several were started.
    pub fn url(&self, path: &str) -> String {
        self.url_on(0, path)
    }

    /// The absolute URL of `path` on host `host`.
    pub fn url_on(&self, host: usize, path: &str) -> String {
        format!("http://{}{path}", self.addrs[host])
    }

    /// The server's address (host 0's).
    pub fn addr(&self) -> SocketAddr {
        self.addrs[0]
    }

    /// How many hosts (ports) this server listens on.
    pub fn hosts(&self) -> usize {
        self.addrs.len()
    }

    /// The host index of `url` if it is on this server.
    pub fn host_of_url(&self, url: &url::Url) -> Option<usize> {
        let on_loopback = url.host_str() == Some("127.0.0.1");
        let port = url.port_or_known_default()?;
        (on_loopback && url.scheme() == "http")
            .then(|| self.addrs.iter().position(|a| a.port() == port))
            .flatten()
    }

    /// Answers requests for exactly `path` with `reply` from now on.
    pub fn serve(&self, path: &str, reply: Reply) {
        self.state
            .files
            .lock()
            .unwrap()
            .insert(path.to_string(), reply);
    }

    /// Every request, `/robots.txt` included, in arrival order.
    pub fn all_hits(&self) -> Vec<Hit> {
        self.state.log.lock().unwrap().clone()
    }

    /// Every requested path, `/robots.txt` included, in arrival order.
    pub fn all_paths(&self) -> Vec<String> {
        self.all_hits().into_iter().map(|h| h.path).collect()
    }

    /// The requests other than `/robots.txt`, after checking that robots.txt, if it was
    /// asked for, was asked once per host and before anything else on that host.
    fn page_hits(&self) -> Vec<Hit> {
        let hits = self.all_hits();
        let paths = || hits.iter().map(|h| h.path.as_str()).collect::<Vec<_>>();
        for host in 0..self.hosts() {
            let on_host: Vec<&Hit> = hits.iter().filter(|h| h.host == host).collect();
            let robots: Vec<usize> = (on_host.iter().enumerate())
                .filter(|(_, h)| h.path == ROBOTS)
                .map(|(i, _)| i)
                .collect();
            assert!(
                robots.len() <= 1,
                "robots.txt asked {} times on host {host}: {:?}",
                robots.len(),
                paths()
            );
            assert!(
                robots.first().is_none_or(|&i| i == 0),
                "robots.txt asked after other paths on host {host}: {:?}",
                paths()
            );
        }
        hits.into_iter().filter(|h| h.path != ROBOTS).collect()
    }

    /// The request log without `/robots.txt` (see the module docs): arrival time, path
    /// (with query) and user agent.
    pub fn log(&self) -> Vec<(Instant, String, Option<String>)> {
        self.hits_full()
            .into_iter()
            .map(|h| (h.at, h.path, h.user_agent))
            .collect()
    }

    /// The request log without `/robots.txt` (see the module docs), with every header.
    pub fn hits_full(&self) -> Vec<Hit> {
        self.page_hits()
    }

    /// How many requests asked for exactly `path` (query included).
    pub fn hits(&self, path: &str) -> usize {
        self.state
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h.path == path)
            .count()
    }

    /// Every requested path but `/robots.txt` (see the module docs), in arrival order.
    pub fn paths(&self) -> Vec<String> {
        self.page_hits().into_iter().map(|h| h.path).collect()
    }

    /// Requests whose path starts with `prefix`, in arrival order.
    pub fn paths_under(&self, prefix: &str) -> Vec<String> {
        self.paths()
            .into_iter()
            .filter(|p| p.starts_with(prefix))
            .collect()
    }

    /// Arrival times of the requests for `path`.
    pub fn times(&self, path: &str) -> Vec<Instant> {
        self.state
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h.path == path)
            .map(|h| h.at)
            .collect()
    }

    /// The most requests the server was handling at once over all its hosts (from arrival
    /// until each response's head).
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    /// The most requests host `host` was handling at once.
    pub fn max_in_flight_on(&self, host: usize) -> usize {
        self.state.host_max_in_flight[host].load(Ordering::SeqCst)
    }

    /// The request log of host `host` without `/robots.txt`, in arrival order.
    pub fn hits_on(&self, host: usize) -> Vec<Hit> {
        (self.page_hits().into_iter())
            .filter(|h| h.host == host)
            .collect()
    }

    /// The bytes `/huge` actually handed out to the connection so far.
    pub fn huge_bytes_sent(&self) -> u64 {
        self.state.huge_sent.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            // Bounded: the server thread gives the graceful stop at most 3 s + 1 s.
            let _ = t.join();
        }
    }
}
