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
    xxhash_rust::xxh3::xxh3_64(url.as_str().as_bytes())
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
mod tests {
    use super::*;

    const SORT: CanonOptions = CanonOptions { sort_query: true };

    fn canon(s: &str, opts: CanonOptions) -> String {
        let mut url = Url::parse(s).unwrap();
        canonicalize(&mut url, opts);
        url.into()
    }

    #[test]
    fn host_keys_are_checked_without_building_them() {
        for u in [
            "http://a.test/x",
            "https://a.test:8443/",
            "http://[::1]:9/",
            "http://1.2.3.4/",
        ] {
            let url = Url::parse(u).unwrap();
            assert!(has_host_key(&url, &host_key(&url).unwrap()), "{u}");
        }
        let url = Url::parse("http://a.test/x").unwrap();
        for other in [
            "https://a.test:80",
            "http://a.test:81",
            "http://b.test:80",
            "http://a.test",
        ] {
            assert!(!has_host_key(&url, other), "{other}");
        }
    }

    #[test]
    fn credentials_are_dropped() {
        let opts = CanonOptions::default();
        assert_eq!(
            canon("http://user:secret@a.test/x", opts),
            "http://a.test/x"
        );
        assert_eq!(canon("http://user@a.test/x", opts), "http://a.test/x");
        assert_eq!(canon("http://:pw@a.test/", opts), "http://a.test/");
    }

    #[test]
    fn unreserved_escapes_are_decoded_and_others_kept() {
        let opts = CanonOptions::default();
        assert_eq!(
            canon("http://a.test/%73ecret", opts),
            "http://a.test/secret"
        );
        assert_eq!(
            canon("http://a.test/%7Euser/%2d%5F%2E", opts),
            "http://a.test/~user/-_."
        );
        // Reserved and non-ASCII escapes mean something else decoded: they stay.
        assert_eq!(
            canon("http://a.test/a%2Fb%3F%25%C3%A9", opts),
            "http://a.test/a%2Fb%3F%25%C3%A9"
        );
        assert_eq!(
            canon("http://a.test/?q=%61%26b", opts),
            "http://a.test/?q=a%26b"
        );
        // Broken escapes are left as they are.
        assert_eq!(
            canon("http://a.test/%7/%G1/%", opts),
            "http://a.test/%7/%G1/%"
        );
        assert_eq!(decode_unreserved("/plain/path"), None);
    }

    #[test]
    fn default_does_not_sort() {
        assert_eq!(CanonOptions::default(), CanonOptions { sort_query: false });
        assert_eq!(
            canon("http://e.com/?b=2&a=1", CanonOptions::default()),
            "http://e.com/?b=2&a=1"
        );
    }

    #[test]
    fn drops_fragment() {
        assert_eq!(
            canon("http://e.com/p#frag", CanonOptions::default()),
            "http://e.com/p"
        );
        assert_eq!(
            canon("http://e.com/p?q=1#", CanonOptions::default()),
            "http://e.com/p?q=1"
        );
    }

    #[test]
    fn drops_empty_query_only() {
        assert_eq!(
            canon("http://e.com?", CanonOptions::default()),
            "http://e.com/"
        );
        assert_eq!(canon("http://e.com/a?#x", SORT), "http://e.com/a");
        // Not empty, so kept as written without sorting.
        assert_eq!(
            canon("http://e.com/?&", CanonOptions::default()),
            "http://e.com/?&"
        );
    }

    #[test]
    fn url_crate_normalisation_plus_ours() {
        let opts = CanonOptions::default();
        assert_eq!(
            canon("http://E.com:80/a/./b/../c?#x", opts),
            "http://e.com/a/c"
        );
        assert_eq!(
            canon("HTTPS://Example.COM:443/", opts),
            "https://example.com/"
        );
    }

