//! The HTML spec's prescan: the `<meta charset>` or `http-equiv` declaration in a page's first
//! bytes.
//!
//! Browsers look for it before parsing (WHATWG HTML, "prescan a byte stream to determine its
//! encoding"), over a byte scanner that knows just enough markup to skip comments and other
//! tags' attributes: a `charset` inside a comment or a `<script>` attribute does not count, and a
//! `<meta>` whose `content` names a charset counts only with `http-equiv="content-type"`. This is
//! that algorithm, step for step, so a page decodes here as it does in a browser.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252, X_USER_DEFINED};

/// How many leading bytes are prescanned (the spec's suggested 1024).
pub const PRESCAN_BYTES: usize = 1024;

/// The encoding a `<meta>` in the first [`PRESCAN_BYTES`] of `body` declares, if any.
///
/// As the spec says, a declared UTF-16 means UTF-8 (a page that really is UTF-16 is found by
/// its byte-order mark before this runs) and `x-user-defined` means windows-1252.
#[must_use]
pub fn prescan(body: &[u8]) -> Option<&'static Encoding> {
    let mut s = Scanner {
        bytes: &body[..body.len().min(PRESCAN_BYTES)],
        pos: 0,
    };
    while s.pos < s.bytes.len() {
        let rest = &s.bytes[s.pos..];
        if rest.starts_with(b"<!--") {
            // The `-->` may share its dashes with the `<!--`: `<!-->` is a whole comment.
            let end = find(&rest[2..], b"-->")?;
            s.pos += 2 + end + 3;
        } else if starts_with_ignore_case(rest, b"<meta")
            && rest.get(5).is_some_and(|&b| is_space_or_slash(b))
        {
            s.pos += 6;
            if let Some(enc) = s.meta()? {
                return Some(enc);
            }
        } else if rest.len() >= 2
            && rest[0] == b'<'
            && (rest[1].is_ascii_alphabetic()
                || (rest[1] == b'/' && rest.get(2).is_some_and(u8::is_ascii_alphabetic)))
        {
            // Another tag: skip its name, then its attributes (whose values may hold a `>`).
            s.pos += rest[1..]
                .iter()
                .position(|&b| is_space(b) || b == b'>')
                .map_or(rest.len(), |p| p + 1);
            while s.attribute()?.is_some() {}
            s.pos += 1;
        } else if rest.starts_with(b"<!") || rest.starts_with(b"</") || rest.starts_with(b"<?") {
            s.pos += rest.iter().position(|&b| b == b'>')? + 1;
        } else {
            s.pos += 1;
        }
    }
    None
}

/// An attribute's name and value, as bytes.
type Attribute = (Vec<u8>, Vec<u8>);

