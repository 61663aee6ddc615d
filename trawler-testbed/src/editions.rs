//! Editions of the site, for recrawls: each page has an `ETag` and answers `304` to an
//! `If-None-Match` that names it; a site started with a later [`edition`](crate::SiteSpec::edition)
//! has changed about one page in ten per edition (a changed page ends with an HTML
//! comment naming its version, so its body and `ETag` differ; its links stay the same, so
//! the site's shape does not change).

use crate::rng::{hash3, mix64};

/// Salt of the per-edition change draw.
const EDITION_SALT: u64 = 0x6564_6974_696f_6e73;

/// How many of editions `1..=edition` changed page `id` of `host`.
pub(crate) fn version(seed: u64, host: usize, id: u32, edition: u32) -> u32 {
    (1..=edition)
        .filter(|&e| {
            hash3(
                seed ^ EDITION_SALT,
                mix64(host as u64) ^ u64::from(e),
                u64::from(id),
            )
            .is_multiple_of(10)
        })
        .fold(0, |n, _| n + 1)
}

/// The page's `ETag` (strong) at `version`.
pub(crate) fn etag(seed: u64, host: usize, id: u32, version: u32) -> String {
    format!("\"{seed:x}-{host}-{id}-{version}\"")
}

/// Whether an `If-None-Match` value names `etag` (a list, `*`, weak forms compared
/// weakly, as RFC 9110 §13.1.2 says for `If-None-Match`).
pub(crate) fn matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match.trim() == "*"
        || (if_none_match.split(','))
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == etag)
}

/// The comment a changed page ends with.
pub(crate) fn marker(version: u32) -> String {
    format!("\n<!-- version {version} -->\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_one_page_in_ten_changes_per_edition() {
        let changed = (0..10_000).filter(|&id| version(1, 0, id, 1) > 0).count();
        assert!((800..1200).contains(&changed), "{changed}");
        assert!((0..1000).all(|id| version(1, 0, id, 0) == 0));
        assert!((0..1000).all(|id| version(1, 0, id, 2) >= version(1, 0, id, 1)));
    }

    #[test]
    fn if_none_match_lists_and_weak_forms() {
        let e = etag(1, 0, 5, 0);
        assert!(matches(&e, &e));
        assert!(matches(&format!("\"x\", W/{e}"), &e));
        assert!(matches("*", &e));
        assert!(!matches("\"x\"", &e));
    }
}
