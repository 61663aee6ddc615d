//! Sitemaps (sitemaps.org protocol): reading one file, and bounding how many a crawl reads.
//!
//! A sitemap is a `<urlset>` of page URLs, a `<sitemapindex>` of more sitemaps, or a plain
//! text file with one URL a line; any of them may be gzipped. The body is inflated when it
//! starts with the gzip magic bytes, whatever its name or Content-Type says (a `.xml.gz`
//! file is usually served as `application/gzip` with no `Content-Encoding`, so the HTTP
//! client leaves it compressed), and read as a stream with `quick-xml`, never built into a
//! tree: at most [`SITEMAP_MAX_BYTES`] of XML and [`SITEMAP_MAX_URLS`] URLs per file, the
//! protocol's own limits, so a gzip bomb or an endless file costs a bounded amount of work.
//! What was read before a problem (truncation, bad XML) is kept; the problem is reported.
//!
//! Only `<loc>` directly inside `<url>` or `<sitemap>` counts, so the `<image:loc>` and
//! `<video:content_loc>` of extensions are not taken for pages. The rest of the crawl's
//! side (which files to fetch, admitting the URLs) is in the supervisor; [`SitemapBook`]
//! holds the bounds on files and nesting, so a loop of indexes ends.

use crate::error::FetchError;
use quick_xml::events::Event;
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::time::Duration;
use url::Url;

/// The most bytes of one sitemap read, after inflating: 50 MiB, the protocol's limit.
pub(crate) const SITEMAP_MAX_BYTES: usize = 50 * 1024 * 1024;
/// The most URLs taken from one sitemap: 50,000, the protocol's limit.
pub(crate) const SITEMAP_MAX_URLS: usize = 50_000;
/// Nesting followed: a sitemap found in robots.txt or at `/sitemap.xml` is level 1, the
/// files its index lists level 2, and so on. The protocol forbids nested indexes, but
/// sites nest them anyway; three levels cover what is seen in practice.
pub(crate) const SITEMAP_MAX_LEVELS: u8 = 3;
/// The most sitemap files fetched in one crawl.
pub(crate) const SITEMAP_MAX_FILES: usize = 1_000;
/// Longest `<loc>` kept (the protocol's limit is 2,048 characters).
const MAX_LOC: usize = 2_048;

/// What a sitemap file lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SitemapKind {
    /// Page URLs (`<urlset>` or a text file).
    Urls,
    /// More sitemaps (`<sitemapindex>`).
    Index,
}

/// One sitemap, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SitemapDoc {
    pub(crate) kind: SitemapKind,
    /// The `<loc>` values (or text lines), trimmed, in file order.
    pub(crate) locs: Vec<String>,
    /// Why reading stopped early, if it did (the URLs before it are kept).
    pub(crate) problem: Option<String>,
}

/// What one answer to a sitemap request means.
#[derive(Debug)]
pub(crate) enum SitemapAnswer {
    /// The file was read.
    Doc(SitemapDoc),
    /// It moved: this `Location`, to resolve against the request URL.
    Redirect(String),
    /// Worth asking again (429, 5xx, no answer).
    Retry {
        error: FetchError,
        retry_after: Option<Duration>,
    },
    /// Nothing to read there (another status).
    Gone(u16),
}

/// Reads one HTTP answer for a sitemap.
pub(crate) fn interpret(
    status: u16,
    location: Option<&str>,
    body: &[u8],
    retry_after: Option<Duration>,
) -> SitemapAnswer {
    match status {
        200..=299 => SitemapAnswer::Doc(parse(body)),
        300..=399 => match location.map(str::trim).filter(|l| !l.is_empty()) {
            Some(l) => SitemapAnswer::Redirect(l.to_string()),
            None => SitemapAnswer::Gone(status),
        },
        429 | 500..=599 => SitemapAnswer::Retry {
            error: FetchError::Status(status),
            retry_after,
        },
        _ => SitemapAnswer::Gone(status),
    }
}

/// Reads a sitemap body: gzipped or not, XML or plain text.
pub(crate) fn parse(body: &[u8]) -> SitemapDoc {
    if body.starts_with(&[0x1f, 0x8b]) {
        let inflated = flate2::read::MultiGzDecoder::new(body);
        parse_from(BufReader::new(inflated.take(SITEMAP_MAX_BYTES as u64)))
    } else {
        parse_from(&body[..body.len().min(SITEMAP_MAX_BYTES)])
    }
}

