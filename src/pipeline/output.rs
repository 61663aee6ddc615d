//! The output of the file pipelines ([`JsonLines`](super::JsonLines),
//! [`Csv`](super::Csv)): buffered, counting the bytes written, and, for a file, able to be
//! cut back to a length. That is all the commit hook of a durable crawl needs: the length
//! is each commit's position, and a resumed crawl cuts the file back to it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// A buffered output that knows how far it goes.
pub(super) struct Output<W: Write> {
    out: BufWriter<W>,
    /// Bytes written (the file's length, for a file).
    written: u64,
    /// Cuts the output back to a length, when it can be (a file).
    cut: Option<fn(&mut W, u64) -> std::io::Result<()>>,
}

impl<W: Write> Output<W> {
    /// Any writer: nothing to cut back, so no position.
    pub(super) fn new(out: W) -> Self {
        Output {
            out: BufWriter::new(out),
            written: 0,
            cut: None,
        }
    }

    /// Bytes written, those the output held when opened included.
    pub(super) fn written(&self) -> u64 {
        self.written
    }

    pub(super) fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    pub(super) fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    /// How far the output goes, flushed (`None` when it cannot be cut back).
    pub(super) fn position(&mut self) -> std::io::Result<Option<u64>> {
        if self.cut.is_none() {
            return Ok(None);
        }
        self.out.flush()?;
        Ok(Some(self.written))
    }

    /// Cuts the output back to `position`, if it can be.
    pub(super) fn resume_at(&mut self, position: u64) -> std::io::Result<()> {
        self.out.flush()?;
        if let Some(cut) = self.cut {
            cut(self.out.get_mut(), position)?;
            self.written = self.written.min(position);
        }
        Ok(())
    }

    #[cfg(test)]
    pub(super) fn into_inner(self) -> W {
        self.out.into_inner().map_err(|e| e.into_error()).unwrap()
    }
}

fn cut_file(f: &mut File, len: u64) -> std::io::Result<()> {
    if f.metadata()?.len() > len {
        f.set_len(len)?;
    }
    Ok(())
}

impl Output<File> {
    /// Creates (or truncates) the file at `path`.
    pub(super) fn create(path: impl AsRef<Path>) -> std::io::Result<Self> {
        let mut o = Output::new(File::create(path)?);
        o.cut = Some(cut_file);
        Ok(o)
    }

    /// Opens the file at `path` to append to (created if missing).
    pub(super) fn append(path: impl AsRef<Path>) -> std::io::Result<Self> {
        let file = File::options().create(true).append(true).open(path)?;
        let written = file.metadata()?.len();
        let mut o = Output::new(file);
        o.written = written;
        o.cut = Some(cut_file);
        Ok(o)
    }
}
