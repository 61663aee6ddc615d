//! Live progress on stderr while a crawl runs: a redrawn bar on a terminal, a plain line
//! every few seconds otherwise (a log file or CI output should not fill with redraws).
//!
//! A thread of its own reads the library's [`Progress`] counters (relaxed atomics, no
//! message to the crawl) and the CLI's error count; the crawl never waits for it.

use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;
use trawler::{Progress, ProgressSnapshot};

/// How often the bar is redrawn.
const BAR_REFRESH: Duration = Duration::from_millis(150);

/// How progress is shown.
#[derive(Debug, Clone)]
pub(crate) enum Display {
    /// A live bar (stderr is a terminal).
    Bar(ProgressBar),
    /// A plain line on stderr at this interval.
    Lines(Duration),
    /// Nothing (`-q`).
    Off,
}

/// A spinner-style bar: the total is unknown until the crawl ends.
pub(crate) fn new_bar() -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    let style = ProgressStyle::with_template("{spinner:.cyan} [{elapsed_precise}] {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar
}

/// The progress display of one running crawl; [`finish`](Self::finish) ends it.
#[derive(Debug)]
pub(crate) struct Reporter {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Reporter {
    /// Starts showing `progress` (and `errors`, the broken URLs so far) as `display` says.
    pub(crate) fn start(progress: Progress, errors: Arc<AtomicU64>, display: Display) -> Reporter {
        let every = match &display {
            Display::Bar(_) => BAR_REFRESH,
            Display::Lines(every) => *every,
            Display::Off => {
                return Reporter {
                    stop: None,
                    thread: None,
                };
            }
        };
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("trawler-progress".into())
            .spawn(move || {
                // Sleeping on the channel lets `finish` end the thread at once.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    let now = progress.snapshot();
                    let line = status_line(&now, errors.load(Ordering::Relaxed));
                    match &display {
                        Display::Bar(bar) => {
                            bar.set_message(line);
                            bar.tick();
                        }
                        _ => eprintln!("trawler: {:.1}s: {line}", now.elapsed.as_secs_f64()),
                    }
                }
                if let Display::Bar(bar) = &display {
                    bar.finish_and_clear();
                }
            });
        match thread {
            Ok(t) => Reporter {
                stop: Some(stop),
                thread: Some(t),
            },
            Err(e) => {
                // Progress is a nicety: the crawl goes on without it.
                tracing::warn!("no progress display: cannot start its thread: {e}");
                Reporter {
                    stop: None,
                    thread: None,
                }
            }
        }
    }

    /// Stops the display and clears the bar, before the summary is printed.
    pub(crate) fn finish(mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One line of progress: what is done, waiting, running, the speed and the errors.
pub(crate) fn status_line(s: &ProgressSnapshot, errors: u64) -> String {
    format!(
        "{} fetched, {} done, {} queued, {} in flight, {:.0} pages/s, {} errors",
        s.fetched,
        s.done(),
        s.queued,
        s.in_flight,
        s.pages_per_sec(),
        errors
    )
}
