//! What a durable crawl takes back besides its URLs, each across a "kill" (the engine
//! dropped after a commit) on a real [`DiskStore`]: robots.txt rules with their age and
//! `Crawl-delay`, a retry's due time, the sitemaps taken on and read, the trap counters.

use super::dispatch::Dispatch;
use super::tests::{Quiet, config, parsed};
use super::types::{FetchResult, FileAnswer, FileKind};
use super::*;
use crate::config::{CrawlConfig, CrawlConfigBuilder};
use crate::outcome::OutcomeKind;
use crate::politeness::robots::{RobotsAnswer, RobotsRules};
use crate::sitemap::{SitemapAnswer, SitemapDoc, SitemapKind};
use crate::store::{DiskStore, OutcomeLog};
use std::collections::HashSet;
use std::path::Path;

const SEED: &str = "http://a.test/";

/// The engine of a crawl of `cfg` kept in `dir`, with what it resumes from (its outcome
/// log, if any, cut back to the last commit); not started.
pub(super) fn durable_engine(
    dir: &Path,
    cfg: CrawlConfig,
    log: Option<&mut dyn OutcomeLog>,
) -> Engine<Quiet> {
    let cfg = Arc::new(cfg);
    let mut store = DiskStore::open(dir).unwrap();
    let resume = journal::resume_from(&cfg, &mut store, log).unwrap();
    Engine::new(
        cfg,
        Arc::new(Quiet),
        Box::new(store),
        resume,
        2,
        Instant::now(),
    )
}

/// One life of a crawl of `cfg` kept in `dir`, started (or resumed).
fn life(dir: &Path, cfg: CrawlConfigBuilder) -> Engine<Quiet> {
    let mut e = durable_engine(dir, cfg.build().unwrap(), None);
    e.start();
    e.pipelines_closed(0);
    e
}

/// Pumps `e` once what it waits for is due (within a few seconds).
fn pump_when_due(e: &mut Engine<Quiet>) -> Dispatch {
    let mut d = e.pump(Instant::now());
    for _ in 0..50 {
        if !d.pages.is_empty() || !d.files.is_empty() {
            break;
        }
        let wait = d.wake.map_or(Duration::ZERO, |t| t - Instant::now());
        std::thread::sleep(wait.min(Duration::from_secs(2)) + Duration::from_millis(5));
        d = e.pump(Instant::now());
    }
    d
}

fn robots_jobs(d: &Dispatch) -> usize {
    (d.files.iter())
        .filter(|(_, j)| matches!(j.kind, FileKind::Robots { .. }))
        .count()
}

fn robots_answer(body: &str) -> FileAnswer {
    let rules = RobotsRules::parse("trawler", body.as_bytes());
    FileAnswer::Robots(RobotsAnswer::Rules(
        Arc::new(rules),
        Some(body.as_bytes().into()),
    ))
}

fn skipped_for(e: &mut Engine<Quiet>, reason: SkipReason) -> Vec<String> {
    (e.take_outcomes().into_iter())
        .filter(|o| matches!(&o.kind, OutcomeKind::Skipped(r) if *r == reason))
        .map(|o| o.url.to_string())
        .collect()
}

#[test]
fn robots_rules_and_their_crawl_delay_come_back_without_asking_again() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = || config(SEED).robots(true);
    let mut e = life(dir.path(), cfg());
    let now = Instant::now();
    let d = e.pump(now);
    assert_eq!(robots_jobs(&d), 1, "robots.txt first");
    let (_, job) = d.files.into_iter().next().unwrap();
    let body = "User-agent: *\nDisallow: /private\nCrawl-delay: 1\n";
    e.file_fetched(job.ticket, robots_answer(body), now);
    // The Crawl-delay (real time: the rate gate reads the clock) spaces the host's
    // requests from the file on.
    let (_, job) = pump_when_due(&mut e)
        .pages
        .into_iter()
        .next()
        .expect("the seed");
    let links = [
        format!("{SEED}a"),
        format!("{SEED}b"),
        format!("{SEED}private/1"),
    ];
    let p = parsed(&e, &job.request, &links);
    e.parsed(job.ticket, p);
    assert_eq!(skipped_for(&mut e, SkipReason::Robots).len(), 1);
    e.commit(None, false);
    drop(e); // killed

    let mut e = life(dir.path(), cfg());
    let now = Instant::now();
    let d = e.pump(now);
    assert_eq!(robots_jobs(&d), 0, "the kept rules are used");
    // Their Crawl-delay holds: a page a second.
    assert!(d.pages.is_empty(), "{d:?}");
    let due = d.wake.expect("a wake for the next page");
    assert!(due - now > Duration::from_millis(800), "{:?}", due - now);
    let d = pump_when_due(&mut e);
    assert_eq!(d.pages.len(), 1, "{d:?}");
    let next = d.wake.expect("and the next") - Instant::now();
    assert!(next > Duration::from_millis(800), "{next:?}");
    let (_, job) = d.pages.into_iter().next().unwrap();
    let p = parsed(&e, &job.request, &[format!("{SEED}private/2")]);
    e.parsed(job.ticket, p);
    let robots = skipped_for(&mut e, SkipReason::Robots);
    assert_eq!(
        robots,
        [format!("{SEED}private/2")],
        "judged by the kept rules"
    );
    drop(e);

    // Rules older than the crawl's robots_max_age are asked for again.
    std::thread::sleep(Duration::from_millis(1100));
    let mut e = life(dir.path(), cfg().robots_max_age(Duration::from_secs(1)));
    assert_eq!(
        robots_jobs(&e.pump(Instant::now())),
        1,
        "too old: read again"
    );
}

