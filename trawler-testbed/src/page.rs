//! Renders one HTML page of the synthetic site into a byte buffer.
//!
//! The page looks like a real article page: a `<head>` with title, description, a
//! stylesheet link and inline `<style>`/`<script>` that contain *trap* URLs (text that looks
//! like a link but is not one: a correct crawler never requests `/trap/...`), then a nav bar,
//! filler paragraphs with the in-content links slotted between words, an aside with
//! off-site, asset and cross-host links, and a footer with an `<img>`. Link forms are mixed
//! (about 40 % absolute path, 35 % relative, 25 % full URL, 5 % with a `#fragment`) so a
//! crawler's URL resolution is exercised. Everything comes from the page's own PRNG, so the
//! same spec and origins give byte-identical pages.

use super::graph::HostGraph;
use super::resources::{ASSET_COUNT, ASSET_KINDS};
use super::rng::{Rng, hash3};
use super::site::Site;
use super::text::{push, push_capitalized, push_num, word};

/// Off-site links: only loopback addresses where nothing listens, or `.invalid` names
/// (RFC 2606), so even a crawler that wrongly follows them never leaves the machine.
const OFFSITE: &[&str] = &[
    "http://127.0.0.254:9/x.html",
    "http://127.0.0.253:9/offsite/page.html",
    "https://127.0.0.252:9/secure/login.html",
    "http://offsite.invalid/page.html",
    "https://cdn.testbed.invalid/lib/widget.html",
    "http://social.testbed.invalid/share?u=page",
];

/// Bytes reserved for the aside and footer when deciding whether the page is full.
const TAIL_ESTIMATE: usize = 700;
/// Most links slotted into one paragraph.
const MAX_LINKS_PER_PARAGRAPH: usize = 8;

/// Appends page `id` of `host` to `out`.
pub(crate) fn render_page(site: &Site, host: usize, id: u32, out: &mut Vec<u8>) {
    let mut rng = Rng::new(hash3(site.graphs[host].page_seed(id), 2, 0));
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let budget = (site.page_bytes as f64 * (0.5 + rng.unit())) as usize;
    out.reserve(budget + 2 * TAIL_ESTIMATE);
    let start = out.len();
    let mut page = PageWriter {
        site,
        host,
        id,
        rng,
        out,
        start,
    };
    page.head_and_nav();
    page.article(budget);
    page.aside_and_footer();
}

/// The state of one page being written; its methods write the page's parts in order.
struct PageWriter<'a> {
    site: &'a Site,
    host: usize,
    id: u32,
    rng: Rng,
    out: &'a mut Vec<u8>,
    /// Where this page starts in `out`.
    start: usize,
}

