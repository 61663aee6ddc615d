//! The plugin API, written only against `use trawler::prelude::*;`: this file guards the
//! public surface a plugin author sees (style rule 3). Paths outside the prelude appear
//! only in assertions about configuration errors.

mod common;

use common::{
    FollowAll, OFFSITE_LINK, TestServer, assert_books_balance, config, has_outcome, outcome,
};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use trawler::prelude::*;

/// A typed item.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Title {
    url: String,
    title: String,
    depth: u32,
}

/// Emits each page's `<title>` as a [`Title`]; follows every link by default.
struct Titles;

impl Spider for Titles {
    type Item = Title;

    fn parse(&self, page: &Page<'_>, out: &mut Output<Title>) -> Result<(), BoxError> {
        let sel = Selector::parse("title")?;
        if let Some(t) = page.select(&sel).next() {
            out.item(Title {
                url: page.url().to_string(),
                title: t.text().collect(),
                depth: page.depth(),
            });
        }
        Ok(())
    }
}

#[test]
fn typed_items_go_through_json_lines_and_collect() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("titles.jsonl");
    let (collect, collected) = Collect::new();
    let config = config(&server.url("/depth/15.html")).build().unwrap();
    let report = Crawler::new(config, Titles)
        .pipeline(JsonLines::create(&path).unwrap())
        .pipeline(collect)
        .run()
        .unwrap();

    assert_eq!(report.fetched, 6, "{report}");
    assert_eq!(report.items, 6);
    assert_eq!(report.item_errors, 0);
    assert_eq!(collected.len(), 6);
    let mut items = collected.take();
    assert!(collected.is_empty(), "take() empties the handle");
    items.sort_by_key(|t| t.depth);
    for (i, item) in items.iter().enumerate() {
        let n = 15 + i;
        assert_eq!(item.url, server.url(&format!("/depth/{n}.html")));
        assert_eq!(item.title, format!("Depth {n}"));
        assert_eq!(item.depth, i as u32);
    }

    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6, "{text}");
    lines.sort_by_key(|v| v["depth"].as_u64());
    for (v, item) in lines.iter().zip(&items) {
        assert_eq!(v["url"], item.url.as_str());
        assert_eq!(v["title"], item.title.as_str());
        assert_eq!(v["depth"], item.depth);
    }
}

#[test]
fn fn_spider_on_html_and_on_page() {
    let server = TestServer::start();
    let spider = FnSpider::new()
        .on_html("title", |el, out| {
            out.item(format!("title: {}", el.text().collect::<String>()))
        })
        .on_html("a[href]", |el, out| {
            out.item(format!("link: {}", el.value().attr("href").unwrap()))
        })
        .on_page(|page, out| out.item(format!("page: {} {}", page.status(), page.url().path())));
    let (collect, collected) = Collect::new();
    let config = config(&server.url("/depth/19.html")).build().unwrap();
    let report = Crawler::new(config, spider)
        .pipeline(collect)
        .run()
        .unwrap();

    assert_eq!(report.fetched, 2);
    let mut items = collected.take();
    items.sort();
    assert_eq!(
        items,
        vec![
            "link: /depth/20.html",
            "page: 200 /depth/19.html",
            "page: 200 /depth/20.html",
            "title: Depth 19",
            "title: Depth 20",
        ]
    );
    // FnSpider follows every link by default.
    assert_eq!(server.hits("/depth/20.html"), 1);
    assert_eq!(report.items, 5);
}

/// Follows only `1.html` from the seed page, nothing from the others.
struct OnlyOne;

impl Spider for OnlyOne {
    type Item = ();
    fn parse(&self, page: &Page<'_>, out: &mut Output<()>) -> Result<(), BoxError> {
        if page.url().path() == "/site/0.html" {
            out.follow("1.html");
            out.follow("mailto:nobody@example.invalid"); // not http(s): ignored
        }
        Ok(())
    }
}

