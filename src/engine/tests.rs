//! The engine driven by plain calls, no actor and no server: what goes out, what comes
//! back, and that every accepted URL ends with exactly one outcome, whatever the answers.

use super::types::{FetchResult, Parsed, ResponseMeta};
use super::*;
use crate::BoxError;
use crate::config::CrawlConfig;
use crate::harvest::admit_request;
use crate::outcome::OutcomeKind;
use crate::page::Page;
use crate::spider::Output;
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

pub(super) struct Quiet;

impl Spider for Quiet {
    type Item = ();

    fn parse(&self, _: &Page<'_>, _: &mut Output<()>) -> Result<(), BoxError> {
        Ok(())
    }
}

pub(super) fn engine(cfg: CrawlConfig) -> Engine<Quiet> {
    let store = Box::new(crate::store::MemoryStore::new());
    Engine::new(
        Arc::new(cfg),
        Arc::new(Quiet),
        store,
        None,
        2,
        Instant::now(),
    )
}

pub(super) fn config(seed: &str) -> crate::config::CrawlConfigBuilder {
    CrawlConfig::builder()
        .seed(seed)
        .robots(false)
        .workers(2)
        .retry_policy(crate::retry::RetryPolicy {
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            ..Default::default()
        })
        .collect_outcomes(true)
}

fn meta(status: u16) -> ResponseMeta {
    ResponseMeta {
        status,
        bytes: 10,
        content_type: Some("text/html".into()),
        ..ResponseMeta::default()
    }
}

/// A page of `url` linking to `links`, admitted as a parser would.
pub(super) fn parsed(e: &Engine<Quiet>, from: &Request, links: &[String]) -> Parsed {
    let admission = e.admission();
    let mut signals = Signals::default();
    let (mut discovered, mut duplicates) = (Vec::new(), 0);
    let referrer = Arc::new(from.url.clone());
    for l in links {
        let url = url::Url::parse(l).unwrap();
        let build = |u| {
            let mut r = Request::new(u);
            r.depth = from.depth + 1;
            r.referrer = Some(referrer.clone());
            r
        };
        match admit_request(&Quiet, &admission, url, from.depth + 1, build, &mut signals) {
            Some(d) => discovered.push(d),
            None => duplicates += 1,
        }
    }
    Parsed {
        meta: meta(200),
        discovered,
        duplicates,
        parse_error: None,
        links_truncated: false,
        robots: Default::default(),
        signals,
        items: 0,
    }
}

/// Runs the engine to its end, answering each dispatched request with `answer(url,
/// attempt)`; returns the report.
fn run(mut e: Engine<Quiet>, answer: impl FnMut(&Engine<Quiet>, &Request) -> Reply) -> CrawlReport {
    run_on(&mut e, answer)
}

/// [`run`] on an engine the caller keeps.
fn run_on(
    e: &mut Engine<Quiet>,
    mut answer: impl FnMut(&Engine<Quiet>, &Request) -> Reply,
) -> CrawlReport {
    e.start();
    let mut now = Instant::now();
    e.pipelines_closed(0);
    for _ in 0..100_000 {
        let d = e.pump(now);
        // A worker that dies takes what it still held in this batch with it.
        let mut died = HashSet::new();
        for (w, job) in d.pages {
            assert!(w < 2);
            if died.contains(&w) {
                continue;
            }
            match answer(e, &job.request) {
                Reply::Page(links) => {
                    let p = parsed(e, &job.request, &links);
                    e.parsed(job.ticket, p);
                }
                Reply::Result(r) => e.fetched(job.ticket, r, now),
                Reply::WorkerDies => {
                    died.insert(w);
                    e.worker_died(w, now);
                }
            }
        }
        // As the shell does: outcomes handed out after every event.
        e.take_outcomes();
        if e.phase() == Phase::Done {
            return e.finish(now).0;
        }
        now = d.wake.map_or(now, |t| t.max(now)) + Duration::from_millis(1);
    }
    panic!("the engine never finished");
}

enum Reply {
    Page(Vec<String>),
    Result(FetchResult),
    WorkerDies,
}

fn url(i: usize) -> String {
    format!("http://a.test/{i}")
}

