//! Property tests of the public parsing cores: the link extractor and resolver, the URL
//! canonicalizer, and charset detection, on generated hostile input. Case counts are bounded
//! so the file runs in a few seconds; the `fuzz/` targets explore the same functions longer.

use proptest::prelude::*;
use trawler::canon::{CanonOptions, canonicalize, fingerprint, host_key};
use trawler::charset;
use trawler::extract::{Resolver, extract_links, extract_links_dom};
use trawler::url::Url;

/// Encodings a page may come in, the ASCII-incompatible ones included.
const ENCODINGS: [&encoding_rs::Encoding; 7] = [
    encoding_rs::UTF_8,
    encoding_rs::WINDOWS_1252,
    encoding_rs::SHIFT_JIS,
    encoding_rs::EUC_KR,
    encoding_rs::GB18030,
    encoding_rs::UTF_16LE,
    encoding_rs::ISO_2022_JP,
];

/// Markup built from pieces that matter to a tokenizer: tags, quotes, references, raw-text
/// elements, comments, URL-ish text and a few non-ASCII and invalid bytes.
fn markup() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"<a href=\"".to_vec()),
        Just(b"<a href='".to_vec()),
        Just(b"<a href=".to_vec()),
        Just(b"<AREA HREF=".to_vec()),
        Just(b"<base href=\"".to_vec()),
        Just(b"\">".to_vec()),
        Just(b"'>".to_vec()),
        Just(b">".to_vec()),
        Just(b"</a>".to_vec()),
        Just(b"<script>".to_vec()),
        Just(b"</script>".to_vec()),
        Just(b"<!--".to_vec()),
        Just(b"-->".to_vec()),
        Just(b"<textarea>".to_vec()),
        Just(b"<svg><math>".to_vec()),
        Just(b"<meta charset=shift_jis>".to_vec()),
        Just(b"&amp;".to_vec()),
        Just(b"&#".to_vec()),
        Just(b"&hellip;".to_vec()),
        Just(b"&copy".to_vec()),
        Just(b"#frag".to_vec()),
        Just(b"?q=1&r=".to_vec()),
        Just(b"../".to_vec()),
        Just(b"//h.test/".to_vec()),
        Just(b"http://".to_vec()),
        Just(b"javascript:".to_vec()),
        Just(b"mailto:x@y".to_vec()),
        Just(b"\\".to_vec()),
        Just(b" \t\n".to_vec()),
        Just("caf\u{e9}\u{65e5}".as_bytes().to_vec()),
        Just(b"\xff\xfe\x80\x00".to_vec()),
        "[a-z0-9/.%]{0,6}".prop_map(String::into_bytes),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

fn document_url() -> impl Strategy<Value = Url> {
    prop_oneof![
        Just("http://shop.example/a/b/index.html?x=1"),
        Just("https://h.test/"),
        Just("http://127.0.0.1:8080/dir/"),
        Just("http://[::1]/p?q"),
        Just("http://xn--bcher-kva.de/stra%C3%9Fe"),
    ]
    .prop_map(|s| Url::parse(s).unwrap())
}

