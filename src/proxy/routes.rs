//! The crawl's proxy routing at run time: which proxies a connection to a host may go
//! through, in which order, and which proxies are benched.
//!
//! A connection's route is decided when it is opened, in this order: the first per-host
//! rule whose pattern matches the target's host; then `NO_PROXY` (direct); then the pool
//! of the target's scheme (`http` or `https`). A pool's proxies are handed out by its
//! [`Rotation`]. A proxy that fails (cannot be reached, refuses the handshake or the
//! credentials) is benched: no new connection goes through it until its bench ends, and
//! the connection is tried through the pool's next proxy. The bench lasts the configured
//! time, doubled for each failure in a row (at most 16 times), and a success clears it.
//! When every proxy of a pool is benched, the one whose bench ends first is tried: a
//! request that asked for a proxy never goes direct.
//!
//! Shared by every worker of the crawl (benches are the crawl's, not a thread's): atomics
//! only, no lock on the connection path.

use super::{HostPattern, Proxy};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use xxhash_rust::xxh3::xxh3_64;

/// How a pool's proxies are handed out to new connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rotation {
    /// Each new connection takes the next proxy in turn (Colly's round robin). A kept-alive
    /// connection keeps its proxy for the requests it carries.
    #[default]
    RoundRobin,
    /// Every connection to one host goes through the same proxy (the host's by rendezvous
    /// hashing, so benching one proxy moves only that proxy's hosts).
    StickyPerHost,
}

/// Where connections matching a rule go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Choice {
    /// Straight to the host.
    Direct,
    /// Through one of these proxies (indices into [`Routes::proxies`]).
    Pool(Vec<usize>),
}

/// One proxy and its bench.
#[derive(Debug)]
struct Slot {
    proxy: Proxy,
    /// Milliseconds since [`Routes::epoch`] when the bench ends; 0 when not benched.
    benched_until: AtomicU64,
    /// Failures in a row.
    strikes: AtomicU32,
}

/// The routing table of a crawl.
#[derive(Debug)]
pub(crate) struct Routes {
    proxies: Vec<Slot>,
    rules: Vec<(HostPattern, Choice)>,
    no_proxy: Vec<HostPattern>,
    http: Choice,
    https: Choice,
    rotation: Rotation,
    bench: Duration,
    epoch: Instant,
    turn: AtomicUsize,
}

/// What [`Routes`] is made of (checked by the configuration's build).
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    pub(crate) rules: Vec<(HostPattern, Option<Proxy>)>,
    pub(crate) no_proxy: Vec<HostPattern>,
    pub(crate) http: Vec<Proxy>,
    pub(crate) https: Vec<Proxy>,
    pub(crate) rotation: Rotation,
    pub(crate) bench: Duration,
}

impl Table {
    /// Whether no request goes through a proxy.
    pub(crate) fn is_direct(&self) -> bool {
        self.http.is_empty() && self.https.is_empty() && self.rules.iter().all(|(_, p)| p.is_none())
    }
}

impl Routes {
    /// The table at run time; `None` when everything goes direct.
    pub(crate) fn new(table: &Table) -> Option<Routes> {
        if table.is_direct() {
            return None;
        }
        let mut proxies: Vec<Slot> = Vec::new();
        let mut index = |p: &Proxy| match proxies.iter().position(|s| s.proxy == *p) {
            Some(i) => i,
            None => {
                proxies.push(Slot {
                    proxy: p.clone(),
                    benched_until: AtomicU64::new(0),
                    strikes: AtomicU32::new(0),
                });
                proxies.len() - 1
            }
        };
        let mut pool = |list: &[Proxy]| match list.is_empty() {
            true => Choice::Direct,
            false => Choice::Pool(list.iter().map(&mut index).collect()),
        };
        let http = pool(&table.http);
        let https = pool(&table.https);
        // Rules naming the same pattern make one pool, in the order given.
        let mut rules: Vec<(HostPattern, Choice)> = Vec::new();
        for (pattern, proxy) in &table.rules {
            let at = rules.iter().position(|(p, _)| p == pattern);
            match (proxy, at) {
                (None, None) => rules.push((pattern.clone(), Choice::Direct)),
                (Some(p), None) => rules.push((pattern.clone(), Choice::Pool(vec![index(p)]))),
                (Some(p), Some(i)) => {
                    let i2 = index(p);
                    if let Choice::Pool(list) = &mut rules[i].1
                        && !list.contains(&i2)
                    {
                        list.push(i2);
                    }
                }
                (None, Some(_)) => {}
            }
        }
        Some(Routes {
            proxies,
            rules,
            no_proxy: table.no_proxy.clone(),
            http,
            https,
            rotation: table.rotation,
            bench: table.bench,
            epoch: Instant::now(),
            turn: AtomicUsize::new(0),
        })
    }

