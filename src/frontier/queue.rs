//! One host's queued requests, packed: a few dozen bytes per URL instead of a `Request`.
//!
//! A crawl's frontier can hold millions of URLs, most of them on a few hosts. A queued
//! `Request` costs ~200 bytes (an owned `Url`, `Arc`s, padding, a heap node), so here each
//! one is a record in a byte buffer instead: its discovery number, depth, attempts and
//! redirects as varints, its referrer and label as ids into tables the whole frontier
//! shares ([`Shared`]), and only the path and query of its URL (the host's origin is the
//! queue's own). Records sit in chunks per priority level, read from the front and
//! appended at the back; a consumed chunk is dropped. Taking a request out rebuilds it
//! (its path and query parsed against its host's origin, see `origin.rs`).
//!
//! A referrer is kept as its text, not as the page's parsed `Url`: a breadth-first crawl
//! has links of a hundred thousand pages queued at once, and a parsed `Url` behind an `Arc`
//! costs several times its text. A page's links are queued together and leave together,
//! so the referrer parsed for the first of them is shared by the rest; when requests of
//! several pages leave interleaved (hosts served in turn), a request may cost one more
//! URL parse, a fraction of a microsecond against the ~150 µs of a fetched page.
//!
//! Order: higher priority first, then discovery order (first queued, first out).

use crate::fastmap::FastMap;
use crate::request::Request;
use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use url::Url;

/// Referrers and labels, shared by every host's queue and counted, so each is kept once
/// however many queued requests name it.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    referrers: Vec<Option<Referrer>>,
    free: Vec<u32>,
    /// Referrer id by the address of the `Arc` it was queued with (every link of one page
    /// shares one). The `Arc` is not kept, so an address can come back for another URL:
    /// an id found here is used only when its text is the URL's.
    by_ptr: FastMap<usize, u32>,
    /// The referrer last taken out, parsed, for the next request that names it.
    last: Option<(u32, Arc<Url>)>,
    labels: Vec<Arc<str>>,
    label_ids: HashMap<Arc<str>, u32>,
}

/// A referrer's text, how many queued requests name it, and the address it is known by.
#[derive(Debug)]
struct Referrer {
    text: Box<str>,
    count: u32,
    ptr: usize,
}

impl Shared {
    fn referrer_id(&mut self, r: &Arc<Url>) -> u32 {
        let key = Arc::as_ptr(r) as usize;
        if let Some(&id) = self.by_ptr.get(&key)
            && let Some(known) = &mut self.referrers[id as usize]
            && *known.text == *r.as_str()
        {
            known.count += 1;
            return id;
        }
        let entry = Some(Referrer {
            text: r.as_str().into(),
            count: 1,
            ptr: key,
        });
        let id = match self.free.pop() {
            Some(id) => {
                self.referrers[id as usize] = entry;
                id
            }
            None => {
                self.referrers.push(entry);
                u32::try_from(self.referrers.len() - 1).unwrap_or(u32::MAX)
            }
        };
        self.by_ptr.insert(key, id);
        id
    }

    /// The referrer `id` for one request taken out (freed with its last request).
    fn take_referrer(&mut self, id: u32) -> Option<Arc<Url>> {
        let slot = self.referrers.get_mut(id as usize)?;
        let known = slot.as_mut()?;
        let url = match &self.last {
            Some((last, url)) if *last == id => Some(Arc::clone(url)),
            // The text is a parsed URL's serialization, which parses again to the same URL
            // (a few pathological URLs do not: the request then goes without a referrer).
            _ => Url::parse(&known.text).ok().map(Arc::new),
        };
        known.count -= 1;
        if known.count == 0 {
            if self.by_ptr.get(&known.ptr) == Some(&id) {
                self.by_ptr.remove(&known.ptr);
            }
            *slot = None;
            self.free.push(id);
            if self.last.as_ref().is_some_and(|(last, _)| *last == id) {
                self.last = None;
            }
        } else if let Some(url) = &url {
            self.last = Some((id, Arc::clone(url)));
        }
        url
    }