#[test]
fn rules_that_grow_old_during_a_crawl_are_read_again() {
    let mut e = super::tests::engine(
        config(SEED)
            .robots(true)
            .robots_max_age(Duration::from_secs(1))
            .build()
            .unwrap(),
    );
    e.start();
    let now = Instant::now();
    let (_, job) = e.pump(now).files.into_iter().next().unwrap();
    e.file_fetched(job.ticket, robots_answer("User-agent: *\nAllow: /\n"), now);
    let (_, job) = e.pump(now).pages.into_iter().next().unwrap();
    let p = parsed(&e, &job.request, &[format!("{SEED}a"), format!("{SEED}b")]);
    e.parsed(job.ticket, p);
    std::thread::sleep(Duration::from_millis(1100));
    let later = now + PRUNE_EVERY + Duration::from_secs(1);
    e.upkeep(later);
    let d = e.pump(later);
    assert_eq!(robots_jobs(&d), 1, "asked again before the queued pages");
    assert!(d.pages.is_empty(), "the host waits for its new rules");
    let (_, job) = d.files.into_iter().next().unwrap();
    e.file_fetched(
        job.ticket,
        robots_answer("User-agent: *\nDisallow: /b\n"),
        later,
    );
    let d = e.pump(later);
    assert_eq!(d.pages.len(), 1);
    assert_eq!(
        skipped_for(&mut e, SkipReason::Robots),
        [format!("{SEED}b")],
        "the queued pages are judged by the new rules"
    );
}

#[test]
fn a_retry_waits_for_its_due_time_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = || config(SEED).retries(2);
    let mut e = life(dir.path(), cfg());
    let now = Instant::now();
    let (_, job) = e.pump(now).pages.into_iter().next().unwrap();
    let busy = FetchResult::Transient {
        error: crate::error::FetchError::Status(503),
        meta: None,
        retry_after: Some(Duration::from_secs(30)),
    };
    e.fetched(job.ticket, busy, now);
    e.commit(None, false);
    drop(e);

    let mut e = life(dir.path(), cfg());
    let now = Instant::now();
    let d = e.pump(now);
    assert!(d.pages.is_empty(), "not due yet");
    let wait = d.wake.expect("woken when due") - now;
    assert!(
        wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
        "{wait:?}"
    );
    let d = e.pump(now + wait);
    let (_, job) = d.pages.into_iter().next().expect("sent when due");
    assert_eq!(job.request.attempts, 2, "its attempts kept");
}

fn sitemap_doc(kind: SitemapKind, locs: &[&str]) -> FileAnswer {
    FileAnswer::Sitemap(SitemapAnswer::Doc(SitemapDoc {
        kind,
        locs: locs.iter().map(|s| s.to_string()).collect(),
        problem: None,
    }))
}

fn sitemap_urls(d: &Dispatch) -> Vec<String> {
    let mut urls: Vec<String> = (d.files.iter())
        .filter(|(_, j)| j.kind == FileKind::Sitemap)
        .map(|(_, j)| j.url.to_string())
        .collect();
    urls.sort();
    urls
}

