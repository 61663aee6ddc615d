//! Rendering with Debian's Chromium (feature `browser`; `.ci/run` installs `chromium`):
//! links a page inserts with JavaScript (after a `setTimeout`, and from a `fetch()`ed JSON
//! file) are found with rendering and not without; sub-resources of another host and of
//! blocked kinds never leave (from the servers' logs); a page that never stops loading is
//! cut at the timeout and recorded; a timer due while the page's renderer is busy past the
//! quiet window still runs before its DOM is taken (and a page whose `setTimeout` never
//! calls back is taken all the same); a killed browser is started again and its pages
//! fetched again, leaving nothing in the temp directory; a missing browser is one error
//! before anything is fetched.
#![cfg(feature = "browser")]

mod common;

use common::{Reply, TestServer};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use trawler::browser::RenderConfig;
use trawler::{CrawlConfig, CrawlReport, Crawler, Error, FnSpider, Outcome, RetryPolicy};

/// The JavaScript page: a link added after 50 ms, links from `/links.json`, an image of its
/// own host (a blocked kind), and a script and an image of another host.
fn js_page(other: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html><head><title>App</title>
<script src="{other}/tracker.js"></script></head>
<body><div id="app">loading</div>
<img src="/logo.png"><img src="{other}/pixel.png">
<script>
setTimeout(function () {{
  var a = document.createElement('a'); a.href = '/late.html'; a.textContent = 'late';
  document.getElementById('app').appendChild(a);
}}, 50);
fetch('/links.json').then(function (r) {{ return r.json(); }}).then(function (links) {{
  links.forEach(function (href) {{
    var a = document.createElement('a'); a.href = href; a.textContent = href;
    document.body.appendChild(a);
  }});
}});
</script></body></html>"#
    )
}

