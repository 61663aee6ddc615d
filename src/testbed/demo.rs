//! The offline demo crawl, shared by `trawler demo` and `examples/demo.rs`: the spider it
//! runs and the verdict it prints.
//!
//! The demo's point is that the crawler can be checked against something other than its
//! own report: the testbed counts every request it answers, so "every reachable page
//! fetched exactly once, no trap and no unreachable page requested" is read off the server.
//! Both front ends print the same verdict through [`Coverage`], so they cannot drift apart.

use std::fmt;

use super::stats::TestbedStats;
use crate::error::BoxError;
use crate::page::Page;
use crate::spider::{Output, Spider};

/// A spider that emits each page's `<title>` text and follows every link.
///
/// It finds the title by scanning the decoded text instead of building a DOM: the demo
/// measures the crawler, and the streaming path is what a link-following crawl costs.
#[derive(Debug, Clone, Copy, Default)]
pub struct TitleSpider;

impl Spider for TitleSpider {
    type Item = String;

    fn parse(&self, page: &Page<'_>, out: &mut Output<String>) -> Result<(), BoxError> {
        if let Some(title) = title_of(page.text()) {
            out.item(title.to_string());
        }
        // Following nothing explicitly: every link on the page is followed.
        Ok(())
    }
}

/// The text between the first `<title>` and the next `</title>`, if both are there.
fn title_of(html: &str) -> Option<&str> {
    let start = html.find("<title>")? + "<title>".len();
    let len = html[start..].find("</title>")?;
    Some(&html[start..start + len])
}

/// The demo's verdict, from the testbed's own counters; `Display` gives one line.
#[derive(Debug, Clone, Copy)]
pub struct Coverage<'a>(pub &'a TestbedStats);

impl Coverage<'_> {
    /// Every reachable page served once, no trap or unreachable page requested.
    #[must_use]
    pub fn is_perfect(&self) -> bool {
        self.0.is_perfect_crawl()
    }
}

impl fmt::Display for Coverage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        write!(
            f,
            "server: {}/{} reachable pages fetched, {} duplicate page requests, {} trap hits, \
             {} unreachable hits, {} requests: {}",
            s.pages_served,
            s.reachable_pages,
            s.duplicate_page_requests,
            s.trap_hits,
            s.unreachable_hits,
            s.requests,
            if self.is_perfect() {
                "complete, no duplicates"
            } else {
                "the crawl missed or repeated pages"
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_is_found_only_when_closed() {
        assert_eq!(
            title_of("<head><title>A page</title></head>"),
            Some("A page")
        );
        assert_eq!(title_of("<title>never closed"), None);
        assert_eq!(title_of("<p>no title</p>"), None);
    }

    #[test]
    fn coverage_reports_missing_and_repeated_pages() {
        let perfect = TestbedStats {
            reachable_pages: 10,
            pages_served: 10,
            requests: 12,
            ..TestbedStats::default()
        };
        assert!(Coverage(&perfect).is_perfect());
        assert!(Coverage(&perfect).to_string().contains("10/10"));
        let repeated = TestbedStats {
            duplicate_page_requests: 1,
            ..perfect.clone()
        };
        assert!(!Coverage(&repeated).is_perfect());
        assert!(
            Coverage(&repeated)
                .to_string()
                .contains("missed or repeated")
        );
    }
}
