//! The disk store: a crawl kept in a directory, so that a killed crawl resumes where its
//! last commit left it (feature `durable`).
//!
//! It is an embedded LSM key-value store ([fjall], pure Rust) with six keyspaces:
//! `seen` (the fingerprint of every URL accepted, 8 bytes each), `queue` (each request
//! not yet ended, by fingerprint: its queue number, then its [`QueuedRequest`] bytes),
//! `spill` (requests the engine did not keep in memory, by host, priority and queue number:
//! the fingerprint, then the request; see [`spill`]), `hosts` (pages queued per host, under a per-host page limit),
//! `sites` (what the crawl knows of its sites: robots.txt records by host, sitemap
//! records by URL, query variants counted by path; keyed by a kind byte and a
//! fingerprint) and `meta` (the crawl's own state, the next queue number, the spill's
//! size, the format). A [`CommitBatch`] is one atomic write batch over them: after a
//! crash, all of it or none of it is there.
//!
//! What survives what:
//! - **A killed process** (`kill -9`, a panic, an out-of-memory kill): every commit that
//!   returned. A commit is written to the operating system before it returns (fjall's
//!   journal, flushed to OS buffers), and the kernel keeps those when a process dies.
//! - **A power loss or an OS crash**: every commit up to the last `fsync`, made at most
//!   [`SYNC_EVERY`] apart and when the store is dropped; the journal's checksums drop a
//!   torn tail.
//!
//! The seen-set is exact with a bounded part in memory ([`seen`]): nothing is loaded when
//! the store is opened, and memory does not grow with the URLs seen. The queue is read
//! back by [`CrawlStore::recover`].
//!
//! [fjall]: https://docs.rs/fjall

mod evicted;
mod seen;
mod spill;

use super::{
    CommitBatch, CrawlStore, MAX_RECOVERED_VARIANTS, QueuedRequest, Recovery, SeenSet, StoreError,
};
use fjall::config::PinningPolicy;
use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The format written in `meta`; a directory of another format is refused.
const FORMAT: &[u8] = b"trawler-state-2";
/// The longest time between two `fsync`s of the journal.
pub const SYNC_EVERY: Duration = Duration::from_secs(1);

const META_FORMAT: &[u8] = b"format";
const META_STATE: &[u8] = b"state";
const META_SEQ: &[u8] = b"seq";
const META_SEEN: &[u8] = b"seen";
const META_SPILLED: &[u8] = b"spilled";
const META_COOKIES: &[u8] = b"cookies";
/// Kind bytes of the `sites` keyspace's keys.
const SITE_ROBOTS: u8 = b'r';
const SITE_SITEMAP: u8 = b's';
const SITE_VARIANTS: u8 = b'v';
/// Bytes of a keyspace's write buffer before it goes to disk (fjall's default, 64 MiB,
/// would take most of a crawl's memory budget with two keyspaces).
pub(crate) const MEMTABLE: u64 = 4 * 1024 * 1024;
/// Bytes of a table of the seen keyspace on disk (see where it is used).
const SEEN_TABLE: u64 = 16 * 1024 * 1024;
/// Bytes of fjall's block cache.
pub(crate) const CACHE: u64 = 16 * 1024 * 1024;
/// Bytes of journal kept before write buffers must go to disk: what a reopen after a kill
/// replays (fjall's default, 512 MiB, took ~7 s to replay; this is its smallest). fjall's
/// background workers stay at their default (two here): one worker spends ~30 % less CPU
/// on a wide crawl, but its flushes fall behind and a reopen replays twice as much.
pub(crate) const JOURNAL: u64 = 64 * 1024 * 1024;

/// A crawl's state in a directory (see the module docs).
pub struct DiskStore {
    path: PathBuf,
    db: Database,
    seen_ks: Keyspace,
    queue: Keyspace,
    spill: Keyspace,
    hosts: Keyspace,
    sites: Keyspace,
    meta: Keyspace,
    /// Requests in `spill`.
    spilled: u64,
    /// The host fingerprint the next round-robin refill starts from.
    spill_cursor: u64,
    seen: Arc<seen::DiskSeenSet>,
    evicted: Arc<evicted::Evicted>,
    /// The thread that loads `evicted` with what was on disk at opening.
    loader: Option<std::thread::JoinHandle<()>>,
    /// Fingerprints committed as seen.
    seen_count: u64,
    /// The next queue number: discovery order across runs.
    next_seq: u64,
    last_sync: Instant,
    /// Held while the store is open: a second process on the directory is refused.
    _lock: File,
}

