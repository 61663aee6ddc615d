//! What the browser may send for a render, decided request by request as each is paused
//! (the DevTools `Fetch` domain): the main document's answer taken (or handed over), the
//! crawl's header fields added to the main document only, sub-resources of other hosts and
//! of blocked kinds refused before they leave.

use super::ResourceKind;
use super::tab::Policy;
use crate::error::FetchError;
use crate::fetch::transport::FetchResponse;
use crate::headers::Headers;
use base64::Engine as _;
use chromiumoxide::Page;
use chromiumoxide::cdp::browser_protocol::fetch::{
    ContinueRequestParams, EventRequestPaused, FailRequestParams, FulfillRequestParams,
    GetResponseBodyParams, HeaderEntry,
};
use chromiumoxide::cdp::browser_protocol::network::{ErrorReason, ResourceType};
use url::Url;

/// The main document's answer, as the browser saw it.
pub(super) struct Main {
    pub(super) status: u16,
    pub(super) headers: Headers,
    /// Set when the answer is the result (a redirect, or not HTML): no DOM is taken.
    pub(super) body: Option<Vec<u8>>,
}

/// A render that failed in the browser's hands.
pub(super) fn lost(e: impl std::fmt::Display) -> FetchError {
    FetchError::Request(format!("the browser lost the page: {e}"))
}

/// At the main document's answer: its status and fields. A redirect or an answer that is
/// not HTML is the result (`body` set); the request is then stopped in the browser.
pub(super) async fn main_answer(
    page: &Page,
    event: &EventRequestPaused,
) -> Result<Option<Main>, FetchError> {
    let Some(status) = event.response_status_code else {
        return Ok(None);
    };
    let status = u16::try_from(status).unwrap_or(0);
    let mut headers = Headers::new();
    for h in event.response_headers.iter().flatten() {
        headers.append_raw(&h.name.to_ascii_lowercase(), h.value.as_bytes());
    }
    let html = headers
        .get("content-type")
        .is_none_or(|t| t.to_ascii_lowercase().contains("html"));
    let body = if (300..400).contains(&status) {
        Some(Vec::new())
    } else if !html {
        let got = page
            .execute(GetResponseBodyParams::new(event.request_id.clone()))
            .await
            .map_err(lost)?;
        Some(match got.result.base64_encoded {
            true => base64::engine::general_purpose::STANDARD
                .decode(&got.result.body)
                .map_err(lost)?,
            false => got.result.body.clone().into_bytes(),
        })
    } else {
        None
    };
    let command = match body {
        Some(_) => page
            .execute(FailRequestParams::new(
                event.request_id.clone(),
                ErrorReason::Aborted,
            ))
            .await
            .map(|_| ()),
        None => page
            .execute(ContinueRequestParams::new(event.request_id.clone()))
            .await
            .map(|_| ()),
    };
    command.map_err(lost)?;
    Ok(Some(Main {
        status,
        headers,
        body,
    }))
}

/// The main document is answered with `answer` (status, fields and the decoded body)
/// without a request to the server.
pub(super) async fn hand_over(
    page: &Page,
    event: &EventRequestPaused,
    answer: &FetchResponse,
) -> Result<(), FetchError> {
    let framing = ["content-encoding", "content-length", "transfer-encoding"];
    let fields = (answer.headers.iter())
        .filter(|(name, _)| !framing.iter().any(|f| name.eq_ignore_ascii_case(f)))
        .map(|(name, value)| HeaderEntry::new(name, String::from_utf8_lossy(value)));
    let params = FulfillRequestParams::builder()
        .request_id(event.request_id.clone())
        .response_code(i64::from(answer.status))
        .response_headers(fields)
        .body(base64::engine::general_purpose::STANDARD.encode(&answer.body))
        .build()
        .map_err(lost)?;
    page.execute(params).await.map_err(lost)?;
    Ok(())
}

/// The main document's request goes on with the crawl's header fields added.
pub(super) async fn add_headers(
    page: &Page,
    event: &EventRequestPaused,
    given: &Headers,
) -> Result<(), FetchError> {
    let mut fields: Vec<HeaderEntry> = Vec::new();
    if let Some(object) = event.request.headers.inner().as_object() {
        for (name, value) in object {
            if !given.contains(name) {
                fields.push(HeaderEntry::new(
                    name.clone(),
                    value.as_str().unwrap_or_default(),
                ));
            }
        }
    }
    for (name, value) in given.iter() {
        fields.push(HeaderEntry::new(name, String::from_utf8_lossy(value)));
    }
    let params = ContinueRequestParams::builder()
        .request_id(event.request_id.clone())
        .headers(fields)
        .build()
        .map_err(lost)?;
    page.execute(params).await.map_err(lost)?;
    Ok(())
}

/// A sub-resource (or a frame's document) goes on if its host and kind are allowed.
pub(super) async fn allow_or_refuse(
    page: &Page,
    event: &EventRequestPaused,
    page_url: &Url,
    policy: &Policy,
) {
    if event.response_status_code.is_some() || event.response_error_reason.is_some() {
        // A frame's document at its answer: nothing to decide.
        let _ = page
            .execute(ContinueRequestParams::new(event.request_id.clone()))
            .await;
        return;
    }
    let blocked = match event.resource_type {
        ResourceType::Image => policy.block.contains(&ResourceKind::Images),
        ResourceType::Media => policy.block.contains(&ResourceKind::Media),
        ResourceType::Font => policy.block.contains(&ResourceKind::Fonts),
        ResourceType::Stylesheet => policy.block.contains(&ResourceKind::Stylesheets),
        _ => false,
    };
    let target = Url::parse(&event.request.url).ok();
    let allowed =
        !blocked && target.is_some_and(|t| host_allowed(&t, page_url, &policy.allow_hosts));
    let _ = match allowed {
        true => page
            .execute(ContinueRequestParams::new(event.request_id.clone()))
            .await
            .map(|_| ()),
        false => page
            .execute(FailRequestParams::new(
                event.request_id.clone(),
                ErrorReason::BlockedByClient,
            ))
            .await
            .map(|_| ()),
    };
}

/// Whether a page at `page` may load `target`: `data:` and `blob:` URLs, its own host and
/// port, and the allowed hosts (with their subdomains; `*` for every host).
pub(crate) fn host_allowed(target: &Url, page: &Url, allow: &[String]) -> bool {
    if matches!(target.scheme(), "data" | "blob" | "about") {
        return true;
    }
    let Some(host) = target.host_str().map(str::to_ascii_lowercase) else {
        return false;
    };
    let same = page
        .host_str()
        .is_some_and(|h| h.eq_ignore_ascii_case(&host))
        && page.port_or_known_default() == target.port_or_known_default();
    same || (allow.iter()).any(|a| a == "*" || host == *a || host.ends_with(&format!(".{a}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_pages_own_origin_host_and_allowed_hosts_load() {
        let page = Url::parse("http://127.0.0.1:8080/app").unwrap();
        let ok = |u: &str, allow: &[&str]| {
            let allow: Vec<String> = allow.iter().map(|s| s.to_string()).collect();
            host_allowed(&Url::parse(u).unwrap(), &page, &allow)
        };
        assert!(ok("http://127.0.0.1:8080/app.js", &[]));
        assert!(!ok("http://127.0.0.1:9090/app.js", &[]), "another port");
        assert!(!ok("http://127.0.0.2:8080/app.js", &[]));
        assert!(ok("http://cdn.example.org/x.js", &["example.org"]));
        assert!(!ok("http://badexample.org/x.js", &["example.org"]));
        assert!(ok("data:text/plain,x", &[]));
    }
}
