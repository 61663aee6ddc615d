//! The plain way against the parser and the canonical form: the links sites write, the
//! cases where the parser does something else, and a property over bases and hrefs built
//! from the pieces that steer the parser.

use super::*;
use crate::canon::{CanonOptions, canonicalize};
use encoding_rs::UTF_8;
use proptest::prelude::*;
use url::Url;

/// What the parser and the canonical form give for `href`.
fn parsed(resolver: &Resolver, href: &str, sort_query: bool) -> Option<String> {
    let mut url = resolver.resolve(href)?;
    canonicalize(&mut url, CanonOptions { sort_query });
    Some(url.into())
}

fn plain(resolver: &Resolver, href: &str) -> Option<String> {
    let mut out = String::new();
    resolver
        .plain_canonical(href, false, &mut out)
        .then_some(out)
}

#[test]
fn the_links_a_site_writes_are_plain() {
    let page = Url::parse("http://127.0.0.1:8080/docs/guide/page.html?v=1").unwrap();
    let resolver = Resolver::new(&page, None, UTF_8);
    for (href, want) in [
        ("/std/index.html", "http://127.0.0.1:8080/std/index.html"),
        (
            "other.html#part",
            "http://127.0.0.1:8080/docs/guide/other.html",
        ),
        (
            "sub/x.html?a=1&b=2",
            "http://127.0.0.1:8080/docs/guide/sub/x.html?a=1&b=2",
        ),
        (" http://127.0.0.1:8080/a/b ", "http://127.0.0.1:8080/a/b"),
        ("/search?", "http://127.0.0.1:8080/search"),
        (
            "wiki/Special:Random",
            "http://127.0.0.1:8080/docs/guide/wiki/Special:Random",
        ),
        ("../up.html", "http://127.0.0.1:8080/docs/up.html"),
        ("./here.html", "http://127.0.0.1:8080/docs/guide/here.html"),
        ("/a/./b/../c", "http://127.0.0.1:8080/a/c"),
        ("../../../../x", "http://127.0.0.1:8080/x"),
        ("sub/..", "http://127.0.0.1:8080/docs/guide/"),
        ("/a/b/.", "http://127.0.0.1:8080/a/b/"),
        (".", "http://127.0.0.1:8080/docs/guide/"),
        ("/..", "http://127.0.0.1:8080/"),
    ] {
        assert_eq!(plain(&resolver, href).as_deref(), Some(want), "{href:?}");
        assert_eq!(
            parsed(&resolver, href, false).as_deref(),
            Some(want),
            "{href:?}"
        );
    }
    for href in [
        "",
        "#top",
        "?q=1",
        "//cdn.example/x",
        "http://127.0.0.1:8080//x",
        "http://127.0.0.1:8080",
        "https://127.0.0.1:8080/x",
        "HTTP://127.0.0.1:8080/x",
        "mailto:a@b.example",
        "javascript:void(0)",
        "http:relative",
        // A scheme, to the parser.
        "Special:Random",
        "/caf\u{e9}",
        "/a%7Eb",
        "/a\\b",
        "/a b",
        "/it's",
        "/a\tb",
    ] {
        assert_eq!(plain(&resolver, href), None, "{href:?}");
    }
    // A sorted query is not the query as written.
    assert!(!resolver.plain_canonical("/x?b=1&a=2", true, &mut String::new()));
}

#[test]
fn a_base_with_credentials_or_not_http_takes_the_parser() {
    for base in ["http://user:pw@h.example/a/", "file:///srv/a/"] {
        let resolver = Resolver::new(&Url::parse(base).unwrap(), None, UTF_8);
        assert_eq!(plain(&resolver, "b.html"), None, "{base}");
    }
}

