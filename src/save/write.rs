//! Writing a page under the save directory without ever leaving it.
//!
//! Directories are created one component at a time; each existing component is inspected
//! with `symlink_metadata` (which does not follow links) and must be a plain directory. The
//! file is written to a temporary name in its directory (`.~tmp-...`, a name the encoder never
//! produces) and renamed over the target, so a reader never sees half a page and a link at
//! the target is replaced, not followed. This guards against links in the tree, not against
//! another process racing to plant one between the check and the write.
//!
//! A page and a directory may want the same name (`/docs` then `/docs/intro`): the page moves
//! into the directory as `index.html`, in whichever order the two arrive.

use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{SaveError, SavePath};

static TEMP: AtomicU64 = AtomicU64::new(0);

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SaveError + '_ {
    move |source| SaveError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What stands at a path, links not followed.
enum Found {
    Nothing,
    Dir,
    File,
    Other,
}

fn found(path: &Path) -> Result<Found, SaveError> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_dir() => Ok(Found::Dir),
        Ok(m) if m.file_type().is_file() => Ok(Found::File),
        Ok(_) => Ok(Found::Other),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Found::Nothing),
        Err(e) => Err(io_err(path)(e)),
    }
}

fn temp_name(dir: &Path) -> PathBuf {
    let n = TEMP.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".~tmp-{}-{n}", std::process::id()))
}

/// Makes `path` a plain directory: creates it, or moves a page standing there into it.
fn ensure_dir(path: &Path) -> Result<(), SaveError> {
    match found(path)? {
        Found::Dir => Ok(()),
        Found::Nothing => match fs::create_dir(path) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => match found(path)? {
                Found::Dir => Ok(()),
                _ => Err(SaveError::NotPlain { path: path.into() }),
            },
            other => other.map_err(io_err(path)),
        },
        Found::File => {
            let parent = path.parent().unwrap_or(path);
            let tmp = temp_name(parent);
            fs::rename(path, &tmp).map_err(io_err(path))?;
            fs::create_dir(path).map_err(io_err(path))?;
            let index = path.join("index.html");
            fs::rename(&tmp, &index).map_err(io_err(&index))
        }
        Found::Other => Err(SaveError::NotPlain { path: path.into() }),
    }
}

/// Writes `body` at `root/path` (see the module docs); returns the file written, which is
/// `.../index.html` inside the directory when a directory holds the page's name.
///
/// # Errors
///
/// [`SaveError::NotPlain`] for a symbolic link (or a special file) on the way or at the
/// target; [`SaveError::Io`] if creating or writing fails.
pub fn write_under(root: &Path, path: &SavePath, body: &[u8]) -> Result<PathBuf, SaveError> {
    fs::create_dir_all(root).map_err(io_err(root))?;
    let (file, dirs) = path
        .components()
        .split_last()
        .ok_or_else(|| SaveError::NotPlain { path: root.into() })?;
    let mut dir = root.to_path_buf();
    for name in dirs {
        dir.push(name);
        ensure_dir(&dir)?;
    }
    let mut target = dir.join(file);
    match found(&target)? {
        Found::Dir => {
            dir = target;
            target = dir.join("index.html");
            if matches!(found(&target)?, Found::Dir | Found::Other) {
                return Err(SaveError::NotPlain { path: target });
            }
        }
        Found::Other => return Err(SaveError::NotPlain { path: target }),
        Found::Nothing | Found::File => {}
    }
    let tmp = temp_name(&dir);
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| f.write_all(body));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(&tmp)(e));
    }
    fs::rename(&tmp, &target).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_err(&target)(e)
    })?;
    Ok(target)
}
