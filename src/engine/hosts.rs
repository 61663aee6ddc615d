//! Per-host state kept bounded: a crawl across a million hosts does not hold a million
//! hosts' state.
//!
//! A host that has gone idle (nothing queued, in flight or waiting for a retry) is
//! remembered in order. While more than [`MAX_RESIDENT_HOSTS`] hosts are held, the oldest
//! idle ones are forgotten: their frontier slot (reused by the next new host), robots.txt
//! rules (asked again if the host comes back), rate spacing and throttle state. What a
//! host must not lose is kept apart by its key: its page budget. A host that is busy again
//! by the time its turn comes, or whose robots.txt or sitemaps are still being fetched, is
//! kept.

use super::Engine;
use crate::politeness::robots::Access;
use crate::spider::Spider;

/// Hosts whose state is held at most, beyond those with work.
pub(crate) const MAX_RESIDENT_HOSTS: usize = 4096;

impl<S: Spider> Engine<S> {
    /// Forgets the oldest idle hosts while too many hosts are held.
    pub(super) fn forget_idle_hosts(&mut self) {
        if self.frontier.resident_hosts() <= MAX_RESIDENT_HOSTS || self.idle_hosts.is_empty() {
            return;
        }
        let busy_files = self.files.hosts_with_jobs();
        let mut kept = Vec::new();
        while self.frontier.resident_hosts() > MAX_RESIDENT_HOSTS {
            let Some(host) = self.idle_hosts.pop_front() else {
                break;
            };
            let settled = !matches!(self.files.robots.access(host), Access::Pending);
            if !settled || busy_files.contains(&host) {
                kept.push(host);
                continue;
            }
            if self.frontier.evict(host) {
                self.spill.forget(host);
                self.files.robots.forget(host);
                self.rate.forget(host);
                self.throttles.remove(&host);
            }
        }
        // Still waiting on their own files: their turn comes again.
        self.idle_hosts.extend(kept);
    }
}
