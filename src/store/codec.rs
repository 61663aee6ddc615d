//! A queued request as bytes: what a disk or a server keeps of it.
//!
//! Everything the crawl needs to send the request again and to record its outcome: the
//! URL, depth, priority, label, referrer, attempts made, redirects followed and, for a
//! request waiting for a retry, when it is due, and its flags (rendered in the browser). The encoding is a version byte, then
//! varints and length-prefixed strings; decoding checks every length and refuses anything
//! malformed with a [`DecodeError`] (a store's bytes are never trusted to be intact).
//! Versions 1 (no due time), 2 (no session) and 3 (no flags) are still read.

use crate::request::Request;
use std::sync::Arc;
use url::Url;

/// The encoding's version byte.
const VERSION: u8 = 4;
/// The version before flags, still read.
const VERSION_3: u8 = 3;
/// The version before sessions, still read.
const VERSION_2: u8 = 2;
/// The version before due times, still read.
const VERSION_1: u8 = 1;

/// A request, queued, in a form that can be written out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedRequest {
    /// The canonical URL.
    pub url: String,
    /// Link distance from the seeds.
    pub depth: u32,
    /// Its priority within its host.
    pub priority: i32,
    /// Attempts made so far.
    pub attempts: u32,
    /// Redirects followed to reach it.
    pub redirects: u8,
    /// The request's label, if any.
    pub label: Option<String>,
    /// The page it was found on, if any.
    pub referrer: Option<String>,
    /// Its session, if any.
    pub session: Option<String>,
    /// When a request waiting for a retry is due, in milliseconds since the Unix epoch
    /// (wall-clock time, so that it holds across restarts); `None`: at once.
    pub due_ms: Option<u64>,
    /// The request asked to be rendered in the crawl's browser.
    pub render: bool,
}

/// Bytes that are not a queued request.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("not a queued request: {0}")]
pub struct DecodeError(&'static str);

impl QueuedRequest {
    /// The queued form of `r`.
    pub fn from_request(r: &Request) -> Self {
        QueuedRequest {
            url: r.url.to_string(),
            depth: r.depth,
            priority: r.priority,
            attempts: r.attempts,
            redirects: r.redirects,
            label: r.label.as_deref().map(str::to_string),
            referrer: r.referrer.as_ref().map(|u| u.to_string()),
            session: r.session.as_deref().map(str::to_string),
            due_ms: None,
            render: r.render,
        }
    }

    /// The request again (`None` if the URL no longer parses).
    pub fn to_request(&self) -> Option<Request> {
        let mut r = Request::new(Url::parse(&self.url).ok()?);
        r.depth = self.depth;
        r.priority = self.priority;
        r.attempts = self.attempts;
        r.redirects = self.redirects;
        r.label = self.label.as_deref().map(Arc::from);
        r.session = self.session.as_deref().map(Arc::from);
        r.render = self.render;
        r.referrer = self
            .referrer
            .as_deref()
            .and_then(|s| Url::parse(s).ok())
            .map(Arc::new);
        Some(r)
    }

    /// Appends the encoding to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(VERSION);
        put(out, u64::from(self.depth));
        put(out, zigzag(self.priority));
        put(out, u64::from(self.attempts));
        out.push(self.redirects);
        put(out, self.due_ms.map_or(0, |ms| ms.saturating_add(1)));
        put_str(out, Some(&self.url));
        put_str(out, self.label.as_deref());
        put_str(out, self.referrer.as_deref());
        put_str(out, self.session.as_deref());
        out.push(u8::from(self.render));
    }

    /// The encoding, as a new buffer.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.url.len() + 16);
        self.encode(&mut out);
        out
    }

    /// Decodes one request from `bytes` (all of them).
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader { bytes, at: 0 };
        let version = r.byte()?;
        if !matches!(version, VERSION | VERSION_3 | VERSION_2 | VERSION_1) {
            return Err(DecodeError("unknown version"));
        }
        let depth = u32::try_from(r.varint()?).map_err(|_| DecodeError("depth"))?;
        let priority = unzigzag(r.varint()?).ok_or(DecodeError("priority"))?;
        let attempts = u32::try_from(r.varint()?).map_err(|_| DecodeError("attempts"))?;
        let redirects = r.byte()?;
        let due_ms = match version {
            VERSION_1 => None,
            _ => r.varint()?.checked_sub(1),
        };
        let url = r.string()?.ok_or(DecodeError("no URL"))?;
        let label = r.string()?;
        let referrer = r.string()?;
        let session = match version {
            VERSION | VERSION_3 => r.string()?,
            _ => None,
        };
        let render = match version {
            VERSION => match r.byte()? {
                0 => false,
                1 => true,
                _ => return Err(DecodeError("flags")),
            },
            _ => false,
        };
        if r.at != bytes.len() {
            return Err(DecodeError("trailing bytes"));
        }
        Ok(QueuedRequest {
            url,
            depth,
            priority,
            attempts,
            redirects,
            label,
            referrer,
            session,
            due_ms,
            render,
        })
    }
}

fn zigzag(v: i32) -> u64 {
    u64::from(((v << 1) ^ (v >> 31)) as u32)
}

