//! The crawl benchmark's outputs: a Markdown table, trawler against the ceiling (its
//! pages/s and CPU per page as a fraction of the bare loop's, per size, medians of the
//! runs), the raw samples as CSV, and one SVG per site size with pages/s and RSS over time.
//!
//! Every figure here is computed from the runs just measured; nothing is typed in. The
//! Markdown starts with the machine, versions and settings, because a pages/s figure means
//! little without them, and the load average before each run, because on a shared machine
//! that is what explains an outlier. CPU ms/page is the figure least moved by load.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::Run;
use crate::machine::{self, utc_stamp};
use crate::options::Options;
use crate::stats::{median_interval, middle};

/// Files written by [`write`].
#[derive(Debug)]
pub(crate) struct Written {
    pub(crate) markdown: PathBuf,
    pub(crate) plots: Vec<PathBuf>,
}

struct Figures {
    pages_per_s: f64,
    mb_per_s: f64,
    cpu_ms_per_page: f64,
    peak_mib: f64,
    kb_per_1k_urls: f64,
    coverage: f64,
    server_cpu_ms_per_page: f64,
    server_peak_mib: f64,
}

fn figures(r: &Run) -> Figures {
    let c = &r.crawl;
    let per = |x: f64, n: u64| if n > 0 { x / n as f64 } else { f64::NAN };
    let grown_kb = c.peak_rss_kb.saturating_sub(c.base_rss_kb) as f64;
    Figures {
        pages_per_s: per(c.fetched as f64, 1) / c.elapsed_s,
        mb_per_s: c.bytes as f64 / 1e6 / c.elapsed_s,
        cpu_ms_per_page: per((c.user_s + c.sys_s) * 1e3, c.fetched),
        peak_mib: c.peak_rss_kb as f64 / 1024.0,
        kb_per_1k_urls: per(grown_kb * 1e3, c.urls_seen),
        coverage: per(100.0 * r.server.pages_served as f64, r.reachable),
        server_cpu_ms_per_page: per(r.server_cpu_s * 1e3, c.fetched),
        server_peak_mib: r.server_peak_rss_kb as f64 / 1024.0,
    }
}

/// The progress line printed after each run.
pub(crate) fn one_line(r: &Run) -> String {
    let f = figures(r);
    let state = r.state_bytes.map_or(String::new(), |b| {
        format!(
            ", state on disk {:.1} MiB ({:.0} B/URL)",
            b as f64 / 1048576.0,
            b as f64 / r.crawl.urls_seen.max(1) as f64
        )
    });
    format!(
        "{} {} pages, rep {}: {:.0} pages/s, {:.3} CPU ms/page, peak RSS {:.1} MiB, coverage {:.2} %, {} duplicates{state}",
        who(r),
        r.pages,
        r.rep,
        f.pages_per_s,
        f.cpu_ms_per_page,
        f.peak_mib,
        f.coverage,
        r.server.duplicate_page_requests
    )
}

/// Whose run `r` is.
fn who(r: &Run) -> &'static str {
    if r.ceiling { "ceiling" } else { "trawler" }
}

/// The median of `pick` over the runs of `pages` pages that are (or are not) the ceiling's.
fn median(runs: &[Run], pages: u32, ceiling: bool, pick: fn(&Figures) -> f64) -> f64 {
    let mut v: Vec<f64> = (runs.iter())
        .filter(|r| r.pages == pages && r.ceiling == ceiling)
        .map(|r| pick(&figures(r)))
        .collect();
    v.sort_by(f64::total_cmp);
    middle(&v)
}

/// The ratio trawler / ceiling of `pick` for each rep of `pages` pages run by both (a
/// rep's two runs are back to back, so each ratio is measured under one machine state;
/// which goes first alternates from rep to rep): "median (low–high, confidence)", the
/// interval holding the true median of such ratios ([`median_interval`]).
fn per_pair(runs: &[Run], pages: u32, pick: fn(&Figures) -> f64) -> String {
    let of = |rep: u32, ceiling: bool| {
        (runs.iter())
            .find(|r| r.pages == pages && r.rep == rep && r.ceiling == ceiling)
            .map(|r| pick(&figures(r)))
    };
    let mut v: Vec<f64> = (runs.iter())
        .filter(|r| r.pages == pages && !r.ceiling)
        .filter_map(|r| Some(of(r.rep, false)? / of(r.rep, true)?))
        .collect();
    v.sort_by(f64::total_cmp);
    let Some((lo, hi, confidence)) = median_interval(&v) else {
        return "–".into();
    };
    format!(
        "{:.2} ({lo:.2}–{hi:.2}, {:.0} %)",
        middle(&v),
        100.0 * confidence
    )
}

