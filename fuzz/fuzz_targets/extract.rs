//! Link extraction and resolution on arbitrary bytes in any encoding, and the depth-bounded
//! DOM on the same page: nothing may panic or hang, and every link must be an absolute http(s)
//! URL without a fragment.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trawler::extract::{Resolver, extract_links};
use trawler::url::Url;

const ENCODINGS: [&encoding_rs::Encoding; 6] = [
    encoding_rs::UTF_8,
    encoding_rs::WINDOWS_1252,
    encoding_rs::SHIFT_JIS,
    encoding_rs::GB18030,
    encoding_rs::UTF_16LE,
    encoding_rs::ISO_2022_JP,
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, html)) = data.split_first() else {
        return;
    };
    let encoding = ENCODINGS[usize::from(selector) % ENCODINGS.len()];
    let page = Url::parse("http://fuzz.test/dir/page.html?x=1").unwrap();
    let raw = extract_links(html, encoding);
    let resolver = Resolver::new(&page, raw.base.as_deref(), encoding);
    assert!(!resolver.base().cannot_be_a_base());
    for url in resolver.resolve_all(&raw) {
        assert!(matches!(url.scheme(), "http" | "https"), "{url}");
        assert!(url.host().is_some() && url.fragment().is_none(), "{url}");
    }
    // The DOM path, on the text a plugin would get.
    if selector & 0x80 != 0 {
        let text = encoding.decode(html).0;
        let (_dom, _cut) = trawler::dom::parse_document(&text, 64);
    }
});
