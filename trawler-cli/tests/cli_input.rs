//! The `trawler` command on bad input and at its edges: a one-line error naming the flag
//! (never a panic, a hang or a silent exit 0), hints for start URLs that are not URLs,
//! start URLs fetched whatever `--include` says, exit status 3 when nothing could be
//! fetched, and `--only`.

mod cli_support;

use cli_support::*;
use trawler_testbed::{Faults, SiteSpec, Testbed};

/// A run that must fail as bad usage: status 2, one line on stderr, nothing on stdout.
fn usage_error(args: &[&str]) -> String {
    let r = run(args);
    assert_eq!(r.status.code(), Some(2), "{args:?}: {}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {}", r.stderr);
    assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
    r.stderr
}

#[test]
fn a_user_agent_with_a_line_break_is_a_usage_error_and_nothing_is_sent() {
    let site = site(20);
    let err = usage_error(&["crawl", site.url().as_str(), "--user-agent", "a\nb"]);
    assert!(err.starts_with("trawler: --user-agent \"a\\nb\""), "{err}");
    assert_eq!(site.stats().requests, 0);
}

#[test]
fn flags_with_a_form_refuse_bad_values_in_one_line() {
    let url = "http://127.0.0.1:1/";
    for (flags, says) in [
        (&["--max-time", "abc"][..], "is not a number of seconds"),
        (&["--max-time", "0"], "must be more than 0 seconds"),
        (&["--max-time", "-1"], "'-1'"),
        (&["--continue-other"], "--state <DIR>"),
        (&["--header", "no colon"], "is not NAME: VALUE"),
        (&["--basic-auth", "nocolon"], "USER:PASSWORD"),
    ] {
        let mut args = vec!["crawl", url];
        args.extend_from_slice(flags);
        let err = usage_error(&args);
        assert!(err.contains(says), "{flags:?}: {err}");
    }
}

#[test]
fn errors_name_the_flags_not_the_settings() {
    let url = "http://127.0.0.1:1/";
    for (flags, start) in [
        (&["--rate", "0"][..], "--rate must be a finite number"),
        (&["--rate", "1e-30"], "--rate must be a finite number"),
        (&["-c", "0"], "--concurrency must be greater than zero"),
        (
            &["--per-host-concurrency", "0"],
            "--per-host-concurrency must",
        ),
        (&["--workers", "0"], "--workers must be greater than zero"),
        (&["--workers", "5000"], "--workers must be at most"),
        (&["--max-body", "0"], "--max-body must be greater than zero"),
        (
            &["--include", "("],
            "--include pattern \"(\" is not a valid",
        ),
        (&["--exclude", "[z-a]"], "--exclude pattern"),
        (&["--allow-host", "a b"], "--allow-host \"a b\""),
        (
            &["--header", "Bad Name: v"],
            "--header \"Bad Name: v\" cannot be sent",
        ),
        (
            &["--cookie", "novalue"],
            "--cookie \"novalue\" cannot be sent",
        ),
    ] {
        let mut args = vec!["crawl", url];
        args.extend_from_slice(flags);
        let err = usage_error(&args);
        assert!(
            err.starts_with(&format!("trawler: {start}")),
            "{flags:?}: {err}"
        );
        for field in ["per_host_rate", "per_host_concurrency", "max_body"] {
            assert!(!err.contains(field), "{flags:?}: {err}");
        }
    }
    let err = usage_error(&["crawl"]);
    assert!(err.contains("no start URL given"), "{err}");
}

#[test]
fn a_start_url_without_a_scheme_or_a_file_path_gets_a_hint() {
    for (given, hint) in [
        ("localhost:8080/x", "did you mean http://localhost:8080/x?"),
        ("127.0.0.1:8080", "did you mean http://127.0.0.1:8080?"),
        ("./site/index.html", "is a file path"),
        ("/srv/www/index.html", "python3 -m http.server"),
    ] {
        let err = usage_error(&["crawl", given]);
        assert!(
            err.starts_with(&format!("trawler: start URL {given:?}")),
            "{err}"
        );
        assert!(err.contains(hint), "{given}: {err}");
    }
}

#[test]
fn the_start_url_is_fetched_whatever_include_says() {
    let site = site(200);
    let r = run(&["crawl", site.url().as_str(), "--include", "/s01/", "-q"]);
    assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
    let recs = records(&r.stdout);
    let fetched: Vec<&str> = recs
        .iter()
        .filter(|r| r["outcome"] == "fetched")
        .map(|r| r["url"].as_str().unwrap())
        .collect();
    assert!(fetched.contains(&site.url().as_str()), "the start URL");
    assert!(fetched.len() > 1, "{fetched:?}");
    for url in &fetched[..] {
        assert!(
            *url == site.url().as_str() || url.contains("/s01/"),
            "{url}"
        );
    }
}

#[test]
fn nothing_fetched_because_robots_txt_says_so_exits_3_and_says_why() {
    let site = Testbed::start(SiteSpec {
        pages: 10,
        robots_txt: Some("User-agent: *\nDisallow: /\n".into()),
        ..SiteSpec::default()
    })
    .unwrap();
    let r = run(&["crawl", site.url().as_str()]);
    assert_eq!(r.status.code(), Some(3), "{}", r.stderr);
    let start = format!("start URL {} not fetched: skipped (robots)", site.url());
    assert!(r.stderr.contains(&start), "{}", r.stderr);
    assert!(r.stderr.contains("nothing fetched"), "{}", r.stderr);
    // --no-robots fetches it, and the crawl ends normally.
    let r = run(&["crawl", site.url().as_str(), "--no-robots", "-q"]);
    assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
}

#[test]
fn only_writes_the_records_asked_for_and_the_summary_counts_all() {
    let site = Testbed::start(SiteSpec {
        pages: 100,
        faults: Faults {
            status_5xx: 0.1,
            repeats: u32::MAX,
            ..Faults::default()
        },
        ..SiteSpec::default()
    })
    .unwrap();
    let url = site.url().to_string();
    let all = records(&run(&["crawl", &url, "--retries", "0", "-q"]).stdout);
    let kinds = |recs: &[serde_json::Value]| {
        let mut k: Vec<String> = recs
            .iter()
            .map(|r| r["outcome"].as_str().unwrap().to_string())
            .collect();
        k.sort();
        k.dedup();
        k
    };
    assert_eq!(kinds(&all), ["failed", "fetched", "skipped"]);

    let r = run(&["crawl", &url, "--retries", "0", "--only", "broken"]);
    let broken = records(&r.stdout);
    assert!(!broken.is_empty());
    assert!(
        broken
            .iter()
            .all(|r| r["outcome"] == "failed" || r["status"].as_u64().is_some_and(|s| s >= 400))
    );
    assert_eq!(
        summary(&r.stderr, "URLs"),
        Some(all.len() as u64),
        "{}",
        r.stderr
    );

    let r = run(&[
        "crawl",
        &url,
        "--retries",
        "0",
        "--only",
        "skipped",
        "--only",
        "failed",
        "-q",
    ]);
    let some = records(&r.stdout);
    assert_eq!(kinds(&some), ["failed", "skipped"]);
    assert_eq!(some.len(), with(&all, "failed") + with(&all, "skipped"));

    let err = usage_error(&["crawl", &url, "--only", "everything"]);
    assert!(err.contains("--only"), "{err}");
}