/// trawler against the ceiling, per size: the headline figures.
fn versus(o: &Options, runs: &[Run]) -> String {
    let mut md = String::from(
        "
## trawler against the ceiling

The ceiling is a bare loop over the same pages \
         with trawler's own HTTP transport and link extraction, the same threads and requests \
         in flight, and no crawl machinery; runs alternate with trawler's. Medians per size; \
         \"per pair\": the ratio within each rep (trawler's run and the ceiling's, back to back; \
         trawler goes first in odd reps, the ceiling in even ones), the steadier figure on a \
         machine whose speed drifts: their median, then an interval that holds the true \
         median with the confidence given (the k-th lowest to the k-th highest ratio; no \
         assumption on the shape of their spread, only that the pairs are independent and \
         alike; 5 reps: lowest–highest, 94 %; from 6 reps at least 95 %; fewer reps, less: \
         0 % with one; more reps narrow it overall, first at 9).\n\n\
         | pages | trawler pages/s | ceiling pages/s | ratio | per pair | trawler CPU ms/page \
         | ceiling CPU ms/page | ratio | per pair | trawler peak RSS MiB | ceiling peak RSS MiB |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for &pages in &o.sizes {
        let (tp, cp) = (
            median(runs, pages, false, |f| f.pages_per_s),
            median(runs, pages, true, |f| f.pages_per_s),
        );
        let (tc, cc) = (
            median(runs, pages, false, |f| f.cpu_ms_per_page),
            median(runs, pages, true, |f| f.cpu_ms_per_page),
        );
        let _ = writeln!(
            md,
            "| {pages} | {tp:.0} | {cp:.0} | {:.2} | {} | {tc:.4} | {cc:.4} | {:.2} | {} | {:.1} | {:.1} |",
            tp / cp,
            per_pair(runs, pages, |f| f.pages_per_s),
            tc / cc,
            per_pair(runs, pages, |f| f.cpu_ms_per_page),
            median(runs, pages, false, |f| f.peak_mib),
            median(runs, pages, true, |f| f.peak_mib),
        );
    }
    md
}

/// Writes `crawl-STAMP.md` (also copied to `crawl-latest.md`), `crawl-STAMP.csv` and one
/// `crawl-STAMP-PAGES.svg` per size into `o.out`.
pub(crate) fn write(o: &Options, runs: &[Run]) -> std::io::Result<Written> {
    let stamp = utc_stamp();
    let mut plots = Vec::new();
    for &pages in &o.sizes {
        let of_size: Vec<&Run> = runs.iter().filter(|r| r.pages == pages).collect();
        let path = o.out.join(format!("crawl-{stamp}-{pages}.svg"));
        plot(&path, pages, &of_size).map_err(std::io::Error::other)?;
        plots.push(path);
    }
    let mut csv = String::from("run,pages,rep,t_s,fetched,rss_kb\n");
    for r in runs {
        for s in &r.crawl.samples {
            let _ = writeln!(
                csv,
                "{},{},{},{:.3},{},{}",
                who(r),
                r.pages,
                r.rep,
                s.t,
                s.fetched,
                s.rss_kb
            );
        }
    }
    let csv_path = o.out.join(format!("crawl-{stamp}.csv"));
    std::fs::write(&csv_path, csv)?;
    let markdown = o.out.join(format!("crawl-{stamp}.md"));
    let text = table(o, runs, &stamp);
    std::fs::write(&markdown, &text)?;
    std::fs::write(o.out.join("crawl-latest.md"), &text)?;
    Ok(Written { markdown, plots })
}

