//! Slot leases: which hosts this worker may fetch, kept alive by a heartbeat on the link's
//! thread.
//!
//! Every [`RENEW_EVERY`] the keeper runs `lease.lua`: it renews the leases held, notes the
//! live workers, and takes free slots with work (queued or in flight) up to this worker's
//! share (the slots with work over the live workers, rounded up). A slot with nothing in it
//! is given up; a worker over its share (another one joined) stops taking from the slots
//! it is to give up and gives each up once nothing of it is left in the worker (no request
//! of it queued, in flight or waiting for a retry), so a slot changes hands without a
//! refetch. A lease the server no longer shows as ours, or one not renewed within its
//! local validity (the process was paused, or cut off from Redis), makes the worker
//! *stale*: it may have fetched what a new owner takes over, so it must not commit again
//! (its commits are refused anyway: they are fenced by epoch).
//!
//! Local validity is measured from when the renewal was *sent*, on the monotonic clock
//! (which runs on while a process is stopped), and ends [`MARGIN`] before the server's
//! expiry could, so a worker never believes it owns a slot that Redis gave away.

use super::keys;
use super::link::Link;
use redis::Script;
use redis::aio::ConnectionManager;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A lease's time to live on the server.
pub(crate) const TTL: Duration = Duration::from_secs(10);
/// How often leases are renewed.
pub(crate) const RENEW_EVERY: Duration = Duration::from_secs(2);
/// How long before the server's expiry a lease stops counting here.
const MARGIN: Duration = Duration::from_secs(3);

/// A slot this worker holds.
#[derive(Debug, Clone)]
struct Held {
    /// `WORKER|EPOCH`, as the lease key holds it.
    owner: String,
    /// Until when it counts here.
    valid_until: Instant,
    /// To be given up once nothing of it is left here.
    giving_up: bool,
}

/// The leases, shared by the store (on the crawl's thread) and the keeper (on the link's).
#[derive(Debug, Default)]
pub(crate) struct Table {
    held: BTreeMap<u32, Held>,
    /// Requests of each slot here: taken and not ended.
    work: HashMap<u32, u64>,
    /// Set once a lease was lost: the worker must stop.
    pub(crate) stale: Option<String>,
    /// When the server last answered a heartbeat.
    pub(crate) last_contact: Option<Instant>,
    /// Set when the heartbeat failed, with why.
    pub(crate) trouble: Option<String>,
    /// Where the next scan for free slots starts.
    next_slot: u32,
    stopped: bool,
}

impl Table {
    /// The slots to take from, with their owner strings (those given up excluded), or
    /// why the worker is stale.
    pub(crate) fn takeable(&mut self, now: Instant) -> Result<Vec<(u32, String)>, String> {
        self.check(now)?;
        Ok((self.held.iter())
            .filter(|(_, h)| !h.giving_up)
            .map(|(s, h)| (*s, h.owner.clone()))
            .collect())
    }

    /// The owner string of `slot`, if held and valid.
    pub(crate) fn owner(&mut self, slot: u32, now: Instant) -> Result<Option<String>, String> {
        self.check(now)?;
        Ok(self.held.get(&slot).map(|h| h.owner.clone()))
    }

    /// Whether `slot` is held (and valid) now.
    pub(crate) fn holds(&self, slot: u32, now: Instant) -> bool {
        self.stale.is_none() && self.held.get(&slot).is_some_and(|h| now < h.valid_until)
    }

    /// Fails once a lease is lost or expired here.
    pub(crate) fn check(&mut self, now: Instant) -> Result<(), String> {
        if self.stale.is_none()
            && let Some((slot, _)) = self.held.iter().find(|(_, h)| now >= h.valid_until)
        {
            self.stale = Some(format!(
                "the lease of slot {slot} ran out before it was renewed (the process was paused or cut off from Redis)"
            ));
        }
        self.stale.clone().map_or(Ok(()), Err)
    }

    /// `n` requests of `slot` were taken.
    pub(crate) fn took(&mut self, slot: u32, n: u64) {
        *self.work.entry(slot).or_default() += n;
    }

