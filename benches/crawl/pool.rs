//! trawler against the ceiling over several reports at once (`--pool`): every pair of
//! every report, pooled per site size.
//!
//! One run's per-pair median says how trawler and the loop compared on the machine of that
//! run; its interval covers the draw of pairs within the run, not the machine's drift from
//! one run to the next (on a shared VM, ±5 % and more). Pooling the pairs of several runs,
//! taken at different times, gives an interval that spans that drift too. The pairs are
//! read back from the reports' own run tables (the rows `report.rs` writes, found by their
//! column names), so a pooled figure comes from the same numbers the reports show: pages/s
//! to the page, CPU per page as printed. Within a report, a pair is the trawler run and the
//! ceiling run of one size and rep, as in the report's own "per pair" column.

use std::fmt::Write as _;

use crate::stats::{median_interval, middle};

/// The aims the ratios are held to: at least this fraction of the loop's pages/s...
pub(crate) const AIM_PAGES_PER_S: f64 = 0.90;
/// ...at no more than this multiple of its CPU per page.
pub(crate) const AIM_CPU: f64 = 1.15;

/// One run's row of a report.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) ceiling: bool,
    pub(crate) pages: u32,
    pub(crate) rep: u32,
    pub(crate) pages_per_s: f64,
    pub(crate) cpu_ms_per_page: f64,
}

/// The run rows of one report's Markdown, or why there are none.
pub(crate) fn rows(markdown: &str) -> Result<Vec<Row>, String> {
    let mut lines = markdown.lines();
    let header = lines
        .by_ref()
        .find(|l| l.starts_with("| run | pages | rep |"))
        .ok_or("no run table (is it a report of cargo bench --bench crawl?)")?;
    let names = cells(header);
    let column = |name: &str| {
        names
            .iter()
            .position(|c| *c == name)
            .ok_or(format!("the run table has no \"{name}\" column"))
    };
    let (run, pages, rep) = (column("run")?, column("pages")?, column("rep")?);
    let (rate, cpu) = (column("pages/s")?, column("CPU ms/page")?);
    let mut out = Vec::new();
    for line in lines.skip_while(|l| l.starts_with("|---")) {
        if !line.starts_with('|') {
            break;
        }
        let c = cells(line);
        let field = |i: usize| c.get(i).copied().unwrap_or("");
        let number = |i: usize| {
            field(i)
                .parse::<f64>()
                .map_err(|_| format!("not a number in the run table: {line}"))
        };
        let whole = |i: usize| {
            field(i)
                .parse::<u32>()
                .map_err(|_| format!("not a whole number in the run table: {line}"))
        };
        let ceiling = match field(run) {
            "trawler" => false,
            "ceiling" => true,
            other => return Err(format!("unknown run \"{other}\" in the run table")),
        };
        out.push(Row {
            ceiling,
            pages: whole(pages)?,
            rep: whole(rep)?,
            pages_per_s: number(rate)?,
            cpu_ms_per_page: number(cpu)?,
        });
    }
    Ok(out)
}

/// The cells of one Markdown table row, trimmed.
fn cells(line: &str) -> Vec<&str> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(str::trim).collect()
}

/// The pairs of one report: `(pages, pages/s ratio, CPU ratio)`, trawler over the ceiling.
fn pairs(rows: &[Row]) -> Vec<(u32, f64, f64)> {
    (rows.iter().filter(|r| !r.ceiling))
        .filter_map(|t| {
            let c = (rows.iter()).find(|c| c.ceiling && c.pages == t.pages && c.rep == t.rep)?;
            Some((
                t.pages,
                t.pages_per_s / c.pages_per_s,
                t.cpu_ms_per_page / c.cpu_ms_per_page,
            ))
        })
        .collect()
}

/// The pooled table of `reports` (each a name and its rows); an error when they hold no
/// pair at all.
pub(crate) fn table(reports: &[(String, Vec<Row>)]) -> Result<String, String> {
    let per_report: Vec<Vec<(u32, f64, f64)>> = reports.iter().map(|(_, r)| pairs(r)).collect();
    let all: Vec<(usize, (u32, f64, f64))> = (per_report.iter().enumerate())
        .flat_map(|(i, p)| p.iter().map(move |&p| (i, p)))
        .collect();
    if all.is_empty() {
        return Err("no pairs to pool: the reports have no trawler and ceiling runs of the same size and rep (were they run with --no-ceiling?)".into());
    }
    let mut sizes: Vec<u32> = all.iter().map(|(_, p)| p.0).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let mut md = format!(
        "# trawler against the ceiling, pairs of {} reports pooled\n\n",
        reports.len()
    );
    for ((name, _), p) in reports.iter().zip(&per_report) {
        let _ = writeln!(md, "- {name}: {} pairs", p.len());
    }
    let _ = writeln!(
        md,
        "\nPer pair, trawler over the ceiling run of the same size and rep: the median, then \
         the interval that holds the true median (the k-th lowest to the k-th highest); \
         the aims: at least {AIM_PAGES_PER_S:.2} of the loop's pages/s at no more than \
         {AIM_CPU:.2}× its CPU per page.\n\n\
         | pages | reports | pairs | pages/s per pair | CPU per pair | pairs ≥ {AIM_PAGES_PER_S:.2} pages/s | pairs ≤ {AIM_CPU:.2}× CPU |\n\
         |---|---|---|---|---|---|---|"
    );
    for pages in sizes {
        let of: Vec<&(usize, (u32, f64, f64))> = all.iter().filter(|(_, p)| p.0 == pages).collect();
        let mut from: Vec<usize> = of.iter().map(|(i, _)| *i).collect();
        from.dedup();
        let rate: Vec<f64> = of.iter().map(|(_, p)| p.1).collect();
        let cpu: Vec<f64> = of.iter().map(|(_, p)| p.2).collect();
        let _ = writeln!(
            md,
            "| {pages} | {} | {} | {} | {} | {} | {} |",
            from.len(),
            of.len(),
            summary(&rate),
            summary(&cpu),
            rate.iter().filter(|&&r| r >= AIM_PAGES_PER_S).count(),
            cpu.iter().filter(|&&c| c <= AIM_CPU).count(),
        );
    }
    Ok(md)
}

/// "median (low–high, confidence)" of `v`.
fn summary(v: &[f64]) -> String {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match median_interval(&v) {
        Some((lo, hi, confidence)) => format!(
            "{:.3} ({lo:.2}–{hi:.2}, {:.0} %)",
            middle(&v),
            100.0 * confidence
        ),
        None => "–".into(),
    }
}
