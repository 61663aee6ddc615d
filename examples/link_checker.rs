//! A link checker: crawls a site, checks every link it finds and lists the broken ones with
//! the pages that link to them: a table on stderr, JSON on stdout.
//!
//! Run with: `cargo run --example link_checker [-- [--stay-on-site] URL] > broken.json`
//!
//! Given a URL, links to other sites are checked too (one request each; they are not
//! crawled on from), unless `--stay-on-site`, which checks only the start site's links.
//! Without a URL it checks a 200-page synthetic site on 127.0.0.1 where 5% of the pages
//! always answer 500 or 503, and leaves its off-site links unchecked: nothing leaves the
//! machine.

use std::collections::{BTreeMap, BTreeSet};
use trawler::prelude::*;
use trawler_testbed::{SiteSpec, Testbed};

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

/// A broken link and the pages it was found on.
pub(crate) struct Broken {
    pub(crate) url: Url,
    pub(crate) problem: String,
    pub(crate) found_on: BTreeSet<String>,
}

/// Checks the site `args` name (`[--stay-on-site] [URL]`); the broken links and the number
/// of URLs checked.
pub(crate) fn check(args: &[String]) -> Result<(Vec<Broken>, u64), BoxError> {
    let stay = args.iter().any(|a| a == "--stay-on-site");
    let url = args.iter().find(|a| *a != "--stay-on-site");
    let config = CrawlConfig::builder().retries(1).collect_outcomes(true);
    let mut spec = SiteSpec::default();
    (spec.pages, spec.faults.status_5xx, spec.faults.repeats) = (200, 0.05, u32::MAX);
    let (config, _site) = match url {
        Some(url) if stay => (config.seed(url), None),
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
    let broken = (report.outcomes.iter().filter(|o| o.is_broken()))
        .map(|o| Broken {
            url: o.url.clone(),
            problem: match &o.kind {
                OutcomeKind::Failed(e) => e.to_string(),
                _ => format!("HTTP status {}", o.status.unwrap_or_default()),
            },
            found_on: found_on.remove(&o.url).unwrap_or_default(),
        })
        .collect();
    Ok((broken, report.fetched + report.failed))
}

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (broken, checked) = check(&args)?;
    eprintln!("{:<42} {:<34} linked from", "broken link", "problem");
    for b in &broken {
        let first = b.found_on.first().map_or("", String::as_str);
        let n = b.found_on.len();
        eprintln!(
            "{:<42} {:<34} {n} pages, e.g. {first}",
            b.url.as_str(),
            b.problem
        );
    }
    eprintln!("{} broken links among {checked} URLs checked", broken.len());
    let json: Vec<_> = (broken.iter())
        .map(|b| serde_json::json!({"url": b.url.as_str(), "problem": b.problem, "found_on": b.found_on}))
        .collect();
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}
