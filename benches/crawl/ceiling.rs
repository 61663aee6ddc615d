//! The ceiling: what this machine allows a crawler of the same site with the same parts.
//!
//! A bare loop with no crawl machinery: no frontier, no seen-set shared between threads,
//! no admission, no politeness, no outcomes, no actors. It fetches a fixed list (every
//! reachable page of the testbed, which the server child writes out) with trawler's own
//! HTTP transport, on as many threads as the crawl has workers and with the same number
//! of requests in flight, and runs trawler's own link extraction on each page (encoding,
//! streaming extraction, resolution, canonical form, fingerprint into the crawl's own
//! seen-set, one set shared by the threads as in a crawl).
//! Whatever trawler spends beyond it is the crawl's machinery; the report shows trawler's
//! pages/s and CPU per page as a fraction of this loop's, measured in the same run.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use trawler::TransportFactory;
use trawler::bench_api;
use trawler::prelude::*;

use crate::machine;
use crate::roles::{CrawlArgs, CrawlResult, Sample, sample, send};

/// The loop's counters, shared with the sampler.
#[derive(Default)]
struct Counts {
    fetched: AtomicU64,
    failed: AtomicU64,
    bytes: AtomicU64,
    links: AtomicU64,
}

/// The ceiling child: fetches every URL of `urls_file` and prints one [`CrawlResult`].
pub(crate) fn run(args: &CrawlArgs, urls_file: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(urls_file).map_err(|e| format!("{urls_file}: {e}"))?;
    let urls: Vec<Url> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| Url::parse(l).map_err(|e| format!("{l}: {e}")))
        .collect::<Result<_, _>>()?;
    let config = Arc::new(args.config()?);
    let workers = config.workers();
    let factory = bench_api::http_transports(&config).map_err(|e| e.to_string())?;
    let in_flight = args.concurrency.div_ceil(workers).max(1);

    let counts = Arc::new(Counts::default());
    let base_rss_kb = machine::status_kb(None, "VmRSS").unwrap_or(0);
    let cpu_before = machine::cpu_seconds(None).unwrap_or_default();
    let started = Instant::now();
    let finished = Arc::new(AtomicBool::new(false));
    let sampler = {
        let counts = Arc::clone(&counts);
        sample(
            started,
            args.sample_every,
            Arc::clone(&finished),
            move || counts.fetched.load(Ordering::Relaxed),
            || {},
        )
    };
    let deadline = started + args.timeout;
    let seen = Arc::new(bench_api::SeenSet::default());
    let threads: Vec<_> = (0..workers)
        .map(|w| {
            let mine: Vec<Url> = urls.iter().skip(w).step_by(workers).cloned().collect();
            let (factory, config, counts, seen) = (
                Arc::clone(&factory),
                Arc::clone(&config),
                Arc::clone(&counts),
                Arc::clone(&seen),
            );
            let pin = args.pin;
            std::thread::spawn(move || {
                if pin && let Err(e) = bench_api::pin_current_thread(w) {
                    eprintln!("ceiling thread {w} not pinned: {e}");
                }
                let shared = Shared {
                    counts: &counts,
                    seen: &seen,
                    deadline,
                };
                actix_rt::System::new()
                    .block_on(fetch_all(&*factory, &config, mine, in_flight, &shared));
            })
        })
        .collect();
    for t in threads {
        t.join()
            .map_err(|_| "a ceiling thread panicked".to_owned())?;
    }
    let elapsed = started.elapsed();
    finished.store(true, Ordering::Relaxed);
    let cpu_after = machine::cpu_seconds(None).unwrap_or_default();
    let mut samples = sampler.join().map_err(|_| "sampler panicked".to_owned())?;
    let fetched = counts.fetched.load(Ordering::Relaxed);
    samples.push(Sample {
        t: elapsed.as_secs_f64(),
        fetched,
        rss_kb: machine::status_kb(None, "VmRSS").unwrap_or(0),
    });
    let result = CrawlResult {
        fetched,
        failed: counts.failed.load(Ordering::Relaxed),
        skipped: 0,
        requests: fetched + counts.failed.load(Ordering::Relaxed),
        bytes: counts.bytes.load(Ordering::Relaxed),
        urls_seen: counts.links.load(Ordering::Relaxed),
        duplicate_links: 0,
        elapsed_s: elapsed.as_secs_f64(),
        user_s: cpu_after.0 - cpu_before.0,
        sys_s: cpu_after.1 - cpu_before.1,
        base_rss_kb,
        peak_rss_kb: machine::status_kb(None, "VmHWM").unwrap_or(0),
        stop_reason: if Instant::now() > deadline {
            "MaxDuration".into()
        } else {
            "Completed".into()
        },
        samples,
    };
    send(&mut std::io::stdout().lock(), &result)
}

/// What the threads share: the counters, the seen-set and when to stop.
struct Shared<'a> {
    counts: &'a Counts,
    seen: &'a bench_api::SeenSet,
    deadline: Instant,
}

/// One thread's share: `urls` fetched with `in_flight` at once, links of each page found.
async fn fetch_all(
    factory: &dyn TransportFactory,
    config: &CrawlConfig,
    urls: Vec<Url>,
    in_flight: usize,
    shared: &Shared<'_>,
) {
    let Shared {
        counts,
        seen,
        deadline,
    } = *shared;
    let transport = factory.make();
    let mut fingerprints = Vec::new();
    let mut fresh = Vec::new();
    let mut pending = FuturesUnordered::new();
    let mut next = urls.into_iter();
    loop {
        while pending.len() < in_flight && Instant::now() < deadline {
            let Some(url) = next.next() else { break };
            let request = bench_api::page_request(config, url.clone());
            let answer = transport.fetch(request);
            pending.push(async move { (url, answer.await) });
        }
        let Some((url, answer)) = pending.next().await else {
            break;
        };
        let Ok(response) = answer else {
            counts.failed.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        counts.fetched.fetch_add(1, Ordering::Relaxed);
        counts
            .bytes
            .fetch_add(response.body.len() as u64, Ordering::Relaxed);
        fingerprints.clear();
        let kind = response.headers.get("content-type");
        bench_api::link_fingerprints(&url, kind, &response.body, &mut fingerprints);
        seen.insert_batch(&fingerprints, &mut fresh);
        let new = fresh.iter().filter(|&&f| f).count();
        counts.links.fetch_add(new as u64, Ordering::Relaxed);
    }
}
