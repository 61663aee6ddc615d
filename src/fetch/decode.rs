//! Content decoding (gzip, deflate, br) with a hard cap on what comes out.
//!
//! A compressed body is inflated as it arrives, through decoders that write into a capped
//! sink: when the sink is full it refuses more, the decoder stops at once, and the body is
//! marked truncated. So a response never costs more than the cap plus the decoder's own
//! state, however far it would inflate (a 1.7 KB brotli body can inflate to 1 GiB): 32 KiB
//! of window for gzip and deflate, and at most the stream's declared window for brotli
//! (16 MiB at the most, usually 4 MiB or less). The decoders are flate2's and
//! brotli-decompressor's, both pure Rust.
//!
//! Only the codings trawler asks for ([`ACCEPT_ENCODING`]) are decoded; a body in another
//! coding is kept as it came.

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;

/// The `Accept-Encoding` trawler sends: what this module decodes.
pub(crate) const ACCEPT_ENCODING: &str = "gzip, deflate, br";

/// The most [`BodyDecoder::expect`] sets aside before any byte has come, whatever length
/// a server announces: beyond it a body grows as it arrives.
const EXPECT_AT_MOST: usize = 1 << 20;

/// How a decoded body ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decoded {
    /// All of it, within the cap.
    Whole,
    /// Cut at the cap.
    Truncated,
}

/// A body that is not valid in its declared coding.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{coding} body is corrupt or cut short: {reason}")]
pub(crate) struct DecodeError {
    pub(crate) coding: &'static str,
    pub(crate) reason: String,
}

/// The sink at the end of the chain: keeps up to `cap` bytes, then refuses.
#[derive(Debug)]
struct Capped {
    out: Rc<RefCell<Vec<u8>>>,
    cap: usize,
}

/// The error [`Capped`] returns when full, told apart from a decoder's own errors.
#[derive(Debug)]
struct Full;

impl std::fmt::Display for Full {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("body cap reached")
    }
}

impl std::error::Error for Full {}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut out = self.out.borrow_mut();
        let room = self.cap - out.len();
        if room == 0 && !buf.is_empty() {
            return Err(io::Error::other(Full));
        }
        let n = room.min(buf.len());
        out.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One decoding stage.
enum Stage {
    Gzip(flate2::write::GzDecoder<Box<dyn Write>>),
    Zlib(flate2::write::ZlibDecoder<Box<dyn Write>>),
    Deflate(flate2::write::DeflateDecoder<Box<dyn Write>>),
    Brotli(Box<brotli_decompressor::DecompressorWriter<Box<dyn Write>>>),
    /// `deflate` before its first two bytes say whether it is zlib-wrapped (as the RFC
    /// says) or raw (as some servers send it).
    Sniffing {
        head: Vec<u8>,
        inner: Option<Box<dyn Write>>,
    },
}

impl Write for Stage {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stage::Gzip(d) => d.write(buf),
            Stage::Zlib(d) => d.write(buf),
            Stage::Deflate(d) => d.write(buf),
            Stage::Brotli(d) => d.write(buf),
            Stage::Sniffing { head, inner } => {
                let need = 2 - head.len();
                let n = need.min(buf.len());
                head.extend_from_slice(&buf[..n]);
                if head.len() == 2 {
                    let inner = inner.take().expect("sniffed once");
                    let zlib =
                        head[0] & 0x0f == 8 && u16::from_be_bytes([head[0], head[1]]) % 31 == 0;
                    let head = std::mem::take(head);
                    *self = if zlib {
                        Stage::Zlib(flate2::write::ZlibDecoder::new(inner))
                    } else {
                        Stage::Deflate(flate2::write::DeflateDecoder::new(inner))
                    };
                    self.write_all(&head)?;
                }
                Ok(n)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Stage {
    fn finish(&mut self) -> io::Result<()> {
        match self {
            Stage::Gzip(d) => d.try_finish(),
            Stage::Zlib(d) => d.try_finish(),
            Stage::Deflate(d) => d.try_finish(),
            Stage::Brotli(d) => d
                .close()
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
            Stage::Sniffing { .. } => Err(io::ErrorKind::UnexpectedEof.into()),
        }
    }
}

/// A body being decoded as it arrives.
pub(crate) struct BodyDecoder {
    /// Outermost first: the order in which input goes through them.
    stages: Vec<(&'static str, Rc<RefCell<Stage>>)>,
    out: Rc<RefCell<Vec<u8>>>,
    cap: usize,
    truncated: bool,
    /// Whether any byte came: an empty body is empty in every coding.
    fed: bool,
}

impl std::fmt::Debug for BodyDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.stages.iter().map(|(n, _)| *n).collect();
        write!(f, "BodyDecoder({names:?}, cap {})", self.cap)
    }
}

/// A `Write` handle on a shared stage, so stages can be chained and finished in order.
struct Link(Rc<RefCell<Stage>>);

impl Write for Link {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl BodyDecoder {
    /// A decoder for a body with this `Content-Encoding` (codings in the order they were
    /// applied), keeping at most `cap` decoded bytes. Codings trawler does not decode
    /// (and `identity`) pass the bytes through as they are.
    pub(crate) fn new(content_encoding: Option<&str>, cap: usize) -> Self {
        let out = Rc::new(RefCell::new(Vec::new()));
        let mut inner: Box<dyn Write> = Box::new(Capped {
            out: Rc::clone(&out),
            cap,
        });
        let mut stages = Vec::new();
        let codings: Vec<String> = content_encoding
            .unwrap_or("")
            .split(',')
            .map(|c| c.trim().to_ascii_lowercase())
            .filter(|c| !c.is_empty() && c != "identity")
            .collect();
        // Only decode when every coding is one we know; otherwise keep the bytes as sent.
        if codings
            .iter()
            .all(|c| matches!(c.as_str(), "gzip" | "x-gzip" | "deflate" | "br"))
        {
            for coding in &codings {
                let (name, stage) = match coding.as_str() {
                    "gzip" | "x-gzip" => {
                        ("gzip", Stage::Gzip(flate2::write::GzDecoder::new(inner)))
                    }
                    "deflate" => (
                        "deflate",
                        Stage::Sniffing {
                            head: Vec::with_capacity(2),
                            inner: Some(inner),
                        },
                    ),
                    _ => (
                        "br",
                        Stage::Brotli(Box::new(brotli_decompressor::DecompressorWriter::new(
                            inner, 8192,
                        ))),
                    ),
                };
                let stage = Rc::new(RefCell::new(stage));
                inner = Box::new(Link(Rc::clone(&stage)));
                stages.push((name, stage));
            }
        }
        stages.reverse();
        BodyDecoder {
            stages,
            out,
            cap,
            truncated: false,
            fed: false,
        }
    }