    /// The proxy at `index`.
    pub(crate) fn proxy(&self, index: usize) -> &Proxy {
        &self.proxies[index].proxy
    }

    /// The proxies a new connection to `host` may go through, in the order to try them;
    /// `None` when it goes direct. A connection for a `session` keeps to the session's
    /// proxy whatever the rotation (sticky by the session's name).
    pub(crate) fn route(
        &self,
        host: &str,
        https: bool,
        session: Option<&str>,
    ) -> Option<Vec<usize>> {
        let choice = match self.rules.iter().find(|(p, _)| p.matches(host)) {
            Some((_, choice)) => choice,
            None if self.no_proxy.iter().any(|p| p.matches(host)) => return None,
            None if https => &self.https,
            None => &self.http,
        };
        let Choice::Pool(pool) = choice else {
            return None;
        };
        let now = self.now_ms();
        let mut live: Vec<usize> = (pool.iter().copied())
            .filter(|&i| self.proxies[i].benched_until.load(Ordering::Relaxed) <= now)
            .collect();
        if live.is_empty() {
            // All benched: the one back soonest, never a direct connection.
            let soonest = (pool.iter().copied())
                .min_by_key(|&i| self.proxies[i].benched_until.load(Ordering::Relaxed));
            return Some(soonest.into_iter().collect());
        }
        let sticky = match (session, self.rotation) {
            (Some(s), _) => Some(format!("session {s}")),
            (None, Rotation::StickyPerHost) => Some(format!("host {host}")),
            (None, Rotation::RoundRobin) => None,
        };
        match sticky {
            None => {
                let turn = self.turn.fetch_add(1, Ordering::Relaxed) % live.len();
                live.rotate_left(turn);
            }
            Some(key) => {
                let score =
                    |i: usize| xxh3_64(format!("{key}\n{}", self.proxies[i].proxy).as_bytes());
                live.sort_by_key(|&i| std::cmp::Reverse(score(i)));
            }
        }
        Some(live)
    }

    /// A connection through proxy `index` failed for the proxy's own reason: it is benched.
    pub(crate) fn failed(&self, index: usize, why: &str) {
        let slot = &self.proxies[index];
        let strikes = slot.strikes.fetch_add(1, Ordering::Relaxed).min(4);
        let bench = self.bench * (1u32 << strikes);
        let until = self.now_ms() + u64::try_from(bench.as_millis()).unwrap_or(u64::MAX / 2);
        slot.benched_until.store(until.max(1), Ordering::Relaxed);
        tracing::warn!(proxy = %slot.proxy, ?bench, "proxy benched: {why}");
    }

