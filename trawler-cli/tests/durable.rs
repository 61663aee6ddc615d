//! `trawler crawl --state DIR` against the testbed, killed with SIGKILL again and again,
//! stopped with SIGTERM and Ctrl-C (robots.txt and sitemaps not read again), killed under page limits (which must hold across the
//! kill), and given state directories it must refuse. What is
//! checked comes from the testbed's own counters and the records file: every page served,
//! pages served again at most what was in flight plus one commit window per kill, exactly
//! one whole record per URL.

mod cli_support;

use cli_support::{Running, assert_whole, by_url, read, records, site, trawler};
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use trawler_testbed::{Latency, SiteSpec, Testbed};

/// Requests in flight: what a kill can catch on the wire.
const CONCURRENCY: u64 = 16;
/// How long each page of a paced site takes to answer: it caps a crawl at its concurrency
/// per 4 ms (4,000 pages/s at 16), in a debug build or a release one.
const LATENCY: Duration = Duration::from_millis(4);
/// Pages a kill may cost beyond those in flight: the records written since the last
/// commit (one is due every 50 ms: at most 200 pages at the capped rate), with a margin
/// for a loaded machine.
const COMMIT_WINDOW: u64 = 256;

fn crawl_args<'a>(site: &'a str, dir: &'a str, out: &'a str, first: bool) -> Vec<&'a str> {
    let mut a = vec!["crawl"];
    if first {
        a.push(site);
    }
    a.extend([
        "--state",
        dir,
        "-o",
        out,
        "--no-robots",
        "-c",
        "16",
        "--per-host-concurrency",
        "16",
        "--progress-interval",
        "0.2",
    ]);
    a
}

/// A site whose pages take [`LATENCY`] to answer.
fn paced_site(pages: u32) -> Testbed {
    Testbed::start(SiteSpec {
        pages,
        latency: Latency::Fixed(LATENCY),
        ..SiteSpec::default()
    })
    .expect("start the testbed")
}

/// A path as an argument.
fn text(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// Waits until the site has served `n` more pages than `from`, within a bound.
fn wait_served(site: &Testbed, from: u64, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while site.stats().pages_served < from + n {
        assert!(Instant::now() < deadline, "the crawl made no progress");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn killed_again_and_again_the_crawl_ends_with_one_record_per_url() {
    // Unpaced, a release build fetched 1,931-3,131 pages again over 5 kills here (~400-600 a
    // kill, more than a commit window at a debug build's rate).
    let site = paced_site(8_000);
    let dir = tempfile::tempdir().unwrap();
    let (state, out) = (dir.path().join("state"), dir.path().join("records.jsonl"));
    let (url, st, o) = (site.url().to_string(), text(&state), text(&out));
    let kills = 5u64;
    for life in 0..kills {
        let from = site.stats().pages_served;
        let mut running = Running::start(trawler(&crawl_args(&url, &st, &o, life == 0)));
        // At least 500 pages per life, then a little more, different each time.
        wait_served(&site, from, 500 + (life * 37 % 7) * 40);
        running.child.kill().unwrap();
        let r = running.wait(Duration::from_secs(20));
        assert_eq!(r.status.code(), None, "killed by a signal");
    }
    let r =
        Running::start(trawler(&crawl_args(&url, &st, &o, false))).wait(Duration::from_secs(120));
    assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
    assert!(r.stderr.contains("completed"), "{}", r.stderr);
    assert_whole(&site, &[&out]);
    let again = site.stats().duplicate_page_requests;
    eprintln!("pages served again after {kills} kills: {again}");
    assert!(
        again <= kills * (CONCURRENCY + COMMIT_WINDOW),
        "{again} pages served again"
    );
}

/// The arguments of a crawl that also reads robots.txt and the sitemaps.
fn with_site_files<'a>(site: &'a str, dir: &'a str, out: &'a str, first: bool) -> Vec<&'a str> {
    let mut a = crawl_args(site, dir, out, first);
    a.retain(|&x| x != "--no-robots");
    a.push("--sitemaps");
    a
}

#[test]
fn sigterm_and_ctrl_c_stop_cleanly_and_the_crawl_goes_on_without_refetching() {
    // What an uninterrupted crawl asks for: robots.txt once, each sitemap once.
    let whole = site(3_000);
    let dir = tempfile::tempdir().unwrap();
    let (st, o) = (text(&dir.path().join("s")), text(&dir.path().join("o")));
    let r = Running::start(trawler(&with_site_files(
        whole.url().as_str(),
        &st,
        &o,
        true,
    )))
    .wait(Duration::from_secs(60));
    assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
    let uninterrupted = whole.stats();
    assert_eq!(uninterrupted.robots_hits, 1);
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let site = site(3_000);
        let dir = tempfile::tempdir().unwrap();
        let (state, out) = (dir.path().join("state"), dir.path().join("records.jsonl"));
        let (url, st, o) = (site.url().to_string(), text(&state), text(&out));
        let running = Running::start(trawler(&with_site_files(&url, &st, &o, true)));
        wait_served(&site, 0, 300);
        let pid = running.child.id().to_string();
        let kill = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        assert!(kill.success());
        let r = running.wait(Duration::from_secs(30));
        assert_eq!(r.status.code(), Some(code), "{signal}: {}", r.stderr);
        let recs = records(&read(&out));
        assert!(
            recs.iter().all(|r| r["reason"] != "stopped"),
            "{signal}: what was queued stays queued for the next run"
        );
        let served = site.stats().pages_served;
        assert!(served < 3_000, "{signal}: stopped early ({served})");
        // Resumed with the state directory alone.
        let r =
            Running::start(trawler(&["crawl", "--state", &st, "-q"])).wait(Duration::from_secs(60));
        assert_eq!(r.status.code(), Some(0), "{signal}: {}", r.stderr);
        assert_whole(&site, &[&out]);
        let stats = site.stats();
        assert_eq!(
            stats.duplicate_page_requests, 0,
            "{signal}: a clean stop commits what was in flight"
        );
        assert_eq!(
            (stats.robots_hits, stats.sitemap_hits),
            (uninterrupted.robots_hits, uninterrupted.sitemap_hits),
            "{signal}: robots.txt and the sitemaps are not read again"
        );
    }
}

