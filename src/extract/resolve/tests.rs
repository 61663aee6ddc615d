//! Resolution against the effective base, and queries in the document's encoding.

use super::*;
use crate::extract::extract_links;

const PAGE: &str = "http://shop.example/catalogue/index.html";

fn resolved_in(html: &[u8], encoding: &'static Encoding) -> Vec<String> {
    let raw = extract_links(html, encoding);
    Resolver::new(&Url::parse(PAGE).unwrap(), raw.base.as_deref(), encoding)
        .resolve_all(&raw)
        .into_iter()
        .map(String::from)
        .collect()
}

#[test]
fn latin1_page_path_in_utf8_query_in_latin1() {
    let page = b"<a href=\"/caf\xe9/men\xfc?q=\xe9\">caf\xe9</a>";
    let raw = extract_links(page, encoding_rs::WINDOWS_1252);
    assert_eq!(raw.hrefs, ["/caf\u{e9}/men\u{fc}?q=\u{e9}"]);
    assert_eq!(
        resolved_in(page, encoding_rs::WINDOWS_1252),
        ["http://shop.example/caf%C3%A9/men%C3%BC?q=%E9"]
    );
    // The UTF-8 shorthand encodes the query in UTF-8.
    let url = &resolve_links(&Url::parse(PAGE).unwrap(), &raw)[0];
    assert_eq!(url.query(), Some("q=%C3%A9"));
}

#[test]
fn shift_jis_page_path_in_utf8_query_in_shift_jis() {
    // 日本 in the path and in the query, plus an ASCII-range trail byte (ソ is 0x83 0x5C).
    let (html, _, _) = encoding_rs::SHIFT_JIS.encode(
        "<a href=\"/\u{65e5}\u{672c}/\u{30bd}?q=\u{65e5}\u{672c}&x=\u{30bd}\">\u{65e5}</a>",
    );
    let raw = extract_links(&html, encoding_rs::SHIFT_JIS);
    assert_eq!(
        raw.hrefs,
        ["/\u{65e5}\u{672c}/\u{30bd}?q=\u{65e5}\u{672c}&x=\u{30bd}"]
    );
    assert_eq!(
        resolved_in(&html, encoding_rs::SHIFT_JIS),
        // `{` and `\` are trail bytes here, and outside the URL spec's query percent-encode set.
        ["http://shop.example/%E6%97%A5%E6%9C%AC/%E3%82%BD?q=%93%FA%96{&x=%83\\"]
    );
}

#[test]
fn unmappable_query_characters_become_escaped_references() {
    // あ has no windows-1252 form: browsers send it as `&#12354;`, percent-encoded whole.
    let page = b"<a href=\"/p?q=&#12354;&r=1\">";
    assert_eq!(
        resolved_in(page, encoding_rs::WINDOWS_1252),
        ["http://shop.example/p?q=%26%2312354%3B&r=1"]
    );
    assert_eq!(
        resolved_in(page, UTF_8),
        ["http://shop.example/p?q=%E3%81%82&r=1"]
    );
    // In the path a character is always UTF-8, whatever the page's encoding.
    assert_eq!(
        resolved_in(b"<a href=/&#12354;>", encoding_rs::WINDOWS_1252),
        ["http://shop.example/%E3%81%82"]
    );
}

#[test]
fn base_href_query_uses_the_document_encoding() {
    let page = b"<base href=\"/b/?q=\xe9\"><a href=\"\"><a href=x>";
    assert_eq!(
        resolved_in(page, encoding_rs::WINDOWS_1252),
        ["http://shop.example/b/?q=%E9", "http://shop.example/b/x"]
    );
}

#[test]
fn resolution_rules() {
    let page = Url::parse(PAGE).unwrap();
    let raw = RawLinks {
        base: None,
        hrefs: "a#frag,,#top,mailto:x@y.z,javascript:void(0),data:;x,tel:1,ftp://f.example/,\
                HTTPS://Other.Example/x,//cdn.example/y,a#frag,?q,http://[bad"
            .split(',')
            .map(String::from)
            .collect(),
        ..RawLinks::default()
    };
    let got: Vec<String> = resolve_links(&page, &raw)
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(
        got,
        [
            "http://shop.example/catalogue/a",
            PAGE,
            PAGE,
            "https://other.example/x",
            "http://cdn.example/y",
            "http://shop.example/catalogue/a",
            "http://shop.example/catalogue/index.html?q",
        ]
    );
    assert_eq!(
        resolve_href(&page, "/x#y").unwrap().as_str(),
        "http://shop.example/x"
    );
}

