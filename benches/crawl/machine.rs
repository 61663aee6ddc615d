//! CPU time, memory and machine facts read from Linux's `/proc`, for one process at a time,
//! and the UTC time stamp that names the report files.
//!
//! The benchmark runs the crawler and the testbed server as separate processes precisely so
//! that each one's CPU and memory can be read on its own; `/proc/PID/stat` and
//! `/proc/PID/status` give that without `unsafe` FFI (`getrusage`) or another dependency.
//! The peer runner (`benches/peers`) reads its crawlers the same way.
//! Everything here returns `None` rather than failing: on a system without `/proc` the
//! benchmark still runs, it just reports fewer columns.

use std::fs;
use std::time::{SystemTime, UNIX_EPOCH};

/// Clock ticks per second of the `/proc/PID/stat` CPU fields: `USER_HZ`, fixed at 100 by
/// the Linux ABI on every architecture this benchmark targets (x86-64, aarch64).
const USER_HZ: f64 = 100.0;

/// Where a process lives in `/proc`: `"self"` or a pid.
pub(crate) fn proc_dir(pid: Option<u32>) -> String {
    pid.map_or_else(|| "/proc/self".to_owned(), |p| format!("/proc/{p}"))
}

/// User and system CPU seconds the process has used so far, threads that already exited
/// included (the kernel folds them into the thread group's totals).
pub(crate) fn cpu_seconds(pid: Option<u32>) -> Option<(f64, f64)> {
    let stat = fs::read_to_string(format!("{}/stat", proc_dir(pid))).ok()?;
    // The command name (field 2) is in parentheses and may contain spaces or ')': the
    // numeric fields start after the last ')'. utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime / USER_HZ, stime / USER_HZ))
}

/// The process's state letter (`R`, `S`, `Z` for a zombie: exited, not yet reaped).
#[allow(dead_code)] // for the peer benchmark, which watches other processes
pub(crate) fn state(pid: u32) -> Option<char> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

/// User and system CPU seconds of the process and of its children it has waited for
/// (`cutime`, `cstime`): a whole process tree's CPU once its children are gone. Final once
/// the process is a zombie, which is when a caller should read it.
#[allow(dead_code)] // for the peer benchmark, which watches other processes
pub(crate) fn tree_cpu_seconds(pid: u32) -> Option<(f64, f64)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<f64> = (rest.split_ascii_whitespace().skip(11).take(4))
        .map(|v| v.parse().ok())
        .collect::<Option<_>>()?;
    let [utime, stime, cutime, cstime] = f[..] else {
        return None;
    };
    Some(((utime + cutime) / USER_HZ, (stime + cstime) / USER_HZ))
}

/// A `kB` field of `/proc/PID/status` (`VmRSS`, `VmHWM`, ...), in kB.
pub(crate) fn status_kb(pid: Option<u32>, field: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("{}/status", proc_dir(pid))).ok()?;
    status.lines().find_map(|line| {
        let value = line.strip_prefix(field)?.strip_prefix(':')?;
        value.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// The 1-minute load average.
pub(crate) fn load_average() -> Option<f64> {
    let loadavg = fs::read_to_string("/proc/loadavg").ok()?;
    loadavg.split_ascii_whitespace().next()?.parse().ok()
}

/// The CPU model name, e.g. `AMD EPYC`.
pub(crate) fn cpu_model() -> Option<String> {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").ok()?;
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "model name").then(|| value.trim().to_owned())
    })
}

/// The kernel release, e.g. `6.1.0-18-amd64`.
pub(crate) fn kernel() -> Option<String> {
    let release = fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
    Some(release.trim().to_owned())
}

/// Total memory in GiB.
pub(crate) fn mem_total_gib() -> Option<f64> {
    let meminfo = fs::read_to_string("/proc/meminfo").ok()?;
    let kb: f64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / (1024.0 * 1024.0))
}

/// `YYYYMMDD-HHMMSS` in UTC, from the system clock (civil-from-days, proleptic Gregorian).
pub(crate) fn utc_stamp() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

/// Bytes of the files under `dir` (0 when it cannot be read).
pub(crate) fn dir_bytes(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            _ => e.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}
