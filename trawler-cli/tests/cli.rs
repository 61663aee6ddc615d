//! The `trawler` binary, run as a user runs it: real processes against the synthetic site
//! served on 127.0.0.1 by this test process, every run bounded in time.
//!
//! What is checked is what a user or a script relies on: one well-formed record per URL in
//! either format, the limits, exit statuses and one-line errors, a clean Ctrl-C, and the
//! offline demo. The runner and readers are in `cli_support`; bad input, exit statuses and
//! `--only` are in `cli_input.rs`.

mod cli_support;

use cli_support::*;
use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use trawler_testbed::{Faults, Latency, SiteSpec, Testbed};

#[test]
fn jsonl_has_one_complete_record_per_url() {
    let site = site(60);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let r = run(&[
        "crawl",
        site.url().as_str(),
        "--out",
        out.to_str().unwrap(),
        "--workers",
        "2",
    ]);
    assert!(r.status.success(), "{}", r.stderr);
    let recs = records(&read(&out));
    let urls: HashSet<&str> = recs.iter().map(|r| r["url"].as_str().unwrap()).collect();
    assert_eq!(urls.len(), recs.len(), "a URL has two records");
    for rec in &recs {
        for field in ALWAYS {
            assert!(rec.get(field).is_some(), "no {field} in {rec}");
        }
        match rec["outcome"].as_str().unwrap() {
            "fetched" => {
                assert!(
                    rec["status"].is_u64() && rec["content_type"].is_string(),
                    "{rec}"
                );
            }
            "skipped" => assert!(rec["reason"].is_string(), "{rec}"),
            "failed" => assert!(rec["error"].is_string(), "{rec}"),
            other => panic!("unknown outcome {other}"),
        }
        if rec["depth"] != 0 {
            assert!(rec["referrer"].is_string(), "{rec}");
        }
    }
    for page in site.expected_urls() {
        assert!(urls.contains(page.as_str()), "{page} has no record");
    }
    assert!(site.stats().is_perfect_crawl(), "{:?}", site.stats());
    // The summary counts the same URLs as the file holds.
    assert_eq!(
        summary(&r.stderr, "URLs"),
        Some(recs.len() as u64),
        "{}",
        r.stderr
    );
}

