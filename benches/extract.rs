//! Link extraction throughput (bytes/s) on testbed pages of ~3 KB, ~25 KB and ~100 KB:
//! the default streaming path (`lol_html`) against the scraper DOM path, plus the streaming
//! path with resolution to absolute URLs, which is what the crawl pays per page.
//!
//! Run with `cargo bench --bench extract`. The pages come from the testbed's own generator
//! (`trawler_testbed::render_pages`), so every machine times the same bytes, and they look
//! like what a crawl of the testbed parses: head with inline `<style>`/`<script>` traps, nav,
//! paragraphs with links in mixed forms, aside and footer.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use trawler::extract::{extract_links, extract_links_dom, resolve_links};
use trawler_testbed::{SiteSpec, render_pages};
use url::Url;

/// Pages per fixture set: enough that one page's quirks do not decide the figure.
const PAGES_PER_SET: u32 = 16;

/// (label, mean page bytes, in-content links per page). Bigger pages carry more links, as
/// real ones do; the testbed varies each page's size by ±50 % around the mean.
const SETS: [(&str, usize, u32); 3] = [
    ("3KB", 3_000, 8),
    ("25KB", 25_000, 20),
    ("100KB", 100_000, 60),
];

fn fixtures(page_bytes: usize, links: u32) -> Vec<(Url, Vec<u8>)> {
    let spec = SiteSpec {
        pages: 1_000,
        page_bytes,
        links_per_page: links,
        ..SiteSpec::default()
    };
    // Page 0 is the index, which is shaped like the others; start at 1 anyway so the set is
    // made of ordinary article pages only.
    render_pages(&spec, "http://127.0.0.1:8080", 1..1 + PAGES_PER_SET)
        .expect("the fixture spec is valid")
}

fn bench_extract(c: &mut Criterion) {
    for (label, page_bytes, links) in SETS {
        let pages = fixtures(page_bytes, links);
        let bytes: usize = pages.iter().map(|(_, p)| p.len()).sum();
        let mut group = c.benchmark_group(format!("extract/{label}"));
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(BenchmarkId::from_parameter("lol_html"), |b| {
            b.iter(|| {
                for (_, page) in &pages {
                    black_box(extract_links(black_box(page), encoding_rs::UTF_8));
                }
            });
        });
        group.bench_function(BenchmarkId::from_parameter("lol_html+resolve"), |b| {
            b.iter(|| {
                for (url, page) in &pages {
                    let raw = extract_links(black_box(page), encoding_rs::UTF_8);
                    black_box(resolve_links(url, &raw));
                }
            });
        });
        group.bench_function(BenchmarkId::from_parameter("scraper_dom"), |b| {
            b.iter(|| {
                for (_, page) in &pages {
                    // The testbed writes UTF-8; a decode error here would be a generator bug.
                    let text = std::str::from_utf8(black_box(page)).expect("UTF-8 page");
                    let doc = scraper::Html::parse_document(text);
                    black_box(extract_links_dom(&doc));
                }
            });
        });
        group.bench_function(BenchmarkId::from_parameter("scraper_dom+resolve"), |b| {
            b.iter(|| {
                for (url, page) in &pages {
                    let text = std::str::from_utf8(black_box(page)).expect("UTF-8 page");
                    let raw = extract_links_dom(&scraper::Html::parse_document(text));
                    black_box(resolve_links(url, &raw));
                }
            });
        });
        group.finish();
    }
}

/// Shorter than criterion's defaults (3 s warm-up, 5 s of samples): twelve benchmarks in
/// about a minute, and the spread stays within a few percent on these deterministic inputs.
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_extract
}
criterion_main!(benches);
