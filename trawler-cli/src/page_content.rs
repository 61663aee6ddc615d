//! `--content` and `--extract`: each HTML page's content, worked out by the spider on the
//! parser threads and added to the page's record when its outcome is written.
//!
//! The spider leaves what it found in [`Contents`], by URL; a page is parsed before its
//! outcome is recorded, so the record writer takes the entry out when it writes the URL's
//! record (or drops it when `--only` leaves the record out). Entries live only between a
//! page's parse and its outcome. Without either flag the spider does nothing, and no DOM
//! is built for it.

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use trawler::content::{ContentFormat, NamedSelectors, PageContent};
use trawler::prelude::*;

/// Each parsed page's content, by URL, until its record is written.
#[derive(Debug, Clone, Default)]
pub(crate) struct Contents(Arc<Mutex<HashMap<String, Map<String, Value>>>>);

impl Contents {
    /// Takes the fields found for `url`, if its page was parsed.
    pub(crate) fn take(&self, url: &str) -> Option<Map<String, Value>> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(url)
    }

    fn put(&self, url: &str, fields: Map<String, Value>) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(url.to_string(), fields);
    }
}

/// The `trawler crawl` spider: every link followed; content and selectors when asked for.
#[derive(Debug)]
pub(crate) struct ContentSpider {
    format: Option<ContentFormat>,
    selectors: Option<NamedSelectors>,
    contents: Contents,
    /// Where rendered pages' screenshots are saved (`--screenshots`).
    screenshots: Option<PathBuf>,
}

impl ContentSpider {
    /// A spider extracting `format`'s content and `selectors`' text; with neither, it does
    /// nothing and there are no contents.
    pub(crate) fn new(
        format: Option<ContentFormat>,
        selectors: Option<NamedSelectors>,
    ) -> (ContentSpider, Option<Contents>) {
        let contents = Contents::default();
        let wanted = (format.is_some() || selectors.is_some()).then(|| contents.clone());
        let spider = ContentSpider {
            format,
            selectors,
            contents,
            screenshots: None,
        };
        (spider, wanted)
    }

    /// Saves each rendered page's screenshot under `dir`, by host and path, `.png` added.
    pub(crate) fn screenshots(mut self, dir: Option<&Path>) -> Self {
        self.screenshots = dir.map(Path::to_path_buf);
        self
    }

    /// The extra columns of a CSV record, in order.
    pub(crate) fn columns(&self) -> Vec<String> {
        let mut columns = Vec::new();
        if let Some(format) = self.format {
            columns.extend(
                ["title", "description", "language", "text"].map(|c| format!("content.{c}")),
            );
            match format {
                ContentFormat::Markdown => columns.push("content.markdown".into()),
                ContentFormat::Html => columns.push("content.html".into()),
                _ => {}
            }
            columns.push("content.none".into());
        }
        if let Some(s) = &self.selectors {
            columns.extend(s.names().map(|n| format!("extract.{n}")));
        }
        columns
    }
}

impl Spider for ContentSpider {
    type Item = ();

    fn parse(&self, page: &Page<'_>, _out: &mut Output<()>) -> Result<(), BoxError> {
        if let (Some(dir), Some(png)) = (&self.screenshots, page.screenshot()) {
            let saved = trawler::save::SavePath::for_url(page.url())
                .and_then(|p| trawler::save::write_under(dir, &p.with_extension("png"), png));
            if let Err(e) = saved {
                tracing::warn!(url = %page.url(), "cannot save the screenshot: {e}");
            }
        }
        if self.format.is_none() && self.selectors.is_none() {
            return Ok(());
        }
        let mut fields = Map::new();
        if let Some(format) = self.format {
            let found = PageContent::extract(page.text(), page.url(), format);
            fields.insert("content".into(), Value::Object(content_fields(found)));
        }
        if let Some(selectors) = &self.selectors {
            let texts = selectors.first(page.html());
            let texts = texts
                .into_iter()
                .map(|(name, text)| (name.to_string(), text.map_or(Value::Null, Value::String)));
            fields.insert("extract".into(), Value::Object(texts.collect()));
        }
        self.contents.put(page.url().as_str(), fields);
        Ok(())
    }
}

/// `{"title", "description", "language", "text", "markdown"|"html"}`, or `"none"` saying
/// why there is no main content; absent values left out.
fn content_fields(c: PageContent) -> Map<String, Value> {
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            m.insert(k.to_string(), Value::String(v));
        }
    };
    put("title", c.title);
    put("description", c.description);
    put("language", c.language);
    match c.main {
        Ok(main) => {
            put("text", Some(main.text));
            put("markdown", main.markdown);
            put("html", main.html);
        }
        Err(why) => put("none", Some(why.to_string())),
    }
    m
}
