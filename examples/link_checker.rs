//! A link checker: crawls a site, checks every link it finds and lists the broken ones with
//! the pages that link to them: a table on stderr, JSON on stdout.
//!
//! Run with: `cargo run --example link_checker [-- URL] > broken.json`
//!
//! Given a URL, off-site links are checked too (not crawled on from). Without one it checks
//! a 200-page synthetic site on 127.0.0.1 where 5% of the pages always answer 500 or 503;
//! its off-site links are then left unchecked, so nothing leaves the machine.

use std::collections::{BTreeMap, BTreeSet};
use trawler::prelude::*;
use trawler::testbed::{SiteSpec, Testbed};

/// Emits (link, page) for every link; crawls on only from pages of the start site.
struct Links(url::Origin);

impl Spider for Links {
    type Item = (Url, Url);

    fn parse(&self, page: &Page<'_>, out: &mut Output<Self::Item>) -> Result<(), BoxError> {
        for link in page.links() {
            out.item((link.clone(), page.url().clone()));
        }
        if page.url().origin() != self.0 {
            out.follow_none();
        }
        Ok(())
    }
}

fn main() -> Result<(), BoxError> {
    let config = CrawlConfig::builder().retries(1).collect_outcomes(true);
    let mut spec = SiteSpec::default();
    (spec.pages, spec.faults.status_5xx, spec.faults.repeats) = (200, 0.05, u32::MAX);
    let (config, _site) = match std::env::args().nth(1) {
        Some(url) => (config.seed(url).allow_any_host(), None),
        None => Testbed::start(spec).map(|t| (config.seed(t.url().as_str()), Some(t)))?,
    };
    let config = config.build()?;
    let (links, found) = Collect::new();
    let spider = Links(config.seeds()[0].origin());
    let report = Crawler::new(config, spider).pipeline(links).run()?;

    let mut found_on: BTreeMap<Url, BTreeSet<String>> = BTreeMap::new();
    for (link, page) in found.take() {
        found_on.entry(link).or_default().insert(page.into());
    }
    let mut json = Vec::new();
    eprintln!("{:<42} {:<34} linked from", "broken link", "problem");
    for o in report.outcomes.iter().filter(|o| o.is_broken()) {
        let problem = match &o.kind {
            OutcomeKind::Failed(e) => e.to_string(),
            _ => format!("HTTP status {}", o.status.unwrap_or_default()),
        };
        let on = found_on.remove(&o.url).unwrap_or_default();
        let first = on.first().map_or("", String::as_str);
        eprintln!(
            "{:<42} {problem:<34} {} pages, e.g. {first}",
            o.url.as_str(),
            on.len()
        );
        json.push(serde_json::json!({ "url": o.url.as_str(), "problem": problem, "found_on": on }));
    }
    let checked = report.fetched + report.failed;
    eprintln!("{} broken links among {checked} URLs checked", json.len());
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}
