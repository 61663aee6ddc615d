//! The generated site, checked as a crawler would see it: parsed with `lol_html` (so that
//! `<script>` and `<style>` text is not taken for links) and resolved with `Url::join`.

use std::collections::{HashSet, VecDeque};

use url::Url;

use crate::site::{Resource, Site};
use crate::spec::SiteSpec;

fn site(spec: &SiteSpec) -> Site {
    let origins = (0..spec.hosts)
        .map(|h| format!("http://127.0.0.{}:18090", h + 1))
        .collect();
    Site::new(spec, origins)
}

fn page(site: &Site, host: usize, id: u32) -> String {
    let mut out = Vec::new();
    site.render(host, &Resource::Page(id), &mut out);
    String::from_utf8(out).unwrap()
}

/// `a[href]` values, as an HTML parser finds them.
fn hrefs(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    let settings = lol_html::RewriteStrSettings::new().append_element_content_handler(
        lol_html::element!("a[href]", |el| {
            found.extend(el.get_attribute("href"));
            Ok(())
        }),
    );
    lol_html::rewrite_str(html, settings).unwrap();
    found
}

/// The in-content links: the hrefs inside `<article>`.
fn article_hrefs(html: &str) -> Vec<String> {
    let start = html.find("<article>").unwrap();
    let end = html.find("</article>").unwrap();
    hrefs(&html[start..end])
}

#[test]
fn same_spec_same_bytes_and_seed_or_host_changes_them() {
    let spec = SiteSpec {
        pages: 300,
        hosts: 2,
        ..SiteSpec::default()
    };
    let (a, b) = (site(&spec), site(&spec));
    for id in (0..305).step_by(7) {
        assert_eq!(page(&a, 0, id), page(&b, 0, id), "page {id}");
    }
    let c = site(&SiteSpec { seed: 2, ..spec });
    assert_ne!(page(&a, 0, 5), page(&c, 0, 5));
    assert_ne!(page(&a, 0, 5), page(&a, 1, 5));
}

#[test]
fn pages_have_the_realistic_shape_and_size() {
    let s = site(&SiteSpec {
        pages: 2000,
        ..SiteSpec::default()
    });
    let mut sizes = Vec::new();
    for id in 0..200 {
        let html = page(&s, 0, id);
        for part in [
            "<title>",
            "<meta name=\"description\"",
            "<link rel=\"stylesheet\"",
            "<nav>",
            "<aside>",
            "<footer>",
            "<img src=\"/assets/",
            "</html>\n",
        ] {
            assert!(html.contains(part), "page {id} lacks {part}");
        }
        assert!(html.contains(&format!("url(/trap/style-{id}.html)")));
        assert!(html.contains(&format!("<a href=\\\"/trap/script-{id}.html\\\">")));
        assert!(
            html.contains(&format!("'<a href=\"/trap/script-{id}b.html\">")),
            "a naive regex would see this"
        );
        assert!(
            hrefs(&html).iter().all(|h| !h.contains("/trap/")),
            "page {id}: a trap is a real link"
        );
        assert_eq!(article_hrefs(&html).len(), 20, "page {id}");
        sizes.push(html.len());
    }
    let mean = sizes.iter().sum::<usize>() / sizes.len();
    assert!((19_000..22_500).contains(&mean), "mean page size {mean}");
    assert!(
        sizes.iter().all(|&n| (9_000..33_000).contains(&n)),
        "{sizes:?}"
    );
    assert!(
        sizes.iter().max().unwrap() - sizes.iter().min().unwrap() > 12_000,
        "sizes do not vary enough"
    );
}

