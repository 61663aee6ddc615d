//! One HTTP attempt, the same for pages and for the crawler's own files: send, read the
//! body up to its cap, decode it, check it is whole, all within the request timeout.
//!
//! - **A stale connection is not a failure.** A request that fails on a connection reused
//!   from the pool before any byte of the answer came (the server had closed it: an idle
//!   timeout, or an HTTP/1.0 server) is sent again at once on a fresh connection; that
//!   second try is not a retry and costs no attempt. Only a request that also fails on a
//!   fresh connection fails.
//! - **An answer whose connection ends is not pooled**: HTTP/1.0 without `keep-alive` (awc
//!   would pool it and hand out a connection the server has closed).
//! - **A body cut short is no answer**: fewer bytes than `Content-Length`, or a chunked
//!   body that ends with the connection before its last chunk, is
//!   [`FetchError::Incomplete`], which is retried. (awc alone ends the stream the same way
//!   whether the body was whole or not.)
//! - **Errors say what happened**: a server that closed without answering, an invalid
//!   answer ([`FetchError::Protocol`], not retried: it would come again), a TLS failure
//!   (a server speaking plain HTTP on an https URL is named as such).

use super::client::Client;
use super::conn::AttemptIo;
use super::decode::{ACCEPT_ENCODING, BodyDecoder, Decoded};
use super::transport::Wire;
use crate::error::FetchError;
use awc::error::{ConnectError, PayloadError, SendRequestError};
use awc::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use awc::http::{StatusCode, Version};
use futures_util::StreamExt;
use std::time::{Duration, Instant};
use url::{Position, Url};

/// Headers set on one request (beside the client's defaults).
pub(crate) type Headers = Vec<(HeaderName, HeaderValue)>;

/// An answer, its body read (and decoded) up to the cap.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: bytes::Bytes,
    /// The body was cut at the cap.
    pub(crate) truncated: bool,
    pub(crate) elapsed: Duration,
    /// What went over the wire, when asked for.
    pub(crate) wire: Option<Box<Wire>>,
}

/// Why an attempt got no answer.
#[derive(Debug)]
pub(crate) enum AttemptError {
    /// A failure of this URL's fetch.
    Fetch(FetchError),
    /// The process has no file descriptor left for a socket: a matter for the crawl, not
    /// for this URL.
    OutOfFiles(String),
}

impl From<FetchError> for AttemptError {
    fn from(e: FetchError) -> Self {
        AttemptError::Fetch(e)
    }
}

/// Fetches `url` once (plus, at most, one resend after a stale connection), reading at
/// most `cap` decoded bytes, all within `timeout`; with `keep_wire`, the answer also
/// brings what went over the wire.
pub(crate) async fn attempt(
    client: &Client,
    url: &Url,
    headers: &Headers,
    cap: usize,
    timeout: Duration,
    session: Option<&std::sync::Arc<str>>,
    keep_wire: bool,
) -> Result<Answer, AttemptError> {
    let start = Instant::now();
    let tries = async {
        let mut fresh_only = false;
        loop {
            let io = AttemptIo::new(fresh_only, session.cloned());
            let ask = Ask {
                url,
                headers,
                cap,
                keep_wire,
            };
            let result = io.scope(once(client, &ask, &io)).await;
            match result {
                Ok((answer, reusable)) => {
                    io.finish(reusable);
                    client.connections().enforce_idle_budget();
                    return Ok(answer);
                }
                Err(AttemptError::Fetch(e)) if !fresh_only && io.reused() && io.received() == 0 => {
                    tracing::debug!(%url, error = %e, "stale pooled connection; sending again on a fresh one");
                    fresh_only = true;
                }
                Err(e) => {
                    if let Some(what) = client.take_out_of_files() {
                        return Err(AttemptError::OutOfFiles(what));
                    }
                    return Err(e);
                }
            }
        }
    };
    match actix_rt::time::timeout(timeout, tries).await {
        Ok(Ok(mut answer)) => {
            answer.elapsed = start.elapsed();
            Ok(answer)
        }
        Ok(Err(e)) => Err(e),
        Err(_) => Err(FetchError::Timeout(timeout).into()),
    }
}

