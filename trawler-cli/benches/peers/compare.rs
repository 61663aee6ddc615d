//! The comparison itself: make the asked peers ready, crawl a fresh-counted testbed site
//! with each, once per size and repetition, and write the report.

use crate::machine;
use crate::measure;
use crate::options::Options;
use crate::peer::{Dirs, Peer};
use crate::table::{self, Row};
use std::fmt::Write as _;
use std::path::Path;
use trawler_testbed::{SiteSpec, Testbed};

/// Makes the peers ready, runs every one on every size, and prints and writes the table.
pub(crate) fn compare(o: &Options, dirs: &Dirs) -> Result<(), String> {
    for p in &o.peers {
        p.prepare(dirs)?;
    }
    let stamp = machine::utc_stamp();
    let raw = o.out.join(format!("peers-{stamp}"));
    std::fs::create_dir_all(&raw).map_err(|e| format!("{}: {e}", raw.display()))?;
    let mut rows = Vec::new();
    for &size in &o.sizes {
        let site = Testbed::start(SiteSpec {
            pages: size,
            workers: o.server_workers,
            ..SiteSpec::default()
        })
        .map_err(|e| format!("cannot start the testbed: {e}"))?;
        for rep in 1..=o.reps {
            for &p in &o.peers {
                let row = run_one(o, dirs, &site, p, rep, &raw)?;
                eprintln!("{}", row.line());
                rows.push(row);
            }
        }
        site.stop();
    }
    let report = report(o, dirs, &rows);
    println!("{report}");
    let path = o.out.join(format!("peers-{stamp}.md"));
    std::fs::write(&path, &report).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("report: {}", path.display());
    Ok(())
}

/// One crawl of `site` by `peer`, measured.
pub(crate) fn run_one(
    o: &Options,
    dirs: &Dirs,
    site: &Testbed,
    peer: Peer,
    rep: u32,
    raw: &Path,
) -> Result<Row, String> {
    let name = format!("{}-{}-r{rep}", peer.name(), site.spec().pages);
    let pages = raw.join(format!("{name}.urls"));
    site.reset_stats();
    let cmd = peer.command(dirs, site.url().as_str(), &pages, o.concurrency);
    let server_before = machine::cpu_seconds(None);
    let m = measure::run(cmd, &raw.join(&name), o.timeout)?;
    let server_cpu_s = match (server_before, machine::cpu_seconds(None)) {
        (Some((u0, s0)), Some((u1, s1))) => (u1 + s1) - (u0 + s0),
        _ => 0.0,
    };
    let stats = site.stats();
    Ok(Row {
        crawler: peer.name().to_string(),
        size: site.spec().pages,
        rep,
        reachable: stats.reachable_pages,
        served: stats.reachable_pages - stats.missing_pages(),
        duplicates: stats.duplicate_page_requests,
        wall_s: m.wall_s,
        cpu_s: m.cpu_s,
        peak_rss_kb: m.peak_rss_kb,
        server_cpu_s,
        exit: match (m.timed_out, m.exit) {
            (true, _) => "timeout".to_string(),
            (false, Some(code)) => code.to_string(),
            (false, None) => "killed".to_string(),
        },
    })
}

/// The report: machine, versions, settings, then the table.
fn report(o: &Options, dirs: &Dirs, rows: &[Row]) -> String {
    let mut r = String::from("# Peer benchmark\n\n");
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let _ = writeln!(
        r,
        "- machine: {} ({cores} cores, {:.1} GiB), Linux {}, load {:.2} at the end",
        machine::cpu_model().unwrap_or_default(),
        machine::mem_total_gib().unwrap_or(0.0),
        machine::kernel().unwrap_or_default(),
        machine::load_average().unwrap_or(f64::NAN)
    );
    let versions: Vec<String> = (o.peers.iter())
        .map(|p| format!("{} {}", p.name(), p.version(dirs)))
        .collect();
    let _ = writeln!(r, "- crawlers: {}", versions.join(", "));
    let _ = writeln!(
        r,
        "- settings: {} requests in flight, robots.txt not read, testbed with {} server thread(s) in the runner's process, {} s timeout per run\n",
        o.concurrency,
        o.server_workers,
        o.timeout.as_secs()
    );
    r.push_str(&table::table(rows));
    r.push_str(
        "\nserved: reachable pages the testbed served at least once / reachable pages; dup: page \
         requests beyond the first per page; pages/s: served / wall s; CPU: user + system of the \
         crawler's process (and its waited-for children); peak RSS: its VmHWM; server CPU: user + \
         system of the runner's process during the run (the testbed's server threads, and the \
         runner's own watch of the crawler, a few ms per second); server cores: that CPU / wall \
         s (a server near its thread count set the pace).\n",
    );
    r
}
