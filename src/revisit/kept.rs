//! The page cache on disk: [`RevisitCache`], the [`PageCache`] a recrawl uses (see the
//! module above for what it does).

use super::cache::{self, Entry, Pages};
use super::policy::{self, Verdict};
use super::{Note, PageCache, Prior, Revisit};
use crate::fetch::transport::FetchResponse;
use crate::headers::Headers;
use crate::store::StoreError;
use http_cache_semantics::CachePolicy;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;
use url::Url;

/// The pages a crawl keeps for the next one, in a directory. Opened by one crawl at a
/// time (a second opener gets [`StoreError::Locked`]).
#[derive(Debug, Clone)]
pub struct RevisitCache {
    pages: Arc<Pages>,
}

/// What the cache knew of a page before its request went out.
#[derive(Debug)]
struct Known {
    entry: Option<Entry>,
    fingerprint: u64,
}

impl RevisitCache {
    /// Opens the cache kept in `dir`, creating it when there is none, for the next crawl.
    pub fn open(dir: impl AsRef<Path>) -> Result<RevisitCache, StoreError> {
        Ok(RevisitCache {
            pages: Arc::new(Pages::open(dir.as_ref())?),
        })
    }

    fn store(&self, fp: u64, policy: CachePolicy, storable: bool, answer: &FetchResponse) {
        if !storable || answer.truncated {
            self.log(self.pages.remove(fp));
            return;
        }
        let html = crate::sniff::is_html(answer.headers.get("content-type"), &answer.body);
        let entry = Entry {
            policy,
            digest: xxhash_rust::xxh3::xxh3_64(&answer.body),
            bytes: answer.body.len() as u64,
            has_body: html,
            body: html.then(|| answer.body.to_vec()),
        };
        self.log(self.pages.put(fp, &entry));
    }

    fn log(&self, r: Result<(), StoreError>) {
        if let Err(e) = r {
            tracing::warn!("the page cache: {e}");
        }
    }
}

impl PageCache for RevisitCache {
    fn before(&self, url: &Url, headers: &mut Headers) -> Prior {
        let fingerprint = crate::canon::fingerprint(url);
        let entry = self.pages.get(fingerprint);
        if let Some(e) = &entry {
            for (name, value) in cache::validators(e, url, headers) {
                let _ = headers.set(&name, &value);
            }
        }
        Box::new(Known { entry, fingerprint })
    }

    fn after(
        &self,
        url: &Url,
        prior: Prior,
        sent: &Headers,
        answer: FetchResponse,
    ) -> (FetchResponse, Option<Note>) {
        let Ok(prior) = prior.downcast::<Known>() else {
            return (answer, None);
        };
        let now = SystemTime::now();
        let fp = prior.fingerprint;
        let keep = |revisit: Revisit, answer: &FetchResponse| {
            let (policy, storable) =
                policy::of_answer(url, sent, answer.status, &answer.headers, now)?;
            self.store(fp, policy, storable, answer);
            Some(Note {
                revisit,
                saved: 0,
                status: answer.status,
            })
        };
        let Some(entry) = prior.entry else {
            let note = (answer.status == 200)
                .then(|| keep(Revisit::New, &answer))
                .flatten();
            return (answer, note);
        };
        match policy::after(
            &entry.policy,
            url,
            sent,
            answer.status,
            &answer.headers,
            now,
        ) {
            Some(Verdict::NotModified(new))
                if answer.status == 304
                    && entry.has_body
                    && let Some(body) = self.pages.body(fp, &entry) =>
            {
                let (policy, head) = *new;
                let saved = entry.bytes;
                let kept = Entry { policy, ..entry };
                self.log(self.pages.put(fp, &kept));
                let stand_in = stand_in(body, &head, answer.elapsed);
                let note = Note {
                    revisit: Revisit::Unchanged,
                    saved,
                    status: 304,
                };
                (stand_in, Some(note))
            }
            Some(Verdict::NotModified(new)) if answer.status == 304 && !entry.has_body => {
                let (policy, _) = *new;
                // A page kept without its body (not HTML): nothing to parse again.
                let saved = entry.bytes;
                self.log(self.pages.put(fp, &Entry { policy, ..entry }));
                let note = Note {
                    revisit: Revisit::Unchanged,
                    saved,
                    status: 304,
                };
                (answer, Some(note))
            }
            _ if answer.status == 200 => {
                let same = xxhash_rust::xxh3::xxh3_64(&answer.body) == entry.digest;
                let revisit = if same {
                    Revisit::Unchanged
                } else {
                    Revisit::Changed
                };
                let note = keep(revisit, &answer);
                (answer, note)
            }
            _ if matches!(answer.status, 404 | 410) => {
                self.log(self.pages.remove(fp));
                let note = Note {
                    revisit: Revisit::Gone,
                    saved: 0,
                    status: answer.status,
                };
                (answer, Some(note))
            }
            _ => {
                // A redirect, an error, a 304 that does not match: the kept page stays.
                self.log(self.pages.touch(fp));
                (answer, None)
            }
        }
    }

    fn finish(&self, completed: bool) -> Option<u64> {
        if !completed {
            return None;
        }
        match self.pages.sweep() {
            Ok(n) => Some(n),
            Err(e) => {
                tracing::warn!("the page cache could not be swept: {e}");
                None
            }
        }
    }
}

/// The kept page, as the answer it was (its headers updated by the `304`).
fn stand_in(
    body: Vec<u8>,
    head: &http::response::Parts,
    elapsed: std::time::Duration,
) -> FetchResponse {
    let mut headers = Headers::new();
    for (name, value) in &head.headers {
        headers.append_raw(name.as_str(), value.as_bytes());
    }
    let mut r = FetchResponse::new(head.status.as_u16(), headers, body);
    r.elapsed = elapsed;
    r
}
