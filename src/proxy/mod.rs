//! Proxies: which requests go through which proxy, and how a connection is opened through
//! one. awc has no proxy support, so this is trawler's own, on its TCP connector.
//!
//! - [`Proxy`]: one proxy, parsed from a URL the way curl reads `--proxy`:
//!   `http://[user:pass@]host[:port]` (CONNECT tunnels for https targets, absolute-form
//!   requests for plain http ones), `socks5://` (the target's name resolved here) and
//!   `socks5h://` (resolved by the proxy). Without a scheme, `http`; without a port, 1080.
//! - `pattern`: host patterns for per-host rules and `NO_PROXY` (curl's rules).
//! - `env`: `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY`, read as curl does.
//! - `routes`: the crawl's routing table at run time: per-host rules, then `NO_PROXY`,
//!   then the scheme's pool; rotation (round robin, or sticky per host); a proxy that
//!   fails is benched and the connection tried through the next one. A request that asked
//!   for a proxy never goes direct, whatever fails.
//! - `tunnel`: the handshakes (HTTP CONNECT, SOCKS5), on the connector's TCP stream.
//!
//! Politeness is untouched by all this: rate limits and per-host concurrency are by the
//! target's host, whichever proxy a request goes through.

mod env;
mod pattern;
pub(crate) mod routes;
pub(crate) mod tunnel;

pub use routes::Rotation;

pub(crate) use env::from_env;
pub(crate) use pattern::HostPattern;

use crate::error::ConfigError;
use std::fmt;

/// The port of a proxy URL that names none (curl's default).
pub const DEFAULT_PROXY_PORT: u16 = 1080;

/// How a proxy is spoken to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProxyScheme {
    /// An HTTP proxy: CONNECT for https targets, absolute-form requests for http ones.
    Http,
    /// SOCKS5, the target's name resolved by the crawler.
    Socks5,
    /// SOCKS5, the target's name sent to the proxy to resolve (remote DNS).
    Socks5h,
}

/// One proxy. Its credentials are never shown: `Display` writes `scheme://host:port`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Proxy {
    pub(crate) scheme: ProxyScheme,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) credentials: Option<(String, String)>,
}

impl Proxy {
    /// Parses a proxy URL: `[scheme://][user:password@]host[:port]`, scheme `http`,
    /// `socks5` or `socks5h`.
    pub fn parse(text: &str) -> Result<Proxy, ConfigError> {
        let bad = |reason: &str| ConfigError::BadProxy {
            proxy: redact(text),
            reason: reason.to_string(),
        };
        let text = text.trim();
        if text.is_empty() {
            return Err(bad("empty"));
        }
        let with_scheme = match text.contains("://") {
            true => text.to_string(),
            false => format!("http://{text}"),
        };
        let url = url::Url::parse(&with_scheme).map_err(|e| bad(&e.to_string()))?;
        let scheme = match url.scheme() {
            "http" => ProxyScheme::Http,
            "socks5" => ProxyScheme::Socks5,
            "socks5h" => ProxyScheme::Socks5h,
            "https" => {
                return Err(bad(
                    "TLS to the proxy (https://) is not supported; use http://",
                ));
            }
            other => {
                return Err(bad(&format!(
                    "unsupported scheme {other:?} (http, socks5 or socks5h)"
                )));
            }
        };
        let host = match url.host() {
            Some(url::Host::Domain(d)) => d.to_string(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
            None => return Err(bad("no host")),
        };
        if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
            return Err(bad("a proxy URL has no path or query"));
        }
        // `url` knows http's default port (80) and drops it from the URL: ask the text.
        let port = match url.port() {
            Some(p) => p,
            None if url.scheme() == "http" && names_port_80(&with_scheme) => 80,
            None => DEFAULT_PROXY_PORT,
        };
        if port == 0 {
            return Err(bad("port 0"));
        }
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| bad("credentials are not UTF-8"))
        };
        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            (user, password) => Some((decode(user)?, decode(password.unwrap_or(""))?)),
        };
        Ok(Proxy {
            scheme,
            host,
            port,
            credentials,
        })
    }

    /// How it is spoken to.
    pub fn scheme(&self) -> ProxyScheme {
        self.scheme
    }

    /// `host:port` (an IPv6 address bracketed).
    pub fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The `Proxy-Authorization` value for an HTTP proxy with credentials.
    pub(crate) fn basic_auth(&self) -> Option<String> {
        use base64::Engine as _;
        let (user, password) = self.credentials.as_ref()?;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        Some(format!("Basic {token}"))
    }
}

impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            ProxyScheme::Http => "http",
            ProxyScheme::Socks5 => "socks5",
            ProxyScheme::Socks5h => "socks5h",
        };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Proxy({self})")
    }
}

/// Whether an http URL's text spells out port 80 (`url` hides a scheme's default port).
fn names_port_80(text: &str) -> bool {
    let rest = text.split_once("://").map_or(text, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    host_port
        .rsplit_once(':')
        .is_some_and(|(h, p)| !h.ends_with('[') && p == "80")
}

/// A proxy URL as it may be shown: credentials replaced by `***`.
pub(crate) fn redact(text: &str) -> String {
    let text = text.trim();
    let (scheme, rest) = text.split_once("://").unwrap_or(("", text));
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let prefix = match scheme {
                "" => String::new(),
                s => format!("{s}://"),
            };
            format!("{prefix}***@{}", &rest[at + 1..])
        }
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_are_read_as_curl_reads_them() {
        let p = Proxy::parse("http://user:p%40ss@127.0.0.1:3128").unwrap();
        assert_eq!(p.scheme, ProxyScheme::Http);
        assert_eq!(p.authority(), "127.0.0.1:3128");
        assert_eq!(p.credentials, Some(("user".into(), "p@ss".into())));
        assert_eq!(p.to_string(), "http://127.0.0.1:3128");
        assert!(!format!("{p:?}").contains("p@ss"));
        let bare = Proxy::parse("proxy.example:8080").unwrap();
        assert_eq!((bare.scheme, bare.port), (ProxyScheme::Http, 8080));
        assert_eq!(Proxy::parse("proxy.example").unwrap().port, 1080);
        assert_eq!(Proxy::parse("http://proxy.example:80").unwrap().port, 80);
        assert_eq!(
            Proxy::parse("socks5h://[::1]:9050").unwrap().authority(),
            "[::1]:9050"
        );
        assert_eq!(
            Proxy::parse("socks5://h").unwrap().scheme,
            ProxyScheme::Socks5
        );
    }

    #[test]
    fn bad_proxies_are_named_without_their_password() {
        for bad in [
            "",
            "https://p:1",
            "socks4://p:1",
            "http://p:1/path",
            "http://:1",
            "http://p:0",
            "http://p:99999",
        ] {
            let e = Proxy::parse(bad).unwrap_err();
            assert!(matches!(e, ConfigError::BadProxy { .. }), "{bad}: {e}");
        }
        let e = Proxy::parse("ftp://user:hunter2@p:1")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("hunter2") && e.contains("***@p:1"), "{e}");
    }
}
