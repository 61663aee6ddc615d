//! One WARC record on disk: its named fields and block, compressed as its own gzip member.
//!
//! A record is `WARC/1.1`, its fields, an empty line, `Content-Length` bytes of block and two
//! CRLFs. Compressing each record separately (the "record-at-time" gzip the WARC annex
//! recommends) is what lets a reader start at any record's offset, which is how CDXJ indexes
//! and replay servers reach one page without reading the file from the start. The whole
//! member is built in memory before it is written, so a record is either written with one
//! `write_all` or known not to be.

use std::io::Write as _;

use flate2::Compression;
use flate2::write::GzEncoder;

use super::digest::Sha1Digest;

/// The version line of every record written.
pub(crate) const VERSION: &str = "WARC/1.1";

/// A fresh `<urn:uuid:...>` record ID (random, version 4).
pub(crate) fn record_id() -> String {
    format!("<urn:uuid:{}>", uuid::Uuid::new_v4())
}

/// A record about to be written: its type, fields in order, and its block in parts (so a body
/// is never copied into a second buffer before compression).
#[derive(Debug)]
pub(crate) struct RecordParts<'a> {
    pub(crate) fields: Vec<(&'static str, String)>,
    pub(crate) content_type: &'static str,
    pub(crate) block: Vec<&'a [u8]>,
}

impl RecordParts<'_> {
    /// The block's `sha1:` digest.
    pub(crate) fn block_digest(&self) -> String {
        let mut d = Sha1Digest::default();
        for part in &self.block {
            d.update(part);
        }
        d.finish()
    }

    /// The record serialized and compressed as one gzip member at `level` (0 to 9).
    pub(crate) fn to_gzip(&self, level: u32) -> Vec<u8> {
        let len: usize = self.block.iter().map(|p| p.len()).sum();
        let mut head = String::with_capacity(512);
        head.push_str(VERSION);
        head.push_str("\r\n");
        for (name, value) in &self.fields {
            head.push_str(name);
            head.push_str(": ");
            push_field_value(&mut head, value);
            head.push_str("\r\n");
        }
        head.push_str("Content-Type: ");
        head.push_str(self.content_type);
        head.push_str("\r\nContent-Length: ");
        head.push_str(&len.to_string());
        head.push_str("\r\n\r\n");
        let mut gz = GzEncoder::new(Vec::with_capacity(len / 3 + 512), Compression::new(level));
        // Writing into a Vec cannot fail.
        let _ = gz.write_all(head.as_bytes());
        for part in &self.block {
            let _ = gz.write_all(part);
        }
        let _ = gz.write_all(b"\r\n\r\n");
        gz.finish().unwrap_or_default()
    }
}

/// A field value on one line: CR and LF (which would end the field) become spaces.
fn push_field_value(out: &mut String, value: &str) {
    out.extend(value.chars().map(|c| match c {
        '\r' | '\n' => ' ',
        c => c,
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use std::io::Read as _;

    #[test]
    fn a_record_is_one_gzip_member_with_the_declared_length() {
        let body = b"hello".as_slice();
        let parts = RecordParts {
            fields: vec![
                ("WARC-Type", "resource".into()),
                ("X-Note", "a\r\nb".into()),
            ],
            content_type: "text/plain",
            block: vec![b"he", &body[2..]],
        };
        let mut text = Vec::new();
        GzDecoder::new(parts.to_gzip(6).as_slice())
            .read_to_end(&mut text)
            .unwrap();
        let text = String::from_utf8(text).unwrap();
        assert_eq!(
            text,
            "WARC/1.1\r\nWARC-Type: resource\r\nX-Note: a  b\r\nContent-Type: text/plain\r\n\
             Content-Length: 5\r\n\r\nhello\r\n\r\n"
        );
        assert_eq!(
            parts.block_digest(),
            super::super::digest::sha1_base32(b"hello")
        );
    }

    #[test]
    fn record_ids_are_distinct_urns() {
        let (a, b) = (record_id(), record_id());
        assert_ne!(a, b);
        assert!(
            a.starts_with("<urn:uuid:") && a.ends_with('>') && a.len() == 47,
            "{a}"
        );
    }
}
