//! The command line's shape: every subcommand, flag and default, as clap derive types.
//!
//! Only parsing lives here; turning flags into a crawl configuration is `settings`, so the
//! help text and the mapping can each be read on their own. Values the library validates
//! (URLs, regexes, zero concurrency) are passed through as given and checked once, by
//! `CrawlConfigBuilder::build`, so the CLI and the library report the same errors.

use crate::connection_args::ConnectionArgs;
use crate::directives::DirectiveArgs;
use crate::keep_args::KeepArgs;
use crate::only::Only;
use crate::proxy_args::ProxyArgs;
use crate::render_args::RenderArgs;
use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use std::time::Duration;

/// An actor-based web crawler: crawls sites and writes one record per URL it meets.
#[derive(Debug, Parser)]
#[command(
    name = "trawler",
    version,
    args_override_self = true,
    after_help = "Exit status: 0 done; 1 broken URLs (with --fail-on-errors) or a runtime \
                  error; 2 bad usage; 3 no start URL could be fetched; 130, 143, 129 \
                  stopped by Ctrl-C, SIGTERM, SIGHUP.\n\
                  Logs go to stderr; RUST_LOG (e.g. RUST_LOG=trawler=debug) overrides -v/-q."
)]
pub(crate) struct Cli {
    /// More log output: -v failures, -vv every URL, -vvv everything.
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub(crate) verbose: u8,
    /// Less output: -q no progress and no summary, -qq not even errors (wins over -v).
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub(crate) quiet: u8,
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process: its size does not matter
pub(crate) enum Command {
    /// Crawl from one or more URLs, writing one record per URL (fetched, failed or skipped).
    Crawl(CrawlArgs),
    /// Serve trawler's synthetic site on 127.0.0.1 and crawl it: offline, checked by the server.
    Demo(DemoArgs),
    /// Print the progress of a crawl shared through Redis (`crawl --redis`).
    Status(StatusArgs),
    /// Print the settings a `trawler crawl` with these flags (and --config FILE) would use.
    Config(ConfigArgs),
    /// Serve WARC files on 127.0.0.1 as the site they recorded (URLs not in them answer 404).
    Replay(ReplayArgs),
}

/// `trawler replay`.
#[derive(Debug, Args)]
pub(crate) struct ReplayArgs {
    /// The WARC files (.warc.gz or .warc), read in order: a URL recorded twice answers as
    /// it was last recorded.
    #[arg(value_name = "FILE", required = true)]
    pub(crate) files: Vec<std::path::PathBuf>,
    /// The port to listen on [default: any free port, printed at start].
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub(crate) port: u16,
}

/// `trawler config`.
#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    /// Print the effective settings as TOML: those given, then every other one at its
    /// default.
    #[arg(long, required = true)]
    pub(crate) print: bool,
    #[command(flatten)]
    pub(crate) crawl: CrawlArgs,
}

/// `trawler status`.
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// The Redis server the crawl is shared through (redis://HOST:PORT/).
    #[arg(long, value_name = "URL")]
    pub(crate) redis: String,
    /// The crawl's name.
    #[arg(long, value_name = "NAME")]
    pub(crate) crawl_id: String,
    /// Print it as one JSON object.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `trawler crawl`.
