//! One render: a tab opened, the page loaded under the crawl's rules, its DOM taken, the
//! tab closed.
//!
//! Every request the page makes is paused before it leaves (the DevTools `Fetch` domain).
//! When the HTTP client has already brought the page (adaptive rendering), the browser is
//! handed that answer and the server is not asked twice. Otherwise:
//! - the main document goes on with the crawl's header fields added (credentials and
//!   cookies the fetcher chose for this URL: they never reach another host), and is paused
//!   again when its answer comes, for its status and header fields. A redirect is not
//!   followed by the browser: the 3xx is the answer, which the crawl follows through its own
//!   admission. An answer that is not HTML is taken as it came (its body read from the
//!   browser), not rendered;
//! - a sub-resource goes on only if it is for the page's own host or an allowed one, and
//!   not of a blocked kind (images, media and fonts by default); the others fail in the
//!   browser and never leave the machine.
//!
//! The DOM is taken once the page has loaded and no request of it has been in flight for
//! [`quiet`](super::RenderConfig::quiet) (250 ms by default: a script's `fetch()` after the
//! load, and timers shorter than that, are in), or
//! [`settle`](super::RenderConfig::settle) after the load, whichever comes first. The whole
//! render is bounded by the request's timeout; a page that never finishes loading is cut
//! there, and its tab closed.
//!
//! A crawl's [`script`](super::RenderConfig::script) runs in the page once it has loaded
//! (scroll, click "load more"); the wait for quiet starts when it has finished, so what
//! it made the page fetch is in the DOM. A [`screenshot`](super::RenderConfig::screenshots)
//! is taken of the page as its DOM is taken.

use super::ResourceKind;
use super::chrome::Chrome;
use crate::error::FetchError;
use crate::fetch::transport::{FetchRequest, FetchResponse};
use crate::headers::Headers;
use base64::Engine as _;
use chromiumoxide::Page;
use chromiumoxide::cdp::browser_protocol::fetch::{
    ContinueRequestParams, EnableParams, EventRequestPaused, FailRequestParams,
    FulfillRequestParams, GetResponseBodyParams, HeaderEntry, RequestPattern, RequestStage,
};
use chromiumoxide::cdp::browser_protocol::network::{
    ErrorReason, EventLoadingFailed, EventLoadingFinished, EventRequestWillBeSent, ResourceType,
};
use chromiumoxide::cdp::browser_protocol::page::{
    CaptureScreenshotFormat, CaptureScreenshotParams, EventLifecycleEvent, NavigateParams, Viewport,
};
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

/// What a render needs besides the request.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub(crate) user_agent: String,
    pub(crate) settle: Duration,
    pub(crate) quiet: Duration,
    pub(crate) block: Vec<ResourceKind>,
    pub(crate) allow_hosts: Vec<String>,
    /// JavaScript run in the page once it has loaded (the body of an async function).
    pub(crate) script: Option<Arc<str>>,
    /// A PNG of each rendered page.
    pub(crate) screenshots: bool,
}

/// The largest screenshot taken, in CSS pixels: a page longer than this (an endless
/// scroll) is cut at its bottom.
const SHOT_MAX: (f64, f64) = (4096.0, 16384.0);

/// Renders `request` in a new tab of `chrome`; with `given`, the page's answer the HTTP
/// client already brought, which the browser is handed instead of asking the server again.
pub(crate) async fn render(
    chrome: Arc<Chrome>,
    request: FetchRequest,
    policy: Arc<Policy>,
    given: Option<FetchResponse>,
) -> Result<FetchResponse, FetchError> {
    let start = Instant::now();
    let deadline = tokio::time::Instant::now() + request.timeout;
    let page = match tokio::time::timeout_at(deadline, chrome.new_tab()).await {
        Ok(Ok(page)) => page,
        Ok(Err(e)) => {
            return Err(FetchError::Request(format!(
                "the browser cannot render: {e}"
            )));
        }
        Err(_) => return Err(FetchError::Timeout(request.timeout)),
    };
    let outcome =
        tokio::time::timeout_at(deadline, drive(&page, &request, &policy, given.as_ref())).await;
    // The tab goes whatever happened (bounded: a dead browser answers nothing).
    let _ = tokio::time::timeout(Duration::from_secs(5), page.close()).await;
    let mut response = match outcome {
        Ok(r) => r?,
        Err(_) => return Err(FetchError::Timeout(request.timeout)),
    };
    response.elapsed = start.elapsed();
    Ok(response)
}