#[test]
fn explicit_follow_mode_follows_only_chosen_links() {
    let server = TestServer::start();
    let config = config(&server.url("/site/0.html"))
        .follow(FollowMode::Explicit)
        .build()
        .unwrap();
    let report = Crawler::new(config, OnlyOne).run().unwrap();

    assert_eq!(
        server.paths(),
        vec!["/site/0.html".to_string(), "/site/1.html".to_string()]
    );
    assert_eq!(report.fetched, 2);
    assert_eq!(report.accepted(), 2, "nothing else was even considered");
    let one = outcome(&report, &server.url("/site/1.html"));
    assert_eq!(one.depth, 1);
    assert_eq!(
        one.referrer.as_deref().map(Url::as_str),
        Some(&*server.url("/site/0.html"))
    );
    assert!(!has_outcome(&report, OFFSITE_LINK));
    assert_books_balance(&report, &server);
}

/// (path, label) of each parsed page.
type LabelLog = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// On the seed page, follows `/depth/1..=4` in order and then one labelled, prioritized
/// request; records each page's label.
struct Labelled {
    special: String,
    labels: LabelLog,
}

impl Spider for Labelled {
    type Item = ();
    fn parse(&self, page: &Page<'_>, out: &mut Output<()>) -> Result<(), BoxError> {
        self.labels.lock().unwrap().push((
            page.url().path().to_string(),
            page.label().map(str::to_string),
        ));
        if page.depth() == 0 {
            for n in 1..=4 {
                out.follow(format!("/depth/{n}.html"));
            }
            out.follow_request(
                Request::get(&self.special)?
                    .with_label("x")
                    .with_priority(5),
            );
        }
        Ok(())
    }
}

#[test]
fn follow_request_carries_label_and_priority() {
    let server = TestServer::start();
    let labels = Arc::new(Mutex::new(Vec::new()));
    let spider = Labelled {
        special: server.url("/depth/10.html"),
        labels: labels.clone(),
    };
    // One request at a time, so the server sees the queue's order.
    let config = config(&server.url("/site/0.html"))
        .follow(FollowMode::Explicit)
        .concurrency(1)
        .per_host_concurrency(1)
        .build()
        .unwrap();
    let report = Crawler::new(config, spider).run().unwrap();

    assert_eq!(
        server.paths(),
        vec![
            "/site/0.html",
            "/depth/10.html",
            "/depth/1.html",
            "/depth/2.html",
            "/depth/3.html",
            "/depth/4.html",
        ],
        "priority 5 goes first, the rest in discovery order"
    );
    let special = outcome(&report, &server.url("/depth/10.html"));
    assert_eq!(special.label.as_deref(), Some("x"));
    assert_eq!(special.depth, 1, "the crawl sets the depth");
    assert_eq!(
        special.referrer.as_deref().map(Url::as_str),
        Some(&*server.url("/site/0.html"))
    );
    let plain = outcome(&report, &server.url("/depth/1.html"));
    assert_eq!(plain.label, None);
    let labels = labels.lock().unwrap();
    assert!(labels.contains(&("/depth/10.html".to_string(), Some("x".to_string()))));
    assert!(labels.contains(&("/depth/1.html".to_string(), None)));
    assert_eq!(labels.len(), 6);
    assert_books_balance(&report, &server);
}

#[test]
fn a_bad_css_selector_refuses_to_start() {
    let server = TestServer::start();
    let spider: FnSpider<()> = FnSpider::new().on_html("a[", |_, _| {});
    let config = config(&server.url("/site/0.html")).build().unwrap();
    let err = Crawler::new(config, spider).run().unwrap_err();

    match err {
        Error::Config(trawler::ConfigError::BadSelector { selector, reason }) => {
            assert_eq!(selector, "a[");
            assert!(!reason.is_empty());
        }
        other => panic!("expected BadSelector, got {other:?}"),
    }
    assert!(server.all_paths().is_empty(), "nothing was fetched");
}