#[derive(Debug, Args)]
pub(crate) struct CrawlArgs {
    /// Start URLs (http or https); only their hosts are crawled unless --allow-host says more.
    #[arg(value_name = "URL")]
    pub(crate) urls: Vec<String>,
    /// A start URL, like a positional URL (may be repeated).
    #[arg(long, value_name = "URL")]
    pub(crate) start: Vec<String>,
    /// Deepest link distance to fetch (the start URLs are depth 0). Default: no limit.
    #[arg(long, value_name = "N")]
    pub(crate) max_depth: Option<u32>,
    /// Stop fetching after N URLs (the rest are recorded as skipped). Default: no limit.
    #[arg(long, value_name = "N")]
    pub(crate) max_pages: Option<u64>,
    /// Requests in flight over all hosts [default: 64].
    #[arg(short = 'c', long, value_name = "N")]
    pub(crate) concurrency: Option<usize>,
    /// Requests in flight per host [default: 8].
    #[arg(long, value_name = "N")]
    pub(crate) per_host_concurrency: Option<usize>,
    /// Fetch/parse worker threads [default: one per CPU].
    #[arg(long, value_name = "N")]
    pub(crate) workers: Option<usize>,
    /// Keep each worker thread on one CPU (Linux), for a machine given to the crawl.
    #[arg(long)]
    pub(crate) pin_workers: bool,
    /// Most requests per second to each host. Default: no limit.
    #[arg(long, value_name = "REQ_PER_S")]
    pub(crate) rate: Option<f64>,
    /// Whole-request timeout in seconds, body included [default: 30].
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub(crate) timeout: Option<Duration>,
    /// Retries after a failed attempt (network errors, 408, 429, 5xx) [default: 2].
    #[arg(long, value_name = "N")]
    pub(crate) retries: Option<u32>,
    /// Also crawl this host and its subdomains, any port (`host:port` for one port; `*` for
    /// every host). May be repeated.
    #[arg(long, value_name = "HOST")]
    pub(crate) allow_host: Vec<String>,
    /// Fetch only URLs matching this regex (any of them, when repeated); the start URLs
    /// are fetched whatever it says.
    #[arg(long, value_name = "REGEX")]
    pub(crate) include: Vec<String>,
    /// Skip URLs matching this regex (but not the start URLs). May be repeated.
    #[arg(long, value_name = "REGEX")]
    pub(crate) exclude: Vec<String>,
    /// The User-Agent header [default: trawler/VERSION].
    #[arg(long, value_name = "TEXT")]
    pub(crate) user_agent: Option<String>,
    /// Send this header with every request (robots.txt and sitemaps too). May be repeated.
    /// Authorization and Cookie go to the start URLs' origins only.
    #[arg(long = "header", value_name = "NAME: VALUE", value_parser = header)]
    pub(crate) headers: Vec<(String, String)>,
    /// Basic auth for the start URLs' origins only (never another host, not after a redirect).
    #[arg(long, value_name = "USER:PASSWORD", value_parser = basic_auth)]
    pub(crate) basic_auth: Option<(String, String)>,
    /// Send this cookie to the start URLs' origins. May be repeated.
    #[arg(long = "cookie", value_name = "NAME=VALUE")]
    pub(crate) cookies: Vec<String>,
    /// Ignore robots.txt (obeyed by default).
    #[arg(long)]
    pub(crate) no_robots: bool,
    /// Read sitemaps (each start host's /sitemap.xml, robots.txt Sitemap: lines) for more URLs.
    #[arg(long)]
    pub(crate) sitemaps: bool,
    /// Adapt each host's concurrency and delay to its latency; back off on 429/503/timeouts.
    #[arg(long)]
    pub(crate) adaptive_throttle: bool,
    /// Fetch at most N pages from any one host.
    #[arg(long, value_name = "N")]
    pub(crate) max_pages_per_host: Option<u64>,
    /// Stop reading a body after this many bytes (K, M, G suffixes) [default: 10M].
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub(crate) max_body: Option<usize>,
    /// Exit with status 1 if any URL is broken: failed, or answered 400 or above.
    #[arg(long)]
    pub(crate) fail_on_errors: bool,
    /// Stop after this many seconds (with --state, the next run goes on from there).
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub(crate) max_time: Option<Duration>,
    /// Read flags from FILE (TOML: each flag a key without its dashes, the start URLs as
    /// `urls`); a flag given here wins over the file's.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<std::path::PathBuf>,
    /// Keep the crawl's state in DIR: a crawl stopped or killed (even by kill -9) goes on
    /// where it was when run again, with the same command or just `--state DIR`. Records
    /// go to DIR/outcomes.jsonl (.csv) unless -o says where.
    #[arg(long, value_name = "DIR")]
    pub(crate) state: Option<std::path::PathBuf>,
    /// Keep the pages in DIR for the next crawl, and ask again only for what changed
    /// since the last crawl that kept them there (If-None-Match, If-Modified-Since):
    /// unchanged pages are recorded as not_modified and their links followed from DIR.
    #[arg(long, value_name = "DIR", conflicts_with = "redis")]
    pub(crate) cache: Option<std::path::PathBuf>,
    /// With --state: go on with the crawl DIR holds even if its start URLs or scope differ.
    #[arg(long, requires = "state")]
    pub(crate) continue_other: bool,
    /// Share the crawl through the Redis server at URL (redis://HOST:PORT/) with every
    /// process started with the same --redis and --crawl-id, on any machine. Each writes
    /// its own records; all exit once the whole crawl is done.
    #[arg(
        long,
        value_name = "URL",
        requires = "crawl_id",
        conflicts_with = "state"
    )]
    pub(crate) redis: Option<String>,
    /// With --redis: the shared crawl's name.
    #[arg(long, value_name = "NAME", requires = "redis")]
    pub(crate) crawl_id: Option<String>,
    /// With --redis: this process's name in the crawl [default: HOSTNAME:OUTPUT-FILE, or
    /// HOSTNAME-PID for stdout]. Run again under its name, a killed process cuts its
    /// records back to what it committed.
    #[arg(long, value_name = "NAME", requires = "redis")]
    pub(crate) worker: Option<String>,
    /// With --redis: how long a worker that lost Redis (or its leases) keeps trying to get
    /// back into the crawl before it stops, what it committed kept [default: 60].
    #[arg(long, value_name = "SECS", value_parser = parse_secs, requires = "redis")]
    pub(crate) redis_patience: Option<Duration>,
    #[command(flatten)]
    pub(crate) directives: DirectiveArgs,
    #[command(flatten)]
    pub(crate) proxy: ProxyArgs,
    #[command(flatten)]
    pub(crate) keep: KeepArgs,
    #[command(flatten)]
    pub(crate) render: RenderArgs,
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `trawler demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Pages of the synthetic site.
    #[arg(long, value_name = "N", default_value_t = 2_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) pages: u32,
    /// Requests in flight (all to the one demo host).
    #[arg(short = 'c', long, value_name = "N", default_value_t = 64)]
    pub(crate) concurrency: usize,
    /// Fetch/parse worker threads [default: one per CPU].
    #[arg(long, value_name = "N")]
    pub(crate) workers: Option<usize>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// Where records go and how progress is shown; shared by `crawl` and `demo`.
#[derive(Debug, Args)]
pub(crate) struct OutputArgs {
    /// Write records to FILE, `-` for stdout [crawl default: stdout; demo default: none].
    #[arg(short, long, value_name = "FILE")]
    pub(crate) out: Option<String>,
    /// Same as `--out FILE --format jsonl`.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["out", "format"])]
    pub(crate) urls_out: Option<String>,
    /// Record format.
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    pub(crate) format: Format,
    /// Replace the output file if it exists and is not empty (refused otherwise).
    #[arg(long)]
    pub(crate) overwrite: bool,
    /// Write only these records (may be repeated); the summary still counts every URL.
    #[arg(long, value_enum, value_name = "KIND")]
    pub(crate) only: Vec<Only>,
    /// Seconds between two progress lines when stderr is not a terminal.
    #[arg(long, value_name = "SECS", value_parser = parse_secs, default_value = "5")]
    pub(crate) progress_interval: Duration,
}

impl OutputArgs {
    /// The output path (`-` is stdout) and format, if any output was asked for.
    pub(crate) fn target(&self) -> Option<(&str, Format)> {
        match (&self.urls_out, &self.out) {
            (Some(path), _) => Some((path, Format::Jsonl)),
            (None, Some(path)) => Some((path, self.format)),
            (None, None) => None,
        }
    }
}

/// How each record is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
}

/// A positive, finite number of seconds (fractions allowed).
fn parse_secs(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if secs.is_nan() || secs <= 0.0 {
        return Err(format!("{s:?}: must be more than 0 seconds"));
    }
    Duration::try_from_secs_f64(secs).map_err(|_| format!("{s:?}: too many seconds"))
}

/// A byte count with an optional K, M or G suffix (powers of 1024).
pub(crate) fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let (digits, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c.to_ascii_uppercase()),
        _ => (t, 'B'),
    };
    let shift = match unit {
        'B' => 0,
        'K' => 10,
        'M' => 20,
        'G' => 30,
        _ => return Err(format!("{s:?}: the unit must be K, M or G")),
    };
    let n: usize = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a byte count"))?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("{s:?}: too large"))
}

/// `NAME: VALUE`, as curl's `-H` takes it.
fn header(s: &str) -> Result<(String, String), String> {
    match s.split_once(':') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.trim().to_string()))
        }
        _ => Err(format!("{s:?} is not NAME: VALUE")),
    }
}

/// `USER:PASSWORD` (the password may hold more colons).
fn basic_auth(s: &str) -> Result<(String, String), String> {
    match s.split_once(':') {
        Some((user, password)) => Ok((user.to_string(), password.to_string())),
        None => Err("the form is USER:PASSWORD".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_seconds_parse_or_say_why_not() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert_eq!(parse_size("10M"), Ok(10 << 20));
        assert!(parse_size("10X").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("-1").is_err());
        assert_eq!(parse_secs("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_secs("0").is_err());
        assert!(parse_secs("NaN").is_err());
        assert!(parse_secs("1e30").is_err());
    }

    #[test]
    fn urls_out_means_jsonl_and_excludes_out() {
        let cli = Cli::try_parse_from([
            "trawler",
            "crawl",
            "--start",
            "http://a.test/",
            "--urls-out",
            "u.jsonl",
        ])
        .unwrap();
        let Command::Crawl(a) = cli.command else {
            panic!("not crawl")
        };
        assert_eq!(a.start, ["http://a.test/"]);
        assert_eq!(a.output.target(), Some(("u.jsonl", Format::Jsonl)));
        assert!(
            Cli::try_parse_from(["trawler", "crawl", "--urls-out", "a", "--out", "b"]).is_err()
        );
        assert!(
            Cli::try_parse_from(["trawler", "crawl", "--urls-out", "a", "--format", "csv"])
                .is_err()
        );
    }
}
