//! The `link_checker` example, driven through its `check` function: `--stay-on-site` checks
//! the start site's links only, and the broken ones are reported with their pages. Against
//! a synthetic site on 127.0.0.1 whose off-site links point to `.invalid` hosts and
//! 127.0.0.x addresses, none of which may be contacted here.

#[allow(dead_code)] // the example's `main` is not called
#[path = "../examples/link_checker.rs"]
mod link_checker;

use trawler_testbed::{Faults, SiteSpec, Testbed};

#[test]
fn stay_on_site_checks_only_the_start_site() {
    let site = Testbed::start(SiteSpec {
        pages: 60,
        faults: Faults {
            status_5xx: 0.1,
            repeats: u32::MAX,
            ..Faults::default()
        },
        ..SiteSpec::default()
    })
    .unwrap();
    let args = ["--stay-on-site".to_string(), site.url().to_string()];
    let (broken, checked) = link_checker::check(&args).unwrap();
    assert!(!broken.is_empty(), "the site has 5xx pages");
    let origin = site.url().origin();
    for b in &broken {
        assert_eq!(b.url.origin(), origin, "{} is off the site", b.url);
        assert!(
            b.problem.contains("500") || b.problem.contains("503"),
            "{}",
            b.problem
        );
        assert!(!b.found_on.is_empty(), "{} has no referring page", b.url);
    }
    // Every request the crawl made reached the site: robots.txt, one per URL checked, and
    // the one retry of each broken URL.
    let stats = site.stats();
    let retries = broken.len() as u64;
    assert_eq!(stats.requests, stats.robots_hits + checked + retries);
}
