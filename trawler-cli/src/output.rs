//! The record writers: one line per final outcome, as JSON lines or CSV, to a file or stdout.
//!
//! Records are written from the crawl's outcome callback as each URL ends, through a
//! buffer, so memory stays flat however long the crawl runs. Both formats come from the
//! library's one serialization of [`Outcome`] (its flat JSON shape): CSV takes the same
//! fields as columns, so the two formats cannot disagree about a field.

use crate::args::Format;
use serde_json::Value;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use trawler::Outcome;

/// The CSV columns, in order: every field of the JSON record.
pub(crate) const CSV_COLUMNS: [&str; 18] = [
    "url",
    "outcome",
    "status",
    "error",
    "reason",
    "depth",
    "referrer",
    "attempts",
    "bytes",
    "elapsed_ms",
    "content_type",
    "redirected_to",
    "truncated",
    "label",
    "parse_error",
    "links_truncated",
    "noindex",
    "nofollow",
];

/// The columns whose JSON field is a flag left out when false.
const FLAGS: [&str; 4] = ["truncated", "links_truncated", "noindex", "nofollow"];

type Sink = Box<dyn Write + Send>;

/// Writes outcome records in one format.
pub(crate) enum RecordWriter {
    /// One JSON object per line.
    Jsonl(BufWriter<Sink>),
    /// A header row, then one row per outcome (the csv writer buffers itself).
    Csv(Box<csv::Writer<Sink>>),
}

impl std::fmt::Debug for RecordWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RecordWriter::Jsonl(_) => "RecordWriter::Jsonl",
            RecordWriter::Csv(_) => "RecordWriter::Csv",
        })
    }
}

impl RecordWriter {
    /// Creates `path`, or writes to stdout for `-`. An existing file that is not empty is
    /// replaced only with `overwrite`: results of an earlier crawl are not lost to a
    /// re-run by accident.
    pub(crate) fn create(path: &str, format: Format, overwrite: bool) -> io::Result<RecordWriter> {
        let sink: Sink = if path == "-" {
            Box::new(io::stdout())
        } else {
            let kept = std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > 0);
            if kept && !overwrite {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "the file exists and is not empty (--overwrite replaces it)",
                ));
            }
            Box::new(File::create(path)?)
        };
        Ok(match format {
            Format::Jsonl => RecordWriter::Jsonl(BufWriter::new(sink)),
            Format::Csv => {
                let mut w = csv::Writer::from_writer(sink);
                w.write_record(CSV_COLUMNS)?;
                RecordWriter::Csv(Box::new(w))
            }
        })
    }

    /// Writes the record of one outcome.
    pub(crate) fn write(&mut self, outcome: &Outcome) -> io::Result<()> {
        match self {
            RecordWriter::Jsonl(w) => {
                serde_json::to_writer(&mut *w, outcome)?;
                w.write_all(b"\n")
            }
            RecordWriter::Csv(w) => {
                let record = serde_json::to_value(outcome)?;
                w.write_record(CSV_COLUMNS.iter().map(|c| cell(&record, c)))?;
                Ok(())
            }
        }
    }

    /// Writes out everything buffered.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        match self {
            RecordWriter::Jsonl(w) => w.flush(),
            RecordWriter::Csv(w) => w.flush(),
        }
    }
}

/// One CSV cell: the JSON field as text, empty when the record leaves it out (as JSON
/// does for absent values), `false` for the flags JSON omits when unset.
fn cell(record: &Value, column: &str) -> String {
    match record.get(column) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) => String::new(),
        Some(v) => v.to_string(),
        None if FLAGS.contains(&column) => "false".to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_follow_the_json_record() {
        let r = json!({"url": "http://a.test/", "status": 200, "elapsed_ms": 1.5});
        assert_eq!(cell(&r, "url"), "http://a.test/");
        assert_eq!(cell(&r, "status"), "200");
        assert_eq!(cell(&r, "elapsed_ms"), "1.5");
        assert_eq!(cell(&r, "error"), "");
        assert_eq!(cell(&r, "truncated"), "false");
    }
}
