//! What each flag of `trawler crawl` changes, as the servers see it: the `trawler` binary
//! run as a user runs it against the loopback test server of `common` (one or several
//! hosts), every run bounded in time. Each test reads the server's own log (requests per
//! path, arrival times, user agents, requests in flight per host and over all hosts), not
//! only the records the binary writes.
//!
//! Covered: `-c` (alone), `--per-host-concurrency`, `--rate`, `--adaptive-throttle`,
//! `--exclude`, `--user-agent`, `--header`, `--basic-auth`, `--cookie`, `-v`/`-vv`, and the 19 columns of `--format csv` checked
//! cell by cell against the JSON records and the server.

mod cli_support;
#[path = "../../tests/common/mod.rs"]
mod common;

use cli_support::{Run, run};
use common::{FAN_PAGES, OFFSITE_LINK, ROBOTS, TestServer, link_page};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// `trawler crawl ARGS...`, checked to succeed.
fn crawl(args: &[&str]) -> Run {
    let mut all = vec!["crawl"];
    all.extend_from_slice(args);
    let r = run(&all);
    assert!(r.status.success(), "trawler {all:?}: {}", r.stderr);
    r
}

/// The JSON records of stdout, keyed by URL (each URL once).
fn records(stdout: &str) -> HashMap<String, Value> {
    let mut out = HashMap::new();
    for line in stdout.lines() {
        let rec: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("bad record {line:?}: {e}"));
        let url = rec["url"].as_str().expect("a url").to_string();
        assert!(
            out.insert(url.clone(), rec).is_none(),
            "two records for {url}"
        );
    }
    out
}

/// The `/slow/` pages of `hosts` hosts, each host's page 0 linking to its 19 others.
fn slow_seeds(server: &TestServer) -> Vec<String> {
    (0..server.hosts())
        .map(|h| server.url_on(h, "/slow/0.html"))
        .collect()
}

/// Checks that every `/slow/` page of every host was fetched, once, and recorded so.
fn assert_all_slow_pages_fetched_once(server: &TestServer, recs: &HashMap<String, Value>) {
    for h in 0..server.hosts() {
        let hits = server.hits_on(h);
        for i in 0..FAN_PAGES {
            let path = format!("/slow/{i}.html");
            let n = hits.iter().filter(|x| x.path == path).count();
            assert_eq!(n, 1, "{path} on host {h}");
            let rec = &recs[&server.url_on(h, &path)];
            assert_eq!(rec["outcome"], "fetched", "{rec}");
        }
        assert_eq!(hits.len(), FAN_PAGES, "host {h}: nothing else requested");
    }
}

/// `-c N` caps the requests in flight over all hosts: four hosts of slow pages, `-c 4`,
/// and the server never handles more than 4 at once across its ports.
#[test]
fn concurrency_caps_requests_over_all_hosts() {
    let server = TestServer::start_hosts(4, |_| {});
    let seeds = slow_seeds(&server);
    let mut args: Vec<&str> = seeds.iter().map(String::as_str).collect();
    args.extend(["-c", "4", "--no-robots", "-q"]);
    let r = crawl(&args);

    let max = server.max_in_flight();
    let per_host: Vec<usize> = (0..4).map(|h| server.max_in_flight_on(h)).collect();
    assert!(
        max <= 4,
        "{max} in flight over all hosts (per host {per_host:?})"
    );
    assert!(max >= 3, "the budget was used: {max}");
    assert_all_slow_pages_fetched_once(&server, &records(&r.stdout));
}

/// `-c 32` alone raises the budget over all hosts and leaves each host at the polite
/// default of 8: one host of slow pages never sees more than 8 at once, and six hosts
/// together see more than 8 but never more than 32.
#[test]
fn concurrency_alone_keeps_8_per_host() {
    let server = TestServer::start_hosts(6, |_| {});
    let seeds = slow_seeds(&server);
    let mut args: Vec<&str> = seeds.iter().map(String::as_str).collect();
    args.extend(["-c", "32", "--no-robots", "-q"]);
    let r = crawl(&args);

    let per_host: Vec<usize> = (0..6).map(|h| server.max_in_flight_on(h)).collect();
    assert!(per_host.iter().all(|m| *m <= 8), "per host {per_host:?}");
    let max = server.max_in_flight();
    assert!(max <= 32, "{max} in flight over all hosts");
    assert!(
        max > 8,
        "hosts ran side by side: {max} (per host {per_host:?})"
    );
    assert_all_slow_pages_fetched_once(&server, &records(&r.stdout));
}

