//! [`WarcError`]: everything that can go wrong writing, reading or replaying an archive.

use std::io;
use std::path::PathBuf;

/// A failure of the archive writer, reader or replay index.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WarcError {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file (or directory) involved.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The bytes at `offset` are not a WARC record (or not a gzip member holding one).
    #[error("no valid WARC record at offset {offset}: {reason}")]
    Malformed {
        /// Offset of the record (of its gzip member) in the file.
        offset: u64,
        /// What was wrong.
        reason: String,
    },
    /// The record at `offset` declares a block larger than the reader accepts.
    #[error("record at offset {offset} has a {len}-byte block, over the {max}-byte limit")]
    TooLarge {
        /// Offset of the record in the file.
        offset: u64,
        /// Its declared `Content-Length`.
        len: u64,
        /// The reader's limit.
        max: u64,
    },
    /// The HTTP message inside a record could not be parsed.
    #[error("the HTTP message of record {record_id} is malformed: {reason}")]
    Http {
        /// `WARC-Record-ID` of the record.
        record_id: String,
        /// What was wrong.
        reason: String,
    },
    /// A revisit record refers to a record that is not in the archive.
    #[error("revisit record {record_id} refers to {refers_to}, which is not in the archive")]
    MissingOriginal {
        /// `WARC-Record-ID` of the revisit record.
        record_id: String,
        /// Its `WARC-Refers-To`.
        refers_to: String,
    },
    /// A write failed earlier: the file may end in a torn record past
    /// [`WarcWriter::position`](super::WarcWriter::position), and nothing more is written.
    #[error("an earlier write failed; the writer accepts no more records")]
    Poisoned,
    /// What went wrong in one of several files (reading an archive of many).
    #[error("{}: {source}", path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// What went wrong in it.
        #[source]
        source: Box<WarcError>,
    },
    /// The writer's configuration is unusable.
    #[error("invalid WARC writer configuration: {0}")]
    Config(String),
}

impl WarcError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
