//! Character references (`&amp;`, `&#233;`) in attribute values, decoded as the HTML tokenizer
//! decodes them.
//!
//! `lol_html` is a rewriter and hands attribute values over raw, so the streaming extractor needs
//! this. The common references (numeric ones and the legacy names that may omit their `;`) are
//! decoded inline, which covers nearly every real href; the rare rest (`&hellip;`, C1 numeric
//! references) goes to html5ever through a one-element scraper fragment, which knows the full
//! table. A test holds the fast path to html5ever's answers, byte for byte.

use super::DOM_LINKS;

/// Decodes character references in a raw attribute value as the HTML tokenizer would.
pub(super) fn decode_attribute(raw: String) -> String {
    if !raw.contains('&') {
        return raw;
    }
    decode_common_refs(&raw).unwrap_or_else(|| decode_with_html5ever(&raw))
}

/// What an `&` starts, in an attribute value.
enum CharRef {
    /// Not a reference: the `&` is literal.
    Literal,
    /// A reference decoding to this character and ending at this byte offset.
    Char(char, usize),
    /// A reference this module does not know; html5ever must decide.
    Unknown,
}

/// Decodes numeric references and the legacy named ones; `None` if any other reference occurs.
fn decode_common_refs(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let (mut copied, mut pos) = (0, 0);
    while let Some(found) = raw[pos..].find('&') {
        let amp = pos + found;
        pos = amp + 1;
        match char_ref(raw, pos) {
            CharRef::Literal => {}
            CharRef::Unknown => return None,
            CharRef::Char(ch, end) => {
                out.push_str(&raw[copied..amp]);
                out.push(ch);
                (copied, pos) = (end, end);
            }
        }
    }
    out.push_str(&raw[copied..]);
    Some(out)
}

fn char_ref(raw: &str, start: usize) -> CharRef {
    let bytes = raw.as_bytes();
    if bytes.get(start) == Some(&b'#') {
        return numeric_ref(bytes, start + 1);
    }
    let end = start
        + bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
    let name = &raw[start..end];
    match bytes.get(end) {
        _ if name.is_empty() => CharRef::Literal,
        Some(b';') => match legacy_ref(name).or((name == "apos").then_some('\'')) {
            Some(ch) => CharRef::Char(ch, end + 1),
            None => CharRef::Unknown,
        },
        // HTML keeps `&copy=` and `&copyx` literal in attributes, for the sake of query strings.
        // Only legacy names may omit the `;`, and the name run is maximal, so an exact match is
        // the only way a reference without `;` can decode.
        Some(b'=') => CharRef::Literal,
        _ => legacy_ref(name).map_or(CharRef::Literal, |ch| CharRef::Char(ch, end)),
    }
}

fn numeric_ref(bytes: &[u8], start: usize) -> CharRef {
    let (radix, digits) = match bytes.get(start) {
        Some(b'x' | b'X') => (16, start + 1),
        _ => (10, start),
    };
    let mut end = digits;
    let mut value: u32 = 0;
    while let Some(d) = bytes.get(end).and_then(|&b| char::from(b).to_digit(radix)) {
        // Saturating keeps overlong references out of range, hence U+FFFD, as the spec wants.
        value = value.saturating_mul(radix).saturating_add(d);
        end += 1;
    }
    if end == digits {
        return CharRef::Literal;
    }
    if bytes.get(end) == Some(&b';') {
        end += 1;
    }
    match value {
        // C1 controls are remapped through a windows-1252 table that html5ever already has.
        0x80..=0x9F => CharRef::Unknown,
        _ => CharRef::Char(
            char::from_u32(value)
                .filter(|&c| c != '\0')
                .unwrap_or('\u{FFFD}'),
            end,
        ),
    }
}

/// Names of U+00A0..=U+00FF: with `amp`, `lt`, `gt`, `quot` and a few uppercase twins, these are
/// the only references HTML still decodes without a trailing `;`.
const LATIN1_NAMES: [&str; 96] = [
    "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf",
    "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro",
    "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
    "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute",
    "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute",
    "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute",
    "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
    "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde",
    "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc",
    "uuml", "yacute", "thorn", "yuml",
];

fn legacy_ref(name: &str) -> Option<char> {
    match name {
        "amp" | "AMP" => Some('&'),
        "lt" | "LT" => Some('<'),
        "gt" | "GT" => Some('>'),
        "quot" | "QUOT" => Some('"'),
        "COPY" => Some('\u{A9}'),
        "REG" => Some('\u{AE}'),
        _ => {
            let index = LATIN1_NAMES.iter().position(|&n| n == name)?;
            char::from_u32(0xA0 + u32::try_from(index).ok()?)
        }
    }
}

/// The slow, complete path: let html5ever tokenise the value inside a one-element fragment.
fn decode_with_html5ever(raw: &str) -> String {
    // A raw `"` can only come from a single-quoted or unquoted value; `&quot;` keeps its meaning.
    let html = format!("<a href=\"{}\">", raw.replace('"', "&quot;"));
    let fragment = scraper::Html::parse_fragment(&html);
    let decoded = fragment
        .select(&DOM_LINKS)
        .next()
        .and_then(|a| a.value().attr("href"));
    decoded.map_or_else(|| raw.to_owned(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_decoder_agrees_with_html5ever() {
        // One case per line; the fast decoder must match html5ever on each, byte for byte.
        let listed = "plain\n&\n&&\n& x\n&;\n&#\n&#;\n&#x\n&#xZ\n&#65\n&#65;B\n&#x41\n&#X41;\n&#0;
            &#128;\n&#x9F;\n&#x81;\n&#xD800;\n&#x110000;\n&#99999999999999999999;\n&#x10FFFF;
            &amp\n&amp;\n&AMP;\n&ampx\n&amp=\n&amp&lt\na=1&b=2\na=1&copy=2\na=1&copy_2\n&copyx
            &notin\n&notin;\n&notit;\n&apos;\n&apos\n&hellip;\n&NewLine;\n&foo;\n&yuml;&eth&THORN
            q\"x\n&quot\"\n&lt;&gt;&quot;&nbsp;";
        let mut cases: Vec<String> = listed.lines().map(|l| l.trim_start().to_owned()).collect();
        for name in LATIN1_NAMES {
            cases.extend([
                format!("&{name}"),
                format!("&{name};"),
                format!("x&{name}=1"),
            ]);
        }
        for case in cases {
            assert_eq!(
                decode_attribute(case.clone()),
                decode_with_html5ever(&case),
                "{case:?}"
            );
        }
    }
}
