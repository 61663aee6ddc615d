//! The frontier's order, per-host limits, parking and host eviction.

use super::*;
use std::time::Duration;

fn req(path: &str) -> Request {
    Request::get(&format!("http://h.test{path}")).unwrap()
}

fn pop_path(f: &mut Frontier, now: Instant) -> Option<String> {
    match f.pop(now, |_| Gate::Open) {
        Pop::Ready(r, _) => Some(r.url.path().to_string()),
        _ => None,
    }
}

#[test]
fn hosts_are_idle_once_nothing_is_queued_or_in_flight() {
    let mut f = Frontier::new(10);
    let (a, b) = (f.host_id("http://a:80"), f.host_id("http://b:80"));
    f.push(a, req("/1"));
    f.push(b, req("/1"));
    f.push(b, req("/2"));
    let now = Instant::now();
    let popped: Vec<HostId> = std::iter::from_fn(|| match f.pop(now, |_| Gate::Open) {
        Pop::Ready(_, h) => Some(h),
        _ => None,
    })
    .collect();
    assert_eq!(popped.len(), 3);
    assert!(f.take_idle_hosts().is_empty(), "all in flight");
    f.done(a);
    f.done(b);
    // More work for `b` came before the crawl looked: only `a` is idle.
    f.push(b, req("/3"));
    assert_eq!(f.take_idle_hosts(), [(a, "http://a:80")]);
    assert!(f.take_idle_hosts().is_empty(), "told once");
    f.done(b);
    assert!(f.take_idle_hosts().is_empty(), "b still has /3 queued");
}

#[test]
fn an_idle_host_is_forgotten_and_its_slot_reused() {
    let mut f = Frontier::new(10);
    let a = f.host_id("http://a:80");
    f.push(a, req("/1"));
    assert!(!f.evict(a), "queued work");
    let now = Instant::now();
    assert!(pop_path(&mut f, now).is_some());
    assert!(!f.evict(a), "in flight");
    f.done(a);
    f.retry_waiting(a);
    assert!(!f.evict(a), "a retry waits");
    f.retry_released(a);
    assert_eq!(f.take_idle_hosts().len(), 1);
    assert!(f.evict(a));
    assert_eq!(f.resident_hosts(), 0);
    let b = f.host_id("http://b:80");
    assert_eq!(b, a, "the slot is reused");
    assert_ne!(f.host_id("http://a:80"), b, "a comes back as a new host");
    assert_eq!(f.resident_hosts(), 2);
}

#[test]
fn a_reused_host_slot_rebuilds_urls_on_its_new_origin() {
    let mut f = Frontier::new(10);
    let now = Instant::now();
    let url = |f: &mut Frontier| match f.pop(now, |_| Gate::Open) {
        Pop::Ready(r, h) => {
            f.done(h);
            r.url.to_string()
        }
        _ => panic!("nothing to pop"),
    };
    let a = f.host_id("http://a.test:80");
    for p in ["/1", "/2", "/3"] {
        f.push(a, Request::get(&format!("http://a.test{p}")).unwrap());
    }
    let sent: Vec<_> = (0..3).map(|_| url(&mut f)).collect();
    assert_eq!(
        sent,
        ["http://a.test/1", "http://a.test/2", "http://a.test/3"]
    );
    f.take_idle_hosts();
    assert!(f.evict(a));
    let b = f.host_id("https://b.test:8443");
    assert_eq!(b, a, "the slot is reused");
    for p in ["/1", "/2", "/3"] {
        f.push(b, Request::get(&format!("https://b.test:8443{p}")).unwrap());
    }
    let sent: Vec<_> = (0..3).map(|_| url(&mut f)).collect();
    assert_eq!(
        sent,
        [
            "https://b.test:8443/1",
            "https://b.test:8443/2",
            "https://b.test:8443/3"
        ]
    );
}

#[test]
fn fifo_within_a_host_with_priority_first() {
    let mut f = Frontier::new(10);
    let h = f.host_id("http://h.test:80");
    f.push(h, req("/1"));
    f.push(h, req("/2"));
    f.push(h, req("/urgent").with_priority(5));
    f.push(h, req("/3"));
    let now = Instant::now();
    let order: Vec<_> = std::iter::from_fn(|| pop_path(&mut f, now)).collect();
    assert_eq!(order, ["/urgent", "/1", "/2", "/3"]);
    assert!(f.is_empty());
}

#[test]
fn hosts_take_turns() {
    let mut f = Frontier::new(10);
    let a = f.host_id("http://a:80");
    let b = f.host_id("http://b:80");
    for i in 0..3 {
        f.push(a, req(&format!("/a{i}")));
    }
    f.push(b, req("/b0"));
    f.push(b, req("/b1"));
    let now = Instant::now();
    let order: Vec<_> = std::iter::from_fn(|| pop_path(&mut f, now)).collect();
    assert_eq!(order, ["/a0", "/b0", "/a1", "/b1", "/a2"]);
}

#[test]
fn a_host_limit_narrows_the_per_host_limit_and_never_widens_it() {
    let mut f = Frontier::new(4);
    let a = f.host_id("http://a:80");
    for i in 0..6 {
        f.push(a, req(&format!("/{i}")));
    }
    f.set_limit(a, 1);
    let now = Instant::now();
    assert!(pop_path(&mut f, now).is_some());
    assert!(pop_path(&mut f, now).is_none(), "limit 1");
    f.set_limit(a, 99);
    let mut n = 1;
    while pop_path(&mut f, now).is_some() {
        n += 1;
    }
    assert_eq!(n, 4, "clamped to the frontier's per-host limit");
}