fn site() -> TestServer {
    let server = TestServer::start_hosts(2, |_| {});
    let other = server.url_on(1, "").trim_end_matches('/').to_string();
    server.serve(
        "/app.html",
        Reply::ok("text/html; charset=utf-8", js_page(&other)),
    );
    server.serve(
        "/links.json",
        Reply::ok("application/json", r#"["/from-json.html"]"#),
    );
    for page in ["/late.html", "/from-json.html"] {
        server.serve(
            page,
            Reply::ok("text/html", "<title>leaf</title><p>leaf</p>"),
        );
    }
    server.serve("/logo.png", Reply::ok("image/png", vec![0u8; 16]));
    server
}

fn config(seed: &str) -> CrawlConfig {
    config_with(&[seed], Duration::from_secs(20))
}

fn config_with(seeds: &[&str], timeout: Duration) -> CrawlConfig {
    CrawlConfig::builder()
        .seeds(seeds.iter().copied())
        .workers(1)
        .request_timeout(timeout)
        .retry_policy(RetryPolicy {
            base_delay: Duration::from_millis(50),
            ..RetryPolicy::default()
        })
        .collect_outcomes(true)
        .build()
        .unwrap()
}

fn fetched(report: &CrawlReport) -> BTreeSet<String> {
    common::paths(report, Outcome::is_fetched)
}

#[test]
fn links_made_by_javascript_are_found_only_when_rendered() {
    let plain_site = site();
    let seed = plain_site.url("/app.html");
    let plain = Crawler::new(config(&seed), FnSpider::<()>::new())
        .run()
        .unwrap();
    assert!(!fetched(&plain).contains("/late.html"), "{plain}");
    assert!(!fetched(&plain).contains("/from-json.html"));

    let server = site();
    let seed = server.url("/app.html");
    let rendered = Crawler::new(config(&seed), FnSpider::<()>::new())
        .render(RenderConfig::all())
        .run()
        .unwrap();
    let pages = fetched(&rendered);
    assert!(pages.contains("/late.html"), "{rendered}: {pages:?}");
    assert!(pages.contains("/from-json.html"), "{pages:?}");
    // The page's own script fetched the JSON file; the image of its host was refused by
    // kind, the other host was never asked for anything.
    assert!(server.hits("/links.json") >= 1);
    assert_eq!(
        server.hits("/logo.png"),
        0,
        "a blocked kind left the browser"
    );
    let other: Vec<_> = (server.all_hits().into_iter())
        .filter(|h| h.host == 1)
        .map(|h| h.path)
        .collect();
    assert!(other.is_empty(), "requests to another host: {other:?}");
    // The crawl's User-Agent reached the server with the rendered page.
    let ua = server
        .hits_full()
        .into_iter()
        .find(|h| h.path == "/app.html")
        .and_then(|h| h.user_agent);
    assert!(ua.is_some_and(|u| u.starts_with("trawler/")));
}

#[test]
fn a_timer_due_while_the_page_is_busy_runs_before_the_dom_is_taken() {
    // After the load, a timer adds a link at 50 ms, well inside the quiet window; but
    // another, due first, holds the renderer for 700 ms, past the quiet window on the
    // crawl's clock. The link is still in the DOM taken.
    let server = site();
    let body = "<!DOCTYPE html><title>busy</title><link rel=icon href=data:,><p>busy</p><script>\
        addEventListener('load', function () {\
        setTimeout(function () { var a = document.createElement('a'); \
        a.href = '/after-busy.html'; a.textContent = 'x'; document.body.appendChild(a); }, 50);\
        setTimeout(function () { var t = Date.now(); while (Date.now() - t < 700) {} }, 10);\
        });</script>";
    server.serve("/busy.html", Reply::ok("text/html", body));
    server.serve("/after-busy.html", Reply::ok("text/html", "<p>leaf</p>"));
    // A page whose `setTimeout` never calls back is still taken (the wait is bounded).
    let odd = "<!DOCTYPE html><title>odd</title><p>odd</p><a href=/after-odd.html>a</a>\
        <script>window.setTimeout = function () {};</script>";
    server.serve("/odd.html", Reply::ok("text/html", odd));
    server.serve("/after-odd.html", Reply::ok("text/html", "<p>leaf</p>"));
    let seeds = [server.url("/busy.html"), server.url("/odd.html")];
    let config = config_with(&[&seeds[0], &seeds[1]], Duration::from_secs(20));
    let report = Crawler::new(config, FnSpider::<()>::new())
        .render(RenderConfig::all())
        .run()
        .unwrap();
    let pages = fetched(&report);
    for page in ["/after-busy.html", "/odd.html", "/after-odd.html"] {
        assert!(pages.contains(page), "{report}: {page} not in {pages:?}");
    }
    let odd = report.outcomes.iter().find(|o| o.url.path() == "/odd.html");
    assert!(odd.is_some_and(|o| o.rendered), "{odd:?}");
}

#[test]
fn a_page_that_never_stops_loading_is_cut_at_the_timeout() {
    let server = site();
    let stall = server.url("/stall");
    server.serve(
        "/forever.html",
        Reply::ok(
            "text/html",
            format!("<title>forever</title><script src=\"{stall}\"></script>"),
        ),
    );
    let seed = server.url("/forever.html");
    let config = CrawlConfig::builder()
        .seed(&seed)
        .workers(1)
        .request_timeout(Duration::from_secs(2))
        .retries(0)
        .collect_outcomes(true)
        .build()
        .unwrap();
    let started = Instant::now();
    let report = Crawler::new(config, FnSpider::<()>::new())
        .render(RenderConfig::all())
        .run()
        .unwrap();
    let o = report
        .outcomes
        .iter()
        .find(|o| o.url.path() == "/forever.html")
        .unwrap();
    assert!(o.is_failed(), "{o:?}");
    assert!(format!("{:?}", o.kind).contains("Timeout"), "{o:?}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// The process ids of this test process's Chromium (its profile directory names our pid).
fn our_browsers() -> Vec<u32> {
    let mark = format!("trawler-chromium-{}-", std::process::id());
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline);
        // The browser process itself (its helpers carry --type=).
        if cmdline.contains(&mark) && !cmdline.contains("--type=") {
            pids.push(pid);
        }
    }
    pids
}

#[test]
fn a_killed_browser_is_started_again_and_its_pages_fetched_again() {
    let server = TestServer::start();
    let pages = 60;
    for i in 0..pages {
        let next = if i + 1 < pages {
            format!("<a href=\"/p{}.html\">next</a>", i + 1)
        } else {
            String::new()
        };
        server.serve(
            &format!("/p{i}.html"),
            Reply::ok(
                "text/html",
                format!("<title>{i}</title><script>document.write('{next}')</script>"),
            ),
        );
    }
    let seed = server.url("/p0.html");
    let chromium_dirs_before = chromium_temp_dirs();
    // A render caught by the kill waits for its timeout, then is fetched again.
    let config = config_with(&[&seed], Duration::from_secs(5));
    let crawler = Crawler::new(config, FnSpider::<()>::new()).render(RenderConfig::all());
    let killer = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        // Once a few pages are in, kill the browser.
        while Instant::now() < deadline {
            let pids = our_browsers();
            if !pids.is_empty() && server.hits_full().len() > 10 {
                for pid in &pids {
                    let _ = std::process::Command::new("kill")
                        .args(["-9", &pid.to_string()])
                        .status();
                }
                return (server, true);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        (server, false)
    });
    let report = crawler.run().unwrap();
    let (server, killed) = killer.join().unwrap();
    assert!(killed, "the browser was never seen running");
    let got = fetched(&report);
    for i in 0..pages {
        assert!(got.contains(&format!("/p{i}.html")), "/p{i}.html: {report}");
    }
    assert_eq!(report.failed, 0, "{report}");
    drop(server);
    assert!(our_browsers().is_empty(), "a browser outlived its crawl");
    let mark = format!("trawler-chromium-{}-", std::process::id());
    let left: Vec<_> = (std::fs::read_dir(std::env::temp_dir()).unwrap().flatten())
        .filter(|e| e.file_name().to_string_lossy().starts_with(&mark))
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "profiles left behind: {left:?}");
    // Chromium's own temporary directories (a killed one leaves its singleton socket's)
    // were made under the crawl's directory, not in the system's.
    let new: Vec<_> = chromium_temp_dirs()
        .difference(&chromium_dirs_before)
        .cloned()
        .collect();
    assert!(
        new.is_empty(),
        "Chromium left in the temp directory: {new:?}"
    );
}

/// Chromium's own directories in the system's temp directory.
fn chromium_temp_dirs() -> BTreeSet<String> {
    (std::fs::read_dir(std::env::temp_dir()).unwrap().flatten())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("org.chromium.Chromium."))
        .collect()
}

#[test]
fn a_missing_browser_is_one_error_before_anything_is_fetched() {
    let server = TestServer::start();
    let seed = server.url("/site/1.html");
    let err = Crawler::new(config(&seed), FnSpider::<()>::new())
        .render(RenderConfig::all().executable("/nonexistent/chromium"))
        .run()
        .unwrap_err();
    assert!(matches!(err, Error::Browser(_)), "{err}");
    assert!(err.to_string().contains("/nonexistent/chromium"), "{err}");
    assert!(server.all_hits().is_empty());
}
