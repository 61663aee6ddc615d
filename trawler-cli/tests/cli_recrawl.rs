//! `trawler crawl --cache DIR` (recrawls asking only for what changed) and `--config FILE`
//! (a crawl's flags in TOML), as a user runs them against the testbed.

mod cli_support;

use cli_support::{records, run, site, summary, with};

#[test]
fn a_second_crawl_with_the_cache_records_unchanged_pages_as_not_modified() {
    let site = site(200);
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let url = site.url().to_string();
    let args = ["crawl", url.as_str(), "--cache", cache.to_str().unwrap()];
    let first = run(&args);
    assert!(first.status.success(), "{}", first.stderr);
    let first_records = records(&first.stdout);
    assert_eq!(with(&first_records, "not_modified"), 0);
    let second = run(&args);
    assert!(second.status.success(), "{}", second.stderr);
    let recs = records(&second.stdout);
    let pages = site.reachable_pages() as usize;
    assert_eq!(with(&recs, "not_modified"), pages, "{}", second.stdout);
    assert_eq!(
        recs.len(),
        first_records.len(),
        "the recrawl covers the site"
    );
    for r in recs.iter().filter(|r| r["outcome"] == "not_modified") {
        assert_eq!(
            (r["status"].as_u64(), r["bytes"].as_u64()),
            (Some(304), Some(0)),
            "{r}"
        );
        assert_eq!(r["revisit"], "unchanged");
        assert!(r["bytes_saved"].as_u64().unwrap_or(0) > 0, "{r}");
    }
    assert_eq!(site.stats().not_modified, pages as u64);
    assert!(second.stderr.contains("unchanged"), "{}", second.stderr);
    assert_eq!(
        summary(&second.stderr, "revisited"),
        Some(recs.iter().filter(|r| r.get("revisit").is_some()).count() as u64)
    );
    // A cache in use by another crawl is refused in one line.
    let lock = std::fs::File::open(cache.join("LOCK")).unwrap();
    lock.lock().unwrap();
    let refused = run(&args);
    assert_eq!(refused.status.code(), Some(2), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("in use by another trawler process"),
        "{}",
        refused.stderr
    );
}

#[test]
fn a_config_file_holds_the_flags_and_the_command_line_wins() {
    let site = site(100);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("crawl.toml");
    let text = format!(
        "urls = [\"{}\"]\nmax-pages = 5\nno-robots = true\nheader = [\"X-Test: 1\"]\n",
        site.url()
    );
    std::fs::write(&file, text).unwrap();
    let file = file.to_str().unwrap();
    let out = run(&["crawl", "--config", file]);
    assert!(out.status.success(), "{}", out.stderr);
    let recs = records(&out.stdout);
    assert_eq!(with(&recs, "fetched"), 5, "{}", out.stdout);
    assert_eq!(site.stats().robots_hits, 0, "no-robots from the file");
    let out = run(&["crawl", "--config", file, "--max-pages", "2"]);
    assert_eq!(with(&records(&out.stdout), "fetched"), 2, "{}", out.stdout);

    let printed = run(&["config", "--print", "--config", file, "--max-pages", "2"]);
    assert!(printed.status.success(), "{}", printed.stderr);
    for line in [
        "max-pages = 2",
        "no-robots = true",
        "header = [\"X-Test: 1\"]",
        "# concurrency = 64",
    ] {
        assert!(
            printed.stdout.lines().any(|l| l == line),
            "{line} in:\n{}",
            printed.stdout
        );
    }
    let parsed: toml::Table = printed.stdout.parse().expect("config --print is TOML");
    assert_eq!(parsed["max-pages"].as_integer(), Some(2));

    for (bad, says) in [
        ("max-pagez = 5\n", "\"max-pagez\" is not a setting"),
        ("max-pages = \"many\"\n", "--max-pages"),
        ("max-pages = [1, 2]\n", "takes one value"),
        ("no-robots = 1\n", "is a switch"),
        ("[section]\nx = 1\n", "\"section\""),
        ("urls = \n", "line 1"),
    ] {
        std::fs::write(dir.path().join("bad.toml"), bad).unwrap();
        let out = run(&[
            "crawl",
            "--config",
            dir.path().join("bad.toml").to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", out.stderr);
        let lines: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(lines.len(), 1, "{bad}: {}", out.stderr);
        assert!(lines[0].contains(says), "{bad}: {}", out.stderr);
    }
}