/// `--per-host-concurrency N` holds each host at N, alone and beside `-c`.
#[test]
fn per_host_concurrency_limits_each_host() {
    for (flags, limit) in [
        (&["--per-host-concurrency", "2"][..], 2),
        (&["-c", "32", "--per-host-concurrency", "3"][..], 3),
    ] {
        let server = TestServer::start_hosts(2, |_| {});
        let seeds = slow_seeds(&server);
        let mut args: Vec<&str> = seeds.iter().map(String::as_str).collect();
        args.extend(["--no-robots", "-q"]);
        args.extend_from_slice(flags);
        let r = crawl(&args);

        let per_host: Vec<usize> = (0..2).map(|h| server.max_in_flight_on(h)).collect();
        assert_eq!(per_host, [limit, limit], "{flags:?}");
        assert_all_slow_pages_fetched_once(&server, &records(&r.stdout));
    }
}

/// `--rate R` spaces the requests to each host 1/R apart, and only per host: two hosts
/// crawled side by side finish in about the time one takes, where one rate over the whole
/// crawl would take twice as long.
#[test]
fn rate_spaces_each_host_not_the_whole_crawl() {
    const RATE: f64 = 20.0;
    let period = Duration::from_secs_f64(1.0 / RATE);
    let server = TestServer::start_hosts(2, |_| {});
    let seeds: Vec<String> = (0..2).map(|h| server.url_on(h, "/fan/0.html")).collect();
    let mut args: Vec<&str> = seeds.iter().map(String::as_str).collect();
    args.extend(["--rate", "20", "--no-robots", "-q"]);
    let r = crawl(&args);

    let recs = records(&r.stdout);
    let mut all = Vec::new();
    for h in 0..2 {
        let times: Vec<Instant> = server.hits_on(h).iter().map(|x| x.at).collect();
        assert_eq!(times.len(), FAN_PAGES, "host {h}");
        // As in tests/politeness.rs: a late arrival shortens the next gap, so one gap is
        // held to half a period and the whole run to 90 % of the rate.
        for pair in times.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(gap + period / 2 >= period, "host {h}: {gap:?} apart");
        }
        let span = times[FAN_PAGES - 1] - times[0];
        assert!(
            span >= period.mul_f64((FAN_PAGES - 1) as f64 * 0.9),
            "{span:?}"
        );
        all.extend(times);
    }
    all.sort();
    // One rate for the whole crawl would need (2 × 20 − 1) periods: 1.95 s.
    let whole = all[all.len() - 1] - all[0];
    let one_rate = period.mul_f64((2 * FAN_PAGES - 1) as f64);
    assert!(
        whole < one_rate.mul_f64(0.75),
        "both hosts took {whole:?}: as slow as one rate over the crawl ({one_rate:?})"
    );
    assert_eq!(recs.len(), 2 * FAN_PAGES);
}

/// `--adaptive-throttle` starts each host at one request at a time, the next one
/// `start_delay` (250 ms) later; without it, the seed's 19 links go out together.
#[test]
fn adaptive_throttle_starts_each_host_slow_and_one_at_a_time() {
    let server = TestServer::start();
    let seed = server.url("/slow/0.html");
    let r = crawl(&[&seed, "--adaptive-throttle", "--no-robots", "-q"]);

    let times: Vec<Instant> = server.hits_on(0).iter().map(|x| x.at).collect();
    assert_eq!(times.len(), FAN_PAGES);
    // The crawler spaces the sends 250 ms apart; the first arrival may be late (a new
    // connection on a busy machine), so the gap is held to half of that, which is still
    // several times what a page takes (30 ms) and the gap without the flag.
    let first_gap = times[1] - times[0];
    assert!(
        first_gap >= Duration::from_millis(125),
        "the second request came {first_gap:?} after the first"
    );
    let max = server.max_in_flight_on(0);
    assert!(max <= 4, "{max} in flight (8 without the throttle)");
    assert_all_slow_pages_fetched_once(&server, &records(&r.stdout));

    // The control: the same crawl without the flag overlaps its requests.
    let server = TestServer::start();
    crawl(&[&server.url("/slow/0.html"), "--no-robots", "-q"]);
    assert!(
        server.max_in_flight_on(0) > 4,
        "{}",
        server.max_in_flight_on(0)
    );
}

