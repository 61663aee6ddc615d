//! The peer benchmark: trawler and other crawlers (spider-rs, Scrapy) crawl the same
//! synthetic site, served on 127.0.0.1 by this process, and each run is measured the same
//! way from outside; one table of pages/s, CPU per page, peak RSS, coverage and duplicates.
//!
//! Run with `cargo bench --bench peers -- --peers trawler,spider,scrapy --pages 2000 --reps 3`
//! (`-- --help` for every flag). Only trawler runs by default: the others are built or
//! installed on first use, when asked for (`peer`). Every run is bounded by `--timeout`.
//!
//! Each crawler runs as a child process, alone, while the site runs here: the testbed's
//! counters are reset before each run and read after it, so coverage and duplicates are the
//! server's view. The report (machine, versions, settings, table) is written to
//! `target/peers/peers-STAMP.md`, with each run's output and page list beside it.

mod compare;
#[allow(dead_code)] // shared with the crawl benchmark, which uses all of it
#[path = "../../../benches/crawl/machine.rs"]
mod machine;
mod measure;
mod options;
mod peer;
mod table;

use options::Asked;
use peer::Dirs;
use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let package = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| package.join("..").join("target"), PathBuf::from);
    let outcome = match options::parse(&args, &target) {
        Ok(Asked::Help) => {
            print!("{}", options::USAGE);
            Ok(())
        }
        Ok(Asked::Run(o)) => {
            let dirs = Dirs {
                package,
                work: target.join("peers"),
                baseline: o.baseline.clone(),
            };
            compare::compare(&o, &dirs)
        }
        Err(e) => Err(e),
    };
    if let Err(msg) = outcome {
        eprintln!("peers: {msg}");
        std::process::exit(1);
    }
}