impl PageWriter<'_> {
    fn head_and_nav(&mut self) {
        let (out, rng, id) = (&mut *self.out, &mut self.rng, u64::from(self.id));
        push(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        );
        push(
            out,
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
        );
        push(out, "<title>");
        let title_at = out.len();
        push_capitalized(out, word(rng));
        for _ in 0..2 {
            push(out, " ");
            push(out, word(rng));
        }
        push(out, " &middot; ");
        push_num(out, id, 1);
        let title = title_at..out.len();
        push(out, "</title>\n<meta name=\"description\" content=\"");
        let lead = rng.pick(&self.site.filler.paragraphs);
        let cut = lead.gaps.iter().rev().find(|&&g| g <= 150);
        push(
            out,
            &lead.text[..cut.map_or(lead.text.len(), |&g| g as usize)],
        );
        push(
            out,
            "\">\n<link rel=\"stylesheet\" href=\"/assets/site.css\">\n<style>\n",
        );
        push(
            out,
            "body{max-width:60em;margin:auto;font-family:sans-serif}\n",
        );
        // Traps: URL-looking text in CSS and in JS strings (one escaped, one that a naive
        // regex over the raw HTML would take for a link). No HTML parser sees an <a> here.
        push(out, ".hero{background:url(/trap/style-");
        push_num(out, id, 1);
        push(
            out,
            ".html) no-repeat center}\n</style>\n<script>\nvar more = \"<a href=\\\"/trap/script-",
        );
        push_num(out, id, 1);
        push(
            out,
            ".html\\\">more</a>\";\nvar next = '<a href=\"/trap/script-",
        );
        push_num(out, id, 1);
        push(
            out,
            "b.html\">next</a>';\ndocument.documentElement.className = \"js\";\n</script>\n",
        );
        push(out, "</head>\n<body>\n<header><h1>");
        out.extend_from_within(title);
        push(out, "</h1></header>\n<nav><a href=\"/\">Home</a>");
        let graph = &self.site.graphs[self.host];
        for hub in graph.hubs() {
            push(out, " | <a href=\"");
            graph.write_path(hub, out);
            push(out, "\">Hub ");
            push_num(out, u64::from(hub), 1);
            push(out, "</a>");
        }
        push(out, "</nav>\n<main><article>\n");
    }

    /// Filler paragraphs up to about `budget` bytes of page, with every in-content link
    /// slotted between words and spread evenly over the paragraphs.
    fn article(&mut self, budget: usize) {
        let mut targets = Vec::with_capacity(self.site.links_per_page);
        self.site.graphs[self.host].targets(self.id, &mut targets);
        let filler = &self.site.filler;
        let mut next = 0;
        let mut heading = 1;
        while self.len() + TAIL_ESTIMATE < budget || next < targets.len() {
            if self.rng.chance(0.12) {
                push(self.out, "<h2 id=\"s");
                push_num(self.out, heading, 1);
                heading += 1;
                push(self.out, "\">");
                push_capitalized(self.out, word(&mut self.rng));
                push(self.out, "</h2>\n");
            }
            let para = self.rng.pick(&filler.paragraphs);
            let room = budget.saturating_sub(self.len() + TAIL_ESTIMATE);
            let paragraphs_left = (room / filler.mean_len).max(1);
            let left = targets.len() - next;
            // floor(left / paragraphs_left) links, plus one with the remainder's odds.
            let extra = self.rng.below(paragraphs_left as u64) < (left % paragraphs_left) as u64;
            let n = (left / paragraphs_left + usize::from(extra))
                .min(MAX_LINKS_PER_PARAGRAPH)
                .min(para.gaps.len());
            let mut gaps = [0u32; MAX_LINKS_PER_PARAGRAPH];
            for gap in &mut gaps[..n] {
                *gap = *self.rng.pick(&para.gaps);
            }
            gaps[..n].sort_unstable();
            push(self.out, "<p>");
            let mut cursor = 0;
            for &gap in &gaps[..n] {
                push(self.out, &para.text[cursor..gap as usize]);
                push(self.out, " <a href=\"");
                self.href(targets[next]);
                push(self.out, "\">");
                push_capitalized(self.out, word(&mut self.rng));
                push(self.out, " ");
                push(self.out, word(&mut self.rng));
                push(self.out, "</a>");
                cursor = gap as usize;
                next += 1;
            }
            push(self.out, &para.text[cursor..]);
            push(self.out, "</p>\n");
        }
        push(self.out, "</article>\n");
    }

    fn aside_and_footer(&mut self) {
        let (out, rng) = (&mut *self.out, &mut self.rng);
        push(out, "<aside><h2>Elsewhere</h2><ul>\n");
        for _ in 0..rng.range(1, 3) {
            push(out, "<li><a href=\"");
            push(out, OFFSITE[rng.index(OFFSITE.len())]);
            push(out, "\">External ");
            push(out, word(rng));
            push(out, "</a></li>\n");
        }
        for _ in 0..rng.range(1, 3) {
            let (ext, _, _) = rng.pick(&ASSET_KINDS);
            push(out, "<li><a href=\"/assets/");
            push_num(out, rng.below(u64::from(ASSET_COUNT)), 1);
            push(out, ".");
            push(out, ext);
            push(out, "\">Download ");
            push(out, word(rng));
            push(out, "</a></li>\n");
        }
        write_cross_host(self.site, self.host, self.id, rng, out);
        push(
            out,
            "</ul></aside>\n</main>\n<footer><p>Made by the trawler testbed. ",
        );
        push(out, "<img src=\"/assets/");
        push_num(out, rng.below(u64::from(ASSET_COUNT)), 1);
        push(
            out,
            ".png\" alt=\"logo\" width=\"16\" height=\"16\"></p></footer>\n</body>\n</html>\n",
        );
    }

    /// Bytes of this page written so far.
    fn len(&self) -> usize {
        self.out.len() - self.start
    }

    /// Writes the `href` of an in-content link to page `to`.
    fn href(&mut self, to: u32) {
        write_href(self.site, self.host, self.id, to, &mut self.rng, self.out);
    }
}

/// The index links to every other host's index; other pages now and then link to a random
/// page of another host, so a multi-host crawl must cross hosts to reach everything.
fn write_cross_host(site: &Site, host: usize, id: u32, rng: &mut Rng, out: &mut Vec<u8>) {
    let hosts = site.graphs.len();
    if hosts < 2 {
        return;
    }
    let link = |other: usize, page: u32, out: &mut Vec<u8>| {
        push(out, "<li><a href=\"");
        push(out, &site.origins[other]);
        site.graphs[other].write_path(page, out);
        push(out, "\">Sister site ");
        push_num(out, other as u64, 1);
        push(out, "</a></li>\n");
    };
    if id == 0 {
        (0..hosts)
            .filter(|&h| h != host)
            .for_each(|h| link(h, 0, out));
    } else if rng.chance(0.25) {
        let other = (host + 1 + rng.index(hosts - 1)) % hosts;
        #[allow(clippy::cast_possible_truncation)] // below a host's page count, a u32.
        let page = rng.below(u64::from(site.graphs[other].pages())) as u32;
        link(other, page, out);
    }
}

/// Writes the `href` of an in-content link from page `from` to page `to`.
fn write_href(site: &Site, host: usize, from: u32, to: u32, rng: &mut Rng, out: &mut Vec<u8>) {
    let graph = &site.graphs[host];
    let form = rng.unit();
    if form < 0.40 {
        graph.write_path(to, out);
    } else if form < 0.75 {
        let dot = rng.chance(0.5);
        match (graph.section(from), graph.section(to)) {
            // From the root folder: `sNN/pX.html` or `./sNN/pX.html`.
            (None, _) => {
                push(out, if dot { "./" } else { "" });
                let at = out.len();
                graph.write_path(to, out);
                out.remove(at);
            }
            // Up to the index from a section folder.
            (Some(_), None) => push(out, "../"),
            (Some(a), Some(b)) if a == b => {
                push(out, if dot { "./" } else { "" });
                HostGraph::write_file_name(to, out);
            }
            (Some(_), Some(_)) => {
                push(out, "..");
                graph.write_path(to, out);
            }
        }
    } else {
        push(out, &site.origins[host]);
        graph.write_path(to, out);
    }
    if rng.chance(0.05) {
        push(out, "#s");
        push_num(out, rng.range(1, 4), 1);
    }
}
