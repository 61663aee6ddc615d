//! Cost of a page's content extraction: metadata, main text (readability) and Markdown, on
//! testbed pages (~25 KB) and on chapters of the Rust book from the toolchain's docs; and of
//! named CSS selectors on a parsed page.
//!
//! Run with `cargo bench --features content --bench content`. The book pages come with
//! rustup's `rust-docs` component; without them only the testbed pages are timed.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use trawler::content::{ContentFormat, NamedSelectors, PageContent};
use trawler::scraper::Html;
use trawler_testbed::{SiteSpec, render_pages};
use url::Url;

const BOOK: [&str; 4] = [
    "book/ch04-01-what-is-ownership.html",
    "book/ch08-02-strings.html",
    "book/ch16-01-threads.html",
    "book/ch10-02-traits.html",
];

fn testbed_pages() -> Vec<(Url, String)> {
    let spec = SiteSpec {
        pages: 1_000,
        page_bytes: 25_000,
        links_per_page: 20,
        ..SiteSpec::default()
    };
    render_pages(&spec, "http://127.0.0.1:8080", 1..17)
        .expect("the fixture spec is valid")
        .into_iter()
        .map(|(url, bytes)| {
            (
                url,
                String::from_utf8(bytes).expect("testbed pages are UTF-8"),
            )
        })
        .collect()
}

fn book_pages() -> Vec<(Url, String)> {
    let sysroot = std::process::Command::new("rustc")
        .args(["--print", "sysroot"])
        .output();
    let Ok(out) = sysroot else { return Vec::new() };
    let docs =
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("share/doc/rust/html");
    let pages: Vec<(Url, String)> = BOOK
        .iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(docs.join(p)).ok()?;
            Some((
                Url::parse(&format!("http://127.0.0.1:8080/{p}")).ok()?,
                text,
            ))
        })
        .collect();
    if pages.len() < BOOK.len() {
        println!(
            "no Rust book at {}: timing testbed pages only",
            docs.display()
        );
        return Vec::new();
    }
    pages
}

fn bench_content(c: &mut Criterion) {
    for (label, pages) in [("testbed-25KB", testbed_pages()), ("book", book_pages())] {
        if pages.is_empty() {
            continue;
        }
        let mut group = c.benchmark_group(format!("content/{label}"));
        group.throughput(Throughput::Elements(pages.len() as u64));
        for (name, format) in [
            ("text", ContentFormat::Text),
            ("markdown", ContentFormat::Markdown),
        ] {
            group.bench_function(BenchmarkId::from_parameter(name), |b| {
                b.iter(|| {
                    for (url, html) in &pages {
                        black_box(PageContent::extract(black_box(html), url, format));
                    }
                });
            });
        }
        let selectors = NamedSelectors::from_args(["title=title", "h=h2, h3", "code=pre code"])
            .expect("valid selectors");
        let doms: Vec<Html> = pages.iter().map(|(_, h)| Html::parse_document(h)).collect();
        group.bench_function(
            BenchmarkId::from_parameter("3 selectors, all matches"),
            |b| {
                b.iter(|| {
                    for dom in &doms {
                        black_box(selectors.all(black_box(dom)));
                    }
                });
            },
        );
        group.finish();
    }
}

criterion_group!(benches, bench_content);
criterion_main!(benches);
