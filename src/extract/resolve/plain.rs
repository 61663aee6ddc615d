//! Links whose canonical URL is told from their text, without the URL parser.
//!
//! Most links of a crawled page were seen before (on a documentation site, 19 of 20), and
//! the crawl needs only their fingerprint to drop them. An href written plainly under an
//! http(s) base without credentials resolves, canonical already, to the base's origin or
//! directory followed by the href's segments (`.` and `..` applied as the URL parser
//! applies them): plainly means ASCII letters, digits and the marks the parser copies as
//! they are, no `%`, no backslash, no scheme, and no `//` where a host could start. Its
//! fingerprint is hashed from that text, and only a link found new is parsed. Every other
//! href goes through the parser, and a property test holds the two ways to the same text.

use super::Resolver;

/// A byte the URL parser copies as it is into an http(s) path or query.
const fn plain_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'/' | b'-'
                | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
        )
}

/// What a byte of an href is to [`Resolver::plain_canonical`], looked up (it runs for
/// every byte of every link).
const NOT_PLAIN: u8 = 0;
const PLAIN: u8 = 1;
const SLASH: u8 = 2;
const COLON: u8 = 3;
const QUESTION: u8 = 4;
const HASH: u8 = 5;
const DOT: u8 = 6;
static CLASS: [u8; 256] = {
    let mut table = [NOT_PLAIN; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            b'/' => SLASH,
            b':' => COLON,
            b'?' => QUESTION,
            b'#' => HASH,
            b'.' => DOT,
            c if plain_byte(c) => PLAIN,
            _ => NOT_PLAIN,
        };
        b += 1;
    }
    table
};

impl Resolver {
    /// The canonical text of the URL `href` resolves to (what [`resolve`](Resolver::resolve)
    /// then [`canonicalize`](crate::canon::canonicalize) give), written over `out`, when the
    /// href is plain (see the module); `false` otherwise, `out` then unspecified. With
    /// `sort_query`, an href with a query is not plain (its canonical query is sorted).
    pub(crate) fn plain_canonical(&self, href: &str, sort_query: bool, out: &mut String) -> bool {
        if self.dir == 0 {
            return false;
        }
        let href = href.trim_ascii();
        // One pass: where the query and the fragment start (the fragment is dropped whatever
        // it holds), whether every byte before it is plain, whether a colon comes before the
        // first slash (the first segment would be a scheme) and whether a path segment may
        // be `.` or `..`.
        let (mut query_at, mut end) = (None, href.len());
        let (mut slash_seen, mut colon_first, mut dots) = (false, false, false);
        let mut after_slash = true;
        for (i, &b) in href.as_bytes().iter().enumerate() {
            let class = CLASS[usize::from(b)];
            match class {
                PLAIN => {}
                SLASH => slash_seen = true,
                DOT => dots |= after_slash && query_at.is_none(),
                COLON => colon_first |= !slash_seen && query_at.is_none(),
                QUESTION => {
                    query_at.get_or_insert(i);
                }
                HASH => {
                    end = i;
                    break;
                }
                _ => return false,
            }
            after_slash = class == SLASH;
        }
        let path = &href[..query_at.unwrap_or(end)];
        // An empty query is dropped by the canonical form.
        let query = query_at
            .map(|at| &href[at + 1..end])
            .filter(|q| !q.is_empty());
        if sort_query && query.is_some() {
            return false;
        }
        let base = self.base.as_str();
        let origin = &base[..self.origin];
        out.clear();
        out.push_str(origin);
        let path_start = out.len();
        let segments = match path.strip_prefix(origin) {
            Some(rest) if rest.starts_with('/') => &rest[1..],
            _ if path.starts_with('/') => &path[1..],
            // Relative to the base's path without its last segment.
            _ if !path.is_empty() && !colon_first => {
                out.push_str(&base[self.origin..self.dir - 1]);
                path
            }
            _ => return false,
        };
        // `//` where the path starts would be read as a host.
        if segments.starts_with('/') {
            return false;
        }
        if dots {
            push_segments(out, path_start, segments);
        } else {
            out.push('/');
            out.push_str(segments);
        }
        if let Some(query) = query {
            out.push('?');
            out.push_str(query);
        }
        true
    }
}

