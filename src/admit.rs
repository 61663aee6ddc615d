//! Admission: from a discovered URL to "new and in scope", "seen before" or "skipped".
//!
//! Canonicalize, then insert the fingerprint into the seen-set (a page's candidates in one
//! batch: the store's seen-set may be on disk or a server), then apply the scope (trap
//! rules included), then count the URL among its path's query variants.
//! The seen-set insert comes before the scope check on purpose: an off-host or too-deep
//! URL is then recorded once (one skip outcome), not once per page that links to it.
//! Shared by every parser and the supervisor (seeds and redirect targets), so links are
//! judged where they are found, in parallel.

use crate::canon::{self, CanonOptions};
use crate::outcome::SkipReason;
use crate::robots_meta::DirectiveRules;
use crate::scope::Scope;
use crate::store::SeenSet;
use crate::traps::QueryVariants;
use std::sync::Arc;
use url::Url;

/// What admission decided about one URL.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admit {
    /// First seen and in scope: to be queued.
    New(Url),
    /// Seen before: dropped without an outcome (the first sighting has it).
    Duplicate,
    /// First seen, but out of scope: recorded as skipped.
    Skip(Url, SkipReason),
}

/// The canonicalizer, seen-set and scope of one crawl.
#[derive(Debug)]
pub(crate) struct Admission {
    canon: CanonOptions,
    seen: Arc<dyn SeenSet>,
    scope: Scope,
    variants: QueryVariants,
}

impl Admission {
    pub(crate) fn new(canon: CanonOptions, scope: Scope, seen: Arc<dyn SeenSet>) -> Self {
        Admission {
            canon,
            seen,
            variants: QueryVariants::new(scope.traps.max_query_variants),
            scope,
        }
    }

    /// Judges `url`, found at `depth`.
    pub(crate) fn admit(&self, url: Url, depth: u32) -> Admit {
        self.admit_batch(vec![url], depth)
            .pop()
            .unwrap_or(Admit::Duplicate)
    }

    /// Judges the URLs of one page, found at `depth`: one seen-set call for all of them.
    pub(crate) fn admit_batch(&self, mut urls: Vec<Url>, depth: u32) -> Vec<Admit> {
        let mut fps = Vec::with_capacity(urls.len());
        for url in &mut urls {
            canon::canonicalize(url, self.canon);
            fps.push(canon::fingerprint(url));
        }
        let mut fresh = Vec::with_capacity(urls.len());
        self.seen.insert_batch(&fps, &mut fresh);
        (urls.into_iter().zip(fresh))
            .map(|(url, new)| {
                if !new {
                    return Admit::Duplicate;
                }
                match self.scope.check(&url, depth) {
                    Ok(()) if !self.variants.admit(&url) => {
                        Admit::Skip(url, SkipReason::QueryVariants)
                    }
                    Ok(()) => Admit::New(url),
                    Err(reason) => Admit::Skip(url, reason),
                }
            })
            .collect()
    }

    /// The path fingerprint `url` (canonical, new) was counted under as a query variant,
    /// if it was: what a durable crawl commits of the trap counters.
    pub(crate) fn variant_key(&self, url: &Url) -> Option<u64> {
        self.variants.key(url)
    }

    /// Takes up the query-variant counts a durable crawl committed in an earlier run.
    pub(crate) fn restore_variants(&self, counts: &[(u64, u64)]) {
        self.variants.restore(counts);
    }

    /// URLs seen so far.
    pub(crate) fn seen(&self) -> usize {
        self.seen.len()
    }

    /// What the crawl does with the robots directives pages give.
    pub(crate) fn directives(&self) -> &DirectiveRules {
        &self.scope.directives
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::HostRule;
    use crate::store::MemorySeenSet;
    use crate::traps::TrapRules;

    #[test]
    fn canonical_duplicates_are_dropped_and_skips_recorded_once() {
        let seed = Url::parse("http://a.test/").unwrap();
        let scope = Scope {
            hosts: vec![HostRule::exact_of(&seed).unwrap()],
            include: vec![],
            exclude: vec![],
            max_depth: Some(3),
            max_url_len: 2083,
            traps: TrapRules::default(),
            directives: Default::default(),
        };
        let a = Admission::new(
            CanonOptions::default(),
            scope,
            Arc::new(MemorySeenSet::default()),
        );
        let u = |s: &str| Url::parse(s).unwrap();
        assert_eq!(
            a.admit(u("http://A.test:80/x#f"), 1),
            Admit::New(u("http://a.test/x"))
        );
        assert_eq!(a.admit(u("http://a.test/x"), 1), Admit::Duplicate);
        assert_eq!(
            a.admit(u("http://b.test/"), 1),
            Admit::Skip(u("http://b.test/"), SkipReason::OffHost)
        );
        assert_eq!(a.admit(u("http://b.test/"), 1), Admit::Duplicate);
        assert!(matches!(
            a.admit(u("http://a.test/deep"), 4),
            Admit::Skip(_, SkipReason::Depth)
        ));
        assert_eq!(a.seen(), 3);
    }

    #[test]
    fn query_variants_are_counted_after_scope_and_dedup() {
        let seed = Url::parse("http://a.test/").unwrap();
        let scope = Scope {
            hosts: vec![HostRule::exact_of(&seed).unwrap()],
            include: vec![],
            exclude: vec![],
            max_depth: None,
            max_url_len: 2083,
            traps: TrapRules {
                max_query_variants: 2,
                ..TrapRules::default()
            },
            directives: Default::default(),
        };
        let a = Admission::new(
            CanonOptions::default(),
            scope,
            Arc::new(MemorySeenSet::default()),
        );
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(matches!(
            a.admit(u("http://a.test/c?m=1"), 1),
            Admit::New(_)
        ));
        // A duplicate and an off-host variant use none of the path's allowance.
        assert_eq!(a.admit(u("http://a.test/c?m=1#x"), 1), Admit::Duplicate);
        assert!(matches!(
            a.admit(u("http://b.test/c?m=2"), 1),
            Admit::Skip(_, SkipReason::OffHost)
        ));
        assert!(matches!(
            a.admit(u("http://a.test/c?m=2"), 1),
            Admit::New(_)
        ));
        assert_eq!(
            a.admit(u("http://a.test/c?m=3"), 1),
            Admit::Skip(u("http://a.test/c?m=3"), SkipReason::QueryVariants)
        );
        assert!(matches!(a.admit(u("http://a.test/c"), 1), Admit::New(_)));
    }
}