    /// Whether a slot a take found not ours means this worker is stale: it is held here and
    /// not being given up (a slot given up while a take was on its way is no loss).
    pub(crate) fn lost(&self, slot: u32, owner: &str) -> bool {
        self.held
            .get(&slot)
            .is_some_and(|h| !h.giving_up && h.owner == owner)
    }

    /// A request of `slot` ended.
    pub(crate) fn ended(&mut self, slot: u32) {
        if let Some(w) = self.work.get_mut(&slot) {
            *w = w.saturating_sub(1);
            if *w == 0 {
                self.work.remove(&slot);
            }
        }
    }
}

/// The shared table.
pub(crate) type Shared = Arc<Mutex<Table>>;

/// Locks the table (a panic elsewhere does not make it unusable).
pub(crate) fn lock(t: &Shared) -> MutexGuard<'_, Table> {
    t.lock().unwrap_or_else(|e| e.into_inner())
}

/// The keeper: a heartbeat now, then every [`RENEW_EVERY`], until [`stop`] or the link
/// goes.
pub(crate) fn start(link: &Link, table: Shared, prefix: String, worker: String) {
    link.spawn(move |mut conn| async move {
        loop {
            let (stopped, stale) = {
                let mut t = lock(&table);
                let _ = t.check(Instant::now());
                (t.stopped, t.stale.is_some())
            };
            if stopped {
                return;
            }
            if stale {
                // A stale worker gives up what it still holds at once, so the others need
                // not wait for those leases to run out; it rejoins as a new process would.
                return give_all_up(&mut conn, &table, &prefix, &worker).await;
            }
            beat(&mut conn, &table, &prefix, &worker).await;
            actix_rt::time::sleep(RENEW_EVERY).await;
        }
    });
}

/// Stops the keeper and gives every lease up (the worker leaves the crawl), so that the
/// next owners need not wait for them to expire.
pub(crate) fn leave(link: &Link, table: &Shared, prefix: &str, worker: &str) {
    let (table, prefix, worker) = (Arc::clone(table), prefix.to_string(), worker.to_string());
    let _ = link.call(move |mut conn| async move {
        give_all_up(&mut conn, &table, &prefix, &worker).await;
        Ok(())
    });
}

/// Gives every lease held up, and the heartbeat; the keeper stops.
async fn give_all_up(conn: &mut ConnectionManager, table: &Shared, prefix: &str, worker: &str) {
    let held: Vec<(u32, String)> = {
        let mut t = lock(table);
        t.stopped = true;
        let held = t.held.iter().map(|(s, h)| (*s, h.owner.clone())).collect();
        t.held.clear();
        held
    };
    let mut inv = release_script().prepare_invoke();
    inv.arg(prefix).arg(worker).arg("1");
    for (s, o) in held {
        inv.arg(s).arg(o);
    }
    let _ = inv.invoke_async::<Vec<u32>>(conn).await;
}

fn lease_script() -> &'static Script {
    static S: std::sync::OnceLock<Script> = std::sync::OnceLock::new();
    super::script(&S, include_str!("lua/lease.lua"))
}

fn release_script() -> &'static Script {
    static S: std::sync::OnceLock<Script> = std::sync::OnceLock::new();
    super::script(&S, include_str!("lua/release.lua"))
}

/// What `lease.lua` answers: live workers, the share, the stale slots, the slots taken
/// (slot, epoch, ...), the slots held with nothing in them.
type BeatAnswer = (u64, u64, Vec<u32>, Vec<u64>, Vec<u32>);

