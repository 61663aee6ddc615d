//! The disk store against its promises: commits are atomic and survive a reopen, leased
//! entries come back as queued in discovery order, replaying a commit changes nothing,
//! a second opener and a foreign directory are refused.

use super::*;

fn q(url: &str, attempts: u32) -> QueuedRequest {
    QueuedRequest {
        url: url.to_string(),
        depth: 1,
        priority: 0,
        attempts,
        redirects: 0,
        label: None,
        referrer: Some("http://a.test/".to_string()),
        session: None,
        due_ms: None,
        render: false,
    }
}

fn batch(queued: &[(u64, &str)], done: &[u64]) -> CommitBatch {
    CommitBatch {
        queued: queued.iter().map(|&(fp, u)| (fp, q(u, 0))).collect(),
        done: done.to_vec(),
        ..CommitBatch::default()
    }
}

fn urls(r: &Recovery) -> Vec<&str> {
    r.queued.iter().map(|q| q.url.as_str()).collect()
}

#[test]
fn what_was_committed_comes_back_in_discovery_order_and_done_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut s = DiskStore::open(dir.path()).unwrap();
        assert!(s.is_durable());
        assert!(s.recover().unwrap().queued.is_empty());
        s.commit(batch(
            &[(30, "http://a.test/3"), (10, "http://a.test/1")],
            &[],
        ))
        .unwrap();
        let mut b = batch(&[(20, "http://a.test/2"), (40, "http://a.test/4")], &[30]);
        // Queued and ended in the same batch: seen, never queued.
        b.done.push(40);
        b.state = Some(b"counters".to_vec());
        s.commit(b).unwrap();
        // A retry keeps its place in the queue.
        s.commit(CommitBatch {
            requeued: vec![(10, q("http://a.test/1", 2))],
            ..CommitBatch::default()
        })
        .unwrap();
    }
    let mut s = DiskStore::open(dir.path()).unwrap();
    let r = s.recover().unwrap();
    assert_eq!(urls(&r), ["http://a.test/1", "http://a.test/2"]);
    assert_eq!(r.queued[0].attempts, 2);
    assert_eq!(r.state.as_deref(), Some(&b"counters"[..]));
    // Every fingerprint committed is seen, done or not; nothing else is.
    let mut fresh = Vec::new();
    s.seen().insert_batch(&[10, 20, 30, 40, 50], &mut fresh);
    assert_eq!(fresh, [false, false, false, false, true]);
    // New requests go after the old ones.
    s.commit(batch(&[(5, "http://a.test/0")], &[])).unwrap();
    assert_eq!(
        urls(&s.recover().unwrap()),
        ["http://a.test/1", "http://a.test/2", "http://a.test/0"]
    );
}

#[test]
fn replaying_a_commit_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = DiskStore::open(dir.path()).unwrap();
    s.commit(batch(
        &[(1, "http://a.test/1"), (2, "http://a.test/2")],
        &[],
    ))
    .unwrap();
    s.commit(batch(&[], &[1])).unwrap();
    let before = urls(&s.recover().unwrap()).join(" ");
    s.commit(batch(&[], &[1])).unwrap();
    s.commit(batch(&[], &[99])).unwrap();
    assert_eq!(urls(&s.recover().unwrap()).join(" "), before);
    assert_eq!(before, "http://a.test/2");
}

#[test]
fn a_second_opener_is_refused_until_the_first_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let first = DiskStore::open(dir.path()).unwrap();
    let err = DiskStore::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::Locked(_)), "{err}");
    assert!(err.to_string().contains("in use"), "{err}");
    drop(first);
    DiskStore::open(dir.path()).unwrap();
}

#[test]
fn a_damaged_or_foreign_directory_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut s = DiskStore::open(dir.path()).unwrap();
        s.commit(batch(&[(1, "http://a.test/1")], &[])).unwrap();
    }
    // Another format.
    {
        let s = DiskStore::open(dir.path()).unwrap();
        s.meta.insert(META_FORMAT, b"other-9").unwrap();
    }
    let err = DiskStore::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("another format"), "{err}");
    // A queue entry whose bytes are not a request.
    {
        let db = Database::builder(dir.path().join("db")).open().unwrap();
        let ks = |n| db.keyspace(n, KeyspaceCreateOptions::default).unwrap();
        ks("meta").insert(META_FORMAT, FORMAT).unwrap();
        ks("queue").insert(7u64.to_be_bytes(), [0u8; 9]).unwrap();
    }
    let mut s = DiskStore::open(dir.path()).unwrap();
    let err = s.recover().unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
}

