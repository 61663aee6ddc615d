//! Fetched pages as files under a directory, by host and path, the way `wget --mirror` lays
//! them out: `DIR/example.com/docs/intro.html`, `DIR/example.com/docs/index.html` for
//! `/docs/`, the query folded into the last name (`search%3Fq=rust`), a port kept in the
//! host's name (`127.0.0.1%3A8080`).
//!
//! Whatever the URL says, the file lands under the directory: [`SavePath::for_url`] builds
//! the relative path from components that are each a single safe name (see `name.rs`: no `.`
//! or `..`, no separators, no NUL, no device names, ASCII only, capitals and long names
//! suffixed with a hash so that names stay distinct where case is ignored), and
//! [`write_under`] creates the directories one by one without following any symbolic link it
//! meets, then writes through a temporary file and a rename.
//!
//! Compiled with the `save` feature.

mod name;
mod write;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use url::Url;
use xxhash_rust::xxh3::xxh3_64;

pub use name::MAX_NAME;
pub use write::write_under;

/// Longest relative path produced, in bytes; a longer one is replaced by
/// `HOST/~long/HASH.EXT`.
pub const MAX_PATH: usize = 1000;

/// Why a page could not be saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SaveError {
    /// Only `http` and `https` URLs with a host are saved.
    #[error("{url}: only http and https URLs with a host are saved")]
    Unsupported {
        /// The URL.
        url: String,
    },
    /// A symbolic link (or something that is neither file nor directory) stands where the
    /// path needs a directory or the file; nothing is written through it.
    #[error("{}: not a plain directory or file (a symbolic link?); nothing written", path.display())]
    NotPlain {
        /// The path found.
        path: PathBuf,
    },
    /// A file system operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

/// A relative path made of safe names, for one URL; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SavePath {
    parts: Vec<String>,
}

impl SavePath {
    /// The path for `url`: host directory, one directory per path segment, then the last
    /// segment (`index.html` if empty) with `?query` appended. The fragment is ignored.
    ///
    /// # Errors
    ///
    /// [`SaveError::Unsupported`] for a URL that is not `http`/`https` or has no host.
    pub fn for_url(url: &Url) -> Result<SavePath, SaveError> {
        let unsupported = || SaveError::Unsupported {
            url: url.to_string(),
        };
        if !matches!(url.scheme(), "http" | "https") {
            return Err(unsupported());
        }
        let host = url.host_str().ok_or_else(unsupported)?;
        let host = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        let mut parts = vec![name::encode(host.as_bytes())];
        let segments: Vec<&str> = url.path_segments().ok_or_else(unsupported)?.collect();
        let (last, dirs) = segments.split_last().unwrap_or((&"", &[]));
        for dir in dirs.iter().filter(|d| !d.is_empty()) {
            parts.push(name::encode(&percent_decode(dir)));
        }
        let mut file = if last.is_empty() {
            b"index.html".to_vec()
        } else {
            percent_decode(last)
        };
        if let Some(query) = url.query() {
            file.push(b'?');
            file.extend_from_slice(query.as_bytes());
        }
        parts.push(name::encode(&file));
        let len: usize = parts.iter().map(|p| p.len() + 1).sum();
        if len > MAX_PATH {
            let ext = match parts.last().and_then(|p| p.rsplit_once('.')) {
                Some((_, ext))
                    if ext.len() <= 8 && ext.bytes().all(|b| b.is_ascii_alphanumeric()) =>
                {
                    format!(".{ext}")
                }
                _ => String::new(),
            };
            let hash = xxh3_64(url.as_str().split('#').next().unwrap_or("").as_bytes());
            parts.truncate(1);
            parts.push("~long".to_owned());
            parts.push(format!("{hash:016x}{ext}"));
        }
        Ok(SavePath { parts })
    }

    /// The same path with `.ext` added to the file's name (`index.html.png`), for a
    /// file that goes beside the page: a screenshot, metadata. `ext` must be 1 to 8 ASCII
    /// lowercase letters or digits (so the name stays safe and under the file system's
    /// limit: names are at most [`MAX_NAME`] bytes); otherwise the path is returned as it is.
    #[must_use]
    pub fn with_extension(&self, ext: &str) -> SavePath {
        let safe = (1..=8).contains(&ext.len())
            && ext
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let mut path = self.clone();
        if let (true, Some(last)) = (safe, path.parts.last_mut()) {
            last.push('.');
            last.push_str(ext);
        }
        path
    }

    /// The names, host first.
    #[must_use]
    pub fn components(&self) -> &[String] {
        &self.parts
    }

    /// The relative path.
    #[must_use]
    pub fn to_path_buf(&self) -> PathBuf {
        self.parts.iter().collect()
    }
}

impl fmt::Display for SavePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.parts.join("/"))
    }
}

/// Writes `body` as the page of `url` under `root`; returns the file written.
///
/// # Errors
///
/// As [`SavePath::for_url`] and [`write_under`].
pub fn save_page(root: &Path, url: &Url, body: &[u8]) -> Result<PathBuf, SaveError> {
    write_under(root, &SavePath::for_url(url)?, body)
}

/// The bytes `%XX` escapes stand for (an invalid escape is kept as it is).
fn percent_decode(s: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(s).collect()
}

#[cfg(test)]
mod tests;