#[test]
fn bad_configuration_is_a_typed_error() {
    use trawler::ConfigError;
    let seed = "http://127.0.0.1:9/";
    assert_eq!(
        CrawlConfig::builder().build().unwrap_err(),
        ConfigError::NoSeeds
    );
    assert!(matches!(
        CrawlConfig::builder().seed("http//no scheme").build(),
        Err(ConfigError::BadUrl { url, .. }) if url == "http//no scheme"
    ));
    assert!(matches!(
        CrawlConfig::builder().seed("ftp://127.0.0.1/").build(),
        Err(ConfigError::UnsupportedScheme { .. })
    ));
    assert!(matches!(
        CrawlConfig::builder().seed(seed).include("(unclosed").build(),
        Err(ConfigError::BadRegex { pattern, .. }) if pattern == "(unclosed"
    ));
    assert!(matches!(
        CrawlConfig::builder().seed(seed).exclude("[z-a]").build(),
        Err(ConfigError::BadRegex { .. })
    ));
    assert_eq!(
        CrawlConfig::builder()
            .seed(seed)
            .concurrency(0)
            .build()
            .unwrap_err(),
        ConfigError::Zero {
            field: "concurrency"
        }
    );
    assert_eq!(
        CrawlConfig::builder()
            .seed(seed)
            .workers(0)
            .build()
            .unwrap_err(),
        ConfigError::Zero { field: "workers" }
    );
    assert!(matches!(
        CrawlConfig::builder()
            .seed(seed)
            .per_host_rate(-1.0)
            .build(),
        Err(ConfigError::BadRate {
            field: "per_host_rate",
            ..
        })
    ));
    // And it converts into the crawl's error type.
    let e: Error = ConfigError::NoSeeds.into();
    assert!(matches!(e, Error::Config(ConfigError::NoSeeds)));
}

#[test]
fn on_outcome_sees_every_accepted_url_once() {
    let server = TestServer::start();
    let seen: Arc<Mutex<Vec<Outcome>>> = Arc::default();
    let sink = seen.clone();
    // Outcomes are streamed, not collected.
    let config = config(&server.url("/site/0.html"))
        .collect_outcomes(false)
        .max_pages(40)
        .build()
        .unwrap();
    let report = Crawler::new(config, FollowAll)
        .on_outcome(move |o| sink.lock().unwrap().push(o.clone()))
        .run()
        .unwrap();

    assert!(report.outcomes.is_empty(), "not collected");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len() as u64, report.accepted(), "{report}");
    let urls: std::collections::HashSet<&str> = seen.iter().map(|o| o.url.as_str()).collect();
    assert_eq!(urls.len(), seen.len(), "each URL once");
    let fetched = seen.iter().filter(|o| o.is_fetched()).count() as u64;
    assert_eq!(fetched, report.fetched);
    assert_eq!(fetched, 40);
    assert_eq!(server.paths().len(), 40);
    for p in server.paths() {
        assert!(urls.contains(server.url(&p).as_str()), "{p}");
    }
}