/// URLs with the parts canonicalization cares about: case, default ports, dot segments,
/// escapes, empty and repeated query segments, fragments, IDN and IP hosts.
fn url_text() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![Just("http"), Just("HTTPS"), Just("https")];
    let host = prop_oneof![
        Just("Example.COM"),
        Just("b\u{fc}cher.de"),
        Just("127.0.0.1"),
        Just("[::1]"),
        Just("a.b.c.test"),
        Just("0x7f.1"),
    ];
    let port = prop_oneof![Just(""), Just(":80"), Just(":443"), Just(":8080")];
    let segment = prop_oneof![
        Just(".".to_string()),
        Just("..".to_string()),
        Just("%7e".to_string()),
        Just("%7E".to_string()),
        Just("a b".to_string()),
        Just("\u{e9}".to_string()),
        "[a-zA-Z0-9_~-]{0,5}",
    ];
    let query_part = prop_oneof![
        Just(String::new()),
        Just("a=1".to_string()),
        Just("b=%20+".to_string()),
        Just("a=2".to_string()),
        Just("\u{e9}=\u{65e5}".to_string()),
        "[a-z]{1,3}=[a-z0-9%]{0,4}",
    ];
    (
        scheme,
        host,
        port,
        proptest::collection::vec(segment, 0..6),
        proptest::option::of(proptest::collection::vec(query_part, 0..6)),
        proptest::option::of("[a-z#]{0,4}"),
    )
        .prop_map(|(scheme, host, port, path, query, fragment)| {
            let mut s = format!("{scheme}://{host}{port}/{}", path.join("/"));
            if let Some(q) = query {
                s.push('?');
                s.push_str(&q.join("&"));
            }
            if let Some(f) = fragment {
                s.push('#');
                s.push_str(&f);
            }
            s
        })
}

