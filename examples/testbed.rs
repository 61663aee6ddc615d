//! Serves the synthetic testbed site until Ctrl-C or `--seconds` elapse, then prints its
//! request counters. Handy to look at the pages in a browser or to point `wrk` at.
//!
//! Run with: cargo run --release --example testbed -- --pages 10000 [--hosts 2] [--port 18090]
//!
//! Other flags: `--links K`, `--page-bytes B`, `--seed S`, `--workers W`, `--seconds N`
//! (default 600, at most 86400), `--latency-ms MS` (each answer waits that long),
//! `--edition E` (about one page in ten changed per edition, for recrawls), `--script-pages
//! SHARE` (that share of the pages, 0 to 1, written by a script: found only by rendering), `--tls CA_FILE` (serve https, HTTP/2 and HTTP/1.1 by ALPN, with a CA made at start whose
//! certificate goes to CA_FILE as PEM: `trawler crawl --ca-cert CA_FILE` trusts it).

use std::process::ExitCode;
use std::time::Duration;

use futures_util::future::{Either, select};
use trawler_testbed::{Latency, SiteSpec, Testbed};

const USAGE: &str = "usage: testbed [--pages N] [--hosts H] [--port P] [--links K] \
[--page-bytes B] [--seed S] [--workers W] [--seconds N] [--latency-ms MS] [--edition E] \
[--script-pages SHARE] [--tls CA_FILE]";

fn parse_args() -> Result<(SiteSpec, u64, Option<String>), String> {
    let mut spec = SiteSpec {
        pages: 10_000,
        ..SiteSpec::default()
    };
    let mut seconds = 600;
    let mut ca_file = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |e: std::num::ParseIntError| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--pages" => spec.pages = value.parse().map_err(bad)?,
            "--links" => spec.links_per_page = value.parse().map_err(bad)?,
            "--page-bytes" => spec.page_bytes = value.parse().map_err(bad)?,
            "--seed" => spec.seed = value.parse().map_err(bad)?,
            "--hosts" => spec.hosts = value.parse().map_err(bad)?,
            "--port" => spec.port = value.parse().map_err(bad)?,
            "--workers" => spec.workers = value.parse().map_err(bad)?,
            "--edition" => spec.edition = value.parse().map_err(bad)?,
            "--script-pages" => {
                spec.script_pages = value
                    .parse()
                    .map_err(|e: std::num::ParseFloatError| format!("{flag} {value}: {e}"))?;
            }
            "--tls" => {
                spec.tls = true;
                ca_file = Some(value);
            }
            "--seconds" => seconds = value.parse::<u64>().map_err(bad)?.min(86_400),
            "--latency-ms" => {
                let ms = value.parse::<u64>().map_err(bad)?;
                spec.latency = Latency::Fixed(Duration::from_millis(ms));
            }
            _ => return Err(format!("unknown flag {flag} (see --help)")),
        }
    }
    Ok((spec, seconds, ca_file))
}

fn main() -> ExitCode {
    if std::env::args().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let (spec, seconds, ca_file) = match parse_args() {
        Ok(parsed) => parsed,
        Err(msg) => {
            eprintln!("testbed: {msg}");
            return ExitCode::from(2);
        }
    };
    let testbed = match Testbed::start(spec) {
        Ok(testbed) => testbed,
        Err(err) => {
            eprintln!("testbed: {err}");
            return ExitCode::FAILURE;
        }
    };
    if let (Some(path), Some(pem)) = (&ca_file, testbed.ca_pem())
        && let Err(err) = std::fs::write(path, pem)
    {
        eprintln!("testbed: cannot write the CA certificate to {path}: {err}");
        return ExitCode::FAILURE;
    }
    for url in testbed.host_urls() {
        println!("serving {url}");
    }
    println!(
        "{} reachable pages; stopping after {seconds} s or on Ctrl-C",
        testbed.reachable_pages()
    );
    let stopped_by = actix_rt::System::new().block_on(async move {
        let timer = Box::pin(actix_rt::time::sleep(Duration::from_secs(seconds)));
        match select(Box::pin(actix_rt::signal::ctrl_c()), timer).await {
            Either::Left(_) => "Ctrl-C",
            Either::Right(_) => "timer",
        }
    });
    let stats = testbed.stats();
    testbed.stop();
    println!("stopped by {stopped_by}");
    println!(
        "requests {} bytes {} pages_served {}/{} duplicates {} traps {} unreachable {} not_found {}",
        stats.requests,
        stats.bytes,
        stats.pages_served,
        stats.reachable_pages,
        stats.duplicate_page_requests,
        stats.trap_hits,
        stats.unreachable_hits,
        stats.not_found
    );
    ExitCode::SUCCESS
}
