//! Real servers on 127.0.0.x, spoken to over plain `TcpStream`s. Every read has a timeout
//! and every stalling fault a short `stall_for`, so no test can hang.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::{addr_of, get, parse};
use crate::{Faults, Latency, SiteSpec, Testbed};

const T: Duration = Duration::from_secs(5);

fn small() -> SiteSpec {
    SiteSpec {
        pages: 200,
        page_bytes: 4_000,
        ..SiteSpec::default()
    }
}

fn faulty(faults: Faults) -> Testbed {
    Testbed::start(SiteSpec { faults, ..small() }).unwrap()
}

#[test]
fn serves_pages_assets_robots_sitemaps_and_counts_them() {
    let tb = Testbed::start(small()).unwrap();
    assert_eq!(tb.url().host_str(), Some("127.0.0.1"));
    assert_eq!(tb.reachable_pages(), 200);
    let index = get(&tb.url(), "/", T).unwrap();
    assert_eq!(index.status, 200);
    assert_eq!(
        index.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(
        index
            .header("content-length")
            .unwrap()
            .parse::<usize>()
            .unwrap(),
        index.body.len()
    );
    let page = tb.expected_urls()[7].clone();
    assert_eq!(get(&tb.url(), page.path(), T).unwrap().status, 200);
    assert_eq!(get(&tb.url(), page.path(), T).unwrap().status, 200);
    assert_eq!(
        get(&tb.url(), "/trap/script-3.html", T).unwrap().status,
        404
    );
    assert_eq!(get(&tb.url(), "/nope.html", T).unwrap().status, 404);
    let unreachable = tb.unreachable_urls();
    assert_eq!(unreachable.len(), 5);
    assert_eq!(
        get(&tb.url(), unreachable[0].path(), T).unwrap().status,
        200
    );
    let png = get(&tb.url(), "/assets/3.png", T).unwrap();
    assert_eq!(
        (png.status, png.header("content-type")),
        (200, Some("image/png"))
    );
    let robots = String::from_utf8(get(&tb.url(), "/robots.txt", T).unwrap().body).unwrap();
    assert!(
        robots.contains(&format!("Sitemap: {}sitemap.xml", tb.url())),
        "{robots}"
    );
    let sitemap = get(&tb.url(), "/sitemap.xml", T).unwrap();
    assert!(
        sitemap
            .header("content-type")
            .unwrap()
            .starts_with("application/xml")
    );
    assert_eq!(get(&tb.url(), "/sitemap-0.xml", T).unwrap().status, 200);

    let s = tb.stats();
    assert_eq!(s.requests, 10);
    assert_eq!(
        (
            s.pages_hit,
            s.pages_served,
            s.page_requests,
            s.duplicate_page_requests
        ),
        (2, 2, 3, 1)
    );
    assert_eq!((s.trap_hits, s.not_found, s.unreachable_hits), (1, 1, 1));
    assert_eq!(
        (
            s.asset_hits,
            s.robots_hits,
            s.sitemap_hits,
            s.faults_injected
        ),
        (1, 1, 2, 0)
    );
    assert_eq!(s.missing_pages(), 198);
    assert!(s.bytes > index.body.len() as u64);
    tb.reset_stats();
    assert_eq!(tb.stats().requests, 0);
    tb.stop();
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let tb = Testbed::start(small()).unwrap();
    let mut stream = TcpStream::connect(addr_of(&tb.url())).unwrap();
    stream.set_read_timeout(Some(T)).unwrap();
    for path in ["/", "/assets/site.css"] {
        write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        let mut raw = Vec::new();
        let mut buf = vec![0u8; 65536];
        // Read until the announced body is complete.
        let response = loop {
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0, "connection closed");
            raw.extend_from_slice(&buf[..n]);
            if let Some(r) = parse(&raw)
                && r.header("content-length").and_then(|v| v.parse().ok()) == Some(r.body.len())
            {
                break r;
            }
        };
        assert_eq!(response.status, 200);
    }
    assert_eq!(tb.stats().requests, 2);
}

