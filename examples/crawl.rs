//! Crawls one site and writes every outcome as a JSON line: the shape a link checker or
//! an archive job starts from.
//!
//! Run with: `cargo run --release --example crawl -- http://127.0.0.1:8080/ [--concurrency 64] [--out outcomes.jsonl]`
//!
//! Only the start URL's host and port are crawled; every link is followed. Pair it with
//! `cargo run --release --example testbed` for a local site to crawl.

use std::io::Write;
use trawler::prelude::*;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let Some(start) = args.first().filter(|a| !a.starts_with("--")) else {
        eprintln!("usage: crawl URL [--concurrency N] [--out FILE]");
        std::process::exit(2);
    };
    let concurrency = match value("--concurrency").map(|v| v.parse::<usize>()) {
        None => 64,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("crawl: --concurrency needs a whole number");
            std::process::exit(2);
        }
    };
    let config = CrawlConfig::builder()
        .seed(start.as_str())
        .concurrency(concurrency)
        .per_host_concurrency(concurrency)
        .build()
        .unwrap_or_else(|e| {
            eprintln!("crawl: {e}");
            std::process::exit(2);
        });
    let out: Box<dyn Write + Send> = match value("--out") {
        Some(path) => Box::new(std::fs::File::create(path).unwrap_or_else(|e| {
            eprintln!("crawl: cannot create {path}: {e}");
            std::process::exit(2);
        })),
        None => Box::new(std::io::stdout()),
    };
    let mut out = std::io::BufWriter::new(out);
    let report = Crawler::new(config, FnSpider::<()>::new())
        .on_outcome(move |o| {
            // A full disk is not worth stopping the crawl for; the report still counts it.
            let _ = serde_json::to_writer(&mut out, o).map(|()| out.write_all(b"\n"));
        })
        .run();
    match report {
        Ok(r) => eprintln!("{r}"),
        Err(e) => {
            eprintln!("crawl: {e}");
            std::process::exit(1);
        }
    }
}