    /// A connection through proxy `index` was made: its bench is cleared.
    pub(crate) fn worked(&self, index: usize) {
        let slot = &self.proxies[index];
        if slot.strikes.load(Ordering::Relaxed) != 0 {
            slot.strikes.store(0, Ordering::Relaxed);
            slot.benched_until.store(0, Ordering::Relaxed);
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX / 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy(port: u16) -> Proxy {
        Proxy::parse(&format!("http://127.0.0.1:{port}")).unwrap()
    }

    fn table() -> Table {
        Table {
            rules: vec![
                (HostPattern::parse("intranet.test").unwrap(), None),
                (HostPattern::parse("special.test").unwrap(), Some(proxy(9))),
            ],
            no_proxy: vec![HostPattern::parse(".local.test").unwrap()],
            http: vec![proxy(1), proxy(2), proxy(3)],
            https: vec![proxy(3)],
            rotation: Rotation::RoundRobin,
            bench: Duration::from_secs(60),
        }
    }

    #[test]
    fn rules_then_no_proxy_then_the_scheme_pool() {
        let r = Routes::new(&table()).unwrap();
        assert_eq!(r.route("www.intranet.test", false, None), None);
        assert_eq!(r.route("a.local.test", false, None), None);
        let special = r.route("special.test", true, None).unwrap();
        assert_eq!(r.proxy(special[0]).port, 9);
        let https = r.route("site.test", true, None).unwrap();
        assert_eq!(https.len(), 1);
        assert_eq!(r.proxy(https[0]).port, 3);
        assert_eq!(r.route("site.test", false, None).unwrap().len(), 3);
        assert!(Routes::new(&Table::default()).is_none());
    }

    #[test]
    fn round_robin_takes_turns_and_benched_proxies_sit_out() {
        let r = Routes::new(&table()).unwrap();
        let firsts: Vec<u16> = (0..6)
            .map(|_| r.proxy(r.route("h.test", false, None).unwrap()[0]).port)
            .collect();
        assert_eq!(firsts, [1, 2, 3, 1, 2, 3]);
        let two = r.route("h.test", false, None).unwrap()[0];
        r.failed(two, "test");
        for _ in 0..6 {
            let order = r.route("h.test", false, None).unwrap();
            assert_eq!(order.len(), 2);
            assert!(!order.contains(&two));
        }
        r.worked(two);
        assert_eq!(r.route("h.test", false, None).unwrap().len(), 3);
    }

    #[test]
    fn a_pool_all_benched_still_never_goes_direct() {
        let r = Routes::new(&table()).unwrap();
        for i in r.route("h.test", false, None).unwrap() {
            r.failed(i, "test");
        }
        let last = r.route("h.test", false, None).unwrap();
        assert_eq!(last.len(), 1);
    }

    #[test]
    fn sticky_keeps_a_host_on_one_proxy_and_moves_only_the_benched_ones_hosts() {
        let r = Routes::new(&Table {
            rotation: Rotation::StickyPerHost,
            ..table()
        })
        .unwrap();
        let hosts: Vec<String> = (0..200).map(|i| format!("h{i}.test")).collect();
        let before: Vec<usize> = hosts
            .iter()
            .map(|h| r.route(h, false, None).unwrap()[0])
            .collect();
        for (h, &b) in hosts.iter().zip(&before) {
            assert_eq!(r.route(h, false, None).unwrap()[0], b);
        }
        let used: std::collections::HashSet<_> = before.iter().collect();
        assert_eq!(used.len(), 3, "hosts spread over the pool");
        r.failed(before[0], "test");
        for (h, &b) in hosts.iter().zip(&before) {
            let now = r.route(h, false, None).unwrap()[0];
            assert_eq!(now == b, b != before[0], "{h}");
        }
    }

    #[test]
    fn a_session_keeps_to_one_proxy_whatever_the_rotation() {
        let r = Routes::new(&table()).unwrap();
        let sessions: Vec<String> = (0..60).map(|i| format!("user{i}")).collect();
        let first: Vec<usize> = (sessions.iter())
            .map(|s| r.route("h.test", false, Some(s)).unwrap()[0])
            .collect();
        for (s, &f) in sessions.iter().zip(&first) {
            for host in ["h.test", "other.test"] {
                assert_eq!(r.route(host, false, Some(s)).unwrap()[0], f, "{s}");
            }
        }
        let used: std::collections::HashSet<_> = first.iter().collect();
        assert_eq!(used.len(), 3, "sessions spread over the pool");
    }
}
