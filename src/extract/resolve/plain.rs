//! Links whose canonical URL is told from their text, without the URL parser.
//!
//! Most links of a crawled page were seen before (29 of 30 in a 1M-page crawl of the
//! benchmark's testbed), and the crawl needs only their fingerprint to drop them. An href
//! written plainly under an http(s) base without credentials and without `%` in its directory
//! resolves, in canonical form, to the base's origin or directory followed by the href's
//! segments, `.` and `..` applied: plainly means ASCII letters, digits and the marks the parser
//! copies as they are, no `%`, no backslash, no scheme, no `//` where a host could start, and
//! no `:` in a path with dot segments (the URL parser will not let `..` take off a segment such
//! as `a:`, which it reads as a drive letter). Its fingerprint is hashed from that text, and
//! only a link found new is parsed. Every other href goes through the parser, and a property
//! test holds the two ways to the same text.

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

/// A byte that makes an href not plain.
const NOT_PLAIN: u8 = 0;
/// A byte copied as it is, with nothing to note.
const PLAIN: u8 = 1;
/// `/`, which ends a segment.
const SLASH: u8 = 2;
/// `:`, a scheme's end before the first `/`.
const COLON: u8 = 3;
/// `?`, where the query starts.
const QUESTION: u8 = 4;
/// `#`, where the fragment starts.
const HASH: u8 = 5;
/// `.`, which may start a dot segment.
const DOT: u8 = 6;
/// What each byte of an href is to [`Resolver::plain_canonical`], looked up (it runs for
/// every byte of every link).
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
            // `..` after a segment such as `a:` keeps it (see the module): the parser's.
            if segments.contains(':') || out[path_start..].contains(':') {
                return false;
            }
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
mod tests;