/// One request, as [`once`] sends it.
struct Ask<'a> {
    url: &'a Url,
    headers: &'a Headers,
    cap: usize,
    keep_wire: bool,
}

/// One request on one connection. Also says whether the connection may be reused.
async fn once(
    client: &Client,
    ask: &Ask<'_>,
    io: &AttemptIo,
) -> Result<(Answer, bool), AttemptError> {
    let (url, cap) = (ask.url, ask.cap);
    let mut req = client
        .http()
        .get(url.as_str())
        .no_decompress()
        .insert_header((header::ACCEPT_ENCODING, ACCEPT_ENCODING));
    for h in ask.headers {
        req = req.insert_header(h.clone());
    }
    let sent = ask.keep_wire.then(|| sent_headers(url, req.headers()));
    let mut raw = ask.keep_wire.then(bytes::BytesMut::new);
    let mut res = req.send().await.map_err(send_error)?;
    if res.version() == Version::HTTP_2 {
        io.multiplexed();
    }
    let status = res.status();
    if status == StatusCode::PROXY_AUTHENTICATION_REQUIRED
        && let Some(via) = io.absolute_via()
    {
        // The proxy's own answer, not the site's: the proxy is benched, and the request
        // goes through another one when it is tried again.
        let why = format!(
            "proxy {} refused the credentials (407)",
            via.routes.proxy(via.index)
        );
        via.routes.failed(via.index, &why);
        io.finish(false);
        return Err(FetchError::Proxy(why).into());
    }
    let head = res.headers().clone();
    let text = |name| head.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    // Answers that never have a body, whatever Content-Length says (RFC 9110 §6.4.1).
    let bodiless = status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    let expected = text(header::CONTENT_LENGTH)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|_| !bodiless);
    let chunked =
        text(header::TRANSFER_ENCODING).is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let mut decoder = BodyDecoder::new(text(header::CONTENT_ENCODING), cap);
    if let Some(len) = expected {
        decoder.expect(len);
    }
    let mut received = 0u64;
    let mut cut = false;
    while let Some(chunk) = res.next().await {
        let chunk = chunk.map_err(payload_error)?;
        received += chunk.len() as u64;
        if let Some(raw) = &mut raw {
            raw.extend_from_slice(&chunk);
        }
        let more = decoder
            .push(&chunk)
            .map_err(|e| FetchError::Body(e.to_string()))?;
        // The cap bounds the bytes read as well as the bytes kept: a compressed body
        // that inflates to little is still no reason to read without end.
        if !more || received > cap as u64 {
            cut = true;
            break;
        }
    }
    if !cut {
        let short = match expected {
            Some(n) => received < n,
            None => chunked && io.saw_eof(),
        };
        if short {
            return Err(FetchError::Incomplete { received, expected }.into());
        }
    }
    let (body, how) = decoder
        .finish()
        .map_err(|e| FetchError::Body(e.to_string()))?;
    let keep_alive = text(header::CONNECTION).map(|v| v.to_ascii_lowercase());
    let reusable = !cut
        && match keep_alive.as_deref() {
            Some(v) if v.contains("close") => false,
            Some(v) if v.contains("keep-alive") => true,
            _ => res.version() != Version::HTTP_10,
        };
    let wire = sent.zip(raw).map(|(sent, raw)| {
        let mut wire = Wire::new(sent, version_text(res.version()), raw.freeze());
        wire.remote_ip = io.remote_ip();
        Box::new(wire)
    });
    let answer = Answer {
        status: status.as_u16(),
        headers: head,
        body: body.into(),
        truncated: cut || how == Decoded::Truncated,
        elapsed: Duration::ZERO,
        wire,
    };
    Ok((answer, reusable))
}

/// The header fields a request goes out with: `Host` (which awc writes from the URL),
/// then the request's own, the client's defaults among them.
fn sent_headers(url: &Url, fields: &HeaderMap) -> crate::headers::Headers {
    let mut sent = crate::headers::Headers::new();
    sent.append_raw(
        "host",
        url[Position::BeforeHost..Position::AfterPort].as_bytes(),
    );
    for (name, value) in fields {
        sent.append_raw(name.as_str(), value.as_bytes());
    }
    sent
}