/// The byte scanner. Its methods return `None` when the bytes run out mid-construct, which ends
/// the prescan with no answer (the spec's "abort").
struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// The attributes of a `<meta>` (the scanner is past `<meta` and one space or slash):
    /// `Some(Some(encoding))` if it declares one, `Some(None)` to go on scanning.
    fn meta(&mut self) -> Option<Option<&'static Encoding>> {
        let mut seen: Vec<Vec<u8>> = Vec::new();
        // `charset` is the spec's tri-state: null (`None`), failure (`Some(None)`), an encoding.
        let (mut got_pragma, mut need_pragma, mut charset) = (false, None, None);
        while let Some((name, value)) = self.attribute()? {
            if seen.contains(&name) {
                continue;
            }
            match name.as_slice() {
                b"http-equiv" => got_pragma |= value == b"content-type",
                b"content" => {
                    if charset.is_none()
                        && let Some(enc) = charset_from_content(&value)
                    {
                        charset = Some(Some(enc));
                        need_pragma = Some(true);
                    }
                }
                b"charset" => {
                    charset = Some(Encoding::for_label(&value));
                    need_pragma = Some(false);
                }
                _ => {}
            }
            seen.push(name);
        }
        let declared = match need_pragma {
            None => None,
            Some(true) if !got_pragma => None,
            Some(_) => charset.flatten(),
        };
        Some(declared.map(|enc| {
            if enc == UTF_16BE || enc == UTF_16LE {
                UTF_8
            } else if enc == X_USER_DEFINED {
                WINDOWS_1252
            } else {
                enc
            }
        }))
    }

    /// The spec's "get an attribute": `Some(None)` at the tag's `>`, names and values lowercased
    /// (only ASCII letters are), bytes kept as they are otherwise.
    fn attribute(&mut self) -> Option<Option<Attribute>> {
        while is_space_or_slash(self.peek()?) {
            self.pos += 1;
        }
        if self.peek()? == b'>' {
            return Some(None);
        }
        let mut name = Vec::new();
        loop {
            let b = self.peek()?;
            match b {
                b'=' if !name.is_empty() => {
                    self.pos += 1;
                    return self.value(name).map(Some);
                }
                b'/' | b'>' => return Some(Some((name, Vec::new()))),
                _ if is_space(b) => break,
                _ => name.push(b.to_ascii_lowercase()),
            }
            self.pos += 1;
        }
        while is_space(self.peek()?) {
            self.pos += 1;
        }
        if self.peek()? != b'=' {
            return Some(Some((name, Vec::new())));
        }
        self.pos += 1;
        self.value(name).map(Some)
    }

    /// The value after an attribute's `=`.
    fn value(&mut self, name: Vec<u8>) -> Option<Attribute> {
        while is_space(self.peek()?) {
            self.pos += 1;
        }
        let mut value = Vec::new();
        let first = self.peek()?;
        if first == b'"' || first == b'\'' {
            loop {
                self.pos += 1;
                let b = self.peek()?;
                if b == first {
                    self.pos += 1;
                    return Some((name, value));
                }
                value.push(b.to_ascii_lowercase());
            }
        }
        if first == b'>' {
            return Some((name, value));
        }
        loop {
            let b = self.peek()?;
            if is_space(b) || b == b'>' {
                return Some((name, value));
            }
            value.push(b.to_ascii_lowercase());
            self.pos += 1;
        }
    }
}

/// The spec's "extracting a character encoding from a meta element", on a `content` value such
/// as `text/html; charset=shift_jis`.
fn charset_from_content(content: &[u8]) -> Option<&'static Encoding> {
    let mut pos = 0;
    loop {
        pos += find_ignore_case(&content[pos..], b"charset")? + 7;
        let after = &content[pos..];
        let eq = after
            .iter()
            .position(|&b| !is_space(b))
            .unwrap_or(after.len());
        if after.get(eq) != Some(&b'=') {
            // Not `charset=`: look for a later "charset" from here.
            continue;
        }
        let value = &after[eq + 1..];
        let value = &value[value.iter().position(|&b| !is_space(b))?..];
        return match value[0] {
            q @ (b'"' | b'\'') => {
                let end = value[1..].iter().position(|&b| b == q)?;
                Encoding::for_label(&value[1..=end])
            }
            _ => {
                let end = value
                    .iter()
                    .position(|&b| is_space(b) || b == b';')
                    .unwrap_or(value.len());
                Encoding::for_label(&value[..end])
            }
        };
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
}

fn is_space_or_slash(b: u8) -> bool {
    is_space(b) || b == b'/'
}

