//! Whole crawls with an archive: every exchange of a testbed crawl (pages, robots.txt,
//! redirects, error pages) is in the WARC files, which warcio validates; a crawl run again
//! from the files alone, the site gone, gives the same outcomes and items.

use crate::files::{responses, warc_files};
use crate::warcio;
use std::collections::BTreeMap;
use std::time::Duration;
use trawler::archive::{ReplayIndex, ReplayTransport, WarcConfig};
use trawler::{Collect, CrawlConfig, CrawlReport, Crawler, FnSpider};
use trawler_testbed::{SiteSpec, Testbed};

fn config(seed: &str, concurrency: usize) -> CrawlConfig {
    CrawlConfig::builder()
        .seed(seed)
        .workers(2)
        .concurrency(concurrency)
        .per_host_concurrency(concurrency)
        .request_timeout(Duration::from_secs(10))
        .collect_outcomes(true)
        .build()
        .unwrap()
}

/// A spider whose items are each page's URL and title.
fn spider() -> FnSpider<String> {
    FnSpider::new().on_page(|page, out| {
        let title = page
            .html()
            .select(&trawler::scraper::Selector::parse("title").unwrap())
            .next()
            .map(|t| t.text().collect::<String>())
            .unwrap_or_default();
        out.item(format!("{} {title}", page.url()));
    })
}

fn crawl(
    config: CrawlConfig,
    with: impl FnOnce(Crawler<FnSpider<String>>) -> Crawler<FnSpider<String>>,
) -> (CrawlReport, Vec<String>) {
    let (collect, items) = Collect::new();
    let report = with(Crawler::new(config, spider()).pipeline(collect))
        .run()
        .unwrap();
    let mut items = items.take();
    items.sort();
    (report, items)
}

/// Each outcome as JSON, by URL, without the time it took.
fn outcomes(report: &CrawlReport) -> BTreeMap<String, serde_json::Value> {
    (report.outcomes.iter())
        .map(|o| {
            let mut v = serde_json::to_value(o).unwrap();
            v.as_object_mut().unwrap().remove("elapsed_ms");
            (o.url.to_string(), v)
        })
        .collect()
}

#[test]
fn a_crawl_archives_every_exchange_and_replays_to_the_same_outcomes_and_items() {
    warcio::require();
    let site = Testbed::start(SiteSpec {
        pages: 120,
        unreachable_pages: 0,
        ..SiteSpec::default()
    })
    .unwrap();
    let seed = site.url().to_string();
    let dir = tempfile::tempdir().unwrap();
    // One request at a time: which page finds a link first (its referrer and depth) is
    // then the same in both crawls.
    let (live, live_items) = crawl(config(&seed, 1), |c| {
        c.archive(WarcConfig::new(dir.path(), "crawl").max_size(200_000))
    });
    assert!(site.stats().is_perfect_crawl(), "{live}");
    let files = warc_files(dir.path());
    assert!(files.len() > 1, "rolled at 200 KB: {files:?}");
    for f in &files {
        assert!(warcio::check(f) > 0, "{}", f.display());
    }

    // One response record per request the site answered, robots.txt and 404s included.
    let recorded = responses(&files);
    let robots = site.url().join("/robots.txt").unwrap().to_string();
    assert_eq!(recorded.get(&robots), Some(&1), "{recorded:?}");
    let requests = site.stats().requests;
    assert_eq!(recorded.values().sum::<usize>() as u64, requests);
    for o in live.outcomes.iter().filter(|o| o.status.is_some()) {
        assert_eq!(recorded.get(o.url.as_str()), Some(&1), "{}", o.url);
    }
    let index = ReplayIndex::open(&files).unwrap();
    for o in live.outcomes.iter().filter(|o| o.status.is_some()) {
        let r = index.get(&o.url).unwrap().unwrap();
        assert_eq!(Some(r.status), o.status, "{}", o.url);
    }
    site.stop();

    // The site is gone: the archive alone answers.
    let (replayed, replayed_items) = crawl(config(&seed, 1), |c| {
        c.transport(ReplayTransport::open(&files).unwrap())
    });
    assert_eq!(outcomes(&live), outcomes(&replayed));
    assert_eq!(live_items, replayed_items);
    assert!(!live_items.is_empty());
    assert_eq!(live.fetched, replayed.fetched);

    // Concurrently, the same URLs end the same way.
    let (again, again_items) = crawl(config(&seed, 16), |c| {
        c.transport(ReplayTransport::open(&files).unwrap())
    });
    let kinds = |r: &CrawlReport| -> BTreeMap<String, (Option<u16>, String)> {
        (r.outcomes.iter())
            .map(|o| (o.url.to_string(), (o.status, format!("{:?}", o.kind))))
            .collect()
    };
    assert_eq!(kinds(&live), kinds(&again));
    assert_eq!(live_items, again_items);
}

#[test]
fn an_archive_of_a_crawl_is_archived_again_the_same() {
    warcio::require();
    let site = Testbed::start(SiteSpec {
        pages: 40,
        ..SiteSpec::default()
    })
    .unwrap();
    let seed = site.url().to_string();
    let first = tempfile::tempdir().unwrap();
    crawl(config(&seed, 4), |c| {
        c.archive(WarcConfig::new(first.path(), "a"))
    });
    site.stop();
    let files = warc_files(first.path());
    let second = tempfile::tempdir().unwrap();
    crawl(config(&seed, 4), |c| {
        c.transport(ReplayTransport::open(&files).unwrap())
            .archive(WarcConfig::new(second.path(), "b"))
    });
    let copies = warc_files(second.path());
    for f in &copies {
        warcio::check(f);
    }
    let (a, b) = (
        ReplayIndex::open(&files).unwrap(),
        ReplayIndex::open(&copies).unwrap(),
    );
    assert_eq!(a.len(), b.len());
    for url in a.urls() {
        let url = url::Url::parse(url).unwrap();
        let (x, y) = (a.get(&url).unwrap().unwrap(), b.get(&url).unwrap().unwrap());
        assert_eq!((x.status, &x.body), (y.status, &y.body), "{url}");
    }
}
