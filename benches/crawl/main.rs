//! The whole-crawl benchmark: crawls the testbed at several sizes and reports pages/s, MB/s,
//! CPU per page, peak RSS, coverage and duplicates, with pages/s and RSS over time.
//!
//! Run with `cargo bench --bench crawl -- --pages 10000,100000,1000000 [--reps 2]`
//! (add `--features system-alloc` before `--` for glibc's malloc instead of mimalloc, the
//! allocator of the `trawler` command); the other flags are in `options`
//! (`cargo bench --bench crawl -- --help`).
//!
//! For every run the binary re-executes itself twice: a testbed server process and a
//! crawler process (see `roles`), so the crawler's CPU and RSS are its own and each run
//! starts from a fresh heap. The server's CPU is read from `/proc` too and shown apart.
//! Everything is bounded: a run past `--timeout` is stopped by the crawler itself, and the
//! driver kills a child that still has not answered 60 s later. Only 127.0.0.1 is used.

// mimalloc, as in the `trawler` command: measured 12-17 % less crawler CPU per page than
// glibc's malloc on 100k-page crawls (benches/RESULTS.md, The allocator), at more RSS on
// small crawls. The ceiling loop runs in this binary too, so both sides have the same
// allocator.
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod ceiling;
mod machine;
mod options;
mod pool;
mod report;
mod roles;
mod stats;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use options::{Asked, Options, number};
use roles::{CrawlArgs, CrawlResult, ServerReady, ServerStats};

/// Extra time the driver grants a child beyond its own timeout before killing it.
const GRACE: Duration = Duration::from_secs(60);

/// One measured crawl, as the report shows it.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub(crate) pages: u32,
    pub(crate) rep: u32,
    /// A run of the ceiling loop, not of trawler.
    pub(crate) ceiling: bool,
    pub(crate) load_before: f64,
    pub(crate) reachable: u64,
    pub(crate) crawl: CrawlResult,
    pub(crate) server: ServerStats,
    pub(crate) server_cpu_s: f64,
    pub(crate) server_peak_rss_kb: u64,
    /// Bytes the crawl's state took on disk at its end, for a durable crawl.
    pub(crate) state_bytes: Option<u64>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| options::flag(&args, name);
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    let outcome = match flag("--role") {
        Some("server") => number(flag("--pages"), 1_000).and_then(|pages| {
            roles::serve(
                pages,
                number(flag("--server-workers"), 1)?,
                flag("--urls-out"),
            )
        }),
        Some("crawl") => crawl_args(&flag).and_then(|a| roles::crawl(&a)),
        Some("ceiling") => crawl_args(&flag)
            .and_then(|a| ceiling::run(&a, flag("--urls").ok_or("--urls is required")?)),
        Some(other) => Err(format!("unknown role {other}")),
        None => match options::parse(&args, &target) {
            Ok(Asked::Help) => {
                print!("{}", options::USAGE);
                Ok(())
            }
            Ok(Asked::Run(o)) => drive(&o),
            Ok(Asked::Pool(reports)) => pool_reports(&reports),
            Err(e) => Err(e),
        },
    };
    if let Err(msg) = outcome {
        eprintln!("crawl bench: {msg}");
        std::process::exit(1);
    }
}

fn crawl_args<'a>(flag: &impl Fn(&str) -> Option<&'a str>) -> Result<CrawlArgs, String> {
    Ok(CrawlArgs {
        url: flag("--url").ok_or("--url is required")?.to_owned(),
        concurrency: number(flag("--concurrency"), 64)?,
        workers: number(flag("--workers"), 0)?,
        timeout: Duration::from_secs(number(flag("--timeout"), 600)?),
        sample_every: Duration::from_millis(number(flag("--sample-ms"), 100)?),
        state: flag("--state-dir").map(PathBuf::from),
        pin: flag("--pin") == Some("1"),
    })
}

/// `--pool`: reads the reports and prints their pairs pooled per size.
fn pool_reports(paths: &[PathBuf]) -> Result<(), String> {
    let mut reports = Vec::new();
    for path in paths {
        let shown = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
        let rows = pool::rows(&text).map_err(|e| format!("{shown}: {e}"))?;
        reports.push((shown.to_string(), rows));
    }
    print!("{}", pool::table(&reports)?);
    Ok(())
}

