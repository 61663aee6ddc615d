//! Requests waiting out their retry backoff.
//!
//! A retried request must not hold a fetch slot or its host's queue while it waits, so it
//! sits here, ordered by due time, until the supervisor moves it back into the frontier.
//! Ties keep insertion order, so retries of one moment go out in the order they failed.

use super::HostId;
use crate::request::Request;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Instant;

/// A min-heap of requests by due time.
#[derive(Debug, Default)]
pub(crate) struct DelayQueue {
    heap: BinaryHeap<Delayed>,
    seq: u64,
}

#[derive(Debug)]
struct Delayed {
    due: Instant,
    seq: u64,
    host: HostId,
    request: Request,
}

impl Ord for Delayed {
    fn cmp(&self, o: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap and the earliest must come out first.
        o.due.cmp(&self.due).then_with(|| o.seq.cmp(&self.seq))
    }
}
impl PartialOrd for Delayed {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl PartialEq for Delayed {
    fn eq(&self, o: &Self) -> bool {
        (self.due, self.seq) == (o.due, o.seq)
    }
}
impl Eq for Delayed {}

impl DelayQueue {
    /// Holds `request` for `host` until `due`.
    pub(crate) fn push(&mut self, due: Instant, host: HostId, request: Request) {
        self.seq += 1;
        self.heap.push(Delayed {
            due,
            seq: self.seq,
            host,
            request,
        });
    }

    /// The next request due at or before `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(HostId, Request)> {
        if self.heap.peek()?.due > now {
            return None;
        }
        self.heap.pop().map(|d| (d.host, d.request))
    }

    /// When the next request is due.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.heap.peek().map(|d| d.due)
    }

    /// How many requests wait.
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether nothing waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Takes every waiting request, earliest first.
    pub(crate) fn drain(&mut self) -> Vec<Request> {
        let mut v = std::mem::take(&mut self.heap).into_sorted_vec();
        // into_sorted_vec is ascending by `Ord`, which is reversed: latest first.
        v.reverse();
        v.into_iter().map(|d| d.request).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn req(path: &str) -> Request {
        Request::get(&format!("http://h.test{path}")).unwrap()
    }

    #[test]
    fn releases_by_due_time_then_insertion_order() {
        let t0 = Instant::now();
        let mut q = DelayQueue::default();
        q.push(t0 + Duration::from_millis(30), 1, req("/late"));
        q.push(t0 + Duration::from_millis(10), 2, req("/early-a"));
        q.push(t0 + Duration::from_millis(10), 3, req("/early-b"));
        assert_eq!(q.next_due(), Some(t0 + Duration::from_millis(10)));
        assert!(q.pop_due(t0).is_none(), "nothing is due yet");
        let (h, r) = q.pop_due(t0 + Duration::from_millis(10)).unwrap();
        assert_eq!((h, r.url().path()), (2, "/early-a"));
        let (h, r) = q.pop_due(t0 + Duration::from_millis(20)).unwrap();
        assert_eq!((h, r.url().path()), (3, "/early-b"));
        assert!(q.pop_due(t0 + Duration::from_millis(20)).is_none());
        assert!(!q.is_empty());
        assert_eq!(
            q.pop_due(t0 + Duration::from_secs(1))
                .unwrap()
                .1
                .url()
                .path(),
            "/late"
        );
        assert!(q.is_empty());
        assert_eq!(q.next_due(), None);
    }

    #[test]
    fn drain_is_earliest_first_and_empties() {
        let t0 = Instant::now();
        let mut q = DelayQueue::default();
        q.push(t0 + Duration::from_millis(50), 0, req("/b"));
        q.push(t0 + Duration::from_millis(5), 0, req("/a"));
        q.push(t0 + Duration::from_millis(90), 0, req("/c"));
        let paths: Vec<String> = q
            .drain()
            .iter()
            .map(|r| r.url().path().to_string())
            .collect();
        assert_eq!(paths, ["/a", "/b", "/c"]);
        assert!(q.is_empty());
    }
}
