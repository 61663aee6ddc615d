//! Frontier throughput: queueing and handing out requests, per host and over many hosts.
//!
//! Run with `cargo bench --bench frontier`. Each push pays what the supervisor pays for a
//! new request (host key, host id lookup, queue insert) and each pop what it pays to send
//! one (round-robin over ready hosts, queue pop, then `done` when the answer is back).
//! Building the `Request`s is setup, not timed. Three shapes:
//!
//! * `one_host`: a single site with a deep queue, the shape of the testbed crawls;
//! * `many_hosts`: 10,000 hosts of 10 URLs each, a broad crawl's shape;
//! * `steady`: 64 in flight, each answer queueing new links before the next pop, so the
//!   queue stays long while hosts come and go, as during a real crawl.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use trawler::Request;
use trawler::bench_api::Frontier;
use trawler::canon::host_key;

/// Requests per benchmark iteration in every shape.
const REQUESTS: usize = 100_000;
/// Requests in flight at once in the `steady` shape (trawler's default concurrency).
const IN_FLIGHT: usize = 64;

fn requests(hosts: usize) -> Vec<Request> {
    (0..REQUESTS)
        .map(|i| {
            let host = i % hosts;
            let host = format!("h{host}.test");
            Request::get(&format!("http://{host}/s{:02}/p{i:06}.html", i % 50))
                .expect("well-formed URL")
        })
        .collect()
}

fn push(frontier: &mut Frontier, request: Request) {
    let key = host_key(request.url()).expect("http URLs have a host");
    let host = frontier.host_id(&key);
    frontier.push(host, request);
}

/// Pushes everything, then drains: every pop is followed by its `done`.
fn push_then_drain(batch: Vec<Request>) -> usize {
    let mut frontier = Frontier::new(usize::MAX);
    for request in batch {
        push(&mut frontier, request);
    }
    let now = Instant::now();
    let mut popped = 0;
    while let Some((request, host)) = frontier.pop(now) {
        black_box(&request);
        frontier.done(host);
        popped += 1;
    }
    popped
}

/// Keeps `IN_FLIGHT` requests out; each one that comes back brings the next new request in
/// (one at a time, so the ready list of hosts changes at every step).
fn steady(batch: Vec<Request>, per_host_limit: usize) -> usize {
    let mut frontier = Frontier::new(per_host_limit);
    let mut incoming = batch.into_iter();
    for request in incoming.by_ref().take(REQUESTS / 2) {
        push(&mut frontier, request);
    }
    let now = Instant::now();
    let mut out = Vec::with_capacity(IN_FLIGHT);
    let mut popped = 0;
    loop {
        while out.len() < IN_FLIGHT {
            match frontier.pop(now) {
                Some((request, host)) => out.push((request, host)),
                None => break,
            }
        }
        let Some((request, host)) = out.pop() else {
            break;
        };
        black_box(request);
        frontier.done(host);
        popped += 1;
        if let Some(next) = incoming.next() {
            push(&mut frontier, next);
        }
    }
    popped
}

fn bench_frontier(c: &mut Criterion) {
    let one_host = requests(1);
    let many_hosts = requests(10_000);
    let mut group = c.benchmark_group("frontier");
    group.throughput(Throughput::Elements(REQUESTS as u64));
    group.sample_size(20);
    group.bench_function("one_host/push_then_drain", |b| {
        b.iter_batched(
            || one_host.clone(),
            push_then_drain,
            BatchSize::PerIteration,
        );
    });
    group.bench_function("many_hosts/push_then_drain", |b| {
        b.iter_batched(
            || many_hosts.clone(),
            push_then_drain,
            BatchSize::PerIteration,
        );
    });
    group.bench_function("many_hosts/steady_64_in_flight", |b| {
        // 8 per host: trawler's default per-host concurrency.
        b.iter_batched(
            || many_hosts.clone(),
            |batch| steady(batch, 8),
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_frontier
}
criterion_main!(benches);
