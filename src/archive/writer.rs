//! [`WarcWriter`]: exchanges in, WARC/1.1 files and their CDXJ indexes out.
//!
//! Each file starts with a `warcinfo` record; each exchange adds a `request` record and a
//! `response` record (or, with revisits on, a `revisit` record when an earlier response had
//! the same payload), each its own gzip member, linked both ways by `WARC-Concurrent-To`. The
//! two records of an exchange are written with one `write_all`, so the file only ever grows by
//! whole exchanges: [`WarcWriter::position`] is the length of the file up to the last one, the
//! point a resumed crawl truncates a torn tail back to. A failed write poisons the writer.
//!
//! Files roll at `max_size`: an exchange that would take the file past it goes to the next
//! file (`PREFIX-STAMP-00001.warc.gz`, `...-00002...`). Each file's CDXJ index
//! (`PREFIX-STAMP-00001.cdxj`) is appended to as records are written and sorted when the file
//! is finished.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::cdxj;
use super::encode::{Encoded, Original, encode, payload_digest};
use super::exchange::Exchange;
use super::record::{RecordParts, record_id};
use super::time::{timestamp14, warc_date};
use super::{WarcConfig, WarcError};

/// Where one record was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordLocation {
    /// The WARC file.
    pub file: PathBuf,
    /// Offset of the record's gzip member in the file.
    pub offset: u64,
    /// Length of the gzip member.
    pub length: u64,
    /// `WARC-Record-ID`, `<urn:uuid:...>`.
    pub record_id: String,
}

/// What [`WarcWriter::write`] wrote for one exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The `request` record.
    pub request: RecordLocation,
    /// The `response` record, or the `revisit` record standing for it.
    pub response: RecordLocation,
    /// Whether `response` is a `revisit` record.
    pub revisit: bool,
}

/// The end of the last whole exchange in the file being written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The WARC file.
    pub file: PathBuf,
    /// Its length up to and including the last whole record written.
    pub len: u64,
}

#[derive(Debug)]
struct OpenWarc {
    path: PathBuf,
    file: File,
    cdxj_path: PathBuf,
    cdxj: File,
    len: u64,
    exchanges: u64,
}

/// Writes exchanges to rolling WARC/1.1 files with CDXJ indexes; see the module docs.
#[derive(Debug)]
pub struct WarcWriter {
    config: WarcConfig,
    stamp: String,
    serial: u32,
    current: Option<OpenWarc>,
    done: Vec<PathBuf>,
    originals: HashMap<String, Original>,
    poisoned: bool,
}

impl WarcWriter {
    /// Creates the directory if needed and the first file, with its `warcinfo` record.
    ///
    /// # Errors
    ///
    /// [`WarcError::Config`] for a `max_size` of zero or a prefix that is not a plain name;
    /// [`WarcError::Io`] if the directory or file cannot be created (a file of the same name
    /// is never overwritten).
    pub fn create(config: WarcConfig) -> Result<Self, WarcError> {
        config.validate()?;
        fs::create_dir_all(&config.dir).map_err(|e| WarcError::io(&config.dir, e))?;
        let mut writer = Self {
            stamp: (config.stamp.clone()).unwrap_or_else(|| timestamp14(SystemTime::now())),
            config,
            serial: 0,
            current: None,
            done: Vec::new(),
            originals: HashMap::new(),
            poisoned: false,
        };
        writer.open_next()?;
        Ok(writer)
    }

