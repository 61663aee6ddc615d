//! Work waiting for a time: requests in their retry backoff, the crawler's own
//! robots.txt and sitemap jobs waiting for a retry or a rate limit.
//!
//! A retried request must not hold a fetch slot or its host's queue while it waits, so it
//! sits here, ordered by due time, until the supervisor moves it back into the frontier.
//! Ties keep insertion order, so retries of one moment go out in the order they failed.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Instant;

/// A min-heap of items by due time.
#[derive(Debug)]
pub(crate) struct DelayQueue<T> {
    heap: BinaryHeap<Delayed<T>>,
    seq: u64,
}

impl<T> Default for DelayQueue<T> {
    fn default() -> Self {
        DelayQueue {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }
}

#[derive(Debug)]
struct Delayed<T> {
    due: Instant,
    seq: u64,
    item: T,
}

impl<T> Ord for Delayed<T> {
    fn cmp(&self, o: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap and the earliest must come out first.
        o.due.cmp(&self.due).then_with(|| o.seq.cmp(&self.seq))
    }
}
impl<T> PartialOrd for Delayed<T> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<T> PartialEq for Delayed<T> {
    fn eq(&self, o: &Self) -> bool {
        (self.due, self.seq) == (o.due, o.seq)
    }
}
impl<T> Eq for Delayed<T> {}

impl<T> DelayQueue<T> {
    /// Holds `item` until `due`.
    pub(crate) fn push(&mut self, due: Instant, item: T) {
        self.seq += 1;
        self.heap.push(Delayed {
            due,
            seq: self.seq,
            item,
        });
    }

    /// The next item due at or before `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<T> {
        if self.heap.peek()?.due > now {
            return None;
        }
        self.heap.pop().map(|d| d.item)
    }

    /// When the next item is due.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.heap.peek().map(|d| d.due)
    }

    /// How many items wait.
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether nothing waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Every waiting item, in no order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.heap.iter().map(|d| &d.item)
    }

    /// Takes every waiting item, earliest first.
    pub(crate) fn drain(&mut self) -> Vec<T> {
        let mut v = std::mem::take(&mut self.heap).into_sorted_vec();
        // into_sorted_vec is ascending by `Ord`, which is reversed: latest first.
        v.reverse();
        v.into_iter().map(|d| d.item).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontier::HostId;
    use crate::request::Request;
    use std::time::Duration;

    fn req(path: &str) -> Request {
        Request::get(&format!("http://h.test{path}")).unwrap()
    }

    #[test]
    fn releases_by_due_time_then_insertion_order() {
        let t0 = Instant::now();
        let mut q: DelayQueue<(HostId, Request)> = DelayQueue::default();
        q.push(t0 + Duration::from_millis(30), (1, req("/late")));
        q.push(t0 + Duration::from_millis(10), (2, req("/early-a")));
        q.push(t0 + Duration::from_millis(10), (3, req("/early-b")));
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
        let mut q: DelayQueue<(HostId, Request)> = DelayQueue::default();
        q.push(t0 + Duration::from_millis(50), (0, req("/b")));
        q.push(t0 + Duration::from_millis(5), (0, req("/a")));
        q.push(t0 + Duration::from_millis(90), (0, req("/c")));
        let paths: Vec<String> = q
            .drain()
            .iter()
            .map(|(_, r)| r.url().path().to_string())
            .collect();
        assert_eq!(paths, ["/a", "/b", "/c"]);
        assert!(q.is_empty());
    }
}