    /// Makes room for a body announced at `len` bytes (its `Content-Length`, the encoded
    /// size, which a decoded body rarely falls below), so it is not copied each time it
    /// outgrows its buffer: the power of two its growth would have reached, so the buffer
    /// is the size it would have ended at. Never more than the cap, nor than
    /// [`EXPECT_AT_MOST`]: a length is the server's word, not a promise.
    pub(crate) fn expect(&mut self, len: u64) {
        let room = usize::try_from(len)
            .unwrap_or(usize::MAX)
            .min(EXPECT_AT_MOST)
            .next_power_of_two()
            .min(self.cap);
        self.out.borrow_mut().reserve_exact(room);
    }

    /// Decodes `chunk`; `Ok(false)` once the cap is reached (nothing more is wanted).
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Result<bool, DecodeError> {
        if self.truncated {
            return Ok(false);
        }
        self.fed |= !chunk.is_empty();
        let written = match self.stages.first() {
            None => Capped {
                out: Rc::clone(&self.out),
                cap: self.cap,
            }
            .write_all(chunk),
            Some((_, stage)) => Link(Rc::clone(stage)).write_all(chunk),
        };
        self.settle(written)
    }

    /// The body has ended: checks that every coding ended properly too.
    pub(crate) fn finish(mut self) -> Result<(Vec<u8>, Decoded), DecodeError> {
        if !self.truncated && self.fed {
            for i in 0..self.stages.len() {
                let r = self.stages[i].1.borrow_mut().finish();
                if !self.settle(r)? {
                    break;
                }
            }
        }
        let out = std::mem::take(&mut *self.out.borrow_mut());
        let how = if self.truncated {
            Decoded::Truncated
        } else {
            Decoded::Whole
        };
        Ok((out, how))
    }

    /// The body was cut before its end (an archived body marked truncated): what was
    /// decoded so far, the codings left unfinished.
    #[cfg(feature = "warc")]
    pub(crate) fn cut(self) -> Vec<u8> {
        std::mem::take(&mut *self.out.borrow_mut())
    }

    fn settle(&mut self, r: io::Result<()>) -> Result<bool, DecodeError> {
        match r {
            Ok(()) => Ok(true),
            Err(e) if is_full(&e) => {
                self.truncated = true;
                Ok(false)
            }
            Err(e) => Err(DecodeError {
                coding: self.stages.first().map_or("identity", |(n, _)| n),
                reason: e.to_string(),
            }),
        }
    }
}

/// Whether `e` (possibly wrapped by a decoder) is the sink's "full".
fn is_full(e: &io::Error) -> bool {
    let mut inner: Option<&(dyn std::error::Error + 'static)> = e.get_ref().map(|e| e as _);
    while let Some(err) = inner {
        if err.is::<Full>() {
            return true;
        }
        if let Some(io) = err.downcast_ref::<io::Error>() {
            inner = io.get_ref().map(|e| e as _);
        } else {
            inner = err.source();
        }
    }
    false
}

#[cfg(test)]
mod tests;
