//! Ctrl-C, SIGTERM and SIGHUP: the first one winds the crawl down, a second one quits at
//! once.
//!
//! A stopped crawl still ends properly: requests in flight finish, every queued URL is
//! recorded as skipped, the records are flushed and the summary printed, which can take
//! up to a request timeout; the exit status is then 128 + the signal (130 for Ctrl-C, 143
//! for SIGTERM, 129 for SIGHUP), as shells expect. Someone who does not want to wait sends
//! a second signal: the records written so far are flushed, whole (a record is written
//! under the same lock the flush takes, so none is cut in half), and the process exits.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use trawler::StopHandle;

/// The exit status of a crawl ended by Ctrl-C (128 + SIGINT).
pub(crate) const EXIT_INTERRUPTED: u8 = 130;

/// Remembers the first stopping signal, for the caller to tell an interrupted crawl from a
/// finished one.
#[derive(Debug, Clone, Default)]
pub(crate) struct Interrupts(Arc<AtomicI32>);

impl Interrupts {
    /// The exit status for the signal that stopped the crawl, if one did.
    pub(crate) fn exit_status(&self) -> Option<u8> {
        match self.0.load(Ordering::SeqCst) {
            0 => None,
            signal => Some(u8::try_from(128 + signal).unwrap_or(EXIT_INTERRUPTED)),
        }
    }
}

/// Routes SIGINT, SIGTERM and SIGHUP to `stop`; on a second one, calls `flush` and exits.
/// A failure to install only loses the graceful stop (the signals then end the process at
/// once, as they would without a handler), so it is logged.
pub(crate) fn install(stop: StopHandle, flush: impl Fn() + Send + 'static) -> Interrupts {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let interrupts = Interrupts::default();
    let first = Arc::clone(&interrupts.0);
    let mut signals = match signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("signals will quit without a summary: {e}");
            return interrupts;
        }
    };
    std::thread::Builder::new()
        .name("trawler-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                if first
                    .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
                {
                    eprintln!(
                        "\ntrawler: stopping: finishing requests in flight (Ctrl-C again to quit now)"
                    );
                    stop.stop();
                } else {
                    flush();
                    let status = 128 + first.load(Ordering::SeqCst);
                    std::process::exit(status);
                }
            }
        })
        .map_err(|e| tracing::warn!("signals will quit without a summary: {e}"))
        .ok();
    interrupts
}
