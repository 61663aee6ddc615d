//! Crawler traps: URL shapes that mint new URLs without end, each cut off at a bound.
//!
//! A site can hold infinitely many distinct URLs without meaning to: a relative link that adds a
//! directory on every visit (`/a/b/` links `b/`, giving `/a/b/b/b/...`), a calendar whose "next
//! month" never ends, a faceted search whose filters combine into millions of queries, a session
//! id in every link. Depth and page limits stop all of them eventually, but trawler has neither by
//! default, so these rules bound each trap where it shows, and every URL they stop is recorded
//! with its own [`SkipReason`], so a report says which trap a site set:
//!
//! * **Repeated path segments** ([`DEFAULT_MAX_SEGMENT_REPEATS`], `repeated_segments`): a
//!   segment that occurs more than N times in a path, or a run of segments repeated N times back
//!   to back (`/a/b/a/b/a/b/`, `/x/x/x/`). Back-to-back repetition is the stronger sign, so it is
//!   stopped at N occurrences where scattered ones are allowed N.
//! * **Query-parameter explosion** ([`DEFAULT_MAX_QUERY_PARAMS`], `query_params`): more than N
//!   non-empty `&`-separated parameters in one query.
//! * **Query variants** ([`DEFAULT_MAX_QUERY_VARIANTS`], `query_variants`): more than N distinct
//!   queries on one path (scheme, host, port and path), counted on canonical URLs that are
//!   otherwise in scope, in discovery order. The bound is per path and generous because one
//!   script serving a whole site (`/viewtopic.php?t=123`, `/?p=42`) is common and legitimate;
//!   what it stops is the endless calendar or session-id stream.
//! * **Pages per host** (`host_page_limit`, off by default): at most N pages fetched from one
//!   host (scheme, host and port), counted when a URL is queued, redirect targets included.
//!
//! The rules are plain data and pure functions, unit-tested here; the query-variant counter is
//! shared by every parser (a `DashMap`), the host budget lives in the supervisor.

use crate::outcome::SkipReason;
use dashmap::DashMap;
use std::collections::HashMap;
use url::{Position, Url};

/// How many times one path segment may occur (see the module docs for the back-to-back rule).
/// Nutch's default URL filter and Heritrix's `PathologicalPathDecideRule` draw the line at 3
/// as well.
pub const DEFAULT_MAX_SEGMENT_REPEATS: usize = 3;
/// Most non-empty parameters in one URL query. Real links rarely carry more than a dozen,
/// tracking parameters included; faceted-search explosions carry more.
pub const DEFAULT_MAX_QUERY_PARAMS: usize = 16;
/// Most distinct queries fetched on one path (scheme, host, port and path).
pub const DEFAULT_MAX_QUERY_VARIANTS: u64 = 1000;

/// The per-URL trap rules of a crawl.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TrapRules {
    pub(crate) max_segment_repeats: usize,
    pub(crate) max_query_params: usize,
    pub(crate) max_query_variants: u64,
}

impl Default for TrapRules {
    fn default() -> Self {
        TrapRules {
            max_segment_repeats: DEFAULT_MAX_SEGMENT_REPEATS,
            max_query_params: DEFAULT_MAX_QUERY_PARAMS,
            max_query_variants: DEFAULT_MAX_QUERY_VARIANTS,
        }
    }
}

impl TrapRules {
    /// Why `url`'s shape is a trap, if it is (the rules that need no memory of other URLs).
    pub(crate) fn check(&self, url: &Url) -> Result<(), SkipReason> {
        if query_params(url.query()) > self.max_query_params {
            return Err(SkipReason::QueryParams);
        }
        if repeated_segments(url.path(), self.max_segment_repeats) {
            return Err(SkipReason::RepeatedSegments);
        }
        Ok(())
    }
}

/// The non-empty `&`-separated parameters of `query`.
pub(crate) fn query_params(query: Option<&str>) -> usize {
    query.map_or(0, |q| q.split('&').filter(|p| !p.is_empty()).count())
}

