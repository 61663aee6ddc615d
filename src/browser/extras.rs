//! What a render may do besides taking the DOM: run the crawl's script in the page, and
//! take a screenshot of it.

use super::intercept::lost;
use crate::error::FetchError;
use base64::Engine as _;
use chromiumoxide::Page;
use chromiumoxide::cdp::browser_protocol::page::{
    CaptureScreenshotFormat, CaptureScreenshotParams, Viewport,
};
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use std::sync::Arc;

/// The largest screenshot taken, in CSS pixels: a page longer than this (an endless
/// scroll) is cut at its bottom.
const SHOT_MAX: (f64, f64) = (4096.0, 16384.0);

/// A task stopped when its handle goes (a render cut at its timeout leaves no script
/// running behind it).
pub(super) struct Aborting<T>(pub(super) tokio::task::JoinHandle<T>);

impl<T> Drop for Aborting<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs the crawl's script in the page: the body of an async function, awaited.
pub(super) async fn run_script(page: Page, js: Arc<str>) -> Result<(), String> {
    let params = EvaluateParams::builder()
        .expression(format!("(async () => {{\n{js}\n}})()"))
        .await_promise(true)
        .build()
        .map_err(|e| e.to_string())?;
    let done = page.evaluate_expression(params).await;
    done.map(|_| ()).map_err(|e| e.to_string())
}

/// Awaits a zero-delay timer in the page: the renderer runs timers in the order they fall
/// due, so every one due before this call has run when it returns.
pub(super) async fn run_due_timers(page: &Page) -> Result<(), FetchError> {
    let params = EvaluateParams::builder()
        .expression("new Promise(done => setTimeout(done, 0))")
        .await_promise(true)
        .build()
        .map_err(lost)?;
    page.evaluate_expression(params).await.map_err(lost)?;
    Ok(())
}

/// A PNG of the whole page (up to [`SHOT_MAX`]).
pub(super) async fn screenshot(page: &Page) -> Result<Vec<u8>, FetchError> {
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
