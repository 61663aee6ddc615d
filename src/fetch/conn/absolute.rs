//! Requests in absolute form, for plain http through an HTTP proxy (RFC 9112 §3.2.2).
//!
//! awc writes every request line in origin form (`GET /path HTTP/1.1`); a proxy needs
//! the whole URL (`GET http://host:port/path HTTP/1.1`) and, when it asks for them, the
//! credentials (`Proxy-Authorization`). A connection through such a proxy passes what awc
//! writes through [`AbsoluteForm`], which rewrites each request's line and adds the
//! header. The crawler only sends requests without a body (GET), so a request ends with
//! its head's blank line and the next byte begins the next request.

/// Where in a request the bytes written are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// The method, up to the space before the target.
    Method,
    /// The rest of the request line.
    Line,
    /// The header fields, up to the blank line.
    Fields,
}

/// The rewriter of one connection's requests.
#[derive(Debug)]
pub(crate) struct AbsoluteForm {
    /// `http://host:port`, put before each origin-form target.
    origin: Vec<u8>,
    /// `Proxy-Authorization: ...\r\n`, when the proxy has credentials.
    auth: Option<Vec<u8>>,
    at: At,
    /// The last four bytes written, to see a head's end.
    tail: u32,
    /// Rewritten bytes not yet on the socket, from offset `sent`.
    pub(super) out: Vec<u8>,
    pub(super) sent: usize,
}

impl AbsoluteForm {
    /// A rewriter for requests to `host:port` through a proxy sent `auth`, if any.
    pub(crate) fn new(host: &str, port: u16, auth: Option<String>) -> Self {
        AbsoluteForm {
            origin: format!("http://{host}:{port}").into_bytes(),
            auth: auth.map(|a| format!("Proxy-Authorization: {a}\r\n").into_bytes()),
            at: At::Method,
            tail: 0,
            out: Vec::new(),
            sent: 0,
        }
    }

    /// Takes what awc wrote; the rewritten bytes go to `out`.
    pub(crate) fn push(&mut self, input: &[u8]) {
        if self.sent == self.out.len() {
            self.out.clear();
            self.sent = 0;
        }
        for &b in input {
            self.tail = (self.tail << 8) | u32::from(b);
            match self.at {
                At::Method => {
                    self.out.push(b);
                    if b == b' ' {
                        self.out.extend_from_slice(&self.origin);
                        self.at = At::Line;
                    }
                }
                At::Line => {
                    self.out.push(b);
                    if b == b'\n' {
                        if let Some(auth) = &self.auth {
                            self.out.extend_from_slice(auth);
                        }
                        self.at = At::Fields;
                    }
                }
                At::Fields => {
                    self.out.push(b);
                    if self.tail == u32::from_be_bytes(*b"\r\n\r\n") {
                        self.at = At::Method;
                        self.tail = 0;
                    }
                }
            }
        }
    }

    /// What is left to put on the socket.
    pub(crate) fn pending(&self) -> &[u8] {
        &self.out[self.sent..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(pieces: &[&[u8]], auth: Option<&str>) -> String {
        let mut a = AbsoluteForm::new("127.0.0.1", 8080, auth.map(str::to_string));
        let mut all = Vec::new();
        for p in pieces {
            a.push(p);
            all.extend_from_slice(a.pending());
            a.sent = a.out.len();
        }
        String::from_utf8(all).unwrap()
    }

    #[test]
    fn each_request_line_gets_the_origin_and_the_credentials() {
        let two =
            b"GET /a?x=1 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\n\r\nGET / HTTP/1.1\r\nhost: h\r\n\r\n";
        let want = "GET http://127.0.0.1:8080/a?x=1 HTTP/1.1\r\nProxy-Authorization: Basic x\r\n\
                    host: 127.0.0.1:8080\r\n\r\nGET http://127.0.0.1:8080/ HTTP/1.1\r\n\
                    Proxy-Authorization: Basic x\r\nhost: h\r\n\r\n";
        assert_eq!(rewrite(&[two], Some("Basic x")), want);
        // However awc splits its writes.
        let bytes: Vec<&[u8]> = two.chunks(1).collect();
        assert_eq!(rewrite(&bytes, Some("Basic x")), want);
        let plain = rewrite(&[b"GET /p HTTP/1.1\r\n", b"a: b\r\n\r\n"], None);
        assert_eq!(
            plain,
            "GET http://127.0.0.1:8080/p HTTP/1.1\r\na: b\r\n\r\n"
        );
    }
}
