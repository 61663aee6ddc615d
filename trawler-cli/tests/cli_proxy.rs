//! `trawler crawl` through proxies: `--proxy`, `--proxy-list`, `--no-proxy` and the
//! environment's `http_proxy`/`HTTPS_PROXY`/`ALL_PROXY`/`NO_PROXY`, against real proxies
//! (Debian's `tinyproxy` and `microsocks`) and a real site (Python's `http.server`, which
//! logs each request with its client's address). The proxies connect from 127.0.0.3, so
//! the site's own log tells a request that came through the proxy from one that went
//! around it.

mod cli_support;

use cli_support::{Running, records, trawler};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use trawler_testbed::{ProxyKind, ProxyServer};

/// Python's `http.server` on a free port of 127.0.0.1, serving four linked pages from a
/// directory of its own, its request log (one line per request, the client's address
/// first) in a file. Stopped by its PID when dropped.
struct PySite {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl PySite {
    fn start() -> PySite {
        let dir = tempfile::tempdir().unwrap();
        let links = r#"<a href="a.html">a</a> <a href="b.html">b</a> <a href="c.html">c</a>"#;
        std::fs::write(
            dir.path().join("index.html"),
            format!("<html>{links}</html>"),
        )
        .unwrap();
        for leaf in ["a", "b", "c"] {
            std::fs::write(dir.path().join(format!("{leaf}.html")), "<html>leaf</html>").unwrap();
        }
        let log = std::fs::File::create(dir.path().join("requests.log")).unwrap();
        let mut child = Command::new("python3")
            .args([
                "-u",
                "-m",
                "http.server",
                "0",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("python3 (`.ci/run` installs it)");
        // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
        let mut first = String::new();
        let stdout = child.stdout.take().unwrap();
        BufReader::new(stdout).read_line(&mut first).unwrap();
        let port = first
            .split(" port ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {first:?}"));
        PySite { child, port, dir }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// `(client address, request line)` of every request so far.
    fn requests(&self) -> Vec<(String, String)> {
        let log = std::fs::read_to_string(self.dir.path().join("requests.log")).unwrap();
        (log.lines())
            .filter_map(|l| {
                let line = l.split('"').nth(1)?;
                Some((l.split_whitespace().next()?.to_string(), line.to_string()))
            })
            .collect()
    }
}

impl Drop for PySite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn proxy(kind: ProxyKind) -> ProxyServer {
    ProxyServer::start(kind, None)
        .unwrap_or_else(|e| panic!("{e} (`.ci/run` installs tinyproxy and microsocks)"))
}

/// `trawler crawl ARGS` with `env` set (and no other proxy variable), bounded in time.
fn crawl(args: &[&str], env: &[(&str, &str)]) -> cli_support::Run {
    let mut cmd = trawler(&[&["crawl"], args].concat());
    for var in [
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    Running::start(cmd).wait(Duration::from_secs(60))
}

/// The four pages fetched (robots.txt is a 404), every request from `from`.
fn assert_crawled_from(site: &PySite, run: &cli_support::Run, from: &str) {
    assert!(run.status.success(), "{}", run.stderr);
    let recs = records(&run.stdout);
    assert_eq!(recs.len(), 4, "{}", run.stdout);
    assert!(
        recs.iter().all(|r| r["outcome"] == "fetched"),
        "{}",
        run.stdout
    );
    let requests = site.requests();
    assert_eq!(requests.len(), 5, "{requests:?}");
    for (client, line) in &requests {
        assert_eq!(client, from, "{line}");
    }
}

/// Clears the site's log between runs.
fn fresh_log(site: &PySite) {
    std::fs::write(site.dir.path().join("requests.log"), "").unwrap();
}

#[test]
fn proxy_flag_sends_every_request_through_the_proxy() {
    let site = PySite::start();
    let http = proxy(ProxyKind::Http);
    let run = crawl(&[&site.url(), "--proxy", &http.url()], &[]);
    assert_crawled_from(&site, &run, ProxyServer::OUTGOING);
    let log = http.log();
    for page in ["", "a.html", "b.html", "c.html", "robots.txt"] {
        let line = format!("GET {}{page} HTTP/1.1", site.url());
        assert!(log.contains(&line), "{line} not in the proxy's log:\n{log}");
    }
}

#[test]
fn the_environment_is_honoured_and_no_proxy_overrides_it() {
    let site = PySite::start();
    let socks = proxy(ProxyKind::Socks5);
    let env = [("http_proxy", socks.url())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_crawled_from(&site, &crawl(&[&site.url()], &env), ProxyServer::OUTGOING);
    // ALL_PROXY too, and NO_PROXY or --no-proxy send the site direct.
    for (args, env) in [
        (
            vec![],
            vec![
                ("ALL_PROXY", socks.url()),
                ("NO_PROXY", "localhost,127.0.0.1".to_string()),
            ],
        ),
        (vec!["--no-proxy", "*"], vec![("http_proxy", socks.url())]),
    ] {
        fresh_log(&site);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let run = crawl(&[&[site.url().as_str()], &args[..]].concat(), &env);
        assert_crawled_from(&site, &run, "127.0.0.1");
    }
}

#[test]
fn a_proxy_list_with_a_dead_proxy_still_carries_every_request() {
    let site = PySite::start();
    let live = proxy(ProxyKind::Http);
    let dead = cli_support::dead_port();
    let list = site.dir.path().join("proxies.txt");
    let text = format!("# the pool\nhttp://127.0.0.1:{dead}\n{}\n", live.url());
    std::fs::write(&list, text).unwrap();
    let run = crawl(&[&site.url(), "--proxy-list", list.to_str().unwrap()], &[]);
    assert_crawled_from(&site, &run, ProxyServer::OUTGOING);
}

#[test]
fn bad_proxies_get_one_line_and_a_non_zero_exit() {
    let list: PathBuf = Path::new("/nonexistent").join("proxies.txt");
    let list = list.to_str().unwrap().to_string();
    for (args, env, says) in [
        (
            vec!["--proxy", "ftp://p:1"],
            vec![],
            "--proxy \"ftp://p:1\" cannot be used",
        ),
        (vec!["--proxy", "http://u:hunter2@p:1/x"], vec![], "no path"),
        (vec!["--proxy-list", list.as_str()], vec![], "cannot read"),
        (vec!["--proxy-rule", "nohost"], vec![], "PATTERN=PROXY"),
        (
            vec![],
            vec![("HTTPS_PROXY", "gopher://p:1")],
            "$HTTPS_PROXY",
        ),
        (vec![], vec![("NO_PROXY", "10.0.0.0/99")], "$NO_PROXY"),
    ] {
        let started = Instant::now();
        let run = crawl(&[&["http://127.0.0.1:9/"], &args[..]].concat(), &env);
        assert_eq!(
            run.status.code(),
            Some(2),
            "{args:?} {env:?}: {}",
            run.stderr
        );
        let lines: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert!(
            lines.iter().any(|l| l.contains(says)),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
        assert!(started.elapsed() < Duration::from_secs(10));
    }
    // An unreachable proxy: each URL recorded as failed through it, nothing fetched (3).
    let site = PySite::start();
    let dead = format!("http://127.0.0.1:{}", cli_support::dead_port());
    let run = crawl(&[&site.url(), "--proxy", &dead, "--retries", "0"], &[]);
    assert_eq!(run.status.code(), Some(3), "{}", run.stderr);
    let recs = records(&run.stdout);
    assert_eq!(recs.len(), 1, "{}", run.stdout);
    assert!(
        recs[0]["error"].as_str().unwrap_or("").contains("proxy"),
        "{}",
        run.stdout
    );
    assert!(
        site.requests().is_empty(),
        "went direct: {:?}",
        site.requests()
    );
}
