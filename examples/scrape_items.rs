//! A `Spider` with CSS selectors that emits typed items (title, headings, meta description,
//! word count), written as JSON lines by the `JsonLines` pipeline.
//!
//! Run with: `cargo run --example scrape_items [-- URL] > items.jsonl`
//!
//! Without a URL it scrapes the first 100 pages of a synthetic site on 127.0.0.1 (offline).
//! Selectors are compiled once, in `new`; `page.select` builds each page's DOM on demand.

use trawler::prelude::*;
use trawler_testbed::{SiteSpec, Testbed};

/// One scraped page. `Serialize` comes from trawler's prelude: no serde dependency needed.
#[derive(Serialize)]
#[serde(crate = "trawler::serde")]
struct Article {
    url: String,
    title: String,
    headings: Vec<String>,
    description: Option<String>,
    words: usize,
}

struct Articles {
    title: Selector,
    headings: Selector,
    meta: Selector,
    body: Selector,
}

impl Spider for Articles {
    type Item = Article;

    fn parse(&self, page: &Page<'_>, out: &mut Output<Article>) -> Result<(), BoxError> {
        let words = |el: ElementRef<'_>| el.normalized_text().split(' ').count();
        out.item(Article {
            url: page.url().to_string(),
            title: page
                .first(&self.title)
                .map(|t| t.normalized_text())
                .unwrap_or_default(),
            headings: page
                .select(&self.headings)
                .map(|h| h.normalized_text())
                .collect(),
            description: page
                .first(&self.meta)
                .and_then(|m| m.attr("content").map(Into::into)),
            words: page.first(&self.body).map_or(0, words),
        });
        Ok(())
    }
}

fn main() -> Result<(), BoxError> {
    let (start, _site) = match std::env::args().nth(1) {
        Some(url) => (url, None),
        None => Testbed::start(SiteSpec::default()).map(|t| (t.url().into(), Some(t)))?,
    };
    let spider = Articles {
        title: Selector::parse("title")?,
        headings: Selector::parse("h1, h2")?,
        meta: Selector::parse(r#"meta[name="description"]"#)?,
        body: Selector::parse("body")?,
    };
    let config = CrawlConfig::builder().seed(start).max_pages(100).build()?;
    let report = Crawler::new(config, spider)
        .pipeline(JsonLines::new(std::io::stdout()))
        .run()?;
    eprintln!("{report}");
    Ok(())
}
