//! Item pipelines: where a spider's items go, one after another, off the parser threads.
//!
//! A [`Pipeline`] is async (writing to a file, a database, a socket), runs on the crawl's
//! supervisor thread, and sees items in the order pages finish. Each page's items hold
//! that page's place in the crawl's concurrency budget until the pipelines are done with
//! them, so a slow pipeline slows the crawl down instead of filling memory.
//! Built in: [`JsonLines`] and [`Csv`] (files), [`Collect`] (memory).

mod csv_file;
mod output;

pub use csv_file::Csv;
use output::Output;

use crate::error::BoxError;
use serde::Serialize;
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

/// A stage that items pass through.
///
/// ```no_run
/// use std::collections::HashSet;
/// use trawler::prelude::*;
///
/// /// Drops items already seen (by title) and counts the rest.
/// #[derive(Default)]
/// struct Dedup {
///     seen: HashSet<String>,
/// }
///
/// impl Pipeline<String> for Dedup {
///     async fn process_item(&mut self, title: String) -> Result<Option<String>, BoxError> {
///         Ok(self.seen.insert(title.clone()).then_some(title))
///     }
///
///     async fn close(&mut self) -> Result<(), BoxError> {
///         eprintln!("{} distinct titles", self.seen.len());
///         Ok(())
///     }
/// }
///
/// let spider = FnSpider::new().on_html("title", |t, out| out.item(t.normalized_text()));
/// let config = CrawlConfig::builder().seed("http://127.0.0.1:8080/").build()?;
/// let report = Crawler::new(config, spider)
///     .pipeline(Dedup::default())
///     .pipeline(JsonLines::create("titles.jsonl")?)
///     .run()?;
/// # Ok::<(), BoxError>(())
/// ```
pub trait Pipeline<I>: Send + 'static {
    /// Handles one item: `Ok(Some(item))` passes it (possibly changed) to the next stage,
    /// `Ok(None)` drops it, `Err` drops it and counts an item error in the report.
    fn process_item(&mut self, item: I) -> impl Future<Output = Result<Option<I>, BoxError>>;

    /// Called once after the last item (flush files, commit transactions). An `Err` is
    /// counted as an item error. By default, does nothing.
    fn close(&mut self) -> impl Future<Output = Result<(), BoxError>> {
        async { Ok(()) }
    }

    /// The commit hook of a durable crawl (see [`DiskStore`](crate::store)): makes every
    /// item handled so far reach the operating system (a flush) and says how far the
    /// output goes, e.g. a file's length. Each commit of the crawl records it, with the
    /// outcomes of the pages whose items came before. `None` (the default): nothing to
    /// cut back on resume; the items of pages fetched again are passed again.
    fn position(&mut self) -> impl Future<Output = Result<Option<u64>, BoxError>> {
        async { Ok(None) }
    }

    /// Called once, before the first item, when a durable crawl starts or resumes: cuts the
    /// output back to `position`, what the last commit recorded (0 when nothing was
    /// committed). The items cut are those of pages that are fetched again, so each page's
    /// items end up in the output once. By default, does nothing.
    fn resume_at(&mut self, position: u64) -> impl Future<Output = Result<(), BoxError>> {
        let _ = position;
        async { Ok(()) }
    }
}

type LocalBoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Object-safe form of [`Pipeline`], so a crawl can chain pipelines of different types.
pub(crate) trait DynPipeline<I>: Send {
    fn process<'a>(&'a mut self, item: I) -> LocalBoxFuture<'a, Result<Option<I>, BoxError>>;
    fn close_boxed(&mut self) -> LocalBoxFuture<'_, Result<(), BoxError>>;
    fn position_boxed(&mut self) -> LocalBoxFuture<'_, Result<Option<u64>, BoxError>>;
    fn resume_at_boxed(&mut self, position: u64) -> LocalBoxFuture<'_, Result<(), BoxError>>;
}

impl<I: 'static, P: Pipeline<I>> DynPipeline<I> for P {
    fn process<'a>(&'a mut self, item: I) -> LocalBoxFuture<'a, Result<Option<I>, BoxError>> {
        Box::pin(self.process_item(item))
    }
    fn close_boxed(&mut self) -> LocalBoxFuture<'_, Result<(), BoxError>> {
        Box::pin(self.close())
    }

    fn position_boxed(&mut self) -> LocalBoxFuture<'_, Result<Option<u64>, BoxError>> {
        Box::pin(self.position())
    }

    fn resume_at_boxed(&mut self, position: u64) -> LocalBoxFuture<'_, Result<(), BoxError>> {
        Box::pin(self.resume_at(position))
    }
}

/// Writes each item as one line of JSON.
///
/// In a durable crawl, a file opened with [`append`](JsonLines::append) holds each page's
/// items once however often the crawl is killed and resumed: its length is part of each
/// commit, and it is cut back to the last commit's length on resume.
pub struct JsonLines<W: Write + Send + 'static> {
    out: Output<W>,
}

impl<W: Write + Send + 'static> std::fmt::Debug for JsonLines<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonLines")
            .field("written", &self.out.written())
            .finish_non_exhaustive()
    }
}

impl<W: Write + Send + 'static> JsonLines<W> {
    /// Writes to `out` (buffered; flushed on close).
    pub fn new(out: W) -> Self {
        JsonLines {
            out: Output::new(out),
        }
    }
}

impl JsonLines<std::fs::File> {
    /// Creates (or truncates) the file at `path`.
    pub fn create(path: impl AsRef<std::path::Path>) -> std::io::Result<Self> {
        Output::create(path).map(|out| JsonLines { out })
    }

    /// Opens the file at `path` to append to (created if missing): the form for a durable
    /// crawl, whose resumed runs go on writing where the last commit left the file.
    pub fn append(path: impl AsRef<std::path::Path>) -> std::io::Result<Self> {
        Output::append(path).map(|out| JsonLines { out })
    }
}

impl<I: Serialize + Send + 'static, W: Write + Send + 'static> Pipeline<I> for JsonLines<W> {
    async fn process_item(&mut self, item: I) -> Result<Option<I>, BoxError> {
        let mut line = serde_json::to_vec(&item)?;
        line.push(b'\n');
        self.out.write(&line)?;
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
        Ok(self.out.resume_at(position)?)
    }
}

/// Collects items in memory; read them through the [`Collected`] handle.
#[derive(Debug)]
pub struct Collect<I> {
    items: Arc<Mutex<Vec<I>>>,
}

/// The reading end of a [`Collect`] pipeline.
#[derive(Debug, Clone)]
pub struct Collected<I> {
    items: Arc<Mutex<Vec<I>>>,
}

impl<I> Collect<I> {
    /// A collector and the handle to read its items after (or during) the crawl.
    pub fn new() -> (Collect<I>, Collected<I>) {
        let items = Arc::new(Mutex::new(Vec::new()));
        (
            Collect {
                items: items.clone(),
            },
            Collected { items },
        )
    }
}

impl<I> Collected<I> {
    /// Takes the items collected so far.
    pub fn take(&self) -> Vec<I> {
        std::mem::take(&mut *self.items.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// How many items are held.
    pub fn len(&self) -> usize {
        self.items.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no item is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<I: Clone + Send + 'static> Pipeline<I> for Collect<I> {
    async fn process_item(&mut self, item: I) -> Result<Option<I>, BoxError> {
        self.items
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(item.clone());
        Ok(Some(item))
    }
}
