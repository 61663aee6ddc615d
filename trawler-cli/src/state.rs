//! `--state DIR`: a crawl kept in a directory, resumed by running it again.
//!
//! The directory holds the library's disk store (`DIR/db`, locked while a crawl runs),
//! the command line the crawl was started with (`DIR/command.json`, so `trawler crawl
//! --state DIR` alone resumes it) and, unless `-o` says otherwise, the records
//! (`DIR/outcomes.jsonl` or `.csv`), and the stamp of its WARC files' names when it
//! archives (`DIR/warc-stamp`). What a resumed crawl keeps, and what it fetches
//! again, is the library's promise (README, Durable crawls): every record committed stays,
//! the records written after the last commit are cut off and their URLs fetched again.

use crate::CliError;
use crate::args::{Cli, Command, CrawlArgs, Format};
use clap::Parser;
use std::path::{Path, PathBuf};

const COMMAND: &str = "command.json";
const WARC_STAMP: &str = "warc-stamp";

/// A state directory and what is in it.
#[derive(Debug)]
pub(crate) struct StateDir {
    pub(crate) path: PathBuf,
    /// Whether an earlier run started this crawl (the directory has its command line).
    pub(crate) resuming: bool,
}

impl StateDir {
    pub(crate) fn new(path: &Path) -> StateDir {
        StateDir {
            path: path.to_path_buf(),
            resuming: path.join(COMMAND).is_file(),
        }
    }

    /// Where records go when `-o` does not say: beside the state.
    pub(crate) fn default_output(&self, format: Format) -> String {
        let name = match format {
            Format::Jsonl => "outcomes.jsonl",
            Format::Csv => "outcomes.csv",
        };
        self.path.join(name).to_string_lossy().into_owned()
    }

    /// The arguments a crawl given no start URL resumes with: the saved command line,
    /// then the flags given now (a flag given now wins).
    pub(crate) fn saved_args(&self, now: &[String]) -> Result<CrawlArgs, CliError> {
        let text = std::fs::read_to_string(self.path.join(COMMAND))
            .map_err(|e| CliError::State(format!("{}: {e}", self.path.join(COMMAND).display())))?;
        let saved: Vec<String> = serde_json::from_str(&text).map_err(|e| {
            CliError::State(format!(
                "{} is damaged ({e}); give the start URLs again",
                self.path.join(COMMAND).display()
            ))
        })?;
        let argv = ["trawler".to_string(), "crawl".to_string()]
            .into_iter()
            .chain(saved)
            .chain(now.iter().cloned());
        match Cli::try_parse_from(argv) {
            Ok(Cli {
                command: Command::Crawl(args),
                ..
            }) => Ok(args),
            Ok(_) => Err(CliError::State("the saved command is not a crawl".into())),
            Err(e) => Err(CliError::State(format!(
                "the saved command line no longer parses: {}",
                e.kind()
            ))),
        }
    }

    /// The stamp in the names of the crawl's WARC files (`--warc`): made when the crawl
    /// first archives, then the same for every run, so a resumed run finds its files.
    pub(crate) fn warc_stamp(&self) -> Result<String, CliError> {
        let io = |e: std::io::Error| CliError::State(format!("{}: {e}", self.path.display()));
        let file = self.path.join(WARC_STAMP);
        match std::fs::read_to_string(&file) {
            Ok(stamp) => return Ok(stamp.trim().to_string()),
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
            Err(_) => {}
        }
        std::fs::create_dir_all(&self.path).map_err(io)?;
        let stamp = trawler::archive::timestamp14(std::time::SystemTime::now());
        let tmp = self.path.join("warc-stamp.tmp");
        std::fs::write(&tmp, &stamp).map_err(io)?;
        std::fs::rename(&tmp, file).map_err(io)?;
        Ok(stamp)
    }

    /// Saves the command line of a crawl this directory starts.
    pub(crate) fn save_command(&self, argv: &[String]) -> Result<(), CliError> {
        let io = |e: std::io::Error| CliError::State(format!("{}: {e}", self.path.display()));
        std::fs::create_dir_all(&self.path).map_err(io)?;
        let text = serde_json::to_string(argv).unwrap_or_else(|_| "[]".into());
        let tmp = self.path.join("command.json.tmp");
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, self.path.join(COMMAND)).map_err(io)
    }
}

/// The arguments after `crawl` on this process's command line.
/// The command line as parsed: a `--config` file's keys in (see [`set_argv`]).
static ARGV: std::sync::OnceLock<Vec<std::ffi::OsString>> = std::sync::OnceLock::new();

/// Notes the command line as parsed, so the command a state directory saves holds the
/// `--config` file's settings as they were (a resumed crawl is the crawl it was).
pub(crate) fn set_argv(argv: &[std::ffi::OsString]) {
    let _ = ARGV.set(argv.to_vec());
}

pub(crate) fn crawl_argv() -> Vec<String> {
    let all: Vec<String> = match ARGV.get() {
        Some(argv) => argv
            .iter()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        None => (std::env::args_os().skip(1))
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
    };
    match all.iter().position(|a| a == "crawl") {
        Some(i) => all[i + 1..].to_vec(),
        None => Vec::new(),
    }
}
