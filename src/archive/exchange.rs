//! What one HTTP exchange looked like on the wire: the input of the WARC writer.
//!
//! The fetch path fills an [`Exchange`] per request it completes (pages, redirects, error
//! pages, robots.txt): the request head as sent, the response head as received, the body bytes
//! before any content decoding, the remote address and the time. Headers keep their order and
//! their bytes, because a WARC record is evidence of what was exchanged, not a normalised view.

use std::net::IpAddr;
use std::time::SystemTime;

use bytes::Bytes;
use url::Url;

/// A header line: the name as sent and the value's bytes (not necessarily UTF-8).
pub type HeaderLine = (String, Vec<u8>);

/// The request head as sent: `METHOD TARGET VERSION` and the header lines in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// `GET`, `HEAD`, ...
    pub method: String,
    /// The request target as sent: `/path?query` (origin form) or an absolute URL.
    pub target: String,
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: String,
    /// Header lines in the order they were sent.
    pub headers: Vec<HeaderLine>,
}

impl RequestHead {
    /// A `METHOD TARGET HTTP/1.1` head with no headers yet.
    #[must_use]
    pub fn new(method: &str, target: &str) -> Self {
        Self {
            method: method.to_owned(),
            target: target.to_owned(),
            version: "HTTP/1.1".to_owned(),
            headers: Vec::new(),
        }
    }

    /// Appends a header line.
    #[must_use]
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers
            .push((name.to_owned(), value.as_ref().to_vec()));
        self
    }
}

/// The response head as received: the status line and the header lines in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: String,
    /// The status code.
    pub status: u16,
    /// The reason phrase as received (may be empty).
    pub reason: String,
    /// Header lines in the order they were received.
    pub headers: Vec<HeaderLine>,
}

impl ResponseHead {
    /// An `HTTP/1.1 STATUS REASON` head with no headers yet.
    #[must_use]
    pub fn new(status: u16, reason: &str) -> Self {
        Self {
            version: "HTTP/1.1".to_owned(),
            status,
            reason: reason.to_owned(),
            headers: Vec::new(),
        }
    }

    /// Appends a header line.
    #[must_use]
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers
            .push((name.to_owned(), value.as_ref().to_vec()));
        self
    }

    /// The first value of header `name` (case-insensitive), if it is UTF-8.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        header_value(&self.headers, name)
    }

    /// Whether the head declares `Transfer-Encoding: chunked` as its last coding.
    #[must_use]
    pub fn is_chunked(&self) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("transfer-encoding"))
            .filter_map(|(_, v)| std::str::from_utf8(v).ok())
            .flat_map(|v| v.split(','))
            .last()
            .is_some_and(|c| c.trim().eq_ignore_ascii_case("chunked"))
    }
}

/// The first value of header `name` among `headers` (case-insensitive), if it is UTF-8.
pub(crate) fn header_value<'a>(headers: &'a [HeaderLine], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| std::str::from_utf8(v).ok())
        .map(str::trim)
}

/// What the body bytes of an [`Exchange`] are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyForm {
    /// Exactly the bytes that followed the response head on the connection: chunk framing
    /// included when the response was chunked, content coding (gzip, br) untouched.
    Wire,
    /// The transfer coding already removed (as HTTP clients such as awc hand bodies over), the
    /// content coding untouched. If the head says `chunked`, the writer frames the body as one
    /// chunk, so the record stays a well-formed HTTP message with the same payload.
    TransferDecoded,
}

/// One request and its response, as the writer records them.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The URL fetched (`WARC-Target-URI`).
    pub url: Url,
    /// The address of the server the request was sent to (`WARC-IP-Address`), when known.
    pub remote_ip: Option<IpAddr>,
    /// When the response started to arrive (`WARC-Date`).
    pub fetched_at: SystemTime,
    /// The request head as sent.
    pub request: RequestHead,
    /// The response head as received.
    pub response: ResponseHead,
    /// The response body (see [`BodyForm`]): before content decoding, possibly cut.
    pub body: Bytes,
    /// What `body` holds.
    pub body_form: BodyForm,
    /// Whether `body` was cut at a size cap (recorded as `WARC-Truncated: length`).
    pub truncated: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_is_the_last_transfer_coding() {
        let head = ResponseHead::new(200, "OK").header("Transfer-Encoding", "gzip, Chunked");
        assert!(head.is_chunked());
        let head = ResponseHead::new(200, "OK").header("Transfer-Encoding", "chunked, gzip");
        assert!(!head.is_chunked());
        assert!(!ResponseHead::new(200, "OK").is_chunked());
    }

    #[test]
    fn header_lookup_ignores_case_and_keeps_the_first() {
        let head = ResponseHead::new(200, "OK")
            .header("content-type", "text/html ")
            .header("Content-Type", "text/plain");
        assert_eq!(head.get("CONTENT-TYPE"), Some("text/html"));
        assert_eq!(head.get("location"), None);
    }
}
