//! URL canonicalisation, seen-set fingerprints and politeness host keys.
//!
//! Two URLs that name the same resource must produce the same seen-set entry, or the crawler
//! fetches pages twice; two URLs that may name different resources must not, or it silently
//! skips pages. `url::Url` already does the safe WHATWG normalisations (lowercase scheme and
//! host, punycode, default port dropped, dot segments resolved, percent-encoding of spaces and
//! non-ASCII), so this module only adds the few rules it lacks and deliberately stops there:
//! credentials dropped (they are no part of the resource, and must never reach a record or
//! another host), percent-encoded unreserved characters decoded (`%7E` is `~`, RFC 3986
//! §6.2.2.2), and no trailing-slash games, no escape case folding, no `utm_*` stripping, and
//! query sorting only when asked for. Every rule works on the serialised bytes, because re-encoding through
//! `query_pairs_mut` rewrites `%20` to `+` and `~` to `%7E` and would mint false "new" URLs.
//!
//! `canonicalize` runs for every discovered link (~30 per page), so the common case, a URL
//! with no fragment and no query or an already-sorted one, allocates nothing.

use std::fmt::Write as _;

use url::Url;

/// Options for [`canonicalize`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CanonOptions {
    /// Sort the query's `&`-separated segments bytewise (and drop empty segments).
    ///
    /// Off by default: some servers read repeated keys in order (`a=2&a=1`), so sorting can merge
    /// URLs that are in fact different.
    pub sort_query: bool,
}

/// Canonicalises `url` in place.
///
/// * Credentials (`user:password@`) are dropped.
/// * Percent-encoded unreserved characters (letters, digits, `-._~`) in the path and the
///   query are decoded: `/%7Euser/%73ecret` is `/~user/secret`.
/// * The fragment is dropped (it never reaches the server).
/// * An empty query (`?` alone) is dropped.
/// * With [`CanonOptions::sort_query`], the raw `&`-separated query segments are sorted bytewise,
///   without decoding or re-encoding anything, and empty segments (`a=1&&b=2`) are dropped; a
///   query left with no segments is dropped.
///
/// Idempotent: canonicalising a canonical URL changes nothing.
pub fn canonicalize(url: &mut Url, opts: CanonOptions) {
    if url.fragment().is_some() {
        url.set_fragment(None);
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Only fails for URLs that cannot have a host, which have no credentials either.
        let _ = url.set_username("");
        let _ = url.set_password(None);
    }
    if let Some(path) = decode_unreserved(url.path()) {
        url.set_path(&path);
    }
    if let Some(query) = url.query().and_then(decode_unreserved) {
        url.set_query(Some(&query));
    }
    let Some(query) = url.query() else { return };
    if query.is_empty() {
        url.set_query(None);
    } else if opts.sort_query
        && let Some(sorted) = sorted_query(query)
    {
        url.set_query(if sorted.is_empty() {
            None
        } else {
            Some(&sorted)
        });
    }
}

/// `text` with every percent-encoded unreserved character decoded, or `None` when there is
/// none (the allocation-free path).
pub(crate) fn decode_unreserved(text: &str) -> Option<String> {
    fn unreserved_at(b: &[u8], i: usize) -> Option<u8> {
        let hex = |c: u8| (c as char).to_digit(16);
        let (hi, lo) = (hex(*b.get(i + 1)?)?, hex(*b.get(i + 2)?)?);
        let c = (hi * 16 + lo) as u8;
        (c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~')).then_some(c)
    }
    let b = text.as_bytes();
    let first = (0..b.len()).find(|&i| b[i] == b'%' && unreserved_at(b, i).is_some())?;
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..first]);
    let mut i = first;
    while i < b.len() {
        match (b[i], unreserved_at(b, i)) {
            (b'%', Some(c)) => {
                out.push(c as char);
                i += 3;
            }
            _ => {
                // Copy up to the next '%' in one go (`text` is valid UTF-8 there).
                let next = (i + 1..b.len()).find(|&j| b[j] == b'%').unwrap_or(b.len());
                out.push_str(&text[i..next]);
                i = next;
            }
        }
    }
    Some(out)
}

/// The sorted form of `query`, or `None` when it is already canonical (the allocation-free path).
fn sorted_query(query: &str) -> Option<String> {
    let canonical = !query.split('&').any(str::is_empty)
        && query
            .split('&')
            .is_sorted_by(|a, b| a.as_bytes() <= b.as_bytes());
    if canonical {
        return None;
    }
    let mut segments: Vec<&str> = query.split('&').filter(|s| !s.is_empty()).collect();
    // `str` ordering is bytewise, which is exactly what we want: no locale, no decoding.
    segments.sort_unstable();
    Some(segments.join("&"))
}

/// A 64-bit fingerprint of a canonical URL for the seen-set: `xxh3_64` of its serialisation.
///
/// Canonicalise first; the fingerprint itself applies no normalisation. At 64 bits the chance of
/// any collision among 10 million URLs is about 3 in a million.
#[must_use]
pub fn fingerprint(url: &Url) -> u64 {
    fingerprint_text(url.as_str())
}

/// The [`fingerprint`] of the URL whose canonical text is `text`.
pub(crate) fn fingerprint_text(text: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

/// The host key used for politeness: `scheme://host:port` with the known default port made
/// explicit, e.g. `"http://127.0.0.1:8080"` or `"https://example.com:443"`.
///
/// The port is explicit so that `http://h/` and `http://h:80/` share a rate limiter. A scheme with
/// no known default port and no explicit one gives `scheme://host`. Returns `None` for URLs without
/// a host (`mailto:`, `data:`, ...).
#[must_use]
pub fn host_key(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    let mut key = String::with_capacity(url.scheme().len() + host.len() + 9);
    key.push_str(url.scheme());
    key.push_str("://");
    key.push_str(host);
    if let Some(port) = url.port_or_known_default() {
        // Writing to a String cannot fail.
        let _ = write!(key, ":{port}");
    }
    Some(key)
}

/// A 64-bit fingerprint of a [`host_key`]: how a durable crawl's store keys what it keeps
/// per host (page counts, robots.txt).
pub(crate) fn host_fingerprint(key: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(key.as_bytes())
}

/// Whether [`host_key`] of `url` is `key`, without building it.
pub(crate) fn has_host_key(url: &Url, key: &str) -> bool {
    let Some(rest) = key
        .strip_prefix(url.scheme())
        .and_then(|r| r.strip_prefix("://"))
    else {
        return false;
    };
    match (
        rest.rsplit_once(':'),
        url.host_str(),
        url.port_or_known_default(),
    ) {
        (Some((host, port)), Some(h), Some(p)) => host == h && port.parse() == Ok(p),
        (None, Some(h), None) => rest == h,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
