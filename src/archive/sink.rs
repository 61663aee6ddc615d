//! [`ArchiveSink`]: a crawl's WARC writer on a thread of its own, fed by the fetchers.
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
use super::writer::WarcWriter;
use super::{WarcConfig, WarcError};
use crate::fetch::record::{ArchiveMark, Recorder};
use crate::fetch::transport::FetchResponse;
use crate::headers::Headers;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::SystemTime;
use url::Url;

/// Exchanges waiting for the writer at most (each holds one body).
const QUEUE: usize = 256;

enum Job {
    Write(Vec<Exchange>),
    Mark(std::sync::mpsc::Sender<Result<Option<ArchiveMark>, String>>),
}

/// The writer thread, which hands back the files it wrote.
type Writing = JoinHandle<Result<Vec<PathBuf>, WarcError>>;

/// A crawl's archive; see the module docs.
pub(crate) struct ArchiveSink {
    tx: Mutex<Option<SyncSender<Job>>>,
    thread: Mutex<Option<Writing>>,
    failed: Arc<Mutex<Option<String>>>,
    /// Pages' exchanges waiting for their outcomes, by URL.
    held: Mutex<HashMap<String, Vec<Exchange>>>,
}

impl std::fmt::Debug for ArchiveSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArchiveSink").finish_non_exhaustive()
    }
}

impl ArchiveSink {
    /// Starts the writer thread on `writer`.
    pub(crate) fn start(writer: WarcWriter) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel(QUEUE);
        let failed = Arc::new(Mutex::new(None));
        let fail = Arc::clone(&failed);
        let thread = std::thread::Builder::new()
            .name("trawler-warc".into())
            .spawn(move || write_all(writer, &rx, &fail))?;
        Ok(ArchiveSink {
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
            failed,
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

    fn send(&self, job: Job) -> bool {
        let tx = lock(&self.tx).clone();
        tx.is_some_and(|tx| tx.send(job).is_ok())
    }
}

impl Recorder for ArchiveSink {
    fn record(&self, url: &Url, sent: &Headers, response: &FetchResponse, held: bool) {
        if lock(&self.failed).is_some() {
            return;
        }
        let ex = exchange(url, sent, response);
        if held {
            let mut waiting = lock(&self.held);
            waiting.entry(url.as_str().to_owned()).or_default().push(ex);
        } else {
            self.send(Job::Write(vec![ex]));
        }
    }

    fn release(&self, urls: &mut dyn Iterator<Item = &Url>) {
        let out: Vec<Exchange> = {
            let mut waiting = lock(&self.held);
            urls.filter_map(|u| waiting.remove(u.as_str()))
                .flatten()
                .collect()
        };
        if !out.is_empty() {
            self.send(Job::Write(out));
        }
    }

    fn mark(&self) -> Result<Option<ArchiveMark>, String> {
        let (tx, rx) = std::sync::mpsc::channel();
        if !self.send(Job::Mark(tx)) {
            return Err(self
                .failure()
                .unwrap_or_else(|| "the archive is closed".into()));
        }
        rx.recv().unwrap_or_else(|_| {
            Err(self
                .failure()
                .unwrap_or_else(|| "the archive stopped".into()))
        })
    }

    fn failure(&self) -> Option<String> {
        lock(&self.failed).clone()
    }

    fn finish(&self) -> Result<(), String> {
        // Exchanges of pages with no outcome (a stopped durable crawl fetches them again)
        // are not kept.
        lock(&self.held).clear();
        lock(&self.tx).take();
        let Some(thread) = lock(&self.thread).take() else {
            return self.failure().map_or(Ok(()), Err);
        };
        match thread.join() {
            Ok(Ok(_files)) => self.failure().map_or(Ok(()), Err),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("the archive's writer panicked".into()),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The writer thread: writes until every sender is gone, then finishes the last file.
fn write_all(
    mut writer: WarcWriter,
    rx: &Receiver<Job>,
    failed: &Mutex<Option<String>>,
) -> Result<Vec<PathBuf>, WarcError> {
    let fail = |e: &WarcError| {
        lock(failed).get_or_insert_with(|| e.to_string());
    };
    for job in rx {
        match job {
            Job::Write(exchanges) => {
                for ex in &exchanges {
                    if let Err(e) = writer.write(ex) {
                        fail(&e);
                        break;
                    }
                }
            }
            Job::Mark(reply) => {
                // Every write went straight to the file (the operating system has it, as
                // the outcome log's flush gives it the records).
                let mark = match lock(failed).clone() {
                    Some(e) => Err(e),
                    None => Ok(writer
                        .mark()
                        .map(|(serial, len)| ArchiveMark { serial, len })),
                };
                let _ = reply.send(mark);
            }
        }
    }
    writer.finish()
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
    if !given.contains("host")
        && let Some(host) = url.host_str()
    {
        let host = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        };
        request.headers.push(("host".into(), host.into_bytes()));
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
