//! Property test of the command line's argument handling: whatever the arguments, parsing,
//! the mapping onto the builder and `build()` end in a configuration or a one-line error,
//! never a panic. The crawl itself is not started; `tests/bad_input.rs` covers the running
//! side of every value `build()` accepts.

use crate::args::{Cli, Command};
use crate::{messages, one_line, settings};
use clap::Parser;
use proptest::prelude::*;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Every flag and subcommand, so generated lists reach every code path.
const WORDS: [&str; 50] = [
    "crawl",
    "demo",
    "--start",
    "--max-depth",
    "--max-pages",
    "-c",
    "--concurrency",
    "--per-host-concurrency",
    "--workers",
    "--pin-workers",
    "--rate",
    "--timeout",
    "--retries",
    "--allow-host",
    "--include",
    "--exclude",
    "--user-agent",
    "--header",
    "--basic-auth",
    "--cookie",
    "--no-robots",
    "--sitemaps",
    "--adaptive-throttle",
    "--max-pages-per-host",
    "--max-body",
    "--fail-on-errors",
    "-o",
    "--out",
    "--urls-out",
    "--format",
    "--only",
    "--ignore-nofollow",
    "--ignore-noindex",
    "--skip-rel-nofollow",
    "--progress-interval",
    "--pages",
    "-v",
    "-q",
    "--help",
    "-h",
    "--version",
    "--",
    "-",
    "jsonl",
    "csv",
    "broken",
    "skipped",
    "fetched",
    "failed",
    "=",
];

/// A value for a flag: numbers at the edges, URLs, patterns and text with control bytes.
fn value() -> impl Strategy<Value = OsString> {
    prop_oneof![
        proptest::sample::select(&WORDS[..]).prop_map(OsString::from),
        proptest::sample::select(
            &[
                "0",
                "-1",
                "1",
                "1e309",
                "NaN",
                "inf",
                "-0",
                "0.0000001",
                "1e-30",
                "4294967296",
                "18446744073709551616",
                "99999999999999999999999",
                "10M",
                "1G",
                "12Q",
                "",
                "http://127.0.0.1:1/",
                "localhost:8080/x",
                "./site",
                "ftp://a.test/",
                "(",
                "[z-a]",
                "*",
                "a b",
                "a\nb",
                "nul\0",
                "\u{7f}",
                "caf\u{e9}",
            ][..]
        )
        .prop_map(OsString::from),
        "\\PC{0,12}".prop_map(OsString::from),
        proptest::collection::vec(any::<u8>(), 0..6).prop_map(OsString::from_vec),
    ]
}

/// What `trawler` would print for these arguments, short of crawling.
enum Said {
    /// clap's message (usage error, help, version); `main` keeps its first line.
    Parse(String),
    /// A configuration error, as `main` prints it.
    Config(String),
    /// Nothing: the crawl would start.
    Nothing,
}

fn outcome(args: &[OsString]) -> Said {
    let argv = std::iter::once(OsString::from("trawler")).chain(args.iter().cloned());
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => return Said::Parse(e.render().to_string()),
    };
    match &cli.command {
        Command::Crawl(a) => match settings::crawl_config(a).build() {
            Ok(_) => {
                // What a crawl would send or time with these flags must be usable.
                let ua = a.user_agent.as_deref().unwrap_or("trawler");
                assert!(
                    trawler::Headers::new().set("user-agent", ua).is_ok(),
                    "--user-agent {ua:?}"
                );
                if let Some(rate) = a.rate {
                    assert!(rate >= trawler::MIN_RATE, "--rate {rate}");
                }
                Said::Nothing
            }
            Err(e) => Said::Config(one_line(&messages::config_error(&e))),
        },
        Command::Demo(_) | Command::Status(_) | Command::Config(_) | Command::Replay(_) => {
            Said::Nothing
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn no_argument_list_makes_trawler_panic(args in proptest::collection::vec(value(), 0..10)) {
        let result = catch_unwind(AssertUnwindSafe(|| outcome(&args)));
        let Ok(said) = result else {
            return Err(TestCaseError::fail(format!("panicked on {args:?}")));
        };
        if let Said::Parse(m) | Said::Config(m) = said {
            prop_assert!(!m.trim().is_empty(), "{args:?}");
        }
    }

    #[test]
    fn configuration_errors_are_one_line(args in proptest::collection::vec(value(), 1..8)) {
        let mut argv = vec![OsString::from("crawl"), OsString::from("http://127.0.0.1:1/")];
        argv.extend(args);
        if let Ok(Said::Config(message)) = catch_unwind(AssertUnwindSafe(|| outcome(&argv))) {
            prop_assert!(!message.contains('\n'), "{argv:?}: {message}");
        }
    }
}
