//! Which URLs a crawl admits: allowed hosts, include/exclude patterns, depth, URL length and
//! the per-URL crawler-trap rules (`traps`).
//!
//! A plain struct shared (behind an `Arc`) by every parser and the supervisor, so each
//! discovered link is judged where it is found, off the supervisor's thread.

use crate::error::ConfigError;
use crate::outcome::SkipReason;
use crate::robots_meta::DirectiveRules;
use crate::traps::TrapRules;
use regex::Regex;
use url::{Host, Url};

/// One allowed-host rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostRule {
    /// Every host.
    Any,
    /// This host on this port (the default for seeds: their exact origin).
    Exact { host: String, port: u16 },
    /// This domain and its subdomains, any port.
    Domain(String),
}

impl HostRule {
    /// The exact-origin rule of a seed.
    pub(crate) fn exact_of(url: &Url) -> Option<HostRule> {
        Some(HostRule::Exact {
            host: url.host_str()?.to_string(),
            port: url.port_or_known_default()?,
        })
    }

    /// Parses `*`, `host`, or `host:port` (IPv6 as `[::1]:8080`).
    pub(crate) fn parse(text: &str) -> Result<HostRule, ConfigError> {
        let t = text.trim().trim_end_matches('.').to_ascii_lowercase();
        let bad = || ConfigError::BadHost {
            host: text.to_string(),
        };
        if t == "*" {
            return Ok(HostRule::Any);
        }
        if t.is_empty() || t.contains('/') {
            return Err(bad());
        }
        // Let the URL parser validate and normalize (IDN, IPv4 forms) for us.
        let url = Url::parse(&format!("http://{t}/")).map_err(|_| bad())?;
        let host = url.host_str().ok_or_else(bad)?.to_string();
        Ok(match url.port() {
            Some(port) => HostRule::Exact { host, port },
            None if t.ends_with(":80") => HostRule::Exact { host, port: 80 },
            None => HostRule::Domain(host),
        })
    }

    fn admits(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        match self {
            HostRule::Any => true,
            HostRule::Exact { host: h, port } => {
                h == host && url.port_or_known_default() == Some(*port)
            }
            HostRule::Domain(d) => {
                host == d
                    || (matches!(url.host(), Some(Host::Domain(_)))
                        && host.len() > d.len()
                        && host.ends_with(d.as_str())
                        && host.as_bytes()[host.len() - d.len() - 1] == b'.')
            }
        }
    }
}

/// The admission rules of a crawl.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    pub(crate) hosts: Vec<HostRule>,
    pub(crate) include: Vec<Regex>,
    pub(crate) exclude: Vec<Regex>,
    pub(crate) max_depth: Option<u32>,
    pub(crate) max_url_len: usize,
    pub(crate) traps: TrapRules,
    /// What pages' robots directives do to their links (`rel="nofollow"`, `nofollow`).
    pub(crate) directives: DirectiveRules,
}

impl Scope {
    /// Whether `url`'s host is allowed (sitemap files are fetched only from such hosts).
    pub(crate) fn host_allowed(&self, url: &Url) -> bool {
        self.hosts.iter().any(|r| r.admits(url))
    }

