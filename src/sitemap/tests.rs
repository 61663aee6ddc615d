//! Unit tests of `sitemap`.

use super::*;
use std::io::Write;

const NS: &str = "xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn a_urlset_lists_its_locs_only() {
    let xml = format!(
        "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset {NS} \
         xmlns:image=\"http://www.google.com/schemas/sitemap-image/1.1\">\n\
         <url><loc> http://a.test/1?x=1&amp;y=&#50; </loc><lastmod>2024-01-01</lastmod>\
         <image:image><image:loc>http://a.test/img.png</image:loc></image:image></url>\n\
         <url><loc><![CDATA[http://a.test/2]]></loc></url>\n\
         <url><loc></loc></url></urlset>"
    );
    let d = parse(xml.as_bytes());
    assert_eq!(d.kind, SitemapKind::Urls);
    assert_eq!(d.locs, ["http://a.test/1?x=1&y=2", "http://a.test/2"]);
    assert_eq!(d.problem, None);
}

#[test]
fn an_index_lists_sitemaps() {
    let xml = "<sm:sitemapindex xmlns:sm=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\
         <sm:sitemap><sm:loc>http://a.test/s1.xml.gz</sm:loc></sm:sitemap>\
         <sm:sitemap><sm:loc>http://a.test/s2.xml</sm:loc></sm:sitemap></sm:sitemapindex>";
    let d = parse(xml.as_bytes());
    assert_eq!(d.kind, SitemapKind::Index);
    assert_eq!(d.locs, ["http://a.test/s1.xml.gz", "http://a.test/s2.xml"]);
}

#[test]
fn gzipped_bodies_are_inflated_whatever_they_are_called() {
    let xml = format!("<urlset {NS}><url><loc>http://a.test/z</loc></url></urlset>");
    assert_eq!(parse(&gzip(xml.as_bytes())).locs, ["http://a.test/z"]);
    let text = gzip(b"http://a.test/t1\n\nhttp://a.test/t2\r\n");
    assert_eq!(parse(&text).locs, ["http://a.test/t1", "http://a.test/t2"]);
}

#[test]
fn broken_input_keeps_what_came_before() {
    let xml = format!("<urlset {NS}><url><loc>http://a.test/ok</loc></url><url><loc>x</urlset>");
    let d = parse(xml.as_bytes());
    assert_eq!(d.locs, ["http://a.test/ok"]);
    assert!(d.problem.unwrap().contains("invalid XML"));
    let mut gz =
        gzip(format!("<urlset {NS}><url><loc>http://a.test/a</loc></url></urlset>").as_bytes());
    gz.truncate(gz.len() / 2);
    let d = parse(&gz);
    assert!(d.problem.is_some(), "{d:?}");
    assert!(parse(b"").locs.is_empty());
}

#[test]
fn a_file_yields_at_most_the_protocol_limit_of_urls() {
    let mut xml = format!("<urlset {NS}>");
    for i in 0..SITEMAP_MAX_URLS + 5 {
        xml.push_str(&format!("<url><loc>http://a.test/{i}</loc></url>"));
    }
    xml.push_str("</urlset>");
    // Compressed, the file is small; inflated, it is still read with the cap.
    let d = parse(&gzip(xml.as_bytes()));
    assert_eq!(d.locs.len(), SITEMAP_MAX_URLS);
    assert!(d.problem.unwrap().contains("ignored"));
}

#[test]
fn a_gzip_bomb_is_read_only_up_to_the_byte_cap() {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![b' '; 1 << 20];
    e.write_all(format!("<urlset {NS}>").as_bytes()).unwrap();
    for _ in 0..(SITEMAP_MAX_BYTES >> 20) + 8 {
        e.write_all(&chunk).unwrap();
    }
    e.write_all(b"<url><loc>http://a.test/beyond</loc></url></urlset>")
        .unwrap();
    let d = parse(&e.finish().unwrap());
    assert!(d.locs.is_empty(), "the URL past the cap is never reached");
    assert!(d.problem.is_some());
}

#[test]
fn statuses_mean_read_follow_retry_or_give_up() {
    let body = format!("<urlset {NS}><url><loc>http://a.test/</loc></url></urlset>");
    assert!(
        matches!(interpret(200, None, body.as_bytes(), None), SitemapAnswer::Doc(d) if d.locs.len() == 1)
    );
    assert!(
        matches!(interpret(301, Some(" /new.xml "), b"", None), SitemapAnswer::Redirect(l) if l == "/new.xml")
    );
    assert!(matches!(
        interpret(302, None, b"", None),
        SitemapAnswer::Gone(302)
    ));
    assert!(matches!(
        interpret(404, None, b"", None),
        SitemapAnswer::Gone(404)
    ));
    assert!(matches!(
        interpret(503, None, b"", Some(Duration::from_secs(2))),
        SitemapAnswer::Retry {
            error: FetchError::Status(503),
            retry_after: Some(_)
        }
    ));
}

#[test]
fn the_book_takes_each_sitemap_once_within_the_bounds() {
    let mut b = SitemapBook::default();
    let u = |s: &str| Url::parse(s).unwrap();
    assert!(b.offer(&u("http://a.test/sitemap.xml"), 1));
    assert!(!b.offer(&u("http://a.test/sitemap.xml#x"), 1), "seen");
    assert!(b.offer(&u("http://a.test/s-2.xml"), SITEMAP_MAX_LEVELS));
    assert!(
        !b.offer(&u("http://a.test/s-3.xml"), SITEMAP_MAX_LEVELS + 1),
        "too deep"
    );
    for i in 0..SITEMAP_MAX_FILES {
        b.offer(&u(&format!("http://a.test/m{i}.xml")), 2);
    }
    assert!(!b.offer(&u("http://a.test/one-more.xml"), 1), "file cap");
}
