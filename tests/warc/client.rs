//! A small HTTP/1.1 client over a `TcpStream` that keeps the exchange as it went over the
//! wire: the request head it sent, the response head and the body bytes as received (chunk
//! framing and content coding untouched), cut at a cap like a crawler's body limit.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use trawler::archive::{BodyForm, Exchange, RequestHead, ResponseHead};
use url::Url;

const TIMEOUT: Duration = Duration::from_secs(10);

/// `GET target` from `addr` with `Connection: close`; the body is cut after `cap` bytes.
/// `target` is a path (origin form) or an absolute URL (absolute form, as to a proxy);
/// `url` is what the exchange is recorded as.
pub(crate) fn fetch(addr: SocketAddr, target: &str, url: &Url, cap: usize) -> Exchange {
    let request = RequestHead::new("GET", target)
        .header(
            "Host",
            format!("{}:{}", url.host_str().unwrap(), url.port().unwrap()),
        )
        .header("User-Agent", "trawler-tests")
        .header("Accept-Encoding", "gzip")
        .header("Connection", "close");
    let mut head = format!(
        "{} {} {}\r\n",
        request.method, request.target, request.version
    )
    .into_bytes();
    for (name, value) in &request.headers {
        head.extend_from_slice(format!("{name}: ").as_bytes());
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");

    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).expect("connect");
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(TIMEOUT)).unwrap();
    stream.write_all(&head).unwrap();
    let remote_ip = stream.peer_addr().unwrap().ip();
    let mut received = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let mut fetched_at = None;
    loop {
        let n = stream
            .read(&mut buf)
            .expect("read (bounded by the timeout)");
        if n == 0 {
            break;
        }
        fetched_at.get_or_insert_with(SystemTime::now);
        received.extend_from_slice(&buf[..n]);
        let head_end = received.windows(4).position(|w| w == b"\r\n\r\n");
        if head_end.is_some_and(|h| received.len() > (h + 4).saturating_add(cap)) {
            break;
        }
    }
    let head_end = received
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head")
        + 4;
    let text = std::str::from_utf8(&received[..head_end - 4]).unwrap();
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap().to_owned();
    let status: u16 = parts.next().unwrap().parse().unwrap();
    let reason = parts.next().unwrap_or("").to_owned();
    let mut response = ResponseHead::new(status, &reason);
    response.version = version;
    for line in lines {
        let (name, value) = line.split_once(':').unwrap();
        response = response.header(name, value.trim_start());
    }
    let mut body = received[head_end..].to_vec();
    let truncated = body.len() > cap;
    body.truncate(cap);
    Exchange {
        url: url.clone(),
        remote_ip: Some(remote_ip),
        fetched_at: fetched_at.unwrap_or_else(SystemTime::now),
        request,
        response,
        body: Bytes::from(body),
        body_form: BodyForm::Wire,
        truncated,
    }
}