/// The main document's answer, as the browser saw it.
struct Main {
    status: u16,
    headers: Headers,
    /// Set when the answer is the result (a redirect, or not HTML): no DOM is taken.
    body: Option<Vec<u8>>,
}

fn lost(e: impl std::fmt::Display) -> FetchError {
    FetchError::Request(format!("the browser lost the page: {e}"))
}

async fn drive(
    page: &Page,
    request: &FetchRequest,
    policy: &Policy,
    given: Option<&FetchResponse>,
) -> Result<FetchResponse, FetchError> {
    let mut paused = page
        .event_listener::<EventRequestPaused>()
        .await
        .map_err(lost)?;
    let mut lifecycle = page
        .event_listener::<EventLifecycleEvent>()
        .await
        .map_err(lost)?;
    let mut started = (page.event_listener::<EventRequestWillBeSent>().await).map_err(lost)?;
    let mut finished = (page.event_listener::<EventLoadingFinished>().await).map_err(lost)?;
    let mut failed = (page.event_listener::<EventLoadingFailed>().await).map_err(lost)?;
    let every = |stage| {
        RequestPattern::builder()
            .url_pattern("*")
            .request_stage(stage)
    };
    let documents = every(RequestStage::Response).resource_type(ResourceType::Document);
    page.execute(
        EnableParams::builder()
            .pattern(every(RequestStage::Request).build())
            .pattern(documents.build())
            .build(),
    )
    .await
    .map_err(lost)?;
    page.set_user_agent(policy.user_agent.as_str())
        .await
        .map_err(lost)?;
    let main_frame = page.mainframe().await.map_err(lost)?;
    let nav_page = page.clone();
    let url = request.url.to_string();
    let mut navigation =
        tokio::spawn(async move { nav_page.execute(NavigateParams::new(url)).await });
    let mut main: Option<Main> = None;
    let mut loaded: Option<Instant> = None;
    let mut navigated = false;
    // The crawl's script: not run yet, then running (the page is not quiet meanwhile).
    let mut script_due = policy.script.clone();
    let mut script: Option<Aborting<Result<(), String>>> = None;
    // Requests of the page in flight, and since when there has been none.
    let mut in_flight = std::collections::HashSet::new();
    let mut quiet_since = Some(Instant::now());
    loop {
        // After the load: done once nothing was in flight for `quiet`, or at `settle`.
        let ready = script_due.is_none() && script.is_none();
        let until = loaded.filter(|_| ready).map(|at| {
            let settled = at + policy.settle;
            quiet_since.map_or(settled, |q| (q + policy.quiet).min(settled))
        });
        let wait = until.map_or(Duration::from_secs(3600), |t| {
            t.saturating_duration_since(Instant::now())
        });
        tokio::select! {
            event = started.next() => {
                let Some(event) = event else { return Err(lost("its connection closed")) };
                in_flight.insert(event.request_id.clone());
                quiet_since = None;
            }
            event = finished.next() => {
                let Some(event) = event else { return Err(lost("its connection closed")) };
                in_flight.remove(&event.request_id);
                if in_flight.is_empty() {
                    quiet_since = Some(Instant::now());
                }
            }
            event = failed.next() => {
                let Some(event) = event else { return Err(lost("its connection closed")) };
                in_flight.remove(&event.request_id);
                if in_flight.is_empty() {
                    quiet_since = Some(Instant::now());
                }
            }
            done = &mut navigation, if !navigated => {
                navigated = true;
                let error = match done {
                    Ok(Ok(r)) => r.result.error_text.clone(),
                    Ok(Err(e)) => Some(e.to_string()),
                    Err(e) => Some(e.to_string()),
                };
                if let Some(m) = main.as_ref().filter(|m| m.body.is_some()) {
                    let _ = m;
                    break;
                }
                if let Some(text) = error.filter(|_| main.is_none()) {
                    return Err(FetchError::Connect(format!("the browser could not load the page: {text}")));
                }
            }
            event = paused.next() => {
                let Some(event) = event else { return Err(lost("its connection closed")) };
                let is_main = main_frame.as_ref() == Some(&event.frame_id)
                    && event.resource_type == ResourceType::Document;
                if is_main && main.is_none() {
                    if let Some(answer) = given {
                        hand_over(page, &event, answer).await?;
                        main = Some(Main { status: answer.status, headers: answer.headers.clone(), body: None });
                        continue;
                    }
                    if let Some(answer) = main_answer(page, &event).await? {
                        let done = answer.body.is_some();
                        main = Some(answer);
                        if done {
                            break;
                        }
                        continue;
                    }
                    add_headers(page, &event, &request.headers).await?;
                } else {
                    allow_or_refuse(page, &event, &request.url, policy).await;
                }
            }
            event = lifecycle.next() => {
                let Some(event) = event else { return Err(lost("its connection closed")) };
                if main_frame.as_ref() != Some(&event.frame_id) {
                    continue;
                }
                match event.name.as_str() {
                    "load" => loaded = loaded.or(Some(Instant::now())),
                    "networkIdle" if loaded.is_some() && ready => break,
                    _ => {}
                }
            }
            ran = async { (&mut script.as_mut().expect("a script runs").0).await }, if script.is_some() => {
                script = None;
                if let Ok(Err(e)) | Err(e) = ran.map_err(|e| e.to_string()) {
                    tracing::debug!(url = %request.url, "the page's script failed: {e}");
                }
                // The wait for quiet starts again from here.
                loaded = Some(Instant::now());
                if in_flight.is_empty() {
                    quiet_since = loaded;
                }
            }
            () = tokio::time::sleep(wait), if until.is_some() => break,
        }
        if loaded.is_some()
            && let Some(js) = script_due.take()
        {
            script = Some(Aborting(tokio::spawn(run_script(page.clone(), js))));
        }
    }
    let Some(main) = main else {
        return Err(lost("no answer came for the page"));
    };
    let rendered = main.body.is_none();
    let body = match main.body {
        Some(body) => body,
        None => page.content().await.map_err(lost)?.into_bytes(),
    };
    // A screenshot that cannot be taken is logged; the page is not lost for it.
    let screenshot = match rendered && policy.screenshots {
        true => (screenshot(page).await)
            .inspect_err(|e| tracing::debug!(url = %request.url, "no screenshot: {e}"))
            .ok(),
        false => None,
    };
    let mut headers = Headers::new();
    for (name, value) in main.headers.iter() {
        // The body is the DOM, serialized as UTF-8: no coding, its own length.
        let framing = ["content-encoding", "content-length", "transfer-encoding"];
        if framing.iter().any(|f| name.eq_ignore_ascii_case(f)) {
            continue;
        }
        if name.eq_ignore_ascii_case("content-type") && main.status < 300 {
            headers.append_raw(name, b"text/html; charset=utf-8");
        } else {
            headers.append_raw(name, value);
        }
    }
    let mut response = FetchResponse::new(main.status, headers, body);
    response.rendered = rendered;
    response.screenshot = screenshot.map(bytes::Bytes::from);
    if response.body.len() > request.max_body {
        response.body = response.body.slice(..request.max_body);
        response.truncated = true;
    }
    Ok(response)
}

