//! The crawl benchmark's `--pool`: the pairs of several reports read back from their run
//! tables and pooled per site size, checked on reports written the way `report.rs` writes
//! them (its run table's header and row layout).

#[path = "../benches/crawl/pool.rs"]
mod pool;
#[path = "../benches/crawl/stats.rs"]
mod stats;

use pool::{Row, rows, table};

const HEADER: &str = "| run | pages | rep | load 1m | fetched | coverage % | dup | wall s | pages/s | MB/s | CPU ms/page | peak RSS MiB | RSS KB / 1k URLs | URLs seen | server CPU ms/page | server RSS MiB | stop |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";

/// A report with one row per `(run, pages, rep, pages/s, CPU ms/page)`.
fn report(runs: &[(&str, u32, u32, f64, f64)]) -> String {
    let mut md =
        String::from("# trawler crawl benchmark, 20261204-190056 UTC\n\nSettings: ...\n\n");
    md.push_str(HEADER);
    for (run, pages, rep, rate, cpu) in runs {
        md.push_str(&format!(
            "| {run} | {pages} | {rep} | 1.00 | {pages} | 100.00 | 0 | 1.00 | {rate:.0} | 400.0 | {cpu:.4} | 17.5 | 500.0 | {pages} | 0.020 | 12.9 | Completed |\n"
        ));
    }
    // What follows the run table in a report, with a table of its own that is not runs.
    md.push_str("\ncoverage: ...\n\n## trawler against the ceiling\n\n| pages | trawler pages/s |\n|---|---|\n| 20000 | 1 |\n");
    md
}

#[test]
fn rows_are_read_by_column_name_and_stop_at_the_table_end() {
    let md = report(&[
        ("trawler", 20000, 1, 23000.0, 0.06),
        ("ceiling", 20000, 1, 25000.0, 0.05),
    ]);
    let r = rows(&md).unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(
        r[0],
        Row {
            ceiling: false,
            pages: 20000,
            rep: 1,
            pages_per_s: 23000.0,
            cpu_ms_per_page: 0.06
        }
    );
    assert!(r[1].ceiling);
}

#[test]
fn a_file_that_is_not_a_report_is_an_error_that_says_so() {
    let err = rows("# notes\n\n| a | b |\n|---|---|\n").unwrap_err();
    assert!(err.contains("no run table"), "{err}");
    let bad = HEADER.to_owned() + "| trawler | 20000 | x | 1 |\n";
    assert!(rows(&bad).unwrap_err().contains("not a whole number"));
    let odd = HEADER.to_owned() + "| spider | 20000 | 1 | 1 |\n";
    assert!(rows(&odd).unwrap_err().contains("spider"));
}

#[test]
fn pairs_are_made_within_a_report_and_pooled_across_reports() {
    // Report A: trawler 0.9x the pages/s at 1.1x the CPU in both reps; report B, whose reps
    // have the same numbers as A's, 1.0x at 1.0x. A pair must never join A's rep 1 to B's.
    let a = report(&[
        ("trawler", 20000, 1, 900.0, 0.11),
        ("ceiling", 20000, 1, 1000.0, 0.10),
        ("ceiling", 20000, 2, 2000.0, 0.20),
        ("trawler", 20000, 2, 1800.0, 0.22),
    ]);
    let b = report(&[
        ("trawler", 20000, 1, 3000.0, 0.30),
        ("ceiling", 20000, 1, 3000.0, 0.30),
        ("trawler", 20000, 2, 3000.0, 0.30),
        ("ceiling", 20000, 2, 3000.0, 0.30),
        // A trawler run without its ceiling run makes no pair.
        ("trawler", 100000, 1, 10.0, 1.0),
    ]);
    let reports = vec![
        ("a.md".to_owned(), rows(&a).unwrap()),
        ("b.md".to_owned(), rows(&b).unwrap()),
    ];
    let md = table(&reports).unwrap();
    assert!(
        md.contains("- a.md: 2 pairs") && md.contains("- b.md: 2 pairs"),
        "{md}"
    );
    // Four pairs: pages/s ratios 0.9, 0.9, 1.0, 1.0 (median 0.95), CPU 1.1, 1.1, 1.0, 1.0;
    // with four pairs the interval is the lowest to the highest.
    let line = md.lines().find(|l| l.starts_with("| 20000 |")).expect(&md);
    assert!(
        line.starts_with(
            "| 20000 | 2 | 4 | 0.950 (0.90–1.00, 88 %) | 1.050 (1.00–1.10, 88 %) | 4 | 4 |"
        ),
        "{line}"
    );
    assert!(!md.contains("| 100000 |"), "{md}");
}

#[test]
fn reports_without_the_ceiling_have_nothing_to_pool() {
    let only = report(&[("trawler", 20000, 1, 900.0, 0.11)]);
    let err = table(&[("x.md".to_owned(), rows(&only).unwrap())]).unwrap_err();
    assert!(err.contains("--no-ceiling"), "{err}");
}
