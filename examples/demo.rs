//! The offline demo: serves trawler's own synthetic site on 127.0.0.1 and crawls all of it.
//!
//! Run with: `cargo run --release --example demo [-- --pages 5000 --workers 2 --concurrency 64]`
//!
//! The spider collects each page's title without building a DOM (the streaming path);
//! `page.select(&selector)` is there when a plugin wants CSS selectors. At the end the
//! site's own request counters check the crawl: every reachable page fetched exactly once.

use std::time::Duration;
use trawler::prelude::*;
use trawler::testbed::{SiteSpec, Testbed};

struct Titles;

impl Spider for Titles {
    type Item = String;

    fn parse(&self, page: &Page<'_>, out: &mut Output<String>) -> Result<(), BoxError> {
        let text = page.text();
        if let Some(start) = text.find("<title>").map(|i| i + "<title>".len())
            && let Some(len) = text[start..].find("</title>")
        {
            out.item(text[start..start + len].to_string());
        }
        Ok(()) // nothing followed explicitly: every link on the page is followed
    }
}

fn arg(args: &[String], name: &str, default: usize) -> Result<usize, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{name} needs a whole number")),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let known = ["--pages", "--workers", "--concurrency"];
    if let Some(bad) = args
        .iter()
        .step_by(2)
        .find(|a| !known.contains(&a.as_str()))
    {
        eprintln!("demo: unknown option {bad} (known: {})", known.join(", "));
        std::process::exit(2);
    }
    let parsed = (|| {
        Ok::<_, String>((
            arg(&args, "--pages", 2_000)?,
            arg(&args, "--workers", 0)?,
            arg(&args, "--concurrency", 64)?,
        ))
    })();
    let (pages, workers, concurrency) = parsed.unwrap_or_else(|e| {
        eprintln!("demo: {e}");
        std::process::exit(2);
    });

    let site = Testbed::start(SiteSpec {
        pages: u32::try_from(pages)?,
        ..SiteSpec::default()
    })?;
    println!("serving {} pages at {}", site.reachable_pages(), site.url());

    let mut config = CrawlConfig::builder()
        .seed(site.url().as_str())
        .concurrency(concurrency)
        .per_host_concurrency(concurrency)
        .request_timeout(Duration::from_secs(10));
    if workers > 0 {
        config = config.workers(workers);
    }
    let (collect, titles) = Collect::new();
    let report = Crawler::new(config.build()?, Titles)
        .pipeline(collect)
        .run()?;

    println!("{report}");
    let titles = titles.take();
    println!("{} titles, e.g. {:?}", titles.len(), titles.first());
    let stats = site.stats();
    println!(
        "server: {}/{} reachable pages fetched, {} duplicate page requests, {} trap hits, {} requests",
        stats.pages_hit,
        stats.reachable_pages,
        stats.duplicate_page_requests,
        stats.trap_hits,
        stats.requests
    );
    if !stats.is_perfect_crawl() {
        eprintln!("demo: the crawl missed or repeated pages");
        std::process::exit(1);
    }
    Ok(())
}