fn starts_with_ignore_case(haystack: &[u8], prefix: &[u8]) -> bool {
    haystack.len() >= prefix.len() && haystack[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{EUC_KR, ISO_8859_2, SHIFT_JIS, WINDOWS_1251};

    fn name(body: &str) -> Option<&'static str> {
        prescan(body.as_bytes()).map(Encoding::name)
    }

    #[test]
    fn meta_charset_in_its_usual_forms() {
        assert_eq!(name("<meta charset=shift_jis>"), Some("Shift_JIS"));
        assert_eq!(
            name("<!doctype html><HTML><Head><META CHARSET=\"ISO-8859-1\">"),
            Some("windows-1252")
        );
        assert_eq!(name("<meta charset='euc-kr'/>"), Some("EUC-KR"));
        assert_eq!(name("<meta\tcharset = \" koi8-r \">"), Some("KOI8-R"));
        assert_eq!(name("<meta/charset=windows-1251>"), Some("windows-1251"));
        assert_eq!(
            prescan(b"<head><meta name=x><meta charset=\"euc-kr\">"),
            Some(EUC_KR)
        );
    }

    #[test]
    fn http_equiv_needs_the_pragma() {
        let with = "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=Shift_JIS\">";
        assert_eq!(prescan(with.as_bytes()), Some(SHIFT_JIS));
        let reversed = "<meta content='text/html;charset=windows-1251' http-equiv=content-type>";
        assert_eq!(prescan(reversed.as_bytes()), Some(WINDOWS_1251));
        assert_eq!(
            name("<meta content=\"text/html; charset=shift_jis\">"),
            None
        );
        assert_eq!(
            name("<meta http-equiv=refresh content=\"0; charset=shift_jis\">"),
            None
        );
        // A later `charset` attribute needs no pragma and wins over `content`.
        let both = "<meta content=\"charset=shift_jis\" charset=iso-8859-2>";
        assert_eq!(prescan(both.as_bytes()), Some(ISO_8859_2));
    }

    #[test]
    fn content_values() {
        let c = |s: &str| charset_from_content(s.as_bytes()).map(Encoding::name);
        assert_eq!(c("text/html; charset=shift_jis"), Some("Shift_JIS"));
        assert_eq!(c("text/html;charset=\"euc-kr\" ; x"), Some("EUC-KR"));
        assert_eq!(c("charsetcharset = 'koi8-r'"), Some("KOI8-R"));
        assert_eq!(c("text/html; charset=\"shift_jis"), None);
        assert_eq!(c("text/html; charset="), None);
        assert_eq!(c("text/html; charset=bogus"), None);
        assert_eq!(c("text/html"), None);
    }

    #[test]
    fn first_declaration_wins_and_duplicates_are_ignored() {
        assert_eq!(
            name("<meta charset=euc-kr><meta charset=shift_jis>"),
            Some("EUC-KR")
        );
        assert_eq!(
            name("<meta charset=euc-kr charset=shift_jis>"),
            Some("EUC-KR")
        );
        // An unknown label is no declaration: scanning goes on to the next one.
        assert_eq!(
            name("<meta charset=bogus><meta charset=shift_jis>"),
            Some("Shift_JIS")
        );
    }

    #[test]
    fn utf16_and_x_user_defined_are_remapped() {
        assert_eq!(name("<meta charset=utf-16le>"), Some("UTF-8"));
        assert_eq!(name("<meta charset=utf-16>"), Some("UTF-8"));
        assert_eq!(name("<meta charset=x-user-defined>"), Some("windows-1252"));
    }

    #[test]
    fn comments_and_other_tags_hide_declarations() {
        assert_eq!(
            name("<!-- <meta charset=shift_jis> --><meta charset=euc-kr>"),
            Some("EUC-KR")
        );
        assert_eq!(name("<!--><meta charset=euc-kr>"), Some("EUC-KR"));
        assert_eq!(
            name("<div title=\"<meta charset=shift_jis>\"><meta charset=euc-kr>"),
            Some("EUC-KR")
        );
        assert_eq!(
            name("<!doctype html><?xml x?></p><meta charset=euc-kr>"),
            Some("EUC-KR")
        );
        assert_eq!(name("<metadata charset=shift_jis>"), None);
        assert_eq!(name("<!-- unterminated <meta charset=shift_jis>"), None);
        // Not a tag after all: `<` then a digit is text.
        assert_eq!(name("<1 charset=x><meta charset=euc-kr>"), Some("EUC-KR"));
    }

    #[test]
    fn only_the_first_1024_bytes_count() {
        let late = format!("{}<meta charset=shift_jis>", " ".repeat(PRESCAN_BYTES));
        assert_eq!(name(&late), None);
        let early = format!("{}<meta charset=shift_jis>", " ".repeat(PRESCAN_BYTES - 30));
        assert_eq!(name(&early), Some("Shift_JIS"));
        // Cut in the middle of the tag: no answer.
        let cut = format!("{}<meta charset=shift_jis>", " ".repeat(PRESCAN_BYTES - 10));
        assert_eq!(name(&cut), None);
    }

    #[test]
    fn never_panics_on_fragments() {
        for s in [
            "",
            "<",
            "<m",
            "<meta",
            "<meta ",
            "<meta charset",
            "<meta charset=",
            "<meta charset=\"",
            "<a",
            "<a b",
            "<a b=",
            "<a b='",
            "</",
            "</a",
            "<!",
            "<!-",
            "<!--",
            "<?",
            "<meta =x>",
            "<meta content=charset>",
            "<meta content='charset = '>",
            "<a =>",
            "<meta/ />",
        ] {
            let _ = prescan(s.as_bytes());
        }
    }
}
