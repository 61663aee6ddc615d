//! Cost of archiving a page: one exchange (request and response records, each compressed as
//! its own gzip member, with SHA-1 digests and a CDXJ line) written by `WarcWriter`, on
//! testbed pages of ~25 KB, at the default gzip level and at level 1; prints the bytes written
//! per page.
//!
//! Run with `cargo bench --features warc --bench warc`.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use trawler::archive::{
    BodyForm, DEFAULT_COMPRESSION, Exchange, RequestHead, ResponseHead, WarcConfig, WarcWriter,
};
use trawler_testbed::{SiteSpec, render_pages};

fn exchanges() -> Vec<Exchange> {
    let spec = SiteSpec {
        pages: 1_000,
        page_bytes: 25_000,
        links_per_page: 20,
        ..SiteSpec::default()
    };
    render_pages(&spec, "http://127.0.0.1:8080", 1..17)
        .expect("the fixture spec is valid")
        .into_iter()
        .map(|(url, body)| Exchange {
            request: RequestHead::new("GET", url.path())
                .header("Host", "127.0.0.1:8080")
                .header("User-Agent", "trawler/0.1")
                .header("Accept-Encoding", "gzip, deflate, br"),
            response: ResponseHead::new(200, "OK")
                .header("Content-Length", body.len().to_string())
                .header("Content-Type", "text/html; charset=utf-8")
                .header("Date", "Tue, 01 Dec 2026 15:32:47 GMT"),
            url,
            remote_ip: Some("127.0.0.1".parse().expect("an IP")),
            fetched_at: SystemTime::now(),
            body: Bytes::from(body),
            body_form: BodyForm::Wire,
            truncated: false,
        })
        .collect()
}

fn writer(level: u32) -> (tempfile::TempDir, WarcWriter) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = WarcConfig::new(dir.path(), "bench").compression(level);
    (dir, WarcWriter::create(config).expect("a writer"))
}

fn bench_warc(c: &mut Criterion) {
    let exchanges = exchanges();
    let body_bytes: usize = exchanges.iter().map(|e| e.body.len()).sum();
    let mut group = c.benchmark_group("warc/testbed-25KB");
    group.throughput(Throughput::Elements(exchanges.len() as u64));
    group.measurement_time(Duration::from_secs(10));
    for level in [DEFAULT_COMPRESSION, 1] {
        let (_dir, mut w) = writer(level);
        let start = w.position().expect("a file").len;
        for ex in &exchanges {
            w.write(ex).expect("write");
        }
        let written = w.position().expect("a file").len - start;
        println!(
            "warc, gzip level {level}: {} pages, {} body bytes/page, {} WARC bytes/page \
             (request + response records)",
            exchanges.len(),
            body_bytes / exchanges.len(),
            written / exchanges.len() as u64
        );
        group.bench_function(format!("write, gzip level {level}"), |b| {
            b.iter_batched(
                || writer(level),
                |(dir, mut w)| {
                    for ex in &exchanges {
                        black_box(w.write(black_box(ex)).expect("write"));
                    }
                    (dir, w)
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, bench_warc);
criterion_main!(benches);
