//! Whether a response is an HTML page, the only kind whose links are extracted.
//!
//! The Content-Type decides when there is one: JSON, images, PDFs and `text/plain` are never
//! parsed, whatever their bytes look like (a JSON string holding `<a href>` markup is not a
//! link). Only a missing or meaningless type (`unknown/unknown`, `*/*`, no `/` at all) lets the
//! bytes decide, by the WHATWG MIME-sniffing rules for HTML: after leading whitespace, one of a
//! fixed set of tags followed by a space or `>`. That is stricter than "starts with `<`": an XML
//! feed, an SVG or `<pre>` text is not sniffed as HTML, and neither is anything binary.

/// How many leading bytes sniffing looks at (the spec's resource header).
const SNIFF_BYTES: usize = 1445;

/// The openings that make an untyped body HTML (compared ASCII case-insensitively), each of which
/// must be followed by a space or `>` (the spec's "tag-terminating byte").
const HTML_OPENINGS: [&[u8]; 17] = [
    b"<!doctype html",
    b"<html",
    b"<head",
    b"<script",
    b"<iframe",
    b"<h1",
    b"<div",
    b"<font",
    b"<table",
    b"<a",
    b"<style",
    b"<title",
    b"<b",
    b"<body",
    b"<br",
    b"<p",
    b"<!--",
];

/// Whether a response with this Content-Type header (if any) and body is HTML.
pub(crate) fn is_html(content_type: Option<&str>, body: &[u8]) -> bool {
    let essence = content_type
        .map(|ct| ct.split(';').next().unwrap_or("").trim())
        .filter(|e| e.contains('/'));
    match essence {
        Some(e)
            if !(e.eq_ignore_ascii_case("unknown/unknown")
                || e.eq_ignore_ascii_case("application/unknown")
                || e == "*/*") =>
        {
            e.eq_ignore_ascii_case("text/html") || e.eq_ignore_ascii_case("application/xhtml+xml")
        }
        _ => sniff_html(body),
    }
}

fn sniff_html(body: &[u8]) -> bool {
    let head = &body[..body.len().min(SNIFF_BYTES)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !matches!(b, b'\t' | b'\n' | b'\x0C' | b'\r' | b' '))
        .unwrap_or(head.len());
    let head = &head[start..];
    HTML_OPENINGS.iter().any(|p| {
        head.len() > p.len()
            && head[..p.len()].eq_ignore_ascii_case(p)
            && matches!(head[p.len()], b' ' | b'>')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_decides_when_there_is_one() {
        assert!(is_html(Some("text/html; charset=utf-8"), b""));
        assert!(is_html(Some("TEXT/HTML"), b"%PDF-1.4"));
        assert!(is_html(Some("application/xhtml+xml"), b""));
        for ct in [
            "application/json",
            "image/png",
            "text/plain",
            "text/plain; charset=utf-8",
            "application/pdf",
            "application/octet-stream",
            "text/xml",
            "text/css",
        ] {
            assert!(
                !is_html(Some(ct), b"<!DOCTYPE html><html><a href=/x>"),
                "{ct}"
            );
        }
    }

    #[test]
    fn untyped_bodies_are_sniffed() {
        for ct in [
            None,
            Some(""),
            Some("html"),
            Some("*/*"),
            Some("unknown/unknown"),
            Some("application/unknown"),
        ] {
            assert!(is_html(ct, b"  \n<!DOCTYPE HTML><html>"), "{ct:?}");
            assert!(!is_html(ct, b"%PDF-1.4"), "{ct:?}");
        }
        assert!(is_html(None, b"\xEF\xBB\xBF<html lang=en>"));
        assert!(is_html(None, b"<a href=/x>x</a>"));
        assert!(is_html(None, b"<p>text"));
        assert!(is_html(None, b"<!-- c -->"));
        assert!(is_html(None, b"\t<TITLE>t</TITLE>"));
    }

    #[test]
    fn near_misses_are_not_html() {
        for body in [
            &b""[..],
            b"<",
            b"<html",
            b"<pre>text</pre>",
            b"<param>",
            b"<abbr>",
            b"<?xml version=\"1.0\"?><html>",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\">",
            b"{\"a\": \"<html>\"}",
            b"\x89PNG\r\n\x1a\n<html>",
            b"GIF89a<html>",
            b"x<html>",
        ] {
            assert!(!is_html(None, body), "{:?}", String::from_utf8_lossy(body));
        }
        // Past the resource header, nothing counts.
        let late = [vec![b' '; SNIFF_BYTES], b"<html>".to_vec()].concat();
        assert!(!is_html(None, &late));
    }
}
