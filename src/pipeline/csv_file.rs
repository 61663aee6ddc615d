//! The CSV item sink: one row per item, the header row taken from the item's field names.
//!
//! Beside [`JsonLines`](super::JsonLines) for items that are flat records (a struct of
//! strings and numbers), which spreadsheets and `csv`-reading tools take as they are. The
//! `csv` crate writes the rows (it is also what the `trawler` command's `--format csv` uses).

use super::Pipeline;
use crate::error::BoxError;
use serde::Serialize;
use std::io::Write;

/// Writes each item as one CSV row, after a header row made of the first item's field
/// names (a struct's fields, in order).
///
/// An item that does not fit a row (a nested struct or a list in a field, a field count
/// that differs from the first item's) is dropped and counted as an item error.
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
#[derive(Debug)]
pub struct Csv<W: Write + Send + 'static> {
    out: std::io::BufWriter<W>,
    /// Fields per row, set by the first item.
    fields: Option<usize>,
}

impl<W: Write + Send + 'static> Csv<W> {
    /// Writes to `out` (buffered; flushed on close).
    pub fn new(out: W) -> Self {
        Csv {
            out: std::io::BufWriter::new(out),
            fields: None,
        }
    }
}

impl Csv<std::fs::File> {
    /// Creates (or truncates) the file at `path`.
    pub fn create(path: impl AsRef<std::path::Path>) -> std::io::Result<Self> {
        std::fs::File::create(path).map(Csv::new)
    }
}

impl<I: Serialize + Send + 'static, W: Write + Send + 'static> Pipeline<I> for Csv<W> {
    async fn process_item(&mut self, item: I) -> Result<Option<I>, BoxError> {
        let row = Row::of(&item)?;
        match self.fields {
            None => {
                self.out.write_all(&row.bytes)?;
                self.fields = Some(row.fields);
            }
            Some(n) if n == row.fields => self.out.write_all(&row.bytes[row.start..])?,
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
        let bytes = sink.out.into_inner().unwrap();
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
