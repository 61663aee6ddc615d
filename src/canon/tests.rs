//! Unit tests of `canon`.

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
