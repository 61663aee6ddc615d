//! Answers whose body ends with the connection, made readable to awc.
//!
//! HTTP/1.1 lets a server send a body with neither `Content-Length` nor chunked encoding:
//! the body is then everything until the server closes the connection (RFC 9112 §6.3,
//! rule 8; PHP's built-in server and many small servers answer so). awc reads no body at
//! all from such an answer (actix-web#2287), so a crawl would record the page as fetched,
//! empty, and follow none of its links. Its reading of HTTP/1.0 answers without a length is
//! the one the RFC asks for here, so the status line of such an HTTP/1.1 answer is written
//! as HTTP/1.0 before awc parses it (same length, nothing else touched): awc then reads the
//! body to the end of the connection. Only plain-text heads can be seen this way (over
//! TLS the connection carries ciphertext).

/// The end of a response head.
const HEAD_END: &[u8] = b"\r\n\r\n";

/// A response head can be at most this long for the check (awc refuses longer ones).
pub(crate) const MAX_HEAD: usize = 64 * 1024;

/// Whether `buf` (the start of an answer) holds a whole head.
pub(crate) fn head_len(buf: &[u8]) -> Option<usize> {
    buf.windows(HEAD_END.len())
        .position(|w| w == HEAD_END)
        .map(|i| i + HEAD_END.len())
}

/// Rewrites `HTTP/1.1` to `HTTP/1.0` in `head` if the answer's body is delimited by the
/// end of the connection; returns whether it did.
pub(crate) fn mark_close_delimited(head: &mut [u8]) -> bool {
    let Some(status) = head.get(9..12).and_then(|s| std::str::from_utf8(s).ok()) else {
        return false;
    };
    if !head.starts_with(b"HTTP/1.1 ") {
        return false;
    }
    let Ok(status) = status.parse::<u16>() else {
        return false;
    };
    // Answers that never have a body.
    if status < 200 || status == 204 || status == 304 {
        return false;
    }
    let text = String::from_utf8_lossy(head);
    let delimited = text.lines().skip(1).any(|line| {
        let name = line.split(':').next().unwrap_or("").trim();
        name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding")
    });
    if delimited {
        return false;
    }
    head[5..8].copy_from_slice(b"1.0");
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(head: &str) -> (bool, String) {
        let mut bytes = head.as_bytes().to_vec();
        let changed = mark_close_delimited(&mut bytes);
        (changed, String::from_utf8(bytes).unwrap())
    }

    #[test]
    fn only_heads_without_a_length_are_rewritten() {
        let (changed, head) = marked("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n");
        assert!(changed);
        assert_eq!(head, "HTTP/1.0 200 OK\r\nconnection: close\r\n\r\n");
        for kept in [
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 204 No Content\r\n\r\n",
            "HTTP/1.1 304 Not Modified\r\n\r\n",
            "HTTP/1.1 101 Switching\r\n\r\n",
            "HTTP/1.0 200 OK\r\n\r\n",
            "HTTP/2 200\r\n\r\n",
            "garbage",
        ] {
            assert_eq!(marked(kept), (false, kept.to_string()), "{kept}");
        }
    }

    #[test]
    fn the_head_end_is_found() {
        assert_eq!(head_len(b"HTTP/1.1 200 OK\r\n\r\nbody"), Some(19));
        assert_eq!(head_len(b"HTTP/1.1 200 OK\r\n"), None);
    }
}