/// One heartbeat: renew, take free slots up to the share, give up what is over it.
async fn beat(conn: &mut ConnectionManager, table: &Shared, prefix: &str, worker: &str) {
    let (held, first) = {
        let t = lock(table);
        let held: Vec<(u32, String)> = t.held.iter().map(|(s, h)| (*s, h.owner.clone())).collect();
        (held, t.next_slot)
    };
    let sent = Instant::now();
    let mut inv = lease_script().prepare_invoke();
    inv.arg(prefix)
        .arg(worker)
        .arg(TTL.as_millis() as u64)
        .arg(keys::SLOTS)
        .arg(first);
    for (s, o) in &held {
        inv.arg(*s).arg(o);
    }
    let answer: redis::RedisResult<BeatAnswer> = inv.invoke_async(conn).await;
    let (_live, share, stale, taken, idle) = match answer {
        Ok(a) => a,
        Err(e) => {
            lock(table).trouble = Some(e.to_string());
            return;
        }
    };
    let give_up = {
        let mut t = lock(table);
        t.trouble = None;
        t.last_contact = Some(Instant::now());
        if let Some(s) = stale.first()
            && t.stale.is_none()
        {
            t.stale = Some(format!(
                "the lease of slot {s} was taken over by another worker (this one was paused or cut off from Redis for longer than {} s)",
                TTL.as_secs()
            ));
        }
        let valid_until = sent + TTL - MARGIN;
        for h in t.held.values_mut() {
            h.valid_until = valid_until;
        }
        for s in &stale {
            t.held.remove(s);
        }
        for pair in taken.chunks_exact(2) {
            let slot = pair[0] as u32;
            t.held.insert(
                slot,
                Held {
                    owner: format!("{worker}|{}", pair[1]),
                    valid_until,
                    giving_up: false,
                },
            );
            t.next_slot = (slot + 1) % keys::SLOTS;
        }
        plan_giving_up(&mut t, share as usize, &idle)
    };
    if !give_up.is_empty() {
        let mut inv = release_script().prepare_invoke();
        inv.arg(prefix).arg(worker).arg("0");
        for (s, o) in &give_up {
            inv.arg(*s).arg(o);
        }
        // A slot with something in flight (a take raced the plan) stays held.
        if let Ok(kept) = inv.invoke_async::<Vec<u32>>(conn).await {
            given_up(&mut lock(table), &give_up, &kept);
        }
    }
}

/// Plans what to give up: the slots held with nothing in them, in Redis or here (`idle`:
/// those with nothing in Redis), and, of the slots with work over `share`, some marked at
/// random (busy or not: giving up only idle ones would leave every host with work where
/// it is) once nothing of them is left here. Returns the slots to give up now; they stay
/// in the table, marked (no take uses them), until Redis answers.
fn plan_giving_up(t: &mut Table, share: usize, idle: &[u32]) -> Vec<(u32, String)> {
    let idle: Vec<u32> = (idle.iter().copied())
        .filter(|s| t.held.contains_key(s) && !t.work.contains_key(s))
        .collect();
    let busy = t.held.len() - idle.len();
    let over = busy.saturating_sub(share);
    if over == 0 {
        for h in t.held.values_mut() {
            h.giving_up = false;
        }
    } else {
        let marked = (t.held.iter())
            .filter(|(s, h)| h.giving_up && !idle.contains(s))
            .count();
        if marked < over {
            let mut candidates: Vec<u32> = (t.held.iter())
                .filter(|(s, h)| !h.giving_up && !idle.contains(s))
                .map(|(s, _)| *s)
                .collect();
            fastrand::shuffle(&mut candidates);
            for s in candidates.into_iter().take(over - marked) {
                if let Some(h) = t.held.get_mut(&s) {
                    h.giving_up = true;
                }
            }
        }
    }
    let mut now: Vec<(u32, String)> = Vec::new();
    for (s, h) in t.held.iter_mut() {
        if (h.giving_up || idle.contains(s)) && !t.work.contains_key(s) {
            h.giving_up = true;
            now.push((*s, h.owner.clone()));
        }
    }
    now
}

