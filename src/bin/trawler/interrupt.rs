//! Ctrl-C: the first one winds the crawl down, the second one quits at once.
//!
//! A stopped crawl still ends properly: requests in flight finish, every queued URL is
//! recorded as skipped, the records are flushed and the summary printed, which can take
//! up to a request timeout. Someone who does not want to wait presses Ctrl-C again.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use trawler::StopHandle;

/// The exit status of a crawl ended by Ctrl-C (128 + SIGINT, what shells expect).
pub(crate) const EXIT_INTERRUPTED: u8 = 130;

/// Counts Ctrl-C presses, for the caller to tell an interrupted crawl from a finished one.
#[derive(Debug, Clone, Default)]
pub(crate) struct Interrupts(Arc<AtomicU32>);

impl Interrupts {
    /// Whether Ctrl-C was pressed.
    pub(crate) fn happened(&self) -> bool {
        self.0.load(Ordering::SeqCst) > 0
    }
}

/// Routes Ctrl-C (SIGINT) to `stop`. Once per process; a failure to install only loses the
/// graceful stop (Ctrl-C then quits at once, as it would without a handler), so it is logged.
pub(crate) fn install(stop: StopHandle) -> Interrupts {
    let interrupts = Interrupts::default();
    let count = Arc::clone(&interrupts.0);
    let installed = ctrlc::set_handler(move || {
        if count.fetch_add(1, Ordering::SeqCst) == 0 {
            eprintln!(
                "\ntrawler: stopping: finishing requests in flight (Ctrl-C again to quit now)"
            );
            stop.stop();
        } else {
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    });
    if let Err(e) = installed {
        tracing::warn!("Ctrl-C will quit without a summary: {e}");
    }
    interrupts
}
