//! [`ReplayIndex`]: the recorded responses of a set of WARC files, looked up by URL.
//!
//! Opening scans every record once and keeps only where each response sits (file and offset);
//! a lookup reads that one record back by offset. When a URL was recorded more than once, the
//! last record wins, as the site was when the crawl ended. A `revisit` record is answered with
//! its own status and headers and the body of the record it refers to.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use url::Url;

use super::exchange::HeaderLine;
use super::reader::{WarcReader, read_record_at};
use super::{WarcError, WarcRecord};

/// A response as recorded, ready to be served again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replayed {
    /// The recorded URL.
    pub url: String,
    /// The recorded status code.
    pub status: u16,
    /// The recorded header lines, in order.
    pub headers: Vec<HeaderLine>,
    /// The recorded body, chunk framing undone, content coding kept.
    pub body: Vec<u8>,
    /// Whether the recorded body was cut at a size cap (`WARC-Truncated`).
    pub truncated: bool,
}

#[derive(Debug, Clone, Copy)]
struct Location {
    file: usize,
    offset: u64,
}

/// Responses of WARC files by URL; see the module docs.
#[derive(Debug)]
pub struct ReplayIndex {
    files: Vec<PathBuf>,
    by_url: HashMap<String, Location>,
    by_id: HashMap<String, Location>,
    origins: Vec<String>,
}

impl ReplayIndex {
    /// Indexes the `response` and `revisit` records of `files`.
    ///
    /// # Errors
    ///
    /// The first [`WarcError`] met reading any file.
    pub fn open<P: AsRef<Path>>(files: &[P]) -> Result<Self, WarcError> {
        let mut index = Self {
            files: files.iter().map(|p| p.as_ref().to_path_buf()).collect(),
            by_url: HashMap::new(),
            by_id: HashMap::new(),
            origins: Vec::new(),
        };
        for (file, path) in files.iter().enumerate() {
            let path = path.as_ref();
            let in_file = |e: WarcError| match e {
                WarcError::Io { .. } => e,
                e => WarcError::InFile {
                    path: path.to_path_buf(),
                    source: Box::new(e),
                },
            };
            for record in WarcReader::open(path).map_err(in_file)? {
                index.add(file, &record.map_err(in_file)?);
            }
        }
        Ok(index)
    }

    fn add(&mut self, file: usize, record: &WarcRecord) {
        if !matches!(record.kind(), "response" | "revisit") {
            return;
        }
        let Some(url) = record.target_uri().and_then(|u| Url::parse(u).ok()) else {
            return;
        };
        let at = Location {
            file,
            offset: record.offset,
        };
        let origin = url.origin().ascii_serialization();
        if !self.origins.contains(&origin) {
            self.origins.push(origin);
        }
        self.by_id.insert(record.record_id().to_owned(), at);
        self.by_url.insert(key(&url), at);
    }

    /// How many distinct URLs have a recorded response.
    #[must_use]
    pub fn len(&self) -> usize {
        self.by_url.len()
    }

    /// Whether no response was recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_url.is_empty()
    }

    /// Every recorded URL, in no particular order.
    pub fn urls(&self) -> impl Iterator<Item = &str> {
        self.by_url.keys().map(String::as_str)
    }

    /// The origins (`http://host:port`) of the recorded URLs, in the order first recorded.
    #[must_use]
    pub fn origins(&self) -> &[String] {
        &self.origins
    }

    /// The recorded response for `url` (its fragment ignored), or `None` if it was never
    /// recorded.
    ///
    /// # Errors
    ///
    /// A [`WarcError`] if the record cannot be read back, or a revisit's original is missing.
    pub fn get(&self, url: &Url) -> Result<Option<Replayed>, WarcError> {
        let Some(&at) = self.by_url.get(&key(url)) else {
            return Ok(None);
        };
        let record = read_record_at(&self.files[at.file], at.offset)?;
        let response = record.http_response()?;
        let mut body = response.body;
        if record.kind() == "revisit" {
            let refers_to = record.field("WARC-Refers-To").unwrap_or_default();
            let missing = || WarcError::MissingOriginal {
                record_id: record.record_id().to_owned(),
                refers_to: refers_to.to_owned(),
            };
            let original = self.by_id.get(refers_to).ok_or_else(missing)?;
            let original = read_record_at(&self.files[original.file], original.offset)?;
            body = original.http_response()?.body;
        }
        Ok(Some(Replayed {
            url: record.target_uri().unwrap_or_default().to_owned(),
            status: response.head.status,
            headers: response.head.headers,
            body,
            truncated: record.field("WARC-Truncated").is_some(),
        }))
    }
}

fn key(url: &Url) -> String {
    let mut url = url.clone();
    url.set_fragment(None);
    url.into()
}
