//! The pages an earlier crawl kept, on disk (fjall): per URL fingerprint, the answer's
//! cache policy (its headers, for the validators and the `304` check), a digest and the
//! length of its body, and the number of the last crawl that met it (keyspace `pages`);
//! and the body itself (keyspace `bodies`: deflated, HTML pages only, so an unchanged page
//! is parsed again as it was). A `304` rewrites the small record only, never the body.
//!
//! Record layout: version byte, last crawl (u64 BE), digest (u64 BE), body length (u64
//! BE), a byte saying whether a body is kept, then the policy as JSON. Decoding checks
//! every length; a damaged record or body is treated as absent (the page is fetched whole).
//! Memory is bounded as the crawl state's is: small write buffers and block cache.

use super::policy;
use crate::store::StoreError;
use fjall::{Database, Keyspace, KeyspaceCreateOptions};
use http_cache_semantics::CachePolicy;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

const ENTRY_VERSION: u8 = 1;
const FORMAT: &[u8] = b"trawler-revisits-1";
const META_FORMAT: &[u8] = b"format";
const META_GENERATION: &[u8] = b"generation";

/// One kept page.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) policy: CachePolicy,
    pub(crate) digest: u64,
    /// The body's length as it was received (decoded).
    pub(crate) bytes: u64,
    /// Whether the body is kept (HTML pages).
    pub(crate) has_body: bool,
    /// The body to keep, when it is new ([`Pages::put`]); `None` when read back.
    pub(crate) body: Option<Vec<u8>>,
}