    /// Why `url` at `depth` is not admitted, or `Ok` if it is. Cheap checks go first, and the
    /// trap rules last: a URL that is off-host anyway is reported as such, not as a trap.
    pub(crate) fn check(&self, url: &Url, depth: u32) -> Result<(), SkipReason> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(SkipReason::Scheme);
        }
        if url.as_str().len() > self.max_url_len {
            return Err(SkipReason::UrlTooLong);
        }
        if self.max_depth.is_some_and(|max| depth > max) {
            return Err(SkipReason::Depth);
        }
        if !self.hosts.iter().any(|r| r.admits(url)) {
            return Err(SkipReason::OffHost);
        }
        // The seeds (depth 0) are always fetched: the patterns choose among the links found
        // from them, so `--include '/docs/'` from a site's home page still gets somewhere.
        let s = url.as_str();
        if depth > 0
            && ((!self.include.is_empty() && !self.include.iter().any(|r| r.is_match(s)))
                || self.exclude.iter().any(|r| r.is_match(s)))
        {
            return Err(SkipReason::Filtered);
        }
        self.traps.check(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn scope(hosts: &[&str]) -> Scope {
        Scope {
            hosts: hosts.iter().map(|h| HostRule::parse(h).unwrap()).collect(),
            include: vec![],
            exclude: vec![],
            max_depth: None,
            max_url_len: 100,
            traps: TrapRules::default(),
            directives: DirectiveRules::default(),
        }
    }

    #[test]
    fn exact_origin_is_the_seed_default() {
        let s = Scope {
            hosts: vec![HostRule::exact_of(&u("http://127.0.0.1:8080/")).unwrap()],
            ..scope(&[])
        };
        assert_eq!(s.check(&u("http://127.0.0.1:8080/a"), 1), Ok(()));
        assert_eq!(
            s.check(&u("http://127.0.0.1:9/a"), 1),
            Err(SkipReason::OffHost)
        );
        assert_eq!(s.check(&u("https://127.0.0.1:8080/"), 1), Ok(()));
        assert_eq!(
            s.check(&u("http://127.0.0.2:8080/"), 1),
            Err(SkipReason::OffHost)
        );
    }

    #[test]
    fn domain_rules_admit_subdomains_only() {
        let s = scope(&["Example.com"]);
        assert_eq!(s.check(&u("http://example.com:81/"), 0), Ok(()));
        assert_eq!(s.check(&u("https://www.example.com/"), 0), Ok(()));
        assert_eq!(
            s.check(&u("http://badexample.com/"), 0),
            Err(SkipReason::OffHost)
        );
        assert_eq!(
            s.check(&u("http://example.com.evil.test/"), 0),
            Err(SkipReason::OffHost)
        );
        let s = scope(&["example.com:8080"]);
        assert_eq!(s.check(&u("http://example.com:8080/"), 0), Ok(()));
        assert_eq!(
            s.check(&u("http://example.com/"), 0),
            Err(SkipReason::OffHost)
        );
        assert_eq!(scope(&["*"]).check(&u("http://x.test/"), 0), Ok(()));
        assert!(HostRule::parse("").is_err());
        assert!(HostRule::parse("a b").is_err());
    }

    #[test]
    fn patterns_depth_length_and_scheme() {
        let mut s = scope(&["a.test"]);
        s.include = vec![Regex::new("/docs/").unwrap()];
        s.exclude = vec![Regex::new(r"\.pdf$").unwrap()];
        s.max_depth = Some(2);
        assert_eq!(s.check(&u("http://a.test/docs/x"), 2), Ok(()));
        assert_eq!(
            s.check(&u("http://a.test/docs/x"), 3),
            Err(SkipReason::Depth)
        );
        assert_eq!(
            s.check(&u("http://a.test/blog/x"), 1),
            Err(SkipReason::Filtered)
        );
        assert_eq!(
            s.check(&u("http://a.test/docs/x.pdf"), 1),
            Err(SkipReason::Filtered)
        );
        // A seed (depth 0) is fetched whatever the patterns say.
        assert_eq!(s.check(&u("http://a.test/blog/x"), 0), Ok(()));
        assert_eq!(s.check(&u("http://a.test/docs/x.pdf"), 0), Ok(()));
        let long = format!("http://a.test/docs/{}", "x".repeat(100));
        assert_eq!(s.check(&u(&long), 0), Err(SkipReason::UrlTooLong));
        assert_eq!(s.check(&u("mailto:x@a.test"), 0), Err(SkipReason::Scheme));
    }

    #[test]
    fn traps_come_after_the_other_rules() {
        let mut s = scope(&["a.test"]);
        s.max_url_len = 2083;
        let trap = "http://a.test/x/x/x";
        assert_eq!(s.check(&u(trap), 0), Err(SkipReason::RepeatedSegments));
        assert_eq!(
            s.check(&u("http://b.test/x/x/x"), 0),
            Err(SkipReason::OffHost)
        );
        s.exclude = vec![Regex::new("/x/").unwrap()];
        assert_eq!(s.check(&u(trap), 1), Err(SkipReason::Filtered));
        s.exclude.clear();
        s.traps.max_segment_repeats = usize::MAX;
        assert_eq!(s.check(&u(trap), 0), Ok(()));
    }
}
