//! Resolving a page's raw hrefs to absolute URLs as a browser does: against the effective
//! base (the first `<base href>`, itself resolved against the document URL), with the path in
//! UTF-8 and a non-ASCII query percent-encoded in the document's encoding.
//!
//! An href written as an absolute URL on the base's own scheme and authority (as most sites
//! write their links) is resolved from its path on: the URL parser then copies the base's
//! authority instead of reading a host again, which was a third of a link's cost.

use std::borrow::Cow;
use std::fmt::Write as _;

use encoding_rs::{EncoderResult, Encoding, UTF_8};
use url::{Position, Url};

use super::RawLinks;

mod plain;

/// Resolves the hrefs of one document as a browser does: against its effective base URL, with
/// non-ASCII query text percent-encoded in the document's encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolver {
    base: Url,
    encoding: &'static Encoding,
    /// The length of the base's `scheme://authority` when it is an http(s) URL (0 otherwise):
    /// the prefix of a same-origin absolute href.
    origin: usize,
    /// The length of the base up to the end of its directory (the last `/` of its path) when
    /// plain hrefs may skip the parser: an http(s) base without credentials whose directory
    /// holds no `%` (the canonical form decodes some; 0 otherwise).
    dir: usize,
}

impl Resolver {
    /// The resolver of a document at `document_url` (the final URL after redirects) whose first
    /// `<base href>` is `base_href`, written in `encoding`.
    ///
    /// The base is `base_href` resolved against `document_url`, or `document_url` itself when there
    /// is none or it is unusable (unparseable, or a URL such as `javascript:` or `data:` that
    /// cannot be a base, which browsers refuse too).
    #[must_use]
    pub fn new(document_url: &Url, base_href: Option<&str>, encoding: &'static Encoding) -> Self {
        // UTF-16 and the replacement encoding cannot encode a URL; the URL spec uses UTF-8 then.
        let encoding = encoding.output_encoding();
        let base = base_href
            .and_then(|href| parse_in(document_url, href.trim_ascii(), encoding))
            .filter(|base| !base.cannot_be_a_base())
            .unwrap_or_else(|| document_url.clone());
        Resolver::with_base(base, encoding)
    }

    fn with_base(base: Url, encoding: &'static Encoding) -> Self {
        let origin = if matches!(base.scheme(), "http" | "https") && base.has_host() {
            base[..Position::BeforePath].len()
        } else {
            0
        };
        let plain = origin > 0 && base.username().is_empty() && base.password().is_none();
        let dir = match base[..Position::AfterPath].rfind('/') {
            Some(slash) if plain && !base.as_str()[origin..slash].contains('%') => slash + 1,
            _ => 0,
        };
        Resolver {
            base,
            encoding,
            origin,
            dir,
        }
    }

    /// The effective base URL that hrefs resolve against.
    #[must_use]
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// The encoding query strings are percent-encoded in (the document's, or UTF-8 for UTF-16).
    #[must_use]
    pub fn encoding(&self) -> &'static Encoding {
        self.encoding
    }

    /// Resolves one href: trimmed of ASCII whitespace, joined to the base, fragment dropped, and
    /// kept only if http or https (`mailto:`, `javascript:`, `data:`, `tel:`, `ftp:` give `None`).
    /// An empty href resolves to the base itself.
    #[must_use]
    pub fn resolve(&self, href: &str) -> Option<Url> {
        let href = href.trim_ascii();
        let input = self.same_origin_path(href).unwrap_or(href);
        let mut url = parse_in(&self.base, input, self.encoding)?;
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        url.set_fragment(None);
        Some(url)
    }

    /// The path (with query and fragment) of `href` when `href` is an absolute URL that starts
    /// with the base's own `scheme://authority`, byte for byte, then a path. Resolved against the
    /// base, that rest gives the very URL the whole href gives. Not taken when the path starts
    /// with a second slash or a backslash (the rest would read as an authority), nor when the
    /// href holds a tab or a line break (the parser deletes them, which could make such a
    /// start).
    fn same_origin_path<'h>(&self, href: &'h str) -> Option<&'h str> {
        if self.origin == 0 {
            return None;
        }
        let rest = href.strip_prefix(&self.base.as_str()[..self.origin])?;
        let bytes = rest.as_bytes();
        let path_only = bytes.first() == Some(&b'/')
            && !matches!(bytes.get(1), Some(b'/' | b'\\'))
            && !bytes.iter().any(|b| matches!(b, b'\t' | b'\n' | b'\r'));
        path_only.then_some(rest)
    }

    /// Resolves every href of `raw`, in order, dropping those that give no http(s) URL.
    #[must_use]
    pub fn resolve_all(&self, raw: &RawLinks) -> Vec<Url> {
        // Sized for every href: growing a vector of URLs moves each one again.
        let mut urls = Vec::with_capacity(raw.hrefs.len());
        urls.extend(raw.hrefs.iter().filter_map(|h| self.resolve(h)));
        urls
    }
}

