//! Charset detection on arbitrary bodies, Content-Type values and hosts: it must always answer,
//! and a byte-order mark must always win.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trawler::charset;
use trawler::url::Url;

fuzz_target!(|data: &[u8]| {
    // Layout: a length byte, that many bytes of Content-Type, then the body.
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(n).min(rest.len());
    let (header, body) = rest.split_at(n);
    let content_type = std::str::from_utf8(header).ok();
    let host = content_type.and_then(|h| Url::parse(&format!("http://{h}/")).ok());
    let _ = charset::detect(content_type, body, host.as_ref());
    let _ = charset::prescan(body);
    let mut marked = b"\xFE\xFF".to_vec();
    marked.extend_from_slice(body);
    assert_eq!(
        charset::detect(content_type, &marked, host.as_ref()),
        encoding_rs::UTF_16BE
    );
});
