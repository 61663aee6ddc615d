//! Bodies as broken and hostile servers send them: cut short (fewer bytes than
//! `Content-Length`, a chunked body without its last chunk), compression bombs, markup the
//! link extractor gives up on. What is checked is what a crawl records and what the
//! server saw: a cut body is never taken as whole (retried, then failed, its links never
//! followed), and a bomb costs no more memory than the body cap allows.

mod common;

use common::raw::{After, RawServer, respond};
use common::{assert_outcomes_unique, config};
use std::io::Write;
use std::net::TcpStream;
use std::process::Command;
use std::sync::OnceLock;
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

/// Compression bombs: 1 GiB of zeros in each coding trawler asks for.
struct Bombs {
    gzip: Vec<u8>,
    deflate: Vec<u8>,
    br: Vec<u8>,
}

const BOMB_INFLATED: usize = 1 << 30;

fn bombs() -> &'static Bombs {
    static BOMBS: OnceLock<Bombs> = OnceLock::new();
    BOMBS.get_or_init(|| {
        let zeros = vec![0u8; 1 << 20];
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let mut zz = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        let mut br = brotli::CompressorWriter::new(Vec::new(), 1 << 16, 5, 24);
        for _ in 0..BOMB_INFLATED / zeros.len() {
            gz.write_all(&zeros).unwrap();
            zz.write_all(&zeros).unwrap();
            br.write_all(&zeros).unwrap();
        }
        Bombs {
            gzip: gz.finish().unwrap(),
            deflate: zz.finish().unwrap(),
            br: br.into_inner(),
        }
    })
}

/// Serves `/`, linking every bomb `copies` times, and the bombs, each with its
/// `Content-Encoding`.
fn bomb_server(copies: usize) -> RawServer {
    let b = bombs();
    RawServer::start(move |hit, stream| {
        let path = hit.path.split('?').next().unwrap_or("");
        let (coding, body) = match path {
            "/" => {
                let links: String = (0..copies)
                    .flat_map(|i| {
                        ["gz", "zz", "br"].map(|k| format!("<a href=\"/bomb.{k}?{i}\">b</a>"))
                    })
                    .collect();
                respond(
                    stream,
                    "200 OK",
                    &[("content-type", "text/html")],
                    links.as_bytes(),
                );
                return After::KeepOpen;
            }
            "/bomb.gz" => ("gzip", &b.gzip),
            "/bomb.zz" => ("deflate", &b.deflate),
            "/bomb.br" => ("br", &b.br),
            _ => {
                respond(stream, "404 Not Found", &[], b"");
                return After::KeepOpen;
            }
        };
        respond(
            stream,
            "200 OK",
            &[("content-type", "text/html"), ("content-encoding", coding)],
            body,
        );
        After::KeepOpen
    })
}

/// `trawler ARGS` under `ulimit -v kib`: the process cannot get more address space than
/// that (its threads' stacks and allocator arenas included), so a bomb inflated into
/// memory aborts it.
fn crawl_within(kib: u64, args: &[&str]) -> (std::process::ExitStatus, String, String) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec timeout 120 \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_trawler"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn check_bombs(stdout: &str, copies: usize, cap: u64) {
    let records: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let bombs: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["url"].as_str().is_some_and(|u| u.contains("/bomb.")))
        .collect();
    assert_eq!(bombs.len(), 3 * copies);
    for r in bombs {
        assert_eq!(r["outcome"], "fetched", "{r}");
        assert_eq!(r["truncated"], true, "{r}");
        assert_eq!(r["bytes"].as_u64(), Some(cap), "{r}");
    }
}

#[test]
fn a_bomb_costs_no_more_than_the_body_cap() {
    assert!(bombs().br.len() < 1 << 20 && bombs().gzip.len() < 2 << 20);
    let server = bomb_server(1);
    // 1 GiB inflated each; the process may not even map 700 MiB.
    let (status, stdout, stderr) = crawl_within(
        700_000,
        &[
            "crawl",
            &server.url("/"),
            "--no-robots",
            "--max-body",
            "1K",
            "-q",
        ],
    );
    assert!(status.success(), "{status}: {stderr}");
    check_bombs(&stdout, 1, 1024);
}

#[test]
fn many_bombs_at_once_cost_no_more_than_concurrency_times_the_cap() {
    // 48 bombs, up to 16 inflating at a time, each capped at 4 MiB: 16 × (4 MiB + its
    // decoder's window) stays far below the limit; one inflated bomb alone would not fit.
    let server = bomb_server(16);
    let (status, stdout, stderr) = crawl_within(
        900_000,
        &[
            "crawl",
            &server.url("/"),
            "--no-robots",
            "--max-body",
            "4M",
            "-c",
            "16",
            "--per-host-concurrency",
            "16",
            "-q",
        ],
    );
    assert!(status.success(), "{status}: {stderr}");
    check_bombs(&stdout, 16, 4 << 20);
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
