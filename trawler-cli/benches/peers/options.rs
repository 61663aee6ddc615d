//! The peer benchmark's command line: which crawlers, which site sizes, how many runs.
//! Kept apart from the driver so a test can check it without running anything.

use crate::peer::Peer;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What `--help` prints.
pub(crate) const USAGE: &str = "\
The same synthetic site (trawler's testbed, served on 127.0.0.1 by this process) crawled by
trawler and by other crawlers, each run measured the same way; one table.

Usage: cargo bench --bench peers -- [OPTIONS]

Options:
  --peers LIST        crawlers, comma-separated: trawler, spider, spider_mem, scrapy
                      [default: trawler]; spider (spider-rs, pinned) is built into
                      target/peers/ on first use (spider_mem: the same, its visited set
                      kept in memory); scrapy (pinned) is installed into a virtualenv
                      there on first use
  --baseline PATH     another trawler binary (an earlier build, say), run as the peer
                      baseline right after trawler in every repetition, so the two
                      alternate on the same site and machine load
  --pages LIST        site sizes, comma-separated [default: 2000]
  --reps N            runs of each crawler per size [default: 1]
  --concurrency N     requests in flight, for every crawler [default: 64]
  --timeout SECS      longest run; a crawler still running then is killed [default: 300]
  --server-workers N  testbed server threads [default: 1]
  --out DIR           report and raw outputs [default: target/peers]
  -h, --help          this text
";

/// The flags that take a value.
const KNOWN: [&str; 8] = [
    "--peers",
    "--baseline",
    "--pages",
    "--reps",
    "--concurrency",
    "--timeout",
    "--server-workers",
    "--out",
];

/// The runner's settings.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) peers: Vec<Peer>,
    pub(crate) baseline: Option<PathBuf>,
    pub(crate) sizes: Vec<u32>,
    pub(crate) reps: u32,
    pub(crate) concurrency: usize,
    pub(crate) timeout: Duration,
    pub(crate) server_workers: usize,
    pub(crate) out: PathBuf,
}

/// What the command line asks for.
#[derive(Debug)]
pub(crate) enum Asked {
    /// Print [`USAGE`].
    Help,
    /// Run the comparison.
    Run(Options),
}

fn number<T: std::str::FromStr>(value: Option<&str>, default: T) -> Result<T, String> {
    value.map_or(Ok(default), |v| {
        v.parse().map_err(|_| format!("not a number: {v}"))
    })
}

/// Parses the arguments; `target` is the Cargo target directory.
pub(crate) fn parse(args: &[String], target: &Path) -> Result<Asked, String> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            // `cargo bench` appends `--bench` to every bench target's arguments.
            "--bench" => {}
            "-h" | "--help" => return Ok(Asked::Help),
            known if KNOWN.contains(&known) => {
                it.next();
            }
            unknown => {
                return Err(format!(
                    "unknown argument {unknown} (see cargo bench --bench peers -- --help)"
                ));
            }
        }
    }
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    };
    let mut peers = (flag("--peers").unwrap_or("trawler").split(','))
        .map(|p| Peer::parse(p.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    let baseline = flag("--baseline").map(PathBuf::from);
    if let Some(path) = &baseline {
        if !path.is_file() {
            return Err(format!("--baseline {}: no such file", path.display()));
        }
        let after = peers
            .iter()
            .position(|&p| p == Peer::Trawler)
            .map_or(0, |i| i + 1);
        peers.insert(after, Peer::Baseline);
    }
    let sizes = (flag("--pages").unwrap_or("2000").split(','))
        .map(|s| number(Some(s.trim()), 0u32))
        .collect::<Result<Vec<_>, _>>()?;
    if sizes.contains(&0) {
        return Err("--pages needs whole numbers above 0".into());
    }
    Ok(Asked::Run(Options {
        peers,
        baseline,
        sizes,
        reps: number(flag("--reps"), 1u32)?.max(1),
        concurrency: number(flag("--concurrency"), 64usize)?.max(1),
        timeout: Duration::from_secs(number(flag("--timeout"), 300u64)?.max(1)),
        server_workers: number(flag("--server-workers"), 1usize)?.max(1),
        out: flag("--out").map_or_else(|| target.join("peers"), PathBuf::from),
    }))
}
