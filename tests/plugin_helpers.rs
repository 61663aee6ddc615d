//! The helpers a plugin author reaches for, written only against `trawler::prelude::*`
//! (no serde dependency of the test's own in the item types): selectors made on the spot,
//! first match, absolute attribute URLs, normalized text, regexes, closures with `?`, a CSV
//! sink, and spider state read back after the crawl.

mod common;

use common::{Reply, TestServer, config};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use trawler::prelude::*;

const ARTICLE: &str = r#"<!doctype html><html><head><title>
    An   article
</title></head><body>
<h1>  Hello,
    <em>world</em>  </h1>
<img src="img/a.png"><img src="https://cdn.test/b.png"><img src="data:image/png,x">
<p>Write to ann@a.test or bob@b.test.</p>
<a data-id="7" href="/two.html">two</a><a data-id="x" href="/three.html">three</a>
</body></html>"#;

fn article_server() -> TestServer {
    let server = TestServer::start();
    server.serve("/dir/article.html", Reply::ok("text/html", ARTICLE));
    for page in ["/two.html", "/three.html"] {
        server.serve(page, Reply::ok("text/html", "<title>leaf</title>"));
    }
    server
}

/// Everything the page helpers give, as one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(crate = "trawler::serde")]
struct Found {
    title: String,
    h1: String,
    images: Vec<String>,
    emails: Vec<String>,
}

struct Helpers {
    emails: Regex,
}

impl Spider for Helpers {
    type Item = Found;

    fn parse(&self, page: &Page<'_>, out: &mut Output<Found>) -> Result<(), BoxError> {
        if page.url().path() != "/dir/article.html" {
            return Ok(());
        }
        // A selector made on the spot: the element borrows the page, not the selector.
        let h1 = page.select(&Selector::parse("h1")?).next();
        out.item(Found {
            title: page
                .first(&Selector::parse("title")?)
                .map(|t| t.normalized_text())
                .unwrap_or_default(),
            h1: h1.map(|h| h.normalized_text()).unwrap_or_default(),
            images: page
                .select(&Selector::parse("img")?)
                .filter_map(|img| page.attr_url(img, "src"))
                .map(String::from)
                .collect(),
            emails: page
                .text_matches(&self.emails)
                .map(str::to_string)
                .collect(),
        });
        Ok(())
    }
}

#[test]
fn page_helpers_give_text_first_matches_urls_and_regex_matches() {
    let server = article_server();
    let (collect, found) = Collect::new();
    let spider = Helpers {
        emails: Regex::new(r"[\w.]+@[\w.]+\w").unwrap(),
    };
    let config = config(&server.url("/dir/article.html")).build().unwrap();
    Crawler::new(config, spider)
        .pipeline(collect)
        .run()
        .unwrap();
    assert_eq!(
        found.take(),
        [Found {
            title: "An article".into(),
            h1: "Hello, world".into(),
            images: vec![
                server.url("/dir/img/a.png"),
                "https://cdn.test/b.png".into()
            ],
            emails: vec!["ann@a.test".into(), "bob@b.test".into()],
        }]
    );
}

#[test]
fn fn_spider_closures_can_use_the_question_mark() {
    let server = article_server();
    let (collect, ids) = Collect::new();
    let spider = FnSpider::new().try_on_html("a[data-id]", |a, out| {
        out.item(a.attr("data-id").unwrap_or_default().parse::<u64>()?);
        Ok(())
    });
    let config = config(&server.url("/dir/article.html")).build().unwrap();
    let report = Crawler::new(config, spider)
        .pipeline(collect)
        .run()
        .unwrap();
    // The second link's id does not parse: the page records the error, its items are
    // dropped, and the crawl's own following still applies.
    let article = common::outcome(&report, &server.url("/dir/article.html"));
    assert!(
        article
            .parse_error
            .as_deref()
            .is_some_and(|e| e.contains("invalid digit")),
        "{article:?}"
    );
    assert!(ids.take().is_empty());
    assert_eq!(report.parse_errors, 1);
    assert_eq!(server.hits("/two.html"), 1);
}

/// One row per page.
#[derive(Debug, Clone, Serialize)]
#[serde(crate = "trawler::serde")]
struct Row {
    url: String,
    title: String,
}

#[test]
fn the_csv_sink_writes_a_header_and_one_row_per_item() {
    let server = article_server();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    let spider = FnSpider::new().try_on_page(|page, out| {
        let title = page.first(&Selector::parse("title")?);
        out.item(Row {
            url: page.url().to_string(),
            title: title.map(|t| t.normalized_text()).unwrap_or_default(),
        });
        Ok(())
    });
    let config = config(&server.url("/dir/article.html")).build().unwrap();
    let report = Crawler::new(config, spider)
        .pipeline(Csv::create(&path).unwrap())
        .run()
        .unwrap();
    assert_eq!((report.items, report.item_errors), (3, 0), "{report}");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.remove(0), "url,title");
    lines.sort_unstable();
    let article = server.url("/dir/article.html");
    assert_eq!(
        lines,
        [
            format!("{article},An article"),
            format!("{},leaf", server.url("/three.html")),
            format!("{},leaf", server.url("/two.html")),
        ]
    );
}

/// Counts pages and keeps their paths: plain fields, no `Arc` inside.
#[derive(Default)]
struct Tally {
    pages: AtomicU64,
    paths: Mutex<Vec<String>>,
}

impl Spider for Tally {
    type Item = ();

    fn parse(&self, page: &Page<'_>, _out: &mut Output<()>) -> Result<(), BoxError> {
        self.pages.fetch_add(1, Ordering::Relaxed);
        self.paths
            .lock()
            .map_err(|_| "poisoned")?
            .push(page.url().path().to_string());
        Ok(())
    }
}

#[test]
fn an_arc_of_a_spider_is_a_spider_whose_state_is_read_after_the_crawl() {
    let server = article_server();
    let tally = Arc::new(Tally::default());
    let config = config(&server.url("/dir/article.html")).build().unwrap();
    let report = Crawler::new(config, Arc::clone(&tally)).run().unwrap();
    assert_eq!(tally.pages.load(Ordering::Relaxed), report.fetched);
    let mut paths = tally.paths.lock().unwrap().clone();
    paths.sort();
    assert_eq!(paths, ["/dir/article.html", "/three.html", "/two.html"]);
}

/// A helper in the style of the README's: its `BoxError` goes through `?` in a function
/// that returns `BoxError` too, as `main` does in every example.
fn crawl_titles(seed: &str) -> Result<CrawlReport, BoxError> {
    let config = config(seed).build()?;
    let spider = FnSpider::<String>::new().on_html("title", |t, out| out.item(t.normalized_text()));
    Ok(Crawler::new(config, spider).run()?)
}

#[test]
fn a_helper_returning_box_error_composes_with_question_marks() -> Result<(), BoxError> {
    let server = article_server();
    let report = crawl_titles(&server.url("/dir/article.html"))?;
    assert_eq!(report.items, 3);
    let missing = crawl_titles("not a url").unwrap_err();
    assert!(missing.to_string().contains("not a url"), "{missing}");
    Ok(())
}
