//! Which seen-set fingerprints may be on disk and not in memory: the test that spares the
//! seen-set a disk lookup for almost every new URL.
//!
//! A fingerprint new in memory is on disk only if it was there when the store was opened
//! or a trim dropped it from memory since. Both kinds are added to Bloom filters
//! ([fastbloom]): a fingerprint they do not hold is surely not on disk. A false positive
//! (about 1 %) costs one lookup, never a wrong answer. The filters grow by doubling, so
//! their size follows the fingerprints evicted (about 10 bits each).
//!
//! The fingerprints on disk at opening are added by a thread that reads the keyspace once
//! in the background, so a resumed crawl starts at once; until that thread is through,
//! every new fingerprint is looked up on disk.
//!
//! [fastbloom]: https://docs.rs/fastbloom

use fastbloom::AtomicBloomFilter;
use fjall::Keyspace;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

/// False positive rate of each filter.
const FALSE_POSITIVES: f64 = 0.01;
/// Keys read by the loading thread between two looks at its stop flag.
const LOAD_STEP: usize = 4096;

/// Bloom filters over the fingerprints evicted to disk (see the module docs).
#[derive(Debug)]
pub(crate) struct Evicted {
    /// Filters of doubling capacity; the last one takes the inserts.
    filters: RwLock<Vec<AtomicBloomFilter>>,
    /// Fingerprints in the last filter, and its capacity.
    last: Mutex<(usize, usize)>,
    /// Every fingerprint on disk at opening is in the filters.
    complete: AtomicBool,
    /// Tells the loading thread to stop.
    cancel: AtomicBool,
}

fn filter(capacity: usize) -> AtomicBloomFilter {
    AtomicBloomFilter::with_false_pos(FALSE_POSITIVES).expected_items(capacity.max(1024))
}

impl Evicted {
    /// Filters sized for `capacity` fingerprints first; `complete` when nothing is on disk.
    pub(crate) fn new(capacity: usize, complete: bool) -> Self {
        Evicted {
            filters: RwLock::new(vec![filter(capacity)]),
            last: Mutex::new((0, capacity.max(1024))),
            complete: AtomicBool::new(complete),
            cancel: AtomicBool::new(false),
        }
    }

    /// Whether `fp` may be on disk only (always, until the loading thread is through).
    pub(crate) fn may_hold(&self, fp: u64) -> bool {
        if !self.complete.load(Ordering::Acquire) {
            return true;
        }
        let filters = self.filters.read().unwrap_or_else(|p| p.into_inner());
        filters.iter().any(|f| f.contains_hash(fp))
    }

    /// Adds `fp` (before it leaves memory).
    pub(crate) fn insert(&self, fp: u64) {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.0 >= last.1 {
            let capacity = last.1 * 2;
            let mut filters = self.filters.write().unwrap_or_else(|p| p.into_inner());
            filters.push(filter(capacity));
            *last = (0, capacity);
        }
        last.0 += 1;
        let filters = self.filters.read().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = filters.last() {
            f.insert_hash(fp);
        }
    }

    /// Starts the thread that adds every fingerprint of `seen` (the keyspace as opened).
    pub(crate) fn load(self: &Arc<Self>, seen: Keyspace) -> std::io::Result<JoinHandle<()>> {
        let me = Arc::clone(self);
        std::thread::Builder::new()
            .name("trawler-seen-load".into())
            .spawn(move || {
                for (i, kv) in seen.iter().enumerate() {
                    if i % LOAD_STEP == 0 && me.cancel.load(Ordering::Relaxed) {
                        return;
                    }
                    let key = match kv.key() {
                        Ok(k) => k,
                        Err(e) => {
                            // Left incomplete: every new URL is looked up on disk.
                            tracing::warn!(error = ?e, "reading the seen-set failed");
                            return;
                        }
                    };
                    if let Ok(b) = <[u8; 8]>::try_from(&*key) {
                        me.insert(u64::from_be_bytes(b));
                    }
                }
                me.complete.store(true, Ordering::Release);
            })
    }

    /// Stops the loading thread (it ends within [`LOAD_STEP`] keys).
    pub(crate) fn stop_loading(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Whether every fingerprint on disk at opening is in the filters.
    #[cfg(test)]
    pub(crate) fn is_complete(&self) -> bool {
        self.complete.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_was_evicted_is_always_held_and_little_else_as_the_filters_grow() {
        let e = Evicted::new(1024, true);
        let evicted: Vec<u64> = (0..20_000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        for &fp in &evicted {
            e.insert(fp);
        }
        assert!(e.filters.read().unwrap().len() >= 4, "grew by doubling");
        assert!(
            evicted.iter().all(|&fp| e.may_hold(fp)),
            "no false negative"
        );
        let others = (0..20_000u64).map(|i| (i + 1_000_000).wrapping_mul(0xD6E8_FEB8_6659_FD93));
        let false_positives = others.filter(|&fp| e.may_hold(fp)).count();
        assert!(
            false_positives < 20_000 / 20,
            "{false_positives} false positives"
        );
        // Not complete yet: everything may be on disk.
        let loading = Evicted::new(1024, false);
        assert!(loading.may_hold(12345));
    }
}
