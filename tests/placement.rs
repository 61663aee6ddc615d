//! Worker threads kept on one CPU each (`pin_workers`): the crawl is the same, and its
//! pages are parsed on threads that may each run on one CPU only, a different one per
//! worker while there are CPUs enough.
#![cfg(target_os = "linux")]

mod common;

use common::*;
use rustix::thread::{CpuSet, sched_getaffinity, sched_getcpu};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use trawler::{BoxError, Crawler, Output, Page, Spider, StopReason};

/// Notes, for each page it parses, how many CPUs its thread may run on and which it is on.
#[derive(Default)]
struct Placement {
    seen: Arc<Mutex<Vec<(u32, usize)>>>,
}

impl Spider for Placement {
    type Item = ();
    fn parse(&self, _page: &Page<'_>, _out: &mut Output<()>) -> Result<(), BoxError> {
        let allowed = sched_getaffinity(None).map_or(0, |s| s.count());
        self.seen.lock().unwrap().push((allowed, sched_getcpu()));
        Ok(())
    }
}

fn allowed_cpus() -> usize {
    let mine = sched_getaffinity(None).unwrap();
    (0..CpuSet::MAX_CPU).filter(|&c| mine.is_set(c)).count()
}

fn crawl(pin: bool) -> (trawler::CrawlReport, Vec<(u32, usize)>) {
    let server = TestServer::start();
    let seed = server.url("/site/0.html");
    let config = config(&seed).workers(2).pin_workers(pin).build().unwrap();
    let spider = Placement::default();
    let seen = Arc::clone(&spider.seen);
    let report = Crawler::new(config, spider).run().unwrap();
    assert_books_balance(&report, &server);
    let seen = seen.lock().unwrap().clone();
    (report, seen)
}

#[test]
fn a_pinned_crawl_parses_every_page_on_one_cpu_per_worker() {
    let (report, seen) = crawl(true);
    assert_eq!(report.stop_reason, StopReason::Completed);
    assert_eq!(report.fetched, SITE_PAGES as u64, "{report}");
    assert_eq!(seen.len(), SITE_PAGES, "every page parsed once");
    assert!(
        seen.iter().all(|&(allowed, _)| allowed == 1),
        "every page parsed on a thread kept to one CPU: {seen:?}"
    );
    let cpus: BTreeSet<usize> = seen.iter().map(|&(_, cpu)| cpu).collect();
    if allowed_cpus() >= 2 {
        // Both workers parsed pages (the site has more pages than one worker's share),
        // each on its own CPU.
        assert_eq!(cpus.len(), 2, "two workers, two CPUs: {cpus:?}");
    }
    // The test's own thread was never pinned.
    assert_eq!(
        sched_getaffinity(None).unwrap().count() as usize,
        allowed_cpus()
    );
}

#[test]
fn an_unpinned_crawl_leaves_its_threads_to_the_scheduler() {
    let (report, seen) = crawl(false);
    assert_eq!(report.fetched, SITE_PAGES as u64, "{report}");
    let all = allowed_cpus() as u32;
    assert!(
        seen.iter().all(|&(allowed, _)| allowed == all),
        "no worker thread pinned: {seen:?}"
    );
}
