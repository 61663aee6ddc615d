//! robots.txt (RFC 9309): what one host's file says to trawler, and what each kind of
//! HTTP answer for it means.
//!
//! Parsing and matching are `texting_robots`' (Google's and Moz's test suites ported,
//! run over 34M real files): it picks the group of our product token (or `*`), applies
//! the longest match with Allow winning ties, and reads `Crawl-delay` and `Sitemap:`.
//! What this module adds is the protocol around it, as plain functions and a plain
//! per-host table, so every rule is unit-tested without a server:
//!
//! * 2xx: the rules are obeyed; the first [`ROBOTS_MAX_BYTES`] are parsed (the RFC's
//!   floor), the rest ignored. A body the parser rejects outright allows everything
//!   (RFC 9309 §2.2.2: unparsable lines are ignored), with a warning.
//! * 3xx: followed up to [`ROBOTS_MAX_REDIRECTS`] hops, to any host; past that, or
//!   without a `Location`, the file counts as unavailable: everything is allowed (§2.3.1.2).
//! * 4xx other than 429: unavailable, everything is allowed (§2.3.1.3).
//! * 429, 5xx, or no answer (connect error, timeout): unreachable. The host is held
//!   (nothing fetched from it, as §2.3.1.4's "complete disallow" asks) and robots.txt is
//!   asked again after the crawl's retry backoff, honouring `Retry-After`. When the
//!   retries of the [`RetryPolicy`] run out, the host stays disallowed for the rest of the
//!   crawl and each of its URLs fails (with no attempt made) with
//!   [`FetchError::RobotsUnavailable`], which says how often robots.txt was asked for and
//!   what the last attempt met (the status, or the transport error). A failure rather
//!   than a skip, because the pages were never judged, and a link checker must report a
//!   dead host as broken.

use crate::error::FetchError;
use crate::frontier::HostId;
use crate::retry::RetryPolicy;
use std::sync::Arc;
use std::time::Duration;
use texting_robots::Robot;
use url::Url;

/// The most of a robots.txt body read and parsed: 500 KiB (RFC 9309 §2.5).
pub(crate) const ROBOTS_MAX_BYTES: usize = 500 * 1024;
/// Redirect hops followed when fetching robots.txt (RFC 9309 §2.3.1.2 asks for at least 5).
pub(crate) const ROBOTS_MAX_REDIRECTS: u8 = 5;

/// The product token robots.txt groups are matched against: the user agent up to its
/// first `/`, space or `;` (`trawler` for `trawler/0.1 (+https://...)`), lowercased.
pub(crate) fn agent_token(user_agent: &str) -> String {
    let token: String = user_agent
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    if token.is_empty() {
        // An agent with no usable token can only be addressed by `User-agent: *`.
        "*".to_string()
    } else {
        token.to_ascii_lowercase()
    }
}

/// Where the robots.txt of `url`'s host is: same scheme, host and port, path `/robots.txt`.
pub(crate) fn robots_url(url: &Url) -> Option<Url> {
    url.host_str()?;
    let mut r = url.clone();
    r.set_path("/robots.txt");
    r.set_query(None);
    r.set_fragment(None);
    // Credentials in a seed are not meant for robots.txt.
    let _ = r.set_username("");
    let _ = r.set_password(None);
    Some(r)
}

/// `text` as rules and paths are compared (RFC 9309 §2.2.2): percent-encoded unreserved
/// characters decoded (`/%73ecret` is `/secret`), the other escapes in upper case.
fn match_form(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('%') {
        return text.into();
    }
    let decoded = crate::canon::decode_unreserved(text).unwrap_or_else(|| text.to_string());
    let b = decoded.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit()
        {
            out.push('%');
            out.push(b[i + 1].to_ascii_uppercase() as char);
            out.push(b[i + 2].to_ascii_uppercase() as char);
            i += 3;
        } else {
            let next = (i + 1..b.len()).find(|&j| b[j] == b'%').unwrap_or(b.len());
            out.push_str(&decoded[i..next]);
            i = next;
        }
    }
    out.into()
}

