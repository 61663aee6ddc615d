//! Log output: `tracing` events to stderr, filtered by `RUST_LOG` or by -v/-q.
//!
//! Log lines and the progress bar share stderr; a line written while the bar is drawn
//! would be torn by the next redraw, so each line is written with the bar suspended.

use indicatif::ProgressBar;
use std::io::{self, Write};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Installs the global subscriber. `RUST_LOG`, when set, wins over -v/-q.
pub(crate) fn init(verbose: u8, quiet: u8, bar: Option<ProgressBar>, ansi: bool) {
    // The DevTools client logs the browser's connection closing as an error when the crawl
    // closes it; what trawler makes of a browser's faults, it says itself.
    let level = match (quiet, verbose) {
        (q, _) if q >= 2 => "off",
        (1, _) => "error,chromiumoxide=off",
        (_, 0) => "warn,chromiumoxide=off",
        // -v shows the CLI's per-URL failures; the engine's own info is rarely wanted.
        (_, 1) => "warn,trawler=info,chromiumoxide=off",
        (_, 2) => "info,trawler=debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    // A second subscriber (only possible in tests) keeps the first: nothing to report.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_target(false)
        .with_timer(tracing_subscriber::fmt::time::uptime())
        .with_writer(BarAware(bar))
        .try_init();
}

/// Makes writers that print to stderr around the progress bar, if there is one.
#[derive(Debug, Clone)]
struct BarAware(Option<ProgressBar>);

impl<'a> MakeWriter<'a> for BarAware {
    type Writer = BarAware;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Write for BarAware {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &self.0 {
            Some(bar) => bar.suspend(|| io::stderr().write(buf)),
            None => io::stderr().write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        // One event is one `write_all`: keep it whole under one suspension.
        match &self.0 {
            Some(bar) => bar.suspend(|| io::stderr().write_all(buf)),
            None => io::stderr().write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}
