//! `trawler crawl --warc`, `--from-warc`, `--content`, `--extract`, `--save` and `trawler
//! replay` against the testbed: archives that warcio validates and that hold one response
//! per recorded URL even after kills of a durable crawl; a crawl of the archive alone that
//! gives the same records; records carrying each page's content; pages saved as files;
//! bad flags refused in one line.

mod cli_support;
#[path = "../../tests/warc/files.rs"]
mod files;
#[path = "../../tests/warc/warcio.rs"]
#[allow(dead_code)]
mod warcio;

use cli_support::{Running, assert_whole, by_url, read, records, run, site, trawler};
use files::{responses, warc_files};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

fn text(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// Records by URL without their timing, for comparing two crawls.
fn comparable(path: &Path) -> BTreeMap<String, Value> {
    records(&read(path))
        .into_iter()
        .map(|mut r| {
            r.as_object_mut().unwrap().remove("elapsed_ms");
            (r["url"].as_str().unwrap().to_string(), r)
        })
        .collect()
}

#[test]
fn an_archived_crawl_validates_and_crawling_the_archive_gives_the_same_records() {
    warcio::require();
    let site = site(150);
    let dir = tempfile::tempdir().unwrap();
    let (live, again) = (
        dir.path().join("live.jsonl"),
        dir.path().join("again.jsonl"),
    );
    let arch = dir.path().join("arch");
    std::fs::create_dir(&arch).unwrap();
    let url = site.url().to_string();
    let prefix = text(&arch.join("site.warc.gz"));
    let one = ["-c", "1", "--per-host-concurrency", "1", "-q"];
    let mut args = vec![
        "crawl",
        &url,
        "-o",
        live.to_str().unwrap(),
        "--warc",
        &prefix,
    ];
    args.extend(one);
    args.extend(["--content", "markdown", "--extract", "heading=h1"]);
    let r = run(&args);
    assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
    let files = warc_files(&arch);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(
        (files[0].file_name().unwrap().to_str().unwrap()).starts_with("site-"),
        "{files:?}"
    );
    assert!(warcio::check(&files[0]) > 0);
    let recorded = responses(&files);
    let live_records = comparable(&live);
    for (u, rec) in &live_records {
        if rec.get("status").is_some() {
            assert_eq!(recorded.get(u), Some(&1), "{u}");
        }
    }
    assert_eq!(
        recorded.values().sum::<usize>() as u64,
        site.stats().requests,
        "one response record per request served"
    );
    // Every fetched HTML page carries its content; nothing else does.
    let pages: Vec<_> = (live_records.values())
        .filter(|r| {
            r["content_type"]
                .as_str()
                .is_some_and(|t| t.starts_with("text/html"))
        })
        .collect();
    assert!(!pages.is_empty());
    for r in &pages {
        let content = &r["content"];
        assert!(content["title"].is_string(), "{r}");
        assert!(
            content["markdown"].is_string() || content["none"].is_string(),
            "{r}"
        );
        assert!(r["extract"].get("heading").is_some(), "{r}");
    }
    let others = live_records.values().filter(|r| r.get("content").is_some());
    assert_eq!(others.count(), pages.len());
    site.stop();

    // The site is gone: the archive answers, and the records are the same.
    let file = text(&files[0]);
    let mut args = vec![
        "crawl",
        &url,
        "-o",
        again.to_str().unwrap(),
        "--from-warc",
        &file,
    ];
    args.extend(one);
    args.extend(["--content", "markdown", "--extract", "heading=h1"]);
    let r = run(&args);
    assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
    assert_eq!(live_records, comparable(&again));
}

#[test]
fn trawler_replay_serves_the_archive_as_the_site_was() {
    let site = site(60);
    let dir = tempfile::tempdir().unwrap();
    let url = site.url().to_string();
    let prefix = text(&dir.path().join("a"));
    let live = dir.path().join("live.jsonl");
    let one = ["-c", "1", "--per-host-concurrency", "1", "-q"];
    let mut args = vec![
        "crawl",
        &url,
        "-o",
        live.to_str().unwrap(),
        "--warc",
        &prefix,
    ];
    args.extend(one);
    let r = run(&args);
    assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
    site.stop();
    let file = text(&warc_files(dir.path())[0]);
    let printed = dir.path().join("replay.out");
    let mut replay = trawler(&["replay", &file])
        .stdout(std::fs::File::create(&printed).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let served = loop {
        let out = std::fs::read_to_string(&printed).unwrap_or_default();
        if let Some(line) = out.lines().next() {
            break line.trim().to_string();
        }
        if Instant::now() > deadline {
            let _ = replay.kill();
            panic!("replay printed no address");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(served.starts_with("http://127.0.0.1:"), "{served}");
    // Its own address answers the site's first page.
    let again = dir.path().join("again.jsonl");
    let first = run(&[
        "crawl",
        &served,
        "-q",
        "-o",
        again.to_str().unwrap(),
        "--max-depth",
        "0",
    ]);
    assert_eq!(first.status.code(), Some(0), "{}", first.stderr);
    let served_root = records(&read(&again));
    assert_eq!(served_root[0]["status"], 200, "{served_root:?}");
    // As a proxy, it answers for the site's own URLs: the crawl is the one recorded.
    let mut args = vec!["crawl", &url, "-o", again.to_str().unwrap(), "--overwrite"];
    args.extend(one);
    args.extend(["--proxy", &served]);
    let r = run(&args);
    replay.kill().unwrap();
    replay.wait().unwrap();
    assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
    assert_eq!(comparable(&live), comparable(&again));
}

#[test]
fn a_durable_archived_crawl_killed_again_and_again_holds_one_response_per_url() {
    warcio::require();
    let site = site(4_000);
    let dir = tempfile::tempdir().unwrap();
    let (state, out) = (dir.path().join("state"), dir.path().join("records.jsonl"));
    let arch = dir.path().join("arch");
    let (url, st, o, w) = (
        site.url().to_string(),
        text(&state),
        text(&out),
        text(&arch.join("c")),
    );
    std::fs::create_dir(&arch).unwrap();
    let args = |first: bool| {
        let mut a = vec!["crawl"];
        if first {
            a.push(url.as_str());
        }
        a.extend([
            "--state",
            &st,
            "-o",
            &o,
            "-c",
            "16",
            "--per-host-concurrency",
            "16",
        ]);
        a.extend(["--warc", &w, "--warc-max-size", "300K", "-q"]);
        a
    };
    for life in 0..4u64 {
        let from = site.stats().pages_served;
        let mut running = Running::start(trawler(&args(life == 0)));
        let deadline = Instant::now() + Duration::from_secs(60);
        while site.stats().pages_served < from + 300 + life * 53 {
            assert!(Instant::now() < deadline, "the crawl made no progress");
            std::thread::sleep(Duration::from_millis(5));
        }
        running.child.kill().unwrap();
        let r = running.wait(Duration::from_secs(20));
        assert_eq!(r.status.code(), None, "killed by a signal");
    }
    let r = Running::start(trawler(&args(false))).wait(Duration::from_secs(120));
    assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
    assert_whole(&site, &[&out]);
    let files = warc_files(&arch);
    assert!(files.len() > 2, "rolled: {files:?}");
    for f in &files {
        warcio::check(f);
    }
    // Exactly one response per page: those fetched again after a kill were cut back with
    // their records. (robots.txt, which has no record, is written as it comes.)
    let recorded = responses(&files);
    let twice: Vec<_> = (recorded.iter())
        .filter(|(u, n)| **n > 1 && !u.ends_with("/robots.txt"))
        .take(5)
        .collect();
    assert!(twice.is_empty(), "archived twice: {twice:?}");
    for (u, recs) in by_url(&[&out]) {
        if recs[0].get("status").is_some() {
            assert_eq!(recorded.get(&u), Some(&1), "{u} has no response record");
        }
    }
    assert!(
        site.stats().duplicate_page_requests > 0,
        "no kill caught a page in flight"
    );
}

#[test]
fn saved_pages_land_under_the_directory_by_host_and_path() {
    let site = site(80);
    let dir = tempfile::tempdir().unwrap();
    let mirror = dir.path().join("mirror");
    let out = dir.path().join("r.jsonl");
    let url = site.url().to_string();
    let r = run(&[
        "crawl",
        &url,
        "-q",
        "-o",
        &text(&out),
        "--save",
        &text(&mirror),
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
    let host = format!("127.0.0.1%3A{}", site.url().port().unwrap());
    let index = mirror.join(&host).join("index.html");
    assert!(index.is_file(), "{}", index.display());
    let fetched: Vec<Value> = records(&read(&out))
        .into_iter()
        .filter(|r| r["status"] == 200)
        .collect();
    for r in &fetched {
        let u = trawler::url::Url::parse(r["url"].as_str().unwrap()).unwrap();
        let path = trawler::save::SavePath::for_url(&u).unwrap();
        let file = mirror.join(path.to_path_buf());
        let len = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        assert_eq!(len, r["bytes"].as_u64().unwrap(), "{}", file.display());
    }
}

#[test]
fn bad_archive_and_content_flags_are_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.warc.gz");
    std::fs::write(&junk, b"not a warc at all").unwrap();
    let out = text(&dir.path().join("o.jsonl"));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--extract", "title=h1[[["], "not valid CSS"),
        (vec!["--extract", "just-css"], "NAME=SELECTOR"),
        (vec!["--from-warc", "/nonexistent/x.warc.gz"], "--from-warc"),
        (vec!["--from-warc", junk.to_str().unwrap()], "--from-warc"),
        (vec!["--warc-gzip-level", "3"], "--warc"),
        (vec!["--warc", "x", "--warc-gzip-level", "12"], "12"),
        (vec!["--content", "pdf"], "pdf"),
        (vec!["--save", "/proc/no-such-dir/mirror"], "--save"),
    ];
    for (flags, says) in cases {
        let mut args = vec!["crawl", "http://127.0.0.1:9/", "-o", &out];
        args.extend(flags.iter().copied());
        let r = run(&args);
        assert_eq!(r.status.code(), Some(2), "{flags:?}: {}", r.stderr);
        let lines: Vec<&str> = r.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert!(
            lines.iter().any(|l| l.contains(says)),
            "{flags:?}: {}",
            r.stderr
        );
        assert!(
            !Path::new(&out).exists(),
            "{flags:?} created the records file"
        );
    }
    for (args, says) in [
        (vec!["replay", "/nonexistent/a.warc.gz"], "no such file"),
        (vec!["replay", junk.to_str().unwrap()], "junk.warc.gz"),
    ] {
        let r = run(&args);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.contains(says), "{}", r.stderr);
    }
}