fn version_text(v: Version) -> &'static str {
    match v {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_2 => "HTTP/2",
        Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/1.1",
    }
}

fn payload_error(e: PayloadError) -> FetchError {
    match e {
        PayloadError::Incomplete(_) => FetchError::Body("the connection broke mid-body".into()),
        other => FetchError::Body(other.to_string()),
    }
}

/// What awc's error means for a crawl.
fn send_error(e: SendRequestError) -> AttemptError {
    use actix_http::error::ParseError;
    let fetch = match e {
        SendRequestError::Connect(c) => connect_error(c),
        SendRequestError::Timeout => FetchError::Timeout(Duration::ZERO),
        SendRequestError::Send(io) => FetchError::Request(format!(
            "the connection broke while sending the request: {io}"
        )),
        SendRequestError::Response(ParseError::Io(io)) => {
            FetchError::Request(format!("the connection broke before the answer: {io}"))
        }
        SendRequestError::Response(ParseError::Incomplete) => {
            FetchError::Request("the server closed the connection mid-answer".into())
        }
        SendRequestError::Response(ParseError::TooLarge) => {
            FetchError::Protocol("the response head is too large".into())
        }
        SendRequestError::Response(p) => FetchError::Protocol(format!("{p}")),
        SendRequestError::Url(u) => FetchError::Request(format!("invalid URL: {u}")),
        SendRequestError::Http(h) => FetchError::Request(format!("invalid request: {h}")),
        other => FetchError::Request(other.to_string()),
    };
    AttemptError::Fetch(fetch)
}

fn connect_error(c: ConnectError) -> FetchError {
    match c {
        // The request went out and the connection ended without a byte of answer.
        ConnectError::Disconnected => {
            FetchError::Request("the server closed the connection without answering".into())
        }
        ConnectError::Timeout => FetchError::Connect("timed out while connecting".into()),
        ConnectError::Resolver(r) => FetchError::Connect(format!("cannot resolve the host: {r}")),
        ConnectError::NoRecords => FetchError::Connect("the host has no address".into()),
        ConnectError::Io(io) => match (tls_error(&io), proxy_error(&io)) {
            (Some(tls), _) => tls,
            (None, Some(proxy)) => proxy,
            (None, None) => FetchError::Connect(io.to_string()),
        },
        other => FetchError::Connect(other.to_string()),
    }
}

/// No proxy of the request's pool gave a connection.
fn proxy_error(io: &std::io::Error) -> Option<FetchError> {
    let failure = io
        .get_ref()?
        .downcast_ref::<super::connector::ProxyFailure>()?;
    Some(FetchError::Proxy(failure.0.clone()))
}

/// A TLS failure carried in an I/O error, in words a user can act on.
fn tls_error(io: &std::io::Error) -> Option<FetchError> {
    let tls = io.get_ref()?.downcast_ref::<rustls::Error>()?;
    let text = match tls {
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
            "the server answered plain HTTP on an https URL (try http://)".to_string()
        }
        other => other.to_string(),
    };
    Some(FetchError::Tls(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_on_https_is_named() {
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType),
        );
        let e = connect_error(ConnectError::Io(io));
        assert!(!e.is_transient());
        assert!(e.to_string().contains("plain HTTP on an https URL"), "{e}");
    }

    #[test]
    fn deterministic_protocol_errors_are_not_retried() {
        use actix_http::error::ParseError;
        for p in [ParseError::TooLarge, ParseError::Status, ParseError::Header] {
            let AttemptError::Fetch(e) = send_error(SendRequestError::Response(p)) else {
                panic!("not a fetch error")
            };
            assert!(!e.is_transient(), "{e}");
        }
        let AttemptError::Fetch(e) =
            send_error(SendRequestError::Connect(ConnectError::Disconnected))
        else {
            panic!("not a fetch error")
        };
        assert!(e.is_transient());
        assert!(
            e.to_string()
                .contains("closed the connection without answering"),
            "{e}"
        );
    }
}