#[test]
fn status_faults_answer_once_then_the_page_is_served() {
    let tb = faulty(Faults {
        status_5xx: 0.5,
        status_429: 0.5,
        ..Faults::default()
    });
    let (mut s5, mut s429) = (0, 0);
    for url in tb.expected_urls().iter().take(20) {
        let first = get(&tb.url(), url.path(), T).unwrap();
        match first.status {
            500 | 503 => s5 += 1,
            429 => {
                s429 += 1;
                assert_eq!(first.header("retry-after"), Some("1"));
            }
            other => panic!("{url}: {other}"),
        }
        assert_eq!(
            get(&tb.url(), url.path(), T).unwrap().status,
            200,
            "{url} after its fault"
        );
    }
    assert!(s5 > 0 && s429 > 0);
    let s = tb.stats();
    assert_eq!(
        (s.faults_injected, s.pages_served, s.duplicate_page_requests),
        (20, 20, 0)
    );
}

#[test]
fn reset_and_stall_end_the_connection_without_an_answer() {
    let tb = faulty(Faults {
        reset: 1.0,
        repeats: 2,
        ..Faults::default()
    });
    let started = Instant::now();
    assert!(get(&tb.url(), "/", T).is_err());
    assert!(get(&tb.url(), "/", T).is_err());
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(get(&tb.url(), "/", T).unwrap().status, 200);
    let s = tb.stats();
    assert_eq!(
        (s.faults_injected, s.pages_served, s.page_requests),
        (2, 1, 3)
    );

    let stall_for = Duration::from_millis(300);
    let tb = faulty(Faults {
        stall: 1.0,
        stall_for,
        ..Faults::default()
    });
    let started = Instant::now();
    assert!(get(&tb.url(), "/", T).is_err());
    assert!(started.elapsed() >= stall_for);
    assert_eq!(get(&tb.url(), "/", T).unwrap().status, 200);
}

#[test]
fn slow_body_sends_the_head_then_trickles() {
    let tb = faulty(Faults {
        slow_body: 1.0,
        ..Faults::default()
    });
    let mut stream = TcpStream::connect(addr_of(&tb.url())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    write!(stream, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let until = Instant::now() + Duration::from_millis(700);
    while Instant::now() < until {
        if let Ok(n) = stream.read(&mut buf) {
            raw.extend_from_slice(&buf[..n]);
        }
    }
    let r = parse(&raw).expect("the head arrives at once");
    assert_eq!(r.status, 200);
    let len: usize = r.header("content-length").unwrap().parse().unwrap();
    assert!(
        !r.body.is_empty() && r.body.len() < 400 && r.body.len() < len,
        "{} of {len}",
        r.body.len()
    );
}

#[test]
fn each_host_listens_on_its_own_loopback_address() {
    let tb = Testbed::start(SiteSpec {
        hosts: 2,
        ..small()
    })
    .unwrap();
    let urls = tb.host_urls();
    assert_eq!(urls[1].host_str(), Some("127.0.0.2"));
    assert_eq!(tb.reachable_pages(), 400);
    let index = String::from_utf8(get(&urls[1], "/", T).unwrap().body).unwrap();
    assert!(
        index.contains(&format!("href=\"{}\"", tb.url())),
        "host 1 must link to host 0"
    );
    let s = tb.stats();
    assert_eq!((s.per_host[0].requests, s.per_host[1].pages_hit), (0, 1));
}

#[test]
fn log_records_status_and_latency_is_applied() {
    let spec = SiteSpec {
        record_log: true,
        latency: Latency::Fixed(Duration::from_millis(150)),
        ..small()
    };
    let tb = Testbed::start(spec).unwrap();
    let started = Instant::now();
    get(&tb.url(), "/", T).unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));
    get(&tb.url(), "/missing", T).unwrap();
    let log = tb.log();
    assert_eq!(
        log.iter()
            .map(|e| (e.path.as_str(), e.status))
            .collect::<Vec<_>>(),
        [("/", 200), ("/missing", 404)]
    );
    assert!(log[0].at <= log[1].at);
    assert!(Testbed::start(small()).unwrap().log().is_empty());
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let tb = Testbed::start(small()).unwrap();
    let port = tb.url().port().unwrap();
    let err = Testbed::start(SiteSpec { port, ..small() }).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

#[test]
fn runs_inside_an_actix_system_and_stops_in_bounded_time_despite_a_stall() {
    actix_rt::System::new().block_on(async {
        let tb = faulty(Faults {
            stall: 1.0,
            ..Faults::default()
        });
        let url = tb.url();
        let client = std::thread::spawn(move || get(&url, "/", Duration::from_secs(20)));
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(tb.stats().faults_injected, 1, "the stalled request arrived");
        let started = Instant::now();
        tb.stop();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "stop took {:?}",
            started.elapsed()
        );
        assert!(
            client.join().unwrap().is_err(),
            "a stalled request never gets an answer"
        );
    });
}
