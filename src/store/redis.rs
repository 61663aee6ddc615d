//! The shared store: many processes, on any number of machines, crawl as one through a
//! Redis server (feature `redis`).
//!
//! ## How a shared crawl works
//!
//! - **Hosts are owned.** Hosts map to [`SLOTS`](keys::SLOTS) slots; each worker holds
//!   fenced, expiring leases on a share of them ([`leases`]). Only a slot's owner takes its
//!   hosts' requests, so per-host concurrency, rate limits, `Crawl-delay`, `Retry-After`
//!   and robots.txt are one process's business, in memory, as in a crawl of one process.
//!   robots.txt records are kept in Redis: a host's next owner does not fetch it again.
//! - **Everything found is offered.** A URL a worker finds (new to the worker's own
//!   seen-set, which only spares Redis the URLs it already offered) is offered with the
//!   commit of the page it was found on: one script inserts it into the crawl's seen-set
//!   and, if new, queues it for its host, in the same atomic step that ends the page. A URL
//!   ruled out when found (out of scope, say) is queued too, marked with its reason: its
//!   owner records it as skipped, so a URL found by two workers has one record.
//! - **Taken, then ended, fenced.** The owner takes queued requests in batches (each host
//!   in turn); each stays in the slot's `fly` hash until its outcome is committed. Commits
//!   carry the lease epochs they rely on and are refused whole if one is no longer held:
//!   a worker that was paused or cut off past its lease cannot end what a new owner took
//!   over. A new owner of a slot queues its `fly` entries again: what a dead worker had in
//!   flight is fetched again, and nothing else is.
//! - **The end.** The crawl is over when nothing is queued or taken anywhere: the
//!   `pending` counter, raised for each URL queued and lowered for each ended in the same
//!   scripts, is 0. Since a page's children are counted before the page is ended, it is
//!   never 0 while work is left, retries waiting for their due time included.
//!
//! ## What is promised
//!
//! Each URL is queued once for the whole crawl and ended once: its outcome is committed
//! by one worker, whose outcome log holds its record. A worker killed loses nothing
//! committed; what it had taken and not committed is fetched again by the slot's next
//! owner (within [`TTL`](leases::TTL) plus a heartbeat). Its outcome log may hold records
//! written after its last commit; Redis keeps each worker's committed log position, and a
//! worker started again under the same name cuts its log back to it before it writes. A
//! worker whose lease ran out stops, its commits refused; run again, it cuts its log back
//! the same way. Redis itself is trusted: run it with AOF (`appendfsync everysec`) to
//! survive a crash of the Redis host, losing about a second.

mod keys;
mod leases;
mod link;
mod status;

pub use status::{SharedStatus, status};

use super::{CommitBatch, CrawlFacts, CrawlStore, MemorySeenSet, SeenSet, StoreError, Taken};
use keys::Kind;
use link::Link;
use redis::Script;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often a worker with nothing left asks whether the whole crawl is done.
const FINISHED_EVERY: Duration = Duration::from_millis(250);
/// How long a joining worker waits for an earlier process of its name to be gone.
const NAME_WAIT: Duration = Duration::from_secs(12);

/// A crawl kept in a Redis server and shared by every worker started on it.
///
/// ```no_run
/// use trawler::prelude::*;
/// use trawler::store::RedisStore;
///
/// let store = RedisStore::connect("redis://127.0.0.1:6379/", "docs")?;
/// let config = CrawlConfig::builder().seed("http://127.0.0.1:8080/").build()?;
/// let report = Crawler::new(config, FnSpider::<()>::new()).store(store).run()?;
/// # Ok::<(), BoxError>(())
/// ```
pub struct RedisStore {
    link: Link,
    crawl: String,
    prefix: String,
    worker: String,
    seen: Arc<MemorySeenSet>,
    table: leases::Shared,
    /// Requests taken and not ended: their slot and host.
    taken: HashMap<u64, (u32, u64)>,
    /// Where the next take starts among the slots held.
    next: usize,
    /// Damaged entries taken, to end with the next commit.
    discard: Vec<u64>,
    /// How far this worker's outcome log is committed (`u64::MAX`: not known).
    committed: Arc<AtomicU64>,
    joined: bool,
    buckets: u64,
    /// `max_pages_per_host` and `max_pages`, -1 for none.
    host_cap: i64,
    page_cap: i64,
    asked: Option<(Instant, bool)>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("redis", &self.link.url())
            .field("crawl", &self.crawl)
            .field("worker", &self.worker)
            .finish_non_exhaustive()
    }
}