#[test]
fn a_site_is_crawled_once_page_by_page() {
    let e = engine(config(&url(0)).build().unwrap());
    let mut asked = Vec::new();
    let report = run(e, |_, r| {
        asked.push(r.url.to_string());
        let i: usize = r.url.path()[1..].parse().unwrap();
        Reply::Page((1..=3).map(|k| url((i * 3 + k) % 40)).collect())
    });
    assert_eq!(report.fetched, 40);
    assert_eq!(asked.len(), 40, "each page asked once");
    assert_eq!(report.outcomes.len() as u64, report.accepted());
}

#[test]
fn failures_are_retried_then_recorded_once() {
    let e = engine(config(&url(0)).retries(2).build().unwrap());
    let mut attempts: HashMap<String, u32> = HashMap::new();
    let report = run(e, |_, r| {
        *attempts.entry(r.url.to_string()).or_default() += 1;
        match r.url.path() {
            "/0" => Reply::Page(vec![url(1), url(2), url(3)]),
            "/1" => Reply::Result(FetchResult::Transient {
                error: FetchError::Timeout(Duration::from_secs(1)),
                meta: None,
                retry_after: None,
            }),
            "/2" => Reply::Result(FetchResult::Failed {
                error: FetchError::Protocol("bad".into()),
                meta: None,
            }),
            _ => Reply::WorkerDies,
        }
    });
    assert_eq!(attempts[&url(1)], 3, "1 attempt + 2 retries");
    assert_eq!(attempts[&url(2)], 1, "not retried");
    assert_eq!(
        attempts[&url(3)],
        3,
        "a worker death counts as a failed attempt"
    );
    let kinds: HashMap<String, &OutcomeKind> = report
        .outcomes
        .iter()
        .map(|o| (o.url.to_string(), &o.kind))
        .collect();
    assert!(matches!(
        kinds[&url(3)],
        OutcomeKind::Failed(FetchError::WorkerDied)
    ));
    assert_eq!((report.fetched, report.failed, report.restarts), (1, 3, 3));
}

#[test]
fn a_stop_records_everything_left_as_stopped() {
    let mut e = engine(config(&url(0)).build().unwrap());
    e.start();
    let now = Instant::now();
    let d = e.pump(now);
    let (_, job) = d.pages.into_iter().next().unwrap();
    let links: Vec<String> = (1..50).map(url).collect();
    let p = parsed(&e, &job.request, &links);
    e.parsed(job.ticket, p);
    e.stop(StopReason::Requested);
    let d = e.pump(now);
    assert!(d.pages.is_empty(), "nothing goes out once stopping");
    let outcomes = e.take_outcomes();
    assert_eq!(outcomes.len(), 50);
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| o.skip_reason() == Some(SkipReason::Stopped))
            .count(),
        49
    );
    e.pipelines_closed(0);
    assert_eq!(e.phase(), Phase::Done);
    assert_eq!(e.finish(now).0.stop_reason, StopReason::Requested);
}

/// Pumps a stopping (or limit-reached) engine until it is done; returns the size of each
/// batch of outcomes it recorded and every outcome.
fn pump_out(e: &mut Engine<Quiet>, now: Instant) -> (Vec<usize>, Vec<Outcome>) {
    let (mut batches, mut all) = (Vec::new(), Vec::new());
    e.pipelines_closed(0);
    for _ in 0..1_000 {
        let d = e.pump(now);
        assert!(d.pages.is_empty());
        let got = e.take_outcomes();
        batches.push(got.len());
        all.extend(got);
        if e.phase() == Phase::Done {
            return (batches, all);
        }
        assert_eq!(d.wake, Some(now), "more is left: pump again at once");
    }
    panic!("never done");
}

