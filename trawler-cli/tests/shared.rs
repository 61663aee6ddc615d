//! `trawler crawl --redis`: several worker processes share one crawl through a real
//! `redis-server` (Debian's package, started on a free loopback port with persistence off,
//! stopped by its PID). One worker is killed with SIGKILL mid-crawl and a process of its
//! name joins again; another is stopped with SIGSTOP past its lease and resumed. What is
//! checked comes from the testbed's own counters and request log and from the workers'
//! record files: every page served, pages served again at most what the lost worker had
//! in flight or uncommitted, no host over its per-host concurrency across all workers,
//! robots.txt read once per host, exactly one record per URL over all the files, every
//! worker exiting 0 by itself. And the faults: Redis unreachable, bad names, a worker
//! configured otherwise than the crawl.

mod cli_support;

use cli_support::{Run, Running, assert_whole, by_url, read, records, run, trawler};
use serde_json::Value;
use std::collections::HashMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use trawler_testbed::{Latency, RedisServer as Redis, SiteSpec, Testbed};

/// How long a page takes to answer: long enough that requests overlap measurably.
const LATENCY: Duration = Duration::from_millis(20);
/// Requests in flight per worker, and per host.
const CONCURRENCY: u64 = 16;
const PER_HOST: usize = 2;
/// Pages a lost worker may cost beyond those in flight: its records since its last commit
/// (one is due every 50 ms), with a wide margin for a loaded machine.
const COMMIT_WINDOW: u64 = 256;

fn redis() -> Redis {
    Redis::start().expect("start redis-server")
}

/// Sends `sig` (`-STOP`, `-CONT`) to process `pid`.
fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap();
    assert!(ok.success(), "kill {sig} {pid}");
}

/// A site of `hosts` hosts whose pages take [`LATENCY`], with a request log.
fn site(hosts: usize, pages: u32) -> Testbed {
    Testbed::start(SiteSpec {
        hosts,
        pages,
        latency: Latency::Fixed(LATENCY),
        record_log: true,
        ..SiteSpec::default()
    })
    .expect("start the testbed")
}

/// Records files for `n` workers in `dir`.
fn files(dir: &tempfile::TempDir, n: usize) -> Vec<PathBuf> {
    (0..n)
        .map(|i| dir.path().join(format!("w{i}.jsonl")))
        .collect()
}

/// A worker's command line.
fn worker_args(site: &Testbed, redis: &Redis, crawl: &str, out: &Path) -> Vec<String> {
    let mut a = vec!["crawl".to_string()];
    a.extend(site.host_urls().iter().map(|u| u.to_string()));
    a.extend(
        [
            "--redis",
            &redis.url(),
            "--crawl-id",
            crawl,
            "-o",
            out.to_str().unwrap(),
            "-c",
            &CONCURRENCY.to_string(),
            "--per-host-concurrency",
            &PER_HOST.to_string(),
            "--progress-interval",
            "0.5",
        ]
        .map(str::to_string),
    );
    a
}

fn start_worker(args: &[String]) -> Running {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Running::start(trawler(&args))
}

