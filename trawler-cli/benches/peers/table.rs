//! The rows of the comparison and the table they make, as Markdown (stderr shows each row
//! as it comes, the table goes to stdout and to the report file).
//!
//! Coverage and duplicates come from the testbed's own counters, not from what a crawler
//! says it did: reachable pages served at least once, and page requests beyond the first.

use std::fmt::Write as _;

/// One run of one crawler.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) crawler: String,
    /// Pages of the site.
    pub(crate) size: u32,
    pub(crate) rep: u32,
    /// Reachable pages of the site.
    pub(crate) reachable: u64,
    /// Reachable pages served at least once.
    pub(crate) served: u64,
    /// Page requests beyond the first per page.
    pub(crate) duplicates: u64,
    pub(crate) wall_s: f64,
    pub(crate) cpu_s: f64,
    pub(crate) peak_rss_kb: u64,
    /// CPU seconds the runner's process (the testbed's server) used during the run.
    pub(crate) server_cpu_s: f64,
    /// How the process ended: `0`, another code, `killed`, `timeout`.
    pub(crate) exit: String,
}

impl Row {
    /// Reachable pages served, in percent.
    pub(crate) fn coverage(&self) -> f64 {
        if self.reachable == 0 {
            0.0
        } else {
            100.0 * self.served as f64 / self.reachable as f64
        }
    }

    /// Pages served per second of the crawler's wall time.
    pub(crate) fn pages_per_s(&self) -> f64 {
        if self.wall_s > 0.0 {
            self.served as f64 / self.wall_s
        } else {
            0.0
        }
    }

    /// CPU milliseconds per page served.
    pub(crate) fn cpu_ms_per_page(&self) -> f64 {
        if self.served == 0 {
            0.0
        } else {
            1000.0 * self.cpu_s / self.served as f64
        }
    }

    /// The server's CPU milliseconds per page served.
    pub(crate) fn server_ms_per_page(&self) -> f64 {
        if self.served == 0 {
            0.0
        } else {
            1000.0 * self.server_cpu_s / self.served as f64
        }
    }

    /// The cores the server kept busy on average: near its thread count, it set the pace.
    pub(crate) fn server_cores(&self) -> f64 {
        if self.wall_s > 0.0 {
            self.server_cpu_s / self.wall_s
        } else {
            0.0
        }
    }

    /// The row as a table line.
    pub(crate) fn line(&self) -> String {
        format!(
            "| {} | {} | {} | {}/{} | {:.2} | {} | {:.2} | {:.0} | {:.3} | {:.1} | {:.3} | {:.2} | {} |",
            self.crawler,
            self.size,
            self.rep,
            self.served,
            self.reachable,
            self.coverage(),
            self.duplicates,
            self.wall_s,
            self.pages_per_s(),
            self.cpu_ms_per_page(),
            self.peak_rss_kb as f64 / 1024.0,
            self.server_ms_per_page(),
            self.server_cores(),
            self.exit
        )
    }
}

/// The header of the table.
pub(crate) const HEADER: &str = "\
| crawler | pages | rep | served | coverage % | dup | wall s | pages/s | CPU ms/page | peak RSS MiB | server CPU ms/page | server cores | exit |
|---|---|---|---|---|---|---|---|---|---|---|---|---|";

/// The whole table.
pub(crate) fn table(rows: &[Row]) -> String {
    let mut t = String::from(HEADER);
    for r in rows {
        let _ = write!(t, "\n{}", r.line());
    }
    t.push('\n');
    t
}
