//! The link graph of one host: page ids, their paths, and which pages each page links to.
//!
//! Nothing is stored per page. Page `i`'s links come from a PRNG seeded by
//! `hash(seed, host, i)`, plus its children in a spanning tree: a `FANOUT`-ary heap over
//! positions, with pages placed on positions by a keyed [`Permutation`]. Every page has a
//! parent that is a hash-chosen page nearer the root and is linked from it, so every page is
//! reachable from `/` by construction; the unit tests check that with a BFS.
//!
//! Ids `0..pages` are the reachable pages (0 is the index `/`); ids
//! `pages..pages + unreachable` are valid pages that no page links to.

use super::perm::Permutation;
use super::rng::{Rng, hash3};
use super::text::{is_canonical_num, push, push_num};

/// Tree children per page; bounded by `links_per_page`.
const FANOUT: u32 = 4;
/// Pages 1..=HUBS appear in every page's nav bar.
pub(crate) const HUBS: u32 = 5;
/// Roughly how many pages share a section folder `/sNN/`.
const PAGES_PER_SECTION: u32 = 400;
/// Even tiny sites get a few folders, so relative `../` links occur.
const MIN_SECTIONS: u32 = 4;
/// Share of the random links that go to a page of the same folder.
const LOCAL_LINKS: f64 = 0.3;
/// Digits of the section and page numbers in paths (more when needed).
const SECTION_DIGITS: usize = 2;
const PAGE_DIGITS: usize = 6;

/// The page graph of one host.
#[derive(Debug, Clone)]
pub(crate) struct HostGraph {
    seed: u64,
    host: u64,
    pages: u32,
    unreachable: u32,
    links: u32,
    fanout: u64,
    sections: u32,
    /// Places pages `1..pages` on tree positions `1..pages`.
    perm: Permutation,
}

impl HostGraph {
    pub(crate) fn new(seed: u64, host: usize, pages: u32, unreachable: u32, links: u32) -> Self {
        let host = host as u64;
        Self {
            seed,
            host,
            pages,
            unreachable,
            links,
            fanout: u64::from(links.clamp(1, FANOUT)),
            sections: pages.div_ceil(PAGES_PER_SECTION).max(MIN_SECTIONS),
            perm: Permutation::new(u64::from(pages - 1), hash3(seed, host, 0x7ee)),
        }
    }

    /// Reachable pages (ids `0..pages`).
    pub(crate) fn pages(&self) -> u32 {
        self.pages
    }

    /// All valid page ids, reachable or not.
    pub(crate) fn total(&self) -> u32 {
        self.pages + self.unreachable
    }

    /// The seed all of page `id`'s randomness derives from.
    pub(crate) fn page_seed(&self, id: u32) -> u64 {
        hash3(self.seed, self.host, u64::from(id))
    }

    /// The nav hubs: pages `1..=min(HUBS, pages - 1)`.
    pub(crate) fn hubs(&self) -> std::ops::RangeInclusive<u32> {
        1..=HUBS.min(self.pages - 1)
    }

    /// The folder of page `id` (0 for the index, which lives at the root).
    pub(crate) fn section(&self, id: u32) -> Option<u32> {
        (id != 0).then(|| id % self.sections)
    }

    /// Appends page `id`'s path (`/` or `/sNN/pNNNNNN.html`).
    pub(crate) fn write_path(&self, id: u32, out: &mut Vec<u8>) {
        match self.section(id) {
            None => push(out, "/"),
            Some(section) => {
                push(out, "/s");
                push_num(out, u64::from(section), SECTION_DIGITS);
                push(out, "/");
                Self::write_file_name(id, out);
            }
        }
    }

    /// Appends the last path segment of page `id` (`pNNNNNN.html`); not for the index.
    pub(crate) fn write_file_name(id: u32, out: &mut Vec<u8>) {
        push(out, "p");
        push_num(out, u64::from(id), PAGE_DIGITS);
        push(out, ".html");
    }

