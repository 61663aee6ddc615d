//! Compression bombs, crawled by the `trawler` binary under a memory limit: a response
//! that would inflate to 1 GiB (gzip, deflate, br) costs no more than the body cap, alone
//! and many at once, and each is recorded fetched and truncated at exactly the cap.

#[path = "../../tests/common/mod.rs"]
mod common;

use common::raw::{After, RawServer, respond};
use std::io::Write;
use std::process::Command;
use std::sync::OnceLock;

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
