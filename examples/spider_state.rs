//! Spider state read after the crawl: an `Arc` of a spider is a spider, so the caller keeps
//! a clone and reads the fields once `run` returns; the fields themselves need no `Arc`.
//!
//! Run with: `cargo run --example spider_state [-- URL]`
//!
//! Without a URL it crawls a synthetic site on 127.0.0.1 (offline) and prints the pages
//! and words per section of the site (the first path segment).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use trawler::prelude::*;
use trawler_testbed::{SiteSpec, Testbed};

/// Pages and words per section. `parse` runs on several threads at once, so the map is
/// behind a lock; nothing else is shared.
struct Sections {
    body: Selector,
    per_section: Mutex<BTreeMap<String, (u64, u64)>>,
}

impl Spider for Sections {
    type Item = ();

    fn parse(&self, page: &Page<'_>, _out: &mut Output<()>) -> Result<(), BoxError> {
        let section = page.url().path_segments().and_then(|mut s| s.next());
        let section = section.filter(|s| !s.is_empty()).unwrap_or("/").to_string();
        let body = page.first(&self.body);
        let words = body.map_or(0, |b| b.normalized_text().split(' ').count() as u64);
        let mut map = self.per_section.lock().map_err(|_| "a parse panicked")?;
        let entry = map.entry(section).or_default();
        *entry = (entry.0 + 1, entry.1 + words);
        Ok(())
    }
}

fn main() -> Result<(), BoxError> {
    let (start, _site) = match std::env::args().nth(1) {
        Some(url) => (url, None),
        None => Testbed::start(SiteSpec::default()).map(|t| (t.url().into(), Some(t)))?,
    };
    let spider = Arc::new(Sections {
        body: Selector::parse("body")?,
        per_section: Mutex::default(),
    });
    let config = CrawlConfig::builder().seed(start).max_pages(300).build()?;
    let report = Crawler::new(config, Arc::clone(&spider)).run()?;
    eprintln!("{report}");
    for (section, (pages, words)) in spider.per_section.lock().map_err(|_| "poisoned")?.iter() {
        println!("{section:<12} {pages:>5} pages {words:>9} words");
    }
    Ok(())
}
