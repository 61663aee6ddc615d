//! RFC 9111's rules for what a stored answer may be reused for, through
//! `http-cache-semantics` (a port of the npm package that browsers' test suites shaped):
//! whether an answer may be kept at all (`no-store`, status, `Vary` ...), which validators
//! a request sends (`If-None-Match` for an `ETag`, weak ones included, `If-Modified-Since`
//! for a `Last-Modified`), and whether a `304` really matches the stored answer (a strong
//! `ETag` must be the same; without one, the `Last-Modified` must be).
//!
//! The crawler is one user: the policy is a private cache's (`private` answers may be
//! kept). A stored answer is always revalidated, even when it is still fresh: a crawl
//! wants to see what changed, and a `304` costs the site next to nothing.

use crate::headers::Headers;
use http_cache_semantics::{AfterResponse, BeforeRequest, CacheOptions, CachePolicy};
use std::time::SystemTime;
use url::Url;

/// What a `304` or a new answer means for the stored one.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// The stored answer is still the page: its body is reused; the policy, with the
    /// `304`'s headers merged in, replaces the stored one; the answer's head as it now is.
    NotModified(Box<(CachePolicy, http::response::Parts)>),
    /// A new answer (or a `304` that does not match): the page is what the answer says.
    Modified,
}

fn options() -> CacheOptions {
    CacheOptions {
        shared: false,
        ..CacheOptions::default()
    }
}

fn request(url: &Url, headers: &Headers) -> Option<http::Request<()>> {
    let mut b = http::Request::get(url.as_str());
    for (name, value) in headers.iter() {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_bytes(value),
        ) {
            b = b.header(n, v);
        }
    }
    b.body(()).ok()
}

fn response(status: u16, headers: &Headers) -> Option<http::Response<()>> {
    let mut b = http::Response::builder().status(status);
    for (name, value) in headers.iter() {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_bytes(value),
        ) {
            b = b.header(n, v);
        }
    }
    b.body(()).ok()
}

/// The policy of an answer (`None` if the URL or status cannot be an HTTP message), and
/// whether it may be kept.
pub(crate) fn of_answer(
    url: &Url,
    sent: &Headers,
    status: u16,
    headers: &Headers,
    now: SystemTime,
) -> Option<(CachePolicy, bool)> {
    let (req, res) = (request(url, sent)?, response(status, headers)?);
    let policy = CachePolicy::new_options(&req, &res, now, options());
    let storable = policy.is_storable();
    Some((policy, storable))
}

/// The validators a request for `url` sends to revalidate `policy`'s answer.
pub(crate) fn validators(policy: &CachePolicy, url: &Url, sent: &Headers) -> Vec<(String, String)> {
    // `no-cache` asks for a revalidation even of a fresh answer (see the module docs).
    let mut asking = sent.clone();
    let _ = asking.set("cache-control", "no-cache");
    let Some(req) = request(url, &asking) else {
        return Vec::new();
    };
    match policy.before_request(&req, SystemTime::now()) {
        BeforeRequest::Stale { request, .. } => (request.headers.iter())
            .filter(|(n, _)| matches!(n.as_str(), "if-none-match" | "if-modified-since"))
            .filter_map(|(n, v)| Some((n.to_string(), v.to_str().ok()?.to_string())))
            .collect(),
        BeforeRequest::Fresh(_) => Vec::new(),
    }
}

/// What the answer to a revalidation means for `policy`'s stored answer.
pub(crate) fn after(
    policy: &CachePolicy,
    url: &Url,
    sent: &Headers,
    status: u16,
    headers: &Headers,
    now: SystemTime,
) -> Option<Verdict> {
    let (req, res) = (request(url, sent)?, response(status, headers)?);
    Some(match policy.after_response(&req, &res, now) {
        AfterResponse::NotModified(p, head) => Verdict::NotModified(Box::new((p, head))),
        AfterResponse::Modified(..) => Verdict::Modified,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Headers {
        let mut h = Headers::new();
        for (n, v) in pairs {
            h.append_raw(n, v.as_bytes());
        }
        h
    }

    fn url() -> Url {
        Url::parse("http://a.test/p").unwrap()
    }

    #[test]
    fn validators_come_from_the_stored_answer() {
        let now = SystemTime::now();
        let stored = headers(&[
            ("etag", "\"v1\""),
            ("last-modified", "Tue, 01 Dec 2026 10:00:00 GMT"),
            ("cache-control", "max-age=3600"),
        ]);
        let (policy, storable) = of_answer(&url(), &Headers::new(), 200, &stored, now).unwrap();
        assert!(storable);
        let v = validators(&policy, &url(), &Headers::new());
        assert!(
            v.contains(&("if-none-match".into(), "\"v1\"".into())),
            "{v:?}"
        );
        assert!(v.iter().any(|(n, _)| n == "if-modified-since"), "{v:?}");
        let weak = headers(&[("etag", "W/\"w\"")]);
        let (policy, _) = of_answer(&url(), &Headers::new(), 200, &weak, now).unwrap();
        assert_eq!(
            validators(&policy, &url(), &Headers::new()),
            [("if-none-match".to_string(), "W/\"w\"".to_string())]
        );
    }

    #[test]
    fn no_store_is_not_kept_and_a_304_must_match() {
        let now = SystemTime::now();
        let no_store = headers(&[("etag", "\"v1\""), ("cache-control", "no-store")]);
        let (_, storable) = of_answer(&url(), &Headers::new(), 200, &no_store, now).unwrap();
        assert!(!storable);
        let stored = headers(&[("etag", "\"v1\"")]);
        let (policy, _) = of_answer(&url(), &Headers::new(), 200, &stored, now).unwrap();
        let same = after(&policy, &url(), &Headers::new(), 304, &stored, now).unwrap();
        assert!(matches!(same, Verdict::NotModified(..)));
        let other = headers(&[("etag", "\"v2\"")]);
        let changed = after(&policy, &url(), &Headers::new(), 304, &other, now).unwrap();
        assert!(matches!(changed, Verdict::Modified));
        let full = after(&policy, &url(), &Headers::new(), 200, &other, now).unwrap();
        assert!(matches!(full, Verdict::Modified));
    }
}
