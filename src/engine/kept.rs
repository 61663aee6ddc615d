//! What a durable crawl keeps of its sites beyond their URLs: each host's robots.txt (the
//! body read, or that it was missing or given up on, with the time it was read) and each
//! sitemap taken on (still to read, or read). Both are noted in the journal when they
//! change, so they are committed with the outcomes and URLs that came of them, and taken
//! back on resume: a host's robots.txt is not asked for again while its rules are young
//! enough ([`robots_max_age`](crate::CrawlConfigBuilder::robots_max_age)), its
//! `Crawl-delay` holds, a sitemap read is not read again and one taken on and not read yet
//! is. The records are opaque bytes to the store; their encoding is here, and a record
//! that does not decode is ignored with a warning (the file is then asked for again).
//!
//! A robots.txt record is looked up when the crawl first meets the host (one store
//! lookup per host, never a scan), so resuming a crawl over a million hosts loads none of
//! them up front. Sitemap records (at most a thousand per crawl) are all read on resume.

use super::Engine;
use crate::canon;
use crate::error::FetchError;
use crate::frontier::HostId;
use crate::politeness::robots::{self, RobotsRules};
use crate::spider::Spider;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use url::Url;

/// The records' version byte.
const VERSION: u8 = 1;

/// What a host's robots.txt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RobotsKept {
    /// A 2xx body (up to the parsed length), as the answer brought it: parsed again on
    /// resume.
    Body(Arc<[u8]>),
    /// No usable file (4xx, a redirect to nowhere): everything allowed.
    AllowAll,
    /// Given up on: the host's URLs fail with `RobotsUnavailable`.
    Unavailable { cause: String, attempts: u32 },
}

/// A robots.txt record: version, kind, the time it was read (seconds since the epoch),
/// then the body, or the attempts and the cause.
pub(crate) fn encode_robots(kept: &RobotsKept, read_at: SystemTime) -> Vec<u8> {
    let secs = read_at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut out = vec![VERSION];
    let (kind, payload): (u8, &[u8]) = match kept {
        RobotsKept::Body(b) => (0, b),
        RobotsKept::AllowAll => (1, &[]),
        RobotsKept::Unavailable { cause, .. } => (2, cause.as_bytes()),
    };
    out.push(kind);
    out.extend_from_slice(&secs.to_be_bytes());
    if let RobotsKept::Unavailable { attempts, .. } = kept {
        out.extend_from_slice(&attempts.to_be_bytes());
    }
    out.extend_from_slice(payload);
    out
}

/// A robots.txt record back (`None`: not one).
pub(crate) fn decode_robots(bytes: &[u8]) -> Option<(RobotsKept, SystemTime)> {
    let (&[VERSION, kind], rest) = bytes.split_first_chunk::<2>()? else {
        return None;
    };
    let (secs, rest) = rest.split_first_chunk::<8>()?;
    let read_at =
        SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(u64::from_be_bytes(*secs)))?;
    let kept = match kind {
        0 => RobotsKept::Body(rest.into()),
        1 if rest.is_empty() => RobotsKept::AllowAll,
        2 => {
            let (attempts, cause) = rest.split_first_chunk::<4>()?;
            RobotsKept::Unavailable {
                cause: String::from_utf8(cause.to_vec()).ok()?,
                attempts: u32::from_be_bytes(*attempts),
            }
        }
        _ => return None,
    };
    Some((kept, read_at))
}

/// A sitemap record: version, whether it was read, its nesting level, its URL.
pub(crate) fn encode_sitemap(url: &Url, level: u8, read: bool) -> Vec<u8> {
    let mut out = vec![VERSION, u8::from(read), level];
    out.extend_from_slice(url.as_str().as_bytes());
    out
}

/// A sitemap record back: its URL, level and whether it was read (`None`: not one).
pub(crate) fn decode_sitemap(bytes: &[u8]) -> Option<(Url, u8, bool)> {
    let (&[VERSION, read, level], url) = bytes.split_first_chunk::<3>()? else {
        return None;
    };
    let url = Url::parse(std::str::from_utf8(url).ok()?).ok()?;
    (read <= 1).then_some((url, level, read == 1))
}

