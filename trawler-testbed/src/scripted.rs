//! Pages built by a script: a share of the site's pages ([`SiteSpec::script_pages`]) is
//! served as an application shell (an empty `<div id="root">` and a script that writes the
//! page's body into it), the way single-page applications are. The page a browser shows is
//! the plain page, links included; an HTTP client sees no link at all, only the script.
//!
//! The body goes into the script as a JSON string, with `<` written as `\u003c` so nothing
//! in it can end the script early. Which pages are scripted follows from the seed, the host
//! and the page, so a crawl meets the same ones every time.
//!
//! [`SiteSpec::script_pages`]: crate::SiteSpec::script_pages

use super::rng::{hash3, unit_f64};

/// Salt of the scripted-page draw.
const SALT: u64 = 0x5c41_97ed;

/// Whether page `id` of `host` is scripted when `share` of the pages are. The index is
/// never, so a crawl always starts from a page it can read.
pub(crate) fn is_scripted(seed: u64, host: usize, id: u32, share: f64) -> bool {
    id != 0 && share > 0.0 && unit_f64(hash3(seed ^ SALT, host as u64, u64::from(id))) < share
}

/// Rewrites the plain `page` in `out` as a shell whose script writes its body.
pub(crate) fn into_shell(page: &[u8], out: &mut Vec<u8>) {
    let text = String::from_utf8_lossy(page);
    let title = between(&text, "<title>", "</title>").unwrap_or("");
    let body = between(&text, "<body>", "</body>").unwrap_or(&text);
    out.extend_from_slice(
        b"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>",
    );
    out.extend_from_slice(title.as_bytes());
    out.extend_from_slice(b"</title>\n</head>\n<body>\n<div id=\"root\"></div>\n<script>\ndocument.getElementById('root').innerHTML = \"");
    for c in body.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '<' => out.extend_from_slice(b"\\u003c"),
            '\u{2028}' => out.extend_from_slice(b"\\u2028"),
            '\u{2029}' => out.extend_from_slice(b"\\u2029"),
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.extend_from_slice(b"\";\n</script>\n</body>\n</html>\n");
}

/// The text between the first `open` and the next `close`.
fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let len = text[start..].find(close)?;
    Some(&text[start..start + len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shell_hides_its_links_from_markup_and_keeps_them_in_its_script() {
        let page = b"<html><head><title>T</title></head><body><p>a \"q\" \\ b</p>\n<a href=\"/x.html\">x</a><script>var s = '</script>';</script></body></html>";
        let mut out = Vec::new();
        into_shell(page, &mut out);
        let shell = String::from_utf8(out).unwrap();
        assert!(shell.contains("<title>T</title>") && shell.contains("<div id=\"root\"></div>"));
        // One script element, closed once: the body's own tags are all escaped.
        assert_eq!(shell.matches("</script>").count(), 1, "{shell}");
        assert!(!shell.contains("<a "), "{shell}");
        let script = between(&shell, "innerHTML = \"", "\";\n</script>").unwrap();
        assert!(
            script.contains("\\u003ca href=\\\"/x.html\\\">x\\u003c/a>"),
            "{script}"
        );
    }

    #[test]
    fn about_the_share_asked_is_scripted_and_never_the_index() {
        let n = (1..10_000)
            .filter(|&id| is_scripted(7, 0, id, 0.25))
            .count();
        assert!((2_300..2_700).contains(&n), "{n}");
        assert!(!is_scripted(7, 0, 0, 1.0));
        assert!(!(1..1000).any(|id| is_scripted(7, 0, id, 0.0)));
    }
}
