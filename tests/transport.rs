//! What happens on the wire: compressed bodies are decoded before parsing, and the
//! fetcher says which encodings it accepts.

mod common;

use common::*;
use trawler::{Crawler, FnSpider};

#[test]
fn gzip_deflate_and_brotli_bodies_are_decoded_and_their_links_followed() {
    let server = TestServer::start();
    let first = server.url(&format!("/encoded/{}.html", ENCODINGS[0]));
    let config = config(&first).collect_outcomes(true).build().unwrap();
    let titles = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = titles.clone();
    let spider = FnSpider::<()>::new().on_html("title", move |el, _out| {
        seen.lock().unwrap().push(el.text().collect::<String>());
    });
    let report = Crawler::new(config, spider).run().unwrap();

    // Each page links only to the next encoding: reaching the last one proves every
    // body before it was decoded.
    for enc in ENCODINGS {
        let o = outcome(&report, &server.url(&format!("/encoded/{enc}.html")));
        assert!(o.is_fetched(), "{enc}: {o:?}");
        assert_eq!(server.hits(&format!("/encoded/{enc}.html")), 1);
    }
    let mut titles = titles.lock().unwrap().clone();
    titles.sort();
    let mut want: Vec<String> = ENCODINGS.iter().map(|e| format!("encoded {e}")).collect();
    want.sort();
    assert_eq!(titles, want, "the spider saw the decoded text");
    // Decoded sizes, not wire sizes: the identity page and the gzip page differ only in
    // their title and link, so their byte counts are within a few bytes of each other.
    let gz = outcome(&report, &first).bytes;
    let plain = outcome(&report, &server.url("/encoded/identity.html")).bytes;
    assert!(gz.abs_diff(plain) < 40, "gzip {gz} vs identity {plain}");

    let accept = server.hits_full()[0]
        .headers
        .iter()
        .find(|(k, _)| k == "accept-encoding")
        .map(|(_, v)| v.clone())
        .expect("an Accept-Encoding header was sent");
    for enc in ["gzip", "br"] {
        assert!(
            accept.contains(enc),
            "Accept-Encoding {accept:?} lacks {enc}"
        );
    }
    assert_books_balance(&report, &server);
}
