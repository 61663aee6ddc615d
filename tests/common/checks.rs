//! Crawl helpers shared by the integration tests: a small bounded configuration, a spider
//! that follows everything, and the checks of a crawl's report against the loopback
//! server's own log ([`assert_books_balance`], [`assert_reached`]).

use super::{ROBOTS, TEST_BASE_DELAY, TestServer};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use trawler::{CrawlConfig, CrawlConfigBuilder, CrawlReport, Outcome, RetryPolicy};

/// The retry policy of the tests: the default statuses, a 50 ms base delay.
pub fn fast_retry(retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries: retries,
        base_delay: TEST_BASE_DELAY,
        ..RetryPolicy::default()
    }
}

/// A small, fast, bounded configuration for one seed: 2 workers, short timeouts, outcomes
/// collected, 2 retries with a 50 ms base delay.
pub fn config(seed: &str) -> CrawlConfigBuilder {
    CrawlConfig::builder()
        .seed(seed)
        .workers(2)
        .concurrency(16)
        .per_host_concurrency(8)
        .request_timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(2))
        .retry_policy(fast_retry(2))
        .collect_outcomes(true)
}

/// A `/linkto` page on `server` linking to each of `urls` (absolute or relative).
pub fn link_page(server: &TestServer, urls: &[&str]) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(urls.iter().map(|u| ("u", *u)))
        .finish();
    server.url(&format!("/linkto?{query}"))
}

/// A spider that extracts nothing and follows every link (the default `FollowMode`).
#[derive(Debug, Default)]
pub struct FollowAll;

impl trawler::Spider for FollowAll {
    type Item = ();

    fn parse(
        &self,
        _page: &trawler::Page<'_>,
        _out: &mut trawler::Output<()>,
    ) -> Result<(), trawler::BoxError> {
        Ok(())
    }
}

/// The outcome of `url`; panics with the list of outcome URLs if there is none.
pub fn outcome<'r>(report: &'r CrawlReport, url: &str) -> &'r Outcome {
    report
        .outcomes
        .iter()
        .find(|o| o.url.as_str() == url)
        .unwrap_or_else(|| {
            let urls: Vec<&str> = report.outcomes.iter().map(|o| o.url.as_str()).collect();
            panic!("no outcome for {url}; outcomes: {urls:#?}")
        })
}

/// The paths of the URLs whose outcome `keep` picks.
pub fn paths(
    report: &CrawlReport,
    keep: impl Fn(&Outcome) -> bool,
) -> std::collections::BTreeSet<String> {
    (report.outcomes.iter())
        .filter(|o| keep(o))
        .map(|o| o.url.path().to_string())
        .collect()
}

/// Whether `url` has an outcome.
pub fn has_outcome(report: &CrawlReport, url: &str) -> bool {
    report.outcomes.iter().any(|o| o.url.as_str() == url)
}

/// Checks the crawl's books, and against the server's own log, which the crawler does not
/// keep: outcomes collected, one per URL, as many as the report's counts say were accepted;
/// every URL the server was asked for (robots.txt aside) has its outcome, with at least as
/// many attempts as the server saw requests for it; no outcome on this server claims an
/// answer the server never gave; and no URL skipped without an attempt was ever requested.
pub fn assert_books_balance(report: &CrawlReport, server: &TestServer) {
    assert_books_balance_except(report, server, &[]);
}