impl<S: Spider> Engine<S> {
    /// Notes what `host`'s robots.txt (`first`: the file's own URL) came to, read now.
    pub(super) fn keep_robots(&mut self, first: &Url, kept: RobotsKept) {
        if !self.journal.is_on() {
            return;
        }
        if let Some(key) = canon::host_key(first) {
            let record = encode_robots(&kept, SystemTime::now());
            self.journal.robots(canon::host_fingerprint(&key), record);
        }
    }

    /// Takes up what an earlier run kept of the robots.txt of `host` (`page`: one of its
    /// URLs), if it is young enough; returns whether the host's rules are settled now.
    pub(super) fn restore_robots(&mut self, host: HostId, page: &Url) -> bool {
        if !self.journal.is_on() {
            return false;
        }
        let (Some(key), Some(file)) = (canon::host_key(page), robots::robots_url(page)) else {
            return false;
        };
        let record = match self.store.robots(canon::host_fingerprint(&key)) {
            Ok(Some(record)) => record,
            Ok(None) => return false,
            Err(e) => {
                self.store_failed(e);
                return false;
            }
        };
        let Some((kept, read_at)) = decode_robots(&record) else {
            tracing::warn!(host = %key, "the kept robots.txt record cannot be read; asking again");
            return false;
        };
        let age = SystemTime::now()
            .duration_since(read_at)
            .unwrap_or_default();
        if age >= self.cfg.robots_max_age {
            return false;
        }
        let rules = match kept {
            RobotsKept::Body(body) => {
                RobotsRules::parse(&robots::agent_token(&self.cfg.user_agent), &body)
            }
            RobotsKept::AllowAll => RobotsRules::AllowAll,
            RobotsKept::Unavailable { cause, attempts } => {
                let e = FetchError::RobotsUnavailable { cause, attempts };
                self.files.robots.give_up(host, e);
                return true;
            }
        };
        // Spaced from the last time the engine was pumped (this runs inside an event).
        self.robots_known(host, Arc::new(rules), &file, read_at, self.clock);
        true
    }

    /// Notes that the sitemap at `url` (nesting `level`) was taken on, or read.
    pub(super) fn keep_sitemap(&mut self, url: &Url, level: u8, read: bool) {
        if self.journal.is_on() {
            let record = encode_sitemap(url, level, read);
            self.journal.sitemap(canon::fingerprint(url), record);
        }
    }

    /// Takes up the sitemaps an earlier run took on: each is known (not taken on twice),
    /// and one not read yet is queued again (unless the page limit is reached).
    pub(super) fn restore_sitemaps(&mut self, records: &[Vec<u8>]) {
        for record in records {
            let Some((url, level, read)) = decode_sitemap(record) else {
                tracing::warn!("a kept sitemap record cannot be read; ignored");
                continue;
            };
            if self.files.book.offer(&url, level) && !read && !self.ledger.limit_reached() {
                self.queue_sitemap(url, level);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000);
        for kept in [
            RobotsKept::Body(b"User-agent: *\nDisallow: /private"[..].into()),
            RobotsKept::Body(Arc::from(&[][..])),
            RobotsKept::AllowAll,
            RobotsKept::Unavailable {
                cause: "HTTP status 503".into(),
                attempts: 4,
            },
        ] {
            assert_eq!(decode_robots(&encode_robots(&kept, t)), Some((kept, t)));
        }
        let url = Url::parse("http://a.test/sitemap.xml?x=é").unwrap();
        for read in [false, true] {
            let record = encode_sitemap(&url, 2, read);
            assert_eq!(decode_sitemap(&record), Some((url.clone(), 2, read)));
        }
    }

    #[test]
    fn damaged_records_are_refused() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(5);
        let unavailable = RobotsKept::Unavailable {
            cause: "x".into(),
            attempts: 1,
        };
        let bytes = encode_robots(&unavailable, t);
        for cut in 0..bytes.len() - 1 {
            assert_eq!(decode_robots(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut other = bytes.clone();
        other[0] = 9;
        assert_eq!(decode_robots(&other), None, "another version");
        let mut allow = encode_robots(&RobotsKept::AllowAll, t);
        allow.push(0);
        assert_eq!(decode_robots(&allow), None, "trailing bytes");
        assert_eq!(decode_sitemap(&[VERSION, 2, 1, b'h']), None);
        assert_eq!(decode_sitemap(&[VERSION, 0, 1, b'h']), None, "not a URL");
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_decode_or_fail_without_panicking(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..48)) {
            let _ = decode_robots(&bytes);
            let _ = decode_sitemap(&bytes);
        }
    }
}
