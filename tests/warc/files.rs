//! The WARC files a crawl wrote in a directory, and their response records per URL: shared
//! by the library's crawl tests and the command's (`trawler-cli/tests/cli_archive.rs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use trawler::archive::WarcReader;

/// The `.warc.gz` files in `dir`, in name order (which is their order).
pub(crate) fn warc_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".warc.gz"))
        .collect();
    files.sort();
    files
}

/// The response records of `files` per URL, every record's digests checked.
pub(crate) fn responses(files: &[PathBuf]) -> BTreeMap<String, usize> {
    let mut by_url = BTreeMap::new();
    for f in files {
        for record in WarcReader::open(f).unwrap() {
            let record = record.unwrap();
            record.verify_digests().unwrap();
            if record.kind() == "response" {
                *by_url
                    .entry(record.target_uri().unwrap().to_string())
                    .or_insert(0) += 1;
            }
        }
    }
    by_url
}
