//! The shared store's seen-set in Redis: bytes per URL and URLs offered per second, through
//! the store's own commit script, at several sizes.
//!
//! `cargo bench --features redis --bench redis_seen [-- 1000000 10000000]`
//!
//! Starts its own `redis-server` (Debian's package) on a free loopback port with
//! persistence off, and stops it by its PID. Fingerprints are random (as a URL's are), so
//! the buckets fill as a real crawl's do.

use std::time::Instant;
use trawler::store::{CommitBatch, CrawlStore, RedisStore};
use trawler_testbed::RedisServer;

/// Fingerprints per commit (a crawl commits every 1,024 outcomes, each page offering its
/// links: tens of thousands of URLs per commit is what a broad crawl sends).
const BATCH: usize = 20_000;

/// Redis's `used_memory`, through redis-cli.
fn used_memory(server: &RedisServer) -> u64 {
    let text = server.cli(&["info", "memory"]).expect("redis-cli");
    text.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("used_memory")
}

fn main() {
    let sizes: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![100_000, 1_000_000, 10_000_000]
    } else {
        sizes
    };
    println!("URLs        bytes/URL   offered/s");
    for n in sizes {
        let server = RedisServer::start().expect("start redis-server");
        let url = server.url();
        let mut store = RedisStore::connect(&url, "seen").expect("connect");
        store.join(&Vec::new()).expect("join");
        let before = used_memory(&server);
        let started = Instant::now();
        let mut left = n;
        while left > 0 {
            let k = left.min(BATCH as u64) as usize;
            let mut batch = CommitBatch::default();
            batch.seen_only = (0..k).map(|_| fastrand::u64(..)).collect();
            store.commit(batch).expect("commit");
            left -= k as u64;
        }
        let secs = started.elapsed().as_secs_f64();
        let after = used_memory(&server);
        println!(
            "{n:<11} {:<11.1} {:.0}",
            (after - before) as f64 / n as f64,
            n as f64 / secs
        );
    }
}