/// Resolves raw links found in a UTF-8 document (see [`Resolver`] for other encodings).
///
/// Order is preserved and duplicates are kept: deduplication belongs to the caller, after
/// canonicalisation.
#[must_use]
pub fn resolve_links(document_url: &Url, raw: &RawLinks) -> Vec<Url> {
    Resolver::new(document_url, raw.base.as_deref(), UTF_8).resolve_all(raw)
}

/// Resolves one href of a UTF-8 document against `base` (see [`Resolver::resolve`]).
#[must_use]
pub fn resolve_href(base: &Url, href: &str) -> Option<Url> {
    Resolver::with_base(base.clone(), UTF_8).resolve(href)
}

/// The effective base URL of a UTF-8 document (see [`Resolver::new`]).
#[must_use]
pub fn effective_base(document_url: &Url, base_href: Option<&str>) -> Url {
    Resolver::new(document_url, base_href, UTF_8).base
}

/// Parses `input` against `base`, with the query encoded in `encoding`.
fn parse_in(base: &Url, input: &str, encoding: &'static Encoding) -> Option<Url> {
    let options = Url::options().base_url(Some(base));
    if encoding == UTF_8 {
        return options.parse(input).ok();
    }
    let encode = query_encoder(encoding);
    options.encoding_override(Some(&encode)).parse(input).ok()
}

/// A closure the URL parser accepts as its query-encoding override (named so that its signature
/// is the higher-ranked one the parser wants).
fn query_encoder(encoding: &'static Encoding) -> impl Fn(&str) -> Cow<'_, [u8]> {
    move |query| encode_query(encoding, query)
}

/// `query` in `encoding`, as the URL spec's "percent-encode after encoding" wants it before the
/// URL parser percent-encodes the bytes: a character the encoding lacks becomes `&#N;`, already
/// percent-encoded as `%26%23N%3B` so that its `&` cannot split the query.
fn encode_query<'q>(encoding: &'static Encoding, query: &'q str) -> Cow<'q, [u8]> {
    if query.is_ascii() && encoding.is_ascii_compatible() {
        return Cow::Borrowed(query.as_bytes());
    }
    let mut encoder = encoding.new_encoder();
    let mut out = Vec::with_capacity(query.len() * 2);
    let mut rest = query;
    loop {
        let room = encoder
            .max_buffer_length_from_utf8_without_replacement(rest.len())
            .unwrap_or(rest.len() * 8);
        out.reserve(room);
        let (result, read) =
            encoder.encode_from_utf8_to_vec_without_replacement(rest, &mut out, true);
        rest = &rest[read..];
        match result {
            EncoderResult::InputEmpty => return Cow::Owned(out),
            EncoderResult::OutputFull => {}
            EncoderResult::Unmappable(c) => {
                let mut reference = String::new();
                // Writing to a String cannot fail.
                let _ = write!(reference, "%26%23{}%3B", u32::from(c));
                out.extend_from_slice(reference.as_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests;