#[test]
fn outcome_json_has_the_documented_fields() {
    let server = TestServer::start();
    let seed = server.url(&format!(
        "/linkto?u=/redirect/chain/1&u={OFFSITE_LINK}&u=/always500"
    ));
    let config = config(&seed)
        .retry_policy(common::fast_retry(0))
        .build()
        .unwrap();
    let report = Crawler::new(config, FollowAll).run().unwrap();
    let json = |url: &str| serde_json::to_value(outcome(&report, url)).unwrap();

    let root = json(&seed);
    assert_eq!(root["url"], seed.as_str());
    assert_eq!(root["outcome"], "fetched");
    assert_eq!(root["status"], 200);
    assert_eq!(root["depth"], 0);
    assert!(root.get("referrer").is_none(), "absent values are omitted");
    assert_eq!(root["attempts"], 1);
    assert!(root["bytes"].as_u64().unwrap() > 0);
    assert!(root["elapsed_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(root["content_type"], "text/html; charset=utf-8");
    assert!(root.get("redirected_to").is_none());
    assert!(root.get("error").is_none());

    let hop = json(&server.url("/redirect/chain/1"));
    assert_eq!(hop["outcome"], "fetched");
    assert_eq!(hop["status"], 302);
    assert_eq!(hop["depth"], 1);
    assert_eq!(hop["referrer"], seed.as_str());
    assert_eq!(
        hop["redirected_to"],
        server.url("/redirect/chain/0").as_str()
    );

    let end = json(&server.url("/redirect/chain/0"));
    assert_eq!(end["status"], 200);
    assert_eq!(end["depth"], 1);
    assert_eq!(end["referrer"], server.url("/redirect/chain/1").as_str());

    let off = json(OFFSITE_LINK);
    assert_eq!(off["outcome"], "skipped");
    assert_eq!(off["reason"], "off_host");
    assert_eq!(off["attempts"], 0);
    assert!(off.get("status").is_none());

    let failed = json(&server.url("/always500"));
    assert_eq!(failed["outcome"], "failed");
    assert_eq!(failed["status"], 500);
    assert_eq!(failed["error"], "HTTP status 500 after all retries");

    assert_eq!(report.accepted(), 5);
    assert_books_balance(&report, &server);
}

/// Drops items of pages shallower than 2.
struct DropShallow;

impl Pipeline<Title> for DropShallow {
    async fn process_item(&mut self, item: Title) -> Result<Option<Title>, BoxError> {
        Ok((item.depth >= 2).then_some(item))
    }
}

/// Fails on odd depths; counts its close.
struct FailOdd {
    closed: Arc<Mutex<bool>>,
}

impl Pipeline<Title> for FailOdd {
    async fn process_item(&mut self, item: Title) -> Result<Option<Title>, BoxError> {
        if item.depth % 2 == 1 {
            return Err(format!("odd depth {}", item.depth).into());
        }
        Ok(Some(item))
    }

    async fn close(&mut self) -> Result<(), BoxError> {
        *self.closed.lock().unwrap() = true;
        Ok(())
    }
}

#[test]
fn pipelines_drop_and_fail_items() {
    let server = TestServer::start();
    let closed = Arc::new(Mutex::new(false));
    let (collect, collected) = Collect::new();
    // Depth 0..=6: 7 pages, 7 items. One request at a time: a page's items then hold the
    // whole budget until the pipelines are done with them.
    let config = config(&server.url("/depth/0.html"))
        .max_depth(6)
        .concurrency(1)
        .build()
        .unwrap();
    let report = Crawler::new(config, Titles)
        .pipeline(DropShallow)
        .pipeline(FailOdd {
            closed: closed.clone(),
        })
        .pipeline(collect)
        .run()
        .unwrap();

    assert_eq!(report.fetched, 7);
    // Depths 0, 1 dropped; 3, 5 fail; 2, 4, 6 pass.
    assert_eq!(report.item_errors, 2, "{report}");
    assert_eq!(report.items, 3);
    let mut depths: Vec<u32> = collected.take().into_iter().map(|t| t.depth).collect();
    depths.sort();
    assert_eq!(depths, vec![2, 4, 6]);
    assert!(*closed.lock().unwrap(), "pipelines are closed at the end");
}

/// Refuses to open.
struct Closed;

impl Spider for Closed {
    type Item = ();
    fn open(&self) -> Result<(), BoxError> {
        Err("the database is down".into())
    }
    fn parse(&self, _page: &Page<'_>, _out: &mut Output<()>) -> Result<(), BoxError> {
        Ok(())
    }
}

#[test]
fn a_spider_that_fails_to_open_aborts_the_crawl() {
    let server = TestServer::start();
    let config = config(&server.url("/depth/0.html")).build().unwrap();
    let err = Crawler::new(config, Closed).run().unwrap_err();
    match err {
        Error::SpiderOpen(e) => assert_eq!(e.to_string(), "the database is down"),
        other => panic!("expected SpiderOpen, got {other:?}"),
    }
    assert!(server.all_paths().is_empty());
}

/// Starts from its own requests (a labelled one among them) instead of the bare seeds, and
/// counts `on_failure` calls.
struct OwnStart {
    extra: String,
    failures: Arc<Mutex<Vec<String>>>,
}

impl Spider for OwnStart {
    type Item = ();
    fn start_requests(&self, seeds: &[Url]) -> Vec<Request> {
        let mut v: Vec<Request> = seeds.iter().cloned().map(Request::new).collect();
        v.push(Request::get(&self.extra).unwrap().with_label("start"));
        v
    }
    fn parse(&self, _page: &Page<'_>, _out: &mut Output<()>) -> Result<(), BoxError> {
        Ok(())
    }
    fn on_failure(&self, outcome: &Outcome) {
        self.failures.lock().unwrap().push(outcome.url.to_string());
    }
}

#[test]
fn start_requests_and_on_failure() {
    let server = TestServer::start();
    let failures = Arc::new(Mutex::new(Vec::new()));
    let spider = OwnStart {
        extra: server.url("/always500"),
        failures: failures.clone(),
    };
    let config = config(&server.url("/depth/20.html"))
        .retry_policy(common::fast_retry(1))
        .build()
        .unwrap();
    let report = Crawler::new(config, spider).run().unwrap();

    let extra = outcome(&report, &server.url("/always500"));
    assert_eq!(extra.kind, OutcomeKind::Failed(FetchError::Status(500)));
    assert_eq!(extra.label.as_deref(), Some("start"));
    assert_eq!(extra.depth, 0);
    assert_eq!(extra.attempts, 2);
    assert_eq!(server.hits("/always500"), 2);
    assert!(outcome(&report, &server.url("/depth/20.html")).is_fetched());
    assert_eq!(report.failed, 1);
    assert_eq!(
        *failures.lock().unwrap(),
        vec![server.url("/always500")],
        "on_failure once per failed URL, after its retries"
    );
    assert_books_balance(&report, &server);
}

/// Panics on its first item.
struct Exploding;

impl Pipeline<Title> for Exploding {
    async fn process_item(&mut self, item: Title) -> Result<Option<Title>, BoxError> {
        panic!("pipeline exploded on {}", item.url);
    }
}

/// Runs `f` on a thread and waits at most `secs` for it: a hang fails the test instead of
/// blocking the suite.
fn bounded<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(secs))
        .expect("the crawl did not end in time")
}

