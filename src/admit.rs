//! Admission: from a discovered URL to "new and in scope", "seen before" or "skipped".
//!
//! Canonicalize, then insert the fingerprint into the seen-set (a page's candidates in one
//! batch: the store's seen-set may be on disk or a server), then apply the scope (trap
//! rules included), then count the URL among its path's query variants. A link whose
//! canonical fingerprint was told from its text comes with it, and is parsed only if new:
//! most of a page's links were seen before.
//! The seen-set insert comes before the scope check on purpose: an off-host or too-deep
//! URL is then recorded once (one skip outcome), not once per page that links to it.
//! Shared by every parser and the supervisor (seeds and redirect targets), so links are
//! judged where they are found, in parallel.

use crate::canon::{self, CanonOptions};
use crate::extract::Resolver;
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

/// A link on its way to admission.
#[derive(Debug)]
pub(crate) enum Candidate {
    /// Parsed: made canonical and fingerprinted here.
    Url(Url),
    /// Its canonical fingerprint was told from its text (a plain href); its URL is asked
    /// for, by the number given with it, only when it is new.
    Known { fingerprint: u64, at: u32 },
}

impl Candidate {
    /// The href numbered `at` of a page whose links `resolver` resolves: known from its
    /// text when it is plain (under the canonical form `canon`), resolved otherwise; `None`
    /// when it gives no http(s) URL. `text` is room to write the canonical text in.
    pub(crate) fn of(
        resolver: &Resolver,
        href: &str,
        at: u32,
        canon: CanonOptions,
        text: &mut String,
    ) -> Option<Candidate> {
        // Every option of the canonical form named: a new one must be told to the plain way.
        let CanonOptions { sort_query } = canon;
        if resolver.plain_canonical(href, sort_query, text) {
            let fingerprint = canon::fingerprint_text(text);
            return Some(Candidate::Known { fingerprint, at });
        }
        resolver.resolve(href).map(Candidate::Url)
    }

    /// Its canonical fingerprint under `canon`; a parsed link is made canonical first, in
    /// place.
    pub(crate) fn fingerprint(&mut self, canon: CanonOptions) -> u64 {
        match self {
            Candidate::Url(url) => {
                canon::canonicalize(url, canon);
                canon::fingerprint(url)
            }
            Candidate::Known { fingerprint, .. } => *fingerprint,
        }
    }
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
        self.admit_batch(vec![Candidate::Url(url)], depth, |_| None)
            .pop()
            .unwrap_or(Admit::Duplicate)
    }

    /// The canonical form this crawl gives URLs.
    pub(crate) fn canon(&self) -> CanonOptions {
        self.canon
    }

    /// Judges the URLs of one page, found at `depth`: one seen-set call for all of them.
    /// A known link found new is parsed by `url_of` (given its number); one that gives no
    /// URL then (it cannot, for a plain href) counts as a duplicate.
    pub(crate) fn admit_batch(
        &self,
        mut links: Vec<Candidate>,
        depth: u32,
        mut url_of: impl FnMut(u32) -> Option<Url>,
    ) -> Vec<Admit> {
        let fps: Vec<u64> = links
            .iter_mut()
            .map(|l| l.fingerprint(self.canon))
            .collect();
        let mut fresh = Vec::with_capacity(links.len());
        self.seen.insert_batch(&fps, &mut fresh);
        (links.into_iter().zip(fresh))
            .map(|(link, new)| {
                if !new {
                    return Admit::Duplicate;
                }
                let url = match link {
                    Candidate::Url(url) => url,
                    Candidate::Known { fingerprint, at } => {
                        let Some(mut url) = url_of(at) else {
                            return Admit::Duplicate;
                        };
                        canon::canonicalize(&mut url, self.canon);
                        debug_assert_eq!(canon::fingerprint(&url), fingerprint, "{url}");
                        url
                    }
                };
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
