//! Pages of the synthetic site without a server: fixtures for extractor benchmarks.
//!
//! A benchmark of link extraction wants realistic pages of a chosen size, the same bytes on
//! every machine and every run, and no socket in its timing loop. The running testbed already
//! generates exactly such pages on demand, so this renders them through the same pure core
//! ([`Site`]) instead of committing megabytes of fixture files that could drift from what
//! the server really sends.

use std::io;
use std::ops::Range;

use url::Url;

use super::site::{Resource, Site};
use super::spec::SiteSpec;

/// Renders pages `ids` of host 0 of `spec` as a testbed serving it at `origin`
/// (`http://127.0.0.1:PORT`, no trailing slash) would serve them, with each page's URL.
///
/// Ids past the site's last page (reachable or not) are left out. Byte-identical for the
/// same spec, origin and ids. `spec.hosts` is ignored: the pages are those of a one-host site.
///
/// # Errors
///
/// `InvalidInput` for an invalid spec (see [`SiteSpec::validate`]) or an `origin` that is
/// not an absolute `http(s)` URL without a path.
pub fn render_pages(
    spec: &SiteSpec,
    origin: &str,
    ids: Range<u32>,
) -> io::Result<Vec<(Url, Vec<u8>)>> {
    spec.validate()?;
    let bad_origin = || {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("testbed: origin must look like http://127.0.0.1:8080, got {origin:?}"),
        )
    };
    let parsed = Url::parse(origin).map_err(|_| bad_origin())?;
    if !matches!(parsed.scheme(), "http" | "https") || origin.ends_with('/') {
        return Err(bad_origin());
    }
    // One host only: with more, pages also carry cross-host links, which a single origin
    // cannot point anywhere.
    let one_host = SiteSpec {
        hosts: 1,
        ..spec.clone()
    };
    let site = Site::new(&one_host, vec![origin.to_owned()]);
    let total = site.graphs[0].total();
    let mut pages = Vec::with_capacity(ids.len());
    for id in ids.start..ids.end.min(total) {
        let url = Url::parse(&site.page_url(0, id)).map_err(|_| bad_origin())?;
        let mut body = Vec::new();
        site.render(0, &Resource::Page(id), &mut body);
        pages.push((url, body));
    }
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_pages_are_deterministic_and_sized_by_the_spec() {
        let spec = SiteSpec {
            pages: 50,
            page_bytes: 3_000,
            ..SiteSpec::default()
        };
        let a = render_pages(&spec, "http://127.0.0.1:8080", 0..10).unwrap();
        let b = render_pages(&spec, "http://127.0.0.1:8080", 0..10).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 10);
        assert_eq!(a[0].0.as_str(), "http://127.0.0.1:8080/");
        let mean = a.iter().map(|(_, p)| p.len()).sum::<usize>() / a.len();
        assert!((1_500..=6_000).contains(&mean), "mean page {mean} B");
        // Past the last page (50 reachable + 5 unreachable) nothing is rendered.
        assert_eq!(
            render_pages(&spec, "http://127.0.0.1:8080", 50..100)
                .unwrap()
                .len(),
            5
        );
        assert!(render_pages(&spec, "http://127.0.0.1:8080/", 0..1).is_err());
        assert!(render_pages(&spec, "127.0.0.1:8080", 0..1).is_err());
    }
}