#[test]
fn a_panicking_pipeline_does_not_stop_the_crawl() {
    let server = TestServer::start();
    let config = config(&server.url("/depth/0.html"))
        .max_depth(5)
        .build()
        .unwrap();
    let report = bounded(20, move || {
        Crawler::new(config, Titles).pipeline(Exploding).run()
    })
    .expect("the crawl itself succeeds");

    assert_eq!(report.fetched, 6, "every page is still fetched: {report}");
    assert_eq!(report.items, 0);
    assert!(report.item_errors >= 1, "{report}");
    assert_eq!(server.paths().len(), 6);
    assert_books_balance(&report, &server);
}

#[test]
fn a_panicking_outcome_callback_is_an_error_not_a_hang() {
    let server = TestServer::start();
    let config = config(&server.url("/depth/0.html")).build().unwrap();
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = calls.clone();
    let result = bounded(20, move || {
        Crawler::new(config, FollowAll)
            .on_outcome(move |o| {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                panic!("callback exploded on {}", o.url)
            })
            .run()
    });
    assert!(
        matches!(result, Err(Error::SupervisorDied)),
        "{:?}",
        result.map(|r| r.to_string())
    );
    assert!(server.hits("/depth/0.html") <= 1);
    // Whichever thread ran it, a callback that panicked is not called again.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
}