/// Whether a non-empty segment of `path` occurs more than `n` times, or a run of segments occurs
/// `n` times back to back. `n` is at least 2 (the configuration checks it).
pub(crate) fn repeated_segments(path: &str, n: usize) -> bool {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments.len() < n {
        return false;
    }
    let mut counts: HashMap<&str, usize> = HashMap::with_capacity(segments.len());
    for s in &segments {
        let c = counts.entry(s).or_default();
        *c += 1;
        if *c > n {
            return true;
        }
    }
    // A block of `len` segments repeated n times in a row is a stretch of (n - 1) * len
    // consecutive positions where each segment equals the one `len` further on.
    let n = n.max(2);
    (1..=segments.len() / n).any(|len| {
        let needed = (n - 1) * len;
        let mut run = 0;
        (0..segments.len() - len).any(|i| {
            run = if segments[i] == segments[i + len] {
                run + 1
            } else {
                0
            };
            run >= needed
        })
    })
}

/// Paths whose query variants are counted at most; past it the counts start over, so a
/// crawl over millions of paths holds a bounded table (a trap that outlives a reset gets
/// at most one more allowance).
const MAX_COUNTED_PATHS: usize = crate::store::MAX_RECOVERED_VARIANTS;

/// Distinct queries admitted per path, shared by every parser.
#[derive(Debug)]
pub(crate) struct QueryVariants {
    max: u64,
    seen: DashMap<u64, u64>,
}

impl QueryVariants {
    pub(crate) fn new(max: u64) -> Self {
        QueryVariants {
            max,
            seen: DashMap::new(),
        }
    }

    /// Counts `url` (canonical, first seen, otherwise in scope) as one more variant of its path;
    /// `false` if its path already has the most allowed.
    pub(crate) fn admit(&self, url: &Url) -> bool {
        let Some(key) = self.key(url) else {
            return true;
        };
        if self.seen.len() >= MAX_COUNTED_PATHS && !self.seen.contains_key(&key) {
            self.seen.clear();
        }
        let mut count = self.seen.entry(key).or_insert(0);
        if *count >= self.max {
            return false;
        }
        *count += 1;
        true
    }
}

impl QueryVariants {
    /// The fingerprint of `url`'s path (scheme, host, port, path) when `url` counts as a
    /// variant: it has a query and variants are limited.
    pub(crate) fn key(&self, url: &Url) -> Option<u64> {
        if url.query().is_none() || self.max == u64::MAX {
            return None;
        }
        Some(xxhash_rust::xxh3::xxh3_64(
            url[..Position::AfterPath].as_bytes(),
        ))
    }

    /// Takes up the counts of an earlier run of a durable crawl (path fingerprint, variants
    /// admitted): they add to what is counted now.
    pub(crate) fn restore(&self, counts: &[(u64, u64)]) {
        for &(path, n) in counts {
            let mut count = self.seen.entry(path).or_insert(0);
            *count = count.saturating_add(n);
        }
    }
}

/// Pages queued per host, against an optional limit; owned by the engine. Kept by the
/// host's key (a fingerprint), not its slot, so a host forgotten while idle keeps its count.
/// A durable crawl takes the counts that changed at each commit, and gives them back on
/// resume, so the limit holds across restarts.
#[derive(Debug, Default)]
pub(crate) struct HostBudget {
    max: Option<u64>,
    used: HashMap<u64, u64>,
    /// Hosts whose count changed since the last [`take_changes`](Self::take_changes), when
    /// changes are tracked.
    changed: Option<Vec<u64>>,
}

impl HostBudget {
    /// A budget of `max` pages per host; `track`: note the counts that change.
    pub(crate) fn new(max: Option<u64>, track: bool) -> Self {
        HostBudget {
            max,
            used: HashMap::new(),
            changed: (track && max.is_some()).then(Vec::new),
        }
    }

