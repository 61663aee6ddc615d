//! A durable crawl killed at any moment, over and over, ends as an uninterrupted one
//! would: the engine on a real [`DiskStore`], "killed" by being dropped between any two
//! events (what it noted since its last commit is lost, as in a `kill -9`), then resumed
//! from the directory with its outcome log cut back to the last commit. robots.txt is on
//! (it disallows some pages): once its rules are committed, no later life asks again.

use super::resume_tests::durable_engine;
use super::tests::{config, parsed};
use super::types::FetchResult;
use super::*;
use crate::outcome::OutcomeKind;
use crate::store::{DiskStore, OutcomeLog};
use proptest::prelude::*;
use std::collections::HashMap;
use std::time::Duration;

/// The outcome records as a file would hold them: written, then cut back on resume.
#[derive(Default)]
struct Log {
    /// Each record's URL, and whether it is a robots.txt skip.
    records: Vec<(String, bool)>,
    /// Hosts whose robots.txt rules were committed in some life.
    robots_kept: std::collections::HashSet<String>,
}

impl OutcomeLog for &mut Log {
    fn position(&mut self) -> std::io::Result<u64> {
        Ok(self.records.len() as u64)
    }

    fn resume_at(&mut self, position: u64) -> std::io::Result<()> {
        self.records.truncate(position as usize);
        Ok(())
    }
}

const PAGES: usize = 60;
/// Requests in flight at once.
const CONCURRENCY: usize = 4;

/// Page `i`: on two hosts, so spilled requests come back from both.
fn page(i: usize) -> String {
    let host = if i % 4 == 3 { "b" } else { "a" };
    format!("http://{host}.test/{i}")
}

/// Links of page `i`: a tree plus cross links, so most URLs are found several times.
fn links_of(i: usize) -> Vec<String> {
    (1..=3).map(|k| page((i * 3 + k) % PAGES)).collect()
}

/// Runs one life of the crawl: resumes from `dir`, then handles up to `events` events,
/// committing every `commit_every` events, with at most `resident` requests queued in
/// memory and `window` per host once half of that is used (the rest spilled to the
/// store); returns whether the crawl finished.
fn life(
    dir: &std::path::Path,
    log: &mut Log,
    events: usize,
    commit_every: usize,
    (resident, window): (usize, usize),
) -> bool {
    let cfg = config(&page(0))
        .allow_host("a.test")
        .allow_host("b.test")
        .robots(true)
        .retries(1)
        .concurrency(CONCURRENCY)
        .build()
        .unwrap();
    let mut sink = &mut *log;
    let mut e = durable_engine(dir, cfg, Some(&mut sink));
    e.spill.resident = resident;
    e.spill.window = window;
    e.start();
    e.pipelines_closed(0);
    let mut now = Instant::now();
    let mut robots_read = Vec::new();
    for n in 0..events {
        // New requests spill past `resident`; what comes back on resume (requests in
        // flight or waiting for a retry at the kill) and a page's own links may go above.
        let bound = resident + window + 2 * CONCURRENCY + 3;
        assert!(
            e.frontier.len() <= bound,
            "{} queued in memory (bound {bound})",
            e.frontier.len()
        );
        let d = e.pump(now);
        for (_, job) in d.files {
            let host = job.url.host_str().unwrap().to_string();
            assert!(
                !log.robots_kept.contains(&host),
                "robots.txt of {host} asked again after its rules were kept"
            );
            let body = "User-agent: *\nDisallow: /1\n";
            let rules = crate::politeness::robots::RobotsRules::parse("trawler", body.as_bytes());
            let answer = crate::politeness::robots::RobotsAnswer::Rules(
                Arc::new(rules),
                Some(body.as_bytes().into()),
            );
            e.file_fetched(job.ticket, super::types::FileAnswer::Robots(answer), now);
            robots_read.push(host);
        }
        for (_, job) in d.pages {
            let i: usize = job.request.url.path()[1..].parse().unwrap();
            assert_eq!(job.request.url.as_str(), page(i));
            if i % 7 == 3 && job.request.attempts == 1 {
                // A transient failure: retried once.
                let r = FetchResult::Transient {
                    error: crate::error::FetchError::Timeout(Duration::from_secs(1)),
                    meta: None,
                    retry_after: None,
                };
                e.fetched(job.ticket, r, now);
            } else {
                let p = parsed(&e, &job.request, &links_of(i));
                e.parsed(job.ticket, p);
            }
        }
        for o in e.take_outcomes() {
            let robots = matches!(o.kind, OutcomeKind::Skipped(SkipReason::Robots));
            log.records.push((o.url.to_string(), robots));
        }
        if n % commit_every == commit_every - 1 || e.phase() == Phase::Done {
            let pos = log.records.len() as u64;
            e.commit(Some(pos), false);
            log.robots_kept.extend(robots_read.drain(..));
        }
        if e.phase() == Phase::Done {
            return true;
        }
        now = d.wake.map_or(now, |t| t.max(now)) + Duration::from_millis(1);
    }
    false
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn killed_at_any_moment_the_crawl_ends_with_one_record_per_url(
        kills in proptest::collection::vec((1usize..40, 1usize..6), 0..6),
        resident in prop_oneof![Just(1_000usize), 2usize..8],
        window in prop_oneof![Just(1_000usize), 1usize..4],
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::default();
        for &(events, commit_every) in &kills {
            if life(dir.path(), &mut log, events, commit_every, (resident, window)) {
                break;
            }
        }
        prop_assert!(
            life(dir.path(), &mut log, 100_000, 3, (resident, window)),
            "the last life finishes"
        );
        let mut count: HashMap<&str, usize> = HashMap::new();
        for (url, robots) in &log.records {
            *count.entry(url.as_str()).or_default() += 1;
            let disallowed = url::Url::parse(url).unwrap().path().starts_with("/1");
            prop_assert_eq!(*robots, disallowed, "{} judged by robots.txt", url);
        }
        prop_assert_eq!(count.len(), PAGES, "every URL has a record");
        prop_assert!(count.values().all(|&n| n == 1), "{:?}", count);
    }
}

#[test]
fn a_state_of_another_crawl_is_refused_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::default();
    life(dir.path(), &mut log, 3, 1, (1_000, 1_000));
    let other = config("http://b.test/").build().unwrap();
    let mut store = DiskStore::open(dir.path()).unwrap();
    let err = journal::resume_from(&other, &mut store, None).unwrap_err();
    assert!(matches!(err, StoreError::OtherCrawl(_)), "{err}");
    let anyway = config("http://b.test/")
        .continue_other_crawl(true)
        .build()
        .unwrap();
    let resumed = journal::resume_from(&anyway, &mut store, None).unwrap();
    assert!(resumed.is_some_and(|r| !r.queued.is_empty()));
}
