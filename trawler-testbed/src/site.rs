//! [`Site`]: the whole synthetic web (every host's graph, origins and shared resources)
//! and the routing of a request path to what it names.
//!
//! This is the pure core of the testbed: no sockets, no runtime. The server asks
//! [`Site::resolve`] what a path is and [`Site::render`] for its body, so everything the
//! crawler can see is testable with plain function calls, and determinism is a property of
//! this type alone (same spec and origins, same bytes).

use bytes::Bytes;

use super::graph::HostGraph;
use super::page::render_page;
use super::resources::{
    Assets, parse_sitemap_name, robots_body, sitemap_count, write_sitemap, write_sitemap_index,
};
use super::spec::SiteSpec;
use super::text::Filler;

/// What a request path names on one host.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resource {
    /// An HTML page (reachable if its id is below the host's page count).
    Page(u32),
    /// A static asset.
    Asset(&'static str, Bytes),
    /// `/robots.txt`, when the spec has one.
    Robots(Bytes),
    /// `/sitemap.xml`.
    SitemapIndex,
    /// `/sitemap-N.xml`.
    Sitemap(u32),
    /// A `/trap/...` URL that only appears inside `<script>` or `<style>`.
    Trap,
    /// Anything else.
    NotFound,
}

/// Every host of the testbed, ready to answer requests.
#[derive(Debug)]
pub(crate) struct Site {
    pub(crate) graphs: Vec<HostGraph>,
    /// `http://127.0.0.x:PORT`, one per host, no trailing slash.
    pub(crate) origins: Vec<String>,
    pub(crate) filler: Filler,
    pub(crate) page_bytes: usize,
    pub(crate) links_per_page: usize,
    assets: Assets,
    robots: Vec<Option<Bytes>>,
    sitemap: bool,
}

impl Site {
    /// Builds the site for a validated spec; `origins[h]` is where host `h` listens.
    pub(crate) fn new(spec: &SiteSpec, origins: Vec<String>) -> Self {
        let graphs = (0..origins.len())
            .map(|h| {
                HostGraph::new(
                    spec.seed,
                    h,
                    spec.pages,
                    spec.unreachable_pages,
                    spec.links_per_page,
                )
            })
            .collect();
        let robots = origins
            .iter()
            .map(|o| spec.robots_txt.as_deref().map(|t| robots_body(t, o)))
            .collect();
        Self {
            graphs,
            filler: Filler::new(spec.seed),
            page_bytes: spec.page_bytes,
            links_per_page: spec.links_per_page as usize,
            assets: Assets::new(spec.seed),
            robots,
            sitemap: spec.sitemap,
            origins,
        }
    }

    /// HTML pages reachable from host 0's `/`, over all hosts. Every page of every host is
    /// reachable by construction (spanning tree per host; host 0's index links to every other
    /// host's index); `tests::bfs_over_rendered_html_*` checks that claim.
    pub(crate) fn reachable_pages(&self) -> u64 {
        self.graphs.iter().map(|g| u64::from(g.pages())).sum()
    }

    /// Full URL of page `id` of `host`.
    pub(crate) fn page_url(&self, host: usize, id: u32) -> String {
        let mut out = self.origins[host].clone().into_bytes();
        self.graphs[host].write_path(id, &mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// What `path` (without query) names on `host`.
    pub(crate) fn resolve(&self, host: usize, path: &str) -> Resource {
        let graph = &self.graphs[host];
        if let Some(id) = graph.parse_path(path) {
            return Resource::Page(id);
        }
        if path.starts_with("/trap/") {
            return Resource::Trap;
        }
        if let Some(name) = path.strip_prefix("/assets/") {
            return self
                .assets
                .lookup(name)
                .map_or(Resource::NotFound, |(ty, body)| Resource::Asset(ty, body));
        }
        match path {
            "/robots.txt" => self.robots[host]
                .clone()
                .map_or(Resource::NotFound, Resource::Robots),
            "/sitemap.xml" if self.sitemap => Resource::SitemapIndex,
            _ if self.sitemap => path
                .strip_prefix('/')
                .and_then(parse_sitemap_name)
                .filter(|&n| n < sitemap_count(graph.pages()))
                .map_or(Resource::NotFound, Resource::Sitemap),
            _ => Resource::NotFound,
        }
    }

    /// Appends the generated body of a page or sitemap resource to `out`; other resources
    /// carry their body already and append nothing.
    pub(crate) fn render(&self, host: usize, resource: &Resource, out: &mut Vec<u8>) {
        match *resource {
            Resource::Page(id) => render_page(self, host, id, out),
            Resource::SitemapIndex => {
                write_sitemap_index(&self.origins[host], self.graphs[host].pages(), out);
            }
            Resource::Sitemap(n) => write_sitemap(&self.graphs[host], &self.origins[host], n, out),
            _ => {}
        }
    }
}
