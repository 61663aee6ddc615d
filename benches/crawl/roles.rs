//! The two child processes of a benchmark run, and what they tell the driver.
//!
//! The driver re-executes its own binary twice per run: once as the testbed server and once
//! as the crawler. Separate processes make each one's CPU time and peak RSS its own (the
//! kernel keeps them per process), so the crawler's figures never include the server's, and
//! every run starts from a fresh heap. They talk in JSON lines on stdin/stdout.

use std::io::{BufRead, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use trawler::prelude::*;
use trawler_testbed::{SiteSpec, Testbed};

use crate::machine;

/// The server's first line: where to crawl and how many pages can be reached from there.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ServerReady {
    pub(crate) url: String,
    pub(crate) reachable: u64,
}

/// The testbed's own counters after a crawl (a subset of `TestbedStats`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ServerStats {
    pub(crate) requests: u64,
    pub(crate) reachable_pages: u64,
    pub(crate) pages_served: u64,
    pub(crate) duplicate_page_requests: u64,
    pub(crate) unreachable_hits: u64,
    pub(crate) trap_hits: u64,
    pub(crate) not_found: u64,
}

/// One point of the crawler's time series.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Sample {
    /// Seconds since the crawl started.
    pub(crate) t: f64,
    pub(crate) fetched: u64,
    pub(crate) rss_kb: u64,
}

/// What the crawler process measured about itself.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct CrawlResult {
    pub(crate) fetched: u64,
    pub(crate) failed: u64,
    pub(crate) skipped: u64,
    pub(crate) requests: u64,
    pub(crate) bytes: u64,
    pub(crate) urls_seen: u64,
    pub(crate) duplicate_links: u64,
    pub(crate) elapsed_s: f64,
    /// CPU seconds spent by the whole process during the crawl.
    pub(crate) user_s: f64,
    pub(crate) sys_s: f64,
    /// RSS before the crawl started and the process's peak (`VmHWM`).
    pub(crate) base_rss_kb: u64,
    pub(crate) peak_rss_kb: u64,
    pub(crate) stop_reason: String,
    pub(crate) samples: Vec<Sample>,
}

/// Settings of the crawler child.
#[derive(Debug, Clone)]
pub(crate) struct CrawlArgs {
    pub(crate) url: String,
    pub(crate) concurrency: usize,
    /// 0: trawler's default (one worker per CPU).
    pub(crate) workers: usize,
    pub(crate) timeout: Duration,
    pub(crate) sample_every: Duration,
    /// Where the crawl keeps its state, for a durable crawl.
    pub(crate) state: Option<std::path::PathBuf>,
    /// Worker threads kept on one CPU each.
    pub(crate) pin: bool,
}

impl CrawlArgs {
    /// The crawl's settings: trawler's crawl and the ceiling loop both run on these.
    pub(crate) fn config(&self) -> Result<CrawlConfig, String> {
        let mut config = CrawlConfig::builder()
            .seed(self.url.as_str())
            .concurrency(self.concurrency)
            // One host: the per-host cap would otherwise be the real limit (8 by default).
            .per_host_concurrency(self.concurrency);
        if self.workers > 0 {
            config = config.workers(self.workers);
        }
        config
            .pin_workers(self.pin)
            .build()
            .map_err(|e| e.to_string())
    }
}

/// A thread that samples the pages `fetched` so far and the RSS every `every` from
/// `started` until `finished`, calling `tick` after each sample; it returns the samples.
pub(crate) fn sample(
    started: Instant,
    every: Duration,
    finished: Arc<AtomicBool>,
    fetched: impl Fn() -> u64 + Send + 'static,
    tick: impl Fn() + Send + 'static,
) -> std::thread::JoinHandle<Vec<Sample>> {
    std::thread::spawn(move || {
        let mut samples = Vec::new();
        while !finished.load(Ordering::Relaxed) {
            samples.push(Sample {
                t: started.elapsed().as_secs_f64(),
                fetched: fetched(),
                rss_kb: machine::status_kb(None, "VmRSS").unwrap_or(0),
            });
            tick();
            std::thread::sleep(every);
        }
        samples
    })
}

/// The crawler with its state on disk when asked for.
#[cfg(feature = "durable")]
fn with_store<S: trawler::Spider>(c: Crawler<S>, args: &CrawlArgs) -> Result<Crawler<S>, String> {
    match &args.state {
        Some(dir) => {
            let store = trawler::store::DiskStore::open(dir).map_err(|e| e.to_string())?;
            Ok(c.store(store))
        }
        None => Ok(c),
    }
}