/// A Lua script, loaded once (its SHA1 computed once; `EVALSHA` loads it on a miss).
fn script(s: &'static std::sync::OnceLock<Script>, text: &'static str) -> &'static Script {
    s.get_or_init(|| Script::new(text))
}

static COMMIT: std::sync::OnceLock<Script> = std::sync::OnceLock::new();
static TAKE: std::sync::OnceLock<Script> = std::sync::OnceLock::new();
static JOIN: std::sync::OnceLock<Script> = std::sync::OnceLock::new();

impl RedisStore {
    /// Connects to the Redis server at `url` (`redis://HOST:PORT/DB`, with
    /// `redis://:PASSWORD@HOST:PORT/` or `rediss://` as the server needs) for the crawl
    /// named `crawl` (1 to 64 of `A-Z a-z 0-9 . _ -`). Fails at once, saying why, when the
    /// name is bad or the server does not answer. The worker's name is this machine's
    /// host name and the process id, unless set with [`worker`](Self::worker).
    pub fn connect(url: &str, crawl: &str) -> Result<RedisStore, StoreError> {
        if !keys::valid_name(crawl) {
            return Err(StoreError::Invalid(format!(
                "bad crawl name {crawl:?}: use 1 to 64 letters, digits, '.', '_' or '-'"
            )));
        }
        let link = Link::connect(url)?;
        Ok(RedisStore {
            link,
            crawl: crawl.to_string(),
            prefix: keys::prefix(crawl),
            worker: format!("{}-{}", host_name(), std::process::id()),
            seen: Arc::new(MemorySeenSet::default()),
            table: Arc::new(Mutex::new(leases::Table::default())),
            taken: HashMap::new(),
            next: 0,
            discard: Vec::new(),
            committed: Arc::new(AtomicU64::new(u64::MAX)),
            joined: false,
            buckets: keys::BUCKETS,
            host_cap: -1,
            page_cap: -1,
            asked: None,
        })
    }

    /// Names this worker (1 to 200 characters, no `|`). A worker started again under the
    /// same name (after a kill, say) cuts its outcome log back to what it last committed,
    /// so its records are never doubled by the worker that took its slots over.
    pub fn worker(mut self, name: &str) -> Result<RedisStore, StoreError> {
        if name.is_empty() || name.len() > 200 || name.contains('|') {
            return Err(StoreError::Invalid(format!(
                "bad worker name {name:?}: use 1 to 200 characters, no '|'"
            )));
        }
        self.worker = name.to_string();
        Ok(self)
    }

    /// How far this worker's outcome log was committed by an earlier process of its
    /// name, if one committed any.
    pub fn committed_position(&self) -> Result<Option<u64>, StoreError> {
        self.hget("wpos", self.worker.clone())
    }

    /// A handle on how far this worker's outcome log is committed, as the crawl goes:
    /// after the crawl failed (Redis lost for good, say), the log can be cut back to it so
    /// that the records past it, whose URLs other workers fetch again, are not kept twice.
    pub fn committed_log(&self) -> CommittedLog {
        CommittedLog(Arc::clone(&self.committed))
    }

    /// Whether this worker holds the slot of the host with this fingerprint now.
    pub fn owns(&self, host: u64) -> bool {
        leases::lock(&self.table).holds(keys::slot(host), Instant::now())
    }