    /// Page `id`'s path as a `String`.
    #[cfg(test)]
    pub(crate) fn path(&self, id: u32) -> String {
        let mut out = Vec::with_capacity(24);
        self.write_path(id, &mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// The page id of a canonical page path, or `None` if `path` is no page of this host.
    pub(crate) fn parse_path(&self, path: &str) -> Option<u32> {
        if path == "/" {
            return Some(0);
        }
        let (section, file) = path.strip_prefix("/s")?.split_once("/p")?;
        let id = is_canonical_num(file.strip_suffix(".html")?, PAGE_DIGITS)?;
        let id = u32::try_from(id)
            .ok()
            .filter(|&id| id != 0 && id < self.total())?;
        let section = is_canonical_num(section, SECTION_DIGITS)?;
        (self.section(id).map(u64::from) == Some(section)).then_some(id)
    }

    fn position(&self, id: u32) -> u64 {
        if id == 0 {
            0
        } else {
            1 + self.perm.invert(u64::from(id) - 1)
        }
    }

    #[allow(clippy::cast_possible_truncation)] // positions are below `pages`, a u32.
    fn id_at(&self, position: u64) -> u32 {
        if position == 0 {
            0
        } else {
            1 + self.perm.apply(position - 1) as u32
        }
    }

    /// The page that links to `id` in the spanning tree (`None` for `/` and unreachable pages).
    #[cfg(test)]
    pub(crate) fn parent(&self, id: u32) -> Option<u32> {
        (id != 0 && id < self.pages).then(|| self.id_at((self.position(id) - 1) / self.fanout))
    }

    /// Appends `id`'s children in the spanning tree.
    pub(crate) fn children(&self, id: u32, out: &mut Vec<u32>) {
        if id >= self.pages {
            return;
        }
        let first = self.position(id) * self.fanout + 1;
        for position in first..(first + self.fanout).min(u64::from(self.pages)) {
            out.push(self.id_at(position));
        }
    }

    /// The distinct in-content link targets of page `id`, in page order: its tree children
    /// plus random reachable pages, `links_per_page` in all (fewer on tiny sites), never
    /// itself and never an unreachable page.
    pub(crate) fn targets(&self, id: u32, out: &mut Vec<u32>) {
        out.clear();
        self.children(id, out);
        let others = self.pages - u32::from(id < self.pages);
        let want = (self.links as usize).max(out.len()).min(others as usize);
        let mut rng = Rng::new(hash3(self.page_seed(id), 1, 0));
        let mut tries = 0;
        let (sections, pages) = (u64::from(self.sections), u64::from(self.pages));
        let section = u64::from(id) % sections;
        // Pages of `id`'s folder are `section + k * sections`; real sites link locally a lot.
        let local = pages.saturating_sub(section).div_ceil(sections);
        while out.len() < want && tries < 64 * want {
            tries += 1;
            let j = if local > 0 && rng.chance(LOCAL_LINKS) {
                section + rng.below(local) * sections
            } else {
                rng.below(pages)
            };
            #[allow(clippy::cast_possible_truncation)] // below `pages`, a u32.
            let j = j as u32;
            if j != id && !out.contains(&j) {
                out.push(j);
            }
        }
        rng.shuffle(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    #[test]
    fn paths_round_trip_and_aliases_are_rejected() {
        let g = HostGraph::new(1, 0, 1600, 5, 20);
        for id in [0, 1, 399, 1599, 1604] {
            assert_eq!(g.parse_path(&g.path(id)), Some(id), "{}", g.path(id));
        }
        assert_eq!(g.path(0), "/");
        assert_eq!(g.path(123), "/s03/p000123.html");
        for bad in [
            "/s3/p000123.html",
            "/s03/p123.html",
            "/s02/p000123.html",
            "/s00/p000000.html",
            "/s01/p001605.html",
            "/s03/p000123.htm",
            "/index.html",
            "/s03/p000123.html/",
        ] {
            assert_eq!(g.parse_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn tree_parents_and_children_agree() {
        let g = HostGraph::new(9, 1, 1000, 0, 20);
        let mut kids = Vec::new();
        let mut seen_as_child = vec![0u32; 1000];
        for id in 0..1000 {
            kids.clear();
            g.children(id, &mut kids);
            for &k in &kids {
                assert_eq!(g.parent(k), Some(id));
                seen_as_child[k as usize] += 1;
            }
        }
        assert_eq!(seen_as_child[0], 0);
        assert!(seen_as_child[1..].iter().all(|&n| n == 1));
    }

    /// BFS over exactly the links the pages carry (content targets, nav, index) reaches
    /// every reachable page and never an unreachable one.
    #[test]
    fn bfs_over_link_lists_reaches_exactly_the_reachable_pages() {
        for (pages, links) in [(1, 20), (2, 1), (2, 5), (7, 3), (1000, 1), (5000, 20)] {
            let g = HostGraph::new(3, 0, pages, 4, links);
            let mut seen = vec![false; g.total() as usize];
            let mut queue = VecDeque::from([0u32]);
            seen[0] = true;
            let mut out = Vec::new();
            while let Some(id) = queue.pop_front() {
                g.targets(id, &mut out);
                for &t in out.iter().chain(&[0]).chain(&g.hubs().collect::<Vec<_>>()) {
                    if !seen[t as usize] {
                        seen[t as usize] = true;
                        queue.push_back(t);
                    }
                }
            }
            let reached = seen.iter().filter(|&&s| s).count();
            assert_eq!(reached, pages as usize, "pages={pages} links={links}");
            assert!(seen[pages as usize..].iter().all(|&s| !s));
        }
    }

    #[test]
    fn targets_are_distinct_sized_and_deterministic() {
        let g = HostGraph::new(5, 0, 3000, 5, 20);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for id in (0..3005).step_by(37) {
            g.targets(id, &mut a);
            HostGraph::new(5, 0, 3000, 5, 20).targets(id, &mut b);
            assert_eq!(a, b);
            assert_eq!(a.len(), 20);
            assert!(!a.contains(&id) && a.iter().all(|&t| t < 3000));
            let mut sorted = a.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), a.len());
        }
        HostGraph::new(5, 1, 3000, 5, 20).targets(7, &mut b);
        g.targets(7, &mut a);
        assert_ne!(a, b, "hosts must have their own graphs");
    }
}
