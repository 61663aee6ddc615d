//! One crawler run, measured from outside: wall time, CPU (user + system, its waited-for
//! children included) and peak RSS, read from Linux's `/proc` as the crawl benchmark does.
//!
//! The process is watched every few milliseconds: its peak RSS (`VmHWM`) while it runs, and
//! its CPU totals once it has exited but is not yet reaped (a zombie still has its
//! `/proc/PID/stat`, with final figures). A run past the timeout is killed and marked so.

use crate::machine;
use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How often the process is looked at.
const POLL: Duration = Duration::from_millis(5);

/// What one run cost.
#[derive(Debug, Clone, Default)]
pub(crate) struct Measured {
    pub(crate) wall_s: f64,
    pub(crate) cpu_s: f64,
    pub(crate) peak_rss_kb: u64,
    /// The exit code (`None` when killed by a signal).
    pub(crate) exit: Option<i32>,
    pub(crate) timed_out: bool,
}

/// Runs `cmd` (stdout and stderr to `log` + `.stdout`/`.stderr`), killing it after
/// `timeout`; `PEER_TIMEOUT` tells it that limit in seconds, so it can stop itself first.
pub(crate) fn run(mut cmd: Command, log: &Path, timeout: Duration) -> Result<Measured, String> {
    let file = |ext: &str| {
        File::create(log.with_extension(ext)).map_err(|e| format!("{}: {e}", log.display()))
    };
    let started = Instant::now();
    let mut child = cmd
        .env(
            "PEER_TIMEOUT",
            timeout.as_secs().saturating_sub(5).max(1).to_string(),
        )
        .stdin(Stdio::null())
        .stdout(file("stdout")?)
        .stderr(file("stderr")?)
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
    let pid = child.id();
    let mut m = Measured::default();
    loop {
        match machine::state(pid) {
            Some('Z') => break,
            Some(_) => {
                let hwm = machine::status_kb(Some(pid), "VmHWM").unwrap_or(0);
                m.peak_rss_kb = m.peak_rss_kb.max(hwm);
            }
            // No /proc: only the wall time is measured.
            None if child.try_wait().map_err(|e| e.to_string())?.is_some() => break,
            None => {}
        }
        if started.elapsed() > timeout {
            m.timed_out = true;
            let _ = child.kill();
            // Reaped below; the CPU read next is then what it had used.
            std::thread::sleep(POLL);
            break;
        }
        std::thread::sleep(POLL);
    }
    m.wall_s = started.elapsed().as_secs_f64();
    let (user, sys) = machine::tree_cpu_seconds(pid).unwrap_or_default();
    m.cpu_s = user + sys;
    let status = child.wait().map_err(|e| e.to_string())?;
    m.exit = status.code();
    Ok(m)
}
