//! The CSV item sink: one row per item, the header row taken from the item's field names.
//!
//! Beside [`JsonLines`](super::JsonLines) for items that are flat records (a struct of
//! strings and numbers), which spreadsheets and `csv`-reading tools take as they are. The
//! `csv` crate writes the rows (it is also what the `trawler` command's `--format csv` uses).

use super::{Output, Pipeline};
use crate::error::BoxError;
use serde::Serialize;
use std::io::Write;

/// Writes each item as one CSV row, after a header row made of the first item's field
/// names (a struct's fields, in order).
///
/// An item that does not fit a row (a nested struct or a list in a field, a field count
/// that differs from the first item's) is dropped and counted as an item error.
///
/// In a durable crawl, a file opened with [`append`](Csv::append) holds each page's rows
/// once however often the crawl is killed and resumed, as
/// [`JsonLines::append`](super::JsonLines::append) does: its length is part of each commit,
/// and it is cut back to the last commit's length on resume (the header row stays, or is
/// written again when nothing was committed).
///
/// ```no_run
/// use trawler::prelude::*;
///
/// #[derive(Clone, Serialize)]
/// #[serde(crate = "trawler::serde")] // the derive through trawler's re-export: no serde dependency
/// struct Heading {
///     url: String,
///     text: String,
/// }
///
/// let spider = FnSpider::new().on_page(|page, out| {
///     if let Ok(h1) = Selector::parse("h1") {
///         for h in page.select(&h1) {
///             out.item(Heading { url: page.url().to_string(), text: h.normalized_text() });
///         }
///     }
/// });
/// let config = CrawlConfig::builder().seed("http://127.0.0.1:8080/").build()?;
/// Crawler::new(config, spider).pipeline(Csv::create("headings.csv")?).run()?;
/// # Ok::<(), BoxError>(())
/// ```
pub struct Csv<W: Write + Send + 'static> {
    out: Output<W>,
    /// Fields per row, set by the first item.
    fields: Option<usize>,
    /// Whether the output has its header row (a file appended to has it already).
    has_header: bool,
}

impl<W: Write + Send + 'static> std::fmt::Debug for Csv<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Csv")
            .field("fields", &self.fields)
            .field("written", &self.out.written())
            .finish_non_exhaustive()
    }
}

impl<W: Write + Send + 'static> Csv<W> {
    /// Writes to `out` (buffered; flushed on close).
    pub fn new(out: W) -> Self {
        Csv::over(Output::new(out))
    }

    fn over(out: Output<W>) -> Self {
        Csv {
            has_header: out.written() > 0,
            out,
            fields: None,
        }
    }
}

impl Csv<std::fs::File> {
    /// Creates (or truncates) the file at `path`.
    pub fn create(path: impl AsRef<std::path::Path>) -> std::io::Result<Self> {
        Output::create(path).map(Csv::over)
    }

    /// Opens the file at `path` to append to (created if missing): the form for a durable
    /// crawl, whose resumed runs go on writing where the last commit left the file. A file
    /// that is not empty has its header row already.
    pub fn append(path: impl AsRef<std::path::Path>) -> std::io::Result<Self> {
        Output::append(path).map(Csv::over)
    }
}

impl<I: Serialize + Send + 'static, W: Write + Send + 'static> Pipeline<I> for Csv<W> {
    async fn process_item(&mut self, item: I) -> Result<Option<I>, BoxError> {
        let row = Row::of(&item)?;
        match self.fields {
            None => {
                let from = if self.has_header { row.start } else { 0 };
                self.out.write(&row.bytes[from..])?;
                self.fields = Some(row.fields);
                self.has_header = true;
            }
            Some(n) if n == row.fields => self.out.write(&row.bytes[row.start..])?,
            Some(n) => {
                return Err(
                    format!("an item with {} fields in CSV rows of {n}", row.fields).into(),
                );
            }
        }
        Ok(Some(item))
    }

    async fn close(&mut self) -> Result<(), BoxError> {
        self.out.flush()?;
        Ok(())
    }

    async fn position(&mut self) -> Result<Option<u64>, BoxError> {
        Ok(self.out.position()?)
    }

    async fn resume_at(&mut self, position: u64) -> Result<(), BoxError> {
        self.out.resume_at(position)?;
        self.has_header = self.out.written() > 0;
        Ok(())
    }
}

