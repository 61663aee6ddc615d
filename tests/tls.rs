//! https end to end: a server with a certificate from a private CA, made at test time.
//! Trusted through `add_root_certificate`, the crawl fetches it; without that, the
//! handshake fails and the URL gets a clear failed outcome, and the crawl still ends.

// An https site; apart from `common`, which the CLI's tests share without TLS.
#[path = "common/https.rs"]
mod https;

use https::{pki, serve};
use std::net::TcpListener;
use std::time::Duration;
use trawler::{CrawlConfig, Crawler, FetchError, FnSpider, OutcomeKind};

fn builder(port: u16) -> trawler::CrawlConfigBuilder {
    CrawlConfig::builder()
        .seed(format!("https://127.0.0.1:{port}/"))
        .retries(0)
        .request_timeout(Duration::from_secs(5))
        .collect_outcomes(true)
}

#[test]
fn https_with_a_trusted_private_ca_is_crawled() {
    let (ca, tls) = pki();
    let (port, _) = serve(tls);
    let config = builder(port).add_root_certificate(ca).build().unwrap();
    let report = Crawler::new(config, FnSpider::<()>::new()).run().unwrap();

    assert_eq!(report.fetched, 2, "{report}");
    assert_eq!(report.failed, 0);
    assert!(report.outcomes.iter().all(|o| o.status == Some(200)));
}

#[test]
fn an_untrusted_certificate_fails_the_url_clearly_and_the_crawl_ends() {
    let (_ca, tls) = pki();
    let (port, _) = serve(tls);
    let config = builder(port).build().unwrap();
    let report = Crawler::new(config, FnSpider::<()>::new()).run().unwrap();

    assert_eq!((report.fetched, report.failed), (0, 1), "{report}");
    match &report.outcomes[0].kind {
        // robots.txt is asked first and meets the failure; the handshake's own reason
        // reaches the outcome.
        OutcomeKind::Failed(FetchError::RobotsUnavailable { cause, attempts: 1 }) => {
            assert!(
                cause.starts_with("TLS error") && cause.contains("UnknownIssuer"),
                "{cause}"
            );
        }
        other => panic!("expected a TLS failure, got {other:?}"),
    }
    // Without robots.txt, the page itself fails the same way, and is not retried (it
    // would fail again).
    let config = builder(port).robots(false).retries(2).build().unwrap();
    let report = Crawler::new(config, FnSpider::<()>::new()).run().unwrap();
    match &report.outcomes[0].kind {
        OutcomeKind::Failed(FetchError::Tls(msg)) => {
            assert!(msg.contains("UnknownIssuer"), "{msg}")
        }
        other => panic!("expected a TLS failure, got {other:?}"),
    }
    assert_eq!((report.outcomes[0].attempts, report.retries), (1, 0));
}

#[test]
fn https_to_a_plain_http_port_says_so() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        // A plain HTTP server: whatever comes, it answers in clear text.
        for stream in listener.incoming().flatten().take(8) {
            let mut stream = stream;
            let _ = std::io::Write::write_all(
                &mut stream,
                b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    let config = builder(port).robots(false).build().unwrap();
    let report = Crawler::new(config, FnSpider::<()>::new()).run().unwrap();
    match &report.outcomes[0].kind {
        OutcomeKind::Failed(FetchError::Tls(msg)) => {
            assert!(msg.contains("plain HTTP on an https URL"), "{msg}")
        }
        other => panic!("expected a TLS failure, got {other:?}"),
    }
}

#[test]
fn a_root_certificate_that_is_not_one_is_a_config_error() {
    let err = CrawlConfig::builder()
        .seed("https://127.0.0.1:1/")
        .add_root_certificate(b"-----BEGIN nonsense".to_vec())
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("invalid root certificate"),
        "{err}"
    );
}
