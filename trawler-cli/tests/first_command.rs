//! The README's first command builds only what the demo needs: it runs the `trawler`
//! binary's `demo` subcommand (`cargo run --release -- demo`), not an example, because
//! `cargo` builds every dev-dependency (bundled SQLite, criterion, plotters, rcgen ...) for
//! any example. Checked on the README itself and on the dependency graph `cargo run` builds.

use std::process::Command;

/// The dev-dependencies that only tests, examples and benchmarks need.
// (tempfile is not listed: the disk store, fjall, uses it at run time.)
const DEV_ONLY: [&str; 7] = [
    "rusqlite",
    "libsqlite3-sys",
    "criterion",
    "plotters",
    "proptest",
    "rcgen",
    "actix-files",
];

/// The first command of the README's "Two commands" block.
fn first_command() -> String {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("## Two commands")
        .nth(1)
        .expect("a Two commands section");
    let block = section.split("```sh").nth(1).expect("a sh block");
    block
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .expect("a first command")
        .split('#')
        .next()
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn the_first_command_runs_the_binary_demo_not_an_example() {
    let cmd = first_command();
    assert!(cmd.starts_with("cargo run --release -- demo"), "{cmd}");
    assert!(!cmd.contains("--example"), "{cmd}");
}

#[test]
fn what_cargo_run_builds_has_no_dev_dependency() {
    // `cargo run` builds the binary with the default features, and no dev-dependency.
    let out = Command::new(env!("CARGO"))
        .args(["tree", "--locked", "--offline", "--prefix", "none"])
        .args(["-e", "normal,build", "-p", "trawler-cli"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    let crates: Vec<&str> = tree.lines().filter_map(|l| l.split(' ').next()).collect();
    assert!(
        crates.contains(&"clap") && crates.contains(&"actix-web"),
        "{tree}"
    );
    for dev in DEV_ONLY {
        assert!(
            !crates.contains(&dev),
            "{dev} would be built by the first command"
        );
    }
    // The library alone carries neither the command line's crates nor the test site.
    let lib = Command::new(env!("CARGO"))
        .args(["tree", "--locked", "--offline", "--prefix", "none"])
        .args(["-e", "normal,build", "-p", "trawler"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    let lib = String::from_utf8_lossy(&lib.stdout);
    for not_in_lib in [
        "clap ",
        "indicatif ",
        "actix-web ",
        "trawler-testbed ",
        "signal-hook ",
        // The library never chooses its users' global allocator.
        "mimalloc ",
    ] {
        assert!(
            !lib.lines().any(|l| l.starts_with(not_in_lib)),
            "the library builds {not_in_lib}"
        );
    }
    // The same graph with dev-dependencies has them: the check above can fail.
    let with_dev = Command::new(env!("CARGO"))
        .args(["tree", "--locked", "--offline", "--prefix", "none"])
        .args(["-e", "normal,build,dev", "-p", "trawler"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    let with_dev = String::from_utf8_lossy(&with_dev.stdout);
    assert!(
        with_dev.lines().any(|l| l.starts_with("rusqlite ")),
        "{with_dev}"
    );
}
