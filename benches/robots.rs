//! robots.txt cost: parsing a host's file once, and the check every URL of that host pays
//! before it is fetched.
//!
//! Run with `cargo bench --bench robots`. Two files: the testbed's own (two lines, allow
//! everything, the common case) and a large generated one shaped like a big site's (several
//! agent groups, a few hundred rules with `*` and `$` wildcards and query patterns), so the
//! matcher's cost per rule shows. The URLs checked are the resolved links of 200 testbed
//! pages, the mix a crawl really asks about; some of them the large file disallows.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use trawler::bench_api::RobotsRules;
use trawler::extract::{extract_links, resolve_links};
use trawler_testbed::{DEFAULT_ROBOTS_TXT, SiteSpec, render_pages};
use url::Url;

const AGENT: &str = "trawler/0.1";
const ORIGIN: &str = "http://127.0.0.1:8080";

/// A robots.txt like a large site's: groups for other crawlers first (the parser must skip
/// them), then ours and `*`, each with hundreds of rules.
fn large_robots() -> String {
    let mut txt = String::from("# generated for the robots benchmark\n");
    for agent in ["Googlebot", "Bingbot", "trawler", "*"] {
        let _ = writeln!(txt, "\nUser-agent: {agent}");
        for s in 0..60 {
            let _ = writeln!(txt, "Disallow: /s{s:02}/p00{s:02}*.html$");
            let _ = writeln!(txt, "Allow: /s{s:02}/p00{s:02}1*.html");
        }
        for word in ["search", "login", "cart", "print", "share", "tag", "export"] {
            let _ = writeln!(txt, "Disallow: /*{word}*");
            let _ = writeln!(txt, "Disallow: /*?{word}=");
        }
        txt.push_str("Disallow: /assets/*.zip$\nDisallow: /trap/\nAllow: /assets/\n");
    }
    txt.push_str("\nSitemap: http://127.0.0.1:8080/sitemap.xml\n");
    txt
}

fn discovered_links() -> Vec<Url> {
    let spec = SiteSpec {
        pages: 10_000,
        ..SiteSpec::default()
    };
    let pages = render_pages(&spec, ORIGIN, 0..200).expect("valid spec");
    pages
        .iter()
        .flat_map(|(url, body)| resolve_links(url, &extract_links(body, encoding_rs::UTF_8)))
        .collect()
}

fn bench_robots(c: &mut Criterion) {
    let files = [
        ("testbed", DEFAULT_ROBOTS_TXT.replace("{origin}", ORIGIN)),
        ("large", large_robots()),
    ];
    let urls = discovered_links();

    let mut group = c.benchmark_group("robots/parse");
    for (name, body) in &files {
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(*name, |b| {
            b.iter(|| RobotsRules::parse(AGENT, black_box(body.as_bytes())));
        });
    }
    group.finish();

    let mut group = c.benchmark_group("robots/allows");
    group.throughput(Throughput::Elements(urls.len() as u64));
    for (name, body) in &files {
        let rules = RobotsRules::parse(AGENT, body.as_bytes());
        let allowed = urls.iter().filter(|u| rules.allows(u)).count();
        // Printed once so a reader sees the large file really disallows part of the mix.
        eprintln!(
            "robots/allows/{name}: {allowed} of {} URLs allowed",
            urls.len()
        );
        group.bench_function(*name, |b| {
            b.iter(|| urls.iter().filter(|u| rules.allows(black_box(u))).count());
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_robots
}
criterion_main!(benches);
