//! Reading archives back: records in order, one record at a given offset, and the length of
//! the whole records at the start of a file whose tail may be torn.
//!
//! Each record is expected in its own gzip member, as [`WarcWriter`](super::WarcWriter) and
//! most WARC tools write them: the reader decodes one member at a time from a byte-counting
//! `BufRead`, which is what gives every record its offset and on-disk length (the numbers a
//! CDXJ line carries). Blocks are read into memory, bounded by [`DEFAULT_MAX_BLOCK`].

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use flate2::bufread::GzDecoder;

use super::WarcError;
use super::digest::sha1_base32;
use super::http::{HttpResponse, parse_response, parse_response_head};

/// Largest block the reader loads unless told otherwise (a record's `Content-Length`).
pub const DEFAULT_MAX_BLOCK: u64 = 256 * 1024 * 1024;
/// Largest record head (version line and fields) accepted.
const MAX_HEAD: usize = 64 * 1024;

/// One record read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarcRecord {
    /// Offset of the record's gzip member in the file.
    pub offset: u64,
    /// Length of the gzip member in the file.
    pub length: u64,
    /// The version line, `WARC/1.1`.
    pub version: String,
    /// Named fields in order, as written.
    pub fields: Vec<(String, String)>,
    /// The block (`Content-Length` bytes).
    pub block: Vec<u8>,
}

impl WarcRecord {
    /// The first value of field `name` (case-insensitive).
    #[must_use]
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `WARC-Type`: `warcinfo`, `request`, `response`, `revisit`, ... (empty if missing).
    #[must_use]
    pub fn kind(&self) -> &str {
        self.field("WARC-Type").unwrap_or("")
    }

    /// `WARC-Record-ID` (empty if missing).
    #[must_use]
    pub fn record_id(&self) -> &str {
        self.field("WARC-Record-ID").unwrap_or("")
    }

    /// `WARC-Target-URI`.
    #[must_use]
    pub fn target_uri(&self) -> Option<&str> {
        self.field("WARC-Target-URI")
    }

    /// The HTTP response in a `response` or `revisit` record: status, headers and the body
    /// with chunk framing undone (empty for a revisit, whose payload lives in the record it
    /// refers to).
    ///
    /// # Errors
    ///
    /// [`WarcError::Http`] if the block is not an HTTP response.
    pub fn http_response(&self) -> Result<HttpResponse, WarcError> {
        parse_response(&self.block).map_err(|reason| WarcError::Http {
            record_id: self.record_id().to_owned(),
            reason,
        })
    }

    /// Checks `WARC-Block-Digest` and, for a `response`, `WARC-Payload-Digest` (computed over
    /// the payload as stored, chunk framing included, as warcio checks it). `Ok` if every
    /// digest present matches; `Err` names the first that does not.
    ///
    /// # Errors
    ///
    /// A message naming the digest that does not match, or the unparsable HTTP head.
    pub fn verify_digests(&self) -> Result<(), String> {
        if let Some(expected) = self.field("WARC-Block-Digest") {
            let actual = sha1_base32(&self.block);
            if actual != expected {
                return Err(format!("block digest {expected}, computed {actual}"));
            }
        }
        if let (Some(expected), "response") = (self.field("WARC-Payload-Digest"), self.kind()) {
            let (_, head_len) = parse_response_head(&self.block)?;
            let actual = sha1_base32(&self.block[head_len..]);
            if actual != expected {
                return Err(format!("payload digest {expected}, computed {actual}"));
            }
        }
        Ok(())
    }
}

/// A `BufRead` that counts the bytes taken from it.
#[derive(Debug)]
struct Counting<R> {
    inner: R,
    pos: u64,
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.pos += amt as u64;
        self.inner.consume(amt);
    }
}

/// Iterates over the records of a record-at-a-time gzipped WARC; stops after the first error.
#[derive(Debug)]
pub struct WarcReader<R> {
    input: Counting<R>,
    max_block: u64,
    failed: bool,
}

impl WarcReader<BufReader<File>> {
    /// Opens a `.warc.gz` file.
    ///
    /// # Errors
    ///
    /// [`WarcError::Io`] if it cannot be opened.
    pub fn open(path: &Path) -> Result<Self, WarcError> {
        let file = File::open(path).map_err(|e| WarcError::io(path, e))?;
        Ok(Self::new(BufReader::with_capacity(64 * 1024, file), 0))
    }
}

