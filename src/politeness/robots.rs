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
//!
//! Rules are kept for at most the crawl's `robots_max_age` (24 hours by default, as RFC
//! 9309 §2.4 asks), then asked for again; each known host notes when its file was read
//! (wall-clock time, so a durable crawl can keep the age across restarts).

use crate::error::FetchError;
use crate::frontier::HostId;
use crate::retry::RetryPolicy;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
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
    /// The rules are known, read from this body (`None`: unavailable, all allowed).
    Rules(Arc<RobotsRules>, Option<Arc<[u8]>>),
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
        200..=299 => {
            let body = &body[..body.len().min(ROBOTS_MAX_BYTES)];
            RobotsAnswer::Rules(Arc::new(RobotsRules::parse(agent, body)), Some(body.into()))
        }
        300..=399 => match location.map(str::trim).filter(|l| !l.is_empty()) {
            Some(l) if hops < ROBOTS_MAX_REDIRECTS => RobotsAnswer::Redirect(l.to_string()),
            _ => RobotsAnswer::Rules(Arc::new(RobotsRules::AllowAll), None),
        },
        429 | 500..=599 => RobotsAnswer::Unreachable {
            error: FetchError::Status(status),
            retry_after,
        },
        _ => RobotsAnswer::Rules(Arc::new(RobotsRules::AllowAll), None),
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
    /// When the known rules were read.
    read_at: Option<SystemTime>,
}

impl Entry {
    const UNKNOWN: Entry = Entry {
        access: Access::Unknown,
        failures: 0,
        read_at: None,
    };
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
            self.hosts.resize_with(i + 1, || Entry::UNKNOWN);
        }
        &mut self.hosts[i]
    }

    /// What is known about `host`.
    /// Forgets `host` (its slot is reused): a host that comes back asks again.
    pub(crate) fn forget(&mut self, host: HostId) {
        if let Some(e) = self.hosts.get_mut(host as usize) {
            *e = Entry::UNKNOWN;
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

    /// `host`'s rules are known, as read at `read_at`.
    pub(crate) fn resolve(&mut self, host: HostId, rules: Arc<RobotsRules>, read_at: SystemTime) {
        let e = self.entry(host);
        e.access = Access::Known(rules);
        e.read_at = Some(read_at);
    }

    /// `host` was given up on (as an earlier run of the crawl found): its URLs fail.
    pub(crate) fn give_up(&mut self, host: HostId, error: FetchError) {
        self.entry(host).access = Access::Unavailable(error);
    }

    /// Hosts whose known rules were read longer than `max_age` before `now`.
    pub(crate) fn stale(&self, now: SystemTime, max_age: Duration) -> Vec<HostId> {
        let old = |e: &Entry| {
            matches!(e.access, Access::Known(_))
                && e.read_at
                    .is_some_and(|t| now.duration_since(t).is_ok_and(|age| age >= max_age))
        };
        (self.hosts.iter().enumerate())
            .filter(|(_, e)| old(e))
            .filter_map(|(i, _)| HostId::try_from(i).ok())
            .collect()
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
mod tests;
