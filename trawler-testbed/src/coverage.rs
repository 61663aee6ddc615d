//! A crawl's coverage of the site, as the site itself saw it: the verdict the demo prints.
//!
//! The point is that a crawler can be checked against something other than its own report:
//! the testbed counts every request it answers, so "every reachable page fetched exactly
//! once, no trap and no unreachable page requested" is read off the server. Every front end
//! (the `trawler demo` command, the demo example, the benchmarks) prints the same verdict
//! through [`Coverage`], so they cannot drift apart.

use std::fmt;

use super::stats::TestbedStats;

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
