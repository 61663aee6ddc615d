//! Which character encoding a page is in, decided the way browsers decide it.
//!
//! The order is the HTML spec's: a byte-order mark, then the `charset` of the Content-Type
//! header, then a `<meta charset>` or `http-equiv` declaration in the first 1024 bytes
//! ([`prescan`]), then a guess from the bytes themselves by `chardetng`, the detector Firefox
//! uses. Getting this right matters beyond text: a link's query string is percent-encoded in the
//! page's encoding, so a Shift_JIS page that is read as UTF-8 links to URLs its server never
//! made.
//!
//! The detector gets the page's top-level domain, as in Firefox (an undeclared `.jp` page is more
//! likely Shift_JIS than windows-1252), and unlike Firefox it may answer UTF-8: browsers refuse
//! that on purpose so that authors keep declaring it, but a crawler only wants the right answer.
//! Pages are handed to `lol_html` as bytes in this encoding, and decoded to text only when a
//! plugin asks for text or a DOM.

mod prescan;

pub use prescan::{PRESCAN_BYTES, prescan};

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::Encoding;
use url::{Host, Url};

/// How many bytes the detector reads, from the first non-ASCII byte on: enough for a confident
/// guess (Firefox decides on far less), bounded so a 10 MiB page costs no more than a small one.
pub const DETECTOR_BYTES: usize = 64 * 1024;

/// Which step decided a page's encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A byte-order mark at the start of the body.
    Bom,
    /// The `charset` parameter of the Content-Type header.
    Header,
    /// A `<meta>` declaration in the first [`PRESCAN_BYTES`].
    Meta,
    /// Nothing was declared: the detector guessed from the bytes.
    Detector,
}

/// The encoding of `body`, served with `content_type` from `url` (for the detector's domain hint).
#[must_use]
pub fn detect(content_type: Option<&str>, body: &[u8], url: Option<&Url>) -> &'static Encoding {
    detect_with_source(content_type, body, url).0
}

/// [`detect`], and which step decided.
#[must_use]
pub fn detect_with_source(
    content_type: Option<&str>,
    body: &[u8],
    url: Option<&Url>,
) -> (&'static Encoding, Source) {
    if let Some((enc, _)) = Encoding::for_bom(body) {
        return (enc, Source::Bom);
    }
    if let Some(enc) = content_type
        .and_then(charset_param)
        .and_then(|label| Encoding::for_label(label.as_bytes()))
    {
        return (enc, Source::Header);
    }
    if let Some(enc) = prescan(body) {
        return (enc, Source::Meta);
    }
    (guess(body, url), Source::Detector)
}

/// The `charset` parameter of a Content-Type header value.
fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(|c| c == '"' || c == '\''))
    })
}

/// The detector's guess. Bytes that are valid UTF-8 are UTF-8, a page with no non-ASCII byte at
/// all included (browsers would take the domain's legacy default, windows-1252 for most: the text
/// is the same either way, and only a character reference in a link's query, `?q=&eacute;`,
/// would be encoded differently, as on any modern page).
fn guess(body: &[u8], url: Option<&Url>) -> &'static Encoding {
    let start = body
        .iter()
        .position(|b| !b.is_ascii())
        .unwrap_or(body.len());
    let end = body.len().min(start.saturating_add(DETECTOR_BYTES));
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    // `last` only when the window reaches the end: a window cut inside a UTF-8 sequence must
    // not count against UTF-8.
    detector.feed(&body[start..end], end == body.len());
    detector.guess(url.and_then(tld), Utf8Detection::Allow)
}