impl<R: BufRead> WarcReader<R> {
    /// Reads records from `input`, whose first byte is at file offset `offset`.
    pub fn new(input: R, offset: u64) -> Self {
        Self {
            input: Counting {
                inner: input,
                pos: offset,
            },
            max_block: DEFAULT_MAX_BLOCK,
            failed: false,
        }
    }

    /// Sets the largest block loaded. By default, [`DEFAULT_MAX_BLOCK`].
    #[must_use]
    pub fn max_block(mut self, bytes: u64) -> Self {
        self.max_block = bytes;
        self
    }

    fn next_record(&mut self) -> Result<Option<WarcRecord>, WarcError> {
        let offset = self.input.pos;
        let malformed = |reason: String| WarcError::Malformed { offset, reason };
        match self.input.fill_buf() {
            Ok([]) => return Ok(None),
            Ok(_) => {}
            Err(e) => return Err(malformed(format!("read error: {e}"))),
        }
        let mut member = BufReader::new(GzDecoder::new(&mut self.input));
        let head = read_head(&mut member).map_err(malformed)?;
        let mut lines = head.split("\r\n");
        let version = lines.next().unwrap_or_default().to_owned();
        if !version.starts_with("WARC/") {
            return Err(malformed(format!("no WARC version line: {version:.40?}")));
        }
        let fields: Vec<(String, String)> = lines
            .filter(|l| !l.is_empty())
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let len = fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
            .and_then(|(_, v)| v.parse::<u64>().ok())
            .ok_or_else(|| malformed("no valid Content-Length".into()))?;
        if len > self.max_block {
            return Err(WarcError::TooLarge {
                offset,
                len,
                max: self.max_block,
            });
        }
        let mut block = Vec::with_capacity(usize::try_from(len.min(1 << 20)).unwrap_or(0));
        (&mut member)
            .take(len)
            .read_to_end(&mut block)
            .map_err(|e| malformed(format!("block: {e}")))?;
        if block.len() as u64 != len {
            return Err(malformed("the block is cut short".into()));
        }
        let mut tail = Vec::new();
        (&mut member)
            .take(MAX_HEAD as u64)
            .read_to_end(&mut tail)
            .map_err(|e| malformed(format!("end of record: {e}")))?;
        if tail != b"\r\n\r\n" {
            return Err(malformed(
                "the gzip member does not end after one record".into(),
            ));
        }
        drop(member);
        Ok(Some(WarcRecord {
            offset,
            length: self.input.pos - offset,
            version,
            fields,
            block,
        }))
    }
}

/// The version line and fields, up to (not including) the empty line.
fn read_head(member: &mut impl BufRead) -> Result<String, String> {
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let n = member
            .take((MAX_HEAD + 2 - before) as u64)
            .read_until(b'\n', &mut head)
            .map_err(|e| format!("record head: {e}"))?;
        if n == 0 {
            return Err("the record head is cut short".into());
        }
        if &head[before..] == b"\r\n" {
            head.truncate(before.saturating_sub(2));
            return String::from_utf8(head).map_err(|_| "the record head is not UTF-8".into());
        }
        if head.len() > MAX_HEAD {
            return Err(format!("the record head exceeds {MAX_HEAD} bytes"));
        }
    }
}

impl<R: BufRead> Iterator for WarcReader<R> {
    type Item = Result<WarcRecord, WarcError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let result = self.next_record().transpose();
        if matches!(result, Some(Err(_))) {
            self.failed = true;
        }
        result
    }
}

/// Reads the one record whose gzip member starts at `offset` (a CDXJ line's `offset`).
///
/// # Errors
///
/// [`WarcError::Io`] if the file cannot be opened or seeked; [`WarcError::Malformed`] if no
/// record starts there.
pub fn read_record_at(path: &Path, offset: u64) -> Result<WarcRecord, WarcError> {
    let mut file = File::open(path).map_err(|e| WarcError::io(path, e))?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| WarcError::io(path, e))?;
    WarcReader::new(BufReader::new(file), offset)
        .next()
        .unwrap_or_else(|| {
            Err(WarcError::Malformed {
                offset,
                reason: "end of file".into(),
            })
        })
}

/// The length of the file up to the end of its last whole, readable record: where to
/// truncate a file whose tail was torn by a crash.
///
/// # Errors
///
/// [`WarcError::Io`] if the file cannot be opened.
pub fn complete_len(path: &Path) -> Result<u64, WarcError> {
    let mut end = 0;
    for record in WarcReader::open(path)? {
        match record {
            Ok(r) => end = r.offset + r.length,
            Err(_) => break,
        }
    }
    Ok(end)
}
