//! `trawler crawl`: crawls from the given URLs and writes one record per URL it accepted.
//!
//! The configuration is checked before the output file is created, so a typo in a flag
//! never truncates an earlier result file. With `--state DIR` the crawl's state is opened
//! (and locked) first too, so a second process on the same directory is refused before it
//! touches the first one's records.

use crate::args::CrawlArgs;
use crate::output::RecordWriter;
use crate::runner::{self, Ui};
use crate::state::{self, StateDir};
use crate::{CliError, exit, settings};
use std::process::ExitCode;
use trawler::prelude::*;
use trawler::revisit::RevisitCache;
use trawler::store::{DiskStore, StoreError};

/// Runs the crawl and returns the exit status.
pub(crate) fn run(args: &CrawlArgs, ui: &Ui) -> Result<ExitCode, CliError> {
    if let (Some(url), Some(crawl)) = (&args.redis, &args.crawl_id) {
        return crate::shared::run(args, url, crawl, ui);
    }
    let Some(dir) = &args.state else {
        return run_with(args, None, ui);
    };
    let state = StateDir::new(dir);
    let argv = state::crawl_argv();
    if args.urls.is_empty() && args.start.is_empty() {
        if !state.resuming {
            return Err(CliError::State(format!(
                "{}: no crawl to resume there; give start URLs to begin one",
                dir.display()
            )));
        }
        let saved = state.saved_args(&argv)?;
        return run_with(&saved, Some((state, argv)), ui);
    }
    run_with(args, Some((state, argv)), ui)
}

fn run_with(
    args: &CrawlArgs,
    state: Option<(StateDir, Vec<String>)>,
    ui: &Ui,
) -> Result<ExitCode, CliError> {
    let config = settings::crawl_config(args).build()?;
    let format = args.output.format;
    let default_out = state.as_ref().map(|(s, _)| s.default_output(format));
    let (path, format) = match (args.output.target(), &default_out) {
        (Some(target), _) => target,
        (None, Some(p)) => (p.as_str(), format),
        (None, None) => ("-", format),
    };
    let store = match &state {
        None => None,
        Some((dir, argv)) => {
            let opening = std::time::Instant::now();
            let store = DiskStore::open(&dir.path).map_err(|e| state_error(&dir.path, path, &e))?;
            tracing::info!(elapsed = ?opening.elapsed(), "opened the crawl state");
            if !dir.resuming {
                dir.save_command(argv)?;
            }
            Some(store)
        }
    };
    let resuming = state.as_ref().is_some_and(|(s, _)| s.resuming);
    let cache = match &args.cache {
        None => None,
        Some(dir) => Some(RevisitCache::open(dir).map_err(|e| cache_error(dir, &e))?),
    };
    // Checked before the records' file is created, as the flags are.
    let (spider, contents) = args.keep.spider(args.render.screenshots_dir())?;
    let stamp = match (&state, &args.keep.warc) {
        (Some((dir, _)), Some(_)) => Some(dir.warc_stamp()?),
        _ => None,
    };
    let columns = spider.columns();
    // Without --content or --extract the spider does nothing: every link found is
    // followed, no DOM is built.
    let mut crawler = args
        .keep
        .apply(Crawler::new(config, spider), stamp.as_deref())?;
    crawler = args.render.apply(crawler, &args.allow_host)?;
    let writer = RecordWriter::create(path, format, args.output.overwrite, store.is_some())
        .map_err(|source| CliError::Create {
            path: path.to_string(),
            source,
        })?
        .with_contents(contents, columns);
    let durable = store.is_some();
    if let Some(store) = store {
        crawler = crawler.store(store);
    }
    if let Some(cache) = cache {
        crawler = crawler.revisits(cache);
    }
    let how = runner::Durability { durable, resuming };
    let done =
        runner::run(crawler, Some(writer), &args.output.only, ui, how).map_err(|e| {
            match (e, &state) {
                (
                    CliError::Crawl(trawler::Error::Store {
                        error: StoreError::OtherCrawl(_),
                        ..
                    }),
                    Some((dir, _)),
                ) => CliError::State(format!(
                    "{} holds another crawl (other start URLs or scope): give another --state \
                 directory, or --continue-other to go on with that crawl",
                    dir.path.display()
                )),
                (e, _) => e,
            }
        })?;
    Ok(exit::exit_code(&done, args.fail_on_errors, ui.errors))
}

/// A page cache directory that cannot be used, said in one line.
fn cache_error(dir: &std::path::Path, e: &StoreError) -> CliError {
    match e {
        StoreError::Locked(_) => CliError::State(format!(
            "--cache {} is in use by another trawler process",
            dir.display()
        )),
        other => CliError::State(format!("--cache {}: {other}", dir.display())),
    }
}

/// A state directory that cannot be used, said in one line.
fn state_error(dir: &std::path::Path, records: &str, e: &StoreError) -> CliError {
    match e {
        StoreError::Locked(_) => CliError::State(format!(
            "{} is in use by another trawler process",
            dir.display()
        )),
        // What can be saved: the records file is written apart from the store.
        StoreError::Invalid(_) if records != "-" && std::path::Path::new(records).exists() => {
            CliError::State(format!(
                "--state {}: {e}; the records written so far are in {records} (whole up to \
                 the last commit); crawl again with a new --state directory",
                dir.display()
            ))
        }
        other => CliError::State(format!("--state {}: {other}", dir.display())),
    }
}
