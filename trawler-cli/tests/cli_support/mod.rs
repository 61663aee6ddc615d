//! Running the `trawler` binary as a user does, for the CLI test files: a command with a
//! clean log environment, a run drained on threads and bounded in time (a panic message on
//! stderr fails it), the records of a run, and the small readers the tests share.
// Each test file uses only part of this module.
#![allow(dead_code)]
// `pub` shares these items with the test files; the module itself is private to each test crate.
#![allow(unreachable_pub)]

use serde_json::Value;
use std::collections::HashMap;
use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use trawler_testbed::{SiteSpec, Testbed};

/// Longest any one run may take: far above what a healthy run needs (about a second).
pub const RUN_LIMIT: Duration = Duration::from_secs(60);

/// Fields every record has, whatever its outcome.
pub const ALWAYS: [&str; 6] = ["url", "outcome", "depth", "attempts", "bytes", "elapsed_ms"];

/// A `trawler` command with a clean log environment.
pub fn trawler(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trawler"));
    cmd.args(args).env_remove("RUST_LOG");
    cmd
}

/// A finished run.
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// A started run whose output is drained by threads, so a full pipe never blocks it.
pub struct Running {
    pub child: Child,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
}

pub fn drain(mut from: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = from.read_to_string(&mut s);
        s
    })
}

impl Running {
    pub fn start(mut cmd: Command) -> Running {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start trawler");
        let stdout = drain(child.stdout.take().expect("piped stdout"));
        let stderr = drain(child.stderr.take().expect("piped stderr"));
        Running {
            child,
            stdout,
            stderr,
        }
    }

    /// Waits for the exit, killing the process (and failing) after `limit`.
    pub fn wait(mut self, limit: Duration) -> Run {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("poll trawler") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("trawler ran longer than {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let run = Run {
            status,
            stdout: self.stdout.join().expect("stdout reader"),
            stderr: self.stderr.join().expect("stderr reader"),
        };
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        run
    }
}

pub fn run(args: &[&str]) -> Run {
    Running::start(trawler(args)).wait(RUN_LIMIT)
}

/// The JSON records of a file or of stdout, each line checked to be one complete object.
pub fn records(text: &str) -> Vec<Value> {
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "last record cut short"
    );
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad record {l:?}: {e}")))
        .collect()
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("the output file exists")
}

/// Each URL's records over the files that exist among `files`, after checking every line
/// is one whole JSON record.
pub fn by_url<P: AsRef<Path>>(files: &[P]) -> HashMap<String, Vec<Value>> {
    let mut m: HashMap<String, Vec<Value>> = HashMap::new();
    for f in files.iter().map(AsRef::as_ref).filter(|f| f.exists()) {
        for r in records(&read(f)) {
            m.entry(r["url"].as_str().unwrap().to_string())
                .or_default()
                .push(r);
        }
    }
    m
}

pub fn site(pages: u32) -> Testbed {
    Testbed::start(SiteSpec {
        pages,
        ..SiteSpec::default()
    })
    .expect("start the testbed")
}

/// The number on the summary row `name`, e.g. `  URLs   302`.
pub fn summary(stderr: &str, name: &str) -> Option<u64> {
    stderr.lines().find_map(|l| {
        let mut words = l.split_whitespace();
        (words.next() == Some(name)).then(|| words.next()?.parse().ok())?
    })
}

pub fn with(records: &[Value], outcome: &str) -> usize {
    records.iter().filter(|r| r["outcome"] == outcome).count()
}

/// A loopback port with nothing listening: bound, then released.
pub fn dead_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The crawl ended as an uninterrupted one would: every page served and recorded as
/// fetched, one record per URL over `files`.
pub fn assert_whole<P: AsRef<Path>>(site: &Testbed, files: &[P]) {
    let stats = site.stats();
    assert_eq!(stats.missing_pages(), 0, "{stats:?}");
    let recs = by_url(files);
    let twice: Vec<_> = recs.iter().filter(|(_, v)| v.len() > 1).take(5).collect();
    assert!(twice.is_empty(), "URLs recorded twice: {twice:?}");
    for url in site.expected_urls() {
        let r = recs
            .get(url.as_str())
            .unwrap_or_else(|| panic!("{url} has no record"));
        assert_eq!(r[0]["outcome"], "fetched", "{url}: {:?}", r[0]);
    }
}