/// A task stopped when its handle goes (a render cut at its timeout leaves no script
/// running behind it).
struct Aborting<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for Aborting<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs the crawl's script in the page: the body of an async function, awaited.
async fn run_script(page: Page, js: Arc<str>) -> Result<(), String> {
    let params = EvaluateParams::builder()
        .expression(format!("(async () => {{\n{js}\n}})()"))
        .await_promise(true)
        .build()
        .map_err(|e| e.to_string())?;
    let done = page.evaluate_expression(params).await;
    done.map(|_| ()).map_err(|e| e.to_string())
}

/// A PNG of the whole page (up to [`SHOT_MAX`]).
async fn screenshot(page: &Page) -> Result<Vec<u8>, FetchError> {
    let metrics = page.layout_metrics().await.map_err(lost)?;
    let size = &metrics.css_content_size;
    let clip = Viewport {
        x: 0.0,
        y: 0.0,
        width: size.width.clamp(1.0, SHOT_MAX.0),
        height: size.height.clamp(1.0, SHOT_MAX.1),
        scale: 1.0,
    };
    let params = CaptureScreenshotParams::builder()
        .format(CaptureScreenshotFormat::Png)
        .clip(clip)
        .capture_beyond_viewport(true)
        .build();
    let shot = page.execute(params).await.map_err(lost)?;
    let data: &str = shot.result.data.as_ref();
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(lost)
}

/// At the main document's answer: its status and fields. A redirect or an answer that is
/// not HTML is the result (`body` set); the request is then stopped in the browser.
async fn main_answer(page: &Page, event: &EventRequestPaused) -> Result<Option<Main>, FetchError> {
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
async fn hand_over(
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
async fn add_headers(
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
async fn allow_or_refuse(page: &Page, event: &EventRequestPaused, page_url: &Url, policy: &Policy) {
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