    fn label_id(&mut self, l: &Arc<str>) -> u32 {
        if let Some(&id) = self.label_ids.get(l) {
            return id;
        }
        let id = u32::try_from(self.labels.len()).unwrap_or(u32::MAX);
        self.labels.push(Arc::clone(l));
        self.label_ids.insert(Arc::clone(l), id);
        id
    }
}

/// Bytes of a host's first chunk; later chunks double, up to [`MAX_CHUNK`].
const FIRST_CHUNK: usize = 128;
const MAX_CHUNK: usize = 16 * 1024;

#[derive(Debug, Default)]
struct Chunk {
    buf: Vec<u8>,
    read: usize,
}

/// The records of one priority level, oldest first.
#[derive(Debug, Default)]
struct Level {
    chunks: VecDeque<Chunk>,
}

/// One host's queue.
#[derive(Debug, Default)]
pub(crate) struct HostQueue {
    levels: BTreeMap<Reverse<i32>, Level>,
    len: usize,
    /// Queued requests never sent yet (not retries): each will count against a page limit.
    first_attempts: usize,
}

impl HostQueue {
    /// Requests queued.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many first attempts (requests never sent) would go before a request of
    /// `priority` queued now, when that is all of them: 0 when some queued request has a
    /// lower priority (it could be passed over, so the count is not known cheaply).
    pub(crate) fn first_attempts_before(&self, priority: i32) -> usize {
        match self.levels.last_key_value() {
            Some((Reverse(lowest), _)) if priority <= *lowest => self.first_attempts,
            _ => 0,
        }
    }

    /// Queues `r` (discovered as number `seq`); `origin` is the queue's host as
    /// `scheme://host:port` (a URL of another origin is kept whole).
    pub(crate) fn push(&mut self, r: Request, seq: u64, origin: &str, shared: &mut Shared) {
        let level = self.levels.entry(Reverse(r.priority)).or_default();
        let whole = !crate::canon::has_host_key(&r.url, origin);
        let suffix = if whole {
            r.url.as_str()
        } else {
            &r.url[url::Position::BeforePath..]
        };
        let referrer = r.referrer.as_ref().map_or(0, |u| shared.referrer_id(u) + 1);
        let label = r.label.as_ref().map_or(0, |l| shared.label_id(l) + 1);
        let session = r.session.as_ref().map_or(0, |l| shared.label_id(l) + 1);
        let need = suffix.len() + 32;
        let last_full = level
            .chunks
            .back()
            .is_none_or(|c| c.buf.len() + need > c.buf.capacity());
        if last_full {
            let size = level
                .chunks
                .back()
                .map_or(FIRST_CHUNK, |c| (c.buf.capacity() * 2).min(MAX_CHUNK))
                .max(need);
            level.chunks.push_back(Chunk {
                buf: Vec::with_capacity(size),
                read: 0,
            });
        }
        let buf = &mut level.chunks.back_mut().expect("a chunk was made").buf;
        put(buf, seq);
        put(buf, u64::from(r.depth));
        put(buf, u64::from(r.attempts));
        buf.push(r.redirects);
        buf.push(u8::from(whole) | (u8::from(r.render) << 1));
        put(buf, u64::from(referrer));
        put(buf, u64::from(label));
        put(buf, u64::from(session));
        put(buf, suffix.len() as u64);
        buf.extend_from_slice(suffix.as_bytes());
        self.len += 1;
        self.first_attempts += usize::from(r.attempts == 0);
    }