/// `--exclude REGEX` (repeatable) skips matching URLs: never requested, recorded as
/// `filtered`; the rest are fetched once.
#[test]
fn exclude_skips_matching_urls_without_requesting_them() {
    let server = TestServer::start();
    let seed = server.url("/fan/0.html");
    let r = crawl(&[
        &seed,
        "--exclude",
        r"/fan/1[0-9]\.html$",
        "--exclude",
        r"/fan/3\.html$",
        "--no-robots",
        "-q",
    ]);
    let recs = records(&r.stdout);
    let excluded = |i: usize| i == 3 || i >= 10;
    for i in 0..FAN_PAGES {
        let path = format!("/fan/{i}.html");
        let rec = &recs[&server.url(&path)];
        if excluded(i) {
            assert_eq!(server.hits(&path), 0, "{path}");
            assert_eq!(
                (&rec["outcome"], &rec["reason"]),
                (&"skipped".into(), &"filtered".into())
            );
        } else {
            assert_eq!(server.hits(&path), 1, "{path}");
            assert_eq!(rec["outcome"], "fetched", "{rec}");
        }
    }
    let wanted: HashSet<String> = (0..FAN_PAGES)
        .filter(|i| !excluded(*i))
        .map(|i| format!("/fan/{i}.html"))
        .collect();
    assert_eq!(server.paths().into_iter().collect::<HashSet<_>>(), wanted);
}