#[test]
fn the_seen_set_stays_exact_with_a_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let cap = 100;
    let mut s = DiskStore::open_with(dir.path(), cap).unwrap();
    let seen = s.seen();
    let mut fresh = Vec::new();
    for round in 0..50u64 {
        let fps: Vec<u64> = (round * 100..round * 100 + 100).collect();
        seen.insert_batch(&fps, &mut fresh);
        assert!(fresh.iter().all(|&f| f), "round {round}: all new");
        let queued: Vec<(u64, &str)> = fps.iter().map(|&fp| (fp, "http://a.test/x")).collect();
        s.commit(batch(&queued, &fps)).unwrap();
        assert!(
            s.seen.in_memory() <= cap,
            "{} in memory",
            s.seen.in_memory()
        );
    }
    // Every one of the 5000 is still seen (from memory or from disk); new ones are new.
    let all: Vec<u64> = (0..5000).collect();
    seen.insert_batch(&all, &mut fresh);
    assert!(fresh.iter().all(|&f| !f));
    seen.insert_batch(&[5000, 5001, 5000], &mut fresh);
    assert_eq!(fresh, [true, true, false]);
    assert_eq!(seen.len(), 5002);
    s.commit(batch(&[(5000, "http://a.test/y")], &[])).unwrap();
    drop((seen, s));
    // Reopened: nothing loaded into memory, every committed fingerprint still seen (while
    // the filters of what is on disk load, and once they are), and the count goes on (5001
    // was never committed: a crash forgets it).
    let s = DiskStore::open_with(dir.path(), cap).unwrap();
    assert_eq!(s.seen.in_memory(), 0);
    assert_eq!(s.seen().len(), 5001);
    s.seen().insert_batch(&[0, 4999, 5000, 5001], &mut fresh);
    assert_eq!(fresh, [false, false, false, true]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !s.evicted.is_complete() {
        assert!(
            Instant::now() < deadline,
            "the seen-set's filters never loaded"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    s.seen().insert_batch(&[1, 2500, 4998, 5002], &mut fresh);
    assert_eq!(fresh, [false, false, false, true]);
}

#[test]
fn parsers_racing_on_the_same_urls_while_commits_trim_find_each_new_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = DiskStore::open_with(dir.path(), 64).unwrap();
    let seen = s.seen();
    let total = 4000u64;
    let wins = std::thread::scope(|scope| {
        let racers: Vec<_> = (0..4)
            .map(|t| {
                let seen = Arc::clone(&seen);
                scope.spawn(move || {
                    let mut fresh = Vec::new();
                    let mut won = Vec::new();
                    // Each racer walks every fingerprint, in its own order, a batch at a time.
                    let order: Vec<u64> = (0..total).map(|i| (i * (2 * t + 1)) % total).collect();
                    for chunk in order.chunks(16) {
                        seen.insert_batch(chunk, &mut fresh);
                        won.extend(
                            chunk
                                .iter()
                                .zip(&fresh)
                                .filter(|(_, f)| **f)
                                .map(|(fp, _)| *fp),
                        );
                    }
                    won
                })
            })
            .collect();
        // Meanwhile, commits of what was won so far make memory trim (the engine's part).
        let mut committed = 0u64;
        while committed < total {
            let next: Vec<(u64, &str)> = (committed..(committed + 50).min(total))
                .map(|fp| (fp, "http://a.test/z"))
                .collect();
            committed += next.len() as u64;
            let fps: Vec<u64> = next.iter().map(|(fp, _)| *fp).collect();
            s.commit(batch(&next, &fps)).unwrap();
        }
        racers
            .into_iter()
            .flat_map(|r| r.join().unwrap())
            .collect::<Vec<u64>>()
    });
    let mut sorted = wins.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), wins.len(), "a fingerprint was new twice");
    assert!(wins.len() as u64 <= total);
}

/// A spilled request: its fingerprint, its host, its URL and priority.
fn spilled(entries: &[(u64, u64, &str, i32)]) -> CommitBatch {
    let spilled = entries.iter().map(|&(fp, host, u, priority)| {
        let mut r = q(u, 0);
        r.priority = priority;
        (fp, host, r)
    });
    CommitBatch {
        spilled: spilled.collect(),
        ..CommitBatch::default()
    }
}

fn urls_of(back: Vec<QueuedRequest>) -> Vec<String> {
    back.into_iter().map(|r| r.url).collect()
}