/// A robots.txt body with the value of every `Allow`/`Disallow` line in [`match_form`].
fn rules_match_form(body: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !body.contains(&b'%') {
        return body.into();
    }
    let mut out = Vec::with_capacity(body.len());
    for line in body.split_inclusive(|&b| b == b'\n') {
        let rule = line.iter().position(|&b| b == b':').filter(|&colon| {
            let key = line[..colon].trim_ascii().to_ascii_lowercase();
            key == b"allow" || key == b"disallow"
        });
        match (rule, std::str::from_utf8(line)) {
            (Some(colon), Ok(text)) if line[colon..].contains(&b'%') => {
                out.extend_from_slice(&line[..=colon]);
                out.extend_from_slice(match_form(&text[colon + 1..]).as_bytes());
            }
            _ => out.extend_from_slice(line),
        }
    }
    out.into()
}

/// The rules of one host for this crawler.
#[derive(Debug)]
pub(crate) enum RobotsRules {
    /// No restriction: no usable file (4xx, too many redirects) or robots turned off.
    AllowAll,
    /// What the host's file says.
    Parsed(Robot),
}

impl RobotsRules {
    /// Parses a 2xx body for `agent` (a product token), up to [`ROBOTS_MAX_BYTES`].
    pub(crate) fn parse(agent: &str, body: &[u8]) -> RobotsRules {
        let body = &body[..body.len().min(ROBOTS_MAX_BYTES)];
        let body = rules_match_form(body);
        match Robot::new(agent, &body) {
            Ok(robot) => RobotsRules::Parsed(robot),
            Err(e) => {
                tracing::warn!(error = %e, "robots.txt does not parse; allowing everything");
                RobotsRules::AllowAll
            }
        }
    }

    /// Whether `url` may be fetched (its path and query are matched).
    pub(crate) fn allows(&self, url: &Url) -> bool {
        match self {
            RobotsRules::AllowAll => true,
            // A path-and-query string spares the parser re-parsing the whole URL.
            RobotsRules::Parsed(r) => r.allowed(&match_form(&url[url::Position::BeforePath..])),
        }
    }

    /// The `Crawl-delay` for this agent, at most `cap`; `None` if absent, zero or invalid.
    pub(crate) fn crawl_delay(&self, cap: Duration) -> Option<Duration> {
        let RobotsRules::Parsed(r) = self else {
            return None;
        };
        let secs = f64::from(r.delay?);
        if !(secs.is_finite() && secs > 0.0) {
            return None;
        }
        Some(Duration::try_from_secs_f64(secs).map_or(cap, |d| d.min(cap))).filter(|d| !d.is_zero())
    }

    /// The `Sitemap:` URLs of the file, as written.
    pub(crate) fn sitemaps(&self) -> &[String] {
        match self {
            RobotsRules::AllowAll => &[],
            RobotsRules::Parsed(r) => &r.sitemaps,
        }
    }
}

/// What one answer to a robots.txt request means.
#[derive(Debug)]
pub(crate) enum RobotsAnswer {
    /// The rules are known.
    Rules(Arc<RobotsRules>),
    /// Ask again at this `Location` (raw, to resolve against the request URL).
    Redirect(String),
    /// No usable answer for now: hold the host and ask again later.
    Unreachable {
        error: FetchError,
        retry_after: Option<Duration>,
    },
}

/// Reads one HTTP answer for robots.txt; `hops` is how many redirects led to it.
pub(crate) fn interpret(
    agent: &str,
    status: u16,
    location: Option<&str>,
    hops: u8,
    body: &[u8],
    retry_after: Option<Duration>,
) -> RobotsAnswer {
    match status {
        200..=299 => RobotsAnswer::Rules(Arc::new(RobotsRules::parse(agent, body))),
        300..=399 => match location.map(str::trim).filter(|l| !l.is_empty()) {
            Some(l) if hops < ROBOTS_MAX_REDIRECTS => RobotsAnswer::Redirect(l.to_string()),
            _ => RobotsAnswer::Rules(Arc::new(RobotsRules::AllowAll)),
        },
        429 | 500..=599 => RobotsAnswer::Unreachable {
            error: FetchError::Status(status),
            retry_after,
        },
        _ => RobotsAnswer::Rules(Arc::new(RobotsRules::AllowAll)),
    }
}