    #[test]
    fn idn_host_is_punycode() {
        let c = canon("http://BÜCHER.de/straße?#top", CanonOptions::default());
        assert_eq!(c, "http://xn--bcher-kva.de/stra%C3%9Fe");
    }

    #[test]
    fn sorts_raw_segments_bytewise() {
        assert_eq!(
            canon("http://e.com/?b=2&a=1&B=3", SORT),
            "http://e.com/?B=3&a=1&b=2"
        );
        // Sorted already: untouched.
        assert_eq!(
            canon("http://e.com/?a=1&b=2", SORT),
            "http://e.com/?a=1&b=2"
        );
        // Repeated keys are ordered by the whole segment.
        assert_eq!(
            canon("http://e.com/?a=2&a=1", SORT),
            "http://e.com/?a=1&a=2"
        );
    }

    #[test]
    fn sorting_preserves_encoding() {
        // `%20` and `+` stay apart; only escaped unreserved characters are decoded.
        let c = canon("http://e.com/?z=a%20b&y=c+d&x=~e&w=%7E&v=%7e", SORT);
        assert_eq!(c, "http://e.com/?v=~&w=~&x=~e&y=c+d&z=a%20b");
    }

    #[test]
    fn sorting_drops_empty_segments() {
        assert_eq!(
            canon("http://e.com/?b=2&&a=1&", SORT),
            "http://e.com/?a=1&b=2"
        );
        assert_eq!(
            canon("http://e.com/?a=1&&b=2", SORT),
            "http://e.com/?a=1&b=2"
        );
        assert_eq!(canon("http://e.com/x?&&", SORT), "http://e.com/x");
        assert_eq!(canon("http://e.com/?&a", SORT), "http://e.com/?a");
    }

    #[test]
    fn idempotent() {
        let cases = [
            "http://E.com:80/a/./b/../c?#x",
            "http://e.com/?b=2&&a=1#f",
            "http://e.com/?z=a%20b&y=c+d&x=~e",
            "https://BÜCHER.de:443/?&&",
            "http://e.com/?",
            "http://u:p@e.com/%7E%2541/%2e%2E/x?%61=%25%62",
            "mailto:someone@example.com",
        ];
        for opts in [CanonOptions::default(), SORT] {
            for case in cases {
                let once = canon(case, opts);
                assert_eq!(canon(&once, opts), once, "{case} {opts:?}");
            }
        }
    }

    #[test]
    fn fingerprints() {
        let fp = |s: &str| {
            let mut u = Url::parse(s).unwrap();
            canonicalize(&mut u, SORT);
            fingerprint(&u)
        };
        assert_eq!(
            fp("http://E.com:80/a?b=1&a=2#x"),
            fp("http://e.com/a?a=2&b=1")
        );
        assert_ne!(fp("http://e.com/dir"), fp("http://e.com/dir/"));
        assert_ne!(fp("http://e.com/"), fp("https://e.com/"));
        let u = Url::parse("http://e.com/").unwrap();
        assert_eq!(
            fingerprint(&u),
            xxhash_rust::xxh3::xxh3_64(b"http://e.com/")
        );
    }

    #[test]
    fn host_keys() {
        let key = |s: &str| host_key(&Url::parse(s).unwrap());
        assert_eq!(
            key("http://127.0.0.1:8080/x").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            key("https://Example.com/").as_deref(),
            Some("https://example.com:443")
        );
        assert_eq!(
            key("http://example.com:80/").as_deref(),
            Some("http://example.com:80")
        );
        assert_eq!(
            key("http://[::1]:3000/").as_deref(),
            Some("http://[::1]:3000")
        );
        assert_eq!(
            key("http://bücher.de/").as_deref(),
            Some("http://xn--bcher-kva.de:80")
        );
        assert_eq!(key("foo://host/p").as_deref(), Some("foo://host"));
        assert_eq!(key("mailto:a@b.c"), None);
        assert_eq!(key("data:text/plain,hi"), None);
    }
}
