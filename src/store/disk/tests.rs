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