impl std::fmt::Debug for DiskStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiskStore")
            .field("path", &self.path)
            .field("next_seq", &self.next_seq)
            .finish_non_exhaustive()
    }
}

fn invalid(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("{what}: {e}"))
}

fn fjall_error(path: &Path, e: fjall::Error) -> StoreError {
    match e {
        fjall::Error::Io(io) => StoreError::Io(io),
        other => StoreError::Invalid(format!(
            "{} cannot be read ({other:?}); it may be damaged",
            path.display()
        )),
    }
}

fn seq_of(value: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(value.get(..8)?.try_into().ok()?))
}

/// A key of the `sites` keyspace.
fn site_key(kind: u8, fp: u64) -> [u8; 9] {
    let mut key = [kind; 9];
    key[1..].copy_from_slice(&fp.to_be_bytes());
    key
}

impl DiskStore {
    /// Opens the crawl kept in `dir`, creating it (and the directory) when there is none.
    ///
    /// Refused with [`StoreError::Locked`] while another process has it open, and with
    /// [`StoreError::Invalid`] when the directory holds something else or a damaged store.
    pub fn open(dir: impl AsRef<Path>) -> Result<DiskStore, StoreError> {
        Self::open_with(dir.as_ref(), seen::IN_MEMORY)
    }

