//! The disk store's seen-set: exact, with a bounded part in memory.
//!
//! Every fingerprint a commit wrote is in the store's `seen` keyspace; the memory part
//! holds the ones not committed yet (the parsers' fresh finds, on their way to the engine's
//! journal) and a cache of committed ones, at most [`IN_MEMORY`] in all once the cache is
//! trimmed. A test looks in memory first (the atomic "first time?" insert the parsers
//! race on) and, for a fingerprint new there, in the keyspace: found there, it was seen.
//!
//! Why this is exact. Only committed fingerprints are ever removed from memory, and only
//! after their commit is visible to readers. So a fingerprint is always in memory or on
//! disk from its first insert on. Two parsers racing on one URL meet in memory: one insert
//! wins. A parser whose insert wins because the cache just dropped the fingerprint finds
//! it on disk, since the drop came after the commit.
//!
//! The cache is trimmed in the order fingerprints became durable (oldest first), as commits
//! go; what a lookup found on disk joins it at the back. A fingerprint new in memory is
//! looked up on disk only if it may have been evicted there ([`Evicted`]): for most new
//! URLs, no disk read at all.

use super::evicted::Evicted;
use crate::store::SeenSet;
use crate::store::memory::FingerprintSet;
use fjall::Keyspace;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Fingerprints kept in memory once the cache is trimmed (about 24 MB: 16 bytes in the
/// set and 8 in the trim order for each).
pub(crate) const IN_MEMORY: usize = 1 << 20;

/// The seen-set of a disk store (see the module docs).
pub(crate) struct DiskSeenSet {
    memory: FingerprintSet,
    /// Fingerprints in memory that are durable too, oldest first: the ones a trim may drop.
    durable: Mutex<VecDeque<u64>>,
    disk: Keyspace,
    /// Fingerprints seen: those committed before the store was opened, and every fresh
    /// insert since.
    count: AtomicUsize,
    /// Which fingerprints may be on disk and not in memory.
    evicted: Arc<Evicted>,
    capacity: usize,
}

impl std::fmt::Debug for DiskSeenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiskSeenSet")
            .field("in_memory", &self.memory.len())
            .finish_non_exhaustive()
    }
}

impl DiskSeenSet {
    /// The seen-set over the `disk` keyspace, which holds `on_disk` fingerprints now, with
    /// at most `capacity` in memory after a trim; `evicted` must hold those on disk (or be
    /// loading them).
    pub(crate) fn new(
        disk: Keyspace,
        on_disk: usize,
        capacity: usize,
        evicted: Arc<Evicted>,
    ) -> Self {
        DiskSeenSet {
            memory: FingerprintSet::default(),
            durable: Mutex::new(VecDeque::new()),
            disk,
            count: AtomicUsize::new(on_disk),
            evicted,
            capacity,
        }
    }

    fn on_disk(&self, fp: u64) -> bool {
        if !self.evicted.may_hold(fp) {
            return false;
        }
        // A read that fails counts as seen: a URL may be left out, never fetched twice.
        self.disk
            .contains_key(fp.to_be_bytes())
            .unwrap_or_else(|e| {
                tracing::warn!(error = ?e, "reading the seen-set failed; taking the URL as seen");
                true
            })
    }

    /// `fingerprints` are durable now (their commit returned): the cache may drop them.
    /// Then trims the cache to its capacity, oldest first. (A fingerprint may be listed
    /// twice, as queued and later as ended; dropping a durable one is always safe, and the
    /// list is kept within twice the capacity.)
    pub(crate) fn committed(&self, fingerprints: impl Iterator<Item = u64>) {
        let mut durable = self.durable.lock().unwrap_or_else(|p| p.into_inner());
        durable.extend(fingerprints);
        while self.memory.len() > self.capacity || durable.len() > 2 * self.capacity {
            let Some(fp) = durable.pop_front() else { break };
            // Noted before the drop: a parser whose insert wins because of it looks on disk.
            self.evicted.insert(fp);
            self.memory.remove(&fp);
        }
    }

    /// Fingerprints in memory now.
    #[cfg(test)]
    pub(crate) fn in_memory(&self) -> usize {
        self.memory.len()
    }
}

impl SeenSet for DiskSeenSet {
    fn insert_batch(&self, fingerprints: &[u64], fresh: &mut Vec<bool>) {
        fresh.clear();
        let mut found = Vec::new();
        for &fp in fingerprints {
            let new = self.memory.insert(fp) && {
                let on_disk = self.on_disk(fp);
                if on_disk {
                    found.push(fp);
                }
                !on_disk
            };
            fresh.push(new);
            if new {
                self.count.fetch_add(1, Ordering::Relaxed);
            }
        }
        if !found.is_empty() {
            let mut durable = self.durable.lock().unwrap_or_else(|p| p.into_inner());
            durable.extend(found);
        }
    }

    fn len(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }
}
