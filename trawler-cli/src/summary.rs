//! The table printed to stderr when a crawl ends: outcomes, statuses, volume and speed.
//!
//! It is built from the library's [`CrawlReport`], whose counts add up by construction
//! (fetched + failed + skipped = URLs accepted = records written), plus the CLI's count
//! of broken URLs, the figure `--fail-on-errors` acts on.

use std::fmt::Write as _;
use trawler::{CrawlReport, StopReason};

/// The summary table, one row per line, ready for stderr.
pub(crate) fn table(report: &CrawlReport, broken: u64) -> String {
    let mut t = String::new();
    let mut row = |name: &str, value: String, detail: String| {
        let line = format!("  {name:<10} {value:>10}  {detail}");
        let _ = writeln!(t, "{}", line.trim_end());
    };
    row("URLs", report.accepted().to_string(), String::new());
    let statuses = join(report.statuses.iter().map(|(s, n)| format!("{s}: {n}")));
    row("fetched", report.fetched.to_string(), statuses);
    row("failed", report.failed.to_string(), String::new());
    let reasons = join(
        report
            .skipped_by_reason
            .iter()
            .map(|(r, n)| format!("{r}: {n}")),
    );
    row("skipped", report.skipped.to_string(), reasons);
    row(
        "broken",
        broken.to_string(),
        "failed, or status 400 and above".into(),
    );
    row(
        "requests",
        report.requests.to_string(),
        format!(
            "{} retries, {} robots.txt",
            report.retries, report.robots_fetches
        ),
    );
    row("bytes", megabytes(report.bytes), String::new());
    if report.rendered > 0 {
        row(
            "rendered",
            report.rendered.to_string(),
            "pages taken from the browser".into(),
        );
    }
    let r = &report.revisits;
    if *r != trawler::RevisitCounts::default() {
        row(
            "revisited",
            (r.new + r.changed + r.unchanged).to_string(),
            format!(
                "new {}, changed {}, unchanged {}, gone {}; {} saved",
                r.new,
                r.changed,
                r.unchanged,
                r.gone,
                megabytes(r.bytes_saved)
            ),
        );
    }
    row(
        "elapsed",
        format!("{:.2} s", report.elapsed.as_secs_f64()),
        format!("{:.0} pages/s", report.pages_per_sec()),
    );
    row(
        "ended",
        stop_reason(report.stop_reason).into(),
        String::new(),
    );
    t
}

fn join(parts: impl Iterator<Item = String>) -> String {
    parts.collect::<Vec<_>>().join(", ")
}

#[allow(clippy::cast_precision_loss)] // display only; exact below 2^53 bytes
fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn stop_reason(r: StopReason) -> &'static str {
    match r {
        StopReason::Completed => "completed",
        StopReason::PageLimit => "page limit reached",
        StopReason::Plugin => "stopped by the spider",
        StopReason::Requested => "interrupted",
        StopReason::TimeLimit => "time limit reached",
        _ => "stopped",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_counts_statuses_and_reasons() {
        let mut r = CrawlReport::default();
        r.fetched = 3;
        r.failed = 1;
        r.statuses.insert(200, 2);
        r.statuses.insert(404, 1);
        r.bytes = 2_500_000;
        let t = table(&r, 2);
        assert!(t.contains("200: 2, 404: 1"), "{t}");
        assert!(t.contains("2.5 MB"), "{t}");
        assert!(
            t.lines()
                .any(|l| l.trim_start().starts_with("URLs") && l.ends_with(" 4")),
            "{t}"
        );
        assert!(t.contains("completed"), "{t}");
    }
}