#[test]
fn per_host_limit_holds_until_done() {
    let mut f = Frontier::new(2);
    let a = f.host_id("http://a:80");
    for i in 0..4 {
        f.push(a, req(&format!("/{i}")));
    }
    let now = Instant::now();
    assert!(pop_path(&mut f, now).is_some());
    assert!(pop_path(&mut f, now).is_some());
    assert!(matches!(f.pop(now, |_| Gate::Open), Pop::Idle));
    f.done(a);
    assert_eq!(pop_path(&mut f, now).as_deref(), Some("/2"));
    assert!(matches!(f.pop(now, |_| Gate::Open), Pop::Idle));
    assert_eq!(f.len(), 1);
}

#[test]
fn a_waiting_host_is_parked_and_others_go_on() {
    let mut f = Frontier::new(10);
    let slow = f.host_id("http://slow:80");
    let fast = f.host_id("http://fast:80");
    f.push(slow, req("/s"));
    f.push(fast, req("/f"));
    let now = Instant::now();
    let later = now + Duration::from_millis(500);
    let gate = |id| {
        if id == slow {
            Gate::HostWait(later)
        } else {
            Gate::Open
        }
    };
    match f.pop(now, gate) {
        Pop::Ready(r, id) => assert_eq!((r.url.path(), id), ("/f", fast)),
        other => panic!("{other:?}"),
    }
    match f.pop(now, |_| Gate::Open) {
        Pop::WaitUntil(t) => assert_eq!(t, later),
        other => panic!("{other:?}"),
    }
    assert_eq!(pop_path(&mut f, later).as_deref(), Some("/s"));
}

#[test]
fn global_wait_takes_nothing() {
    let mut f = Frontier::new(10);
    let a = f.host_id("http://a:80");
    f.push(a, req("/1"));
    let now = Instant::now();
    let t = now + Duration::from_millis(10);
    assert!(matches!(f.pop(now, |_| Gate::GlobalWait(t)), Pop::WaitUntil(x) if x == t));
    assert_eq!(f.len(), 1);
    assert_eq!(pop_path(&mut f, t).as_deref(), Some("/1"));
}

#[test]
fn retry_after_parks_a_listed_host() {
    let mut f = Frontier::new(10);
    let a = f.host_id("http://a:80");
    f.push(a, req("/1"));
    let now = Instant::now();
    let t = now + Duration::from_secs(2);
    f.park(a, t);
    f.park(a, now + Duration::from_secs(1)); // an earlier park does not shorten it
    assert!(matches!(f.pop(now, |_| Gate::Open), Pop::WaitUntil(_)));
    assert!(pop_path(&mut f, now + Duration::from_secs(1)).is_none());
    assert_eq!(pop_path(&mut f, t).as_deref(), Some("/1"));
}

#[test]
fn a_held_host_waits_for_release_and_others_go_on() {
    let mut f = Frontier::new(2);
    let a = f.host_id("http://a:80");
    let b = f.host_id("http://b:80");
    f.hold(a);
    f.push(a, req("/a1"));
    f.push(a, req("/a2"));
    f.push(b, req("/b1"));
    let now = Instant::now();
    assert_eq!(pop_path(&mut f, now).as_deref(), Some("/b1"));
    assert!(
        matches!(f.pop(now, |_| Gate::Open), Pop::Idle),
        "held, no wake-up"
    );
    assert!(!f.is_empty());
    let taken: Vec<_> = f
        .take_host(a)
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    assert_eq!(taken, ["/a1", "/a2"]);
    assert!(f.is_empty());
    f.push(a, req("/a2"));
    f.release(a);
    assert_eq!(pop_path(&mut f, now).as_deref(), Some("/a2"));
}

#[test]
fn own_requests_share_the_per_host_slots() {
    let mut f = Frontier::new(2);
    let a = f.host_id("http://a:80");
    assert!(f.try_acquire(a));
    f.push(a, req("/1"));
    f.push(a, req("/2"));
    let now = Instant::now();
    assert_eq!(pop_path(&mut f, now).as_deref(), Some("/1"));
    assert!(!f.try_acquire(a), "both slots taken");
    assert!(matches!(f.pop(now, |_| Gate::Open), Pop::Idle));
    f.done(a);
    assert_eq!(pop_path(&mut f, now).as_deref(), Some("/2"));
}

#[test]
fn drain_takes_host_after_host_in_sending_order_a_batch_at_a_time() {
    let mut f = Frontier::new(1);
    let a = f.host_id("http://a:80");
    let b = f.host_id("http://b:80");
    f.push(a, req("/1"));
    f.push(b, req("/2"));
    f.push(a, req("/3"));
    f.push(b, req("/4").with_priority(5));
    f.push(a, req("/5"));
    // A held or parked host is drained too: a stopping crawl records everything queued.
    f.hold(b);
    let paths =
        |rs: Vec<Request>| -> Vec<String> { rs.iter().map(|r| r.url.path().to_string()).collect() };
    assert_eq!(paths(f.drain_some(2)), ["/1", "/3"]);
    assert_eq!(f.len(), 3);
    assert_eq!(paths(f.drain_some(2)), ["/5", "/4"], "b: priority first");
    assert_eq!(paths(f.drain_some(2)), ["/2"]);
    assert!(f.drain_some(2).is_empty());
    assert!(f.is_empty());
    assert_eq!(f.len(), 0);
    assert!(matches!(f.pop(Instant::now(), |_| Gate::Open), Pop::Idle));
    // The frontier works as before once drained.
    f.release(b);
    f.push(a, req("/6"));
    assert_eq!(pop_path(&mut f, Instant::now()).as_deref(), Some("/6"));
}
