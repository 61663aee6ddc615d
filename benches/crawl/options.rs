//! The crawl benchmark's command line: the driver's flags, `--help`, and the one number
//! parser every role uses. Kept apart from the driver so a test can check it without
//! running a benchmark.

use std::path::PathBuf;
use std::time::Duration;

/// What `--help` prints.
pub(crate) const USAGE: &str = "\
Whole crawls of the testbed (a synthetic site on 127.0.0.1), one child process for the
server and one for the crawler per run; a report in target/trawler-bench/.

Usage: cargo bench --bench crawl [--features system-alloc] -- [OPTIONS]

Options:
  --pages LIST          site sizes, comma-separated [default: 10000,100000]
  --reps N              runs per size [default: 1]
  --concurrency N       requests in flight, overall and per host [default: 64]
  --workers N           crawler worker threads, 0 for one per CPU [default: 0]
  --server-workers N    testbed server threads [default: 1]
  --timeout SECS        longest run before it is stopped [default: 600]
  --sample-ms MS        pages/s and RSS sampling period [default: 100]
  --out DIR             where reports go [default: target/trawler-bench]
  --state               keep each run's crawl state on disk (a durable crawl, in a fresh
                        directory under --out, removed after the run); build with
                        the durable feature
  --pin                 keep each crawler worker thread on one CPU (`pin_workers`), and
                        each of the ceiling's threads on the same CPU as the worker it
                        stands for
  --no-ceiling          skip the ceiling: by default each crawl is followed by a bare
                        loop over the same pages with the same client and extractor
                        (no crawl machinery), and the report gives trawler's figures
                        as a fraction of the loop's
  --pool LIST           run nothing: pool the trawler/ceiling pairs of these reports
                        (crawl-*.md, comma-separated) per site size and print their
                        medians and intervals, which then span the machine's drift
                        between runs too
  -h, --help            this text
";

/// The flags that take a value.
const KNOWN: [&str; 9] = [
    "--pages",
    "--reps",
    "--concurrency",
    "--workers",
    "--server-workers",
    "--timeout",
    "--sample-ms",
    "--out",
    "--pool",
];

/// The driver's settings.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) sizes: Vec<u32>,
    pub(crate) reps: u32,
    pub(crate) concurrency: usize,
    pub(crate) workers: usize,
    pub(crate) server_workers: usize,
    pub(crate) timeout: Duration,
    pub(crate) sample_every: Duration,
    pub(crate) out: PathBuf,
    /// Each run's crawl keeps its state on disk.
    pub(crate) state: bool,
    /// Each crawl is followed by a run of the ceiling loop.
    pub(crate) ceiling: bool,
    /// Worker threads (and the ceiling's) kept on one CPU each.
    pub(crate) pin: bool,
}

/// What the driver's command line asks for.
#[derive(Debug)]
pub(crate) enum Asked {
    /// `--help` or `-h`: print [`USAGE`].
    Help,
    /// Run the benchmark.
    Run(Options),
    /// `--pool`: pool the pairs of these reports, running nothing.
    Pool(Vec<PathBuf>),
}

/// A number, or `default` when the flag is absent.
pub(crate) fn number<T: std::str::FromStr>(value: Option<&str>, default: T) -> Result<T, String> {
    value.map_or(Ok(default), |v| {
        v.parse().map_err(|_| format!("not a number: {v}"))
    })
}

/// The value after `name` in `args`.
pub(crate) fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

/// Parses the driver's arguments (`target` is the Cargo target directory).
pub(crate) fn parse(args: &[String], target: &std::path::Path) -> Result<Asked, String> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            // `cargo bench` appends `--bench` to every bench target's arguments.
            "--bench" => {}
            "-h" | "--help" => return Ok(Asked::Help),
            "--state" | "--no-ceiling" | "--pin" => {}
            known if KNOWN.contains(&known) => {
                it.next();
            }
            unknown => {
                return Err(format!(
                    "unknown argument {unknown} (see cargo bench --bench crawl -- --help)"
                ));
            }
        }
    }
    let flag = |name| flag(args, name);
    if let Some(list) = flag("--pool") {
        let reports: Vec<PathBuf> = (list.split(','))
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .collect();
        if reports.is_empty() {
            return Err("--pool needs one report or more (crawl-*.md, comma-separated)".into());
        }
        return Ok(Asked::Pool(reports));
    }
    let sizes = flag("--pages")
        .unwrap_or("10000,100000")
        .split(',')
        .map(|s| number(Some(s.trim()), 0u32))
        .collect::<Result<Vec<_>, _>>()?;
    if sizes.contains(&0) {
        return Err("--pages needs whole numbers above 0".into());
    }
    Ok(Asked::Run(Options {
        sizes,
        reps: number(flag("--reps"), 1u32)?.max(1),
        concurrency: number(flag("--concurrency"), 64)?,
        workers: number(flag("--workers"), 0)?,
        server_workers: number(flag("--server-workers"), 1)?,
        timeout: Duration::from_secs(number(flag("--timeout"), 600)?),
        sample_every: Duration::from_millis(number(flag("--sample-ms"), 100u64)?.max(10)),
        out: flag("--out").map_or_else(|| target.join("trawler-bench"), PathBuf::from),
        state: args.iter().any(|a| a == "--state"),
        ceiling: !args.iter().any(|a| a == "--no-ceiling"),
        pin: args.iter().any(|a| a == "--pin"),
    }))
}
