//! The shortest crawler: the closure layer prints every page's title.
//!
//! Run with: `cargo run --example closure_crawler [-- URL]`
//!
//! Without a URL it crawls a synthetic site served on 127.0.0.1 (offline).

use trawler::prelude::*;
use trawler_testbed::{SiteSpec, Testbed};

fn main() -> Result<(), BoxError> {
    let (start, _site) = match std::env::args().nth(1) {
        Some(url) => (url, None),
        None => Testbed::start(SiteSpec::default()).map(|t| (t.url().into(), Some(t)))?,
    };
    let spider = FnSpider::<()>::new().on_html("title", |title, _out| {
        println!("{}", title.text().collect::<String>());
    });
    let config = CrawlConfig::builder().seed(start).max_pages(100).build()?;
    eprintln!("{}", Crawler::new(config, spider).run()?);
    Ok(())
}
