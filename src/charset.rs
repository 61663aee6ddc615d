//! Which character encoding a page is in.
//!
//! Order, as browsers do it: a byte-order mark, then the `charset` of the Content-Type
//! header, then UTF-8. Pages are handed to lol_html as bytes with this encoding, and
//! decoded to text only when a plugin asks for text or a DOM.

use encoding_rs::{Encoding, UTF_8};

/// The encoding of `body` served with `content_type`.
pub(crate) fn detect(content_type: Option<&str>, body: &[u8]) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(body) {
        return enc;
    }
    content_type
        .and_then(charset_param)
        .and_then(|label| Encoding::for_label(label.as_bytes()))
        .unwrap_or(UTF_8)
}

/// The value of the `charset` parameter of a Content-Type header.
fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(|c| c == '"' || c == '\''))
    })
}

/// Whether a response is HTML: by its Content-Type, or, when it has none, by a sniff of
/// its first bytes (WHATWG MIME sniffing, reduced to the HTML case).
pub(crate) fn is_html(content_type: Option<&str>, body: &[u8]) -> bool {
    match content_type {
        Some(ct) => {
            let mime = ct.split(';').next().unwrap_or("").trim();
            mime.eq_ignore_ascii_case("text/html")
                || mime.eq_ignore_ascii_case("application/xhtml+xml")
        }
        None => sniff_html(body),
    }
}

fn sniff_html(body: &[u8]) -> bool {
    let head = &body[..body.len().min(512)];
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let head = head[start..]
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(&head[start..]);
    [
        &b"<!doctype html"[..],
        b"<html",
        b"<head",
        b"<body",
        b"<!--",
        b"<p",
        b"<a ",
    ]
    .iter()
    .any(|p| head.len() >= p.len() && head[..p.len()].eq_ignore_ascii_case(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_then_header_then_utf8() {
        assert_eq!(
            detect(Some("text/html; charset=iso-8859-1"), b"\xEF\xBB\xBFx"),
            UTF_8
        );
        assert_eq!(
            detect(Some("text/html; Charset=\"ISO-8859-1\""), b"x").name(),
            "windows-1252"
        );
        assert_eq!(
            detect(Some("text/html; charset=shift_jis"), b"x").name(),
            "Shift_JIS"
        );
        assert_eq!(detect(Some("text/html"), b"x"), UTF_8);
        assert_eq!(detect(Some("text/html; charset=bogus"), b"x"), UTF_8);
        assert_eq!(detect(None, b"x"), UTF_8);
    }

    #[test]
    fn html_by_type_or_sniff() {
        assert!(is_html(Some("text/html; charset=utf-8"), b""));
        assert!(is_html(Some("application/xhtml+xml"), b""));
        assert!(!is_html(Some("application/json"), b"<html>"));
        assert!(!is_html(Some("image/png"), b""));
        assert!(is_html(None, b"  \n<!DOCTYPE HTML><html>"));
        assert!(!is_html(None, b"%PDF-1.4"));
        assert!(!is_html(None, b""));
    }
}