    /// Goes on with the files of an earlier writer with the same directory, prefix and
    /// stamp ([`WarcConfig::stamp`]), cut back to `mark`: where they ended when the crawl
    /// last committed. Files numbered after the mark's are removed, the mark's file is cut
    /// to its length (its index keeps the lines before that) and written on; with no mark
    /// (nothing was committed), every file of the stamp is removed and the first one
    /// started again. So the files hold each committed exchange once, and no torn record.
    /// Revisit records refer only to responses written since the writer was made.
    ///
    /// # Errors
    ///
    /// [`WarcError::Config`] without a stamp or with a bad setting; [`WarcError::Io`] if a
    /// file cannot be cut, removed or opened, or the mark's file is shorter than the mark.
    pub fn resume(config: WarcConfig, mark: Option<(u32, u64)>) -> Result<Self, WarcError> {
        config.validate()?;
        let Some(stamp) = config.stamp.clone() else {
            return Err(WarcError::Config(
                "a resumed archive needs its stamp (WarcConfig::stamp)".into(),
            ));
        };
        fs::create_dir_all(&config.dir).map_err(|e| WarcError::io(&config.dir, e))?;
        let (keep_serial, keep_len) = mark.unwrap_or((0, 0));
        let mut writer = Self {
            stamp,
            config,
            serial: 0,
            current: None,
            done: Vec::new(),
            originals: HashMap::new(),
            poisoned: false,
        };
        for serial in writer.serials_on_disk()? {
            if serial > keep_serial {
                let (warc, index) = writer.paths(serial);
                for p in [warc, index] {
                    match fs::remove_file(&p) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                            return Err(WarcError::io(&p, e));
                        }
                        _ => {}
                    }
                }
            } else if serial < keep_serial {
                writer.done.push(writer.paths(serial).0);
            }
        }
        if keep_serial == 0 {
            writer.open_next()?;
            return Ok(writer);
        }
        let (path, cdxj_path) = writer.paths(keep_serial);
        let file = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|e| WarcError::io(&path, e))?;
        let on_disk = file.metadata().map_err(|e| WarcError::io(&path, e))?.len();
        if on_disk < keep_len {
            return Err(WarcError::io(
                &path,
                std::io::Error::other(format!(
                    "{on_disk} bytes long, but the crawl's state says {keep_len}"
                )),
            ));
        }
        file.set_len(keep_len)
            .map_err(|e| WarcError::io(&path, e))?;
        cdxj::cut_file(&cdxj_path, keep_len)?;
        let mut file = file;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::End(0))
            .map_err(|e| WarcError::io(&path, e))?;
        let cdxj = OpenOptions::new()
            .append(true)
            .open(&cdxj_path)
            .map_err(|e| WarcError::io(&cdxj_path, e))?;
        writer.serial = keep_serial;
        writer.current = Some(OpenWarc {
            path,
            file,
            cdxj_path,
            cdxj,
            len: keep_len,
            // Counted as holding one, so the next exchange may roll the file.
            exchanges: 1,
        });
        Ok(writer)
    }

    /// The serial numbers of this writer's files (prefix and stamp) in its directory.
    fn serials_on_disk(&self) -> Result<Vec<u32>, WarcError> {
        let head = format!("{}-{}-", self.config.prefix, self.stamp);
        let dir = &self.config.dir;
        let mut serials = Vec::new();
        for entry in fs::read_dir(dir).map_err(|e| WarcError::io(dir, e))? {
            let entry = entry.map_err(|e| WarcError::io(dir, e))?;
            let name = entry.file_name();
            let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(&head)) else {
                continue;
            };
            let digits = rest
                .strip_suffix(".warc.gz")
                .or_else(|| rest.strip_suffix(".cdxj"));
            if let Some(n) = digits.filter(|d| d.len() == 5).and_then(|d| d.parse().ok()) {
                serials.push(n);
            }
        }
        serials.sort_unstable();
        serials.dedup();
        Ok(serials)
    }

    /// The WARC file and index of file number `serial`.
    fn paths(&self, serial: u32) -> (PathBuf, PathBuf) {
        let stem = format!("{}-{}-{:05}", self.config.prefix, self.stamp, serial);
        (
            self.config.dir.join(format!("{stem}.warc.gz")),
            self.config.dir.join(format!("{stem}.cdxj")),
        )
    }

    /// The serial number of the file being written, and its length up to the last whole
    /// exchange: what a durable crawl's commit records.
    #[must_use]
    pub fn mark(&self) -> Option<(u32, u64)> {
        self.current.as_ref().map(|c| (self.serial, c.len))
    }

    /// Records one exchange: a `request` and a `response` (or `revisit`) record, and the
    /// response's CDXJ line.
    ///
    /// # Errors
    ///
    /// [`WarcError::Io`] if a write fails (the writer is then poisoned: later calls return
    /// [`WarcError::Poisoned`], and [`position`](Self::position) still says where the last
    /// whole exchange ends); [`WarcError::Poisoned`] after such a failure.
    pub fn write(&mut self, ex: &Exchange) -> Result<Written, WarcError> {
        if self.poisoned {
            return Err(WarcError::Poisoned);
        }
        let digest = payload_digest(ex);
        let original = (self.config.revisits && !ex.truncated && !ex.body.is_empty())
            .then(|| self.originals.get(&digest).cloned())
            .flatten();
        let encoded = encode(ex, self.config.compression, digest, original.as_ref());
        self.append(encoded)
    }

    /// Appends an exchange [`encode`]d beforehand (on any thread): rolls the file if it
    /// would grow past its size, writes both records with one write, adds the CDXJ line.
    pub(crate) fn append(&mut self, enc: Encoded) -> Result<Written, WarcError> {
        if self.poisoned {
            return Err(WarcError::Poisoned);
        }
        let result = self.append_encoded(enc);
        if result.is_err() {
            self.poisoned = true;
        }
        result
    }

    fn append_encoded(&mut self, enc: Encoded) -> Result<Written, WarcError> {
        let size = (enc.request_gz.len() + enc.response_gz.len()) as u64;
        if self
            .current
            .as_ref()
            .is_some_and(|c| c.exchanges > 0 && c.len + size > self.config.max_size)
        {
            self.finish_current()?;
            self.open_next()?;
        }
        let current = self.current.as_mut().ok_or(WarcError::Poisoned)?;
        let start = current.len;
        let both = [enc.request_gz.as_slice(), enc.response_gz.as_slice()].concat();
        current
            .file
            .write_all(&both)
            .map_err(|e| WarcError::io(&current.path, e))?;
        current.len += size;
        current.exchanges += 1;

        let response_offset = start + enc.request_gz.len() as u64;
        let mut entry = enc.index;
        entry.length = enc.response_gz.len().to_string();
        entry.offset = response_offset.to_string();
        entry.filename = file_name(&current.path);
        let line = entry.to_line() + "\n";
        current
            .cdxj
            .write_all(line.as_bytes())
            .map_err(|e| WarcError::io(&current.cdxj_path, e))?;

        if let (true, Some((digest, original))) = (self.config.revisits, enc.original) {
            self.originals.insert(digest, original);
        }
        let location = |offset, length, record_id| RecordLocation {
            file: current.path.clone(),
            offset,
            length,
            record_id,
        };
        Ok(Written {
            request: location(start, enc.request_gz.len() as u64, enc.request_id),
            response: location(
                response_offset,
                enc.response_gz.len() as u64,
                enc.response_id,
            ),
            revisit: enc.revisit,
        })
    }

    /// The file being written and its length up to the last whole exchange (see module docs).
    #[must_use]
    pub fn position(&self) -> Option<Position> {
        self.current.as_ref().map(|c| Position {
            file: c.path.clone(),
            len: c.len,
        })
    }

    /// Every WARC file started so far, in order (the last one is still being written).
    #[must_use]
    pub fn files(&self) -> Vec<PathBuf> {
        let mut files = self.done.clone();
        files.extend(self.current.as_ref().map(|c| c.path.clone()));
        files
    }

    /// Whether the writer writes revisit records (then exchanges are encoded in order, as
    /// each may refer to an earlier one).
    pub(crate) fn keeps_revisits(&self) -> bool {
        self.config.revisits
    }

    /// The gzip level of the records.
    pub(crate) fn compression(&self) -> u32 {
        self.config.compression
    }

    /// Makes what was written so far durable (`fsync` of the WARC file and its index), for a
    /// crawl that commits its state together with the archive.
    ///
    /// # Errors
    ///
    /// [`WarcError::Io`] if the operating system reports a failure.
    pub fn sync(&mut self) -> Result<(), WarcError> {
        if let Some(c) = &self.current {
            c.file.sync_data().map_err(|e| WarcError::io(&c.path, e))?;
            c.cdxj
                .sync_data()
                .map_err(|e| WarcError::io(&c.cdxj_path, e))?;
        }
        Ok(())
    }

    /// Finishes the last file (its index sorted, both synced) and returns every WARC file.
    ///
    /// # Errors
    ///
    /// [`WarcError::Io`] if syncing or sorting fails.
    pub fn finish(mut self) -> Result<Vec<PathBuf>, WarcError> {
        self.finish_current()?;
        Ok(std::mem::take(&mut self.done))
    }

    fn finish_current(&mut self) -> Result<(), WarcError> {
        let Some(c) = self.current.take() else {
            return Ok(());
        };
        c.file.sync_data().map_err(|e| WarcError::io(&c.path, e))?;
        drop(c.cdxj);
        cdxj::sort_file(&c.cdxj_path)?;
        self.done.push(c.path);
        Ok(())
    }

    fn open_next(&mut self) -> Result<(), WarcError> {
        self.serial += 1;
        let (path, cdxj_path) = self.paths(self.serial);
        let create = |p: &Path| {
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(p)
                .map_err(|e| WarcError::io(p, e))
        };
        let mut file = create(&path)?;
        let cdxj = create(&cdxj_path)?;
        let info = self.warcinfo(&file_name(&path));
        file.write_all(&info).map_err(|e| WarcError::io(&path, e))?;
        self.current = Some(OpenWarc {
            path,
            file,
            cdxj_path,
            cdxj,
            len: info.len() as u64,
            exchanges: 0,
        });
        Ok(())
    }

    fn warcinfo(&self, filename: &str) -> Vec<u8> {
        let mut text = format!(
            "software: trawler/{}\r\nformat: WARC File Format 1.1\r\n\
             conformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n",
            env!("CARGO_PKG_VERSION")
        );
        for (name, value) in &self.config.info {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        let mut parts = RecordParts {
            fields: vec![
                ("WARC-Type", "warcinfo".to_owned()),
                ("WARC-Record-ID", record_id()),
                ("WARC-Date", warc_date(SystemTime::now())),
                ("WARC-Filename", filename.to_owned()),
            ],
            content_type: "application/warc-fields",
            block: vec![text.as_bytes()],
        };
        let digest = parts.block_digest();
        parts.fields.push(("WARC-Block-Digest", digest));
        parts.to_gzip(self.config.compression)
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
