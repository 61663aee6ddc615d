//! Per-URL admission cost: canonicalization, the xxh3 fingerprint and the seen-set insert
//! (dedup), on the links a crawl of the testbed really discovers.
//!
//! Run with `cargo bench --bench canon`. Every discovered link pays these steps (about 30
//! per page on the testbed, most of them already seen), so they set the per-link floor of
//! the parsers. The URLs are the resolved links of 200 testbed pages, duplicates, fragments
//! and off-site links included, in page order, as the parsers meet them.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use trawler::bench_api::SeenSet;
use trawler::canon::{CanonOptions, canonicalize, fingerprint};
use trawler::extract::{extract_links, resolve_links};
use trawler_testbed::{SiteSpec, render_pages};
use url::Url;

/// Fresh fingerprints for the growth benchmark: a seen-set as big as a 1M-page crawl's.
const BIG_SET: u64 = 1_000_000;

fn discovered_links() -> Vec<Url> {
    let spec = SiteSpec {
        pages: 10_000,
        ..SiteSpec::default()
    };
    let pages = render_pages(&spec, "http://127.0.0.1:8080", 0..200).expect("valid spec");
    pages
        .iter()
        .flat_map(|(url, body)| resolve_links(url, &extract_links(body, encoding_rs::UTF_8)))
        .collect()
}

fn bench_canon(c: &mut Criterion) {
    let urls = discovered_links();
    let opts = CanonOptions::default();
    let mut group = c.benchmark_group("canon");
    group.throughput(Throughput::Elements(urls.len() as u64));

    // Canonicalization works in place, so each batch gets a fresh copy of the links; the
    // copy is made outside the timed routine.
    group.bench_function("canonicalize", |b| {
        b.iter_batched(
            || urls.clone(),
            |mut batch| {
                for url in &mut batch {
                    canonicalize(url, opts);
                }
                batch
            },
            BatchSize::LargeInput,
        );
    });
    group.bench_function("fingerprint", |b| {
        b.iter(|| {
            for url in &urls {
                black_box(fingerprint(black_box(url)));
            }
        });
    });
    // The whole admission dedup path, into a set that starts empty like a crawl's: most
    // links are repeats, so this is mostly the "already seen" branch, as in a real crawl.
    group.bench_function("canonicalize+fingerprint+insert", |b| {
        b.iter_batched(
            || (urls.clone(), SeenSet::default()),
            |(mut batch, seen)| {
                let mut new = 0u32;
                for url in &mut batch {
                    canonicalize(url, opts);
                    new += u32::from(seen.insert(fingerprint(url)));
                }
                black_box(new);
                (batch, seen)
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();

    // Growth: inserting 1M distinct fingerprints, which includes every rehash a 1M-URL
    // crawl's set goes through.
    let mut group = c.benchmark_group("seen_set");
    group.throughput(Throughput::Elements(BIG_SET));
    group.sample_size(10);
    group.bench_function("insert_1M_new", |b| {
        b.iter_batched(
            SeenSet::default,
            |seen| {
                for i in 0..BIG_SET {
                    // xxh3 of the counter: uniform like real fingerprints, and cheap.
                    seen.insert(xxhash_rust::xxh3::xxh3_64(&i.to_le_bytes()));
                }
                seen
            },
            BatchSize::PerIteration,
        );
    });
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
    targets = bench_canon
}
criterion_main!(benches);