/// The rightmost label of `url`'s domain, in the form chardetng requires (it panics otherwise).
fn tld(url: &Url) -> Option<&[u8]> {
    let Some(Host::Domain(domain)) = url.host() else {
        return None;
    };
    let label = domain.trim_end_matches('.').rsplit('.').next()?;
    let valid = !label.is_empty()
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    valid.then_some(label.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{EUC_KR, SHIFT_JIS, UTF_8, UTF_16LE, WINDOWS_1251, WINDOWS_1252};

    fn source(ct: Option<&str>, body: &[u8]) -> (&'static str, Source) {
        let (enc, src) = detect_with_source(ct, body, None);
        (enc.name(), src)
    }

    #[test]
    fn bom_then_header_then_meta_then_detector() {
        let meta = b"<meta charset=euc-kr>";
        assert_eq!(
            source(
                Some("text/html; charset=iso-8859-1"),
                b"\xEF\xBB\xBF<meta charset=euc-kr>"
            ),
            ("UTF-8", Source::Bom)
        );
        assert_eq!(source(None, b"\xFF\xFEx\x00"), ("UTF-16LE", Source::Bom));
        assert_eq!(
            source(Some("text/html; Charset=\"ISO-8859-1\""), meta),
            ("windows-1252", Source::Header)
        );
        assert_eq!(
            source(Some("text/html; charset=shift_jis"), meta),
            ("Shift_JIS", Source::Header)
        );
        assert_eq!(source(Some("text/html"), meta), ("EUC-KR", Source::Meta));
        assert_eq!(
            source(Some("text/html; charset=bogus"), meta),
            ("EUC-KR", Source::Meta)
        );
        assert_eq!(source(None, b"<p>caf\xC3\xA9"), ("UTF-8", Source::Detector));
    }

    #[test]
    fn header_parameters() {
        assert_eq!(charset_param("text/html; charset=utf-8"), Some("utf-8"));
        assert_eq!(
            charset_param("text/html;CHARSET='koi8-r' ; q=1"),
            Some("koi8-r")
        );
        assert_eq!(charset_param("text/html; format=flowed"), None);
        assert_eq!(charset_param("text/html"), None);
        assert_eq!(
            detect(Some("text/html; charset=utf-16le"), b"<\x00a\x00", None),
            UTF_16LE
        );
    }

    #[test]
    fn detector_finds_legacy_encodings() {
        // Long enough for the detector to be sure; none of these is valid UTF-8.
        let latin1 =
            "<p>Le caf\u{e9} est tr\u{e8}s bon, la cr\u{e8}me br\u{fb}l\u{e9}e aussi. ".repeat(4);
        let (bytes, _, _) = WINDOWS_1252.encode(&latin1);
        assert_eq!(detect(None, &bytes, None), WINDOWS_1252);
        let japanese = "<p>\u{65e5}\u{672c}\u{8a9e}\u{306e}\u{30da}\u{30fc}\u{30b8}\u{3067}\u{3059}\u{3002}\u{3053}\u{3093}\u{306b}\u{3061}\u{306f}\u{3001}\u{4e16}\u{754c}\u{3002}".repeat(4);
        let (bytes, _, _) = SHIFT_JIS.encode(&japanese);
        assert_eq!(detect(None, &bytes, None), SHIFT_JIS);
        let russian = "<p>\u{41f}\u{440}\u{438}\u{432}\u{435}\u{442}, \u{43c}\u{438}\u{440}! \u{42d}\u{442}\u{43e} \u{441}\u{442}\u{440}\u{430}\u{43d}\u{438}\u{446}\u{430} \u{43d}\u{430} \u{440}\u{443}\u{441}\u{441}\u{43a}\u{43e}\u{43c}. ".repeat(4);
        let (bytes, _, _) = WINDOWS_1251.encode(&russian);
        assert_eq!(detect(None, &bytes, None), WINDOWS_1251);
        let korean = "<p>\u{c548}\u{b155}\u{d558}\u{c138}\u{c694}, \u{c138}\u{acc4}! \u{d55c}\u{ad6d}\u{c5b4} \u{d398}\u{c774}\u{c9c0}\u{c785}\u{b2c8}\u{b2e4}. ".repeat(4);
        let (bytes, _, _) = EUC_KR.encode(&korean);
        assert_eq!(detect(None, &bytes, None), EUC_KR);
    }

    #[test]
    fn the_domain_steers_legacy_guesses_but_not_utf8() {
        let url = |s: &str| Url::parse(s).unwrap();
        let ascii = b"<a href=/x>plain</a>";
        assert_eq!(detect(None, ascii, None), UTF_8);
        assert_eq!(
            detect(None, ascii, Some(&url("http://www.example.jp/"))),
            UTF_8
        );
        let utf8 = "<p>\u{65e5}\u{672c}\u{8a9e}".as_bytes();
        assert_eq!(detect(None, utf8, Some(&url("http://example.jp/"))), UTF_8);
        // Two bytes that are ambiguous between Japanese and Western encodings: the domain decides.
        let short = b"<p>\x93\xfa\x96\x7b</p>";
        assert_eq!(
            detect(None, short, Some(&url("http://example.jp/"))),
            SHIFT_JIS
        );
        for host in [
            "http://127.0.0.1:8080/",
            "http://example.com./",
            "http://[::1]/",
        ] {
            assert_ne!(detect(None, short, Some(&url(host))), UTF_8, "{host}");
        }
    }

    #[test]
    fn the_detector_window_starts_at_the_first_non_ascii_byte() {
        let mut body = vec![b' '; 3 * DETECTOR_BYTES];
        body.extend_from_slice("caf\u{e9} cr\u{e8}me br\u{fb}l\u{e9}e".as_bytes());
        assert_eq!(detect(None, &body, None), UTF_8);
        // A UTF-8 sequence cut by the window's end does not make the page look legacy.
        let body = "\u{65e5}".repeat(DETECTOR_BYTES).into_bytes();
        assert_ne!(DETECTOR_BYTES % 3, 0);
        assert_eq!(detect(None, &body, None), UTF_8);
    }
}
