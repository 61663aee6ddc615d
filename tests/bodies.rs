//! Bodies as broken and hostile servers send them: cut short (fewer bytes than
//! `Content-Length`, a chunked body without its last chunk), markup the link extractor
//! gives up on. What is checked is what a crawl records and what the server saw: a cut
//! body is never taken as whole (retried, then failed, its links never followed).
//! Compression bombs are crawled by the binary, under a memory limit (`trawler-cli`'s
//! `tests/bombs.rs`).

mod common;

use common::raw::{After, RawServer, respond};
use common::{assert_outcomes_unique, config};
use std::io::Write;
use std::net::TcpStream;
use trawler::{CrawlReport, Crawler, FetchError, FnSpider, Outcome, OutcomeKind};

fn outcome<'r>(report: &'r CrawlReport, url: &str) -> &'r Outcome {
    common::outcome(report, url)
}

fn write(stream: &mut TcpStream, bytes: &[u8]) {
    let _ = stream.write_all(bytes);
}

#[test]
fn bodies_cut_short_are_retried_then_failed_and_their_links_never_followed() {
    let server = RawServer::start(|hit, stream| {
        let link = b"<html><a href=\"/never.html\">x</a>";
        match hit.path.as_str() {
            "/" => {
                let body = b"<html>\
                    <a href=\"/short.html\">a</a><a href=\"/chunked.html\">b</a>\
                    <a href=\"/huge-length.html\">c</a><a href=\"/until-close.html\">d</a>\
                    <a href=\"/whole-chunked.html\">e</a></html>";
                respond(stream, "200 OK", &[("content-type", "text/html")], body);
                After::KeepOpen
            }
            // 38 of the 5000 bytes promised, then the connection ends.
            "/short.html" => {
                write(
                    stream,
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 5000\r\n\r\n",
                );
                write(stream, &link[..38.min(link.len())]);
                After::Close
            }
            // A chunk announced as 0x40 bytes, 20 sent, then the end.
            "/chunked.html" => {
                write(stream, b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ntransfer-encoding: chunked\r\n\r\n40\r\n");
                write(stream, &link[..20]);
                After::Close
            }
            // Ten billion bytes promised, five sent.
            "/huge-length.html" => {
                write(stream, b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 10000000000\r\n\r\n<html");
                After::Close
            }
            // A body that ends with the connection by design: whole.
            "/until-close.html" => {
                write(stream, b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><a href=\"/linked.html\">x</a></html>");
                After::Close
            }
            // A chunked body with its last chunk: whole.
            "/whole-chunked.html" => {
                write(stream, b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ntransfer-encoding: chunked\r\n\r\n6\r\n<html>\r\n0\r\n\r\n");
                After::KeepOpen
            }
            _ => {
                respond(
                    stream,
                    "200 OK",
                    &[("content-type", "text/html")],
                    b"<html>leaf</html>",
                );
                After::KeepOpen
            }
        }
    });
    let seed = server.url("/");
    let config = config(&seed).robots(false).retries(1).build().unwrap();
    let report = Crawler::new(config, FnSpider::<()>::new()).run().unwrap();
    assert_outcomes_unique(&report);

    for (path, expected) in [
        ("/short.html", Some(5000)),
        ("/chunked.html", None),
        ("/huge-length.html", Some(10_000_000_000)),
    ] {
        let o = outcome(&report, &server.url(path));
        match &o.kind {
            OutcomeKind::Failed(
                e @ FetchError::Incomplete {
                    expected: e_len, ..
                },
            ) => {
                assert_eq!(*e_len, expected, "{path}");
                assert!(e.to_string().starts_with("incomplete body"), "{e}");
            }
            other => panic!("{path}: {other:?}"),
        }
        assert_eq!(o.attempts, 2, "{path}: a cut body is a transient failure");
        assert_eq!(server.count(path), 2, "{path}");
    }
    assert_eq!(
        server.count("/never.html"),
        0,
        "no link of a cut body is followed"
    );
    for path in ["/until-close.html", "/whole-chunked.html"] {
        let o = outcome(&report, &server.url(path));
        assert!(
            o.is_fetched() && o.status == Some(200),
            "{path}: {:?}",
            o.kind
        );
        assert_eq!(server.count(path), 1, "{path}");
    }
    assert_eq!(server.count("/linked.html"), 1, "{:#?}", report.outcomes);
}

#[test]
fn a_body_until_close_whose_head_comes_in_pieces_is_read_whole() {
    let server = RawServer::start(|hit, stream| {
        match hit.path.as_str() {
            // The head in three writes, its end split between two, then the body.
            "/pieces.html" => {
                for piece in [
                    &b"HTTP/1.1 200 OK\r\ncontent-"[..],
                    b"type: text/html\r\nconnection: close\r",
                    b"\n\r\n<html><a href=\"/linked.html\">x</a>",
                    b"</html>",
                ] {
                    write(stream, piece);
                    let _ = stream.flush();
                    std::thread::sleep(std::time::Duration::from_millis(30));
                }
                After::Close
            }
            _ => {
                respond(
                    stream,
                    "200 OK",
                    &[("content-type", "text/html")],
                    b"<html>leaf</html>",
                );
                After::KeepOpen
            }
        }
    });
    let seed = server.url("/pieces.html");
    let config = config(&seed).robots(false).retries(0).build().unwrap();
    let report = Crawler::new(config, FnSpider::<()>::new()).run().unwrap();
    assert_outcomes_unique(&report);
    let o = outcome(&report, &seed);
    assert!(o.is_fetched() && o.status == Some(200), "{:?}", o.kind);
    assert_eq!(server.count("/pieces.html"), 1);
    assert_eq!(
        server.count("/linked.html"),
        1,
        "the body's link is followed: {:#?}",
        report.outcomes
    );
}

#[test]
fn a_page_the_link_extractor_gives_up_on_says_so() {
    let server = RawServer::start(|hit, stream| {
        let body = match hit.path.as_str() {
            // A million unclosed, nested links: the extractor stops at its memory bound.
            "/nested.html" => "<a href=\"/same.html\">".repeat(1_000_000).into_bytes(),
            _ => b"<html><a href=\"/same.html\">x</a></html>".to_vec(),
        };
        respond(stream, "200 OK", &[("content-type", "text/html")], &body);
        After::KeepOpen
    });
    let config = config(&server.url("/nested.html"))
        .seed(server.url("/plain.html"))
        .robots(false)
        .max_body(64 << 20)
        .build()
        .unwrap();
    let report = Crawler::new(config, FnSpider::<()>::new()).run().unwrap();
    let nested = outcome(&report, &server.url("/nested.html"));
    assert!(nested.is_fetched() && nested.links_truncated, "{nested:?}");
    let json = serde_json::to_value(nested).unwrap();
    assert_eq!(json["links_truncated"], true);
    let plain = outcome(&report, &server.url("/plain.html"));
    assert!(!plain.links_truncated);
    assert!(
        serde_json::to_value(plain)
            .unwrap()
            .get("links_truncated")
            .is_none()
    );
    // What was found before the extractor stopped is still followed.
    assert_eq!(server.count("/same.html"), 1);
}
