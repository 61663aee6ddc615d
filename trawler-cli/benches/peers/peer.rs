//! The crawlers compared, and how each is made ready and started.
//!
//! trawler is this package's own `trawler` binary (built by `cargo bench` itself). The
//! others are made ready only when asked for, on first use: spider-rs is a Cargo project of
//! its own (`benches/peers/spider_peer`, a pinned `spider` version), built into
//! `target/peers/spider_peer`; Scrapy (pinned in `requirements.txt`) is installed into a
//! virtualenv at `target/peers/venv`. Each is told the same thing: crawl the site from its
//! start URL, its host only, robots.txt not read, no delay, N requests in flight, and list
//! the pages fetched in a file.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A crawler of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Peer {
    /// This package's `trawler crawl`.
    Trawler,
    /// Another `trawler` binary (`--baseline`), run the same way.
    Baseline,
    /// spider-rs, through `spider_peer`.
    Spider,
    /// The same, with its visited set kept in memory: by default spider-rs moves it to
    /// SQLite past 15,000 links, which the larger sites reach.
    SpiderMem,
    /// Scrapy, through `scrapy_peer.py`.
    Scrapy,
}

/// Where the peers' sources are and where they are built or installed.
#[derive(Debug, Clone)]
pub(crate) struct Dirs {
    /// This package (`benches/peers` is under it).
    pub(crate) package: PathBuf,
    /// Builds and installs: `target/peers`.
    pub(crate) work: PathBuf,
    /// The `--baseline` binary, if any.
    pub(crate) baseline: Option<PathBuf>,
}

impl Dirs {
    fn sources(&self) -> PathBuf {
        self.package.join("benches").join("peers")
    }

    fn spider_binary(&self) -> PathBuf {
        self.work
            .join("spider_peer")
            .join("release")
            .join("spider_peer")
    }

    fn python(&self) -> PathBuf {
        self.work.join("venv").join("bin").join("python")
    }
}

/// Runs `cmd` to its end, or says which step failed.
fn step(what: &str, cmd: &mut Command) -> Result<(), String> {
    eprintln!("peers: {what} ...");
    let status = cmd.status().map_err(|e| format!("{what}: {e}"))?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| format!("{what} failed ({status})"))
}

impl Peer {
    /// The peer named `name`.
    pub(crate) fn parse(name: &str) -> Result<Peer, String> {
        match name {
            "trawler" => Ok(Peer::Trawler),
            "spider" => Ok(Peer::Spider),
            "spider_mem" => Ok(Peer::SpiderMem),
            "scrapy" => Ok(Peer::Scrapy),
            other => Err(format!(
                "unknown peer {other:?} (trawler, spider, spider_mem or scrapy)"
            )),
        }
    }

    /// Its name in the table.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Peer::Trawler => "trawler",
            Peer::Baseline => "baseline",
            Peer::Spider => "spider",
            Peer::SpiderMem => "spider_mem",
            Peer::Scrapy => "scrapy",
        }
    }

    /// Builds or installs it if that was not done yet.
    pub(crate) fn prepare(self, dirs: &Dirs) -> Result<(), String> {
        match self {
            Peer::Trawler | Peer::Baseline => Ok(()),
            Peer::Spider | Peer::SpiderMem if dirs.spider_binary().exists() => Ok(()),
            Peer::Spider | Peer::SpiderMem => {
                let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
                let manifest = dirs.sources().join("spider_peer").join("Cargo.toml");
                step(
                    "building spider-rs (once; several minutes)",
                    Command::new(cargo)
                        .args(["build", "--release", "--locked", "--manifest-path"])
                        .arg(manifest)
                        .arg("--target-dir")
                        .arg(dirs.work.join("spider_peer")),
                )
            }
            Peer::Scrapy => {
                if !dirs.python().exists() {
                    step(
                        "creating a virtualenv for Scrapy",
                        Command::new("python3")
                            .args(["-m", "venv"])
                            .arg(dirs.work.join("venv")),
                    )?;
                }
                let installed = Command::new(dirs.python())
                    .args(["-c", "import scrapy"])
                    .output()
                    .is_ok_and(|o| o.status.success());
                if installed {
                    return Ok(());
                }
                step(
                    "installing Scrapy into the virtualenv (once)",
                    Command::new(dirs.python())
                        .args(["-m", "pip", "install", "--quiet", "-r"])
                        .arg(dirs.sources().join("requirements.txt")),
                )
            }
        }
    }

    /// The command that crawls `url` with `concurrency` requests in flight and lists the
    /// pages it fetched in `out`.
    pub(crate) fn command(self, dirs: &Dirs, url: &str, out: &Path, concurrency: usize) -> Command {
        let conc = concurrency.to_string();
        match self {
            Peer::Trawler | Peer::Baseline => {
                let bin = match (self, &dirs.baseline) {
                    (Peer::Baseline, Some(path)) => path.clone(),
                    _ => PathBuf::from(env!("CARGO_BIN_EXE_trawler")),
                };
                let mut cmd = Command::new(bin);
                cmd.args(["crawl", "--start", url, "--concurrency", &conc])
                    .args([
                        "--per-host-concurrency",
                        &conc,
                        "--no-robots",
                        "-q",
                        "--urls-out",
                    ])
                    .arg(out);
                cmd
            }
            Peer::Spider | Peer::SpiderMem => {
                let mut cmd = Command::new(dirs.spider_binary());
                cmd.arg(url).arg(out).arg(&conc);
                if self == Peer::SpiderMem {
                    cmd.env("LINKS_VISITED_MEMORY_LIMIT", "100000000");
                }
                cmd
            }
            Peer::Scrapy => {
                let mut cmd = Command::new(dirs.python());
                cmd.arg(dirs.sources().join("scrapy_peer.py"))
                    .arg(url)
                    .arg(out)
                    .arg(&conc);
                cmd
            }
        }
    }

    /// Its version, for the report.
    pub(crate) fn version(self, dirs: &Dirs) -> String {
        match self {
            Peer::Trawler => env!("CARGO_PKG_VERSION").to_string(),
            Peer::Baseline => dirs
                .baseline
                .as_ref()
                .map_or_else(|| "?".to_string(), |p| p.display().to_string()),
            // The pin in spider_peer/Cargo.toml: `spider = "=X.Y.Z"`.
            Peer::Spider | Peer::SpiderMem => {
                std::fs::read_to_string(dirs.sources().join("spider_peer/Cargo.toml"))
                    .ok()
                    .and_then(|toml| {
                        let line = toml.lines().find(|l| l.starts_with("spider = "))?;
                        Some(line.split('"').nth(1)?.trim_start_matches('=').to_string())
                    })
                    .unwrap_or_else(|| "?".to_string())
            }
            Peer::Scrapy => Command::new(dirs.python())
                .args(["-c", "import scrapy; print(scrapy.__version__)"])
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "?".to_string()),
        }
    }
}