/// The pages kept, with the number of the crawl now running.
pub(crate) struct Pages {
    db: Database,
    pages: Keyspace,
    bodies: Keyspace,
    path: PathBuf,
    /// This crawl's number (one more than the last one's).
    pub(crate) generation: u64,
    _lock: File,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("path", &self.path)
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

fn fjall_error(path: &Path, e: fjall::Error) -> StoreError {
    match e {
        fjall::Error::Io(io) => StoreError::Io(io),
        other => StoreError::Invalid(format!("{}: {other}", path.display())),
    }
}

impl Pages {
    /// Opens the pages kept in `dir` (creating it), as the next crawl's.
    pub(crate) fn open(dir: &Path) -> Result<Pages, StoreError> {
        std::fs::create_dir_all(dir)?;
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("LOCK"))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Locked(dir.display().to_string()));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(StoreError::Io(e)),
        }
        let db_path = dir.join("db");
        let fresh = !db_path.exists();
        let db = Database::builder(&db_path)
            .cache_size(crate::store::disk::CACHE)
            .max_journaling_size(crate::store::disk::JOURNAL)
            .open()
            .map_err(|e| fjall_error(&db_path, e))?;
        let open = |name| {
            db.keyspace(name, || {
                KeyspaceCreateOptions::default().max_memtable_size(crate::store::disk::MEMTABLE)
            })
            .map_err(|e| fjall_error(&db_path, e))
        };
        let (pages, bodies, meta) = (open("pages")?, open("bodies")?, open("meta")?);
        let format = meta
            .get(META_FORMAT)
            .map_err(|e| fjall_error(&db_path, e))?;
        match format {
            Some(f) if *f == *FORMAT => {}
            None if fresh => meta
                .insert(META_FORMAT, FORMAT)
                .map_err(|e| fjall_error(&db_path, e))?,
            _ => {
                return Err(StoreError::Invalid(format!(
                    "{} is not a page cache of this version of trawler",
                    dir.display()
                )));
            }
        }
        let last = (meta
            .get(META_GENERATION)
            .map_err(|e| fjall_error(&db_path, e))?)
        .and_then(|v| <[u8; 8]>::try_from(&*v).ok())
        .map_or(0, u64::from_be_bytes);
        let generation = last + 1;
        (meta.insert(META_GENERATION, generation.to_be_bytes()))
            .map_err(|e| fjall_error(&db_path, e))?;
        Ok(Pages {
            db,
            pages,
            bodies,
            path: dir.to_path_buf(),
            generation,
            _lock: lock,
        })
    }

    /// The page kept for `fingerprint`, if any (a damaged record counts as none); its
    /// body is read when it is needed ([`body`](Self::body)).
    pub(crate) fn get(&self, fingerprint: u64) -> Option<Entry> {
        let value = self.pages.get(fingerprint.to_be_bytes()).ok()??;
        decode(&value)
    }

    /// The body kept for `entry` (`None` if there is none, or it is damaged).
    pub(crate) fn body(&self, fingerprint: u64, entry: &Entry) -> Option<Vec<u8>> {
        let deflated = self.bodies.get(fingerprint.to_be_bytes()).ok()??;
        inflate(&deflated, entry.bytes)
    }

    /// Keeps `entry` for `fingerprint`, met by this crawl, with its body when it has one
    /// (`entry.body`); without, the body kept before stays if `entry.has_body` says so.
    pub(crate) fn put(&self, fingerprint: u64, entry: &Entry) -> Result<(), StoreError> {
        let key = fingerprint.to_be_bytes();
        let mut batch = self.db.batch();
        batch.insert(&self.pages, key, encode(self.generation, entry)?);
        match &entry.body {
            Some(body) => batch.insert(&self.bodies, key, deflate(body)?),
            None if !entry.has_body => batch.remove(&self.bodies, key),
            None => {}
        }
        batch.commit().map_err(|e| self.err(e))
    }

    /// Forgets the page kept for `fingerprint`.
    pub(crate) fn remove(&self, fingerprint: u64) -> Result<(), StoreError> {
        let key = fingerprint.to_be_bytes();
        let mut batch = self.db.batch();
        batch.remove(&self.pages, key);
        batch.remove(&self.bodies, key);
        batch.commit().map_err(|e| self.err(e))
    }

    /// Marks the page kept for `fingerprint` as met by this crawl.
    pub(crate) fn touch(&self, fingerprint: u64) -> Result<(), StoreError> {
        let key = fingerprint.to_be_bytes();
        if let Some(mut value) = self
            .pages
            .get(key)
            .map_err(|e| self.err(e))?
            .map(|v| v.to_vec())
            && value.len() > 9
        {
            value[1..9].copy_from_slice(&self.generation.to_be_bytes());
            self.pages.insert(key, value).map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// Forgets every page this crawl did not meet; how many.
    pub(crate) fn sweep(&self) -> Result<u64, StoreError> {
        let mut gone = Vec::new();
        for kv in self.pages.iter() {
            let (key, value) = kv.into_inner().map_err(|e| self.err(e))?;
            let met = value.get(1..9).and_then(|b| <[u8; 8]>::try_from(b).ok());
            if met.map(u64::from_be_bytes) != Some(self.generation) {
                gone.push(key.to_vec());
            }
        }
        for key in &gone {
            self.pages.remove(key.as_slice()).map_err(|e| self.err(e))?;
            self.bodies
                .remove(key.as_slice())
                .map_err(|e| self.err(e))?;
        }
        self.db
            .persist(fjall::PersistMode::SyncAll)
            .map_err(|e| self.err(e))?;
        Ok(gone.len() as u64)
    }

    fn err(&self, e: fjall::Error) -> StoreError {
        fjall_error(&self.path, e)
    }
}

fn encode(generation: u64, e: &Entry) -> Result<Vec<u8>, StoreError> {
    let policy = serde_json::to_vec(&e.policy).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let mut out = Vec::with_capacity(26 + policy.len());
    out.push(ENTRY_VERSION);
    out.extend_from_slice(&generation.to_be_bytes());
    out.extend_from_slice(&e.digest.to_be_bytes());
    out.extend_from_slice(&e.bytes.to_be_bytes());
    out.push(u8::from(e.has_body || e.body.is_some()));
    out.extend_from_slice(&policy);
    Ok(out)
}

fn decode(v: &[u8]) -> Option<Entry> {
    let u64_at = |at: usize| Some(u64::from_be_bytes(v.get(at..at + 8)?.try_into().ok()?));
    if *v.first()? != ENTRY_VERSION {
        return None;
    }
    let digest = u64_at(9)?;
    let bytes = u64_at(17)?;
    let has_body = match *v.get(25)? {
        0 => false,
        1 => true,
        _ => return None,
    };
    let policy = serde_json::from_slice(v.get(26..)?).ok()?;
    Some(Entry {
        policy,
        digest,
        bytes,
        has_body,
        body: None,
    })
}

fn deflate(body: &[u8]) -> Result<Vec<u8>, StoreError> {
    let mut z = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(body.len() / 3),
        flate2::Compression::fast(),
    );
    z.write_all(body)?;
    Ok(z.finish()?)
}

