//! URL to path: the layout, and safety against every URL (property-tested).

use std::path::Component;

use proptest::prelude::*;
use url::Url;

use super::*;

fn path(url: &str) -> String {
    SavePath::for_url(&Url::parse(url).unwrap())
        .unwrap()
        .to_string()
}

#[test]
fn layout_like_wget_mirror() {
    assert_eq!(path("http://Example.COM/"), "example.com/index.html");
    assert_eq!(path("https://example.com"), "example.com/index.html");
    assert_eq!(
        path("http://example.com/docs/intro.html#part"),
        "example.com/docs/intro.html"
    );
    assert_eq!(
        path("http://example.com/docs/"),
        "example.com/docs/index.html"
    );
    assert_eq!(path("http://example.com/a//b"), "example.com/a/b");
    assert_eq!(path("http://127.0.0.1:8080/x"), "127.0.0.1%3A8080/x");
    assert_eq!(path("http://[::1]:81/x"), "%5B%3A%3A1%5D%3A81/x");
    assert_eq!(
        path("http://example.com/search?q=rust&p=2"),
        "example.com/search%3Fq=rust&p=2"
    );
    assert_eq!(
        path("http://example.com/dir/?q=1"),
        "example.com/dir/index.html%3Fq=1"
    );
    assert_eq!(
        path("http://example.com/%E2%82%AC"),
        "example.com/%E2%82%AC"
    );
    assert_eq!(
        path("http://bücher.example/"),
        "xn--bcher-kva.example/index.html"
    );
}

#[test]
fn hostile_paths_stay_inside() {
    for (url, expected) in [
        ("http://h/../../etc/passwd", "h/etc/passwd"),
        ("http://h/%2e%2e/%2E%2E/x", "h/x"),
        (
            "http://h/a/%2e%2e%2f%2e%2e%2fescape",
            "h/a/%2E.%2F..%2Fescape",
        ),
        ("http://h/a%2F..%2F..%2Fb", "h/a%2F..%2F..%2Fb"),
        ("http://h/..%5C..%5Cwin", "h/%2E.%5C..%5Cwin"),
        ("http://h/a\\..\\b", "h/b"),
        ("http://h/nul%00byte", "h/nul%00byte"),
        ("http://h/%2Fetc%2Fpasswd", "h/%2Fetc%2Fpasswd"),
        ("http://h/con", "h/%63on"),
        ("http://h/aux.html", "h/%61ux.html"),
        ("http://h/C:%5Cwindows", "h/C%3A%5Cwindows~"),
        ("http://h/.git/config", "h/%2Egit/config"),
        ("http://h/trailing.", "h/trailing%2E"),
        ("http://h/~user/", "h/%7Euser/index.html"),
    ] {
        let got = path(url);
        assert!(got.starts_with(expected), "{url}: {got}");
    }
    assert!(matches!(
        SavePath::for_url(&Url::parse("file:///etc/passwd").unwrap()),
        Err(SaveError::Unsupported { .. })
    ));
    assert!(matches!(
        SavePath::for_url(&Url::parse("data:text/html,hi").unwrap()),
        Err(SaveError::Unsupported { .. })
    ));
}

#[test]
fn very_long_urls_are_bounded() {
    let long_name = format!("http://h/{}.html", "n".repeat(5_000));
    let p = SavePath::for_url(&Url::parse(&long_name).unwrap()).unwrap();
    assert!(p.components().iter().all(|c| c.len() <= MAX_NAME));
    let deep = format!("http://h/{}end.html", "segment/".repeat(400));
    let p = SavePath::for_url(&Url::parse(&deep).unwrap()).unwrap();
    assert!(p.to_string().len() <= MAX_PATH, "{}", p.to_string().len());
    assert_eq!(p.components()[1], "~long");
    assert!(p.to_string().ends_with(".html"));
    let other = deep.replace("end", "End");
    assert_ne!(SavePath::for_url(&Url::parse(&other).unwrap()).unwrap(), p);
}

/// A component is one plain, portable name.
fn assert_safe(p: &SavePath) {
    for c in p.components() {
        assert!(!c.is_empty() && c.len() <= MAX_NAME, "{c:?}");
        assert!(
            c != "." && c != ".." && !c.starts_with('.') && !c.ends_with('.'),
            "{c:?}"
        );
        assert!(c.bytes().all(|b| b.is_ascii_graphic()), "{c:?}");
        assert!(
            !c.contains(['/', '\\', ':', '*', '?', '"', '<', '>', '|']),
            "{c:?}"
        );
    }
    let rel = p.to_path_buf();
    assert!(
        rel.components().all(|c| matches!(c, Component::Normal(_))),
        "{rel:?}"
    );
    assert_eq!(rel.components().count(), p.components().len());
}

fn hostile_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("..".to_owned()),
        Just(".".to_owned()),
        Just("%2e%2e".to_owned()),
        Just("%2E.".to_owned()),
        Just("..%2f..%2f".to_owned()),
        Just("%5c..%5c".to_owned()),
        Just("%00".to_owned()),
        Just("CON".to_owned()),
        Just("lpt1.txt".to_owned()),
        Just("%2fetc%2fpasswd".to_owned()),
        Just("C:".to_owned()),
        "[a-zA-Z0-9._~%-]{0,12}",
        "\\PC{0,8}",
        "[a-z]{150,300}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// No URL maps to a path with anything but plain names, so none can leave the directory.
    #[test]
    fn every_url_maps_inside(
        segments in prop::collection::vec(hostile_segment(), 0..12),
        query in proptest::option::of("\\PC{0,20}"),
        slash in any::<bool>(),
    ) {
        let mut text = format!("http://h.example/{}", segments.join("/"));
        if slash {
            text.push('/');
        }
        if let Some(q) = query {
            text.push('?');
            text.push_str(&q);
        }
        if let Ok(url) = Url::parse(&text) {
            let p = SavePath::for_url(&url).unwrap();
            assert_safe(&p);
            prop_assert_eq!(&p.components()[0], "h.example");
        }
    }

    /// Names differing only by case stay distinct once case is ignored.
    #[test]
    fn case_variants_stay_distinct(names in prop::collection::hash_set("[a-cA-C]{1,4}", 1..20)) {
        let mut folded: Vec<String> = names
            .iter()
            .map(|n| path(&format!("http://h/{n}")).to_ascii_lowercase())
            .collect();
        folded.sort();
        folded.dedup();
        prop_assert_eq!(folded.len(), names.len());
    }
}

#[test]
fn an_extension_goes_on_the_file_name_only_when_safe() {
    let url = Url::parse("http://a.test:8080/docs/").unwrap();
    let path = SavePath::for_url(&url).unwrap();
    assert_eq!(
        path.with_extension("png").to_string(),
        "a.test%3A8080/docs/index.html.png"
    );
    for bad in ["", "PNG", "p/ng", "..", "abcdefghi"] {
        assert_eq!(path.with_extension(bad), path, "{bad:?}");
    }
    let long = Url::parse(&format!("http://a.test/{}", "x".repeat(400))).unwrap();
    let path = SavePath::for_url(&long).unwrap().with_extension("png");
    assert!(path.components().iter().all(|c| c.len() <= MAX_NAME + 4));
}