/// What the crawl knows about one host's robots.txt.
#[derive(Debug, Clone)]
pub(crate) enum Access {
    /// Not asked yet: ask before anything else goes to the host.
    Unknown,
    /// Being asked (or waiting to ask again): hold the host.
    Pending,
    /// Known: judge each URL by these rules.
    Known(Arc<RobotsRules>),
    /// Gave up: every URL of the host fails with this error.
    Unavailable(FetchError),
}

/// After a failed robots.txt attempt: ask again after a while, or give up on the host.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Ask again after this wait.
    RetryIn(Duration),
    /// No more retries: the host is now [`Access::Unavailable`].
    GaveUp,
}

#[derive(Debug)]
struct Entry {
    access: Access,
    /// Failed attempts so far (redirect hops are not failures).
    failures: u32,
}

/// The robots.txt state of every host of a crawl, indexed by frontier host id.
#[derive(Debug, Default)]
pub(crate) struct RobotsCache {
    hosts: Vec<Entry>,
}

impl RobotsCache {
    fn entry(&mut self, host: HostId) -> &mut Entry {
        let i = host as usize;
        if self.hosts.len() <= i {
            self.hosts.resize_with(i + 1, || Entry {
                access: Access::Unknown,
                failures: 0,
            });
        }
        &mut self.hosts[i]
    }

    /// What is known about `host`.
    /// Forgets `host` (its slot is reused): a host that comes back asks again.
    pub(crate) fn forget(&mut self, host: HostId) {
        if let Some(e) = self.hosts.get_mut(host as usize) {
            *e = Entry {
                access: Access::Unknown,
                failures: 0,
            };
        }
    }

    pub(crate) fn access(&self, host: HostId) -> &Access {
        static UNKNOWN: Access = Access::Unknown;
        self.hosts
            .get(host as usize)
            .map_or(&UNKNOWN, |e| &e.access)
    }

    /// `host`'s robots.txt is being asked for: it is pending from now on.
    pub(crate) fn start(&mut self, host: HostId) {
        self.entry(host).access = Access::Pending;
    }

    /// `host`'s rules are known.
    pub(crate) fn resolve(&mut self, host: HostId, rules: Arc<RobotsRules>) {
        self.entry(host).access = Access::Known(rules);
    }

