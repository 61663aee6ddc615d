//! One render: a tab opened, the page loaded under the crawl's rules, its DOM taken, the
//! tab closed. What each of the page's requests may do is `intercept`'s; the page script
//! and the screenshot are `extras`'.
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
//! The DOM is taken once the page has loaded and, since the load, no request of it has been
//! in flight for [`quiet`](super::RenderConfig::quiet) (250 ms by default: a script's
//! `fetch()` after the load, and timers shorter than that, are in), or
//! [`settle`](super::RenderConfig::settle) after the load, whichever comes first. The whole
//! render is bounded by the request's timeout; a page that never finishes loading is cut
//! there, and its tab closed.
//!
//! Quiet is measured on this side's clock, which runs on while a starved renderer does not:
//! before the DOM is taken, one zero-delay timer is awaited in the page, so every timer due
//! by then (ordered before it) has run.
//!
//! A crawl's [`script`](super::RenderConfig::script) runs in the page once it has loaded
//! (scroll, click "load more"); the wait for quiet starts when it has finished, so what
//! it made the page fetch is in the DOM. A [`screenshot`](super::RenderConfig::screenshots)
//! is taken of the page as its DOM is taken.

use super::ResourceKind;
use super::chrome::Chrome;
use super::extras::{Aborting, run_due_timers, run_script, screenshot};
use super::intercept::{Main, add_headers, allow_or_refuse, hand_over, lost, main_answer};
use crate::error::FetchError;
use crate::fetch::transport::{FetchRequest, FetchResponse};
use crate::headers::Headers;
use chromiumoxide::Page;
use chromiumoxide::cdp::browser_protocol::fetch::{
    EnableParams, EventRequestPaused, RequestPattern, RequestStage,
};
use chromiumoxide::cdp::browser_protocol::network::{
    EventLoadingFailed, EventLoadingFinished, EventRequestWillBeSent, ResourceType,
};
use chromiumoxide::cdp::browser_protocol::page::{EventLifecycleEvent, NavigateParams};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the DOM waits for the page's due timers to run, at most.
const DUE_TIMERS_BOUND: Duration = Duration::from_secs(2);

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
            // Quiet counts from the load at the earliest: a timer the page set while it
            // loaded has `quiet` to fire however late the load came.
            quiet_since.map_or(settled, |q| (q.max(at) + policy.quiet).min(settled))
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
        None => {
            // Best effort, bounded: a page that replaced `setTimeout` never answers it.
            let due = tokio::time::timeout(DUE_TIMERS_BOUND, run_due_timers(page)).await;
            if !matches!(due, Ok(Ok(()))) {
                tracing::debug!(url = %request.url, "the page's due timers were not awaited");
            }
            page.content().await.map_err(lost)?.into_bytes()
        }
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