    /// [`open`](Self::open), keeping at most `in_memory` fingerprints of the seen-set in
    /// memory once trimmed.
    pub(crate) fn open_with(dir: &Path, in_memory: usize) -> Result<DiskStore, StoreError> {
        let path = dir.to_path_buf();
        std::fs::create_dir_all(&path)?;
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path.join("LOCK"))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Locked(path.display().to_string()));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(StoreError::Io(e)),
        }
        let db_path = path.join("db");
        let fresh = !db_path.exists();
        let db = Database::builder(&db_path)
            .cache_size(CACHE)
            .max_journaling_size(JOURNAL)
            .open()
            .map_err(|e| fjall_error(&db_path, e))?;
        let open = |name, pin: bool| {
            db.keyspace(name, || {
                let options = KeyspaceCreateOptions::default().max_memtable_size(MEMTABLE);
                if !pin {
                    return options;
                }
                // The seen-set is read by key for every URL new in memory, most of them
                // absent: each level's bloom filter and index stay in memory (about 1.2
                // bytes per URL), or a lookup would read and checksum a whole filter block.
                // Tables of 16 MiB, not fjall's 64: a compaction holds a hash of each key
                // of the table it writes until its filter is built (8 bytes a key), and
                // 8-byte keys make a 64 MiB table of some 5M keys (measured: 67 MB of a
                // 174 MB heap at the peak of a wide crawl).
                let compaction =
                    fjall::compaction::Leveled::default().with_table_target_size(SEEN_TABLE);
                options
                    .filter_block_pinning_policy(PinningPolicy::all(true))
                    .index_block_pinning_policy(PinningPolicy::all(true))
                    .compaction_strategy(Arc::new(compaction))
            })
            .map_err(|e| fjall_error(&db_path, e))
        };
        let (seen_ks, queue, spill, hosts, sites, meta) = (
            open("seen", true)?,
            open("queue", false)?,
            open("spill", false)?,
            open("hosts", false)?,
            open("sites", false)?,
            open("meta", false)?,
        );
        match meta
            .get(META_FORMAT)
            .map_err(|e| fjall_error(&db_path, e))?
        {
            Some(f) if *f == *FORMAT => {}
            Some(f) => {
                return Err(StoreError::Invalid(format!(
                    "{} holds state of another format ({})",
                    path.display(),
                    String::from_utf8_lossy(&f)
                )));
            }
            None if fresh || seen_ks.is_empty().unwrap_or(false) => {
                meta.insert(META_FORMAT, FORMAT)
                    .map_err(|e| fjall_error(&db_path, e))?;
            }
            None => {
                return Err(StoreError::Invalid(format!(
                    "{} holds crawl data but no format mark: not a trawler state directory, \
                     or a damaged one",
                    path.display()
                )));
            }
        }
        let next_seq = match meta.get(META_SEQ).map_err(|e| fjall_error(&db_path, e))? {
            Some(v) => seq_of(&v).ok_or_else(|| invalid("queue number", "too short"))?,
            None => 0,
        };
        let seen_count = match meta.get(META_SEEN).map_err(|e| fjall_error(&db_path, e))? {
            Some(v) => seq_of(&v).ok_or_else(|| invalid("seen count", "too short"))?,
            None => 0,
        };
        let spilled = match meta
            .get(META_SPILLED)
            .map_err(|e| fjall_error(&db_path, e))?
        {
            Some(v) => seq_of(&v).ok_or_else(|| invalid("spill count", "too short"))?,
            None => 0,
        };
        let on_disk = usize::try_from(seen_count).unwrap_or(usize::MAX);
        let evicted = Arc::new(evicted::Evicted::new(in_memory.max(on_disk), on_disk == 0));
        let loader = match on_disk {
            0 => None,
            _ => Some(evicted.load(seen_ks.clone())?),
        };
        let seen = Arc::new(seen::DiskSeenSet::new(
            seen_ks.clone(),
            on_disk,
            in_memory,
            Arc::clone(&evicted),
        ));
        Ok(DiskStore {
            path,
            db,
            seen_ks,
            queue,
            spill,
            hosts,
            sites,
            meta,
            spilled,
            spill_cursor: 0,
            seen,
            evicted,
            loader,
            seen_count,
            next_seq,
            last_sync: Instant::now(),
            _lock: lock,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes the store takes on disk.
    pub fn disk_bytes(&self) -> u64 {
        self.db.disk_space().unwrap_or(0)
    }

    fn err(&self, e: fjall::Error) -> StoreError {
        fjall_error(&self.path, e)
    }
}

impl CrawlStore for DiskStore {
    fn seen(&self) -> Arc<dyn SeenSet> {
        Arc::clone(&self.seen) as Arc<dyn SeenSet>
    }

    fn is_durable(&self) -> bool {
        true
    }

    fn recover(&mut self) -> Result<Recovery, StoreError> {
        let mut queued = Vec::new();
        for kv in self.queue.iter() {
            let (_, value) = kv.into_inner().map_err(|e| self.err(e))?;
            let seq = seq_of(&value).ok_or_else(|| invalid("queue", "an entry is too short"))?;
            let request = QueuedRequest::decode(&value[8..]).map_err(|e| invalid("queue", e))?;
            queued.push((seq, request));
        }
        queued.sort_unstable_by_key(|(seq, _)| *seq);
        let state = (self.meta.get(META_STATE).map_err(|e| self.err(e))?).map(|s| s.to_vec());
        let cookies = (self.meta.get(META_COOKIES).map_err(|e| self.err(e))?).map(|s| s.to_vec());
        let mut host_pages = Vec::new();
        for kv in self.hosts.iter() {
            let (key, value) = kv.into_inner().map_err(|e| self.err(e))?;
            match (seq_of(&key), seq_of(&value)) {
                (Some(host), Some(pages)) => host_pages.push((host, pages)),
                _ => return Err(invalid("per-host counts", "an entry is too short")),
            }
        }
        let mut sitemaps = Vec::new();
        for kv in self.sites.prefix([SITE_SITEMAP]) {
            let (_, value) = kv.into_inner().map_err(|e| self.err(e))?;
            sitemaps.push(value.to_vec());
        }
        let mut variants = Vec::new();
        for kv in (self.sites.prefix([SITE_VARIANTS])).take(MAX_RECOVERED_VARIANTS) {
            let (key, value) = kv.into_inner().map_err(|e| self.err(e))?;
            match (seq_of(&key[1..]), seq_of(&value)) {
                (Some(path), Some(n)) => variants.push((path, n)),
                _ => return Err(invalid("query variants", "an entry is too short")),
            }
        }
        Ok(Recovery {
            queued: queued.into_iter().map(|(_, r)| r).collect(),
            state,
            host_pages,
            spilled: self.spilled,
            sitemaps,
            variants,
            cookies,
        })
    }

    fn robots(&mut self, host: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let record = self.sites.get(site_key(SITE_ROBOTS, host));
        Ok(record.map_err(|e| self.err(e))?.map(|v| v.to_vec()))
    }

    fn spilled(&self) -> u64 {
        self.spilled
    }

    fn refill(&mut self, max: usize, per_host: usize) -> Result<Vec<QueuedRequest>, StoreError> {
        self.take_spilled(max, per_host)
    }

    fn refill_host(&mut self, host: u64, max: usize) -> Result<Vec<QueuedRequest>, StoreError> {
        self.take_host(host, max)
    }

    fn commit(&mut self, batch: CommitBatch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let done: HashSet<u64> = batch.done.iter().copied().collect();
        let mut w = self.db.batch();
        let mut value = Vec::new();
        // Queue numbers given in this batch, for a retry of a request queued in it.
        let mut given: HashMap<u64, u64> = HashMap::new();
        self.seen_count +=
            (batch.queued.len() + batch.seen_only.len() + batch.spilled.len()) as u64;
        for (fp, host, q) in &batch.spilled {
            w.insert(&self.seen_ks, fp.to_be_bytes(), []);
            value.clear();
            value.extend_from_slice(&fp.to_be_bytes());
            q.encode(&mut value);
            let key = spill::spill_key(*host, q.priority, self.next_seq);
            w.insert(&self.spill, key, value.as_slice());
            self.next_seq += 1;
            self.spilled += 1;
        }
        for (fp, q) in &batch.queued {
            let key = fp.to_be_bytes();
            w.insert(&self.seen_ks, key, []);
            if done.contains(fp) {
                continue;
            }
            let seq = self.next_seq;
            self.next_seq += 1;
            given.insert(*fp, seq);
            value.clear();
            value.extend_from_slice(&seq.to_be_bytes());
            q.encode(&mut value);
            w.insert(&self.queue, key, value.as_slice());
        }
        for (fp, q) in &batch.requeued {
            if done.contains(fp) {
                continue;
            }
            let key = fp.to_be_bytes();
            let seq = match given.get(fp) {
                Some(&s) => s,
                None => match self.queue.get(key).map_err(|e| self.err(e))? {
                    Some(old) => seq_of(&old).unwrap_or(self.next_seq),
                    None => self.next_seq,
                },
            };
            value.clear();
            value.extend_from_slice(&seq.to_be_bytes());
            q.encode(&mut value);
            w.insert(&self.queue, key, value.as_slice());
        }
        for fp in &batch.seen_only {
            w.insert(&self.seen_ks, fp.to_be_bytes(), []);
        }
        for fp in &batch.done {
            // Seen since it was queued (in an earlier batch or this one).
            w.remove(&self.queue, fp.to_be_bytes());
        }
        for (host, pages) in &batch.host_pages {
            w.insert(&self.hosts, host.to_be_bytes(), pages.to_be_bytes());
        }
        for (host, record) in &batch.robots {
            w.insert(&self.sites, site_key(SITE_ROBOTS, *host), record.as_slice());
        }
        for (url, record) in &batch.sitemaps {
            w.insert(&self.sites, site_key(SITE_SITEMAP, *url), record.as_slice());
        }
        let mut variants: HashMap<u64, u64> = HashMap::new();
        for &(path, n) in &batch.variants {
            *variants.entry(path).or_default() += n;
        }
        for (path, n) in variants {
            let key = site_key(SITE_VARIANTS, path);
            let old = self.sites.get(key).map_err(|e| self.err(e))?;
            let old = old.as_deref().and_then(seq_of).unwrap_or(0);
            w.insert(&self.sites, key, old.saturating_add(n).to_be_bytes());
        }
        if let Some(state) = &batch.state {
            w.insert(&self.meta, META_STATE, state.as_slice());
        }
        if let Some(cookies) = &batch.cookies {
            w.insert(&self.meta, META_COOKIES, cookies.as_slice());
        }
        w.insert(&self.meta, META_SEQ, self.next_seq.to_be_bytes());
        w.insert(&self.meta, META_SEEN, self.seen_count.to_be_bytes());
        w.insert(&self.meta, META_SPILLED, self.spilled.to_be_bytes());
        w.commit().map_err(|e| self.err(e))?;
        // Visible to readers now: the seen-set's memory may let these go.
        let fps = batch.queued.iter().map(|(fp, _)| *fp);
        let fps = fps.chain(batch.spilled.iter().map(|(fp, _, _)| *fp));
        let fps = fps.chain(batch.seen_only.iter().copied());
        self.seen.committed(fps.chain(batch.done.iter().copied()));
        if self.last_sync.elapsed() >= SYNC_EVERY {
            self.last_sync = Instant::now();
            self.db
                .persist(PersistMode::SyncData)
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }
}

impl Drop for DiskStore {
    fn drop(&mut self) {
        self.evicted.stop_loading();
        if let Some(loader) = self.loader.take() {
            let _ = loader.join();
        }
        if let Err(e) = self.db.persist(PersistMode::SyncAll) {
            tracing::warn!(error = ?e, path = %self.path.display(), "syncing the crawl state failed");
        }
    }
}

#[cfg(test)]
mod tests;