/// Waits until the site has served `n` pages, within a bound.
fn wait_served(site: &Testbed, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while site.stats().pages_served < n {
        assert!(Instant::now() < deadline, "the crawl made no progress");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// No host ever had more than [`PER_HOST`] requests at once, over all the workers: page
/// requests that arrived less than [`LATENCY`] apart overlapped (each takes at least
/// that long), so no window shorter than it may hold more than `PER_HOST` arrivals.
fn assert_polite(site: &Testbed) {
    let log = site.log();
    let mut by_host: HashMap<usize, Vec<Instant>> = HashMap::new();
    for e in log.iter().filter(|e| e.path != "/robots.txt") {
        by_host.entry(e.host).or_default().push(e.at);
    }
    let window = LATENCY - Duration::from_millis(2);
    for (host, mut at) in by_host {
        at.sort();
        for (i, t) in at.iter().enumerate() {
            let overlapping = at[i..].iter().take_while(|u| **u - *t < window).count();
            assert!(
                overlapping <= PER_HOST,
                "host {host}: {overlapping} requests at once (per-host concurrency {PER_HOST})"
            );
        }
    }
    for (i, h) in site.stats().per_host.iter().enumerate() {
        assert_eq!(
            h.robots_hits, 1,
            "host {i}: robots.txt read {} times",
            h.robots_hits
        );
    }
}

fn status(redis: &Redis, crawl: &str) -> Value {
    let r = run(&[
        "status",
        "--redis",
        &redis.url(),
        "--crawl-id",
        crawl,
        "--json",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
    serde_json::from_str(r.stdout.trim()).expect("status is JSON")
}

fn finished_ok(r: Run, who: &str) {
    assert_eq!(r.status.code(), Some(0), "{who}: {}", r.stderr);
}

#[test]
fn three_workers_one_killed_and_one_joining_crawl_everything_once() {
    let redis = redis();
    let site = site(8, 700);
    let dir = tempfile::tempdir().unwrap();
    let files = files(&dir, 3);
    let args: Vec<Vec<String>> = (files.iter())
        .map(|f| worker_args(&site, &redis, "kill", f))
        .collect();
    let mut workers: Vec<Running> = args.iter().map(|a| start_worker(a)).collect();
    let total = site.reachable_pages();
    wait_served(&site, total / 3);
    let killed = workers.remove(0);
    let mut child = killed.child;
    child.kill().unwrap();
    let killed_at = Instant::now();
    child.wait().unwrap();
    // A process of the killed worker's name joins (same records file): its file is cut
    // back to what the killed one committed, and it takes its share again.
    std::thread::sleep(Duration::from_secs(2));
    workers.push(start_worker(&args[0]));
    let mid = status(&redis, "kill");
    assert!(mid["workers"].as_u64().unwrap() >= 2, "{mid}");
    for (i, w) in workers.into_iter().enumerate() {
        finished_ok(w.wait(Duration::from_secs(120)), &format!("worker {i}"));
    }
    assert_whole(&site, &files);
    assert_polite(&site);
    // Reclaim: how long the hosts the killed worker held went without a request.
    let mut first_after: HashMap<usize, Instant> = HashMap::new();
    for e in site.log().iter().filter(|e| e.at >= killed_at) {
        first_after.entry(e.host).or_insert(e.at);
    }
    let reclaim = (first_after.values())
        .map(|t| t.duration_since(killed_at))
        .max()
        .unwrap_or_default();
    eprintln!("the killed worker's hosts were fetched again after {reclaim:?}");
    assert!(
        reclaim <= Duration::from_secs(30),
        "its hosts waited {reclaim:?} (lease 10 s, heartbeat 2 s)"
    );
    let again = site.stats().duplicate_page_requests;
    eprintln!("pages served again after the kill: {again}");
    assert!(
        again <= CONCURRENCY + COMMIT_WINDOW,
        "{again} pages served again"
    );
    let end = status(&redis, "kill");
    assert_eq!(end["queued"], 0, "{end}");
    assert_eq!(end["in_flight"], 0, "{end}");
    assert_eq!(
        end["done"].as_u64(),
        Some(by_url(&files).len() as u64),
        "{end}"
    );
}

#[test]
fn a_worker_paused_past_its_lease_is_fenced_and_doubles_nothing() {
    let redis = redis();
    let site = site(6, 700);
    let dir = tempfile::tempdir().unwrap();
    let files = files(&dir, 2);
    let args: Vec<Vec<String>> = (files.iter())
        .map(|f| worker_args(&site, &redis, "pause", f))
        .collect();
    let first = start_worker(&args[0]);
    wait_served(&site, 300);
    let second = start_worker(&args[1]);
    wait_served(&site, site.reachable_pages() / 3);
    let pid = first.child.id();
    signal(pid, "-STOP");
    // Past the lease (10 s) and a heartbeat: the other worker takes its slots over.
    std::thread::sleep(Duration::from_secs(15));
    signal(pid, "-CONT");
    let first = first.wait(Duration::from_secs(120));
    assert_eq!(
        first.status.code(),
        Some(0),
        "the paused worker: {}",
        first.stderr
    );
    assert!(
        first.stderr.contains("rejoining the crawl"),
        "the paused worker was told it lost its leases: {}",
        first.stderr
    );
    finished_ok(second.wait(Duration::from_secs(120)), "the other worker");
    assert_whole(&site, &files);
    assert_polite(&site);
    let again = site.stats().duplicate_page_requests;
    eprintln!("pages served again after the pause: {again}");
    assert!(
        again <= 2 * (CONCURRENCY + COMMIT_WINDOW),
        "{again} pages served again"
    );
}

/// One line on stderr, the expected exit status, and `what` in it.
fn refused(r: &Run, code: i32, what: &str) {
    assert_eq!(r.status.code(), Some(code), "{}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {}", r.stderr);
    assert!(lines[0].contains(what), "{:?} lacks {what:?}", lines[0]);
}

#[test]
fn bad_servers_names_and_configurations_are_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("w.jsonl");
    let o = out.to_str().unwrap();
    // `trawler crawl SEED --redis REDIS --crawl-id NAME -q` and more.
    let crawl = |seed: &str, redis: &str, name: &str, more: &[&str]| {
        let head = ["crawl", seed, "--redis", redis, "--crawl-id", name, "-q"];
        run(&[&head[..], more].concat())
    };
    // Nothing listens on a port just freed.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nowhere = format!("redis://127.0.0.1:{closed}/");
    let seed = "http://127.0.0.1:9/";
    refused(
        &crawl(seed, &nowhere, "c", &["-o", o]),
        1,
        "cannot reach Redis",
    );
    let r = run(&["status", "--redis", &nowhere, "--crawl-id", "c"]);
    refused(&r, 1, "cannot reach Redis");
    refused(&crawl(seed, "http://x/", "c", &[]), 2, "bad Redis URL");

    let redis = redis();
    let url = redis.url();
    refused(&crawl(seed, &url, "a b", &[]), 2, "bad crawl name");
    let r = crawl(seed, &url, "c", &["--worker", "a|b"]);
    refused(&r, 2, "bad worker name");
    let r = crawl(seed, &url, "c", &["--sitemaps"]);
    refused(&r, 2, "sitemaps are not offered");
    let r = run(&["crawl", seed, "--crawl-id", "c"]);
    assert_eq!(
        r.status.code(),
        Some(2),
        "--crawl-id needs --redis: {}",
        r.stderr
    );
    let r = run(&["status", "--redis", &url, "--crawl-id", "none"]);
    refused(&r, 1, "no crawl named");

    // A crawl of one page, then a worker that differs from it.
    let site = site(1, 1);
    let first = site.url().to_string();
    let r = crawl(&first, &url, "c", &["-o", o]);
    assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
    let kept = read(&out);
    let root = (records(&kept).into_iter()).find(|r| r["url"] == first.as_str());
    let outcome = root.map(|r| r["outcome"].clone());
    assert_eq!(outcome, Some("fetched".into()), "{kept}");
    let other = dir.path().join("other.jsonl");
    let r = crawl(
        &first,
        &url,
        "c",
        &["--max-depth", "3", "-o", other.to_str().unwrap()],
    );
    refused(&r, 2, "max_depth is 3 here but none in the crawl");
    // The same worker again: nothing left, nothing written twice.
    let r = crawl(&first, &url, "c", &["-o", o]);
    assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
    assert_eq!(read(&out), kept);
}

#[test]
fn redis_lost_for_a_while_then_back_loses_and_doubles_nothing() {
    let mut redis = redis();
    let site = site(4, 600);
    let dir = tempfile::tempdir().unwrap();
    let files = files(&dir, 2);
    let workers: Vec<Running> = (files.iter())
        .map(|f| start_worker(&worker_args(&site, &redis, "lost", f)))
        .collect();
    wait_served(&site, site.reachable_pages() / 3);
    // Redis stops answering for longer than a lease lasts, then comes back.
    signal(redis.pid(), "-STOP");
    std::thread::sleep(Duration::from_secs(12));
    signal(redis.pid(), "-CONT");
    for (i, w) in workers.into_iter().enumerate() {
        finished_ok(w.wait(Duration::from_secs(150)), &format!("worker {i}"));
    }
    assert_whole(&site, &files);
    let again = site.stats().duplicate_page_requests;
    eprintln!("pages served again after Redis came back: {again}");
    assert!(
        again <= 2 * (CONCURRENCY + COMMIT_WINDOW),
        "{again} pages served again"
    );

    // Redis gone for good: the worker stops once its patience ran out, non-zero, what it
    // committed kept.
    let site = self::site(2, 400);
    let out = dir.path().join("gone.jsonl");
    let mut args = worker_args(&site, &redis, "gone", &out);
    args.extend(["--redis-patience", "3", "-q"].map(str::to_string));
    let w = start_worker(&args);
    wait_served(&site, 100);
    redis.kill();
    let r = w.wait(Duration::from_secs(90));
    assert_eq!(r.status.code(), Some(1), "{}", r.stderr);
    let last = r.stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains("Redis"),
        "the last line says Redis is gone: {}",
        r.stderr
    );
    let kept = records(&read(&out));
    assert!(!kept.is_empty(), "records up to the last commit are kept");
}

#[test]
fn a_host_handed_over_between_workers_keeps_its_rate() {
    let redis = redis();
    let site = site(4, 150);
    let dir = tempfile::tempdir().unwrap();
    let files = files(&dir, 2);
    let args: Vec<Vec<String>> = (files.iter())
        .map(|f| {
            let mut a = worker_args(&site, &redis, "rate", f);
            a.extend(["--rate", "20"].map(str::to_string));
            a
        })
        .collect();
    // The second worker joins mid-crawl: hosts change hands while they are being fetched.
    let first = start_worker(&args[0]);
    wait_served(&site, 100);
    let second = start_worker(&args[1]);
    finished_ok(first.wait(Duration::from_secs(120)), "the first worker");
    finished_ok(second.wait(Duration::from_secs(120)), "the second worker");
    assert_whole(&site, &files);
    let both = by_url(&files);
    let from_second = records(&read(&files[1])).len();
    assert!(from_second > 0, "the second worker took hosts over");
    assert!(both.len() > from_second);
    // 20 requests per second per host: 50 ms apart, whoever sends them. The server sees
    // arrivals, which a busy machine delays: a late arrival shortens the next gap, so one
    // gap is held to half a period, and each host's whole span to the full rate (as
    // tests/politeness.rs does). Two workers fetching one host at once break both.
    let period = Duration::from_millis(50);
    let mut by_host: HashMap<usize, Vec<Instant>> = HashMap::new();
    for e in site.log().iter().filter(|e| e.path != "/robots.txt") {
        by_host.entry(e.host).or_default().push(e.at);
    }
    for (host, mut at) in by_host {
        at.sort();
        for pair in at.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(
                gap + period / 2 >= period,
                "host {host}: two requests {gap:?} apart (rate 20/s)"
            );
        }
        let span = at[at.len() - 1] - at[0];
        let expected = period.mul_f64((at.len() - 1) as f64 * 0.9);
        assert!(span >= expected, "host {host}: {span:?} < {expected:?}");
    }
}

#[test]
fn a_page_limit_holds_for_the_whole_crawl() {
    let redis = redis();
    let site = site(4, 200);
    let dir = tempfile::tempdir().unwrap();
    let files = files(&dir, 2);
    let limit = 150;
    let workers: Vec<Running> = (files.iter())
        .map(|f| {
            let mut a = worker_args(&site, &redis, "limit", f);
            a.extend(["--max-pages".to_string(), limit.to_string()]);
            start_worker(&a)
        })
        .collect();
    for (i, w) in workers.into_iter().enumerate() {
        finished_ok(w.wait(Duration::from_secs(120)), &format!("worker {i}"));
    }
    let recs = by_url(&files);
    let twice: Vec<_> = recs.iter().filter(|(_, v)| v.len() > 1).take(5).collect();
    assert!(twice.is_empty(), "URLs recorded twice: {twice:?}");
    let count = |what: &str| {
        (recs.values())
            .filter(|v| v[0]["outcome"] == what || v[0]["reason"] == what)
            .count()
    };
    let (fetched, robots) = (count("fetched"), count("robots"));
    // Each first attempt handed out counts, those robots.txt then rules out too.
    assert!(
        fetched <= limit && fetched + robots >= limit,
        "{fetched} fetched, {robots} robots"
    );
    assert!(count("page_limit") > 0, "the rest is recorded as skipped");
    let stats = site.stats();
    assert!(
        stats.page_requests + stats.asset_hits <= limit as u64,
        "{stats:?}"
    );
}