/// Redis gave up the slots of `asked` but those in `kept` (something of them was in
/// flight: a take raced the plan): the others leave the table, the kept ones are taken
/// from again.
fn given_up(t: &mut Table, asked: &[(u32, String)], kept: &[u32]) {
    for (s, _) in asked {
        if kept.contains(s) {
            if let Some(h) = t.held.get_mut(s) {
                h.giving_up = false;
            }
        } else {
            t.held.remove(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(slots: &[(u32, u64)]) -> Table {
        let mut t = Table::default();
        let until = Instant::now() + Duration::from_secs(60);
        for &(s, work) in slots {
            t.held.insert(
                s,
                Held {
                    owner: format!("w|{s}"),
                    valid_until: until,
                    giving_up: false,
                },
            );
            if work > 0 {
                t.took(s, work);
            }
        }
        t
    }

    #[test]
    fn slots_over_the_share_are_given_up_once_drained() {
        let mut t = table(&[(1, 5), (2, 0), (3, 7), (4, 1)]);
        // Share 2: two slots are marked; those with nothing here go at once.
        let given = plan_giving_up(&mut t, 2, &[]);
        let marked: Vec<u32> = (t.held.iter())
            .filter(|(_, h)| h.giving_up)
            .map(|(s, _)| *s)
            .collect();
        assert_eq!(marked.len(), 2);
        assert!(
            given.iter().all(|(s, _)| *s == 2),
            "only an idle slot goes at once"
        );
        let now = Instant::now();
        let takeable: Vec<u32> = t.takeable(now).unwrap().iter().map(|x| x.0).collect();
        assert_eq!(takeable.len(), 2, "a slot being given up is not taken from");
        assert!(
            marked
                .iter()
                .all(|s| !takeable.contains(s) && t.owner(*s, now).is_ok())
        );
        given_up(&mut t, &given, &[]);
        for s in &marked {
            while t.work.contains_key(s) {
                t.ended(*s);
            }
        }
        let rest = plan_giving_up(&mut t, 2, &[]);
        given_up(&mut t, &rest, &[]);
        assert_eq!(t.held.len(), 2);
        // At or under the share: nothing more is given up, and marks are cleared.
        assert!(plan_giving_up(&mut t, 4, &[]).is_empty());
        assert_eq!(t.held.len(), 2);
        assert!(t.held.values().all(|h| !h.giving_up));
    }

    #[test]
    fn a_slot_redis_kept_is_taken_from_again() {
        let mut t = table(&[(1, 0), (2, 0)]);
        let asked = plan_giving_up(&mut t, 0, &[1, 2]);
        assert_eq!(asked.len(), 2);
        assert!(
            !t.lost(1, "w|1") && !t.lost(2, "w|2"),
            "a slot being given up is no loss"
        );
        given_up(&mut t, &asked, &[2]);
        assert!(!t.held.contains_key(&1));
        assert!(t.lost(2, "w|2"), "kept, it is ours again");
        assert!(!t.lost(2, "w|1"), "a take under another epoch is no loss");
        let now = Instant::now();
        assert_eq!(t.takeable(now).unwrap().len(), 1);
    }

    #[test]
    fn slots_with_nothing_in_them_are_given_up_unless_work_is_here() {
        let mut t = table(&[(1, 0), (2, 3), (3, 0)]);
        // Slots 1 and 2 have nothing in Redis; 2 still has requests here.
        let given = plan_giving_up(&mut t, 8, &[1, 2]);
        assert_eq!(given, vec![(1, "w|1".to_string())]);
        given_up(&mut t, &given, &[]);
        assert!(t.held.contains_key(&2) && t.held.contains_key(&3));
        for _ in 0..3 {
            t.ended(2);
        }
        assert_eq!(
            plan_giving_up(&mut t, 8, &[2]),
            vec![(2, "w|2".to_string())]
        );
    }

    #[test]
    fn an_expired_lease_makes_the_worker_stale() {
        let mut t = table(&[(9, 0)]);
        let now = Instant::now();
        assert!(t.holds(9, now));
        assert!(t.takeable(now).is_ok());
        let later = now + Duration::from_secs(61);
        assert!(!t.holds(9, later));
        let why = t.takeable(later).unwrap_err();
        assert!(why.contains("slot 9"), "{why}");
        assert!(t.owner(9, now).is_err(), "stale stays stale");
    }
}
