//! The crawl's Chromium: one process, driven from a thread of its own, started again when
//! it dies.
//!
//! The DevTools connection needs a tokio runtime polling it all the time, so the browser
//! lives on a thread with a runtime of its own (`trawler-browser`); the workers' transports
//! hand it their renders ([`Chrome::spawn`]) and await the result from their own threads.
//! Chromium runs headless with `--no-sandbox --disable-gpu --no-first-run
//! --disable-background-networking --disable-component-update --disable-sync` (without the
//! last three it reaches out to the internet at every start) and a fresh profile directory,
//! removed when the crawl ends. Tabs open in a browser context of the crawl's own.
//!
//! When the process dies (a crash, a kill), its connection ends: the renders it held fail
//! (the crawl's retry policy fetches them again), and the next render starts a new process,
//! at most once per [`RESTART_GAP`].

use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
use chromiumoxide::cdp::browser_protocol::target::{
    CreateBrowserContextParams, CreateTargetParams,
};
use chromiumoxide::error::CdpError;
use chromiumoxide::{Browser, BrowserConfig, Page};
use futures_util::StreamExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Starts closer together than this are refused: a browser that dies at once is not
/// started in a loop.
pub(crate) const RESTART_GAP: Duration = Duration::from_millis(500);

/// How long Chromium may take to start and say where its DevTools listen.
const LAUNCH_TIMEOUT: Duration = Duration::from_secs(30);

/// A running Chromium: the connection, the task polling it, the crawl's context.
struct Live {
    browser: Browser,
    polling: tokio::task::JoinHandle<()>,
    context: BrowserContextId,
}

/// See the module docs.
pub(crate) struct Chrome {
    runtime: tokio::runtime::Handle,
    live: Mutex<Option<Live>>,
    executable: PathBuf,
    profiles: PathBuf,
    last_start: Mutex<Option<Instant>>,
    /// Processes started, the first included.
    pub(crate) starts: AtomicU64,
    stop: std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    thread: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl std::fmt::Debug for Chrome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chrome")
            .field("executable", &self.executable)
            .finish_non_exhaustive()
    }
}

