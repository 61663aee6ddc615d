//! Everything a host serves besides its HTML pages: assets, robots.txt and sitemaps.
//!
//! Assets are few and small, so their bodies are built once (from the seed) and served as
//! shared `Bytes`. Each starts with its format's magic bytes and is served with the matching
//! Content-Type, so a crawler that sniffs or filters by type sees something plausible.
//! Sitemaps list only reachable pages (the unreachable ones must stay undiscoverable) and are
//! generated per request, like pages.

use bytes::Bytes;

use super::graph::HostGraph;
use super::rng::{Rng, hash3};
use super::text::{is_canonical_num, push, push_num};

/// Assets of each kind: `/assets/0.pdf` ..= `/assets/{ASSET_COUNT - 1}.pdf`, same for png, zip.
pub(crate) const ASSET_COUNT: u32 = 32;
/// Asset kinds: extension, Content-Type and magic bytes.
pub(crate) const ASSET_KINDS: [(&str, &str, &[u8]); 3] = [
    ("pdf", "application/pdf", b"%PDF-1.4\n%"),
    ("png", "image/png", b"\x89PNG\r\n\x1a\n"),
    ("zip", "application/zip", b"PK\x03\x04"),
];
/// Most URLs per `/sitemap-N.xml` file (the protocol allows 50,000).
pub(crate) const SITEMAP_URLS: u32 = 10_000;

const STYLESHEET: &str = "body{max-width:60em;margin:auto;font-family:sans-serif}\n\
nav a{margin:0 .5em}\naside{float:right;width:16em}\nfooter{clear:both;color:#666}\n";

/// The pre-built asset bodies shared by all hosts.
#[derive(Debug)]
pub(crate) struct Assets {
    /// Indexed by `kind * ASSET_COUNT + n`.
    bodies: Vec<Bytes>,
    stylesheet: Bytes,
}

impl Assets {
    pub(crate) fn new(seed: u64) -> Self {
        let mut bodies = Vec::with_capacity(ASSET_KINDS.len() * ASSET_COUNT as usize);
        for (kind, (_, _, magic)) in ASSET_KINDS.iter().enumerate() {
            for n in 0..ASSET_COUNT {
                let mut rng = Rng::new(hash3(seed, kind as u64, u64::from(n)));
                #[allow(clippy::cast_possible_truncation)] // at most 4 KiB.
                let len = rng.range(512, 4096) as usize;
                let mut body = magic.to_vec();
                body.extend((body.len()..len).map(|_| rng.next_u64().to_le_bytes()[0]));
                bodies.push(Bytes::from(body));
            }
        }
        Self {
            bodies,
            stylesheet: Bytes::from_static(STYLESHEET.as_bytes()),
        }
    }

    /// The Content-Type and body of `/assets/{name}`, if it exists.
    pub(crate) fn lookup(&self, name: &str) -> Option<(&'static str, Bytes)> {
        if name == "site.css" {
            return Some(("text/css; charset=utf-8", self.stylesheet.clone()));
        }
        let (stem, ext) = name.split_once('.')?;
        let n = u32::try_from(is_canonical_num(stem, 1)?)
            .ok()
            .filter(|&n| n < ASSET_COUNT)?;
        let kind = ASSET_KINDS.iter().position(|(e, _, _)| *e == ext)?;
        let body = self.bodies[kind * ASSET_COUNT as usize + n as usize].clone();
        Some((ASSET_KINDS[kind].1, body))
    }
}

/// The robots.txt body for one host: the template with `{origin}` substituted.
pub(crate) fn robots_body(template: &str, origin: &str) -> Bytes {
    Bytes::from(template.replace("{origin}", origin))
}

/// How many `/sitemap-N.xml` files a host with `pages` reachable pages has.
pub(crate) fn sitemap_count(pages: u32) -> u32 {
    pages.div_ceil(SITEMAP_URLS)
}

/// The number `N` of a `sitemap-N.xml` file name, if canonical.
pub(crate) fn parse_sitemap_name(name: &str) -> Option<u32> {
    let n = name.strip_prefix("sitemap-")?.strip_suffix(".xml")?;
    u32::try_from(is_canonical_num(n, 1)?).ok()
}

/// Writes `/sitemap.xml`: a sitemap index pointing at every `/sitemap-N.xml`.
pub(crate) fn write_sitemap_index(origin: &str, pages: u32, out: &mut Vec<u8>) {
    push(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    push(
        out,
        "<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for n in 0..sitemap_count(pages) {
        push(out, "<sitemap><loc>");
        push(out, origin);
        push(out, "/sitemap-");
        push_num(out, u64::from(n), 1);
        push(out, ".xml</loc></sitemap>\n");
    }
    push(out, "</sitemapindex>\n");
}

/// Writes `/sitemap-{n}.xml`: the reachable pages `n * SITEMAP_URLS ..` of one host.
pub(crate) fn write_sitemap(graph: &HostGraph, origin: &str, n: u32, out: &mut Vec<u8>) {
    let first = n.saturating_mul(SITEMAP_URLS).min(graph.pages());
    let last = first.saturating_add(SITEMAP_URLS).min(graph.pages());
    out.reserve((last - first) as usize * (origin.len() + 40));
    push(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    push(
        out,
        "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for id in first..last {
        push(out, "<url><loc>");
        push(out, origin);
        graph.write_path(id, out);
        push(out, "</loc></url>\n");
    }
    push(out, "</urlset>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_have_their_magic_and_type() {
        let assets = Assets::new(1);
        let (ty, body) = assets.lookup("3.png").unwrap();
        assert_eq!(ty, "image/png");
        assert!(body.starts_with(b"\x89PNG"));
        assert!((512..=4096).contains(&body.len()));
        assert_eq!(assets.lookup("31.zip").unwrap().0, "application/zip");
        assert!(assets.lookup("32.zip").is_none());
        assert!(assets.lookup("03.pdf").is_none());
        assert!(assets.lookup("site.css").unwrap().0.starts_with("text/css"));
    }

    #[test]
    fn sitemaps_cover_reachable_pages_only() {
        let graph = HostGraph::new(1, 0, 25_000, 5, 20);
        let mut index = Vec::new();
        write_sitemap_index("http://h", graph.pages(), &mut index);
        let index = String::from_utf8(index).unwrap();
        assert_eq!(index.matches("<sitemap>").count(), 3);
        let mut total = 0;
        for n in 0..3 {
            let mut body = Vec::new();
            write_sitemap(&graph, "http://h", n, &mut body);
            total += String::from_utf8(body).unwrap().matches("<loc>").count();
        }
        assert_eq!(total, 25_000);
        assert_eq!(parse_sitemap_name("sitemap-2.xml"), Some(2));
        assert_eq!(parse_sitemap_name("sitemap-02.xml"), None);
    }
}