fn canon(url: &Url, sort_query: bool) -> Url {
    let mut u = url.clone();
    canonicalize(&mut u, CanonOptions { sort_query });
    u
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// On any markup in any encoding: no panic, and every link is an absolute http(s) URL
    /// without a fragment that survives a round trip through its own serialization.
    #[test]
    fn extracted_links_are_absolute_http_without_fragment(
        html in markup(),
        enc in 0..ENCODINGS.len(),
        page in document_url(),
    ) {
        let encoding = ENCODINGS[enc];
        let raw = extract_links(&html, encoding);
        let resolver = Resolver::new(&page, raw.base.as_deref(), encoding);
        for url in resolver.resolve_all(&raw) {
            prop_assert!(matches!(url.scheme(), "http" | "https"), "{url}");
            prop_assert!(url.host().is_some(), "{url}");
            prop_assert!(url.fragment().is_none(), "{url}");
            prop_assert!(!url.cannot_be_a_base(), "{url}");
            let reparsed = Url::parse(url.as_str());
            prop_assert_eq!(reparsed.as_ref(), Ok(&url));
        }
        prop_assert!(!resolver.base().cannot_be_a_base());
    }

    /// Plain bytes, not even markup-shaped: the same guarantees, and the DOM path agrees that
    /// there is nothing to panic about.
    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
        enc in 0..ENCODINGS.len(),
    ) {
        let raw = extract_links(&bytes, ENCODINGS[enc]);
        let page = Url::parse("http://h.test/d/").unwrap();
        for url in Resolver::new(&page, raw.base.as_deref(), ENCODINGS[enc]).resolve_all(&raw) {
            prop_assert!(matches!(url.scheme(), "http" | "https") && url.fragment().is_none());
        }
        let text = ENCODINGS[enc].decode(&bytes).0;
        let _ = extract_links_dom(&trawler::scraper::Html::parse_document(&text));
    }

    /// Any href text against any base: a resolved link is http(s), fragment-free and absolute.
    #[test]
    fn resolving_any_href_is_safe(
        href in "\\PC{0,40}",
        base in proptest::option::of("\\PC{0,20}"),
        page in document_url(),
        enc in 0..ENCODINGS.len(),
    ) {
        let resolver = Resolver::new(&page, base.as_deref(), ENCODINGS[enc]);
        if let Some(url) = resolver.resolve(&href) {
            prop_assert!(matches!(url.scheme(), "http" | "https"), "{url}");
            prop_assert!(url.fragment().is_none() && url.host().is_some(), "{url}");
        }
    }

    /// Canonicalization is idempotent, and the fingerprint of a canonical URL is stable
    /// through a serialize-parse round trip, with and without query sorting.
    #[test]
    fn canonicalization_is_idempotent_and_fingerprints_stable(text in url_text(), sort in any::<bool>()) {
        let Ok(url) = Url::parse(&text) else { return Ok(()) };
        let once = canon(&url, sort);
        let twice = canon(&once, sort);
        prop_assert_eq!(&twice, &once);
        let reparsed = canon(&Url::parse(once.as_str()).unwrap(), sort);
        prop_assert_eq!(fingerprint(&reparsed), fingerprint(&once));
        prop_assert!(once.fragment().is_none());
        prop_assert!(once.query() != Some(""));
        prop_assert_eq!(host_key(&once), host_key(&url));
        // Escapes may be decoded (only those of unreserved characters), never anything else.
        let decoded = |s: &str| percent_encoding::percent_decode_str(s).collect::<Vec<u8>>();
        prop_assert_eq!(decoded(once.path()), decoded(url.path()));
        if sort {
            // Sorting only reorders: the multiset of non-empty segments is unchanged.
            let segments = |u: &Url| {
                let mut v: Vec<Vec<u8>> = u.query().unwrap_or("").split('&')
                    .filter(|s| !s.is_empty()).map(decoded).collect();
                v.sort();
                v
            };
            prop_assert_eq!(segments(&once), segments(&url));
        } else {
            prop_assert_eq!(
                once.query().filter(|q| !q.is_empty()).map(decoded),
                url.query().filter(|q| !q.is_empty()).map(decoded)
            );
        }
    }

    /// Any string that parses as a URL canonicalizes without panicking, idempotently.
    #[test]
    fn canonicalizing_any_parseable_string_is_idempotent(text in "\\PC{0,60}", sort in any::<bool>()) {
        let candidates = [text.clone(), format!("http://h.test/{text}"), format!("https://{text}")];
        for candidate in candidates {
            if let Ok(url) = Url::parse(&candidate) {
                let once = canon(&url, sort);
                prop_assert_eq!(canon(&once, sort), once.clone());
            }
        }
    }

    /// Charset detection takes any bytes, header and address without panicking, and a page
    /// with a byte-order mark is always read as the mark says.
    #[test]
    fn charset_detection_is_total(
        body in proptest::collection::vec(any::<u8>(), 0..300),
        content_type in proptest::option::of("\\PC{0,30}"),
        host in "[a-zA-Z0-9.-]{1,20}",
    ) {
        let url = Url::parse(&format!("http://{host}/")).ok();
        let _ = charset::detect(content_type.as_deref(), &body, url.as_ref());
        let _ = charset::prescan(&body);
        let mut marked = b"\xEF\xBB\xBF".to_vec();
        marked.extend_from_slice(&body);
        prop_assert_eq!(charset::detect(content_type.as_deref(), &marked, url.as_ref()), encoding_rs::UTF_8);
    }

    /// A `<meta charset>` at the start of a page decides its encoding when the header does not.
    #[test]
    fn a_leading_meta_charset_is_found(
        label in prop_oneof![Just("shift_jis"), Just("euc-kr"), Just("windows-1251"), Just("ISO-8859-2"), Just("gbk")],
        quote in prop_oneof![Just(""), Just("\""), Just("'")],
        tail in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut body = format!("<!doctype html><meta charset={quote}{label}{quote}>").into_bytes();
        body.extend_from_slice(&tail);
        let expected = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
        prop_assert_eq!(charset::detect(Some("text/html"), &body, None), expected);
    }
}

/// The generators above would prove little if their input rarely held a link: at least a
/// quarter of generated pages must yield one.
#[test]
fn generated_markup_often_holds_links() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let page = Url::parse("http://h.test/").unwrap();
    let with_links = (0..400)
        .filter(|_| {
            let html = markup().new_tree(&mut runner).unwrap().current();
            let raw = extract_links(&html, encoding_rs::UTF_8);
            !Resolver::new(&page, raw.base.as_deref(), encoding_rs::UTF_8)
                .resolve_all(&raw)
                .is_empty()
        })
        .count();
    assert!(with_links >= 100, "{with_links} of 400");
}