/// Where the parser and the canonical form do what the plain way alone would not: a base
/// directory the canonical form rewrites (`%7E` is `~`, `%41` is `A`), and `..` after a
/// segment such as `a:`, which the parser keeps as if it were a drive letter. Each case
/// gives the parser's text or goes to the parser.
#[test]
fn the_parser_quirks_are_the_parsers() {
    for (base, href) in [
        ("http://h.example/%7Euser/p.html", "a"),
        ("http://h.example/a%2E/b/", "c"),
        ("http://h.example/%41/b/", "../c"),
        ("http://h/", "/a:/.."),
        ("http://h/a/b/p.html", "/p/a:/../x"),
        ("http://h/a/b/p.html", "b/Z:/../q?x"),
        ("http://h/a/b/p.html", "http://h/c:/.."),
        ("http://h/x/c:/", "../x"),
        ("http://h/x/c:/", ".."),
    ] {
        let resolver = Resolver::new(&Url::parse(base).unwrap(), None, UTF_8);
        if let Some(text) = plain(&resolver, href) {
            assert_eq!(Some(text), parsed(&resolver, href, false), "{base} {href}");
        }
    }
    // A `<base href>` with a percent-encoded directory.
    let page = Url::parse("http://h.example/index.html").unwrap();
    let resolver = Resolver::new(&page, Some("/%7Euser/"), UTF_8);
    assert_eq!(
        parsed(&resolver, "a", false).as_deref(),
        Some("http://h.example/~user/a")
    );
    assert!(matches!(
        plain(&resolver, "a").as_deref(),
        None | Some("http://h.example/~user/a")
    ));
}

const BASES: [&str; 8] = [
    "http://127.0.0.1:8080/docs/page.html",
    "https://shop.example/catalogue/?sort=price",
    "http://h.example:81/a/b/",
    "http://[::1]/x/y",
    "https://xn--bcher-kva.example",
    "http://h.example/%7Euser/a%41/p.html",
    "http://h.example/x/c:/",
    "https://h.example/a:/b/p",
];

/// An href made of pieces that steer the URL parser: the base's own origin (sometimes
/// written otherwise), slashes both ways, dot segments, `%`, `?`, `#`, `:`, `'`, spaces,
/// tabs, controls and non-ASCII.
fn href(base: &'static str) -> impl Strategy<Value = String> {
    let origin = &base[..Url::parse(base).unwrap()[..url::Position::BeforePath].len()];
    let start = prop_oneof![
        3 => Just(String::new()),
        2 => Just(origin.to_owned()),
        1 => Just(origin.to_ascii_uppercase()),
        1 => Just("http:".to_owned()),
        1 => Just("/".to_owned()),
        1 => Just("//".to_owned()),
    ];
    let piece = prop_oneof![
        4 => Just("/"),
        1 => Just("\\"),
        1 => Just("."),
        2 => Just(".."),
        1 => Just("%2e"),
        1 => Just("%7E"),
        1 => Just("%"),
        1 => Just("?"),
        1 => Just("#"),
        1 => Just(":"),
        1 => Just("'"),
        1 => Just(" "),
        1 => Just("\t"),
        1 => Just("\u{1}"),
        1 => Just("é"),
        1 => Just("a"),
        1 => Just("b.html"),
        1 => Just("x=1&y"),
        1 => Just("b=2&a=1"),
        1 => Just("@"),
        1 => Just("~"),
        2 => Just("a:"),
        1 => Just("Z:"),
    ];
    (start, proptest::collection::vec(piece, 0..8))
        .prop_map(|(start, pieces)| start + &pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// A plain href gives the very text the parser and the canonical form give.
    #[test]
    fn plain_text_is_the_parsed_canonical_text(
        (base, href) in (0..BASES.len()).prop_flat_map(|i| (Just(BASES[i]), href(BASES[i]))),
        sort_query in any::<bool>(),
    ) {
        let resolver = Resolver::new(&Url::parse(base).unwrap(), None, UTF_8);
        let mut out = String::new();
        if resolver.plain_canonical(&href, sort_query, &mut out) {
            prop_assert_eq!(Some(out), parsed(&resolver, &href, sort_query));
        }
    }
}