#[cfg(not(feature = "durable"))]
fn with_store<S: trawler::Spider>(c: Crawler<S>, args: &CrawlArgs) -> Result<Crawler<S>, String> {
    match &args.state {
        Some(_) => Err(
            "--state needs the durable feature: cargo bench --bench crawl --features durable"
                .into(),
        ),
        None => Ok(c),
    }
}

/// The server child: serves the testbed, answers `stats` lines, stops at end of input;
/// writes every reachable page's URL to `urls_out`, one a line, when asked (for the
/// ceiling loop).
pub(crate) fn serve(pages: u32, workers: usize, urls_out: Option<&str>) -> Result<(), String> {
    let spec = SiteSpec {
        pages,
        workers,
        ..SiteSpec::default()
    };
    let testbed = Testbed::start(spec).map_err(|e| e.to_string())?;
    if let Some(path) = urls_out {
        let mut list = String::new();
        for url in testbed.page_urls() {
            list.push_str(url.as_str());
            list.push('\n');
        }
        std::fs::write(path, list).map_err(|e| format!("{path}: {e}"))?;
    }
    let mut out = std::io::stdout().lock();
    let ready = ServerReady {
        url: testbed.url().to_string(),
        reachable: testbed.reachable_pages(),
    };
    send(&mut out, &ready)?;
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| e.to_string())?;
        if line.trim() == "stats" {
            let s = testbed.stats();
            let stats = ServerStats {
                requests: s.requests,
                reachable_pages: s.reachable_pages,
                pages_served: s.pages_served,
                duplicate_page_requests: s.duplicate_page_requests,
                unreachable_hits: s.unreachable_hits,
                trap_hits: s.trap_hits,
                not_found: s.not_found,
            };
            send(&mut out, &stats)?;
        }
    }
    testbed.stop();
    Ok(())
}

/// The crawler child: crawls everything reachable from `args.url`, sampling its own
/// progress and RSS, and prints one [`CrawlResult`] line.
pub(crate) fn crawl(args: &CrawlArgs) -> Result<(), String> {
    let crawler = with_store(Crawler::new(args.config()?, FnSpider::<()>::new()), args)?;
    let (progress, stop) = (crawler.progress(), crawler.stop_handle());

    let base_rss_kb = machine::status_kb(None, "VmRSS").unwrap_or(0);
    let cpu_before = machine::cpu_seconds(None).unwrap_or_default();
    let started = Instant::now();
    let finished = Arc::new(AtomicBool::new(false));
    let timeout = args.timeout;
    let sampler = sample(
        started,
        args.sample_every,
        Arc::clone(&finished),
        move || progress.snapshot().fetched,
        move || {
            if started.elapsed() > timeout {
                // Bounded in time: the crawl winds down and still reports.
                stop.stop();
            }
        },
    );
    let report = crawler.run();
    let ended = started.elapsed();
    finished.store(true, Ordering::Relaxed);
    let cpu_after = machine::cpu_seconds(None).unwrap_or_default();
    let mut samples = sampler.join().map_err(|_| "sampler panicked".to_owned())?;
    let report = report.map_err(|e| e.to_string())?;
    // The last point is the end of the crawl, so every series reaches the final count; on
    // the samples' own clock, which started a little before the crawl's.
    samples.push(Sample {
        t: ended.as_secs_f64(),
        fetched: report.fetched,
        rss_kb: machine::status_kb(None, "VmRSS").unwrap_or(0),
    });
    let result = CrawlResult {
        fetched: report.fetched,
        failed: report.failed,
        skipped: report.skipped,
        requests: report.requests,
        bytes: report.bytes,
        urls_seen: report.urls_seen,
        duplicate_links: report.duplicates,
        elapsed_s: report.elapsed.as_secs_f64(),
        user_s: cpu_after.0 - cpu_before.0,
        sys_s: cpu_after.1 - cpu_before.1,
        base_rss_kb,
        peak_rss_kb: machine::status_kb(None, "VmHWM").unwrap_or(0),
        stop_reason: format!("{:?}", report.stop_reason),
        samples,
    };
    send(&mut std::io::stdout().lock(), &result)
}

pub(crate) fn send<T: Serialize>(out: &mut impl Write, value: &T) -> Result<(), String> {
    let line = serde_json::to_string(value).map_err(|e| e.to_string())?;
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .map_err(|e| e.to_string())
}