#[test]
fn a_crawl_out_of_time_goes_on_at_each_run_until_it_is_done() {
    // Paced, so that no build crawls the whole site within the first run's time limit.
    let site = paced_site(3_000);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let st = state.to_str().unwrap();
    let url = site.url().to_string();
    let first = [
        "crawl",
        &url,
        "--state",
        st,
        "--no-robots",
        "--max-time",
        "0.4",
        "-c",
        "4",
    ];
    let mut runs = 0;
    loop {
        runs += 1;
        assert!(runs <= 60, "not done after 60 runs");
        // The saved command line, --max-time included, is what each run goes on with.
        let args: &[&str] = if runs == 1 {
            &first
        } else {
            &["crawl", "--state", st]
        };
        let r = Running::start(trawler(args)).wait(Duration::from_secs(30));
        assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
        if r.stderr.contains("completed") {
            break;
        }
        assert!(r.stderr.contains("time limit reached"), "{}", r.stderr);
    }
    assert!(runs >= 2, "the time limit stopped the first run");
    // Records went into the state directory.
    assert_whole(&site, &[state.join("outcomes.jsonl")]);
    assert_eq!(site.stats().duplicate_page_requests, 0);
}

#[test]
fn page_limits_hold_across_kills() {
    for (flag, limit) in [("--max-pages-per-host", 900usize), ("--max-pages", 700)] {
        let site = site(3_000);
        let dir = tempfile::tempdir().unwrap();
        let (state, out) = (dir.path().join("state"), dir.path().join("records.jsonl"));
        let (url, st, o) = (site.url().to_string(), text(&state), text(&out));
        let n = limit.to_string();
        let mut args = crawl_args(&url, &st, &o, true);
        args.extend([flag, n.as_str()]);
        let mut running = Running::start(trawler(&args));
        wait_served(&site, 0, 300);
        running.child.kill().unwrap();
        running.wait(Duration::from_secs(20));
        let r =
            Running::start(trawler(&["crawl", "--state", &st, "-q"])).wait(Duration::from_secs(60));
        assert_eq!(r.status.code(), Some(0), "{flag}: {}", r.stderr);
        let recs = by_url(&[&out]);
        assert!(
            recs.values().all(|v| v.len() == 1),
            "{flag}: a URL recorded twice"
        );
        let fetched = recs
            .values()
            .filter(|v| v[0]["outcome"] == "fetched")
            .count();
        let mut kinds: HashMap<String, usize> = HashMap::new();
        for v in recs.values() {
            let kind = format!("{} {}", v[0]["outcome"], v[0]["reason"]);
            *kinds.entry(kind).or_default() += 1;
        }
        assert_eq!(fetched, limit, "{flag} {limit} across a kill: {kinds:?}");
    }
}