#[test]
fn spilled_requests_come_back_by_priority_then_spill_order_and_are_queued_from_then_on() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut s = DiskStore::open(dir.path()).unwrap();
        s.commit(batch(&[(1, "http://a.test/q")], &[])).unwrap();
        s.commit(spilled(&[
            (30, 7, "http://a.test/s0", 0),
            (10, 7, "http://a.test/s1", 0),
        ]))
        .unwrap();
        s.commit(spilled(&[
            (20, 7, "http://a.test/s2", 5),
            (40, 7, "http://a.test/s3", 0),
        ]))
        .unwrap();
        assert_eq!(s.spilled(), 4);
        let back = urls_of(s.refill_host(7, 3).unwrap());
        assert_eq!(
            back,
            ["http://a.test/s2", "http://a.test/s0", "http://a.test/s1"],
            "the highest priority first, then the order spilled"
        );
        assert!(s.refill_host(8, 3).unwrap().is_empty(), "another host");
    }
    // After a crash: what was taken back is queued (in discovery order), the rest still
    // spilled; one taken back and ended is gone.
    let mut s = DiskStore::open(dir.path()).unwrap();
    // Spilled URLs are seen.
    let mut fresh = Vec::new();
    s.seen().insert_batch(&[30, 40, 50], &mut fresh);
    assert_eq!(fresh, [false, false, true]);
    s.commit(batch(&[], &[10])).unwrap();
    let r = s.recover().unwrap();
    assert_eq!(
        urls(&r),
        ["http://a.test/q", "http://a.test/s0", "http://a.test/s2"]
    );
    assert_eq!(r.spilled, 1);
    let rest = urls_of(s.refill(10, 10).unwrap());
    assert_eq!(rest, ["http://a.test/s3"]);
    assert!(s.refill(10, 10).unwrap().is_empty());
    assert_eq!(s.recover().unwrap().spilled, 0);
}

#[test]
fn a_round_takes_a_few_of_each_host_in_turn() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = DiskStore::open(dir.path()).unwrap();
    // Host 1 spills many, hosts 2 and 3 a few, all at one priority.
    let mut entries = Vec::new();
    let names: Vec<String> = (0..30).map(|i| format!("http://h.test/{i}")).collect();
    for (i, name) in names.iter().enumerate() {
        let host = match i % 10 {
            0 => 2,
            1 => 3,
            _ => 1,
        };
        entries.push((100 + i as u64, host, name.as_str(), 0));
    }
    s.commit(spilled(&entries)).unwrap();
    let host_of = |url: &str| {
        let i: usize = url.rsplit('/').next().unwrap().parse().unwrap();
        match i % 10 {
            0 => 2,
            1 => 3,
            _ => 1,
        }
    };
    let back = urls_of(s.refill(6, 2).unwrap());
    let hosts: Vec<u64> = back.iter().map(|u| host_of(u)).collect();
    assert_eq!(hosts, [1, 1, 2, 2, 3, 3], "two of each, hosts in turn");
    assert_eq!(
        back[..2],
        ["http://h.test/2", "http://h.test/3"],
        "in spill order"
    );
    // The next round goes on after the last host visited, and round the key space.
    let hosts: Vec<u64> = urls_of(s.refill(4, 2).unwrap())
        .iter()
        .map(|u| host_of(u))
        .collect();
    assert_eq!(
        hosts,
        [1, 1, 2, 3],
        "round the key space: host 1 again, then the rest"
    );
    let mut left = 0;
    loop {
        let n = s.refill(100, 100).unwrap().len();
        if n == 0 {
            break;
        }
        left += n;
    }
    assert_eq!(left, 30 - 6 - 4);
    assert_eq!(s.spilled(), 0);
}

#[test]
fn a_spill_count_with_nothing_behind_it_is_set_right_by_a_round() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = DiskStore::open(dir.path()).unwrap();
    s.commit(spilled(&[(1, 7, "http://a.test/1", 0)])).unwrap();
    s.spilled = 3; // a count that says more than there is
    assert_eq!(s.refill(10, 10).unwrap().len(), 1);
    assert_eq!(s.spilled(), 2);
    assert!(s.refill(10, 10).unwrap().is_empty());
    assert_eq!(
        s.spilled(),
        0,
        "a round that finds nothing empties the count"
    );
    drop(s);
    assert_eq!(
        DiskStore::open(dir.path()).unwrap().spilled(),
        0,
        "and keeps it so"
    );
}