    /// Takes the next request out (highest priority, then first queued), with its
    /// discovery number; `join` makes the URL of a path and query of this queue's origin
    /// (a URL of another origin was kept whole and is parsed here).
    pub(crate) fn pop(
        &mut self,
        shared: &mut Shared,
        join: impl FnOnce(&str) -> Option<Url>,
    ) -> Option<(u64, Request)> {
        let mut entry = self.levels.first_entry()?;
        let Reverse(priority) = *entry.key();
        let level = entry.get_mut();
        let chunk = level.chunks.front_mut()?;
        let mut at = chunk.read;
        let Record {
            seq,
            depth,
            attempts,
            redirects,
            whole,
            render,
            referrer,
            label,
            session,
            suffix,
        } = decode(&chunk.buf, &mut at);
        let url = match whole {
            true => Url::parse(suffix).ok(),
            false => join(suffix),
        };
        chunk.read = at;
        if chunk.read == chunk.buf.len() {
            level.chunks.pop_front();
            if level.chunks.is_empty() {
                entry.remove();
            }
        }
        self.len -= 1;
        self.first_attempts -= usize::from(attempts == 0);
        // The referrer is given back before anything can fail, so its count stays right.
        let referrer = (referrer > 0)
            .then(|| shared.take_referrer(u32::try_from(referrer - 1).unwrap_or(u32::MAX)))
            .flatten();
        let mut r = Request::new(url?);
        r.priority = priority;
        r.depth = u32::try_from(depth).unwrap_or(u32::MAX);
        r.attempts = u32::try_from(attempts).unwrap_or(u32::MAX);
        r.redirects = redirects;
        r.render = render;
        r.referrer = referrer;
        let interned = |id: u64| {
            let i = usize::try_from(id.checked_sub(1)?).ok()?;
            shared.labels.get(i).cloned()
        };
        r.label = interned(label);
        r.session = interned(session);
        Some((seq, r))
    }

    /// Bytes held for the queued records.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        (self.levels.values())
            .flat_map(|l| l.chunks.iter())
            .map(|c| c.buf.capacity())
            .sum()
    }
}

/// One queued request's record, as stored.
struct Record<'a> {
    seq: u64,
    depth: u64,
    attempts: u64,
    redirects: u8,
    whole: bool,
    render: bool,
    referrer: u64,
    label: u64,
    session: u64,
    suffix: &'a str,
}

/// Reads one record at `at` (written by [`HostQueue::push`], so it is well formed).
fn decode<'a>(buf: &'a [u8], at: &mut usize) -> Record<'a> {
    let seq = get(buf, at);
    let depth = get(buf, at);
    let attempts = get(buf, at);
    let redirects = buf.get(*at).copied().unwrap_or(0);
    let flags = buf.get(*at + 1).copied().unwrap_or(0);
    let (whole, render) = (flags & 1 == 1, flags & 2 == 2);
    *at += 2;
    let referrer = get(buf, at);
    let label = get(buf, at);
    let session = get(buf, at);
    let len = usize::try_from(get(buf, at)).unwrap_or(0);
    let end = (*at + len).min(buf.len());
    let suffix = std::str::from_utf8(&buf[*at..end]).unwrap_or("/");
    *at = end;
    Record {
        seq,
        depth,
        attempts,
        redirects,
        whole,
        render,
        referrer,
        label,
        session,
        suffix,
    }
}

