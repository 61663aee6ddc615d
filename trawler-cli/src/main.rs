//! `trawler`, the command-line crawler: `trawler crawl URL...` writes one JSON line (or CSV
//! row) per URL it meets; `trawler demo` crawls a synthetic site served in-process.
//!
//! The binary is a thin layer over the library: flags become a `CrawlConfig` (`settings`),
//! outcomes stream to a writer through `Crawler::on_outcome` (`output`, `runner`), the
//! live `Progress` counters feed the bar (`progress`), and Ctrl-C goes to the crawl's
//! `StopHandle` (`interrupt`). The allocator is mimalloc (default feature `mimalloc`).

#[cfg(test)]
mod arg_props;
mod args;
mod config_file;
mod connection_args;
mod crawl;
mod demo;
mod directives;
mod exit;
mod interrupt;
mod keep_args;
mod logging;
mod messages;
mod only;
mod output;
mod page_content;
mod progress;
mod proxy_args;
mod render_args;
mod replay;
mod runner;
mod save_pages;
mod settings;
mod shared;
mod state;
mod summary;
mod title_spider;

// Measured 12-17 % less CPU per page than glibc's malloc on 100k-page crawls (README,
// Performance): the crawl's objects are made on one thread and freed on another, which
// glibc's arenas handle slowly. The library never chooses an allocator; the binary does.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use args::{Cli, Command};
use clap::error::ErrorKind;
use clap::{CommandFactory, FromArgMatches};
use progress::Display;
use runner::Ui;
use std::io::{self, IsTerminal};
use std::process::ExitCode;
use trawler::ConfigError;

/// Exit status when `--fail-on-errors` finds broken URLs, or the crawl cannot run.
pub(crate) const EXIT_BROKEN: u8 = 1;
/// Exit status for bad usage: an unknown flag, a bad URL, regex or value.
pub(crate) const EXIT_USAGE: u8 = 2;

/// Why a command could not do its job; each maps to an exit status.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// A flag's value the library refuses (bad URL, regex, zero concurrency ...).
    #[error("{}", messages::config_error(.0))]
    Config(#[from] ConfigError),
    /// The output file cannot be created.
    #[error("cannot create {path}: {source}")]
    Create {
        /// The path given.
        path: String,
        /// Why not.
        #[source]
        source: io::Error,
    },
    /// Records could not be written (disk full, closed pipe); the crawl was stopped.
    #[error("cannot write records: {0}")]
    Write(#[source] io::Error),
    /// The crawl itself could not run.
    #[error("{0}")]
    Crawl(#[from] trawler::Error),
    /// A `--state` directory cannot be used (in use, damaged, another crawl's).
    #[error("{0}")]
    State(String),
    /// A crawl shared through Redis could not go on (Redis unreachable or lost).
    #[error("{0}")]
    Shared(String),
    /// A flag about what is kept of the pages cannot be used (a bad --extract selector,
    /// a --from-warc file that cannot be read, a --save directory that cannot be made).
    #[error("{0}")]
    Keep(String),
    /// `trawler replay` cannot serve (its port is taken, say).
    #[error("{0}")]
    Serve(String),
    /// The demo site could not start.
    #[error("cannot start the demo site: {0}")]
    Testbed(#[source] io::Error),
}

impl CliError {
    fn exit_code(&self) -> u8 {
        match self {
            CliError::Config(_)
            | CliError::Create { .. }
            | CliError::State(_)
            | CliError::Keep(_)
            | CliError::Crawl(trawler::Error::Config(_)) => EXIT_USAGE,
            CliError::Shared(_) => EXIT_BROKEN,
            CliError::Testbed(e) if e.kind() == io::ErrorKind::InvalidInput => EXIT_USAGE,
            _ => EXIT_BROKEN,
        }
    }
}

fn main() -> ExitCode {
    let argv = match config_file::expand(std::env::args_os().collect()) {
        Ok(argv) => argv,
        Err(e) => {
            eprintln!("trawler: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let matches = match Cli::command().try_get_matches_from(&argv) {
        Ok(m) => m,
        Err(e) => return usage_error(&e),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    if let (Command::Config(_), Some(("config", m))) = (&cli.command, matches.subcommand()) {
        print!("{}", config_file::print(m));
        return ExitCode::SUCCESS;
    }
    state::set_argv(&argv);
    let tty = io::stderr().is_terminal();
    let bar = (tty && cli.quiet == 0).then(progress::new_bar);
    logging::init(cli.verbose, cli.quiet, bar.clone(), tty);
    let interval = match &cli.command {
        Command::Crawl(a) => a.output.progress_interval,
        Command::Demo(a) => a.output.progress_interval,
        Command::Status(_) | Command::Config(_) | Command::Replay(_) => std::time::Duration::ZERO,
    };
    let display = match bar {
        Some(bar) => Display::Bar(bar),
        None if cli.quiet == 0 => Display::Lines(interval),
        None => Display::Off,
    };
    let ui = Ui {
        display,
        summary: cli.quiet == 0,
        errors: cli.quiet < 2,
    };
    let result = match &cli.command {
        Command::Crawl(a) => crawl::run(a, &ui),
        Command::Demo(a) => demo::run(a, &ui),
        Command::Status(a) => shared::status(a),
        Command::Config(_) => Ok(ExitCode::SUCCESS),
        Command::Replay(a) => replay::run(a, ui.errors),
    };
    result.unwrap_or_else(|e| {
        if ui.errors {
            eprintln!("trawler: {}", one_line(&e.to_string()));
        }
        ExitCode::from(e.exit_code())
    })
}

/// Help and version go to stdout as usual; any other parse error becomes one line on
/// stderr and exit status 2 (clap's own message runs over several lines).
fn usage_error(e: &clap::Error) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        // `trawler` alone: the help is the most useful answer, but it is still a usage error.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitCode::from(EXIT_USAGE);
        }
        _ => {}
    }
    let text = e.render().to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("invalid arguments");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    // "the following required arguments were not provided:" lists them on the next line.
    let what = match first.ends_with(':') {
        true => format!("{first} {}", lines.next().unwrap_or_default()),
        false => first.to_string(),
    };
    eprintln!("trawler: {what} (see trawler --help)");
    ExitCode::from(EXIT_USAGE)
}

/// Keeps an error message on one line: some (a regex parser's) draw a multi-line picture;
/// its first line says what failed and its last line why.
fn one_line(message: &str) -> String {
    let mut lines = message.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or_default();
    match lines.next_back() {
        Some(last) => format!("{first} {}", last.strip_prefix("error: ").unwrap_or(last)),
        None => first.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn multi_line_messages_become_one() {
        assert_eq!(one_line("plain"), "plain");
        let regex = "invalid regular expression \"(\": regex parse error:\n    (\n    ^\nerror: unclosed group";
        assert_eq!(
            one_line(regex),
            "invalid regular expression \"(\": regex parse error: unclosed group"
        );
    }
}
