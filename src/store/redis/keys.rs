//! How a shared crawl is laid out in Redis: key names, host slots, seen-set buckets and
//! queue entries.
//!
//! Every key of a crawl starts with `trawler:{NAME}:` (the braces are a Redis Cluster hash
//! tag: a whole crawl lives on one node, so every script sees all its keys).
//!
//! | key | type | holds |
//! |---|---|---|
//! | `meta` | hash | the crawl's layout and configuration, set by its first worker |
//! | `seen:B` | set of integers | the seen-set, bucketed: fingerprint `fp` is `fp / buckets` in bucket `fp % buckets` |
//! | `hosts:S` | list | the hosts of slot `S` with queued entries, taken in turn |
//! | `q:HOST` | list | a host's queued entries, in order |
//! | `fly:S` | hash | entries of slot `S` taken by its owner and not ended, by fingerprint |
//! | `lease:S` | string | `WORKER\|EPOCH`: who owns slot `S`, expiring unless renewed |
//! | `epoch:S` | integer | slot `S`'s lease epoch, raised by each new owner |
//! | `count` | hash | `pending` (queued or taken, not ended), `done` |
//! | `workers` | sorted set | live workers, by when their heartbeat expires |
//! | `wpos` | hash | each worker's outcome log position as last committed |
//! | `robots` | hash | robots.txt records by host fingerprint |
//! | `hostpages` | hash | pages queued per host, against `max_pages_per_host` |
//!
//! Small integers in small sets are kept by Redis as packed arrays ("intsets", up to
//! `set-max-intset-entries`, 512 by default): with buckets holding about 150-400
//! fingerprints each, the seen-set costs about 9-12 bytes per URL, against 72 for one big
//! set of integers.

use crate::outcome::SkipReason;
use crate::store::QueuedRequest;

/// Host slots: hosts map to slots, workers own slots.
pub(crate) const SLOTS: u32 = 1024;
/// Seen-set buckets: intsets up to ~80M URLs at Redis's default
/// `set-max-intset-entries` of 512 (a mean of ~150-400 per bucket from 10M to 25M URLs).
pub(crate) const BUCKETS: u64 = 1 << 16;

/// The key prefix of crawl `name`.
pub(crate) fn prefix(name: &str) -> String {
    format!("trawler:{{{name}}}:")
}

/// Whether `name` can name a crawl: 1 to 64 of `A-Z a-z 0-9 . _ -`.
pub(crate) fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The slot of the host with this fingerprint.
pub(crate) fn slot(host: u64) -> u32 {
    (host % u64::from(SLOTS)) as u32
}

/// The seen-set bucket and member of a URL fingerprint, as the scripts take them.
pub(crate) fn seen_member(fp: u64, buckets: u64) -> (u64, u64) {
    (fp % buckets, fp / buckets)
}

/// The name of the host with this fingerprint in keys and entries: 16 hex digits.
pub(crate) fn host_name(host: u64) -> String {
    format!("{host:016x}")
}

/// What the owner is to do with an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Fetch it: a first attempt (counted against a page limit when taken).
    Fetch,
    /// Fetch it again: a retry (not counted again).
    Retry,
    /// Record it as skipped for this reason (it was found and ruled out at once: the
    /// owner records it, so that a URL found by two workers has one record).
    Skip(SkipReason),
}

/// The kind byte's offset in an entry: after the URL fingerprint and the host's name.
pub(crate) const KIND_AT: usize = 8 + 16;
/// Skip reasons in kind bytes (0 is a fetch): their order is part of the format.
const REASONS: [SkipReason; 15] = [
    SkipReason::OffHost,
    SkipReason::Filtered,
    SkipReason::Depth,
    SkipReason::UrlTooLong,
    SkipReason::Scheme,
    SkipReason::PageLimit,
    SkipReason::Stopped,
    SkipReason::Spider,
    SkipReason::Middleware,
    SkipReason::RedirectLimit,
    SkipReason::Robots,
    SkipReason::HostPageLimit,
    SkipReason::RepeatedSegments,
    SkipReason::QueryParams,
    SkipReason::QueryVariants,
];

/// The kind byte of a retry.
const RETRY: u8 = 0xff;

/// The kind byte the scripts write for a host over its page budget.
pub(crate) fn host_limit_byte() -> u8 {
    kind_byte(Kind::Skip(SkipReason::HostPageLimit))
}

/// The kind byte the scripts write for a first attempt past the page limit.
pub(crate) fn page_limit_byte() -> u8 {
    kind_byte(Kind::Skip(SkipReason::PageLimit))
}