/// The body, if it inflates to exactly the length recorded; never more than one byte past
/// it is inflated (a damaged entry is no bomb).
fn inflate(deflated: &[u8], bytes: u64) -> Option<Vec<u8>> {
    let mut body = Vec::with_capacity(usize::try_from(bytes).ok()?.min(1 << 26));
    let mut z = flate2::read::DeflateDecoder::new(deflated).take(bytes.saturating_add(1));
    z.read_to_end(&mut body).ok()?;
    (body.len() as u64 == bytes).then_some(body)
}

/// The validators an entry's page is asked with (see [`policy::validators`]).
pub(crate) fn validators(
    entry: &Entry,
    url: &url::Url,
    sent: &crate::headers::Headers,
) -> Vec<(String, String)> {
    policy::validators(&entry.policy, url, sent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::Headers;
    use std::time::SystemTime;

    fn entry(body: Option<&[u8]>) -> Entry {
        let url = url::Url::parse("http://a.test/").unwrap();
        let mut h = Headers::new();
        h.append_raw("etag", b"\"1\"");
        let (policy, _) =
            policy::of_answer(&url, &Headers::new(), 200, &h, SystemTime::now()).unwrap();
        Entry {
            policy,
            digest: 7,
            bytes: body.map_or(10, |b| b.len() as u64),
            has_body: body.is_some(),
            body: body.map(<[u8]>::to_vec),
        }
    }

    #[test]
    fn entries_round_trip_and_damaged_ones_read_as_none() {
        let body = b"<html>hello hello hello</html>".repeat(10);
        let bytes = encode(3, &entry(Some(&body))).unwrap();
        let back = decode(&bytes).unwrap();
        assert_eq!(
            (back.digest, back.bytes, back.has_body),
            (7, body.len() as u64, true)
        );
        assert!(!decode(&encode(3, &entry(None)).unwrap()).unwrap().has_body);
        for cut in [0, 5, 20, 26, bytes.len() - 1] {
            assert!(decode(&bytes[..cut]).is_none(), "cut at {cut}");
        }
        let mut other = bytes.clone();
        other[0] = 9;
        assert!(decode(&other).is_none());
        let deflated = deflate(&body).unwrap();
        assert_eq!(
            inflate(&deflated, body.len() as u64).as_deref(),
            Some(&body[..])
        );
        assert_eq!(inflate(&deflated, 5), None, "longer than recorded");
        assert_eq!(
            inflate(&deflated[..deflated.len() / 2], body.len() as u64),
            None
        );
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_decode_or_fail_without_a_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            len in 0u64..1 << 20,
        ) {
            let _ = decode(&bytes);
            let _ = inflate(&bytes, len);
            let mut versioned = bytes.clone();
            if let Some(b) = versioned.first_mut() {
                *b = ENTRY_VERSION;
            }
            let _ = decode(&versioned);
        }
    }

    #[test]
    fn a_second_crawl_sweeps_what_it_did_not_meet() {
        let dir = tempfile::tempdir().unwrap();
        {
            let first = Pages::open(dir.path()).unwrap();
            assert_eq!(first.generation, 1);
            for fp in 0..4 {
                first.put(fp, &entry(None)).unwrap();
            }
            assert!(matches!(
                Pages::open(dir.path()),
                Err(StoreError::Locked(_))
            ));
        }
        let second = Pages::open(dir.path()).unwrap();
        assert_eq!(second.generation, 2);
        second.touch(0).unwrap();
        second.put(1, &entry(None)).unwrap();
        second.remove(2).unwrap();
        assert_eq!(second.sweep().unwrap(), 1, "3 was not met");
        assert!(second.get(0).is_some() && second.get(1).is_some());
        assert!(second.get(2).is_none() && second.get(3).is_none());
        drop(second);
        let other = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(other.path().join("db")).unwrap();
        assert!(
            Pages::open(other.path()).is_err(),
            "a db without the format mark"
        );
    }
}
