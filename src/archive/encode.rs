//! An exchange made into its records: the digests, the `request` and `response` (or
//! `revisit`) records as gzip members, and the CDXJ line. Pure work, done on any thread
//! (the writing pool compresses on several at once); the writer appends the result.

use super::cdxj::{self, CdxjEntry};
use super::digest::Sha1Digest;
use super::exchange::{BodyForm, Exchange};
use super::http::{one_chunk, request_head_bytes, response_head_bytes};
use super::record::{RecordParts, record_id};
use super::time::{timestamp14, warc_date};

const REVISIT_PROFILE: &str = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest";

/// The first response with a given payload, for revisit records.
#[derive(Debug, Clone)]
pub(crate) struct Original {
    pub(crate) record_id: String,
    pub(crate) url: String,
    pub(crate) date: String,
}

/// An exchange made into its two gzip members and its index line, ready to be appended.
#[derive(Debug)]
pub(crate) struct Encoded {
    pub(crate) request_gz: Vec<u8>,
    pub(crate) response_gz: Vec<u8>,
    pub(crate) request_id: String,
    pub(crate) response_id: String,
    pub(crate) revisit: bool,
    /// The CDXJ line, its place (offset, length, file) filled in when appended.
    pub(crate) index: CdxjEntry,
    /// The payload to remember for later revisits, when the writer keeps them.
    pub(crate) original: Option<(String, Original)>,
}

/// The `WARC-Payload-Digest` of an exchange's response: over the payload as stored.
pub(crate) fn payload_digest(ex: &Exchange) -> String {
    let (prefix, suffix) = framing(ex);
    let mut d = Sha1Digest::default();
    for p in [prefix.as_slice(), &ex.body, suffix] {
        d.update(p);
    }
    d.finish()
}

/// What goes around the body in the record: a transfer-decoded chunked body is framed as
/// one chunk.
fn framing(ex: &Exchange) -> (Vec<u8>, &'static [u8]) {
    match ex.body_form {
        BodyForm::TransferDecoded if ex.response.is_chunked() => one_chunk(&ex.body),
        _ => (Vec::new(), b"".as_slice()),
    }
}

/// Encodes `ex` (whose payload digest is `digest`) at gzip `level`: a `request` record, and
/// a `response` record, or a `revisit` record of `original`. Pure work, for any thread.
pub(crate) fn encode(
    ex: &Exchange,
    level: u32,
    digest: String,
    original: Option<&Original>,
) -> Encoded {
    let date = warc_date(ex.fetched_at);
    let url = ex.url.as_str().to_owned();
    let (request_id, response_id) = (record_id(), record_id());
    let ip = ex.remote_ip.map(|ip| ip.to_string());
    let common = |kind: &'static str, id: &str, other: &str| {
        let mut fields = vec![
            ("WARC-Type", kind.to_owned()),
            ("WARC-Record-ID", id.to_owned()),
            ("WARC-Date", date.clone()),
            ("WARC-Target-URI", url.clone()),
        ];
        if let Some(ip) = &ip {
            fields.push(("WARC-IP-Address", ip.clone()));
        }
        fields.push(("WARC-Concurrent-To", other.to_owned()));
        fields
    };

    let request_head = request_head_bytes(&ex.request);
    let mut request = RecordParts {
        fields: common("request", &request_id, &response_id),
        content_type: "application/http; msgtype=request",
        block: vec![&request_head],
    };
    let block_digest = request.block_digest();
    request.fields.push(("WARC-Block-Digest", block_digest));

    let head = response_head_bytes(&ex.response);
    let (prefix, suffix) = framing(ex);
    let revisit = original.is_some();
    let mut response = if let Some(original) = original {
        let mut fields = common("revisit", &response_id, &request_id);
        fields.push(("WARC-Profile", REVISIT_PROFILE.to_owned()));
        fields.push(("WARC-Refers-To", original.record_id.clone()));
        fields.push(("WARC-Refers-To-Target-URI", original.url.clone()));
        fields.push(("WARC-Refers-To-Date", original.date.clone()));
        RecordParts {
            fields,
            content_type: "application/http; msgtype=response",
            block: vec![&head],
        }
    } else {
        let mut block: Vec<&[u8]> = vec![&head];
        block.extend(
            [prefix.as_slice(), &ex.body, suffix]
                .into_iter()
                .filter(|p| !p.is_empty()),
        );
        RecordParts {
            fields: common("response", &response_id, &request_id),
            content_type: "application/http; msgtype=response",
            block,
        }
    };
    let block_digest = response.block_digest();
    response.fields.push(("WARC-Block-Digest", block_digest));
    response
        .fields
        .push(("WARC-Payload-Digest", digest.clone()));
    if ex.truncated && !revisit {
        response
            .fields
            .push(("WARC-Truncated", "length".to_owned()));
    }
    let request_gz = request.to_gzip(level);
    let response_gz = response.to_gzip(level);

    let mime = if revisit {
        "warc/revisit".to_owned()
    } else {
        ex.response
            .get("content-type")
            .and_then(|t| t.split(';').next())
            .unwrap_or("unk")
            .trim()
            .to_ascii_lowercase()
    };
    let index = CdxjEntry {
        key: cdxj::surt(&ex.url),
        timestamp: timestamp14(ex.fetched_at),
        url: url.clone(),
        mime,
        status: ex.response.status.to_string(),
        digest: digest.strip_prefix("sha1:").unwrap_or(&digest).to_owned(),
        length: String::new(),
        offset: String::new(),
        filename: String::new(),
    };
    let remember = !revisit && !ex.truncated && !ex.body.is_empty();
    let original = remember.then(|| {
        (
            digest,
            Original {
                record_id: response_id.clone(),
                url,
                date,
            },
        )
    });
    Encoded {
        request_gz,
        response_gz,
        request_id,
        response_id,
        revisit,
        index,
        original,
    }
}
