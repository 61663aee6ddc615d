//! Opening a connection to a host through a proxy, on a TCP stream to the proxy: an HTTP
//! `CONNECT` tunnel (RFC 9110 §9.3.6), or SOCKS5 (RFC 1928, user and password by
//! RFC 1929, through `tokio-socks`). Plain http through an HTTP proxy needs no handshake:
//! the connection's requests are written in absolute form instead (see
//! `fetch::conn::absolute`).
//!
//! A failure says whose it is: the proxy's (unreachable, not a proxy, credentials refused:
//! the proxy is benched and another tried) or the target's, as the proxy reports it (the
//! host is unreachable or refused: the URL's failure, the proxy is fine).

use super::{Proxy, ProxyScheme};
use actix_rt::net::TcpStream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The longest answer head to a `CONNECT` read.
const MAX_CONNECT_HEAD: usize = 16 * 1024;

/// Why a connection through a proxy was not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TunnelError {
    /// The proxy failed: it is benched, and another is tried.
    #[error("{0}")]
    Proxy(String),
    /// The proxy could not reach the target: the URL's failure.
    #[error("{0}")]
    Target(String),
}

/// Asks `proxy`, on `stream` (connected to it), for a tunnel to `host:port`. Plain http
/// through an HTTP proxy has none: `stream` comes back as it is.
pub(crate) async fn open(
    mut stream: TcpStream,
    proxy: &Proxy,
    host: &str,
    port: u16,
    tls: bool,
) -> Result<TcpStream, TunnelError> {
    match proxy.scheme {
        ProxyScheme::Http if !tls => Ok(stream),
        ProxyScheme::Http => {
            connect(&mut stream, proxy, host, port).await?;
            Ok(stream)
        }
        ProxyScheme::Socks5 | ProxyScheme::Socks5h => socks5(stream, proxy, host, port).await,
    }
}

/// An HTTP `CONNECT` tunnel.
async fn connect(
    stream: &mut TcpStream,
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> Result<(), TunnelError> {
    let failed = |e: std::io::Error| TunnelError::Proxy(format!("proxy {proxy}: {e}"));
    let authority = format!("{host}:{port}");
    let mut head = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(auth) = proxy.basic_auth() {
        head.push_str(&format!("Proxy-Authorization: {auth}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.map_err(failed)?;
    // Read the answer's head and not a byte more: what follows is the tunnel's.
    let mut answer = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while !answer.ends_with(b"\r\n\r\n") {
        if answer.len() >= MAX_CONNECT_HEAD {
            return Err(TunnelError::Proxy(format!(
                "proxy {proxy}: the answer to CONNECT has a head over {MAX_CONNECT_HEAD} bytes"
            )));
        }
        match stream.read(&mut byte).await.map_err(failed)? {
            0 => {
                return Err(TunnelError::Proxy(format!(
                    "proxy {proxy} closed the connection without answering CONNECT"
                )));
            }
            _ => answer.push(byte[0]),
        }
    }
    judge(&answer, proxy, &authority)
}

/// What a proxy's answer head to `CONNECT authority` means.
fn judge(answer: &[u8], proxy: &Proxy, authority: &str) -> Result<(), TunnelError> {
    let status_line = answer.split(|&b| b == b'\n').next().unwrap_or_default();
    let status_line = String::from_utf8_lossy(status_line).trim().to_string();
    let code = (status_line.strip_prefix("HTTP/1."))
        .and_then(|rest| rest.get(2..5))
        .and_then(|c| c.parse::<u16>().ok());
    match code {
        Some(200..=299) => Ok(()),
        // Only the proxy answers a CONNECT; some say 401 for credentials they refuse.
        Some(401 | 407) => Err(TunnelError::Proxy(format!(
            "proxy {proxy} refused the credentials ({status_line:?})"
        ))),
        Some(_) => Err(TunnelError::Target(format!(
            "proxy {proxy} answered CONNECT {authority} with {status_line:?}"
        ))),
        None => Err(TunnelError::Proxy(format!(
            "proxy {proxy} is not an HTTP proxy (it answered CONNECT with {:?})",
            status_line.chars().take(60).collect::<String>()
        ))),
    }
}

/// A SOCKS5 connection; `socks5h` sends the name, `socks5` resolves it here first.
async fn socks5(
    stream: TcpStream,
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> Result<TcpStream, TunnelError> {
    use tokio_socks::tcp::Socks5Stream;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let target: (String, u16) = match (proxy.scheme, bare.parse::<std::net::IpAddr>()) {
        (_, Ok(ip)) => (ip.to_string(), port),
        (ProxyScheme::Socks5h, Err(_)) => (bare.to_string(), port),
        (_, Err(_)) => {
            let mut addrs = tokio::net::lookup_host((bare, port))
                .await
                .map_err(|e| TunnelError::Target(format!("cannot resolve the host: {e}")))?;
            let addr = addrs
                .next()
                .ok_or_else(|| TunnelError::Target("the host has no address".into()))?;
            (addr.ip().to_string(), port)
        }
    };
    let target = (target.0.as_str(), target.1);
    let done = match &proxy.credentials {
        Some((user, password)) => {
            Socks5Stream::connect_with_password_and_socket(stream, target, user, password).await
        }
        None => Socks5Stream::connect_with_socket(stream, target).await,
    };
    done.map(Socks5Stream::into_inner)
        .map_err(|e| socks_error(proxy, host, port, e))
}

/// Whose fault a SOCKS failure is.
fn socks_error(proxy: &Proxy, host: &str, port: u16, e: tokio_socks::Error) -> TunnelError {
    use tokio_socks::Error as E;
    match e {
        E::NetworkUnreachable
        | E::HostUnreachable
        | E::ConnectionRefused
        | E::TtlExpired
        | E::ConnectionNotAllowedByRuleset => {
            TunnelError::Target(format!("proxy {proxy} could not reach {host}:{port}: {e}"))
        }
        E::PasswordAuthFailure(_) | E::NoAcceptableAuthMethods | E::AuthorizationRequired => {
            TunnelError::Proxy(format!("proxy {proxy} refused the credentials: {e}"))
        }
        other => TunnelError::Proxy(format!("proxy {proxy}: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn proxy() -> Proxy {
        Proxy::parse("http://127.0.0.1:3128").unwrap()
    }

    #[test]
    fn connect_answers_say_whose_fault_it_is() {
        let j = |a: &[u8]| judge(a, &proxy(), "h:443");
        assert_eq!(j(b"HTTP/1.1 200 Connection established\r\n\r\n"), Ok(()));
        assert!(matches!(
            j(b"HTTP/1.0 407 Proxy Authentication Required\r\n\r\n"),
            Err(TunnelError::Proxy(_))
        ));
        assert!(matches!(
            j(b"HTTP/1.0 401 Unauthorized\r\n\r\n"),
            Err(TunnelError::Proxy(_))
        ));
        assert!(matches!(
            j(b"HTTP/1.1 502 Bad Gateway\r\n\r\n"),
            Err(TunnelError::Target(_))
        ));
        let Err(TunnelError::Proxy(e)) = j(b"SSH-2.0-OpenSSH_9.2\r\n\r\n") else {
            panic!("an SSH server is no proxy")
        };
        assert!(e.contains("not an HTTP proxy"), "{e}");
    }

    proptest! {
        #[test]
        fn any_answer_is_judged_without_a_panic(answer in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = judge(&answer, &proxy(), "h:1");
        }
    }
}