impl Chrome {
    /// Starts the browser's thread and the browser: an error in words if it cannot run.
    pub(crate) fn start(executable: PathBuf) -> Result<Arc<Chrome>, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the browser's runtime: {e}"))?;
        let handle = runtime.handle().clone();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("trawler-browser".into())
            .spawn(move || {
                runtime.block_on(async {
                    let _ = stop_rx.await;
                });
            })
            .map_err(|e| format!("cannot start the browser's thread: {e}"))?;
        let profiles = std::env::temp_dir().join(format!(
            "trawler-chromium-{}-{}",
            std::process::id(),
            PROFILES.fetch_add(1, Ordering::Relaxed)
        ));
        let chrome = Arc::new(Chrome {
            runtime: handle,
            live: Mutex::new(None),
            executable,
            profiles,
            last_start: Mutex::new(None),
            starts: AtomicU64::new(0),
            stop: std::sync::Mutex::new(Some(stop_tx)),
            thread: std::sync::Mutex::new(Some(thread)),
        });
        let first = Arc::clone(&chrome);
        let started = chrome
            .runtime
            .block_on_thread(async move { first.ensure().await })
            .unwrap_or_else(|| Err("the browser's thread stopped".into()));
        match started {
            Ok(()) => Ok(chrome),
            Err(e) => {
                chrome.shutdown();
                Err(e)
            }
        }
    }

    /// Runs `fut` on the browser's thread; the handle can be awaited from any thread.
    pub(crate) fn spawn<F>(&self, fut: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.runtime.spawn(fut)
    }

    /// A new tab (about:blank) in the crawl's context, the browser started (again) first
    /// if it is not running.
    pub(crate) async fn new_tab(&self) -> Result<Page, String> {
        let mut live = self.live.lock().await;
        self.keep_running(&mut live).await?;
        let l = live.as_ref().ok_or("the browser is not running")?;
        let params = CreateTargetParams::builder()
            .url("about:blank")
            .browser_context_id(l.context.clone())
            .build()
            .map_err(|e| format!("cannot open a tab: {e}"))?;
        l.browser
            .new_page(params)
            .await
            .map_err(|e| format!("cannot open a tab: {e}"))
    }

    /// The browser running, started if it is not.
    async fn ensure(&self) -> Result<(), String> {
        let mut live = self.live.lock().await;
        self.keep_running(&mut live).await
    }

    /// Starts the browser if it is not running: never started, its process gone, or its
    /// connection closed (what was left of it is killed).
    async fn keep_running(&self, live: &mut Option<Live>) -> Result<(), String> {
        let dead = match live.as_mut() {
            None => true,
            Some(l) => l.polling.is_finished() || !matches!(l.browser.try_wait(), Ok(None)),
        };
        if dead {
            if let Some(mut old) = live.take() {
                old.polling.abort();
                let _ = tokio::time::timeout(Duration::from_secs(5), old.browser.kill()).await;
            }
            *live = Some(self.launch().await?);
        }
        Ok(())
    }

    async fn launch(&self) -> Result<Live, String> {
        {
            let mut last = self.last_start.lock().await;
            if let Some(at) = *last {
                let wait = RESTART_GAP.saturating_sub(at.elapsed());
                tokio::time::sleep(wait).await;
            }
            *last = Some(Instant::now());
        }
        let n = self.starts.fetch_add(1, Ordering::Relaxed);
        if n > 0 {
            tracing::warn!("the browser died; starting it again");
        }
        let profile = self.profiles.join(n.to_string());
        let _ = std::fs::remove_dir_all(&profile);
        // Chromium's own temporary files (its process-singleton socket directory among
        // them, left behind when it is killed) go under the crawl's directory too, which
        // is removed at the end: nothing of a crawl stays in the system's temp directory.
        let tmp = profile.join("tmp");
        std::fs::create_dir_all(&tmp).map_err(|e| format!("cannot make {}: {e}", tmp.display()))?;
        let config = BrowserConfig::builder()
            .chrome_executable(&self.executable)
            .no_sandbox()
            .user_data_dir(&profile)
            .env("TMPDIR", tmp.to_string_lossy())
            .launch_timeout(LAUNCH_TIMEOUT)
            .args([
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-default-apps",
                "--disable-extensions",
                "--mute-audio",
            ])
            .build()
            .map_err(|e| format!("cannot configure the browser: {e}"))?;
        let (mut browser, mut handler) = Browser::launch(config).await.map_err(|e| {
            format!(
                "cannot start the browser ({}): {e}",
                self.executable.display()
            )
        })?;
        let polling = tokio::spawn(async move {
            while let Some(event) = handler.next().await {
                match event {
                    // A message the client does not know is no reason to stop.
                    Ok(()) | Err(CdpError::InvalidMessage(..)) => {}
                    // The connection is gone: so is the browser, for this crawl.
                    Err(_) => break,
                }
            }
        });
        let context = browser
            .create_browser_context(CreateBrowserContextParams::default())
            .await
            .map_err(|e| format!("cannot open the crawl's browser context: {e}"));
        let context = match context {
            Ok(c) => c,
            Err(e) => {
                let _ = browser.kill().await;
                return Err(e);
            }
        };
        Ok(Live {
            browser,
            polling,
            context,
        })
    }

    /// Kills the browser and stops its thread; the profiles go.
    pub(crate) fn shutdown(self: &Arc<Self>) {
        let me = Arc::clone(self);
        let _ = self.runtime.block_on_thread(async move {
            if let Some(mut live) = me.live.lock().await.take() {
                // Closed as it asks to be (its connection ends cleanly), killed if it must.
                let _ = tokio::time::timeout(Duration::from_secs(3), live.browser.close()).await;
                let _ = tokio::time::timeout(Duration::from_secs(5), live.browser.kill()).await;
                let _ = tokio::time::timeout(Duration::from_secs(5), live.browser.wait()).await;
                live.polling.abort();
            }
        });
        if let Some(stop) = self.stop.lock().ok().and_then(|mut s| s.take()) {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.lock().ok().and_then(|mut t| t.take()) {
            let _ = thread.join();
        }
        // Chromium's helper processes may still write a file or two as they exit: the
        // profiles are removed until they stay removed, for a second at most.
        for _ in 0..20 {
            let _ = std::fs::remove_dir_all(&self.profiles);
            std::thread::sleep(Duration::from_millis(50));
            if !self.profiles.exists() {
                break;
            }
        }
    }
}

/// Distinct profile directories for the crawls of one process.
static PROFILES: AtomicU64 = AtomicU64::new(0);

/// Running a future on a runtime's own thread and waiting for it from outside.
trait BlockOnThread {
    fn block_on_thread<F>(&self, fut: F) -> Option<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static;
}

impl BlockOnThread for tokio::runtime::Handle {
    fn block_on_thread<F>(&self, fut: F) -> Option<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::channel();
        self.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().ok()
    }
}
