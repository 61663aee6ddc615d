//! The crawl benchmark's command line, checked without running a benchmark:
//! `cargo bench --bench crawl -- --help` prints the usage and every flag it names is
//! accepted; a wrong flag says where the usage is.

#[allow(dead_code)] // the driver reads the fields; here only parsing is checked
#[path = "../benches/crawl/options.rs"]
mod options;

use options::{Asked, USAGE, parse};
use std::path::Path;

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

#[test]
fn help_is_an_answer_not_an_error() {
    let target = Path::new("target");
    // `cargo bench` appends `--bench` after the user's arguments.
    for a in [
        &["--help", "--bench"][..],
        &["-h"],
        &["--pages", "10", "--help"],
    ] {
        assert!(matches!(parse(&args(a), target), Ok(Asked::Help)), "{a:?}");
    }
    let err = parse(&args(&["--nope", "--bench"]), target).unwrap_err();
    assert!(err.contains("--nope") && err.contains("--help"), "{err}");
}

#[test]
fn every_flag_the_usage_names_is_accepted() {
    let flags: Vec<&str> = USAGE
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("--"))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|f| *f != "help")
        .collect();
    assert_eq!(flags.len(), 12, "{flags:?}");
    for f in flags.into_iter().filter(|f| *f != "pool") {
        let mut a = vec![format!("--{f}")];
        match f {
            "state" | "no-ceiling" | "pin" => {}
            "pages" => a.push("5,6".into()),
            _ => a.push("7".into()),
        }
        a.push("--bench".into());
        assert!(
            matches!(parse(&a, Path::new("t")), Ok(Asked::Run(_))),
            "--{f}"
        );
    }
    let Ok(Asked::Run(o)) = parse(&args(&["--pages", "5,6", "--reps", "3"]), Path::new("t")) else {
        panic!("parses")
    };
    assert_eq!(
        (o.sizes, o.reps, o.state, o.ceiling, o.pin),
        (vec![5, 6], 3, false, true, false)
    );
    let Ok(Asked::Run(o)) = parse(
        &args(&["--state", "--no-ceiling", "--pin", "--bench"]),
        Path::new("t"),
    ) else {
        panic!("parses")
    };
    assert!(o.state && !o.ceiling && o.pin);
}

#[test]
fn pool_takes_a_list_of_reports_and_runs_nothing() {
    let t = Path::new("t");
    let Ok(Asked::Pool(reports)) = parse(&args(&["--pool", "a.md, b.md", "--bench"]), t) else {
        panic!("parses")
    };
    assert_eq!(reports, vec![Path::new("a.md"), Path::new("b.md")]);
    let err = parse(&args(&["--pool", ",", "--bench"]), t).unwrap_err();
    assert!(err.contains("--pool"), "{err}");
}