    /// Takes one page of the budget of the host with this key; `false` if it is spent.
    pub(crate) fn take(&mut self, host_key: &str) -> bool {
        let Some(max) = self.max else { return true };
        let host = crate::canon::host_fingerprint(host_key);
        let used = self.used.entry(host).or_default();
        if *used >= max {
            return false;
        }
        *used += 1;
        if let Some(changed) = &mut self.changed {
            changed.push(host);
        }
        true
    }

    /// The counts changed since the last call, by host fingerprint.
    pub(crate) fn take_changes(&mut self) -> Vec<(u64, u64)> {
        let Some(changed) = &mut self.changed else {
            return Vec::new();
        };
        changed.sort_unstable();
        changed.dedup();
        let out = changed
            .iter()
            .map(|h| (*h, self.used.get(h).copied().unwrap_or(0)));
        let out = out.collect();
        changed.clear();
        out
    }

    /// Counts saved by an earlier run of the crawl.
    pub(crate) fn restore(&mut self, counts: impl IntoIterator<Item = (u64, u64)>) {
        self.used.extend(counts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn repeated_segments_rules() {
        let trap = |p: &str| repeated_segments(p, 3);
        for ok in [
            "/",
            "",
            "/a/b/c/",
            "/a/b/a/b/",
            "/x/x/",
            "/a/x/a/y/a/",
            "/2024/01/01/post",
            "/docs/v1/docs/v2/docs",
        ] {
            assert!(!trap(ok), "{ok}");
        }
        for bad in [
            "/a/b/a/b/a/b/",
            "/x/x/x",
            "/x//x//x/",
            "/p/x/x/x/q",
            "/a/b/c/a/b/c/a/b/c",
            "/a/x/a/y/a/z/a",
            "/cal/next/next/next/next",
            "/s/a/b/c/d/a/b/c/d/a/b/c/d/e",
        ] {
            assert!(trap(bad), "{bad}");
        }
        // The bound moves both rules.
        assert!(!repeated_segments("/a/b/a/b/a/b/", 4));
        assert!(repeated_segments("/a/b/a/b/", 2));
        assert!(!repeated_segments("/a/b/a/b/a/b/", usize::MAX));
    }

    #[test]
    fn query_params_are_non_empty_segments() {
        assert_eq!(query_params(None), 0);
        assert_eq!(query_params(Some("")), 0);
        assert_eq!(query_params(Some("a=1")), 1);
        assert_eq!(query_params(Some("a=1&&b&c=")), 3);
        assert_eq!(query_params(Some("&&&")), 0);
    }

    #[test]
    fn per_url_rules_give_their_reasons() {
        let rules = TrapRules::default();
        assert_eq!(rules.check(&u("http://h.test/a/b?x=1&y=2")), Ok(()));
        let many: Vec<String> = (0..17).map(|i| format!("p{i}=1")).collect();
        let url = u(&format!("http://h.test/?{}", many.join("&")));
        assert_eq!(rules.check(&url), Err(SkipReason::QueryParams));
        let url = u(&format!("http://h.test/?{}", many[..16].join("&")));
        assert_eq!(rules.check(&url), Ok(()));
        assert_eq!(
            rules.check(&u("http://h.test/a/b/a/b/a/b/")),
            Err(SkipReason::RepeatedSegments)
        );
        let none = TrapRules {
            max_query_params: 0,
            ..rules
        };
        assert_eq!(none.check(&u("http://h.test/a")), Ok(()));
        assert_eq!(
            none.check(&u("http://h.test/a?q")),
            Err(SkipReason::QueryParams)
        );
    }

    #[test]
    fn query_variants_are_counted_per_path() {
        let v = QueryVariants::new(2);
        assert!(v.admit(&u("http://h.test/cal?m=1")));
        assert!(v.admit(&u("http://h.test/cal?m=2")));
        assert!(!v.admit(&u("http://h.test/cal?m=3")));
        assert!(v.admit(&u("http://h.test/cal")), "no query, no variant");
        assert!(v.admit(&u("http://h.test/cal/?m=3")), "another path");
        assert!(v.admit(&u("https://h.test/cal?m=3")), "another scheme");
        assert!(v.admit(&u("http://h.test:81/cal?m=3")), "another port");
        assert!(v.admit(&u("http://g.test/cal?m=3")), "another host");
        let off = QueryVariants::new(u64::MAX);
        assert!((0..10).all(|i| off.admit(&u(&format!("http://h.test/?i={i}")))));
    }

    #[test]
    fn host_budget() {
        let mut b = HostBudget::new(Some(2), false);
        assert!(b.take("http://a:80") && b.take("http://a:80"));
        assert!(!b.take("http://a:80"));
        assert!(b.take("http://b:80"));
        assert!(b.take_changes().is_empty(), "not tracked");
        let mut unlimited = HostBudget::new(None, true);
        assert!((0..1000).all(|_| unlimited.take("http://a:80")));
        assert!(
            unlimited.take_changes().is_empty(),
            "no limit, nothing to keep"
        );
    }

    #[test]
    fn a_host_budget_given_back_holds_across_a_restart() {
        let mut b = HostBudget::new(Some(3), true);
        assert!(b.take("http://a:80") && b.take("http://a:80") && b.take("http://b:80"));
        let mut saved = b.take_changes();
        saved.sort_unstable();
        assert_eq!(saved.len(), 2, "one count per host changed");
        assert!(b.take_changes().is_empty(), "taken once");
        assert!(b.take("http://a:80"));
        saved.extend(b.take_changes());
        // A restart: the latest count of each host wins, as in the store's keyspace.
        let mut again = HostBudget::new(Some(3), true);
        again.restore(saved);
        assert!(
            !again.take("http://a:80"),
            "a's three pages were already queued"
        );
        assert!(again.take("http://b:80") && again.take("http://b:80"));
        assert!(!again.take("http://b:80"));
    }

    fn segments() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec("[ab]{1,2}", 0..12)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Against a brute-force reading of the rule: every segment count, and every block at
        /// every start.
        #[test]
        fn repeated_segments_matches_brute_force(segs in segments(), n in 2usize..5) {
            let path = format!("/{}", segs.join("/"));
            let counted = segs.iter().any(|s| segs.iter().filter(|t| *t == s).count() > n);
            let blocks = (1..=segs.len()).any(|len| {
                (0..segs.len()).any(|start| {
                    start + n * len <= segs.len()
                        && (1..n).all(|k| segs[start..start + len] == segs[start + k * len..start + (k + 1) * len])
                })
            });
            prop_assert_eq!(repeated_segments(&path, n), counted || blocks);
        }

        /// Adding segments never turns a trap into a non-trap.
        #[test]
        fn repeated_segments_is_monotone(segs in segments(), extra in segments(), n in 2usize..5) {
            let path = format!("/{}", segs.join("/"));
            let longer = format!("{path}/{}", extra.join("/"));
            prop_assert!(!repeated_segments(&path, n) || repeated_segments(&longer, n));
        }

        /// The variant counter admits exactly `max` distinct queries per path, in any order.
        #[test]
        fn query_variants_admit_exactly_max(ids in proptest::collection::vec(0u8..4, 0..40), max in 0u64..6) {
            let v = QueryVariants::new(max);
            let mut admitted = [0u64; 4];
            for (i, id) in ids.iter().enumerate() {
                let url = u(&format!("http://h.test/p{id}?i={i}"));
                if v.admit(&url) {
                    admitted[usize::from(*id)] += 1;
                }
            }
            for id in 0..4u8 {
                let offered = ids.iter().filter(|x| **x == id).count() as u64;
                prop_assert_eq!(admitted[usize::from(id)], offered.min(max));
            }
        }
    }
}
