//! Runs one crawl the command-line way, for both `crawl` and `demo`: records streamed to
//! the writer as URLs end, live progress, Ctrl-C, and the summary table at the end.
//!
//! Nothing is collected: each outcome is written, counted and dropped in the library's
//! `on_outcome` callback, so a crawl of millions of URLs runs in flat memory. A write
//! error (a full disk, a closed pipe) stops the crawl: records that cannot be kept are
//! not worth fetching. A closed pipe is no error, though: `| head` got what it wanted.

use crate::CliError;
use crate::only::{self, Only};
use crate::output::RecordWriter;
use crate::progress::{Display, Reporter};
use crate::{interrupt, summary};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use trawler::prelude::*;

/// How much the user wants to see.
#[derive(Debug, Clone)]
pub(crate) struct Ui {
    /// The progress display.
    pub(crate) display: Display,
    /// Whether to print the summary table (not with `-q`).
    pub(crate) summary: bool,
    /// Whether to print error messages (not with `-qq`).
    pub(crate) errors: bool,
}

/// Whether the crawl keeps its state (`--state`), and whether it goes on from a run before.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Durability {
    pub(crate) durable: bool,
    pub(crate) resuming: bool,
}

/// The records' file as a durable crawl's outcome log: each commit covers what is
/// written, and a resumed crawl cuts back what was written after the last commit.
struct Log(Arc<Mutex<Recorder>>);

impl trawler::store::OutcomeLog for Log {
    fn position(&mut self) -> io::Result<u64> {
        let mut guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let rec = &mut *guard;
        match (&mut rec.writer, &rec.write_error) {
            (_, Some(e)) => Err(io::Error::new(e.kind(), e.to_string())),
            (Some(w), None) => w.position(),
            (None, None) => Ok(0),
        }
    }

    fn resume_at(&mut self, position: u64) -> io::Result<()> {
        let mut rec = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        rec.writer
            .as_mut()
            .map_or(Ok(()), |w| w.resume_at(position))
    }
}

/// What a finished (or interrupted) crawl leaves for the exit status.
#[derive(Debug)]
pub(crate) struct Finished {
    /// The library's report.
    pub(crate) report: CrawlReport,
    /// URLs that failed or answered 400 and above.
    pub(crate) broken: u64,
    /// Start URLs (depth 0) that got an HTTP answer.
    pub(crate) starts_fetched: u64,
    /// The exit status of the signal that stopped it (Ctrl-C, SIGTERM, SIGHUP), if one did.
    pub(crate) interrupted: Option<u8>,
    /// Whether it went on from an earlier run (its start URLs were fetched then).
    pub(crate) resumed: bool,
}

/// Per-outcome bookkeeping, called on the crawl's supervisor thread.
struct Recorder {
    writer: Option<RecordWriter>,
    /// `--only`: the records written (all when empty).
    only: Vec<Only>,
    write_error: Option<io::Error>,
    /// Why start URLs were not fetched, one line each.
    failed_starts: Vec<String>,
    starts_fetched: u64,
    broken: Arc<AtomicU64>,
    stop: StopHandle,
}

impl Recorder {
    fn record(&mut self, o: &Outcome) {
        if o.is_broken() {
            self.broken.fetch_add(1, Ordering::Relaxed);
            let what = match (&o.kind, o.status) {
                (OutcomeKind::Failed(e), _) => e.to_string(),
                (_, Some(s)) => format!("status {s}"),
                _ => String::new(),
            };
            let from = o.referrer.as_deref().map(|r| format!(", linked from {r}"));
            tracing::info!(url = %o.url, "broken: {what}{}", from.unwrap_or_default());
            if let (0, OutcomeKind::Failed(e)) = (o.depth, &o.kind) {
                self.failed_starts
                    .push(format!("cannot fetch start URL {}: {e}", o.url));
            }
        } else {
            tracing::debug!(url = %o.url, status = ?o.status, reason = ?o.skip_reason(), "done");
        }
        match (o.depth, o.skip_reason()) {
            (0, Some(reason)) => self.failed_starts.push(format!(
                "start URL {} not fetched: skipped ({reason})",
                o.url
            )),
            (0, None) if o.is_fetched() => self.starts_fetched += 1,
            _ => {}
        }
        if let (Some(w), None) = (&mut self.writer, &self.write_error) {
            if !only::keeps(&self.only, o) {
                w.skip(o);
            } else if let Err(e) = w.write(o) {
                self.write_error = Some(e);
                self.stop.stop();
            }
        }
    }
}

/// Runs `crawler`, writing the records `only` keeps to `writer`, and prints what the user
/// should know.
pub(crate) fn run<S: Spider>(
    crawler: Crawler<S>,
    writer: Option<RecordWriter>,
    only: &[Only],
    ui: &Ui,
    how: Durability,
) -> Result<Finished, CliError> {
    let to_file = writer.as_ref().is_some_and(RecordWriter::is_file);
    if how.durable && !to_file && ui.errors {
        eprintln!(
            "trawler: records go to stdout: a resumed crawl may repeat those written after its \
             last commit (-o FILE keeps exactly one per URL)"
        );
    }
    let stop = crawler.stop_handle();
    let broken = Arc::new(AtomicU64::new(0));
    let recorder = Arc::new(Mutex::new(Recorder {
        writer,
        only: only.to_vec(),
        write_error: None,
        failed_starts: Vec::new(),
        starts_fetched: 0,
        broken: Arc::clone(&broken),
        stop: stop.clone(),
    }));
    let on_second_signal = Arc::clone(&recorder);
    let interrupts = interrupt::install(stop, move || {
        let mut rec = on_second_signal
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(w) = rec.writer.as_mut() {
            let _ = w.flush();
        }
    });
    let reporter = Reporter::start(crawler.progress(), Arc::clone(&broken), ui.display.clone());
    let sink = Arc::clone(&recorder);
    let crawler = if how.durable && to_file {
        crawler.outcome_log(Log(Arc::clone(&recorder)))
    } else {
        crawler
    };
    let report = crawler
        .on_outcome(move |o| {
            sink.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .record(o)
        })
        .run();
    reporter.finish();
    let mut rec = recorder.lock().unwrap_or_else(PoisonError::into_inner);
    // Records are flushed whatever ended the crawl.
    let flushed = rec.writer.as_mut().map_or(Ok(()), RecordWriter::flush);
    let report = report?;
    // A closed pipe (`trawler crawl URL | head`) means the reader has all it wants.
    if let Some(e) = rec.write_error.take().or(flushed.err())
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        return Err(CliError::Write(e));
    }
    if ui.errors {
        for message in &rec.failed_starts {
            eprintln!("trawler: {message}");
        }
    }
    let broken = broken.load(Ordering::Relaxed);
    if ui.summary {
        eprint!("{}", summary::table(&report, broken));
    }
    Ok(Finished {
        report,
        broken,
        starts_fetched: rec.starts_fetched,
        interrupted: interrupts.exit_status(),
        resumed: how.resuming,
    })
}