    /// `HGET key field` of this crawl's hash `key`.
    fn hget<T: redis::FromRedisValue + Send + 'static>(
        &self,
        key: &str,
        field: String,
    ) -> Result<T, StoreError> {
        let key = format!("{}{key}", self.prefix);
        self.link.call(move |mut conn| async move {
            redis::cmd("HGET")
                .arg(key)
                .arg(field)
                .query_async(&mut conn)
                .await
        })
    }

    /// Takes free slots now (the first heartbeat), so a worker starts with its share.
    fn first_beat(&mut self) -> Result<(), StoreError> {
        leases::start(
            &self.link,
            Arc::clone(&self.table),
            self.prefix.clone(),
            self.worker.clone(),
        );
        let until = Instant::now() + link::CALL_TIMEOUT;
        loop {
            let t = leases::lock(&self.table);
            if t.last_contact.is_some() {
                return Ok(());
            }
            if let Some(why) = &t.trouble {
                return Err(StoreError::Unavailable(format!(
                    "Redis at {}: {why}",
                    self.link.url()
                )));
            }
            drop(t);
            if Instant::now() >= until {
                return Err(StoreError::Unavailable(format!(
                    "Redis at {} did not answer the first heartbeat",
                    self.link.url()
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// This machine's name, for worker names.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "worker".to_string())
}

impl Drop for RedisStore {
    fn drop(&mut self) {
        if self.joined {
            leases::leave(&self.link, &self.table, &self.prefix, &self.worker);
        }
    }
}

impl CrawlStore for RedisStore {
    fn seen(&self) -> Arc<dyn SeenSet> {
        Arc::clone(&self.seen) as Arc<dyn SeenSet>
    }

    fn is_durable(&self) -> bool {
        true
    }

    fn is_shared(&self) -> bool {
        true
    }

    fn join(&mut self, facts: &CrawlFacts) -> Result<Option<u64>, StoreError> {
        let mut fields: Vec<(String, String)> = vec![
            ("format".into(), "1".into()),
            ("slots".into(), keys::SLOTS.to_string()),
            ("buckets".into(), keys::BUCKETS.to_string()),
        ];
        fields.extend(facts.iter().map(|(k, v)| (format!("cfg:{k}"), v.clone())));
        let prefix = self.prefix.clone();
        let sent = fields.clone();
        let meta: Vec<(String, String)> = self.link.call(move |mut conn| async move {
            let mut inv = script(&JOIN, include_str!("redis/lua/join.lua")).prepare_invoke();
            inv.arg(&prefix);
            for (k, v) in &sent {
                inv.arg(k).arg(v);
            }
            inv.invoke_async(&mut conn).await
        })?;
        let meta: HashMap<String, String> = meta.into_iter().collect();
        if meta.get("format").map(String::as_str) != Some("1")
            || meta.get("slots").map(String::as_str) != Some(&keys::SLOTS.to_string())
        {
            return Err(StoreError::Invalid(format!(
                "crawl {:?} in Redis was made by another version of trawler",
                self.crawl
            )));
        }
        self.buckets = (meta.get("buckets"))
            .and_then(|b| b.parse().ok())
            .filter(|&b| b > 0)
            .ok_or_else(|| {
                StoreError::Invalid("the crawl's seen-set layout is unreadable".into())
            })?;
        let differs: Vec<String> = (fields.iter())
            .filter(|(k, _)| k.starts_with("cfg:"))
            .filter(|(k, v)| meta.get(k) != Some(v))
            .map(|(k, v)| {
                let theirs = meta.get(k).map_or("(not set)", String::as_str);
                format!("{} is {v} here but {theirs} in the crawl", &k[4..])
            })
            .collect();
        if !differs.is_empty() {
            return Err(StoreError::OtherCrawl(format!(
                "crawl {:?} in Redis differs: {}",
                self.crawl,
                differs.join("; ")
            )));
        }
        // A limit as the scripts take it: -1 for none.
        let number = |k: &str| meta.get(k).and_then(|v| v.parse().ok()).unwrap_or(-1);
        self.host_cap = number("cfg:max_pages_per_host");
        self.page_cap = number("cfg:max_pages");
        self.wait_for_name()?;
        let position = self.committed_position()?.unwrap_or(0);
        self.first_beat()?;
        self.joined = true;
        self.committed.store(position, Ordering::Relaxed);
        Ok(Some(position))
    }

    fn commit(&mut self, batch: CommitBatch) -> Result<(), StoreError> {
        let now = Instant::now();
        let mut slots: Vec<u32> = Vec::new();
        let mut done = Vec::with_capacity(batch.done.len());
        let discard = std::mem::take(&mut self.discard);
        for fp in batch.done.iter().chain(&discard) {
            if let Some(&(slot, _)) = self.taken.get(fp) {
                slots.push(slot);
                done.push((slot, *fp));
            }
        }
        let mut requeued = Vec::with_capacity(batch.requeued.len());
        for (fp, q) in &batch.requeued {
            if let Some(&(slot, host)) = self.taken.get(fp) {
                slots.push(slot);
                requeued.push((slot, *fp, keys::entry(*fp, host, Kind::Retry, q)));
            }
        }
        slots.sort_unstable();
        slots.dedup();
        let mut relied = Vec::with_capacity(slots.len());
        {
            let mut t = leases::lock(&self.table);
            for s in slots {
                match t.owner(s, now) {
                    Ok(Some(owner)) => relied.push((s, owner)),
                    Ok(None) => {
                        return Err(StoreError::LeaseLost(format!(
                            "slot {s} is no longer this worker's"
                        )));
                    }
                    Err(why) => return Err(StoreError::LeaseLost(why)),
                }
            }
        }
        let mut inv = script(&COMMIT, include_str!("redis/lua/commit.lua")).prepare_invoke();
        inv.arg(&self.prefix)
            .arg(&self.worker)
            .arg(batch.log_position.map_or(String::new(), |p| p.to_string()))
            .arg(self.host_cap)
            .arg(&[keys::host_limit_byte()][..]);
        inv.arg(relied.len());
        for (s, o) in &relied {
            inv.arg(*s).arg(o);
        }
        let offers = batch.spilled.len() + batch.skipped.len() + batch.seen_only.len();
        inv.arg(offers);
        let mut offer = |fp: u64, host: u64, e: &[u8]| {
            let (b, m) = keys::seen_member(fp, self.buckets);
            inv.arg(b)
                .arg(m)
                .arg(keys::slot(host))
                .arg(keys::host_name(host))
                .arg(e);
        };
        for (fp, host, q) in &batch.spilled {
            offer(*fp, *host, &keys::entry(*fp, *host, Kind::Fetch, q));
        }
        for (fp, host, q, reason) in &batch.skipped {
            offer(*fp, *host, &keys::entry(*fp, *host, Kind::Skip(*reason), q));
        }
        for fp in &batch.seen_only {
            offer(*fp, 0, &[]);
        }
        inv.arg(done.len());
        for (s, fp) in &done {
            inv.arg(*s).arg(&fp.to_be_bytes()[..]);
        }
        inv.arg(requeued.len());
        for (s, fp, e) in &requeued {
            inv.arg(*s).arg(&fp.to_be_bytes()[..]).arg(e);
        }
        inv.arg(batch.robots.len());
        for (h, rec) in &batch.robots {
            inv.arg(keys::host_name(*h)).arg(rec);
        }
        let (applied, detail): (u8, Vec<u64>) = self
            .link
            .call(move |mut conn| async move { inv.invoke_async(&mut conn).await })?;
        if applied != 1 {
            let why = format!(
                "a commit was refused: slot {} was taken over by another worker",
                detail.first().copied().unwrap_or_default()
            );
            leases::lock(&self.table).stale = Some(why.clone());
            return Err(StoreError::LeaseLost(why));
        }
        let mut t = leases::lock(&self.table);
        for (slot, fp) in done {
            self.taken.remove(&fp);
            t.ended(slot);
        }
        if let Some(p) = batch.log_position {
            self.committed.store(p, Ordering::Relaxed);
        }
        self.asked = None;
        Ok(())
    }

    fn take(&mut self, max: usize, per_host: usize) -> Result<Vec<Taken>, StoreError> {
        let mut held = leases::lock(&self.table)
            .takeable(Instant::now())
            .map_err(StoreError::LeaseLost)?;
        if held.is_empty() || max == 0 {
            return Ok(Vec::new());
        }
        let start = self.next % held.len();
        held.rotate_left(start);
        self.next = self.next.wrapping_add(1);
        let mut inv = script(&TAKE, include_str!("redis/lua/take.lua")).prepare_invoke();
        inv.arg(&self.prefix)
            .arg(max)
            .arg(per_host.max(1))
            .arg(self.page_cap)
            .arg(&[keys::page_limit_byte()][..]);
        for (s, o) in &held {
            inv.arg(*s).arg(o);
        }
        let (stale, entries, slots): (Vec<u32>, Vec<Vec<u8>>, Vec<u32>) = self
            .link
            .call(move |mut conn| async move { inv.invoke_async(&mut conn).await })?;
        let mut t = leases::lock(&self.table);
        if let Some(s) = stale
            .iter()
            .find(|s| held.iter().any(|(h, o)| h == *s && t.lost(**s, o)))
        {
            let why = format!("slot {s} was taken over by another worker");
            t.stale = Some(why.clone());
            return Err(StoreError::LeaseLost(why));
        }
        let mut out = Vec::with_capacity(entries.len());
        for (e, slot) in entries.into_iter().zip(slots) {
            t.took(slot, 1);
            let Some((fp, host, kind, request)) = keys::parse_entry(&e) else {
                // Ended unfetched with the next commit, so the crawl can still end.
                tracing::warn!(slot, "an entry of the shared queue is damaged; dropped");
                if let Some(fp) = e.get(..8).and_then(|b| b.try_into().ok()) {
                    let fp = u64::from_be_bytes(fp);
                    self.taken.insert(fp, (slot, 0));
                    self.discard.push(fp);
                }
                continue;
            };
            self.taken.insert(fp, (slot, host));
            let skip = match kind {
                Kind::Fetch | Kind::Retry => None,
                Kind::Skip(reason) => Some(reason),
            };
            out.push(Taken {
                request,
                skip,
                fingerprint: fp,
            });
        }
        Ok(out)
    }

    fn robots(&mut self, host: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.hget("robots", keys::host_name(host))
    }

    fn check(&self) -> Result<(), StoreError> {
        leases::lock(&self.table)
            .check(Instant::now())
            .map_err(StoreError::LeaseLost)
    }

    fn fence(&self) -> Option<super::Fence> {
        let table = Arc::clone(&self.table);
        Some(Arc::new(move || {
            leases::lock(&table).check(Instant::now()).is_ok()
        }))
    }

    fn finished(&mut self) -> Result<bool, StoreError> {
        let now = Instant::now();
        if let Some((at, done)) = self.asked
            && now.saturating_duration_since(at) < FINISHED_EVERY
        {
            return Ok(done);
        }
        if let Some(why) = leases::lock(&self.table).stale.clone() {
            return Err(StoreError::LeaseLost(why));
        }
        let pending: Option<i64> = self.hget("count", "pending".into())?;
        let done = pending.unwrap_or(0) <= 0;
        self.asked = Some((now, done));
        Ok(done)
    }
}

impl RedisStore {
    /// Waits (a little) for an earlier process of this worker's name to be gone: two
    /// live processes of one name would share one outcome log position.
    fn wait_for_name(&self) -> Result<(), StoreError> {
        let until = Instant::now() + NAME_WAIT;
        loop {
            let (key, worker) = (format!("{}workers", self.prefix), self.worker.clone());
            let alive: bool = self.link.call(move |mut conn| async move {
                let score: Option<u64> = redis::cmd("ZSCORE")
                    .arg(&key)
                    .arg(&worker)
                    .query_async(&mut conn)
                    .await?;
                let (s, us): (u64, u64) = redis::cmd("TIME").query_async(&mut conn).await?;
                Ok(score.is_some_and(|expiry| expiry > s * 1000 + us / 1000))
            })?;
            if !alive {
                return Ok(());
            }
            if Instant::now() >= until {
                return Err(StoreError::Invalid(format!(
                    "a worker named {:?} is already in crawl {:?}: name each worker once",
                    self.worker, self.crawl
                )));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

/// How far a worker's outcome log is committed ([`RedisStore::committed_log`]).
#[derive(Debug, Clone)]
pub struct CommittedLog(Arc<AtomicU64>);

impl CommittedLog {
    /// The position of the last commit this process made or joined at, if any.
    pub fn get(&self) -> Option<u64> {
        Some(self.0.load(Ordering::Relaxed)).filter(|&p| p != u64::MAX)
    }
}