fn parse_from<R: BufRead>(mut input: R) -> SitemapDoc {
    // The first meaningful byte tells XML from text; `fill_buf` peeks without consuming.
    let first = match skip_blank(&mut input) {
        Ok(b) => b,
        Err(e) => return doc(SitemapKind::Urls, Vec::new(), Some(e.to_string())),
    };
    if first == Some(b'<') {
        parse_xml(input)
    } else {
        parse_text(input)
    }
}

/// Skips a BOM and whitespace; returns the next byte, unconsumed.
fn skip_blank<R: BufRead>(input: &mut R) -> std::io::Result<Option<u8>> {
    loop {
        let buf = input.fill_buf()?;
        let Some(&b) = buf.first() else {
            return Ok(None);
        };
        if buf.starts_with(b"\xef\xbb\xbf") {
            input.consume(3);
        } else if b.is_ascii_whitespace() {
            input.consume(1);
        } else {
            return Ok(Some(b));
        }
    }
}

fn doc(kind: SitemapKind, locs: Vec<String>, problem: Option<String>) -> SitemapDoc {
    SitemapDoc {
        kind,
        locs,
        problem,
    }
}

fn too_many() -> Option<String> {
    Some(format!(
        "more than {SITEMAP_MAX_URLS} URLs; the rest were ignored"
    ))
}

fn parse_text<R: BufRead>(input: R) -> SitemapDoc {
    let mut locs = Vec::new();
    for line in input.split(b'\n') {
        let line = match line {
            Ok(l) => l,
            Err(e) => return doc(SitemapKind::Urls, locs, Some(e.to_string())),
        };
        let Ok(text) = std::str::from_utf8(&line) else {
            continue;
        };
        let text = text.trim();
        if text.is_empty() || text.len() > MAX_LOC {
            continue;
        }
        if locs.len() == SITEMAP_MAX_URLS {
            return doc(SitemapKind::Urls, locs, too_many());
        }
        locs.push(text.to_string());
    }
    doc(SitemapKind::Urls, locs, None)
}

fn parse_xml<R: BufRead>(input: R) -> SitemapDoc {
    let mut reader = quick_xml::Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut kind = SitemapKind::Urls;
    let mut locs = Vec::new();
    // Element depth: 1 is the root, 2 an entry (`<url>`/`<sitemap>`), 3 its `<loc>`.
    let mut depth = 0usize;
    let mut in_entry = false;
    let mut loc: Option<String> = None;
    loop {
        let event = match reader.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(e) => return doc(kind, locs, Some(format!("invalid XML: {e}"))),
        };
        match event {
            Event::Start(e) => {
                depth += 1;
                // Local names: a file may put the sitemap namespace behind a prefix.
                let name = e.local_name();
                let name = name.as_ref();
                match depth {
                    1 if name == "sitemapindex" => kind = SitemapKind::Index,
                    2 => in_entry = matches!(name, "url" | "sitemap"),
                    3 if in_entry && name == "loc" => loc = Some(String::new()),
                    _ => {}
                }
            }
            Event::End(_) => {
                if depth == 3
                    && let Some(l) = loc.take()
                {
                    let l = l.trim();
                    if !l.is_empty() && l.len() <= MAX_LOC {
                        if locs.len() == SITEMAP_MAX_URLS {
                            return doc(kind, locs, too_many());
                        }
                        locs.push(l.to_string());
                    }
                }
                if depth == 2 {
                    in_entry = false;
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) => {
                if let Some(l) = &mut loc {
                    l.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(l) = &mut loc {
                    l.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(l) = &mut loc {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => l.push(c),
                        _ => l.push_str(predefined_entity(&r).unwrap_or("")),
                    }
                }
            }
            Event::Eof if depth > 0 => {
                // Cut at the size cap, or a broken file: keep what was read.
                let problem = "the XML ends inside an element (cut at the size cap?)";
                return doc(kind, locs, Some(problem.to_string()));
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    doc(kind, locs, None)
}

fn predefined_entity(name: &str) -> Option<&'static str> {
    Some(match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        _ => return None,
    })
}

/// Which sitemaps a crawl has taken on: each URL once, within the level and file bounds.
#[derive(Debug, Default)]
pub(crate) struct SitemapBook {
    seen: HashSet<String>,
}

impl SitemapBook {
    /// Whether the sitemap at `url`, found at nesting `level` (1 for robots.txt and
    /// `/sitemap.xml`), is new and within the bounds; taking it on if so.
    pub(crate) fn offer(&mut self, url: &Url, level: u8) -> bool {
        if level == 0 || level > SITEMAP_MAX_LEVELS || self.seen.len() >= SITEMAP_MAX_FILES {
            return false;
        }
        let mut key = url.clone();
        key.set_fragment(None);
        self.seen.insert(key.into())
    }
}

#[cfg(test)]
mod tests;