fn drive(o: &Options) -> Result<(), String> {
    std::fs::create_dir_all(&o.out).map_err(|e| format!("{}: {e}", o.out.display()))?;
    let mut runs = Vec::new();
    for &pages in &o.sizes {
        for rep in 1..=o.reps {
            // Interleaved, so both meet the same machine, and in turn first (trawler in odd
            // reps, the ceiling in even ones), so a steady drift of its speed favours neither.
            let order = if rep % 2 == 1 {
                [false, true]
            } else {
                [true, false]
            };
            for ceiling in order {
                if ceiling && !o.ceiling {
                    continue;
                }
                let run = run_once(o, pages, rep, ceiling)?;
                eprintln!("{}", report::one_line(&run));
                runs.push(run);
            }
        }
    }
    let written = report::write(o, &runs).map_err(|e| format!("writing the report: {e}"))?;
    println!(
        "{}",
        std::fs::read_to_string(&written.markdown).unwrap_or_default()
    );
    println!("report: {}", written.markdown.display());
    for svg in &written.plots {
        println!("plot:   {}", svg.display());
    }
    Ok(())
}

/// A child process and the lines it prints, read on a thread so waits can time out.
struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
}

impl Proc {
    fn spawn(args: &[String]) -> Result<Proc, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut child = Command::new(exe)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start a child: {e}"))?;
        let stdout = child.stdout.take().ok_or("no child stdout")?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Ok(Proc {
            child,
            stdin,
            lines,
        })
    }

    fn read<T: serde::de::DeserializeOwned>(
        &mut self,
        wait: Duration,
        what: &str,
    ) -> Result<T, String> {
        let line = self.lines.recv_timeout(wait).map_err(|_| {
            let _ = self.child.kill();
            format!("the {what} process gave no answer within {wait:?}")
        })?;
        serde_json::from_str(&line).map_err(|e| format!("bad line from the {what}: {e}: {line}"))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // End of input is the server's signal to stop; it does so within a few seconds.
        drop(self.stdin.take());
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run_once(o: &Options, pages: u32, rep: u32, ceiling: bool) -> Result<Run, String> {
    let urls = o.out.join(format!("urls-{pages}.txt"));
    let mut server_args: Vec<String> = vec![
        "--role".into(),
        "server".into(),
        "--pages".into(),
        pages.to_string(),
        "--server-workers".into(),
        o.server_workers.to_string(),
    ];
    if ceiling {
        server_args.extend(["--urls-out".into(), urls.to_string_lossy().into_owned()]);
    }
    let mut server = Proc::spawn(&server_args)?;
    let ready: ServerReady = server.read(Duration::from_secs(120), "server")?;
    let server_pid = Some(server.child.id());
    let load_before = machine::load_average().unwrap_or(f64::NAN);
    let server_cpu_before = machine::cpu_seconds(server_pid).unwrap_or_default();

    let state = (o.state && !ceiling).then(|| o.out.join(format!("state-{pages}-{rep}")));
    if let Some(dir) = &state {
        let _ = std::fs::remove_dir_all(dir);
    }
    let mut crawl_args: Vec<String> = vec![
        "--role".into(),
        if ceiling { "ceiling" } else { "crawl" }.into(),
        "--url".into(),
        ready.url.clone(),
        "--concurrency".into(),
        o.concurrency.to_string(),
        "--workers".into(),
        o.workers.to_string(),
        "--timeout".into(),
        o.timeout.as_secs().to_string(),
        "--sample-ms".into(),
        o.sample_every.as_millis().to_string(),
    ];
    if let Some(dir) = &state {
        crawl_args.extend(["--state-dir".into(), dir.to_string_lossy().into_owned()]);
    }
    if o.pin {
        crawl_args.extend(["--pin".into(), "1".into()]);
    }
    if ceiling {
        crawl_args.extend(["--urls".into(), urls.to_string_lossy().into_owned()]);
    }
    let mut crawler = Proc::spawn(&crawl_args)?;
    let crawl: CrawlResult = crawler.read(o.timeout + GRACE, "crawler")?;
    drop(crawler);
    if ceiling {
        let _ = std::fs::remove_file(&urls);
    }
    let state_bytes = state.as_deref().map(machine::dir_bytes);
    if let Some(dir) = &state {
        let _ = std::fs::remove_dir_all(dir);
    }

    let server_cpu_after = machine::cpu_seconds(server_pid).unwrap_or_default();
    let server_peak_rss_kb = machine::status_kb(server_pid, "VmHWM").unwrap_or(0);
    let stdin = server.stdin.as_mut().ok_or("server stdin closed")?;
    writeln!(stdin, "stats")
        .and_then(|()| stdin.flush())
        .map_err(|e| e.to_string())?;
    let stats: ServerStats = server.read(Duration::from_secs(60), "server")?;
    Ok(Run {
        pages,
        rep,
        ceiling,
        load_before,
        reachable: ready.reachable,
        crawl,
        server: stats,
        server_cpu_s: (server_cpu_after.0 + server_cpu_after.1)
            - (server_cpu_before.0 + server_cpu_before.1),
        server_peak_rss_kb,
        state_bytes,
    })
}
