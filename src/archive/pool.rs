//! [`WritePool`]: a WARC writer fed by several threads that compress in parallel and append
//! in order.
//!
//! Nearly all the cost of archiving is gzip (see the README's figures), and every record is
//! its own gzip member, so exchanges are compressed on a few threads at once. Each piece of
//! work gets a sequence number when it is sent; a thread that has compressed one puts it
//! among the ready ones, and whichever thread holds the writer appends the ready ones in
//! sequence order. So the file is in the order the work was sent, whatever thread finished
//! first, and a mark (a durable crawl's commit asking where the archive ends) is answered
//! once everything sent before it is appended. With revisit records on, a record may refer
//! to an earlier one: the exchanges are then encoded by the writer itself, in order.
//!
//! The queue is bounded: when the threads fall behind, senders wait. A failed write stops
//! the writing (the writer is poisoned) and is kept for [`WritePool::failure`].

use super::WarcError;
use super::encode::{Encoded, encode, payload_digest};
use super::exchange::Exchange;
use super::writer::WarcWriter;
use crate::fetch::record::ArchiveMark;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

/// Pieces of work waiting for a thread at most (each exchange holds its body).
const QUEUE: usize = 256;
/// Compressing threads at most.
const MAX_THREADS: usize = 4;

/// A mark's answer: where the archive ends, or why it cannot be written.
pub(crate) type MarkReply = Sender<Result<Option<ArchiveMark>, String>>;

/// What is sent to the pool.
pub(crate) enum Work {
    /// An exchange to archive.
    Exchange(Box<Exchange>),
    /// Answer where the archive ends, once everything sent before is appended.
    Mark(MarkReply),
}

/// Work done by a thread, waiting for its turn to be appended.
enum Ready {
    Encoded(Box<Encoded>),
    /// An exchange the writer encodes itself (revisit records on).
    Raw(Box<Exchange>),
    Mark(MarkReply),
}

struct Appender {
    /// Taken out when the pool finishes.
    writer: Option<WarcWriter>,
    /// The sequence number to append next.
    next: u64,
    ready: BTreeMap<u64, Ready>,
}

struct Shared {
    jobs: Mutex<Receiver<(u64, Work)>>,
    appender: Mutex<Appender>,
    failed: Mutex<Option<String>>,
    revisits: bool,
    level: u32,
}

/// See the module docs.
pub(crate) struct WritePool {
    tx: Mutex<Option<SyncSender<(u64, Work)>>>,
    seq: AtomicU64,
    threads: Mutex<Vec<JoinHandle<()>>>,
    shared: Arc<Shared>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl WritePool {
    /// Starts the threads on `writer`: one per processor, up to [`MAX_THREADS`] (one with
    /// revisit records).
    pub(crate) fn start(writer: WarcWriter) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel(QUEUE);
        let revisits = writer.keeps_revisits();
        let shared = Arc::new(Shared {
            jobs: Mutex::new(rx),
            level: writer.compression(),
            appender: Mutex::new(Appender {
                writer: Some(writer),
                next: 0,
                ready: BTreeMap::new(),
            }),
            failed: Mutex::new(None),
            revisits,
        });
        let n = match revisits {
            true => 1,
            false => std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_THREADS)),
        };
        let mut threads = Vec::with_capacity(n);
        for i in 0..n {
            let shared = Arc::clone(&shared);
            let thread = std::thread::Builder::new()
                .name(format!("trawler-warc-{i}"))
                .spawn(move || work(&shared));
            match thread {
                Ok(t) => threads.push(t),
                // Fewer threads only write slower; none cannot write at all.
                Err(e) if threads.is_empty() => return Err(e),
                Err(_) => break,
            }
        }
        Ok(WritePool {
            tx: Mutex::new(Some(tx)),
            seq: AtomicU64::new(0),
            threads: Mutex::new(threads),
            shared,
        })
    }

    /// Sends `work` (waiting while the queue is full); false once the pool is closed.
    pub(crate) fn send(&self, work: Work) -> bool {
        let Some(tx) = lock(&self.tx).clone() else {
            return false;
        };
        let seq = self.seq.fetch_add(1, Ordering::SeqCst);
        tx.send((seq, work)).is_ok()
    }

    /// The first write failure, if one happened.
    pub(crate) fn failure(&self) -> Option<String> {
        lock(&self.shared.failed).clone()
    }

    /// Lets the threads finish what was sent, then finishes the last file.
    pub(crate) fn finish(&self) -> Result<Vec<PathBuf>, String> {
        lock(&self.tx).take();
        for t in std::mem::take(&mut *lock(&self.threads)) {
            if t.join().is_err() {
                return Err("the archive's writer panicked".into());
            }
        }
        if let Some(e) = self.failure() {
            return Err(e);
        }
        // Every thread is gone: the writer is taken out and finished.
        let writer = lock(&self.shared.appender).writer.take();
        writer.map_or(Ok(Vec::new()), |w| w.finish().map_err(|e| e.to_string()))
    }
}

/// A thread of the pool: takes work, compresses it, and appends what is ready in order.
fn work(shared: &Shared) {
    loop {
        let next = lock(&shared.jobs).recv();
        let Ok((seq, work)) = next else {
            return;
        };
        let ready = match work {
            Work::Exchange(ex) if !shared.revisits => {
                let digest = payload_digest(&ex);
                Ready::Encoded(Box::new(encode(&ex, shared.level, digest, None)))
            }
            Work::Exchange(ex) => Ready::Raw(ex),
            Work::Mark(reply) => Ready::Mark(reply),
        };
        let mut appender = lock(&shared.appender);
        appender.ready.insert(seq, ready);
        loop {
            let at = appender.next;
            let Some(ready) = appender.ready.remove(&at) else {
                break;
            };
            appender.next += 1;
            if let Some(writer) = appender.writer.as_mut() {
                append(shared, writer, ready);
            }
        }
    }
}

fn append(shared: &Shared, writer: &mut WarcWriter, ready: Ready) {
    let failed = |e: WarcError| {
        lock(&shared.failed).get_or_insert_with(|| e.to_string());
    };
    match ready {
        Ready::Encoded(enc) => {
            if let Err(e) = writer.append(*enc) {
                failed(e);
            }
        }
        Ready::Raw(ex) => {
            if let Err(e) = writer.write(&ex) {
                failed(e);
            }
        }
        Ready::Mark(reply) => {
            // Every append went straight to the file (the operating system has it, as the
            // outcome log's flush gives it the records).
            let mark = match lock(&shared.failed).clone() {
                Some(e) => Err(e),
                None => Ok(writer
                    .mark()
                    .map(|(serial, len)| ArchiveMark { serial, len })),
            };
            let _ = reply.send(mark);
        }
    }
}
