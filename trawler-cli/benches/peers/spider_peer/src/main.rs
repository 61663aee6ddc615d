//! spider-rs crawling one site for trawler's peer benchmark: `spider_peer URL OUT CONCURRENCY`.
//!
//! The whole site from `URL`, its host only, robots.txt not read, no delay, at most
//! CONCURRENCY requests in flight; every fetched page's URL goes to OUT, one per line, from
//! spider's subscription channel. `PEER_TIMEOUT` (seconds) bounds the crawl.

use spider::tokio;
use spider::website::Website;
use std::io::Write;
use std::time::Duration;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, out, concurrency] = &args[..] else {
        eprintln!("usage: spider_peer URL OUT CONCURRENCY");
        std::process::exit(2);
    };
    let concurrency: usize = concurrency.parse().unwrap_or(64);
    let limit: u64 = std::env::var("PEER_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);

    let mut website = Website::new(url);
    website
        .with_respect_robots_txt(false)
        .with_subdomains(false)
        .with_tld(false)
        .with_delay(0)
        .with_concurrency_limit(Some(concurrency))
        .with_request_timeout(Some(Duration::from_secs(30)))
        .with_crawl_timeout(Some(Duration::from_secs(limit)));
    // The channel holds pages until read; 1024 keeps that memory small.
    let mut pages = website.subscribe(1024);
    let out = std::fs::File::create(out).expect("cannot create OUT");
    let writer = tokio::spawn(async move {
        let mut w = std::io::BufWriter::new(out);
        let mut lagged = 0u64;
        loop {
            match pages.recv().await {
                Ok(page) => {
                    let _ = writeln!(w, "{}", page.get_url());
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => lagged += n,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
        let _ = w.flush();
        lagged
    });
    website.crawl().await;
    website.unsubscribe();
    let lagged = writer.await.unwrap_or(0);
    println!(
        "spider_peer: {} links visited, {lagged} pages not listed (channel lag)",
        website.get_links().len()
    );
}
