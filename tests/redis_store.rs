//! The shared store's protocol against a real `redis-server` (started on a free loopback
//! port with persistence off, stopped by its PID): URLs offered once however many workers
//! offer them, taken only by their slot's owner, a slot taken over when its lease is gone
//! (its requests in flight given to the new owner), a late commit of the old owner refused
//! whole, and the crawl's end seen by every worker.

use std::net::TcpListener;
use std::time::{Duration, Instant};
use trawler::store::{CommitBatch, CrawlStore, QueuedRequest, RedisStore, StoreError, Taken};
use trawler_testbed::RedisServer;

fn redis() -> RedisServer {
    RedisServer::start().expect("start redis-server")
}

fn cli(r: &RedisServer, args: &[&str]) -> String {
    r.cli(args).expect("redis-cli")
}

fn request(url: &str) -> QueuedRequest {
    QueuedRequest {
        url: url.into(),
        depth: 1,
        priority: 0,
        attempts: 0,
        redirects: 0,
        label: None,
        referrer: None,
        session: None,
        due_ms: None,
        render: false,
    }
}

/// The fingerprints the engine would give, stood in for by distinct numbers.
fn offers(host: u64, urls: &[(u64, &str)]) -> CommitBatch {
    let mut b = CommitBatch::default();
    b.spilled = urls.iter().map(|(fp, u)| (*fp, host, request(u))).collect();
    b
}

fn join(r: &RedisServer, worker: &str) -> RedisStore {
    let url = r.url();
    let mut s = RedisStore::connect(&url, "t")
        .and_then(|s| s.worker(worker))
        .expect("connect");
    s.join(&vec![("seeds", "x".to_string())]).expect("join");
    s
}

/// Takes until something comes (the slot is leased at the next heartbeat), within a bound.
fn take_some(s: &mut RedisStore) -> Vec<Taken> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = s.take(100, 100).expect("take");
        if !got.is_empty() {
            return got;
        }
        assert!(Instant::now() < deadline, "nothing was taken");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn offered_once_taken_by_the_owner_fenced_after_takeover() {
    let r = redis();
    let host = 0xfeed_u64;
    let mut a = join(&r, "a");
    let mut b = join(&r, "b");
    let urls = [
        (1, "http://h.test/1"),
        (2, "http://h.test/2"),
        (3, "http://h.test/3"),
    ];
    a.commit(offers(host, &urls)).unwrap();
    // Offered again, by either worker: seen, not queued twice.
    b.commit(offers(host, &urls)).unwrap();
    a.commit(offers(host, &urls[..1])).unwrap();
    assert_eq!(cli(&r, &["hget", "trawler:{t}:count", "pending"]), "3");

    // One of the two owns the host's slot and takes all three; the other gets none.
    let (mut owner, mut other) = {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if a.owns(host) {
                break (a, b);
            }
            if b.owns(host) {
                break (b, a);
            }
            assert!(Instant::now() < deadline, "nobody took the slot");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let taken = take_some(&mut owner);
    let mut got: Vec<String> = taken.iter().map(|t| t.request.url.clone()).collect();
    got.sort();
    assert_eq!(
        got,
        ["http://h.test/1", "http://h.test/2", "http://h.test/3"]
    );
    assert!(taken.iter().all(|t| t.skip.is_none()));
    assert!(
        other.take(100, 100).unwrap().is_empty(),
        "only the owner takes"
    );

    // The owner ends one; then its lease is gone (as if it had been paused past it).
    let mut done = CommitBatch::default();
    done.done = vec![1];
    owner.commit(done).unwrap();
    assert_eq!(cli(&r, &["hget", "trawler:{t}:count", "pending"]), "2");
    let slot = host % 1024;
    cli(&r, &["del", &format!("trawler:{{t}}:lease:{slot}")]);

    // The other worker takes the slot over at its next heartbeat, with the two requests
    // the first one had in flight.
    let again = take_some(&mut other);
    let mut got: Vec<String> = again.iter().map(|t| t.request.url.clone()).collect();
    got.sort();
    assert_eq!(got, ["http://h.test/2", "http://h.test/3"]);

    // The old owner's late commit is refused whole: nothing it says is applied.
    let mut late = CommitBatch::default();
    late.done = vec![2, 3];
    late.spilled = vec![(9, host, request("http://h.test/9"))];
    match owner.commit(late) {
        Err(StoreError::LeaseLost(why)) => assert!(why.contains("slot"), "{why}"),
        other => panic!("a late commit must be refused, got {other:?}"),
    }
    assert_eq!(cli(&r, &["hget", "trawler:{t}:count", "pending"]), "2");
    assert!(owner.check().is_err(), "the old owner knows it is stale");

    // The new owner ends them: the crawl is over, for every worker still in it.
    assert!(!other.finished().unwrap());
    let mut done = CommitBatch::default();
    done.done = vec![2, 3];
    other.commit(done).unwrap();
    assert_eq!(cli(&r, &["hget", "trawler:{t}:count", "pending"]), "0");
    assert_eq!(cli(&r, &["hget", "trawler:{t}:count", "done"]), "3");
    std::thread::sleep(Duration::from_millis(300));
    assert!(other.finished().unwrap());
}

#[test]
fn a_worker_of_another_configuration_is_refused_saying_what_differs() {
    let r = redis();
    let _first = join(&r, "a");
    let url = r.url();
    let mut s = RedisStore::connect(&url, "t").unwrap();
    let e = s.join(&vec![("seeds", "y".to_string())]).unwrap_err();
    assert!(
        e.to_string().contains("seeds is y here but x in the crawl"),
        "{e}"
    );
    assert!(RedisStore::connect(&url, "bad name").is_err());
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = RedisStore::connect(&format!("redis://127.0.0.1:{closed}/"), "t").unwrap_err();
    assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
}

/// The commit script itself refuses a commit whose lease epoch is stale (a worker's own
/// check could hide it: this one holds the script to it).
#[test]
fn the_commit_script_is_fenced_by_epoch() {
    let r = redis();
    let script = include_str!("../src/store/redis/lua/commit.lua");
    let p = "trawler:{f}:";
    cli(&r, &["set", &format!("{p}lease:7"), "w|5"]);
    cli(&r, &["hset", &format!("{p}fly:7"), "fp", "entry"]);
    cli(&r, &["hset", &format!("{p}count"), "pending", "1"]);
    // prefix, worker, log position, host cap, over-cap kind byte; one lease; no offers;
    // one URL ended; no retries; no robots.txt.
    let commit = |owner: &str| {
        cli(
            &r,
            &[
                "eval", script, "0", p, "w", "42", "-1", "x", "1", "7", owner, "0", "1", "7", "fp",
                "0", "0",
            ],
        )
    };
    let refused = commit("w|4");
    assert_eq!(refused.lines().next(), Some("0"), "{refused}");
    assert_eq!(cli(&r, &["hlen", &format!("{p}fly:7")]), "1");
    assert_eq!(cli(&r, &["hget", &format!("{p}count"), "pending"]), "1");
    assert_eq!(cli(&r, &["hget", &format!("{p}wpos"), "w"]), "");
    let applied = commit("w|5");
    assert_eq!(applied.lines().next(), Some("1"), "{applied}");
    assert_eq!(cli(&r, &["hlen", &format!("{p}fly:7")]), "0");
    assert_eq!(cli(&r, &["hget", &format!("{p}count"), "pending"]), "0");
    assert_eq!(cli(&r, &["hget", &format!("{p}wpos"), "w"]), "42");
}