/// Appends `v` as a LEB128 varint.
fn put(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Reads a LEB128 varint at `at`.
fn get(buf: &[u8], at: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    while let Some(&b) = buf.get(*at) {
        *at += 1;
        if shift < 64 {
            v |= u64::from(b & 0x7f) << shift;
        }
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "http://a.test:80";

    /// The URL of a path and query of [`ORIGIN`], parsed whole.
    fn join(suffix: &str) -> Option<Url> {
        Url::parse(&format!("{ORIGIN}{suffix}")).ok()
    }

    fn req(path: &str) -> Request {
        Request::get(&format!("http://a.test{path}")).unwrap()
    }

    #[test]
    fn requests_come_back_whole_in_priority_then_fifo_order() {
        let mut shared = Shared::default();
        let mut q = HostQueue::default();
        let from = Arc::new(Url::parse("http://a.test/from").unwrap());
        for i in 0..300u64 {
            let mut r = req(&format!("/p{i}?q=é&x=1"));
            r.depth = 3;
            r.attempts = u32::try_from(i % 3).unwrap();
            r.redirects = 2;
            r.referrer = Some(Arc::clone(&from));
            if i == 7 {
                r = (r.with_priority(9).with_label("first"))
                    .with_session("s1")
                    .render();
            }
            q.push(r, i, ORIGIN, &mut shared);
        }
        let (seq, first) = q.pop(&mut shared, join).unwrap();
        assert_eq!(
            (seq, first.url.path(), first.label(), first.session()),
            (7, "/p7", Some("first"), Some("s1"))
        );
        assert!(first.wants_render());
        let mut expect = (0..300u64).filter(|&i| i != 7);
        while let Some((seq, r)) = q.pop(&mut shared, join) {
            let i = expect.next().unwrap();
            assert_eq!(seq, i);
            assert_eq!(r.url.as_str(), format!("http://a.test/p{i}?q=%C3%A9&x=1"));
            assert_eq!(
                (r.depth, r.attempts, r.redirects),
                (3, u32::try_from(i % 3).unwrap(), 2)
            );
            assert_eq!(r.referrer().map(Url::as_str), Some("http://a.test/from"));
            assert_eq!(
                (r.priority, r.session(), r.wants_render()),
                (0, None, false)
            );
        }
        assert!(expect.next().is_none() && q.is_empty());
        assert!(shared.referrers.iter().all(Option::is_none));
        assert!(shared.by_ptr.is_empty() && shared.last.is_none());
    }

    #[test]
    fn referrers_are_kept_as_text_and_told_apart_by_it() {
        let mut shared = Shared::default();
        let mut q = HostQueue::default();
        let from = Arc::new(Url::parse("http://a.test/one").unwrap());
        for i in 0..3 {
            let mut r = req(&format!("/a{i}"));
            r.referrer = Some(Arc::clone(&from));
            q.push(r, i, ORIGIN, &mut shared);
        }
        assert_eq!(
            Arc::strong_count(&from),
            1,
            "the frontier keeps no parsed referrer"
        );
        // Another page's URL at the address the first one was queued with (as when the first
        // page's `Arc` is freed and its address reused): it gets an id of its own.
        let other = Arc::new(Url::parse("http://a.test/two").unwrap());
        moved_to(&mut shared, 0, &other);
        for i in 3..5 {
            let mut r = req(&format!("/b{i}"));
            r.referrer = Some(Arc::clone(&other));
            q.push(r, i, ORIGIN, &mut shared);
        }
        let got: Vec<_> = std::iter::from_fn(|| q.pop(&mut shared, join))
            .map(|(_, r)| format!("{} from {}", r.url.path(), r.referrer().unwrap().path()))
            .collect();
        let want = [
            "/a0 from /one",
            "/a1 from /one",
            "/a2 from /one",
            "/b3 from /two",
            "/b4 from /two",
        ];
        assert_eq!(got, want);
        assert!(shared.referrers.iter().all(Option::is_none));
        assert!(shared.by_ptr.is_empty() && shared.last.is_none());
    }

    /// Makes referrer `id` known by `url`'s address, as if it had been queued with an `Arc`
    /// freed since, whose address `url` now has.
    fn moved_to(shared: &mut Shared, id: u32, url: &Arc<Url>) {
        let entry = shared.referrers[id as usize].as_mut().unwrap();
        shared.by_ptr.remove(&entry.ptr);
        entry.ptr = Arc::as_ptr(url) as usize;
        shared.by_ptr.insert(entry.ptr, id);
    }

    fn push_from(q: &mut HostQueue, shared: &mut Shared, path: &str, from: &Arc<Url>, seq: u64) {
        let mut r = req(path);
        r.referrer = Some(Arc::clone(from));
        q.push(r, seq, ORIGIN, shared);
    }

    #[test]
    fn the_first_page_freed_leaves_the_address_to_the_page_that_took_it() {
        let mut shared = Shared::default();
        let mut q = HostQueue::default();
        let one = Arc::new(Url::parse("http://a.test/one").unwrap());
        let two = Arc::new(Url::parse("http://a.test/two").unwrap());
        push_from(&mut q, &mut shared, "/a", &one, 0);
        moved_to(&mut shared, 0, &two);
        push_from(&mut q, &mut shared, "/b", &two, 1);
        q.pop(&mut shared, join).unwrap();
        // `/one` is freed; `/two` still owns the address, so a new link of it joins its entry.
        push_from(&mut q, &mut shared, "/c", &two, 2);
        let live: Vec<_> = shared.referrers.iter().flatten().collect();
        assert_eq!(live.len(), 1, "{live:?}");
        assert_eq!((&*live[0].text, live[0].count), ("http://a.test/two", 2));
    }

    #[test]
    fn a_referrer_is_parsed_once_per_run_and_never_answered_for_a_reused_id() {
        let mut shared = Shared::default();
        let mut q = HostQueue::default();
        let page = |p: &str| Arc::new(Url::parse(&format!("http://a.test{p}")).unwrap());
        let (x, y, z) = (page("/x"), page("/y"), page("/z"));
        // Two pages' links interleaved: x, y, x, x.
        for (seq, (path, from)) in [("/1", &x), ("/2", &y), ("/3", &x), ("/4", &x)]
            .into_iter()
            .enumerate()
        {
            push_from(&mut q, &mut shared, path, from, seq as u64);
        }
        let pop = |q: &mut HostQueue, s: &mut Shared| {
            let (_, r) = q.pop(s, join).unwrap();
            (r.url.path().to_owned(), r.referrer.unwrap())
        };
        let got: Vec<_> = (0..4).map(|_| pop(&mut q, &mut shared)).collect();
        let named: Vec<_> = got
            .iter()
            .map(|(p, r)| format!("{p}<{}", r.path()))
            .collect();
        assert_eq!(named, ["/1</x", "/2</y", "/3</x", "/4</x"]);
        assert!(
            Arc::ptr_eq(&got[2].1, &got[3].1),
            "one parse for a run of one page"
        );
        // x's id is free now; a new page takes it and must not be answered as x.
        push_from(&mut q, &mut shared, "/5", &z, 5);
        push_from(&mut q, &mut shared, "/6", &z, 6);
        let (path, from) = pop(&mut q, &mut shared);
        assert_eq!((path.as_str(), from.path()), ("/5", "/z"));
        assert!(
            shared
                .referrers
                .iter()
                .flatten()
                .all(|r| &*r.text == "http://a.test/z")
        );
    }

    #[test]
    fn a_queued_url_costs_a_few_dozen_bytes() {
        let mut shared = Shared::default();
        let mut q = HostQueue::default();
        let from = Arc::new(Url::parse("http://a.test/s01/p000001.html").unwrap());
        let n = 100_000u64;
        for i in 0..n {
            let mut r = req(&format!("/s{:02}/p{i:06}.html", i % 50));
            r.depth = 4;
            r.referrer = Some(Arc::clone(&from));
            q.push(r, 1_000_000 + i, ORIGIN, &mut shared);
        }
        let per_url = q.bytes() as f64 / n as f64;
        assert!(per_url < 40.0, "{per_url:.1} bytes per queued URL");
    }

    #[test]
    fn a_url_of_another_origin_is_kept_whole() {
        let mut shared = Shared::default();
        let mut q = HostQueue::default();
        q.push(
            Request::get("https://b.test:8443/x?y").unwrap(),
            1,
            ORIGIN,
            &mut shared,
        );
        let (_, r) = q.pop(&mut shared, join).unwrap();
        assert_eq!(r.url.as_str(), "https://b.test:8443/x?y");
    }

    #[test]
    fn varints_round_trip() {
        let mut buf = Vec::new();
        let values = [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX];
        for v in values {
            put(&mut buf, v);
        }
        let mut at = 0;
        for v in values {
            assert_eq!(get(&buf, &mut at), v);
        }
        assert_eq!(at, buf.len());
    }
}
