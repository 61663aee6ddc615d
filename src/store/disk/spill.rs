//! The disk store's spill: requests the engine did not keep in memory, per host.
//!
//! A spilled request is keyed by its host's fingerprint, then its priority (highest
//! first), then its queue number (discovery order), so one host's requests come back in
//! the order its queue in memory would have sent them, and hosts can be visited in turn:
//! [`refill`](DiskStore::take_spilled) takes up to `per_host` requests from each host
//! after the last one it visited, round the key space, so the hosts that come back into
//! memory are many and change from call to call; [`refill_host`](DiskStore::take_host)
//! tops up one host. A request taken back moves to `queue` in the same atomic batch.

use super::{DiskStore, invalid, seq_of};
use crate::store::{QueuedRequest, StoreError};
use fjall::OwnedWriteBatch;

/// Bytes of a spill key: host fingerprint, priority, queue number.
const KEY: usize = 8 + 4 + 8;

/// The spill key of a request of `host` with `priority`, queued as number `seq`.
pub(super) fn spill_key(host: u64, priority: i32, seq: u64) -> [u8; KEY] {
    let mut key = [0u8; KEY];
    key[..8].copy_from_slice(&host.to_be_bytes());
    // Highest priority first: the order-preserving map of i32 onto u32, inverted.
    let p = !((priority as u32) ^ 0x8000_0000);
    key[8..12].copy_from_slice(&p.to_be_bytes());
    key[12..].copy_from_slice(&seq.to_be_bytes());
    key
}

impl DiskStore {
    /// Moves up to `max` spilled requests of `host` (its fingerprint's bytes, the prefix of
    /// its keys) to `queue` in `w`, appending them to `back`.
    fn take_from(
        &self,
        host: [u8; 8],
        max: usize,
        w: &mut OwnedWriteBatch,
        back: &mut Vec<QueuedRequest>,
    ) -> Result<(), StoreError> {
        let mut value = Vec::new();
        for kv in self.spill.prefix(host).take(max) {
            let (key, entry) = kv.into_inner().map_err(|e| self.err(e))?;
            let fp = seq_of(&entry).ok_or_else(|| invalid("spill", "an entry is too short"))?;
            let seq = key
                .get(12..)
                .and_then(seq_of)
                .ok_or_else(|| invalid("spill", "a key is too short"))?;
            let request = QueuedRequest::decode(&entry[8..]).map_err(|e| invalid("spill", e))?;
            // Queued from now on, under its queue number (discovery order on recovery).
            value.clear();
            value.extend_from_slice(&seq.to_be_bytes());
            value.extend_from_slice(&entry[8..]);
            w.insert(&self.queue, fp.to_be_bytes(), value.as_slice());
            w.remove(&self.spill, key);
            back.push(request);
        }
        Ok(())
    }

    /// Up to `max` spilled requests, at most `per_host` from each host, hosts in turn from
    /// where the last call stopped (see the module docs).
    pub(super) fn take_spilled(
        &mut self,
        max: usize,
        per_host: usize,
    ) -> Result<Vec<QueuedRequest>, StoreError> {
        let mut back = Vec::new();
        if self.spilled == 0 || max == 0 {
            return Ok(back);
        }
        let mut w = self.db.batch();
        let first = self.spill_cursor;
        let mut next = first;
        let mut wrapped = false;
        while back.len() < max {
            let found = match self.spill.range(next.to_be_bytes()..).next() {
                Some(kv) => Some(kv.key().map_err(|e| self.err(e))?),
                None => None,
            };
            let host = match found.as_deref().and_then(seq_of) {
                Some(host) if !(wrapped && host >= first) => host,
                // Past the last host: round to the first, once.
                None if !wrapped && first > 0 => {
                    (next, wrapped) = (0, true);
                    continue;
                }
                _ => break,
            };
            let take = per_host.min(max - back.len());
            self.take_from(host.to_be_bytes(), take, &mut w, &mut back)?;
            self.spill_cursor = host.wrapping_add(1);
            match host.checked_add(1) {
                Some(n) => next = n,
                None if !wrapped && first > 0 => (next, wrapped) = (0, true),
                None => break,
            }
        }
        if back.is_empty() {
            // A whole round found nothing: the spill is empty, whatever its count said (a
            // count that never reaches 0 would keep the crawl from ending).
            self.spilled = 0;
            self.meta
                .insert(super::META_SPILLED, 0u64.to_be_bytes())
                .map_err(|e| self.err(e))?;
            return Ok(back);
        }
        self.commit_taken(w, back.len())?;
        Ok(back)
    }

    /// Up to `max` spilled requests of `host`, in its queue's order.
    pub(super) fn take_host(
        &mut self,
        host: u64,
        max: usize,
    ) -> Result<Vec<QueuedRequest>, StoreError> {
        let mut back = Vec::new();
        if self.spilled == 0 || max == 0 {
            return Ok(back);
        }
        let mut w = self.db.batch();
        self.take_from(host.to_be_bytes(), max, &mut w, &mut back)?;
        self.commit_taken(w, back.len())?;
        Ok(back)
    }

    fn commit_taken(&mut self, mut w: OwnedWriteBatch, taken: usize) -> Result<(), StoreError> {
        if taken == 0 {
            return Ok(());
        }
        self.spilled = self.spilled.saturating_sub(taken as u64);
        w.insert(&self.meta, super::META_SPILLED, self.spilled.to_be_bytes());
        w.commit().map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_by_host_then_highest_priority_then_discovery() {
        let mut keys = vec![
            spill_key(2, 0, 1),
            spill_key(1, -5, 2),
            spill_key(1, i32::MAX, 9),
            spill_key(1, 0, 7),
            spill_key(1, 0, 3),
            spill_key(1, i32::MIN, 0),
        ];
        keys.sort();
        assert_eq!(
            keys,
            [
                spill_key(1, i32::MAX, 9),
                spill_key(1, 0, 3),
                spill_key(1, 0, 7),
                spill_key(1, -5, 2),
                spill_key(1, i32::MIN, 0),
                spill_key(2, 0, 1),
            ]
        );
    }
}