#[test]
fn link_forms_are_mixed_as_promised() {
    let s = site(&SiteSpec {
        pages: 5000,
        ..SiteSpec::default()
    });
    let (mut abs, mut rel, mut full, mut frag, mut dot, mut up) = (0, 0, 0, 0, 0, 0);
    for id in 0..300 {
        for href in article_hrefs(&page(&s, 0, id)) {
            match href.as_bytes()[0] {
                b'/' => abs += 1,
                b'h' => full += 1,
                _ => rel += 1,
            }
            frag += usize::from(href.contains('#'));
            dot += usize::from(href.starts_with("./"));
            up += usize::from(href.starts_with("../"));
        }
    }
    #[allow(clippy::cast_precision_loss)] // small counts.
    let share = |n: usize| n as f64 / (abs + rel + full) as f64;
    assert!(
        (0.36..0.44).contains(&share(abs)),
        "absolute {}",
        share(abs)
    );
    assert!(
        (0.31..0.39).contains(&share(rel)),
        "relative {}",
        share(rel)
    );
    assert!((0.21..0.29).contains(&share(full)), "full {}", share(full));
    assert!(
        (0.035..0.065).contains(&share(frag)),
        "fragment {}",
        share(frag)
    );
    assert!(dot > 100 && up > 100, "relative forms ./ {dot} ../ {up}");
}

#[test]
fn off_site_links_never_leave_loopback_or_dot_invalid() {
    let s = site(&SiteSpec {
        pages: 1000,
        hosts: 2,
        ..SiteSpec::default()
    });
    for id in 0..200 {
        let base = Url::parse(&s.page_url(0, id)).unwrap();
        let (mut off, mut assets) = (0, 0);
        for href in hrefs(&page(&s, 0, id)) {
            let url = base.join(&href).unwrap();
            let origin = url.origin().ascii_serialization();
            if s.origins.contains(&origin) {
                assets += usize::from(url.path().starts_with("/assets/"));
                continue;
            }
            off += 1;
            let host = url.host_str().unwrap();
            assert!(
                ["127.0.0.252", "127.0.0.253", "127.0.0.254"].contains(&host)
                    || host.ends_with(".invalid"),
                "{url}"
            );
        }
        assert!(
            (1..=3).contains(&off) && (1..=3).contains(&assets),
            "page {id}: {off} off-site, {assets} assets"
        );
    }
}

/// The reachability claim, checked end to end: BFS from host 0's `/` over parsed and
/// resolved `<a href>`s reaches exactly `reachable_pages()` pages, all of them canonical,
/// and never an unreachable page or a trap.
#[test]
fn bfs_over_rendered_html_reaches_exactly_the_claimed_pages() {
    let spec = SiteSpec {
        pages: 400,
        hosts: 3,
        links_per_page: 3,
        ..SiteSpec::default()
    };
    let s = site(&spec);
    let start = format!("{}/", s.origins[0]);
    let mut seen = HashSet::from([start.clone()]);
    let mut queue = VecDeque::from([start]);
    while let Some(url) = queue.pop_front() {
        let base = Url::parse(&url).unwrap();
        let host = s
            .origins
            .iter()
            .position(|o| *o == base.origin().ascii_serialization())
            .unwrap();
        let Resource::Page(id) = s.resolve(host, base.path()) else {
            panic!("{url} is no page")
        };
        assert!(id < spec.pages, "reached unreachable page {url}");
        for href in hrefs(&page(&s, host, id)) {
            let mut next = base.join(&href).unwrap();
            next.set_fragment(None);
            let origin = next.origin().ascii_serialization();
            let Some(h) = s.origins.iter().position(|o| *o == origin) else {
                continue;
            };
            match s.resolve(h, next.path()) {
                Resource::Page(_) => {
                    if seen.insert(next.to_string()) {
                        queue.push_back(next.to_string());
                    }
                }
                Resource::Asset(..) => {}
                other => panic!("{url} links to {next}, which is {other:?}"),
            }
        }
    }
    assert_eq!(seen.len() as u64, s.reachable_pages());
    let expected: HashSet<String> = (0..3)
        .flat_map(|h| (0..spec.pages).map(move |id| (h, id)))
        .map(|(h, id)| s.page_url(h, id))
        .collect();
    assert_eq!(seen, expected);
}