fn kind_byte(kind: Kind) -> u8 {
    match kind {
        Kind::Fetch => 0,
        Kind::Retry => RETRY,
        Kind::Skip(reason) => REASONS
            .iter()
            .position(|r| *r == reason)
            .map_or(0, |i| i as u8 + 1),
    }
}

/// A queue entry: the URL's fingerprint (8 bytes, big-endian), its host's name, the kind
/// byte, then the encoded request.
pub(crate) fn entry(fp: u64, host: u64, kind: Kind, q: &QueuedRequest) -> Vec<u8> {
    let mut out = Vec::with_capacity(KIND_AT + 1 + q.url.len() + 16);
    out.extend_from_slice(&fp.to_be_bytes());
    out.extend_from_slice(host_name(host).as_bytes());
    out.push(kind_byte(kind));
    q.encode(&mut out);
    out
}

/// An entry read back: `None` if it is not one (a store's bytes are never trusted).
pub(crate) fn parse_entry(bytes: &[u8]) -> Option<(u64, u64, Kind, QueuedRequest)> {
    if bytes.len() <= KIND_AT + 1 {
        return None;
    }
    let fp = u64::from_be_bytes(bytes[..8].try_into().ok()?);
    let host = u64::from_str_radix(std::str::from_utf8(&bytes[8..KIND_AT]).ok()?, 16).ok()?;
    let kind = match bytes[KIND_AT] {
        0 => Kind::Fetch,
        RETRY => Kind::Retry,
        b => Kind::Skip(*REASONS.get(usize::from(b) - 1)?),
    };
    let q = QueuedRequest::decode(&bytes[KIND_AT + 1..]).ok()?;
    Some((fp, host, kind, q))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_bytes_parse_or_are_refused_without_a_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let _ = parse_entry(&bytes);
        }

        #[test]
        fn entries_of_any_request_round_trip(
            fp in any::<u64>(),
            host in any::<u64>(),
            reason in 0usize..=REASONS.len() + 1,
            url in "[ -~]{1,80}",
            depth in any::<u32>(),
            priority in any::<i32>(),
            attempts in any::<u32>(),
            due in proptest::option::of(0u64..u64::MAX - 1),
        ) {
            let kind = match reason {
                0 => Kind::Fetch,
                1 => Kind::Retry,
                r => Kind::Skip(REASONS[r - 2]),
            };
            let q = QueuedRequest {
                url,
                depth,
                priority,
                attempts,
                redirects: 0,
                label: None,
                referrer: None,
                session: None,
                due_ms: due,
                render: false,
            };
            let e = entry(fp, host, kind, &q);
            prop_assert_eq!(parse_entry(&e), Some((fp, host, kind, q)));
        }
    }

    #[test]
    fn entries_round_trip_and_garbage_is_refused() {
        let q = QueuedRequest {
            url: "http://a.test/x".into(),
            depth: 3,
            priority: -2,
            attempts: 1,
            redirects: 0,
            label: Some("l".into()),
            referrer: None,
            session: None,
            due_ms: Some(5),
            render: true,
        };
        for kind in [Kind::Fetch, Kind::Retry, Kind::Skip(SkipReason::OffHost)]
            .into_iter()
            .chain(REASONS.iter().map(|r| Kind::Skip(*r)))
        {
            let e = entry(u64::MAX - 7, 0xabc, kind, &q);
            assert_eq!(
                parse_entry(&e),
                Some((u64::MAX - 7, 0xabc, kind, q.clone()))
            );
        }
        let mut e = entry(1, 2, Kind::Fetch, &q);
        e[KIND_AT] = 200;
        assert_eq!(parse_entry(&e), None);
        assert_eq!(parse_entry(b"short"), None);
        assert_eq!(parse_entry(&[b'x'; 40]), None);
    }

    #[test]
    fn names_and_members() {
        assert!(valid_name("docs-2026.v1_a"));
        assert!(!valid_name(""));
        assert!(!valid_name("a b"));
        assert!(!valid_name("a}b"));
        assert!(!valid_name(&"x".repeat(65)));
        assert_eq!(prefix("c"), "trawler:{c}:");
        let (b, m) = seen_member(u64::MAX, BUCKETS);
        assert_eq!(m * BUCKETS + b, u64::MAX);
        assert!(m < 1 << 48);
        assert_eq!(host_limit_byte(), 12);
        assert_eq!(page_limit_byte(), 6);
    }
}
