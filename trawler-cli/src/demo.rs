//! `trawler demo`: serves the library's synthetic site on 127.0.0.1 and crawls it, so the
//! crawler can be tried and checked with no network at all.
//!
//! The verdict comes from the server's own request counters (every reachable page served
//! once, no trap or unreachable page asked for), not from the crawler's report; the exit
//! status is 1 when it is not perfect.

use crate::CliError;
use crate::args::DemoArgs;
use crate::output::RecordWriter;
use crate::runner::{self, Ui};
use crate::title_spider::TitleSpider;
use std::process::ExitCode;
use std::time::Duration;
use trawler::prelude::*;
use trawler_testbed::{Coverage, SiteSpec, Testbed};

/// A timeout far above what a loopback page needs, so only a real hang trips it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves, crawls, checks, and returns the exit status.
pub(crate) fn run(args: &DemoArgs, ui: &Ui) -> Result<ExitCode, CliError> {
    let spec = SiteSpec {
        pages: args.pages,
        ..SiteSpec::default()
    };
    let site = Testbed::start(spec).map_err(CliError::Testbed)?;
    println!("serving {} pages at {}", site.reachable_pages(), site.url());
    let mut config = CrawlConfig::builder()
        .seed(site.url().as_str())
        .concurrency(args.concurrency)
        .per_host_concurrency(args.concurrency)
        .request_timeout(REQUEST_TIMEOUT);
    if let Some(n) = args.workers {
        config = config.workers(n);
    }
    let config = config.build()?;
    let writer = match args.output.target() {
        Some((path, format)) => Some(
            RecordWriter::create(path, format, args.output.overwrite, false).map_err(|source| {
                CliError::Create {
                    path: path.to_string(),
                    source,
                }
            })?,
        ),
        None => None,
    };
    let done = runner::run(
        Crawler::new(config, TitleSpider),
        writer,
        &args.output.only,
        ui,
        runner::Durability::default(),
    )?;
    let stats = site.stats();
    site.stop();
    println!("{} page titles extracted", done.report.items);
    let coverage = Coverage(&stats);
    println!("{coverage}");
    Ok(if let Some(status) = done.interrupted {
        ExitCode::from(status)
    } else if coverage.is_perfect() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
