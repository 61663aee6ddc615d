//! `--save DIR`: each page fetched with a 2xx answer written as a file under DIR, by host
//! and path, through the library's safe names (`trawler::save`: nothing lands outside DIR,
//! whatever the URL says).
//!
//! A response hook, so every page is saved (HTML or not) with the body as the crawl
//! decoded it, on the fetcher's thread: a write of one page is small beside its fetch. A
//! page that cannot be saved is logged and the crawl goes on; a DIR that cannot be
//! created stops the command before the crawl starts.

use crate::CliError;
use std::path::{Path, PathBuf};
use trawler::prelude::*;

/// The response hook; see the module docs.
#[derive(Debug)]
pub(crate) struct SavePages {
    dir: PathBuf,
}

impl SavePages {
    /// Saves under `dir`, created if missing.
    pub(crate) fn new(dir: &Path) -> Result<SavePages, CliError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| CliError::Keep(format!("--save {}: {e}", dir.display())))?;
        Ok(SavePages {
            dir: dir.to_path_buf(),
        })
    }
}

impl Middleware for SavePages {
    fn on_response(&self, response: &ResponseView<'_>) -> ResponseAction {
        if (200..300).contains(&response.status()) {
            let url = response.request().url();
            if let Err(e) = trawler::save::save_page(&self.dir, url, response.body()) {
                tracing::warn!(%url, "cannot save the page: {e}");
            }
        }
        ResponseAction::Default
    }
}
