//! The flags that keep what was crawled: a WARC archive (`--warc`), an archive crawled
//! instead of the network (`--from-warc`), pages saved as files (`--save`), and each page's
//! content in its record (`--content`, `--extract`); and how they map onto the library.

use crate::CliError;
use crate::args::parse_size;
use crate::page_content::{ContentSpider, Contents};
use crate::save_pages::SavePages;
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};
use trawler::archive::{ReplayTransport, WarcConfig};
use trawler::content::{ContentFormat, NamedSelectors};
use trawler::prelude::*;

/// `trawler crawl`'s flags for what is kept of the pages.
#[derive(Debug, Args)]
pub(crate) struct KeepArgs {
    /// Write every exchange (pages, redirects, error pages, robots.txt) to WARC/1.1 files
    /// PATH-STAMP-00001.warc.gz, -00002 ... (PATH's .warc.gz, if any, is dropped), each
    /// with a CDXJ index beside it. With --state, a resumed crawl goes on in them.
    #[arg(long, value_name = "PATH", conflicts_with = "redis")]
    pub(crate) warc: Option<PathBuf>,
    /// With --warc: start a new file where one would grow past BYTES (K, M, G) [default: 1G].
    #[arg(long, value_name = "BYTES", value_parser = parse_size, requires = "warc")]
    pub(crate) warc_max_size: Option<usize>,
    /// With --warc: a body already archived by this run is written as a revisit record
    /// (headers only, pointing at the first).
    #[arg(long, requires = "warc")]
    pub(crate) warc_revisits: bool,
    /// With --warc: the gzip level of the records, 0 to 9 [default: 6].
    #[arg(long, value_name = "LEVEL", requires = "warc",
          value_parser = clap::value_parser!(u32).range(0..=9))]
    pub(crate) warc_gzip_level: Option<u32>,
    /// Fetch from these WARC files instead of the network: each URL gets the answer
    /// recorded for it, or 404. May be repeated.
    #[arg(long = "from-warc", value_name = "FILE", conflicts_with = "redis")]
    pub(crate) from_warc: Vec<PathBuf>,
    /// Write each page fetched with a 2xx answer as a file under DIR, by host and path,
    /// as `wget --mirror` does (names made safe: nothing is written outside DIR).
    #[arg(long, value_name = "DIR")]
    pub(crate) save: Option<PathBuf>,
    /// Add each HTML page's content to its record: title, description, language, and the
    /// main text without navigation and boilerplate, as plain text, Markdown or HTML.
    #[arg(long, value_enum, value_name = "FORM")]
    pub(crate) content: Option<ContentForm>,
    /// Add the text of a CSS selector's matches in each HTML page to its record, under
    /// NAME (`price=.product .price`). May be repeated.
    #[arg(long = "extract", value_name = "NAME=CSS")]
    pub(crate) extract: Vec<String>,
}

/// `--content`'s forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ContentForm {
    /// The main text.
    Text,
    /// The main text, and the main content as Markdown.
    Markdown,
    /// The main text, and the main content as cleaned HTML.
    Html,
}

impl KeepArgs {
    /// The archive the crawl writes, if any. `stamp`: the file stamp a durable crawl
    /// keeps across its runs.
    pub(crate) fn warc_config(&self, stamp: Option<&str>) -> Result<Option<WarcConfig>, CliError> {
        let Some(path) = &self.warc else {
            return Ok(None);
        };
        let (dir, prefix) = split_warc_path(path)?;
        let mut config = WarcConfig::new(dir, &prefix)
            .revisits(self.warc_revisits)
            .info("software-options", "trawler crawl --warc");
        if let Some(size) = self.warc_max_size {
            config = config.max_size(size as u64);
        }
        if let Some(level) = self.warc_gzip_level {
            config = config.compression(level);
        }
        if let Some(stamp) = stamp {
            config = config.stamp(stamp);
        }
        Ok(Some(config))
    }

    /// The archive to fetch from instead of the network, if any.
    pub(crate) fn replay(&self) -> Result<Option<ReplayTransport>, CliError> {
        if self.from_warc.is_empty() {
            return Ok(None);
        }
        let transport = ReplayTransport::open(&self.from_warc)
            .map_err(|e| CliError::Keep(format!("--from-warc: {e}")))?;
        if transport.is_empty() {
            return Err(CliError::Keep(
                "--from-warc: the files hold no response to crawl".into(),
            ));
        }
        Ok(Some(transport))
    }

    /// The spider: content and named selectors for each page when asked for (on the
    /// parser threads), nothing otherwise; and where it leaves them for the records.
    /// The crawl's spider, which also saves the rendered pages' `screenshots` under a
    /// directory when one is given (created now, so a bad one stops the command first).
    pub(crate) fn spider(
        &self,
        screenshots: Option<&std::path::Path>,
    ) -> Result<(ContentSpider, Option<Contents>), CliError> {
        if let Some(dir) = screenshots {
            std::fs::create_dir_all(dir)
                .map_err(|e| CliError::Keep(format!("--screenshots {}: {e}", dir.display())))?;
        }
        let format = self.content.map(|f| match f {
            ContentForm::Text => ContentFormat::Text,
            ContentForm::Markdown => ContentFormat::Markdown,
            ContentForm::Html => ContentFormat::Html,
        });
        let selectors = match self.extract.is_empty() {
            true => None,
            false => Some(
                NamedSelectors::from_args(self.extract.iter().map(String::as_str))
                    .map_err(|e| CliError::Keep(format!("--extract: {e}")))?,
            ),
        };
        let (spider, contents) = ContentSpider::new(format, selectors);
        Ok((spider.screenshots(screenshots), contents))
    }

    /// `--save`'s response hook, if asked for.
    pub(crate) fn save(&self) -> Result<Option<SavePages>, CliError> {
        self.save.as_deref().map(SavePages::new).transpose()
    }

    /// The crawler with the archive, the replay and the saving set.
    pub(crate) fn apply<S: Spider>(
        &self,
        mut crawler: Crawler<S>,
        stamp: Option<&str>,
    ) -> Result<Crawler<S>, CliError> {
        if let Some(config) = self.warc_config(stamp)? {
            crawler = crawler.archive(config);
        }
        if let Some(replay) = self.replay()? {
            crawler = crawler.transport(replay);
        }
        if let Some(save) = self.save()? {
            crawler = crawler.middleware(save);
        }
        Ok(crawler)
    }
}

/// `--warc PATH`: the directory and the files' prefix (`out/site.warc.gz` and `out/site`
/// are both `out` and `site`; an existing directory is that directory and `trawler`).
fn split_warc_path(path: &Path) -> Result<(PathBuf, String), CliError> {
    if path.is_dir() {
        return Ok((path.to_path_buf(), "trawler".to_string()));
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| CliError::Keep(format!("--warc {}: not a file name", path.display())))?;
    let prefix = [".warc.gz", ".warc"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext))
        .unwrap_or(name);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, prefix.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warc_path_gives_a_directory_and_a_prefix() {
        let split = |p: &str| split_warc_path(Path::new(p)).unwrap();
        assert_eq!(split("out/site.warc.gz"), ("out".into(), "site".into()));
        assert_eq!(split("out/site"), ("out".into(), "site".into()));
        assert_eq!(split("site.warc"), (".".into(), "site".into()));
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            split_warc_path(dir.path()).unwrap(),
            (dir.path().to_path_buf(), "trawler".into())
        );
    }
}
