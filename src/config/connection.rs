//! How the crawl connects and what it keeps per connection: trusted roots, HTTP/2 and
//! cookies. Apart from `config.rs` so the list of knobs there stays short.

use super::CrawlConfigBuilder;

impl CrawlConfigBuilder {
    /// Trusts `der` (a DER-encoded CA certificate) for https, besides the Mozilla roots
    /// built in (a private CA, a test server). By default, only the built-in roots.
    #[must_use]
    pub fn add_root_certificate(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.extra_roots.push(der.into());
        self
    }

    /// Offers HTTP/2 to https servers (ALPN `h2`, then `http/1.1`): a server that takes it
    /// gets one connection per worker, its requests multiplexed on it as streams (the
    /// per-host concurrency then counts streams), and HTTP/1.1 stays for the others and
    /// for plain http. By default, [`DEFAULT_HTTP2`](super::DEFAULT_HTTP2).
    #[must_use]
    pub fn http2(mut self, on: bool) -> Self {
        self.http2 = on;
        self
    }

    /// Keeps the cookies answers set (RFC 6265; a `Domain` that is a public suffix is
    /// ignored) and sends them back, in a jar per session
    /// ([`Request::with_session`](crate::Request::with_session)); a durable crawl saves
    /// them with its state. `false`: no cookie but those given with
    /// [`cookie`](Self::cookie) or by a hook. By default,
    /// [`DEFAULT_COOKIES`](super::DEFAULT_COOKIES).
    #[must_use]
    pub fn cookies(mut self, on: bool) -> Self {
        self.cookies = on;
        self
    }
}
