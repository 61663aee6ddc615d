//! Tests of the link extractor and the resolver, kept beside them but out of their file.

use super::*;
use encoding_rs::UTF_8;
use url::Url;

const PAGE: &str = "http://shop.example/catalogue/index.html";
const FIXTURE: &str = include_str!("../../tests/fixtures/links.html");

fn links(html: &str) -> RawLinks {
    extract_links(html.as_bytes(), encoding_rs::UTF_8)
}

fn hrefs(html: &str) -> Vec<String> {
    links(html).hrefs
}

fn resolved(html: &str) -> Vec<String> {
    let page = Url::parse(PAGE).unwrap();
    resolve_links(&page, &links(html))
        .into_iter()
        .map(String::from)
        .collect()
}

#[test]
fn selectors_can_live_in_statics() {
    fn shared<T: Send + Sync>(_: &T) {}
    shared(&*LINKS);
    shared(&*DOM_LINKS);
}

#[test]
fn extracts_a_and_area_in_order() {
    let html = r#"<p><a href="/1">x</a><map><area href="/2"></map><a>no</a><a href="/3"></p>"#;
    assert_eq!(hrefs(html), ["/1", "/2", "/3"]);
    assert_eq!(
        hrefs(r#"<A HREF="/UP">x</A><AREA Href=/area>"#),
        ["/UP", "/area"]
    );
    assert_eq!(
        hrefs(r#"<link href="/css"><img src="/i"><iframe src="/f">"#),
        [""; 0]
    );
}

#[test]
fn ignores_raw_text_and_comments() {
    let html = r#"<title><a href="/t">x</a></title>
        <script>var s="<a href='/trap'>";</script>
        <style>/* <a href="/s"> */</style>
        <textarea><a href="/ta"></textarea>
        <!-- <a href="/c"> -->
        <xmp><a href="/xmp"></xmp>
        <a href="/real">real</a>"#;
    assert_eq!(hrefs(html), ["/real"]);
    let dom = extract_links_dom(&scraper::Html::parse_document(html));
    assert_eq!(dom.hrefs, ["/real"]);
}

#[test]
fn first_base_with_href_wins() {
    let html = r#"<base target="_blank"><base href="/sub/"><base href="/other/"><a href="x">"#;
    assert_eq!(links(html).base.as_deref(), Some("/sub/"));
    assert_eq!(resolved(html), ["http://shop.example/sub/x"]);
    assert_eq!(links("<base target=_top><a href=x>").base, None);
}

#[test]
fn decodes_entities_in_attributes() {
    let html = r#"<a href="/q?a=1&amp;b=2"><a href='/q?x=&#49;&#x32;&copy=3&lt;'>"#;
    assert_eq!(hrefs(html), ["/q?a=1&b=2", "/q?x=12&copy=3<"]);
    assert_eq!(resolved(html)[0], "http://shop.example/q?a=1&b=2");
}

#[test]
fn hrefs_with_whitespace_resolve() {
    let html = "<a href=\"\n\t  /spaced/path \n\">x</a><a href=' rel '>";
    assert_eq!(
        resolved(html),
        [
            "http://shop.example/spaced/path",
            "http://shop.example/catalogue/rel"
        ]
    );
}

#[test]
fn never_panics_on_malformed_input() {
    let inputs: [&[u8]; 9] = [
        b"",
        b"<",
        b"<a href=\"",
        b"<a href='/x' <a href=\"/y\"",
        b"<html><body><div><a href=/ok><p><table><a href=/t></td></tr>",
        b"\xff\xfe\x00<a\x00 href=\"/\xc3\x28\">\x80\x81",
        b"<!--",
        b"<script>",
        b"<svg><math><a href=/m></svg></math><select><xmp><script></select>",
    ];
    for input in inputs {
        let _ = extract_links(input, encoding_rs::UTF_8);
        let _ = extract_links(input, encoding_rs::WINDOWS_1252);
        let _ = extract_links(input, encoding_rs::UTF_16LE);
    }
    assert_eq!(links("").hrefs.len(), 0);
    let mut rng = fastrand::Rng::with_seed(7);
    let alphabet = b"<>/=\"' &#;abhrefAHREF-!\n\xc3\xa9\xff";
    for _ in 0..2_000 {
        let len = rng.usize(0..200);
        let bytes: Vec<u8> = (0..len)
            .map(|_| alphabet[rng.usize(..alphabet.len())])
            .collect();
        let raw = extract_links(&bytes, encoding_rs::UTF_8);
        let _ = resolve_links(&Url::parse(PAGE).unwrap(), &raw);
    }
}

#[test]
fn unclosed_tags_still_yield_links() {
    let html = "<div><p><a href=/one>one<p><a href=/two>two</div><p>more<li><a href=/three";
    assert_eq!(hrefs(html), ["/one", "/two"]);
    // The DOM clones the unclosed /two anchor into the next paragraph.
    let dom = extract_links_dom(&scraper::Html::parse_document(html));
    assert_eq!(dom.hrefs, ["/one", "/two", "/two"]);
}

#[test]
fn memory_limit_keeps_links_found_so_far() {
    let mut html = String::from(r#"<a href="/before">"#);
    html.push_str(&"<div>".repeat(50_000));
    html.push_str(r#"<a href="/after">"#);
    let full = extract_streaming(
        html.as_bytes(),
        AsciiCompatibleEncoding::utf_8(),
        usize::MAX,
    );
    assert_eq!(full.hrefs, ["/before", "/after"]);
    let cut = extract_streaming(html.as_bytes(), AsciiCompatibleEncoding::utf_8(), 4_096);
    assert_eq!(cut.hrefs, ["/before"]);
}

#[test]
fn values_that_look_like_byte_order_marks_stay_text() {
    // `ÿþ` in windows-1252 and U+FEFF in UTF-8 are plain characters inside an attribute.
    let raw = extract_links(b"<a href=\"\xff\xfe/x\">", encoding_rs::WINDOWS_1252);
    assert_eq!(raw.hrefs, ["\u{ff}\u{fe}/x"]);
    let raw = extract_links("<a href=\"\u{feff}/y\">".as_bytes(), UTF_8);
    assert_eq!(raw.hrefs, ["\u{feff}/y"]);
    // Invalid UTF-8 decodes to U+FFFD, as in a browser.
    let raw = extract_links(b"<a href=\"/\xff\xfe\">", UTF_8);
    assert_eq!(raw.hrefs, ["/\u{fffd}\u{fffd}"]);
}

#[test]
fn attribute_forms_and_duplicates() {
    let html = "<a HREF=/upper><a data-href=/no href=/yes><a href><a href=/first href=/second>\
                <a\nhref\n=\n'/spaced'>";
    assert_eq!(hrefs(html), ["/upper", "/yes", "", "/first", "/spaced"]);
}

#[test]
fn deep_nesting_streams_in_linear_time() {
    for (name, html) in [
        (
            "open divs",
            format!("<a href=/before>{}<a href=/after>", "<div>".repeat(100_000)),
        ),
        (
            "unmatched closes",
            format!(
                "<a href=/before>{}{}<a href=/after>",
                "<div>".repeat(100_000),
                "</span>".repeat(100_000)
            ),
        ),
        (
            "formatting",
            format!(
                "<a href=/before>{}<a href=/after>",
                "<b><i>".repeat(100_000)
            ),
        ),
        (
            "tables",
            format!(
                "<a href=/before>{}<a href=/after>",
                "<table><tr><td>".repeat(30_000)
            ),
        ),
    ] {
        let started = std::time::Instant::now();
        let raw = extract_links(html.as_bytes(), UTF_8);
        assert_eq!(
            raw.hrefs.first().map(String::as_str),
            Some("/before"),
            "{name}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{name}: {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn utf16_page_is_decoded_first() {
    let text = "<a href=\"/utf16\">x</a><base href=\"/b/\">";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let raw = extract_links(&bytes, encoding_rs::UTF_16LE);
    assert_eq!(
        raw,
        RawLinks {
            base: Some("/b/".into()),
            hrefs: vec!["/utf16".into()],
            ..RawLinks::default()
        }
    );
}

#[test]
fn streaming_and_dom_agree_on_fixture() {
    let streamed = extract_links(FIXTURE.as_bytes(), encoding_rs::UTF_8);
    let dom = extract_links_dom(&scraper::Html::parse_document(FIXTURE));
    assert_eq!(streamed.base, dom.base);
    // The tree builder clones an unclosed <a> into each following block (the "reconstruct
    // active formatting elements" step), so the DOM repeats its href; the token stream does
    // not. Equal once deduplicated, which the crawler does anyway.
    let first_seen = |v: &[String]| {
        let mut seen = std::collections::HashSet::new();
        v.iter()
            .filter(|h| seen.insert(h.as_str()))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(first_seen(&streamed.hrefs), first_seen(&dom.hrefs));
    assert!(dom.hrefs.len() > streamed.hrefs.len());
    assert_eq!(streamed.base.as_deref(), Some("/catalogue/"));
    let page = Url::parse("http://shop.example/").unwrap();
    let urls: Vec<String> = resolve_links(&page, &streamed)
        .into_iter()
        .map(String::from)
        .collect();
    assert!(
        urls.iter().all(|u| !u.contains("trap") && !u.contains('#')),
        "{urls:#?}"
    );
    let expected_head = [
        "http://shop.example/",
        "http://shop.example/catalogue/books/",
        "http://shop.example/catalogue/music/?sort=price&order=asc",
        "http://shop.example/catalogue/films/index.html",
        "http://shop.example/catalogue/games/",
        "http://shop.example/catalogue/",
        "http://shop.example/catalogue/books/fiction/?page=2&per=20",
        "http://shop.example/catalogue/books/non-fiction/",
        "http://shop.example/catalogue/books/caf%C3%A9/",
        "http://shop.example/catalogue/item?id=1&copy=2",
        "http://shop.example/catalogue/item?id=2&lang=fr&x=1",
        "http://shop.example/catalogue/item?id=3%C2%B6",
    ];
    assert_eq!(urls[..expected_head.len()], expected_head);
    assert_eq!(urls.len(), 37 - 5, "{urls:#?}");
}

#[test]
fn links_inside_noscript_count_as_in_a_browser_with_scripting_off() {
    let html = r#"<head><noscript><link rel=stylesheet href="/no.css"></noscript></head>
        <a href="/before">x</a>
        <noscript><a href="/ns/one?a=1&amp;b=2">one</a><p><a href='/ns/two'>two</a>
          <noscript><a href="/ns/nested">nested</a></noscript></noscript>
        <script><noscript><a href="/trap"></noscript></script>
        <a href="/after">y</a>"#;
    assert_eq!(
        hrefs(html),
        [
            "/before",
            "/ns/one?a=1&b=2",
            "/ns/two",
            "/ns/nested",
            "/after"
        ]
    );
    // The DOM a page builds (scripting off) has them as elements too.
    let (dom, _) = crate::dom::parse_document(html, crate::dom::MAX_DOM_DEPTH);
    let dom_links = extract_links_dom(&dom).hrefs;
    for h in ["/ns/one?a=1&b=2", "/ns/two", "/before", "/after"] {
        assert!(dom_links.iter().any(|d| d == h), "{h} in {dom_links:?}");
    }
    assert!(!dom_links.iter().any(|d| d == "/trap"));
}

#[test]
fn rel_nofollow_links_and_robots_meta_are_noted() {
    let html = r#"<meta name="Robots" content="NOINDEX, follow"><meta name="description" content="none of it">
        <meta name="viewport" content="width=device-width">
        <a href="/a">a</a><a rel="ugc NoFollow" href="/b">b</a><a rel="nofollowing" href="/c">c</a>
        <noscript><a rel=nofollow href="/d">d</a></noscript>"#;
    let raw = links(html);
    assert_eq!(raw.hrefs, ["/a", "/b", "/c", "/d"]);
    assert_eq!(raw.nofollow, [1, 3]);
    assert_eq!(
        raw.robots_meta,
        [
            ("robots".to_string(), "NOINDEX, follow".to_string()),
            ("description".to_string(), "none of it".to_string())
        ]
    );
    let dom = extract_links_dom(&scraper::Html::parse_document(html));
    assert_eq!(dom.nofollow, [1]);
    assert_eq!(dom.robots_meta.len(), 2);
}

#[test]
fn the_first_href_and_the_first_rel_of_a_link_count() {
    let html = r#"<a href="/a" rel="nofollow" href="/x">a</a><a rel="x" rel="nofollow" href="/b">b</a>
        <a rel href="/c">c</a><a REL="External NOFOLLOW" HREF="/d">d</a><a rel="nofollow">none</a>
        <a href rel="nofollow">e</a>"#;
    let raw = links(html);
    assert_eq!(raw.hrefs, ["/a", "/b", "/c", "/d", ""]);
    assert_eq!(raw.nofollow, [0, 3, 4]);
    let dom = extract_links_dom(&scraper::Html::parse_document(html));
    assert_eq!((dom.hrefs, dom.nofollow), (raw.hrefs, raw.nofollow));
}