fn unzigzag(v: u64) -> Option<i32> {
    let v = u32::try_from(v).ok()?;
    Some(((v >> 1) as i32) ^ -((v & 1) as i32))
}

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A string as its length + 1 (0 for none), then its bytes.
fn put_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => put(out, 0),
        Some(s) => {
            put(out, s.len() as u64 + 1);
            out.extend_from_slice(s.as_bytes());
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = *self.bytes.get(self.at).ok_or(DecodeError("cut short"))?;
        self.at += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(DecodeError("varint too long"))
    }

    fn string(&mut self) -> Result<Option<String>, DecodeError> {
        let n = self.varint()?;
        if n == 0 {
            return Ok(None);
        }
        let len = usize::try_from(n - 1).map_err(|_| DecodeError("length"))?;
        let end = self.at.checked_add(len).ok_or(DecodeError("length"))?;
        let bytes = self
            .bytes
            .get(self.at..end)
            .ok_or(DecodeError("cut short"))?;
        self.at = end;
        let s = std::str::from_utf8(bytes).map_err(|_| DecodeError("not UTF-8"))?;
        Ok(Some(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> QueuedRequest {
        QueuedRequest {
            url: "http://a.test/p?q=%C3%A9".into(),
            depth: 3,
            priority: -7,
            attempts: 2,
            redirects: 1,
            label: Some("product".into()),
            referrer: Some("http://a.test/".into()),
            session: Some("user-1".into()),
            due_ms: None,
            render: true,
        }
    }

    #[test]
    fn a_request_survives_the_round_trip() {
        let q = sample();
        assert_eq!(QueuedRequest::decode(&q.to_bytes()), Ok(q.clone()));
        let r = q.to_request().unwrap();
        assert_eq!(
            (r.depth(), r.priority(), r.attempts(), r.redirects()),
            (3, -7, 2, 1)
        );
        assert!(r.wants_render());
        assert_eq!(QueuedRequest::from_request(&r), q);
    }

    #[test]
    fn a_due_time_survives_and_versions_1_to_3_are_still_read() {
        let mut q = sample();
        q.due_ms = Some(1_700_000_000_123);
        assert_eq!(QueuedRequest::decode(&q.to_bytes()), Ok(q.clone()));
        q.due_ms = Some(0);
        assert_eq!(QueuedRequest::decode(&q.to_bytes()), Ok(q.clone()));
        // Version 1: no due-time varint after the redirects byte.
        let mut v1 = vec![VERSION_1];
        put(&mut v1, 3);
        put(&mut v1, zigzag(-7));
        put(&mut v1, 2);
        v1.push(1);
        put_str(&mut v1, Some("http://a.test/p?q=%C3%A9"));
        put_str(&mut v1, Some("product"));
        put_str(&mut v1, Some("http://a.test/"));
        let before_sessions = QueuedRequest {
            session: None,
            render: false,
            ..sample()
        };
        assert_eq!(QueuedRequest::decode(&v1), Ok(before_sessions.clone()));
        // Version 2: a due time, no session.
        let mut v2 = vec![VERSION_2];
        put(&mut v2, 3);
        put(&mut v2, zigzag(-7));
        put(&mut v2, 2);
        v2.push(1);
        put(&mut v2, 0);
        put_str(&mut v2, Some("http://a.test/p?q=%C3%A9"));
        put_str(&mut v2, Some("product"));
        put_str(&mut v2, Some("http://a.test/"));
        assert_eq!(QueuedRequest::decode(&v2), Ok(before_sessions));
        // Version 3: a session, no flags byte.
        let mut v3 = vec![VERSION_3];
        v3.extend_from_slice(&v2[1..]);
        put_str(&mut v3, Some("user-1"));
        let before_flags = QueuedRequest {
            render: false,
            ..sample()
        };
        assert_eq!(QueuedRequest::decode(&v3), Ok(before_flags));
        // A flags byte other than 0 or 1 is refused.
        let mut bad = sample().to_bytes();
        *bad.last_mut().unwrap() = 7;
        assert_eq!(QueuedRequest::decode(&bad), Err(DecodeError("flags")));
    }

    #[test]
    fn malformed_bytes_are_refused() {
        let bytes = sample().to_bytes();
        for cut in 0..bytes.len() {
            assert!(
                QueuedRequest::decode(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(QueuedRequest::decode(&long).is_err());
        let mut other = bytes;
        other[0] = 9;
        assert_eq!(
            QueuedRequest::decode(&other),
            Err(DecodeError("unknown version"))
        );
    }

    proptest! {
        #[test]
        fn any_bytes_decode_or_fail_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = QueuedRequest::decode(&bytes);
        }

        #[test]
        fn any_request_round_trips(
            url in "[a-z/?=&%0-9]{0,40}", depth in any::<u32>(), priority in any::<i32>(),
            attempts in any::<u32>(), redirects in any::<u8>(),
            label in proptest::option::of("[a-z]{0,8}"), referrer in proptest::option::of("[a-z:/.]{0,20}"),
            session in proptest::option::of(".{0,8}"), due_ms in proptest::option::of(0..u64::MAX - 1),
            render in any::<bool>(),
        ) {
            let q = QueuedRequest { url, depth, priority, attempts, redirects, label, referrer, session, due_ms, render };
            prop_assert_eq!(QueuedRequest::decode(&q.to_bytes()), Ok(q));
        }
    }
}
