//! What a page says about itself to robots: `<meta name="robots" content="noindex, nofollow">`
//! (or the same under the crawler's own product token, `<meta name="trawler">`) and the
//! `X-Robots-Tag` response header (for all agents, or `trawler: ...` for this one).
//!
//! Read from what the streaming extractor collected and the response headers, so no DOM is
//! needed. Only the two directives a crawler acts on are kept: `nofollow` (with `none`) and
//! `noindex` (with `none`); the rest (`noarchive`, `max-snippet` ...) are for search engines'
//! result pages. What the crawl does with them is configured on the builder
//! ([`obey_nofollow`](crate::CrawlConfigBuilder::obey_nofollow),
//! [`report_noindex`](crate::CrawlConfigBuilder::report_noindex)).

/// The robots directives a page gives this crawler.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RobotsDirectives {
    /// The page asks not to be indexed (`noindex` or `none`).
    pub noindex: bool,
    /// The page asks that its links not be followed (`nofollow` or `none`).
    pub nofollow: bool,
}

impl RobotsDirectives {
    /// Adds one directive token (`noindex`, `nofollow`, `none`; others are ignored).
    fn add(&mut self, token: &str) {
        let token = token.trim();
        if token.eq_ignore_ascii_case("noindex") {
            self.noindex = true;
        } else if token.eq_ignore_ascii_case("nofollow") {
            self.nofollow = true;
        } else if token.eq_ignore_ascii_case("none") {
            self.noindex = true;
            self.nofollow = true;
        }
    }
}

/// What the crawl does with the directives; part of the crawl's scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DirectiveRules {
    /// The product token the directives may be addressed to (`trawler`), lowercased.
    pub(crate) agent: String,
    /// Follow no link of a page that says `nofollow`.
    pub(crate) obey_nofollow: bool,
    /// Report `noindex` on the page's outcome.
    pub(crate) report_noindex: bool,
    /// Follow links marked `rel="nofollow"`.
    pub(crate) follow_rel_nofollow: bool,
}

impl Default for DirectiveRules {
    fn default() -> Self {
        DirectiveRules {
            agent: "trawler".to_string(),
            obey_nofollow: true,
            report_noindex: true,
            follow_rel_nofollow: true,
        }
    }
}

/// Whether a `<meta content>` value holds a directive this module reads (a cheap filter for
/// the extractor, which sees every `<meta>`).
pub(crate) fn mentions_directive(content: &str) -> bool {
    let lower = content.to_ascii_lowercase();
    lower.contains("noindex") || lower.contains("nofollow") || lower.contains("none")
}

/// The directives for `agent` from the `(name, content)` of robots `<meta>` tags and the
/// values of the `X-Robots-Tag` headers.
pub(crate) fn directives<'h>(
    meta: &[(String, String)],
    x_robots_tags: impl Iterator<Item = &'h str>,
    agent: &str,
) -> RobotsDirectives {
    let mut d = RobotsDirectives::default();
    for (name, content) in meta {
        if name == "robots" || name.eq_ignore_ascii_case(agent) {
            content.split(',').for_each(|t| d.add(t));
        }
    }
    for value in x_robots_tags {
        // `noindex, nofollow` is for every agent; `trawler: noindex` (or `otherbot: ...`)
        // for the named one, up to the next name.
        let mut for_us = true;
        for item in value.split(',') {
            let mut token = item.trim();
            if let Some((name, rest)) = token.split_once(':')
                && is_agent_name(name)
            {
                for_us = name.trim().eq_ignore_ascii_case(agent);
                token = rest;
            }
            if for_us {
                d.add(token);
            }
        }
    }
    d
}

/// Whether the text before a `:` in `X-Robots-Tag` names an agent rather than being a
/// directive with a value (`unavailable_after: ...`, `max-snippet: 20`).
fn is_agent_name(name: &str) -> bool {
    let name = name.trim();
    !name.is_empty()
        && !name.contains(char::is_whitespace)
        && ![
            "unavailable_after",
            "max-snippet",
            "max-image-preview",
            "max-video-preview",
        ]
        .iter()
        .any(|d| name.eq_ignore_ascii_case(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, c)| (n.to_string(), c.to_string()))
            .collect()
    }

    fn of(m: &[(&str, &str)], headers: &[&str]) -> (bool, bool) {
        let d = directives(&meta(m), headers.iter().copied(), "trawler");
        (d.noindex, d.nofollow)
    }

    #[test]
    fn meta_tags_for_all_robots_or_for_this_one() {
        assert_eq!(of(&[("robots", "noindex, nofollow")], &[]), (true, true));
        assert_eq!(of(&[("robots", "NOFOLLOW")], &[]), (false, true));
        assert_eq!(of(&[("robots", "none")], &[]), (true, true));
        assert_eq!(of(&[("trawler", "noindex")], &[]), (true, false));
        assert_eq!(
            of(&[("googlebot", "noindex, nofollow")], &[]),
            (false, false)
        );
        assert_eq!(
            of(&[("robots", "noarchive, nosnippet")], &[]),
            (false, false)
        );
        assert_eq!(of(&[("robots", "index, follow")], &[]), (false, false));
    }

    #[test]
    fn x_robots_tag_for_all_or_by_name() {
        assert_eq!(of(&[], &["noindex"]), (true, false));
        assert_eq!(of(&[], &["noindex, nofollow"]), (true, true));
        assert_eq!(of(&[], &["googlebot: nofollow"]), (false, false));
        assert_eq!(of(&[], &["trawler: nofollow"]), (false, true));
        assert_eq!(
            of(&[], &["googlebot: noindex, trawler: none"]),
            (true, true)
        );
        assert_eq!(
            of(&[], &["trawler: noindex, otherbot: nofollow"]),
            (true, false)
        );
        assert_eq!(
            of(&[], &["unavailable_after: 25 Jun 2010 15:00:00 PST"]),
            (false, false)
        );
        assert_eq!(of(&[], &["max-snippet: 20, nofollow"]), (false, true));
        assert_eq!(of(&[("robots", "noindex")], &["nofollow"]), (true, true));
    }

    #[test]
    fn the_extractor_keeps_only_tags_that_mention_a_directive() {
        assert!(mentions_directive("NoIndex"));
        assert!(mentions_directive("none"));
        assert!(!mentions_directive("width=device-width"));
    }
}