    /// An attempt for `host` failed with `error`: retry per `policy`, or give up.
    pub(crate) fn fail(
        &mut self,
        host: HostId,
        policy: &RetryPolicy,
        error: FetchError,
        retry_after: Option<Duration>,
    ) -> Failure {
        let e = self.entry(host);
        e.failures += 1;
        if let Some(wait) = policy.after_failure(e.failures, retry_after) {
            e.access = Access::Pending;
            Failure::RetryIn(wait)
        } else {
            e.access = Access::Unavailable(FetchError::RobotsUnavailable {
                cause: match error {
                    FetchError::Status(s) => format!("HTTP status {s}"),
                    other => other.to_string(),
                },
                attempts: e.failures,
            });
            Failure::GaveUp
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_match_what_they_encode() {
        let rules = RobotsRules::parse(
            "trawler",
            b"User-agent: *\nDisallow: /secret\nDisallow: /%7Ehome\nDISALLOW:/a%2fb\nAllow: /%2d\n",
        );
        let url = |p: &str| Url::parse(&format!("http://a.test{p}")).unwrap();
        assert!(
            !rules.allows(&url("/%73ecret")),
            "an escaped letter is the letter"
        );
        assert!(!rules.allows(&url("/secret/x")));
        assert!(
            !rules.allows(&url("/~home")),
            "a rule's escape matches the plain path"
        );
        assert!(!rules.allows(&url("/%7ehome")));
        assert!(!rules.allows(&url("/a%2Fb")), "escape case does not matter");
        assert!(
            rules.allows(&url("/a/b")),
            "a reserved escape is not its character"
        );
        assert!(rules.allows(&url("/public")));
        assert_eq!(match_form("/%7e%2f%41"), "/~%2FA");
        assert_eq!(match_form("/plain"), "/plain");
    }

    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn rules(body: &str) -> RobotsRules {
        RobotsRules::parse("trawler", body.as_bytes())
    }

    #[test]
    fn the_product_token_is_the_agent_up_to_its_version() {
        assert_eq!(agent_token("trawler/0.1 (+https://x.test/bot)"), "trawler");
        assert_eq!(agent_token("  My_Bot-2 rest"), "my_bot-2");
        assert_eq!(agent_token("/0.1"), "*");
    }

    #[test]
    fn robots_url_keeps_scheme_host_and_port_only() {
        assert_eq!(
            robots_url(&u("http://u:p@127.0.0.1:8080/a/b?q=1#f"))
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8080/robots.txt"
        );
        assert_eq!(
            robots_url(&u("https://a.test/")).unwrap().as_str(),
            "https://a.test/robots.txt"
        );
    }

    #[test]
    fn our_group_wins_over_the_star_group() {
        let r = rules("User-agent: *\nDisallow: /\n\nUser-agent: Trawler\nDisallow: /private\n");
        assert!(r.allows(&u("http://a.test/public")));
        assert!(!r.allows(&u("http://a.test/private/x")));
        let other = RobotsRules::parse("otherbot", b"User-agent: *\nDisallow: /\n");
        assert!(!other.allows(&u("http://a.test/public")));
    }

    #[test]
    fn the_longest_match_wins_and_allow_wins_ties() {
        let r = rules("User-agent: *\nDisallow: /docs/\nAllow: /docs/public/\nDisallow: /*.pdf$\n");
        assert!(!r.allows(&u("http://a.test/docs/secret.html")));
        assert!(r.allows(&u("http://a.test/docs/public/a.html")));
        assert!(!r.allows(&u("http://a.test/x.pdf")));
        assert!(r.allows(&u("http://a.test/x.pdf?v=1")));
        let tie = rules("User-agent: *\nDisallow: /page\nAllow: /page\n");
        assert!(tie.allows(&u("http://a.test/page")));
    }

    #[test]
    fn queries_are_matched_and_robots_txt_itself_is_always_allowed() {
        let r = rules("User-agent: *\nDisallow: /search?\nDisallow: /\n");
        assert!(!r.allows(&u("http://a.test/search?q=1")));
        assert!(r.allows(&u("http://a.test/robots.txt")));
    }

    #[test]
    fn crawl_delay_is_read_and_capped() {
        let cap = Duration::from_secs(30);
        let r = rules("User-agent: trawler\nCrawl-delay: 2.5\nDisallow:\n");
        assert_eq!(r.crawl_delay(cap), Some(Duration::from_millis(2500)));
        let r = rules("User-agent: *\nCrawl-delay: 3600\n");
        assert_eq!(r.crawl_delay(cap), Some(cap));
        assert_eq!(
            rules("User-agent: *\nCrawl-delay: 0\n").crawl_delay(cap),
            None
        );
        assert_eq!(rules("User-agent: *\nDisallow:\n").crawl_delay(cap), None);
        assert_eq!(RobotsRules::AllowAll.crawl_delay(cap), None);
        assert_eq!(r.crawl_delay(Duration::ZERO), None, "a zero cap ignores it");
    }

    #[test]
    fn sitemaps_are_listed_whatever_the_group() {
        let r = rules(
            "Sitemap: http://a.test/s1.xml\nUser-agent: x\nDisallow: /\nSitemap: http://a.test/s2.xml.gz\n",
        );
        assert_eq!(
            r.sitemaps(),
            ["http://a.test/s1.xml", "http://a.test/s2.xml.gz"]
        );
    }

    #[test]
    fn the_body_is_parsed_up_to_the_cap_only() {
        let mut body = "User-agent: *\nDisallow: /a\n".to_string();
        body.push_str(&"#".repeat(ROBOTS_MAX_BYTES));
        body.push_str("\nDisallow: /b\n");
        let r = rules(&body);
        assert!(!r.allows(&u("http://a.test/a")));
        assert!(r.allows(&u("http://a.test/b")), "past the cap");
    }

    fn is_allow_all(a: &RobotsAnswer) -> bool {
        matches!(a, RobotsAnswer::Rules(r) if matches!(**r, RobotsRules::AllowAll))
    }

    #[test]
    fn statuses_mean_what_rfc_9309_says() {
        let body = b"User-agent: *\nDisallow: /";
        match interpret("trawler", 200, None, 0, body, None) {
            RobotsAnswer::Rules(r) => assert!(!r.allows(&u("http://a.test/x"))),
            other => panic!("{other:?}"),
        }
        for s in [400, 401, 403, 404, 410] {
            assert!(
                is_allow_all(&interpret("trawler", s, None, 0, body, None)),
                "{s}"
            );
        }
        for s in [429, 500, 503, 599] {
            let a = interpret("trawler", s, None, 0, body, Some(Duration::from_secs(1)));
            assert!(
                matches!(a, RobotsAnswer::Unreachable { ref error, retry_after: Some(_) } if *error == FetchError::Status(s)),
                "{s}: {a:?}"
            );
        }
        assert!(matches!(
            interpret("trawler", 301, Some(" /r2.txt "), 4, body, None),
            RobotsAnswer::Redirect(l) if l == "/r2.txt"
        ));
        assert!(
            is_allow_all(&interpret("trawler", 302, Some("/r.txt"), 5, body, None)),
            "hop 6"
        );
        assert!(is_allow_all(&interpret(
            "trawler", 302, None, 0, body, None
        )));
    }

    #[test]
    fn failures_retry_by_the_policy_then_give_up() {
        let policy = RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(100),
            ..RetryPolicy::default()
        };
        let mut c = RobotsCache::default();
        assert!(matches!(c.access(7), Access::Unknown));
        c.start(7);
        assert!(matches!(c.access(7), Access::Pending));
        assert!(
            matches!(c.access(3), Access::Unknown),
            "other hosts untouched"
        );
        let err = || FetchError::Status(503);
        match c.fail(7, &policy, err(), None) {
            Failure::RetryIn(d) => {
                assert!(d >= Duration::from_millis(50) && d <= Duration::from_millis(100))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(c.access(7), Access::Pending));
        // Retry-After wins when longer.
        assert_eq!(
            c.fail(7, &policy, err(), Some(Duration::from_secs(5))),
            Failure::RetryIn(Duration::from_secs(5))
        );
        assert_eq!(c.fail(7, &policy, err(), None), Failure::GaveUp);
        match c.access(7) {
            Access::Unavailable(e) => {
                assert_eq!(
                    *e,
                    FetchError::RobotsUnavailable {
                        cause: "HTTP status 503".into(),
                        attempts: 3
                    }
                )
            }
            other => panic!("{other:?}"),
        }
        // No answer at all: the host's URLs say so, and how often it was tried.
        let no_retry = RetryPolicy {
            max_retries: 0,
            ..policy.clone()
        };
        let connect = FetchError::Connect("refused".into());
        assert_eq!(c.fail(5, &no_retry, connect.clone(), None), Failure::GaveUp);
        assert!(matches!(
            c.access(5),
            Access::Unavailable(FetchError::RobotsUnavailable { cause, attempts: 1 })
                if *cause == connect.to_string()
        ));
        c.resolve(3, Arc::new(RobotsRules::AllowAll));
        assert!(matches!(c.access(3), Access::Known(_)));
    }
}
