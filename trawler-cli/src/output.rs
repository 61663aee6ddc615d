//! The record writers: one line per final outcome, as JSON lines or CSV, to a file or stdout.
//!
//! Records are written from the crawl's outcome callback as each URL ends, through a
//! buffer, so memory stays flat however long the crawl runs. Both formats come from the
//! library's one serialization of [`Outcome`] (its flat JSON shape): CSV takes the same
//! fields as columns, so the two formats cannot disagree about a field.

use crate::args::Format;
use crate::page_content::Contents;
use serde_json::Value;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use trawler::Outcome;

/// The CSV columns, in order: every field of the JSON record.
pub(crate) const CSV_COLUMNS: [&str; 19] = [
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
    "rendered",
];

/// The columns whose JSON field is a flag left out when false.
const FLAGS: [&str; 5] = [
    "truncated",
    "links_truncated",
    "noindex",
    "nofollow",
    "rendered",
];

type Sink = Box<dyn Write + Send>;

/// Writes outcome records in one format.
pub(crate) struct RecordWriter {
    kind: Kind,
    /// The file, when records go to one (not stdout): for its length and for cutting it
    /// back when a durable crawl resumes.
    file: Option<File>,
    /// Each page's content (`--content`, `--extract`), added to its record.
    contents: Option<Contents>,
    /// The CSV columns after [`CSV_COLUMNS`], for the contents' fields.
    extra_columns: Vec<String>,
    /// A CSV file that starts empty gets its header row before the first record (or the
    /// first flush), once the columns are known.
    header_due: bool,
}

enum Kind {
    /// One JSON object per line.
    Jsonl(BufWriter<Sink>),
    /// A header row, then one row per outcome (the csv writer buffers itself).
    Csv(Box<csv::Writer<Sink>>),
}

impl std::fmt::Debug for RecordWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.kind {
            Kind::Jsonl(_) => "RecordWriter::Jsonl",
            Kind::Csv(_) => "RecordWriter::Csv",
        })
    }
}

impl RecordWriter {
    /// Creates `path`, or writes to stdout for `-`. An existing file that is not empty is
    /// replaced only with `overwrite`: results of an earlier crawl are not lost to a
    /// re-run by accident. With `resume`, an existing file is the crawl's own: it is kept
    /// and written on (the crawl cuts it back to its last commit first).
    pub(crate) fn create(
        path: &str,
        format: Format,
        overwrite: bool,
        resume: bool,
    ) -> io::Result<RecordWriter> {
        if path == "-" {
            return RecordWriter::over(Box::new(io::stdout()), None, format);
        }
        let kept = std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > 0);
        if kept && !overwrite && !resume {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the file exists and is not empty (--overwrite replaces it)",
            ));
        }
        if !resume {
            File::create(path)?;
        }
        // Appending: after the file is cut back, records go on from its new end.
        let file = File::options().create(true).append(true).open(path)?;
        let handle = file.try_clone()?;
        RecordWriter::over(Box::new(file), Some(handle), format)
    }

    fn over(sink: Sink, file: Option<File>, format: Format) -> io::Result<RecordWriter> {
        let empty = file
            .as_ref()
            .map_or(Ok(true), |f| f.metadata().map(|m| m.len() == 0))?;
        let kind = match format {
            Format::Jsonl => Kind::Jsonl(BufWriter::new(sink)),
            Format::Csv => Kind::Csv(Box::new(csv::WriterBuilder::new().from_writer(sink))),
        };
        Ok(RecordWriter {
            header_due: empty && format == Format::Csv,
            kind,
            file,
            contents: None,
            extra_columns: Vec::new(),
        })
    }

    /// Writes the CSV header row if it is due.
    fn header(&mut self) -> io::Result<()> {
        if let (Kind::Csv(w), true) = (&mut self.kind, self.header_due) {
            let extra = self.extra_columns.iter().map(String::as_str);
            w.write_record(CSV_COLUMNS.iter().copied().chain(extra))?;
            self.header_due = false;
        }
        Ok(())
    }

    /// Adds each page's content to its record: JSON fields, or the CSV `columns` after the
    /// outcome's. A CSV file started empty gets them in its header.
    pub(crate) fn with_contents(
        mut self,
        contents: Option<Contents>,
        columns: Vec<String>,
    ) -> RecordWriter {
        if contents.is_none() {
            return self;
        }
        self.contents = contents;
        self.extra_columns = columns;
        self
    }

    /// Writes the record of one outcome (with its page's content, if any).
    pub(crate) fn write(&mut self, outcome: &Outcome) -> io::Result<()> {
        self.header()?;
        let extra = (self.contents.as_ref()).and_then(|c| c.take(outcome.url.as_str()));
        match (&mut self.kind, extra) {
            (Kind::Jsonl(w), None) => {
                serde_json::to_writer(&mut *w, outcome)?;
                w.write_all(b"\n")
            }
            (Kind::Jsonl(w), Some(extra)) => {
                let mut record = serde_json::to_value(outcome)?;
                if let Value::Object(fields) = &mut record {
                    fields.extend(extra);
                }
                serde_json::to_writer(&mut *w, &record)?;
                w.write_all(b"\n")
            }
            (Kind::Csv(w), extra) => {
                let mut record = serde_json::to_value(outcome)?;
                if let (Value::Object(fields), Some(extra)) = (&mut record, extra) {
                    fields.extend(extra);
                }
                let columns = CSV_COLUMNS.iter().copied();
                let columns = columns.chain(self.extra_columns.iter().map(String::as_str));
                w.write_record(columns.map(|c| cell(&record, c)))?;
                Ok(())
            }
        }
    }

    /// An outcome whose record is not written (`--only`): its page's content is dropped.
    pub(crate) fn skip(&mut self, outcome: &Outcome) {
        if let Some(c) = &self.contents {
            c.take(outcome.url.as_str());
        }
    }

    /// Writes out everything buffered.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.header()?;
        match &mut self.kind {
            Kind::Jsonl(w) => w.flush(),
            Kind::Csv(w) => w.flush(),
        }
    }

    /// Whether records go to a file that a durable crawl can cut back.
    pub(crate) fn is_file(&self) -> bool {
        self.file.is_some()
    }

    /// Flushes, and says how long the file is.
    pub(crate) fn position(&mut self) -> io::Result<u64> {
        self.flush()?;
        match &self.file {
            Some(f) => Ok(f.metadata()?.len()),
            None => Ok(0),
        }
    }

    /// Cuts the file back to `position` (before anything is written by this run); a CSV
    /// file cut to nothing gets its header again.
    pub(crate) fn resume_at(&mut self, position: u64) -> io::Result<()> {
        self.flush()?;
        let Some(f) = &self.file else {
            return Ok(());
        };
        if f.metadata()?.len() > position {
            f.set_len(position)?;
            self.header_due = position == 0 && matches!(self.kind, Kind::Csv(_));
        }
        Ok(())
    }
}

/// One CSV cell: the JSON field as text, empty when the record leaves it out (as JSON
/// does for absent values), `false` for the flags JSON omits when unset.
fn cell(record: &Value, column: &str) -> String {
    // `content.title`, `extract.NAME`: a field of a nested object.
    let field = match column.split_once('.') {
        Some((outer, inner)) => record.get(outer).and_then(|o| o.get(inner)),
        None => record.get(column),
    };
    match field {
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