/// [`assert_books_balance`] for a crawl that also requested `site_files` on this server
/// (sitemaps, the target of a robots.txt redirect): the crawler's own requests, which have
/// no outcome.
pub fn assert_books_balance_except(report: &CrawlReport, server: &TestServer, site_files: &[&str]) {
    let by_url = assert_outcomes_unique(report);
    // The server's side: requests per URL.
    let mut requested: HashMap<String, usize> = HashMap::new();
    // Every request but the crawler's own (robots.txt may be asked again after a failure).
    for h in server.all_hits() {
        if h.path != ROBOTS && !site_files.contains(&h.path.as_str()) {
            *requested.entry(server.url_on(h.host, &h.path)).or_default() += 1;
        }
    }
    for (url, n) in &requested {
        let Some(o) = by_url.get(url.as_str()) else {
            panic!("the server was asked for {url} ({n}x), which has no outcome\n{report}");
        };
        assert!(
            o.attempts as usize >= *n,
            "{url}: {n} requests at the server, {} attempts in its outcome",
            o.attempts
        );
    }
    for o in &report.outcomes {
        if server.host_of_url(&o.url).is_none() {
            continue;
        }
        let n = requested.get(o.url.as_str()).copied().unwrap_or(0);
        if o.attempts == 0 {
            assert_eq!(
                n, 0,
                "{} has no attempt but was requested: {:?}",
                o.url, o.kind
            );
        }
        if o.status.is_some() {
            assert!(
                n >= 1,
                "{} has status {:?} but was never requested",
                o.url,
                o.status
            );
        }
    }
}

/// The report's own books, for a crawl no server saw (an unreachable host): one outcome
/// per URL, as many as the report's counts say were accepted. Returns them by URL.
pub fn assert_outcomes_unique(report: &CrawlReport) -> HashMap<&str, &Outcome> {
    let mut by_url = HashMap::new();
    for o in &report.outcomes {
        assert!(
            by_url.insert(o.url.as_str(), o).is_none(),
            "two outcomes for {}",
            o.url
        );
    }
    assert_eq!(
        report.accepted(),
        report.outcomes.len() as u64,
        "accepted() must equal the outcomes recorded\n{report}"
    );
    by_url
}

/// Checks the server's log against the pages a test knows to be reachable (`(host, path)`
/// pairs): exactly those were requested (robots.txt aside), and each has an outcome that is
/// not a skip. What the crawler could lose without a trace (an accepted URL never fetched
/// and never recorded) shows up here, not in its own report.
pub fn assert_reached(
    report: &CrawlReport,
    server: &TestServer,
    reachable: impl IntoIterator<Item = (usize, String)>,
) {
    let want: HashSet<(usize, String)> = reachable.into_iter().collect();
    let got: HashSet<(usize, String)> = (server.hits_full().into_iter())
        .map(|h| (h.host, h.path))
        .collect();
    let mut missing: Vec<_> = want.difference(&got).collect();
    let mut extra: Vec<_> = got.difference(&want).collect();
    missing.sort();
    extra.sort();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "server log vs reachable set: never requested {missing:?}; requested but not reachable {extra:?}"
    );
    for (host, path) in &want {
        let o = outcome(report, &server.url_on(*host, path));
        assert!(
            o.skip_reason().is_none(),
            "{path} on host {host}: {:?}",
            o.kind
        );
    }
}

/// `paths` on host 0, for [`assert_reached`].
pub fn on_host0<S: ToString>(paths: impl IntoIterator<Item = S>) -> Vec<(usize, String)> {
    paths.into_iter().map(|p| (0, p.to_string())).collect()
}

/// The URL of page `i` of the generated site.
pub fn site_url(server: &TestServer, i: usize) -> String {
    server.url(&format!("/site/{i}.html"))
}

/// Every `/site/` path the server saw is the page of a fetched outcome, requested once.
pub fn assert_site_hits_match_fetched(server: &TestServer, report: &CrawlReport) {
    let fetched: HashSet<String> = report
        .outcomes
        .iter()
        .filter(|o| o.is_fetched() && o.url.path().starts_with("/site/"))
        .map(|o| o.url.path().to_string())
        .collect();
    let hits = server.paths_under("/site/");
    let unique: HashSet<String> = hits.iter().cloned().collect();
    assert_eq!(hits.len(), unique.len(), "a site page was requested twice");
    assert_eq!(unique, fetched, "server log vs fetched outcomes");
}