#[test]
fn a_large_frontier_left_by_a_stop_is_recorded_a_batch_at_a_time() {
    let n = 2 * dispatch::DRAIN_BATCH + 100;
    // A stop, and a page limit reached with the frontier full.
    for limit in [false, true] {
        let mut cfg = config(&url(0));
        if limit {
            cfg = cfg.max_pages(2).allow_any_host();
        }
        let mut e = engine(cfg.build().unwrap());
        e.start();
        let now = Instant::now();
        let (_, job) = e.pump(now).pages.into_iter().next().unwrap();
        // Under a page limit, each link on its own host, so none is doomed when found: the
        // page limit's drain is what records them.
        let links: Vec<String> = (1..=n)
            .map(|i| match limit {
                true => format!("http://h{i}.test/"),
                false => url(i),
            })
            .collect();
        let p = parsed(&e, &job.request, &links);
        e.parsed(job.ticket, p);
        assert_eq!(e.take_outcomes().len(), 1, "the page itself");
        let left = if limit {
            // The second page takes the last of the limit; the rest stays queued.
            let d = e.pump(now);
            assert_eq!(d.pages.len(), 1);
            let (_, job) = d.pages.into_iter().next().unwrap();
            e.fetched(job.ticket, FetchResult::Answer(meta(200)), now);
            // That pump recorded its first batch already.
            let early = e.take_outcomes();
            assert!(early.len() <= dispatch::DRAIN_BATCH + 1, "{}", early.len());
            n - 1 - early.iter().filter(|o| o.status.is_none()).count()
        } else {
            e.stop(StopReason::Requested);
            assert!(
                e.take_outcomes().is_empty(),
                "recorded by the pumps, not at once"
            );
            n
        };
        let (batches, all) = pump_out(&mut e, now);
        let all: Vec<Outcome> = all.into_iter().filter(|o| o.status.is_none()).collect();
        assert!(
            batches.iter().all(|&b| b <= dispatch::DRAIN_BATCH + 1),
            "{batches:?}"
        );
        assert!(batches.len() >= 2, "{batches:?}");
        let reason = if limit {
            SkipReason::PageLimit
        } else {
            SkipReason::Stopped
        };
        assert!(all.iter().all(|o| o.skip_reason() == Some(reason)));
        let urls: HashSet<String> = all.iter().map(|o| o.url.to_string()).collect();
        assert_eq!(
            (all.len(), urls.len()),
            (left, left),
            "each queued URL once"
        );
    }
}

/// Answers every page of a one-host crawl with `links` new links (priority 0, or `priority`
/// for each tenth), until `max_pages`; returns the URLs asked, the outcomes, and the largest
/// frontier seen.
fn page_limited(max_pages: u64, links: usize, priority: i32) -> (Vec<String>, Vec<Outcome>, usize) {
    let mut e = engine(config(&url(0)).max_pages(max_pages).build().unwrap());
    e.start();
    e.pipelines_closed(0);
    let (mut asked, mut outcomes, mut largest) = (Vec::new(), Vec::new(), 0);
    let mut next = 1;
    let now = Instant::now();
    for _ in 0..10_000 {
        let d = e.pump(now);
        for (_, job) in d.pages {
            asked.push(job.request.url.to_string());
            let mut p = parsed(&e, &job.request, &[]);
            for k in 0..links {
                let mut r = Request::new(url::Url::parse(&url(next)).unwrap());
                if k % 10 == 9 {
                    r = r.with_priority(priority);
                }
                next += 1;
                p.discovered.push(Discovered::Accept(r));
            }
            e.parsed(job.ticket, p);
            largest = largest.max(e.frontier.len());
        }
        outcomes.extend(e.take_outcomes());
        if e.phase() == Phase::Done {
            return (asked, outcomes, largest);
        }
    }
    panic!("never done");
}

#[test]
fn urls_a_page_limit_dooms_are_recorded_when_found_not_queued() {
    let (asked, outcomes, largest) = page_limited(20, 200, 0);
    // Breadth-first under the limit: the seed, then its first 19 links.
    let expect: Vec<String> = (0..20).map(url).collect();
    assert_eq!(asked, expect);
    assert!(largest <= 20, "{largest} queued for 20 pages");
    let skipped = outcomes
        .iter()
        .filter(|o| o.skip_reason() == Some(SkipReason::PageLimit));
    assert_eq!(skipped.count(), outcomes.len() - 20);
    let urls: HashSet<&str> = outcomes.iter().map(|o| o.url.as_str()).collect();
    assert_eq!(urls.len(), outcomes.len(), "one outcome per URL");
    assert_eq!(
        outcomes.len(),
        1 + 20 * 200,
        "every URL found has its outcome"
    );
}