#[test]
fn a_full_disk_stops_the_crawl_cleanly_and_it_resumes_once_there_is_room() {
    // A wide site: each page links ~190 pages never seen, so the records file grows by
    // thousands of `page_limit` records per page. The file size limit (`ulimit -f`, with
    // SIGXFSZ ignored so a write past it fails with EFBIG, as a full disk fails with ENOSPC)
    // is just above the store's journal, which is made 64 MiB at once.
    let site = Testbed::start(trawler_testbed::SiteSpec {
        pages: 2_000_000,
        links_per_page: 200,
        ..trawler_testbed::SiteSpec::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (url, st) = (site.url().to_string(), state.to_str().unwrap().to_string());
    let limited = Command::new("bash")
        .args(["-c", "trap '' XFSZ; ulimit -f 66000; exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_trawler"))
        .args([
            "crawl",
            &url,
            "--state",
            &st,
            "--no-robots",
            "--max-pages",
            "2500",
            "-q",
        ])
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&limited.stderr);
    assert_eq!(limited.status.code(), Some(1), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("trawler: writing the outcome records failed: File too large"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("keeping the crawl's state failed").count(),
        1,
        "said once: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    // With room again, the same command goes on and ends as one whole crawl.
    let r =
        Running::start(trawler(&["crawl", "--state", &st, "-q"])).wait(Duration::from_secs(120));
    assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
    let recs = by_url(&[state.join("outcomes.jsonl")]);
    assert!(recs.values().all(|v| v.len() == 1), "a URL recorded twice");
    let fetched = recs
        .values()
        .filter(|v| v[0]["outcome"] == "fetched")
        .count();
    assert_eq!(fetched, 2_500);
    assert!(recs.len() > 300_000, "{} records", recs.len());
}

/// One line on stderr, exit status 2, no panic.
fn refused(args: &[&str], says: &str) {
    let r = Running::start(trawler(args)).wait(Duration::from_secs(30));
    assert_eq!(r.status.code(), Some(2), "{args:?}: {}", r.stderr);
    let line = r.stderr.trim();
    assert!(line.starts_with("trawler: "), "{line}");
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(line.contains(says), "{args:?}: {line}");
}

#[test]
fn state_directories_that_cannot_be_used_are_refused_in_one_line() {
    let site = site(3_000);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let st = state.to_str().unwrap();
    let url = site.url().to_string();
    // Nothing to resume.
    refused(&["crawl", "--state", st], "no crawl to resume");
    // A second process on a directory in use.
    let first = Running::start(trawler(&[
        "crawl",
        &url,
        "--state",
        st,
        "--no-robots",
        "--rate",
        "20",
        "-q",
    ]));
    wait_served(&site, 0, 5);
    let out2 = dir.path().join("other.jsonl");
    refused(
        &["crawl", &url, "--state", st, "-o", out2.to_str().unwrap()],
        "in use by another trawler process",
    );
    assert!(!out2.exists(), "refused before its records file was made");
    Command::new("kill")
        .args(["-TERM", &first.child.id().to_string()])
        .status()
        .unwrap();
    first.wait(Duration::from_secs(30));
    // Another crawl's state.
    refused(
        &["crawl", "http://127.0.0.1:9/", "--state", st],
        "--continue-other",
    );
    // A damaged store: every file of its database overwritten.
    for entry in walk(&state.join("db")) {
        std::fs::write(&entry, b"not a database").unwrap();
    }
    refused(&["crawl", "--state", st], "--state");
    // ... and what can be saved is said: the records file is apart from the store.
    refused(
        &["crawl", "--state", st],
        &format!("the records written so far are in {st}/outcomes.jsonl"),
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else {
            files.push(p);
        }
    }
    files
}