/// One item as CSV, made apart so that an item that fails halfway leaves nothing behind in
/// the file: `bytes` holds the header row (for a struct or a map) and the row, the row
/// starting at `start`.
struct Row {
    bytes: Vec<u8>,
    start: usize,
    fields: usize,
}

impl Row {
    fn of<T: Serialize>(item: &T) -> Result<Row, BoxError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(item)?;
        let bytes = w.into_inner().map_err(|e| e.into_error())?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes.as_slice());
        let (mut record, mut start, mut fields) = (csv::ByteRecord::new(), 0, 0);
        while reader.read_byte_record(&mut record)? {
            start = record.position().map_or(0, |p| p.byte() as usize);
            fields = record.len();
        }
        Ok(Row {
            bytes,
            start,
            fields,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Page {
        url: &'static str,
        words: u32,
    }

    #[derive(Serialize)]
    struct Nested {
        url: &'static str,
        tags: Vec<&'static str>,
    }

    fn run<I: Serialize + Send + 'static>(items: Vec<I>) -> (String, usize) {
        let mut sink = Csv::new(Vec::new());
        let mut errors = 0;
        futures_util::future::FutureExt::now_or_never(async {
            for item in items {
                if sink.process_item(item).await.is_err() {
                    errors += 1;
                }
            }
            <Csv<Vec<u8>> as Pipeline<I>>::close(&mut sink)
                .await
                .unwrap();
        })
        .expect("no await point blocks");
        let bytes = sink.out.into_inner();
        (String::from_utf8(bytes).unwrap(), errors)
    }

    #[test]
    fn a_header_then_one_row_per_item() {
        let (text, errors) = run(vec![
            Page {
                url: "http://a.test/",
                words: 3,
            },
            Page {
                url: "http://a.test/x,y",
                words: 0,
            },
        ]);
        assert_eq!(errors, 0);
        assert_eq!(
            text,
            "url,words\nhttp://a.test/,3\n\"http://a.test/x,y\",0\n"
        );
    }

    fn page(url: &'static str) -> Page {
        Page { url, words: 1 }
    }

    /// Runs `f` on `sink`, which never blocks.
    fn now<T>(f: impl std::future::Future<Output = T>) -> T {
        futures_util::future::FutureExt::now_or_never(f).expect("no await point blocks")
    }

    #[test]
    fn an_appended_file_is_cut_back_to_a_position_and_keeps_one_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("items.csv");
        let mut c = Csv::append(&path).unwrap();
        now(c.process_item(page("http://a.test/1"))).unwrap();
        let committed = now(<Csv<_> as Pipeline<Page>>::position(&mut c)).unwrap();
        now(c.process_item(page("http://a.test/2"))).unwrap();
        now(<Csv<_> as Pipeline<Page>>::close(&mut c)).unwrap();
        drop(c); // killed after the second row, before a commit
        let mut c = Csv::append(&path).unwrap();
        now(<Csv<_> as Pipeline<Page>>::resume_at(
            &mut c,
            committed.unwrap(),
        ))
        .unwrap();
        now(c.process_item(page("http://a.test/2"))).unwrap();
        now(<Csv<_> as Pipeline<Page>>::close(&mut c)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "url,words\nhttp://a.test/1,1\nhttp://a.test/2,1\n");
        // Nothing committed: cut to nothing, the header comes again.
        let mut c = Csv::append(&path).unwrap();
        now(<Csv<_> as Pipeline<Page>>::resume_at(&mut c, 0)).unwrap();
        now(c.process_item(page("http://a.test/3"))).unwrap();
        now(<Csv<_> as Pipeline<Page>>::close(&mut c)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "url,words\nhttp://a.test/3,1\n");
        let mut memory = Csv::new(Vec::new());
        assert_eq!(
            now(<Csv<_> as Pipeline<Page>>::position(&mut memory)).unwrap(),
            None,
            "no position where nothing can be cut back"
        );
    }

    #[test]
    fn items_that_do_not_fit_a_row_are_errors_and_leave_nothing_behind() {
        let (text, errors) = run(vec![Nested {
            url: "http://a.test/",
            tags: vec!["a", "b"],
        }]);
        assert_eq!((text.as_str(), errors), ("", 1));
        let (text, errors) = run(vec![vec![1, 2], vec![3], vec![4, 5]]);
        assert_eq!(errors, 1);
        assert_eq!(text, "1,2\n4,5\n");
    }
}