fn table(o: &Options, runs: &[Run], stamp: &str) -> String {
    let mut md = format!("# trawler crawl benchmark, {stamp} UTC\n\n");
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map_or_else(|| "unknown".into(), |v| v.trim().to_owned());
    let _ = writeln!(
        md,
        "Machine: {} × {}, {:.0} GiB, Linux {}. trawler {}, {rustc}, release, allocator {}.\n",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        machine::cpu_model().unwrap_or_else(|| "unknown CPU".into()),
        machine::mem_total_gib().unwrap_or(f64::NAN),
        machine::kernel().unwrap_or_else(|| "?".into()),
        env!("CARGO_PKG_VERSION"),
        if cfg!(feature = "system-alloc") {
            "system (glibc malloc)"
        } else {
            "mimalloc"
        },
    );
    let workers = if o.workers == 0 {
        "one per CPU".to_owned()
    } else {
        o.workers.to_string()
    };
    let _ = writeln!(
        md,
        "Settings: concurrency {} (per host too), crawler workers {workers}{}, testbed server \
         workers {}, timeout {} s per run. Server and crawler are separate processes on the \
         same cores; CPU and RSS are the crawler's own, the server's CPU is shown apart. \
         Crawl state: {}.\n",
        o.concurrency,
        if o.pin {
            ", each kept on one CPU (`--pin`; the ceiling's threads too)"
        } else {
            ""
        },
        o.server_workers,
        o.timeout.as_secs(),
        if o.state {
            "on disk (a durable crawl, `--state`)"
        } else {
            "in memory"
        },
    );
    for r in runs.iter().filter(|r| r.state_bytes.is_some()) {
        let _ = writeln!(md, "- {}\n", one_line(r));
    }
    md.push_str(
        "| run | pages | rep | load 1m | fetched | coverage % | dup | wall s | pages/s | MB/s | CPU ms/page \
         | peak RSS MiB | RSS KB / 1k URLs | URLs seen | server CPU ms/page | server RSS MiB | stop |\n",
    );
    md.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for r in runs {
        let f = figures(r);
        let c = &r.crawl;
        let _ = writeln!(
            md,
            "| {} | {} | {} | {:.2} | {} | {:.2} | {} | {:.2} | {:.0} | {:.1} | {:.4} | {:.1} | {:.1} | {} | {:.3} | {:.1} | {} |",
            who(r),
            r.pages,
            r.rep,
            r.load_before,
            c.fetched,
            f.coverage,
            r.server.duplicate_page_requests,
            c.elapsed_s,
            f.pages_per_s,
            f.mb_per_s,
            f.cpu_ms_per_page,
            f.peak_mib,
            f.kb_per_1k_urls,
            c.urls_seen,
            f.server_cpu_ms_per_page,
            f.server_peak_mib,
            c.stop_reason,
        );
    }
    md.push_str(
        "\ncoverage: reachable pages the testbed served / reachable pages; dup: page requests the \
         testbed answered more than once; fetched includes the few asset links (`.pdf`, `.png`, \
         `.zip`) pages link to; RSS KB / 1k URLs: (peak RSS − RSS before the crawl) per 1,000 \
         URLs in the seen-set (for the ceiling, distinct links found per thread).\n",
    );
    if runs.iter().any(|r| r.ceiling) {
        md.push_str(&versus(o, runs));
    }
    if let (Some(&small), Some(&big)) = (o.sizes.iter().min(), o.sizes.iter().max())
        && small != big
    {
        let (a, b) = (
            median(runs, small, false, |f| f.pages_per_s),
            median(runs, big, false, |f| f.pages_per_s),
        );
        let _ = writeln!(
            md,
            "\nMedian trawler pages/s at {big} pages is {:.1} % of the figure at {small} pages ({b:.0} vs {a:.0}).",
            100.0 * b / a
        );
    }
    md
}

/// (time s, value) points of one line.
type Points = Vec<(f64, f64)>;
/// One run's lines: its name, pages/s and RSS.
type Series = (String, Points, Points);

/// Pages/s (over a sliding window) and RSS against time, one line per rep.
fn plot(path: &Path, pages: u32, runs: &[&Run]) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let series: Vec<Series> = runs
        .iter()
        .map(|r| {
            (
                format!("{} rep {}", who(r), r.rep),
                rate_points(r),
                rss_points(r),
            )
        })
        .collect();
    let t_max = runs.iter().map(|r| r.crawl.elapsed_s).fold(0.1, f64::max);
    let y_max = |pick: fn(&Series) -> &Points| {
        series
            .iter()
            .flat_map(|s| pick(s).iter().map(|p| p.1))
            .fold(1.0, f64::max)
            * 1.1
    };
    let root = SVGBackend::new(path, (960, 720)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (top, bottom) = root.split_vertically(360);
    let panels = [
        (top, "pages/s", y_max(|s| &s.1), true),
        (bottom, "RSS MiB", y_max(|s| &s.2), false),
    ];
    for (area, label, y_top, is_rate) in panels {
        let caption = format!("trawler crawl of {pages} testbed pages: {label} over time");
        let mut chart = ChartBuilder::on(&area)
            .caption(caption, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..t_max, 0.0..y_top)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc("seconds since the crawl started")
            .y_desc(label)
            .draw()
            .map_err(|e| err(&e))?;
        for (i, (name, rate, rss)) in series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let points = if is_rate { rate.clone() } else { rss.clone() };
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(|e| err(&e))?
                .label(name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))
}

/// Pages/s between samples at least a window apart: about 1/40 of the run, so short and
/// long runs both get a readable curve.
fn rate_points(r: &Run) -> Vec<(f64, f64)> {
    let s = &r.crawl.samples;
    let window = (r.crawl.elapsed_s / 40.0).clamp(0.1, 2.0);
    let mut out = Vec::new();
    let mut from = 0;
    for to in 1..s.len() {
        let dt = s[to].t - s[from].t;
        // A last stretch shorter than half a window would make a spike out of noise.
        if dt >= window || to == s.len() - 1 && dt >= window / 2.0 {
            let rate = s[to].fetched.saturating_sub(s[from].fetched) as f64 / dt;
            out.push(((s[from].t + s[to].t) / 2.0, rate));
            from = to;
        }
    }
    out
}

fn rss_points(r: &Run) -> Vec<(f64, f64)> {
    r.crawl
        .samples
        .iter()
        .map(|s| (s.t, s.rss_kb as f64 / 1024.0))
        .collect()
}
