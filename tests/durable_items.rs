//! A durable crawl's items across kills: a crawl on a `DiskStore` whose spider emits one
//! item per page into `JsonLines::append` is killed with SIGKILL again and again, then
//! resumed to its end; the items file must hold each page's item exactly once, every line
//! whole. The crawl runs in a child process (this test binary, started again with an
//! environment variable naming the crawl to run), so the kill is a real one.
#![cfg(feature = "durable")]

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use trawler::prelude::*;
use trawler::store::DiskStore;
use trawler_testbed::{SiteSpec, Testbed};

const CHILD: &str = "TRAWLER_DURABLE_ITEMS_CHILD";

/// One item per page: its URL.
struct Pages;

impl Spider for Pages {
    type Item = String;

    fn parse(&self, page: &Page<'_>, out: &mut Output<String>) -> Result<(), BoxError> {
        out.item(page.url().to_string());
        Ok(())
    }
}

/// The crawl the child runs: `DIR URL` in the environment.
fn child_crawl(spec: &str) {
    let (dir, url) = spec.split_once(' ').expect("DIR URL");
    let dir = Path::new(dir);
    let config = CrawlConfig::builder()
        .seed(url)
        .robots(false)
        .concurrency(16)
        .per_host_concurrency(16)
        .build()
        .unwrap();
    Crawler::new(config, Pages)
        .store(DiskStore::open(dir.join("state")).unwrap())
        .pipeline(JsonLines::append(dir.join("items.jsonl")).unwrap())
        .run()
        .unwrap();
}

fn start_child(dir: &Path, url: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "killed_crawls_leave_each_page_s_item_once",
            "--nocapture",
        ])
        .env(CHILD, format!("{} {url}", dir.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn wait_served(site: &Testbed, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while site.stats().pages_served < n {
        assert!(Instant::now() < deadline, "the crawl made no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("the crawl did not end within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn killed_crawls_leave_each_page_s_item_once() {
    if let Ok(spec) = std::env::var(CHILD) {
        return child_crawl(&spec);
    }
    let site = Testbed::start(SiteSpec {
        pages: 4_000,
        ..SiteSpec::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = site.url().to_string();
    for kill in 1..=4u64 {
        let mut child = start_child(dir.path(), &url);
        wait_served(&site, kill * 700);
        child.kill().unwrap();
        wait_exit(&mut child, Duration::from_secs(20));
    }
    let mut child = start_child(dir.path(), &url);
    let status = wait_exit(&mut child, Duration::from_secs(120));
    assert!(status.success(), "{status}");
    assert_eq!(site.stats().missing_pages(), 0, "every page fetched");

    let text = std::fs::read_to_string(dir.path().join("items.jsonl")).unwrap();
    assert!(text.ends_with('\n'), "a torn last line");
    let mut count: HashMap<String, u32> = HashMap::new();
    for line in text.lines() {
        let url: String = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        *count.entry(url).or_default() += 1;
    }
    let twice: Vec<_> = count.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "items written twice: {twice:?}");
    for url in site.expected_urls() {
        assert_eq!(count.get(url.as_str()), Some(&1), "{url} has no item");
    }
    eprintln!(
        "{} items; pages served again: {}",
        count.len(),
        site.stats().duplicate_page_requests
    );
}
