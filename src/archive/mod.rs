//! WARC/1.1 archives of a crawl: what was exchanged with each server, kept so that it can be
//! validated, indexed, and served again as the site it was.
//!
//! - [`WarcWriter`] takes one [`Exchange`] per completed fetch (the request as sent, the
//!   response as received, the body before content decoding) and writes a `request` record and
//!   a `response` record, or a `revisit` record when asked to and the payload was seen before.
//!   Every file starts with a `warcinfo` record; every record is its own gzip member and
//!   carries `WARC-Block-Digest` (and `WARC-Payload-Digest` for responses, both SHA-1 in
//!   base32); files roll at a size limit, each with a sorted CDXJ index beside it.
//! - [`WarcReader`] iterates over records, [`read_record_at`] reads one record at a CDXJ
//!   offset, and [`WarcRecord::http_response`] parses a response back to status, headers and
//!   body. [`complete_len`] finds where the whole records of a torn file end.
//! - [`ReplayIndex`] looks recorded responses up by URL, and [`ReplayServer`] serves them on
//!   127.0.0.1: recorded status, headers and body; URLs never recorded answer 404.
//!   [`ReplayTransport`] answers a crawl from the archive instead of the network.
//! - In a crawl ([`Crawler::archive`](crate::Crawler::archive)), the fetchers hand every
//!   exchange to a writer thread (`sink`); a durable crawl's commits record where the
//!   files end, and a resumed run cuts them back there ([`WarcWriter::resume`]).
//!
//! Compiled with the `warc` feature.

mod cdxj;
mod digest;
mod encode;
mod error;
mod exchange;
mod http;
mod pool;
mod reader;
mod record;
mod replay;
mod server;
pub(crate) mod sink;
#[cfg(test)]
mod tests;
mod time;
mod transport;
mod writer;

use std::path::PathBuf;

pub use cdxj::{CdxjEntry, read_cdxj, surt};
pub use error::WarcError;
pub use exchange::{BodyForm, Exchange, HeaderLine, RequestHead, ResponseHead};
pub use http::HttpResponse;
pub use reader::{DEFAULT_MAX_BLOCK, WarcReader, WarcRecord, complete_len, read_record_at};
pub use replay::{ReplayIndex, Replayed};
pub use server::ReplayServer;
pub use time::timestamp14;
pub use transport::ReplayTransport;
pub use writer::{Position, RecordLocation, WarcWriter, Written};

/// Size at which a WARC file is closed and the next one started: 1 GB, the size most web
/// archives use.
pub const DEFAULT_MAX_SIZE: u64 = 1_000_000_000;

/// The gzip level of records unless told otherwise: zlib's default, the usual balance.
pub const DEFAULT_COMPRESSION: u32 = 6;

/// Where and how a [`WarcWriter`] writes.
#[derive(Debug, Clone)]
pub struct WarcConfig {
    dir: PathBuf,
    prefix: String,
    max_size: u64,
    revisits: bool,
    compression: u32,
    info: Vec<(String, String)>,
    stamp: Option<String>,
}

impl WarcConfig {
    /// Files `DIR/PREFIX-YYYYMMDDhhmmss-00001.warc.gz` (and `.cdxj`), numbered from 1.
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>, prefix: &str) -> Self {
        Self {
            dir: dir.into(),
            prefix: prefix.to_owned(),
            max_size: DEFAULT_MAX_SIZE,
            revisits: false,
            compression: DEFAULT_COMPRESSION,
            info: Vec::new(),
            stamp: None,
        }
    }

    /// Starts a new file when an exchange would take the current one past `bytes`
    /// (compressed); a file always takes at least one exchange. By default,
    /// [`DEFAULT_MAX_SIZE`].
    #[must_use]
    pub fn max_size(mut self, bytes: u64) -> Self {
        self.max_size = bytes;
        self
    }

    /// Writes a `revisit` record (identical-payload-digest profile, headers only) instead of
    /// a `response` record when a response's payload has the digest of one already written by
    /// this writer. Empty and truncated payloads are always written in full. By default, off.
    #[must_use]
    pub fn revisits(mut self, on: bool) -> Self {
        self.revisits = on;
        self
    }

    /// The gzip level of each record, from 0 (stored) to 9 (smallest). Level 1 writes a
    /// 25 KB HTML page about three times faster than the default, for a file about 30 %
    /// larger (measured in the README). By default, [`DEFAULT_COMPRESSION`].
    #[must_use]
    pub fn compression(mut self, level: u32) -> Self {
        self.compression = level;
        self
    }

    /// Adds a `name: value` field to each file's `warcinfo` record (after `software`,
    /// `format` and `conformsTo`), such as `operator` or `robots`. CR and LF become spaces.
    #[must_use]
    pub fn info(mut self, name: &str, value: &str) -> Self {
        let clean = |s: &str| s.replace(['\r', '\n'], " ");
        self.info.push((clean(name), clean(value)));
        self
    }

    /// Names the files `PREFIX-STAMP-NNNNN` with this stamp instead of the time the writer
    /// starts (`YYYYMMDDhhmmss`). A durable crawl needs one that stays the same across its
    /// runs, so a resumed run finds its files ([`WarcWriter::resume`]). Letters, digits,
    /// `-` and `_` only.
    #[must_use]
    pub fn stamp(mut self, stamp: &str) -> Self {
        self.stamp = Some(stamp.to_owned());
        self
    }

    /// The directory the files go to.
    #[must_use]
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    fn validate(&self) -> Result<(), WarcError> {
        if let Some(stamp) = &self.stamp {
            let plain = !stamp.is_empty()
                && stamp
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
            if !plain {
                return Err(WarcError::Config(format!(
                    "stamp {stamp:?} must be letters, digits, '-' and '_'"
                )));
            }
        }
        if self.compression > 9 {
            return Err(WarcError::Config(format!(
                "gzip level {} is not between 0 and 9",
                self.compression
            )));
        }
        if self.max_size == 0 {
            return Err(WarcError::Config("max_size must be at least 1 byte".into()));
        }
        let plain = !self.prefix.is_empty()
            && self
                .prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && !self.prefix.starts_with('.');
        if !plain {
            return Err(WarcError::Config(format!(
                "prefix {:?} must be a plain file name (letters, digits, '-', '_', '.')",
                self.prefix
            )));
        }
        Ok(())
    }
}
