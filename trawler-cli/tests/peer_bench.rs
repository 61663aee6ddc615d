//! The peer benchmark's runner (`benches/peers`), checked without the other crawlers:
//! its command line, and one measured run of trawler on the testbed, from the runner's own
//! modules. spider-rs and Scrapy are never built or installed here.

#[allow(dead_code)]
#[path = "../benches/peers/compare.rs"]
mod compare;
#[allow(dead_code)] // the crawl benchmark's helpers, partly used by the runner
#[path = "../../benches/crawl/machine.rs"]
mod machine;
#[path = "../benches/peers/measure.rs"]
mod measure;
#[path = "../benches/peers/options.rs"]
mod options;
#[allow(dead_code)]
#[path = "../benches/peers/peer.rs"]
mod peer;
#[path = "../benches/peers/table.rs"]
mod table;

use options::{Asked, parse};
use peer::{Dirs, Peer};
use std::path::Path;
use std::time::Duration;
use trawler_testbed::{SiteSpec, Testbed};

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

#[test]
fn only_trawler_runs_unless_others_are_asked_for() {
    let t = Path::new("target");
    assert!(matches!(
        parse(&args(&["--help", "--bench"]), t),
        Ok(Asked::Help)
    ));
    let Ok(Asked::Run(o)) = parse(&args(&["--bench"]), t) else {
        panic!("defaults parse")
    };
    assert_eq!(o.peers, [Peer::Trawler]);
    let all = args(&["--peers", "trawler,spider,spider_mem,scrapy"]);
    let Ok(Asked::Run(o)) = parse(&all, t) else {
        panic!("every peer parses")
    };
    assert_eq!(
        o.peers,
        [Peer::Trawler, Peer::Spider, Peer::SpiderMem, Peer::Scrapy]
    );
    // A baseline binary runs right after trawler, wherever trawler is in the list.
    let ab = args(&[
        "--peers",
        "spider,trawler,scrapy",
        "--baseline",
        env!("CARGO_BIN_EXE_trawler"),
    ]);
    let Ok(Asked::Run(o)) = parse(&ab, t) else {
        panic!("a baseline parses")
    };
    assert_eq!(
        o.peers,
        [Peer::Spider, Peer::Trawler, Peer::Baseline, Peer::Scrapy]
    );
    assert_eq!(
        o.baseline.as_deref(),
        Some(Path::new(env!("CARGO_BIN_EXE_trawler")))
    );
    let err = parse(&args(&["--baseline", "/no/such/trawler"]), t).unwrap_err();
    assert!(err.contains("/no/such/trawler"), "{err}");
    let err = parse(&args(&["--peers", "wget"]), t).unwrap_err();
    assert!(err.contains("wget"), "{err}");
    assert!(
        parse(&args(&["--frobnicate"]), t)
            .unwrap_err()
            .contains("--help")
    );
    // Every flag the usage names is accepted.
    for line in options::USAGE.lines().map(str::trim_start) {
        let Some(f) = line
            .strip_prefix("--")
            .and_then(|l| l.split_whitespace().next())
        else {
            continue;
        };
        if f != "help" {
            let value = match f {
                "peers" => "trawler",
                "baseline" => env!("CARGO_BIN_EXE_trawler"),
                _ => "7",
            };
            let a = args(&[&format!("--{f}"), value]);
            assert!(matches!(parse(&a, t), Ok(Asked::Run(_))), "--{f}");
        }
    }
}

#[test]
fn a_measured_trawler_run_covers_the_site_once() {
    let site = Testbed::start(SiteSpec {
        pages: 150,
        ..SiteSpec::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dirs = Dirs {
        package: env!("CARGO_MANIFEST_DIR").into(),
        work: dir.path().join("peers"),
        baseline: Some(env!("CARGO_BIN_EXE_trawler").into()),
    };
    let Ok(Asked::Run(o)) = parse(
        &args(&["--timeout", "60", "--concurrency", "16"]),
        dir.path(),
    ) else {
        panic!("parses")
    };
    Peer::Trawler.prepare(&dirs).unwrap();
    assert!(
        !dirs.work.exists(),
        "trawler needs nothing built or installed"
    );
    let row = compare::run_one(&o, &dirs, &site, Peer::Trawler, 1, dir.path()).unwrap();
    assert_eq!(row.exit, "0", "{row:?}");
    assert_eq!((row.served, row.reachable), (150, 150), "{row:?}");
    assert_eq!(row.duplicates, 0);
    assert!(
        row.wall_s > 0.0 && row.cpu_s > 0.0 && row.peak_rss_kb > 1024,
        "{row:?}"
    );
    assert!(row.coverage() == 100.0 && row.pages_per_s() > 0.0 && row.cpu_ms_per_page() > 0.0);
    // The crawler's own list of pages is kept beside the report.
    let listed = std::fs::read_to_string(dir.path().join("trawler-150-r1.urls")).unwrap();
    assert!(listed.lines().count() >= 150);
    // The baseline binary (here the same build) is run the same way, under its own name.
    let base = compare::run_one(&o, &dirs, &site, Peer::Baseline, 1, dir.path()).unwrap();
    assert_eq!(
        (base.crawler.as_str(), base.exit.as_str()),
        ("baseline", "0")
    );
    assert_eq!((base.served, base.duplicates), (150, 0), "{base:?}");
    assert!(dir.path().join("baseline-150-r1.urls").is_file());
    let t = table::table(&[row]);
    assert!(
        t.lines()
            .nth(2)
            .unwrap()
            .starts_with("| trawler | 150 | 1 | 150/150 | 100.00 | 0 |"),
        "{t}"
    );
}

#[test]
fn a_run_past_the_timeout_is_killed_and_marked() {
    let mut cmd = std::process::Command::new("sleep");
    cmd.arg("30");
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let m = measure::run(cmd, &dir.path().join("sleep"), Duration::from_millis(300)).unwrap();
    assert!(m.timed_out && m.exit.is_none(), "{m:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}
