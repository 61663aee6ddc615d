//! The HTTP message inside a `request`, `response` or `revisit` record: heads serialized as
//! they went over the wire, and a recorded response parsed back to status, headers and body.
//!
//! The body of a parsed response is its payload with the transfer coding removed (chunk
//! framing undone) and the content coding kept: exactly what a server would send again on
//! replay. De-chunking is lenient the way warcio's is: a body cut at a size cap ends where the
//! record ends, and framing that is not chunked after all is returned as it is.

use super::exchange::{HeaderLine, RequestHead, ResponseHead};

/// A response read back from a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status line and header lines as recorded.
    pub head: ResponseHead,
    /// The payload, transfer coding removed, content coding (gzip, br, ...) kept.
    pub body: Vec<u8>,
}

/// `METHOD TARGET VERSION`, header lines and the empty line.
pub(crate) fn request_head_bytes(head: &RequestHead) -> Vec<u8> {
    let line = format!("{} {} {}", head.method, head.target, head.version);
    head_bytes(&line, &head.headers)
}

/// `VERSION STATUS REASON`, header lines and the empty line.
pub(crate) fn response_head_bytes(head: &ResponseHead) -> Vec<u8> {
    let line = format!("{} {} {}", head.version, head.status, head.reason);
    head_bytes(&line, &head.headers)
}

fn head_bytes(first: &str, headers: &[HeaderLine]) -> Vec<u8> {
    let mut out = Vec::with_capacity(first.len() + headers.len() * 40 + 4);
    push_line(&mut out, first.as_bytes());
    for (name, value) in headers {
        let mut line = Vec::with_capacity(name.len() + value.len() + 2);
        line.extend_from_slice(name.as_bytes());
        line.extend_from_slice(b": ");
        line.extend_from_slice(value);
        push_line(&mut out, &line);
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// A line and its CRLF; a CR or LF inside it (never sent by a valid peer) becomes a space, so
/// one bad header cannot forge others in the record.
fn push_line(out: &mut Vec<u8>, line: &[u8]) {
    out.extend(
        line.iter()
            .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
    );
    out.extend_from_slice(b"\r\n");
}

/// `body` framed as one chunk and the last chunk.
pub(crate) fn one_chunk(body: &[u8]) -> (Vec<u8>, &'static [u8]) {
    let prefix = if body.is_empty() {
        Vec::new()
    } else {
        format!("{:x}\r\n", body.len()).into_bytes()
    };
    let suffix: &'static [u8] = if body.is_empty() {
        b"0\r\n\r\n"
    } else {
        b"\r\n0\r\n\r\n"
    };
    (prefix, suffix)
}

/// Parses a recorded response block: the head, then the payload after it.
pub(crate) fn parse_response(block: &[u8]) -> Result<HttpResponse, String> {
    let (head, head_len) = parse_response_head(block)?;
    let payload = &block[head_len..];
    let body = if head.is_chunked() {
        dechunk(payload).unwrap_or_else(|| payload.to_vec())
    } else {
        payload.to_vec()
    };
    Ok(HttpResponse { head, body })
}

/// The head of a response block and its length in bytes.
pub(crate) fn parse_response_head(block: &[u8]) -> Result<(ResponseHead, usize), String> {
    let mut capacity = 64;
    loop {
        let mut headers = vec![httparse::EMPTY_HEADER; capacity];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(block) {
            Ok(httparse::Status::Complete(len)) => {
                let head = ResponseHead {
                    version: format!("HTTP/1.{}", response.version.unwrap_or(1)),
                    status: response.code.unwrap_or(0),
                    reason: response.reason.unwrap_or("").to_owned(),
                    headers: response
                        .headers
                        .iter()
                        .map(|h| (h.name.to_owned(), h.value.to_vec()))
                        .collect(),
                };
                return Ok((head, len));
            }
            Ok(httparse::Status::Partial) => return Err("the HTTP head is incomplete".into()),
            Err(httparse::Error::TooManyHeaders) if capacity < 8192 => capacity *= 4,
            Err(e) => return Err(format!("bad HTTP head: {e}")),
        }
    }
}

/// The data of a chunked payload; `None` if it is not chunk-framed. A payload cut inside a
/// chunk yields the data up to the cut.
pub(crate) fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(rest.len());
    loop {
        let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") else {
            // A size line cut short ends a truncated body; anything else is not framing.
            return rest.iter().all(u8::is_ascii_hexdigit).then_some(out);
        };
        let line = std::str::from_utf8(&rest[..eol]).ok()?;
        let size = line.split(';').next()?.trim();
        let size = usize::from_str_radix(size, 16).ok()?;
        rest = &rest[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        if rest.len() <= size {
            out.extend_from_slice(rest);
            return Some(out);
        }
        out.extend_from_slice(&rest[..size]);
        rest = rest[size..].strip_prefix(b"\r\n")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_serialize_in_order() {
        let req = RequestHead::new("GET", "/a?b=1")
            .header("Host", "127.0.0.1:8080")
            .header("X-Bad", "one\r\nInjected: yes");
        assert_eq!(
            request_head_bytes(&req),
            b"GET /a?b=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nX-Bad: one  Injected: yes\r\n\r\n"
        );
        let resp = ResponseHead::new(404, "Not Found").header("Content-Length", "0");
        assert_eq!(
            response_head_bytes(&resp),
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        );
    }

    #[test]
    fn one_chunk_round_trips() {
        for body in [b"".as_slice(), b"x", &[7u8; 300]] {
            let (prefix, suffix) = one_chunk(body);
            let framed = [prefix.as_slice(), body, suffix].concat();
            assert_eq!(dechunk(&framed).unwrap(), body);
        }
    }

    #[test]
    fn dechunk_handles_extensions_trailers_and_cuts() {
        let framed = b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\n";
        assert_eq!(dechunk(framed).unwrap(), b"abcde");
        assert_eq!(dechunk(b"3\r\nabc\r\n5\r\nde").unwrap(), b"abcde");
        assert_eq!(dechunk(b"3\r\nabc\r\n1").unwrap(), b"abc");
        assert_eq!(dechunk(b"not chunked at all"), None);
        assert_eq!(dechunk(b"3\r\nabcXX"), None);
    }

    #[test]
    fn a_response_parses_back() {
        let block =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX: 1\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
        let r = parse_response(block).unwrap();
        assert_eq!(r.head.status, 200);
        assert_eq!(r.head.reason, "OK");
        assert_eq!(r.head.headers.len(), 2);
        assert_eq!(r.body, b"hi");
        // Not chunked after all: the payload is returned as recorded.
        let block = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nplain";
        assert_eq!(parse_response(block).unwrap().body, b"plain");
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nX: 1").is_err());
        assert!(parse_response(b"garbage\r\n\r\n").is_err());
    }

    #[test]
    fn many_headers_are_accepted() {
        let mut block = b"HTTP/1.0 204 No Content\r\n".to_vec();
        for i in 0..500 {
            block.extend_from_slice(format!("X-{i}: {i}\r\n").as_bytes());
        }
        block.extend_from_slice(b"\r\n");
        let r = parse_response(&block).unwrap();
        assert_eq!(r.head.headers.len(), 500);
        assert_eq!(r.head.version, "HTTP/1.0");
        assert!(r.body.is_empty());
    }
}