#[test]
fn a_request_of_higher_priority_is_not_doomed_by_the_queue_it_passes() {
    // Each tenth link has priority 5: it goes before the queued ones, so the limit's pages
    // go to them, as without the early skip.
    let (asked, _, _) = page_limited(6, 50, 5);
    let expect: Vec<String> = [0, 10, 20, 30, 40, 50].into_iter().map(url).collect();
    assert_eq!(asked, expect);
    // A lower priority than the queue's is never doomed early, and is not sent either.
    let (asked, outcomes, _) = page_limited(6, 50, -1);
    assert_eq!(asked.len(), 6);
    assert!(!asked.contains(&url(10)));
    assert_eq!(outcomes.len(), 1 + 6 * 50);
}

#[test]
fn hosts_that_are_done_are_forgotten_past_the_budget() {
    let hosts = super::hosts::MAX_RESIDENT_HOSTS + 1500;
    let mut e = engine(config("http://h0.test/").allow_any_host().build().unwrap());
    let report = run_on(&mut e, |_, r| {
        let i: usize = r.url.host_str().unwrap()[1..]
            .trim_end_matches(".test")
            .parse()
            .unwrap();
        // Each host links to the next host's page: one host at a time is busy.
        let next = (i + 1 < hosts).then(|| format!("http://h{}.test/", i + 1));
        Reply::Page(next.into_iter().collect())
    });
    assert_eq!(report.fetched, hosts as u64);
    assert!(
        e.frontier.resident_hosts() <= super::hosts::MAX_RESIDENT_HOSTS + 1,
        "{} hosts held",
        e.frontier.resident_hosts()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the answers (pages linking anywhere, retried and final failures, workers
    /// dying, hooks skipping), every URL admitted ends with exactly one outcome, the
    /// report's counts agree with the outcomes, and nothing is fetched after it ended.
    #[test]
    fn every_accepted_url_ends_with_exactly_one_outcome(
        links in proptest::collection::vec(proptest::collection::vec(0usize..60, 0..6), 60),
        fates in proptest::collection::vec(0u8..10, 60),
        retries in 0u32..3,
        max_pages in proptest::option::of(1u64..40),
    ) {
        let mut cfg = config(&url(0)).retries(retries);
        if let Some(m) = max_pages {
            cfg = cfg.max_pages(m);
        }
        let e = engine(cfg.build().unwrap());
        let mut ended: HashSet<String> = HashSet::new();
        let mut calls: HashMap<String, u32> = HashMap::new();
        let report = run(e, |_, r| {
            let key = r.url.to_string();
            let i: usize = r.url.path()[1..].parse().unwrap_or(0) % 60;
            let n = calls.entry(key.clone()).or_default();
            *n += 1;
            let reply = match (fates[i], *n) {
                (0, _) => Reply::Result(FetchResult::Transient {
                    error: FetchError::Timeout(Duration::from_secs(1)), meta: None, retry_after: None }),
                (1, _) => Reply::Result(FetchResult::Failed { error: FetchError::Rejected, meta: None }),
                (2, 1) => Reply::WorkerDies,
                (3, _) => Reply::Result(FetchResult::Skipped { reason: SkipReason::Middleware, stop: false }),
                (4, _) => Reply::Result(FetchResult::Answer(meta(404))),
                _ => Reply::Page(links[i].iter().map(|&j| url(j)).collect()),
            };
            assert!(!ended.contains(&key), "{key} asked after it ended");
            if !matches!(reply, Reply::Result(FetchResult::Transient { .. }) | Reply::WorkerDies) {
                ended.insert(key);
            }
            reply
        });
        let mut urls = HashSet::new();
        for o in &report.outcomes {
            prop_assert!(urls.insert(o.url.to_string()), "two outcomes for {}", o.url);
        }
        prop_assert_eq!(report.accepted(), report.outcomes.len() as u64);
        prop_assert!(urls.contains(&url(0)));
        if let Some(m) = max_pages {
            let first_attempts = calls.len() as u64;
            prop_assert!(first_attempts <= m, "{first_attempts} pages asked past the limit {m}");
        }
    }
}