#[test]
fn sitemaps_read_are_not_read_again_and_those_taken_on_are() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = || config(SEED).sitemaps(true).concurrency(1);
    let mut e = life(dir.path(), cfg());
    let now = Instant::now();
    let d = e.pump(now);
    assert_eq!(sitemap_urls(&d), [format!("{SEED}sitemap.xml")]);
    let (_, job) = d.files.into_iter().next().unwrap();
    let index = sitemap_doc(SitemapKind::Index, &["/s1.xml", "/s2.xml"]);
    e.file_fetched(job.ticket, index, now);
    let d = e.pump(now);
    assert_eq!(sitemap_urls(&d), [format!("{SEED}s1.xml")], "one at a time");
    let (_, job) = d.files.into_iter().next().unwrap();
    e.file_fetched(
        job.ticket,
        sitemap_doc(SitemapKind::Urls, &["/listed"]),
        now,
    );
    e.commit(None, false);
    drop(e); // s2.xml taken on, not read

    let mut e = life(dir.path(), cfg());
    let d = e.pump(Instant::now());
    assert_eq!(
        sitemap_urls(&d),
        [format!("{SEED}s2.xml")],
        "only the unread one"
    );
    let queued: Vec<String> = (d.pages.iter())
        .map(|(_, j)| j.request.url.to_string())
        .collect();
    assert!(queued.is_empty(), "the sitemap goes first: {queued:?}");
}

#[test]
fn query_variant_counts_hold_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = || config(SEED).max_query_variants(2).concurrency(1);
    let mut e = life(dir.path(), cfg());
    let now = Instant::now();
    let (_, job) = e.pump(now).pages.into_iter().next().unwrap();
    let links = [format!("{SEED}cal?m=1"), format!("{SEED}cal?m=2")];
    let p = parsed(&e, &job.request, &links);
    e.parsed(job.ticket, p);
    assert!(skipped_for(&mut e, SkipReason::QueryVariants).is_empty());
    e.commit(None, false);
    drop(e);

    let mut e = life(dir.path(), cfg());
    let (_, job) = e.pump(Instant::now()).pages.into_iter().next().unwrap();
    let p = parsed(&e, &job.request, &[format!("{SEED}cal?m=3")]);
    e.parsed(job.ticket, p);
    assert_eq!(
        skipped_for(&mut e, SkipReason::QueryVariants),
        [format!("{SEED}cal?m=3")],
        "two variants were admitted before the restart"
    );
}

#[test]
fn a_host_that_finds_many_urls_holds_a_window_and_the_others_keep_room() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(SEED)
        .allow_host("a.test")
        .allow_host("b.test")
        .concurrency(1);
    let mut e = life(dir.path(), cfg);
    (e.spill.resident, e.spill.window) = (20, 4);
    let now = Instant::now();
    let (_, job) = e.pump(now).pages.into_iter().next().unwrap();
    // The seed finds 40 URLs of its own host, then 3 of another (within its window).
    let mut links: Vec<String> = (0..40).map(|i| format!("{SEED}{i}")).collect();
    links.extend((0..3).map(|i| format!("http://b.test/{i}")));
    let p = parsed(&e, &job.request, &links);
    e.parsed(job.ticket, p);
    assert!(e.frontier.len() <= 20, "{} in memory", e.frontier.len());
    assert_eq!(
        e.frontier
            .queued_for(e.frontier.existing_id("http://b.test:80").unwrap()),
        3,
        "the other host's requests are not spilled behind the first one's"
    );
    e.commit(None, false);
    // Everything is fetched, each URL once, the spilled ones taken back as room comes;
    // each page of the first host finds one more, found after all the others.
    let mut fetched = HashSet::new();
    let mut order = Vec::new();
    let mut now = now;
    for _ in 0..10_000 {
        let d = e.pump(now);
        for (_, job) in d.pages {
            let url = job.request.url.to_string();
            assert!(fetched.insert(url.clone()), "{url}");
            let more = match url.strip_prefix(SEED) {
                Some(i) if !i.starts_with('n') => vec![format!("{SEED}n{i}")],
                _ => Vec::new(),
            };
            if let Some(i) = url.strip_prefix(SEED) {
                order.push(i.to_string());
            }
            let p = parsed(&e, &job.request, &more);
            e.parsed(job.ticket, p);
        }
        e.commit(None, false);
        if e.phase() == Phase::Done {
            break;
        }
        assert!(e.frontier.len() <= 20 + 4, "{} in memory", e.frontier.len());
        now += Duration::from_millis(1);
    }
    assert_eq!(e.phase(), Phase::Done);
    assert_eq!(fetched.len(), 2 * 40 + 3, "and the seed");
    // The first host's pages went out in the order they were found, spilled or not.
    let first_found = order.iter().position(|i| i.starts_with('n')).unwrap();
    assert!(
        order[first_found..].iter().all(|i| i.starts_with('n')),
        "{order:?}"
    );
    let numbers: Vec<usize> = order[..first_found]
        .iter()
        .map(|i| i.parse().unwrap())
        .collect();
    assert!(numbers.is_sorted(), "{numbers:?}");
}
