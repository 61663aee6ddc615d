//! CDXJ index lines, the index format of pywb and the Webrecorder tools: one line per
//! `response` or `revisit` record, `SURT TIMESTAMP {json}`, sorted, beside each WARC file.
//!
//! The SURT key ("Sort-friendly URI Reordering Transform") reverses host labels and drops what
//! does not identify the resource (scheme, `www.`, default port, fragment, query order, case),
//! so that sorting groups a site's pages together and a lookup is a binary search. The JSON
//! carries what a replay needs to fetch the record: file, offset and compressed length.

use std::fs;
use std::io::{BufRead as _, BufReader};
use std::path::Path;

use serde::{Deserialize, Serialize};
use url::{Host, Url};

use super::WarcError;

/// One index line, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CdxjEntry {
    /// The SURT key of the URL (see [`surt`]).
    #[serde(skip)]
    pub key: String,
    /// `YYYYMMDDhhmmss` of the record's `WARC-Date`.
    #[serde(skip)]
    pub timestamp: String,
    /// The URL as recorded.
    pub url: String,
    /// The response's media type without parameters; `warc/revisit` for a revisit record.
    pub mime: String,
    /// The HTTP status, as a decimal string (pywb's convention).
    pub status: String,
    /// The payload digest, base32 without the `sha1:` prefix (pywb's convention).
    pub digest: String,
    /// Length of the record's gzip member in the file, as a decimal string.
    pub length: String,
    /// Offset of the record's gzip member in the file, as a decimal string.
    pub offset: String,
    /// The WARC file's name (no directory).
    pub filename: String,
}

impl CdxjEntry {
    /// The line as written in the index (without the newline).
    #[must_use]
    pub fn to_line(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        format!("{} {} {json}", self.key, self.timestamp)
    }

    /// Parses an index line; `None` if it is not `KEY TIMESTAMP {json}` with our fields.
    #[must_use]
    pub fn parse(line: &str) -> Option<Self> {
        let (key, rest) = line.split_once(' ')?;
        let (timestamp, json) = rest.split_once(' ')?;
        let mut entry: CdxjEntry = serde_json::from_str(json).ok()?;
        entry.key = key.to_owned();
        entry.timestamp = timestamp.to_owned();
        Some(entry)
    }

    /// The record's offset as a number.
    #[must_use]
    pub fn offset(&self) -> Option<u64> {
        self.offset.parse().ok()
    }
}

/// Reads every line of a CDXJ file.
///
/// # Errors
///
/// [`WarcError::Io`] if the file cannot be read; [`WarcError::Malformed`] (with the line
/// number as `offset`) for a line that is not an index line.
pub fn read_cdxj(path: &Path) -> Result<Vec<CdxjEntry>, WarcError> {
    let file = fs::File::open(path).map_err(|e| WarcError::io(path, e))?;
    let mut out = Vec::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| WarcError::io(path, e))?;
        if line.is_empty() {
            continue;
        }
        out.push(CdxjEntry::parse(&line).ok_or_else(|| WarcError::Malformed {
            offset: n as u64 + 1,
            reason: format!("not a CDXJ line in {}", path.display()),
        })?);
    }
    Ok(out)
}

/// Sorts an index file's lines in place (through a temporary file and a rename).
pub(crate) fn sort_file(path: &Path) -> Result<(), WarcError> {
    let text = fs::read_to_string(path).map_err(|e| WarcError::io(path, e))?;
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    lines.sort_unstable();
    let mut sorted = lines.join("\n");
    if !sorted.is_empty() {
        sorted.push('\n');
    }
    let tmp = path.with_extension("cdxj.tmp");
    fs::write(&tmp, sorted).map_err(|e| WarcError::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| WarcError::io(path, e))
}

/// Keeps the lines of the index at `path` whose records start before `len` (the WARC file
/// is cut there), sorted; a missing index is made empty.
pub(crate) fn cut_file(path: &Path, len: u64) -> Result<(), WarcError> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(WarcError::io(path, e)),
    };
    let before = |line: &str| {
        CdxjEntry::parse(line)
            .and_then(|e| e.offset())
            .is_some_and(|o| o < len)
    };
    let mut kept: Vec<&str> = text.lines().filter(|l| before(l)).collect();
    kept.sort_unstable();
    let mut out = kept.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    let tmp = path.with_extension("cdxj.tmp");
    fs::write(&tmp, out).map_err(|e| WarcError::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| WarcError::io(path, e))
}

/// The SURT key of `url`: `com,example)/a/b?x=1&y=2` for `http://www.Example.com/a/b?y=2&x=1`.
///
/// Lower-cased; scheme, userinfo, fragment and a leading `www.` dropped; host labels reversed
/// (IP addresses kept as they are); a non-default port kept as `:PORT`; query parameters
/// sorted.
#[must_use]
pub fn surt(url: &Url) -> String {
    let host = match url.host() {
        Some(Host::Domain(d)) => {
            let d = d.to_ascii_lowercase();
            let d = d.strip_prefix("www.").unwrap_or(&d).to_owned();
            d.trim_end_matches('.')
                .split('.')
                .rev()
                .collect::<Vec<_>>()
                .join(",")
        }
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Ipv6(ip)) => format!("[{ip}]"),
        None => String::new(),
    };
    let mut key = host;
    if let Some(port) = url.port() {
        key.push(':');
        key.push_str(&port.to_string());
    }
    key.push(')');
    key.push_str(&url.path().to_ascii_lowercase());
    if let Some(query) = url.query().filter(|q| !q.is_empty()) {
        let lower = query.to_ascii_lowercase();
        let mut params: Vec<&str> = lower.split('&').collect();
        params.sort_unstable();
        key.push('?');
        key.push_str(&params.join("&"));
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(u: &str) -> String {
        surt(&Url::parse(u).unwrap())
    }

    #[test]
    fn surt_keys() {
        assert_eq!(
            key("http://www.Example.com/A/b?y=2&x=1#frag"),
            "com,example)/a/b?x=1&y=2"
        );
        assert_eq!(key("https://example.com"), "com,example)/");
        assert_eq!(key("http://example.com:80/"), "com,example)/");
        assert_eq!(
            key("http://sub.example.co.uk:8080/p"),
            "uk,co,example,sub:8080)/p"
        );
        assert_eq!(key("http://127.0.0.1:4000/x?"), "127.0.0.1:4000)/x");
        assert_eq!(key("http://[::1]:81/"), "[::1]:81)/");
        assert_eq!(key("http://user:pw@example.com/"), "com,example)/");
    }

    #[test]
    fn lines_round_trip_and_sort() {
        let entry = CdxjEntry {
            key: "com,example)/".into(),
            timestamp: "20261201153247".into(),
            url: "http://example.com/".into(),
            mime: "text/html".into(),
            status: "200".into(),
            digest: "3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ".into(),
            length: "120".into(),
            offset: "345".into(),
            filename: "a.warc.gz".into(),
        };
        let line = entry.to_line();
        assert!(
            line.starts_with("com,example)/ 20261201153247 {\"url\":"),
            "{line}"
        );
        assert_eq!(CdxjEntry::parse(&line).unwrap(), entry);
        assert_eq!(entry.offset(), Some(345));
        assert_eq!(CdxjEntry::parse("com,example)/ 2026 not-json"), None);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.cdxj");
        fs::write(&path, "b 2 {}\na 1 {}\n\n").unwrap();
        sort_file(&path).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "a 1 {}\nb 2 {}\n");
    }
}
