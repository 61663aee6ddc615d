//! What an answer means for the crawl, decided once for every transport.
//!
//! The response hooks have the first word (accept, retry, fail); then the retry policy's
//! statuses (with `Retry-After`), then: an HTML 2xx page goes to the parser, a redirect
//! is recorded with its `Location` (the crawl follows it), anything else is recorded as
//! it is. A transport's error is transient or final as [`FetchError::is_transient`] says.

use super::transport::FetchResponse;
use crate::engine::types::{FetchResult, ResponseMeta};
use crate::error::FetchError;
use crate::middleware::{Middleware, ResponseAction, ResponseView};
use crate::request::Request;
use crate::retry::{self, RetryPolicy};
use crate::sniff;
use std::sync::Arc;
use std::time::SystemTime;

/// Where an answer goes.
#[derive(Debug)]
pub(crate) enum Route {
    /// An HTML 2xx page: to the parser.
    Parse(ResponseMeta),
    /// Anything else: to the engine as it is.
    Record(FetchResult),
}

/// Classifies a transport's error.
pub(crate) fn failure(error: FetchError) -> FetchResult {
    if error.is_transient() {
        FetchResult::Transient {
            error,
            meta: None,
            retry_after: None,
        }
    } else {
        FetchResult::Failed { error, meta: None }
    }
}

/// Classifies an answer to `request`.
pub(crate) fn answer(
    request: &Request,
    response: &FetchResponse,
    middleware: &[Arc<dyn Middleware>],
    policy: &RetryPolicy,
) -> Route {
    let status = response.status;
    let content_type = response.headers.get("content-type").map(str::to_string);
    let mut meta = ResponseMeta {
        status,
        bytes: response.body.len() as u64,
        elapsed: response.elapsed,
        content_type,
        truncated: response.truncated,
        rendered: response.rendered,
        location: None,
        revisit: None,
        saved: 0,
    };
    let view = ResponseView {
        request,
        status,
        headers: &response.headers,
        body: &response.body,
    };
    let action = middleware
        .iter()
        .map(|m| m.on_response(&view))
        .find(|a| *a != ResponseAction::Default)
        .unwrap_or_default();
    let retry_status = match action {
        ResponseAction::Default => policy.retries_status(status),
        ResponseAction::Retry => true,
        ResponseAction::Accept | ResponseAction::Fail => false,
    };
    if action == ResponseAction::Fail {
        return Route::Record(FetchResult::Failed {
            error: FetchError::Rejected,
            meta: Some(meta),
        });
    }
    if retry_status {
        let retry_after = (response.headers.get("retry-after"))
            .and_then(|v| retry::parse_retry_after(v, SystemTime::now()))
            .map(|d| d.min(policy.retry_after_cap));
        return Route::Record(FetchResult::Transient {
            error: FetchError::Status(status),
            meta: Some(meta),
            retry_after,
        });
    }
    if (200..300).contains(&status) && sniff::is_html(meta.content_type.as_deref(), &response.body)
    {
        return Route::Parse(meta);
    }
    if matches!(status, 301 | 302 | 303 | 307 | 308) {
        let location = response.headers.get_bytes("location").unwrap_or_default();
        meta.location = Some(String::from_utf8_lossy(location).into_owned());
    }
    Route::Record(FetchResult::Answer(meta))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::Headers;

    fn response(status: u16, fields: &[(&str, &str)], body: &str) -> FetchResponse {
        let mut h = Headers::new();
        for (k, v) in fields {
            h.append_raw(k, v.as_bytes());
        }
        FetchResponse::new(status, h, body.to_string())
    }

    fn route(r: &FetchResponse) -> Route {
        let req = Request::get("http://a.test/").unwrap();
        answer(&req, r, &[], &RetryPolicy::default())
    }

    #[test]
    fn each_kind_of_answer_goes_its_way() {
        let html = response(200, &[("content-type", "text/html")], "<html>");
        assert!(matches!(route(&html), Route::Parse(m) if m.status == 200));
        let pdf = response(200, &[("content-type", "application/pdf")], "%PDF");
        assert!(matches!(route(&pdf), Route::Record(FetchResult::Answer(_))));
        let moved = response(301, &[("location", "/next")], "");
        assert!(
            matches!(route(&moved), Route::Record(FetchResult::Answer(m)) if m.location.as_deref() == Some("/next"))
        );
        let busy = response(503, &[("retry-after", "7")], "");
        assert!(matches!(
            route(&busy),
            Route::Record(FetchResult::Transient { retry_after: Some(d), .. }) if d.as_secs() == 7
        ));
        let gone = response(404, &[("content-type", "text/html")], "<html>");
        assert!(matches!(route(&gone), Route::Record(FetchResult::Answer(m)) if m.status == 404));
    }

    #[test]
    fn transport_errors_are_transient_or_final() {
        assert!(matches!(
            failure(FetchError::Connect("x".into())),
            FetchResult::Transient { .. }
        ));
        assert!(matches!(
            failure(FetchError::Tls("x".into())),
            FetchResult::Failed { .. }
        ));
    }
}