/// `--header`, `--basic-auth` and `--cookie` reach the start host with every request,
/// robots.txt included (that credentials go to no other host is `tests/credentials.rs`).
#[test]
fn headers_and_credentials_are_sent_to_the_start_host() {
    let server = TestServer::start();
    let seed = server.url("/depth/18.html");
    crawl(&[
        seed.as_str(),
        "-q",
        "--header",
        "X-Trace: t1",
        "--header",
        "Accept-Language:fr",
        "--basic-auth",
        "user:se:cret",
        "--cookie",
        "session=abc",
    ]);
    let hits = server.all_hits();
    assert_eq!(hits.len(), 4, "robots.txt and three pages");
    for h in &hits {
        let value = |name: &str| {
            (h.headers.iter())
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(value("x-trace"), Some("t1"), "{}", h.path);
        assert_eq!(value("accept-language"), Some("fr"), "{}", h.path);
        // Base64 of `user:se:cret`: the password keeps its colon.
        assert_eq!(
            value("authorization"),
            Some("Basic dXNlcjpzZTpjcmV0"),
            "{}",
            h.path
        );
        assert_eq!(value("cookie"), Some("session=abc"), "{}", h.path);
    }
}

/// `--user-agent TEXT` is the User-Agent of every request, robots.txt included; without
/// it, the default `trawler/VERSION`.
#[test]
fn user_agent_is_sent_with_every_request() {
    let agent = "probe/1.0 (+http://127.0.0.1/about)";
    for (flags, want) in [
        (vec!["--user-agent", agent], agent.to_string()),
        (vec![], format!("trawler/{}", env!("CARGO_PKG_VERSION"))),
    ] {
        let server = TestServer::start();
        let seed = server.url("/depth/18.html");
        let mut args = vec![seed.as_str(), "-q"];
        args.extend(flags);
        crawl(&args);
        let hits = server.all_hits();
        let paths: Vec<&str> = hits.iter().map(|h| h.path.as_str()).collect();
        assert_eq!(
            paths,
            [ROBOTS, "/depth/18.html", "/depth/19.html", "/depth/20.html"]
        );
        for h in &hits {
            assert_eq!(h.user_agent.as_deref(), Some(want.as_str()), "{}", h.path);
        }
    }
}

/// `-v` logs each broken URL (failed, or answered 400 and above) on stderr, and only those;
/// `-vv` logs every URL; without either, none. Which URLs are broken comes from the
/// server's answers: 404 for `/notfound`, 500 for `/always500`.
#[test]
fn verbose_logs_broken_urls_and_very_verbose_every_url() {
    let server = TestServer::start();
    let seed = link_page(&server, &["/notfound", "/always500", "/depth/20.html"]);
    // Not -q: it wins over -v.
    let base = [seed.as_str(), "--retries", "0"];
    let broken = [server.url("/notfound"), server.url("/always500")];
    let fine = [seed.clone(), server.url("/depth/20.html")];
    // The URL a log line is about (`url=...` in the line).
    let lines_about = |stderr: &str, url: &str| {
        let needle = format!("url={url} ");
        stderr
            .lines()
            .filter(|l| l.contains(&needle) || l.ends_with(&format!("url={url}")))
            .count()
    };

    let quiet = crawl(&base);
    for url in broken.iter().chain(&fine) {
        assert_eq!(
            lines_about(&quiet.stderr, url),
            0,
            "{url}: {}",
            quiet.stderr
        );
    }

    let mut args = base.to_vec();
    args.push("-v");
    let v = crawl(&args);
    for url in &broken {
        assert_eq!(lines_about(&v.stderr, url), 1, "{url}: {}", v.stderr);
    }
    for url in &fine {
        assert_eq!(lines_about(&v.stderr, url), 0, "{url}: {}", v.stderr);
    }

    args.push("-v");
    let vv = crawl(&args);
    for url in broken.iter().chain(&fine) {
        assert!(lines_about(&vv.stderr, url) >= 1, "{url}: {}", vv.stderr);
    }
    // Three runs, each asking the server once for each URL.
    assert_eq!(server.hits("/notfound"), 3);
    assert_eq!(server.hits("/always500"), 3);
}

/// The CSV columns, in order: every field of the JSON record.
const CSV_COLUMNS: [&str; 19] = [
    "url",
    "outcome",
    "status",
    "error",
    "reason",
    "depth",
    "referrer",
    "attempts",
    "bytes",
    "elapsed_ms",
    "content_type",
    "redirected_to",
    "truncated",
    "label",
    "parse_error",
    "links_truncated",
    "noindex",
    "nofollow",
    "rendered",
];

/// `--format csv`: the 19 columns in order, and in every row each cell is what the JSON
/// record of the same URL says (empty when JSON leaves the field out, `false` for an absent
/// `truncated`) and what the server did: the status it answered, the Content-Type it sent,
/// the Location it redirected to, the body cut at `--max-body`, one request per attempt.
#[test]
fn csv_has_all_18_columns_each_as_the_json_record_and_the_server_say() {
    let server = TestServer::start();
    let seed = link_page(
        &server,
        &[
            "/depth/20.html",
            "/redirect/rel",
            "/huge",
            "/always500",
            OFFSITE_LINK,
        ],
    );
    let args = [seed.as_str(), "--retries", "0", "--max-body", "64K", "-q"];
    let mut csv_args = args.to_vec();
    csv_args.extend(["--format", "csv"]);
    let csv_run = crawl(&csv_args);
    let json_run = crawl(&args);

    let mut reader = csv::Reader::from_reader(csv_run.stdout.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, CSV_COLUMNS);
    let rows: HashMap<String, HashMap<&str, String>> = reader
        .records()
        .map(|row| {
            let row = row.unwrap();
            assert_eq!(row.len(), CSV_COLUMNS.len(), "{row:?}");
            let cells: HashMap<&str, String> = CSV_COLUMNS
                .iter()
                .copied()
                .zip(row.iter().map(String::from))
                .collect();
            (cells["url"].clone(), cells)
        })
        .collect();
    let json = records(&json_run.stdout);
    assert_eq!(
        rows.keys().collect::<HashSet<_>>(),
        json.keys().collect::<HashSet<_>>(),
        "the same URLs in both formats"
    );

    // What the server did, per URL: (outcome, status, error, reason, depth, referrer,
    // content type, redirected to, truncated). Bytes are checked apart.
    let html = "text/html; charset=utf-8";
    let url = |p: &str| server.url(p);
    let expected: [(String, [&str; 9]); 7] = [
        (
            seed.clone(),
            ["fetched", "200", "", "", "0", "", html, "", "false"],
        ),
        (
            url("/depth/20.html"),
            ["fetched", "200", "", "", "1", &seed, html, "", "false"],
        ),
        (
            url("/redirect/rel"),
            [
                "fetched",
                "301",
                "",
                "",
                "1",
                &seed,
                "",
                &url("/redirect/target.html"),
                "false",
            ],
        ),
        (
            url("/redirect/target.html"),
            [
                "fetched",
                "200",
                "",
                "",
                "1",
                &url("/redirect/rel"),
                html,
                "",
                "false",
            ],
        ),
        (
            url("/huge"),
            [
                "fetched",
                "200",
                "",
                "",
                "1",
                &seed,
                "application/octet-stream",
                "",
                "true",
            ],
        ),
        (
            url("/always500"),
            [
                "failed",
                "500",
                "HTTP status 500 after all retries",
                "",
                "1",
                &seed,
                "text/html",
                "",
                "false",
            ],
        ),
        (
            OFFSITE_LINK.to_string(),
            ["skipped", "", "", "off_host", "1", &seed, "", "", "false"],
        ),
    ];
    assert_eq!(rows.len(), expected.len(), "{:?}", rows.keys());
    let named = [
        "outcome",
        "status",
        "error",
        "reason",
        "depth",
        "referrer",
        "content_type",
        "redirected_to",
        "truncated",
    ];
    for (u, want) in &expected {
        let row = rows.get(u).unwrap_or_else(|| panic!("no row for {u}"));
        let rec = &json[u];
        // Each cell is the JSON field as text; the elapsed time differs between the two
        // runs, so it is only checked to be a time.
        for column in CSV_COLUMNS {
            let cell = &row[column];
            if column == "elapsed_ms" {
                let ms: f64 = cell.parse().unwrap_or_else(|_| panic!("{u}: {cell:?}"));
                assert!(ms >= 0.0 && rec[column].as_f64().is_some(), "{u}: {cell}");
                continue;
            }
            let from_json = match rec.get(column) {
                None if [
                    "truncated",
                    "links_truncated",
                    "noindex",
                    "nofollow",
                    "rendered",
                ]
                .contains(&column) =>
                {
                    "false".to_string()
                }
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
            };
            assert_eq!(cell, &from_json, "{u}: column {column}");
        }
        for (column, want) in named.iter().zip(want) {
            assert_eq!(row[*column], *want, "{u}: column {column}");
        }
        assert_eq!(row["url"], *u);
        assert_eq!(row["label"], "", "{u}: the CLI sets no labels");
        assert_eq!(row["parse_error"], "", "{u}: the CLI's spider never fails");
        assert_eq!(
            row["links_truncated"], "false",
            "{u}: no hostile markup here"
        );
        // One request per attempt, in each of the two runs.
        let attempts: usize = row["attempts"].parse().unwrap();
        let path = u.strip_prefix(&server.url("")).unwrap_or("");
        let hits = if path.is_empty() {
            0
        } else {
            server.hits(path)
        };
        assert_eq!(hits, 2 * attempts, "{u}");
        assert_eq!(attempts, usize::from(row["outcome"] != "skipped"), "{u}");
    }
    let bytes = |p: &str| rows[&url(p)]["bytes"].parse::<u64>().unwrap();
    assert_eq!(bytes("/huge"), 64 * 1024, "cut at --max-body");
    assert_eq!(bytes("/redirect/rel"), 0);
    assert!(bytes("/depth/20.html") > 0 && bytes("/always500") > 0);
    assert_eq!(rows[OFFSITE_LINK]["bytes"], "0");
}
