//! The offline demo: serves trawler's own synthetic site on 127.0.0.1 and crawls all of it.
//!
//! Run with: `cargo run --release --example demo [-- --pages 5000 --workers 2 --concurrency 64]`
//!
//! The crawl `trawler demo` makes, as a library user writes it: a spider that keeps each
//! page's title (found with a CSS selector), every link followed. The verdict is read off
//! the site's own request counters: every reachable page fetched exactly once.

use std::time::Duration;
use trawler::prelude::*;
use trawler_testbed::{Coverage, SiteSpec, Testbed};

/// `--name N` from the command line, or `default`.
fn arg(args: &[String], name: &str, default: usize) -> Result<usize, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{name} needs a whole number")),
    }
}

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let known = ["--pages", "--workers", "--concurrency"];
    if let Some(bad) = args
        .iter()
        .step_by(2)
        .find(|a| !known.contains(&a.as_str()))
    {
        return Err(format!("unknown option {bad} (known: {})", known.join(", ")).into());
    }
    let pages = u32::try_from(arg(&args, "--pages", 2_000)?)?;
    let (workers, concurrency) = (
        arg(&args, "--workers", 0)?,
        arg(&args, "--concurrency", 64)?,
    );

    let site = Testbed::start(SiteSpec {
        pages,
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
    let spider =
        FnSpider::new().on_html("title", |el, out| out.item(el.text().collect::<String>()));
    let report = Crawler::new(config.build()?, spider)
        .pipeline(collect)
        .run()?;

    println!("{report}");
    let titles = titles.take();
    println!("{} titles, e.g. {:?}", titles.len(), titles.first());
    let stats = site.stats();
    println!("{}", Coverage(&stats));
    if !Coverage(&stats).is_perfect() {
        std::process::exit(1);
    }
    Ok(())
}
