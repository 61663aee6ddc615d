//! `trawler crawl`: crawls from the given URLs and writes one record per URL it accepted.
//!
//! The configuration is checked before the output file is created, so a typo in a flag
//! never truncates an earlier result file.

use crate::args::CrawlArgs;
use crate::output::RecordWriter;
use crate::runner::{self, Ui};
use crate::{CliError, exit, settings};
use std::process::ExitCode;
use trawler::prelude::*;

/// Runs the crawl and returns the exit status.
pub(crate) fn run(args: &CrawlArgs, ui: &Ui) -> Result<ExitCode, CliError> {
    let config = settings::crawl_config(args).build()?;
    let (path, format) = args.output.target().unwrap_or(("-", args.output.format));
    let writer = RecordWriter::create(path, format, args.output.overwrite).map_err(|source| {
        CliError::Create {
            path: path.to_string(),
            source,
        }
    })?;
    // A spider with no callbacks: every link found is followed, no DOM is built.
    let crawler = Crawler::new(config, FnSpider::<()>::new());
    let done = runner::run(crawler, Some(writer), &args.output.only, ui)?;
    Ok(exit::exit_code(&done, args.fail_on_errors, ui.errors))
}