/// Appends `segments` to the path in `out` (from `path_start`) as the URL parser's path
/// state does: `..` takes a segment off (never the origin), `.` is dropped, and either one
/// last leaves the path ending in `/`.
fn push_segments(out: &mut String, path_start: usize, mut segments: &str) {
    loop {
        let (piece, rest) = match segments.bytes().position(|b| b == b'/') {
            Some(at) => (&segments[..at], Some(&segments[at + 1..])),
            None => (segments, None),
        };
        match piece {
            ".." => {
                let kept = out[path_start..].rfind('/').unwrap_or(0);
                out.truncate(path_start + kept);
                if rest.is_none() {
                    out.push('/');
                }
            }
            "." => {
                if rest.is_none() {
                    out.push('/');
                }
            }
            _ => {
                out.push('/');
                out.push_str(piece);
            }
        }
        match rest {
            Some(rest) => segments = rest,
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canon::{CanonOptions, canonicalize};
    use encoding_rs::UTF_8;
    use proptest::prelude::*;
    use url::Url;

    /// What the parser and the canonical form give for `href`.
    fn parsed(resolver: &Resolver, href: &str, sort_query: bool) -> Option<String> {
        let mut url = resolver.resolve(href)?;
        canonicalize(&mut url, CanonOptions { sort_query });
        Some(url.into())
    }

    fn plain(resolver: &Resolver, href: &str) -> Option<String> {
        let mut out = String::new();
        resolver
            .plain_canonical(href, false, &mut out)
            .then_some(out)
    }

    #[test]
    fn the_links_a_site_writes_are_plain() {
        let page = Url::parse("http://127.0.0.1:8080/docs/guide/page.html?v=1").unwrap();
        let resolver = Resolver::new(&page, None, UTF_8);
        for (href, want) in [
            ("/std/index.html", "http://127.0.0.1:8080/std/index.html"),
            (
                "other.html#part",
                "http://127.0.0.1:8080/docs/guide/other.html",
            ),
            (
                "sub/x.html?a=1&b=2",
                "http://127.0.0.1:8080/docs/guide/sub/x.html?a=1&b=2",
            ),
            (" http://127.0.0.1:8080/a/b ", "http://127.0.0.1:8080/a/b"),
            ("/search?", "http://127.0.0.1:8080/search"),
            (
                "wiki/Special:Random",
                "http://127.0.0.1:8080/docs/guide/wiki/Special:Random",
            ),
            ("../up.html", "http://127.0.0.1:8080/docs/up.html"),
            ("./here.html", "http://127.0.0.1:8080/docs/guide/here.html"),
            ("/a/./b/../c", "http://127.0.0.1:8080/a/c"),
            ("../../../../x", "http://127.0.0.1:8080/x"),
            ("sub/..", "http://127.0.0.1:8080/docs/guide/"),
            ("/a/b/.", "http://127.0.0.1:8080/a/b/"),
            (".", "http://127.0.0.1:8080/docs/guide/"),
            ("/..", "http://127.0.0.1:8080/"),
        ] {
            assert_eq!(plain(&resolver, href).as_deref(), Some(want), "{href:?}");
            assert_eq!(
                parsed(&resolver, href, false).as_deref(),
                Some(want),
                "{href:?}"
            );
        }
        for href in [
            "",
            "#top",
            "?q=1",
            "//cdn.example/x",
            "http://127.0.0.1:8080//x",
            "http://127.0.0.1:8080",
            "https://127.0.0.1:8080/x",
            "HTTP://127.0.0.1:8080/x",
            "mailto:a@b.example",
            "javascript:void(0)",
            "http:relative",
            // A scheme, to the parser.
            "Special:Random",
            "/caf\u{e9}",
            "/a%7Eb",
            "/a\\b",
            "/a b",
            "/it's",
            "/a\tb",
        ] {
            assert_eq!(plain(&resolver, href), None, "{href:?}");
        }
        // A sorted query is not the query as written.
        assert!(!resolver.plain_canonical("/x?b=1&a=2", true, &mut String::new()));
    }

    #[test]
    fn a_base_with_credentials_or_not_http_takes_the_parser() {
        for base in ["http://user:pw@h.example/a/", "file:///srv/a/"] {
            let resolver = Resolver::new(&Url::parse(base).unwrap(), None, UTF_8);
            assert_eq!(plain(&resolver, "b.html"), None, "{base}");
        }
    }

    const BASES: [&str; 5] = [
        "http://127.0.0.1:8080/docs/page.html",
        "https://shop.example/catalogue/?sort=price",
        "http://h.example:81/a/b/",
        "http://[::1]/x/y",
        "https://xn--bcher-kva.example",
    ];

    /// An href made of pieces that steer the URL parser: the base's own origin (sometimes
    /// written otherwise), slashes both ways, dot segments, `%`, `?`, `#`, `:`, `'`, spaces,
    /// tabs, controls and non-ASCII.
    fn href(base: &'static str) -> impl Strategy<Value = String> {
        let origin = &base[..Url::parse(base).unwrap()[..url::Position::BeforePath].len()];
        let start = prop_oneof![
            3 => Just(String::new()),
            2 => Just(origin.to_owned()),
            1 => Just(origin.to_ascii_uppercase()),
            1 => Just("http:".to_owned()),
            1 => Just("/".to_owned()),
            1 => Just("//".to_owned()),
        ];
        let piece = prop_oneof![
            Just("/"),
            Just("\\"),
            Just("."),
            Just(".."),
            Just("%2e"),
            Just("%7E"),
            Just("%"),
            Just("?"),
            Just("#"),
            Just(":"),
            Just("'"),
            Just(" "),
            Just("\t"),
            Just("\u{1}"),
            Just("é"),
            Just("a"),
            Just("b.html"),
            Just("x=1&y"),
            Just("b=2&a=1"),
            Just("@"),
            Just("~"),
        ];
        (start, proptest::collection::vec(piece, 0..8))
            .prop_map(|(start, pieces)| start + &pieces.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// A plain href gives the very text the parser and the canonical form give.
        #[test]
        fn plain_text_is_the_parsed_canonical_text(
            (base, href) in (0..BASES.len()).prop_flat_map(|i| (Just(BASES[i]), href(BASES[i]))),
            sort_query in any::<bool>(),
        ) {
            let resolver = Resolver::new(&Url::parse(base).unwrap(), None, UTF_8);
            let mut out = String::new();
            if resolver.plain_canonical(&href, sort_query, &mut out) {
                prop_assert_eq!(Some(out), parsed(&resolver, &href, sort_query));
            }
        }
    }
}
