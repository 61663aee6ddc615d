//! HTTP/2 where the server offers it over TLS (ALPN): asked for, every request goes over
//! h2, as the server reports each request's version, and one worker's requests to a host
//! share one connection as streams; not asked for, HTTP/1.1 as before. Against actix-web
//! with rustls on 127.0.0.1.

#[path = "common/https.rs"]
mod https;

use std::collections::HashSet;
use std::time::Duration;
use trawler::{CrawlConfig, Crawler, FnSpider};

fn crawl(port: u16, ca: &[u8], http2: bool) {
    let config = CrawlConfig::builder()
        .seed(format!("https://127.0.0.1:{port}/fan.html"))
        .add_root_certificate(ca.to_vec())
        .workers(1)
        .per_host_concurrency(8)
        .request_timeout(Duration::from_secs(10))
        .http2(http2)
        .build()
        .unwrap();
    let report = Crawler::new(config, FnSpider::<()>::new()).run().unwrap();
    assert_eq!(
        (report.fetched, report.failed),
        (1 + https::FAN as u64, 0),
        "{report}"
    );
}

#[test]
fn http2_is_used_when_asked_for_and_streams_share_one_connection() {
    let (ca, tls) = https::pki();
    let (port, log) = https::serve(tls);
    crawl(port, &ca, true);
    let hits = std::mem::take(&mut *log.lock().unwrap());
    assert_eq!(
        hits.len(),
        2 + https::FAN,
        "robots.txt, the fan and its pages"
    );
    assert!(hits.iter().all(|h| h.version == "HTTP/2.0"), "{hits:?}");
    let connections: HashSet<_> = hits.iter().map(|h| h.peer).collect();
    assert_eq!(connections.len(), 1, "one worker, one host: one connection");

    crawl(port, &ca, false);
    let hits = std::mem::take(&mut *log.lock().unwrap());
    assert!(hits.iter().all(|h| h.version == "HTTP/1.1"), "{hits:?}");
    let connections: HashSet<_> = hits.iter().map(|h| h.peer).collect();
    assert!(
        connections.len() > 1,
        "HTTP/1.1 runs 8 requests at once on 8 connections"
    );
}