#[test]
fn effective_base_rules() {
    let page = Url::parse(PAGE).unwrap();
    let base = |href| effective_base(&page, href).to_string();
    assert_eq!(base(None), PAGE);
    assert_eq!(base(Some(" /sub/ ")), "http://shop.example/sub/");
    assert_eq!(base(Some("https://cdn.example/")), "https://cdn.example/");
    assert_eq!(base(Some("http://[oops")), PAGE);
    assert_eq!(base(Some("javascript:alert(1)")), PAGE);
    assert_eq!(base(Some("data:text/html,x")), PAGE);
}

/// What the URL parser gives for the whole href: the reference the same-origin shortcut
/// must match.
fn resolved_whole(resolver: &Resolver, href: &str) -> Option<String> {
    let mut url = parse_in(&resolver.base, href.trim_ascii(), resolver.encoding)?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_fragment(None);
    Some(url.into())
}

#[test]
fn a_same_origin_absolute_href_is_read_from_its_path() {
    let page = Url::parse("http://user@127.0.0.1:8080/docs/page.html").unwrap();
    let resolver = Resolver::new(&page, None, UTF_8);
    let rest = |href| resolver.same_origin_path(href);
    assert_eq!(
        rest("http://user@127.0.0.1:8080/a/../b?q#f"),
        Some("/a/../b?q#f")
    );
    assert_eq!(rest("http://user@127.0.0.1:8080/"), Some("/"));
    for whole in [
        // Another authority, or the same one written otherwise.
        "http://user@127.0.0.1:80801/x",
        "http://user@127.0.0.1:8080.evil.example/x",
        "http://user@127.0.0.1:8080@evil.example/x",
        "HTTP://user@127.0.0.1:8080/x",
        "https://user@127.0.0.1:8080/x",
        "http://user@127.0.0.1:8080",
        "http://user@127.0.0.1:8080?q",
        // A rest that would read as an authority, now or once the parser drops a tab.
        "http://user@127.0.0.1:8080//evil.example/x",
        "http://user@127.0.0.1:8080/\\evil.example/x",
        "http://user@127.0.0.1:8080/\t/evil.example/x",
        "http://user@127.0.0.1:8080/\n\\evil.example/x",
    ] {
        assert_eq!(rest(whole), None, "{whole:?}");
        assert_eq!(
            resolver.resolve(whole).map(String::from),
            resolved_whole(&resolver, whole),
            "{whole:?}"
        );
    }
    // Without the tab rule the shortcut would leave the host.
    assert_eq!(
        resolver
            .resolve("http://user@127.0.0.1:8080/\t/evil.example/x")
            .unwrap()
            .as_str(),
        "http://user@127.0.0.1:8080//evil.example/x"
    );
    // No shortcut from a base that is not http(s).
    let file = Resolver::new(&Url::parse("file:///srv/a.html").unwrap(), None, UTF_8);
    assert_eq!(file.same_origin_path("file:///srv/b.html"), None);
}

mod same_origin {
    use super::*;
    use proptest::prelude::*;

    const BASES: [&str; 5] = [
        "http://127.0.0.1:8080/docs/page.html",
        "https://shop.example/catalogue/",
        "http://user:pw@h.example:81/a/b?c#d",
        "http://[::1]/x/y",
        "https://xn--bcher-kva.example/",
    ];

    /// An href: mostly the base's own origin then a path made of the characters that steer the
    /// URL parser (slashes both ways, dots, `%`, `?`, `#`, tabs and line breaks, spaces,
    /// non-ASCII), sometimes another origin.
    fn href(base: &'static str) -> impl Strategy<Value = String> {
        let origin = &base[..Url::parse(base).unwrap()[..Position::BeforePath].len()];
        let start = prop_oneof![
            6 => Just(origin.to_owned()),
            1 => Just(origin.to_ascii_uppercase()),
            1 => Just(format!("{origin}0")),
            1 => Just("http://other.example".to_owned()),
        ];
        let path = proptest::collection::vec(
            prop_oneof![
                Just("/"),
                Just("\\"),
                Just("."),
                Just(".."),
                Just("%2e"),
                Just("%"),
                Just("?"),
                Just("#"),
                Just("\t"),
                Just("\n"),
                Just("\r"),
                Just(" "),
                Just("a"),
                Just("é"),
                Just("@"),
                Just(":"),
                Just("x.example"),
            ],
            0..10,
        );
        (start, path).prop_map(|(start, path)| start + &path.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// The shortcut resolves every href to what the parser gives for the whole of it.
        #[test]
        fn same_url_as_the_whole_href(
            (base, href) in (0..BASES.len()).prop_flat_map(|i| (Just(BASES[i]), href(BASES[i]))),
            latin1 in any::<bool>(),
        ) {
            let encoding = if latin1 { encoding_rs::WINDOWS_1252 } else { UTF_8 };
            let resolver = Resolver::new(&Url::parse(base).unwrap(), None, encoding);
            prop_assert_eq!(
                resolver.resolve(&href).map(String::from),
                resolved_whole(&resolver, &href)
            );
        }
    }
}
