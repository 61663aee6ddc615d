//! [`ArchiveSink`]: a crawl's WARC writer, fed by the fetchers.
//!
//! Every fetcher hands its answers over (see the archive seam, `fetch::record`); the
//! sink turns each into an [`Exchange`] on the fetcher's thread (cheap: the bytes are
//! shared). A site file's goes to the writer thread at once; a page's is held until its
//! outcome is handed out, then goes with the other outcomes' in their order. The writer
//! thread compresses and appends. The channel is bounded: when the writer falls behind,
//! whoever sends waits for it, so an archive slows a crawl down instead of filling memory
//! (the held exchanges are those of pages between their fetch and their outcome, which
//! the crawl's concurrency bounds). A durable crawl's commit asks for a mark, which is
//! answered once everything sent before it is written: the commit then records where the
//! archive ends.

use super::exchange::{BodyForm, Exchange, RequestHead, ResponseHead};
use super::pool::{Work, WritePool};
use super::writer::WarcWriter;
use super::{WarcConfig, WarcError};
use crate::fetch::record::{ArchiveMark, Recorder};
use crate::fetch::transport::FetchResponse;
use crate::headers::Headers;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;
use url::Url;

/// A crawl's archive; see the module docs.
pub(crate) struct ArchiveSink {
    pool: WritePool,
    /// Pages' exchanges waiting for their outcomes, by URL.
    held: Mutex<HashMap<String, Vec<Exchange>>>,
}

impl std::fmt::Debug for ArchiveSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArchiveSink").finish_non_exhaustive()
    }
}

impl ArchiveSink {
    /// Starts the writing threads on `writer`.
    pub(crate) fn start(writer: WarcWriter) -> std::io::Result<Self> {
        Ok(ArchiveSink {
            pool: WritePool::start(writer)?,
            held: Mutex::new(HashMap::new()),
        })
    }

    /// The writer for `config`: a new one, or a durable crawl's cut back to `mark`.
    pub(crate) fn writer(
        config: WarcConfig,
        resume: Option<Option<ArchiveMark>>,
    ) -> Result<WarcWriter, WarcError> {
        match resume {
            None => WarcWriter::create(config),
            Some(mark) => WarcWriter::resume(config, mark.map(|m| (m.serial, m.len))),
        }
    }
}

impl Recorder for ArchiveSink {
    fn record(&self, url: &Url, sent: &Headers, response: &FetchResponse, held: bool) {
        if self.pool.failure().is_some() {
            return;
        }
        let ex = exchange(url, sent, response);
        if held {
            let mut waiting = lock(&self.held);
            waiting.entry(url.as_str().to_owned()).or_default().push(ex);
        } else {
            self.pool.send(Work::Exchange(Box::new(ex)));
        }
    }

    fn release(&self, urls: &mut dyn Iterator<Item = &Url>) {
        let out: Vec<Exchange> = {
            let mut waiting = lock(&self.held);
            urls.filter_map(|u| waiting.remove(u.as_str()))
                .flatten()
                .collect()
        };
        for ex in out {
            self.pool.send(Work::Exchange(Box::new(ex)));
        }
    }

    fn mark(&self) -> Result<Option<ArchiveMark>, String> {
        let (tx, rx) = std::sync::mpsc::channel();
        let closed = || {
            self.failure()
                .unwrap_or_else(|| "the archive is closed".into())
        };
        if !self.pool.send(Work::Mark(tx)) {
            return Err(closed());
        }
        rx.recv().unwrap_or_else(|_| Err(closed()))
    }

    fn failure(&self) -> Option<String> {
        self.pool.failure()
    }

    fn finish(&self) -> Result<(), String> {
        // Exchanges of pages with no outcome (a stopped durable crawl fetches them again)
        // are not kept.
        lock(&self.held).clear();
        self.pool.finish().map(|_files| ())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The exchange an answer stands for. With the transport's [`Wire`](crate::Wire), the
/// request's header fields as sent and the body before content decoding; without, the
/// headers the fetcher gave and the decoded body, its head saying so (no
/// `Content-Encoding`, the body's own `Content-Length`).
pub(crate) fn exchange(url: &Url, sent: &Headers, response: &FetchResponse) -> Exchange {
    let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
    let mut request = RequestHead::new("GET", target);
    let reason = awc::http::StatusCode::from_u16(response.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut head = ResponseHead::new(response.status, reason);
    let fetched_at = SystemTime::now()
        .checked_sub(response.elapsed)
        .unwrap_or_else(SystemTime::now);
    let given = response
        .wire
        .as_deref()
        .map_or(sent, |w| &w.request_headers);
    if !given.contains("host") {
        let host = &url[url::Position::BeforeHost..url::Position::AfterPort];
        request
            .headers
            .push(("host".into(), host.as_bytes().to_vec()));
    }
    let (body, remote_ip) = match response.wire.as_deref() {
        Some(wire) => {
            for (name, value) in wire.request_headers.iter() {
                request.headers.push((name.to_owned(), value.to_vec()));
            }
            for (name, value) in response.headers.iter() {
                head.headers.push((name.to_owned(), value.to_vec()));
            }
            (wire.raw_body.clone(), wire.remote_ip)
        }
        None => {
            for (name, value) in sent.iter() {
                request.headers.push((name.to_owned(), value.to_vec()));
            }
            for (name, value) in response.headers.iter() {
                let framing = ["content-encoding", "content-length", "transfer-encoding"];
                if !framing.iter().any(|f| name.eq_ignore_ascii_case(f)) {
                    head.headers.push((name.to_owned(), value.to_vec()));
                }
            }
            if !response.truncated {
                let len = response.body.len().to_string();
                head.headers
                    .push(("content-length".into(), len.into_bytes()));
            }
            (response.body.clone(), None)
        }
    };
    Exchange {
        url: url.clone(),
        remote_ip,
        fetched_at,
        request,
        response: head,
        body,
        body_form: BodyForm::TransferDecoded,
        truncated: response.truncated,
    }
}