#[test]
fn csv_has_a_header_and_the_same_records_as_jsonl() {
    let site = site(40);
    let r = run(&["crawl", site.url().as_str(), "--format", "csv", "-q"]);
    assert!(r.status.success(), "{}", r.stderr);
    let mut csv = csv::Reader::from_reader(r.stdout.as_bytes());
    let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
    for field in ALWAYS
        .iter()
        .chain(&["status", "error", "reason", "referrer"])
    {
        assert!(
            header.iter().any(|h| h == field),
            "no {field} column in {header:?}"
        );
    }
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let url = header.iter().position(|h| h == "url").unwrap();
    let csv_urls: HashSet<String> = rows.iter().map(|r| r[url].to_string()).collect();
    assert_eq!(csv_urls.len(), rows.len());

    // The same crawl as JSON lines on stdout (the default) names the same URLs.
    let r = run(&["crawl", site.url().as_str(), "-q"]);
    let json_urls: HashSet<String> = records(&r.stdout)
        .iter()
        .map(|r| r["url"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(csv_urls, json_urls);
    // -q: neither progress nor summary.
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn bad_usage_exits_2_with_one_line() {
    let cases: &[&[&str]] = &[
        &["crawl", "http://127.0.0.1:1/", "--no-such-flag"],
        &["crawl", "not a url"],
        &["crawl", "ftp://127.0.0.1/"],
        &["crawl", "http://127.0.0.1:1/", "--include", "("],
        &["crawl", "http://127.0.0.1:1/", "--concurrency", "0"],
        &["crawl", "http://127.0.0.1:1/", "--timeout=-3"],
        &["crawl", "http://127.0.0.1:1/", "--max-body", "12Q"],
        &["crawl", "http://127.0.0.1:1/", "--format", "xml"],
        &[
            "crawl",
            "http://127.0.0.1:1/",
            "--urls-out",
            "a",
            "--out",
            "b",
        ],
        &["crawl"],
        &["fly"],
    ];
    for args in cases {
        let r = run(args);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {}", r.stderr);
        assert!(r.stderr.starts_with("trawler: "), "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
    }
}

#[test]
fn a_bad_flag_does_not_touch_an_existing_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("keep.jsonl");
    std::fs::write(&out, "precious\n").unwrap();
    let r = run(&[
        "crawl",
        "http://127.0.0.1:1/",
        "--include",
        "(",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert_eq!(read(&out), "precious\n");
}

#[test]
fn max_pages_and_max_depth_are_honoured() {
    let site = site(300);
    let r = run(&[
        "crawl",
        site.url().as_str(),
        "--max-pages",
        "10",
        "--no-robots",
    ]);
    assert!(r.status.success(), "{}", r.stderr);
    let recs = records(&r.stdout);
    assert_eq!(with(&recs, "fetched") + with(&recs, "failed"), 10);
    assert!(recs.iter().any(|r| r["reason"] == "page_limit"));
    assert_eq!(
        site.stats().requests,
        10,
        "robots.txt is not fetched with --no-robots"
    );

    let r = run(&["crawl", site.url().as_str(), "--max-depth", "1"]);
    let recs = records(&r.stdout);
    assert!(recs.iter().all(|r| r["depth"].as_u64().unwrap() <= 2));
    for rec in recs.iter().filter(|r| r["outcome"] == "fetched") {
        assert!(rec["depth"].as_u64().unwrap() <= 1, "{rec}");
    }
    assert!(recs.iter().any(|r| r["reason"] == "depth"));
}

#[test]
fn per_host_limit_sitemaps_and_throttle_flags_reach_the_crawl() {
    let site = site(300);
    let r = run(&[
        "crawl",
        site.url().as_str(),
        "--max-pages-per-host",
        "7",
        "--adaptive-throttle",
        "--no-robots",
    ]);
    assert!(r.status.success(), "{}", r.stderr);
    let recs = records(&r.stdout);
    assert_eq!(with(&recs, "fetched") + with(&recs, "failed"), 7);
    assert!(recs.iter().any(|r| r["reason"] == "host_page_limit"));
    assert_eq!(site.stats().requests, 7);

    // With --sitemaps the start host's /sitemap.xml is asked for; without, it is not.
    let sitemap_hits = |extra: &[&str]| {
        let small = crate::site(50);
        let url = small.url().to_string();
        let mut args = vec!["crawl", url.as_str(), "--max-pages", "5"];
        args.extend_from_slice(extra);
        let r = run(&args);
        assert!(r.status.success(), "{}", r.stderr);
        small.stats().sitemap_hits
    };
    assert!(sitemap_hits(&["--sitemaps"]) >= 1);
    assert_eq!(sitemap_hits(&[]), 0);
}

#[test]
fn allow_host_adds_to_the_start_host() {
    let site = Testbed::start(SiteSpec {
        pages: 30,
        hosts: 2,
        ..SiteSpec::default()
    })
    .unwrap();
    let second = site.host_urls()[1].clone();
    let fetched_on_second = |r: &Run| {
        records(&r.stdout)
            .iter()
            .filter(|r| r["outcome"] == "fetched")
            .filter(|r| r["url"].as_str().unwrap().starts_with(second.as_str()))
            .count()
    };
    let alone = run(&["crawl", site.url().as_str(), "-q"]);
    assert_eq!(fetched_on_second(&alone), 0);
    let both = run(&[
        "crawl",
        site.url().as_str(),
        "--allow-host",
        second.host_str().unwrap(),
        "-q",
    ]);
    assert!(fetched_on_second(&both) >= 30, "{}", both.stdout);
    assert!(
        site.stats().missing_pages() == 0,
        "both hosts fully crawled"
    );
}

#[test]
fn robots_txt_is_obeyed_unless_no_robots() {
    let site = Testbed::start(SiteSpec {
        pages: 20,
        robots_txt: Some("User-agent: *\nDisallow: /s\n".into()),
        ..SiteSpec::default()
    })
    .unwrap();
    let polite = records(&run(&["crawl", site.url().as_str(), "-q"]).stdout);
    assert!(polite.iter().any(|r| r["reason"] == "robots"));
    assert!(
        !polite
            .iter()
            .any(|r| r["outcome"] == "fetched" && r["url"].as_str().unwrap().contains("/s0"))
    );
    let rude = records(&run(&["crawl", site.url().as_str(), "--no-robots", "-q"]).stdout);
    assert!(!rude.iter().any(|r| r["reason"] == "robots"));
    assert!(with(&rude, "fetched") > with(&polite, "fetched"));
}

#[test]
fn an_unreachable_seed_gets_its_record_and_a_message() {
    let seed = format!("http://127.0.0.1:{}/", dead_port());
    let r = run(&["crawl", &seed, "--retries", "0"]);
    // Nothing could be fetched: its own exit status, said on the last line.
    assert_eq!(r.status.code(), Some(3), "{}", r.stderr);
    assert!(
        r.stderr
            .lines()
            .last()
            .is_some_and(|l| l.contains("nothing fetched")),
        "{}",
        r.stderr
    );
    let recs = records(&r.stdout);
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert_eq!(recs[0]["outcome"], "failed");
    assert!(recs[0].get("status").is_none());
    assert!(
        recs[0]["error"].as_str().unwrap().contains("connect"),
        "{}",
        recs[0]
    );
    assert!(
        r.stderr.contains(&format!("cannot fetch start URL {seed}")),
        "{}",
        r.stderr
    );

    // It wins over --fail-on-errors, whose 1 means "some URLs were broken".
    let r = run(&["crawl", &seed, "--retries", "0", "--fail-on-errors"]);
    assert_eq!(r.status.code(), Some(3), "{}", r.stderr);
}

#[test]
fn fail_on_errors_exits_1_only_when_asked_and_only_on_broken_urls() {
    let broken = Testbed::start(SiteSpec {
        pages: 100,
        faults: Faults {
            status_5xx: 0.1,
            repeats: u32::MAX,
            ..Faults::default()
        },
        ..SiteSpec::default()
    })
    .unwrap();
    let url = broken.url();
    let r = run(&["crawl", url.as_str(), "--retries", "0", "--fail-on-errors"]);
    assert_eq!(r.status.code(), Some(1), "{}", r.stderr);
    assert!(summary(&r.stderr, "broken").unwrap() > 0, "{}", r.stderr);
    assert!(records(&r.stdout).iter().any(|r| r["outcome"] == "failed"));
    let r = run(&["crawl", url.as_str(), "--retries", "0"]);
    assert_eq!(r.status.code(), Some(0), "{}", r.stderr);

    let healthy = site(20);
    let r = run(&["crawl", healthy.url().as_str(), "--fail-on-errors"]);
    assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
}

#[test]
fn the_benchmark_contract_works() {
    let site = site(50);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("urls.jsonl");
    let r = run(&[
        "crawl",
        "--start",
        site.url().as_str(),
        "--concurrency",
        "4",
        "--urls-out",
        out.to_str().unwrap(),
        "--no-robots",
    ]);
    assert!(r.status.success(), "{}", r.stderr);
    let fetched: HashSet<String> = records(&read(&out))
        .iter()
        .filter(|r| r["status"].is_u64())
        .map(|r| r["url"].as_str().unwrap().to_string())
        .collect();
    for page in site.expected_urls() {
        assert!(fetched.contains(page.as_str()), "{page} not listed");
    }
    assert_eq!(site.stats().robots_hits, 0);
}

/// Starts a slow crawl (minutes of work), stops it with `signal` once it is under way,
/// and checks the clean stop: complete records, queued URLs recorded, the summary, and the
/// exit status `code`.
fn stops_cleanly_on(signal: &str, code: i32) {
    // Slow pages and one request at a time: the crawl would take minutes.
    let site = Testbed::start(SiteSpec {
        pages: 2_000,
        latency: Latency::Fixed(Duration::from_millis(50)),
        ..SiteSpec::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let cmd = trawler(&[
        "crawl",
        site.url().as_str(),
        "-c",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--progress-interval",
        "0.2",
    ]);
    let running = Running::start(cmd);
    let deadline = Instant::now() + Duration::from_secs(20);
    while site.stats().pages_served < 10 {
        assert!(Instant::now() < deadline, "the crawl did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let pid = running.child.id().to_string();
    let kill = Command::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    let r = running.wait(Duration::from_secs(20));
    assert_eq!(r.status.code(), Some(code), "{signal}: {}", r.stderr);
    let text = read(&out);
    assert!(text.ends_with('\n'), "{signal}: the last record is whole");
    let recs = records(&text);
    assert!(with(&recs, "fetched") >= 10, "{}", recs.len());
    assert!(
        recs.iter().any(|r| r["reason"] == "stopped"),
        "{signal}: queued URLs are recorded"
    );
    assert_eq!(
        summary(&r.stderr, "URLs"),
        Some(recs.len() as u64),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("interrupted"), "{}", r.stderr);
    // Off a terminal, progress comes as plain lines.
    assert!(
        r.stderr
            .lines()
            .any(|l| l.starts_with("trawler: ") && l.contains("pages/s"))
    );
}

#[test]
fn ctrl_c_stops_cleanly_with_complete_records_and_a_summary() {
    stops_cleanly_on("INT", 130);
}

#[test]
fn sigterm_and_sighup_stop_like_ctrl_c() {
    stops_cleanly_on("TERM", 143);
    stops_cleanly_on("HUP", 129);
}

#[test]
fn a_second_signal_quits_at_once_leaving_only_whole_records() {
    // A fast crawl writing many records a second, with a request in flight that takes
    // 10 s: a graceful stop would wait for it.
    let site = Testbed::start(SiteSpec {
        pages: 20_000,
        ..SiteSpec::default()
    })
    .unwrap();
    let slow = Testbed::start(SiteSpec {
        pages: 5,
        latency: Latency::Fixed(Duration::from_secs(10)),
        ..SiteSpec::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let running = Running::start(trawler(&[
        "crawl",
        site.url().as_str(),
        slow.url().as_str(),
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]));
    let deadline = Instant::now() + Duration::from_secs(20);
    while site.stats().pages_served < 500 || slow.stats().requests == 0 {
        assert!(Instant::now() < deadline, "the crawl did not start");
        std::thread::sleep(Duration::from_millis(5));
    }
    let pid = running.child.id().to_string();
    for _ in 0..2 {
        let kill = Command::new("kill").args(["-INT", &pid]).status().unwrap();
        assert!(kill.success());
        std::thread::sleep(Duration::from_millis(30));
    }
    let r = running.wait(Duration::from_secs(5));
    assert_eq!(r.status.code(), Some(130), "{}", r.stderr);
    let text = read(&out);
    assert!(
        text.ends_with('\n'),
        "no torn last line: {:?}",
        &text[text.len().saturating_sub(80)..]
    );
    let recs = records(&text);
    assert!(recs.len() >= 500, "{}", recs.len());
}

#[test]
fn an_output_file_with_results_is_kept_unless_overwrite_is_given() {
    let site = site(20);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let out_s = out.to_str().unwrap();
    std::fs::write(&out, "{\"url\":\"an earlier crawl\"}\n").unwrap();
    let r = run(&["crawl", site.url().as_str(), "-q", "--out", out_s]);
    assert_eq!(r.status.code(), Some(2), "{}", r.stderr);
    assert!(
        r.stderr.contains("--overwrite") && r.stderr.lines().count() == 1,
        "{}",
        r.stderr
    );
    assert_eq!(read(&out), "{\"url\":\"an earlier crawl\"}\n");
    // An empty file is no result to lose; --overwrite replaces one that is not.
    std::fs::write(&out, "").unwrap();
    assert_eq!(
        run(&["crawl", site.url().as_str(), "-q", "--out", out_s])
            .status
            .code(),
        Some(0)
    );
    let r = run(&[
        "crawl",
        site.url().as_str(),
        "-q",
        "--out",
        out_s,
        "--overwrite",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
    assert!(records(&read(&out)).len() > 20);
}

/// `trawler ARGS` under `ulimit -n limit` (soft and hard).
fn with_open_files(limit: u32, args: &[&str]) -> Run {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_trawler"))
        .args(args)
        .env_remove("RUST_LOG");
    Running::start(cmd).wait(RUN_LIMIT)
}

#[test]
fn a_low_open_file_limit_lowers_the_concurrency_and_the_crawl_completes() {
    let site = site(300);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let out = out.to_str().unwrap();
    // 64 in flight would need about 150 descriptors.
    let r = with_open_files(
        40,
        &["crawl", site.url().as_str(), "-c", "64", "--out", out],
    );
    assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
    assert!(
        r.stderr.contains("open-file limit (40) allows"),
        "{}",
        r.stderr
    );
    let recs = records(&read(Path::new(out)));
    assert_eq!(with(&recs, "failed"), 0);
    assert!(site.stats().is_perfect_crawl(), "{:?}", site.stats());
    // Too low for any socket at all: one line, a non-zero exit, no panic.
    let r = with_open_files(20, &["crawl", site.url().as_str(), "-q"]);
    assert_eq!(r.status.code(), Some(1), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("open-file limit (20)"), "{}", r.stderr);
}

#[test]
fn a_second_ctrl_c_quits_at_once_even_with_a_request_in_flight() {
    // Every answer takes 10 s, so a graceful stop would wait that long for the request in flight.
    let site = Testbed::start(SiteSpec {
        pages: 20,
        latency: Latency::Fixed(Duration::from_secs(10)),
        ..SiteSpec::default()
    })
    .unwrap();
    let running = Running::start(trawler(&["crawl", site.url().as_str(), "-q"]));
    let deadline = Instant::now() + Duration::from_secs(20);
    while site.stats().requests == 0 {
        assert!(Instant::now() < deadline, "the crawl did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = running.child.id().to_string();
    for _ in 0..2 {
        let kill = Command::new("kill").args(["-INT", &pid]).status().unwrap();
        assert!(kill.success());
        std::thread::sleep(Duration::from_millis(200));
    }
    let r = running.wait(Duration::from_secs(5));
    assert_eq!(r.status.code(), Some(130), "{}", r.stderr);
}

#[test]
fn the_demo_runs_offline_and_checks_itself() {
    let r = run(&["demo", "--pages", "200", "--workers", "2"]);
    assert!(r.status.success(), "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("200/200 reachable pages fetched"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("no duplicates"), "{}", r.stdout);
    assert!(
        summary(&r.stderr, "fetched").unwrap() >= 200,
        "{}",
        r.stderr
    );
}
