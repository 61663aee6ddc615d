//! `trawler crawl --render-all`, `--render REGEX` and `--render-adaptive` with Debian's
//! Chromium (the command's `browser` feature: `cargo test -p trawler-cli --features browser
//! --test cli_render`, as `.ci/run` does): links a page makes with JavaScript are followed
//! only when it is rendered; adaptive rendering renders the script's shell and not the
//! plain page, runs `--render-script` in it and saves its `--screenshots`; the browser's
//! flags alone, a bad `--block` kind, a missing browser or script file are one line and a
//! non-zero exit. Built without the feature, `--render-all` is refused in one
//! line that says how to get it.

mod cli_support;

#[cfg(feature = "browser")]
mod with_browser {
    use super::cli_support::{read, records, run};
    use actix_web::{App, HttpResponse, HttpServer, web};
    use std::collections::BTreeSet;

    const APP: &str = r#"<!DOCTYPE html><title>App</title><div id="app"></div>
<script>setTimeout(function () {
  var a = document.createElement('a'); a.href = '/made-by-js.html'; a.textContent = 'js';
  document.getElementById('app').appendChild(a);
}, 20);</script><a href="/plain.html">plain</a>"#;

    /// `/` (links made by a script), `/plain.html`, `/made-by-js.html`, on 127.0.0.1.
    fn serve() -> (String, actix_web::dev::ServerHandle) {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_rt::System::new().block_on(async move {
                let page = |body: &'static str| {
                    move || async move {
                        HttpResponse::Ok()
                            .content_type("text/html; charset=utf-8")
                            .body(body)
                    }
                };
                let server = HttpServer::new(move || {
                    App::new()
                        .route("/", web::get().to(page(APP)))
                        .route("/plain.html", web::get().to(page("<title>p</title>")))
                        .route("/made-by-js.html", web::get().to(page("<title>j</title>")))
                })
                .workers(1)
                .bind(("127.0.0.1", 0))
                .unwrap();
                let port = server.addrs()[0].port();
                let server = server.run();
                tx.send((format!("http://127.0.0.1:{port}/"), server.handle()))
                    .unwrap();
                let _ = server.await;
            });
        });
        rx.recv().unwrap()
    }

    fn fetched(path: &std::path::Path) -> BTreeSet<String> {
        records(&read(path))
            .into_iter()
            .filter(|r| r["outcome"] == "fetched")
            .map(|r| r["url"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn rendered_pages_give_the_links_javascript_makes() {
        let (url, server) = serve();
        let dir = tempfile::tempdir().unwrap();
        let (plain, rendered, some) = (
            dir.path().join("plain.jsonl"),
            dir.path().join("rendered.jsonl"),
            dir.path().join("some.jsonl"),
        );
        let js = format!("{url}made-by-js.html");
        let r = run(&["crawl", &url, "-q", "-o", plain.to_str().unwrap()]);
        assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
        assert!(!fetched(&plain).contains(&js));
        let r = run(&[
            "crawl",
            &url,
            "-q",
            "-o",
            rendered.to_str().unwrap(),
            "--render-all",
        ]);
        assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
        assert!(fetched(&rendered).contains(&js), "{:?}", fetched(&rendered));
        // Only the start page rendered: its links are the browser's.
        let only_root = format!("^{}$", trawler::regex::escape(&url));
        let r = run(&[
            "crawl",
            &url,
            "-q",
            "-o",
            some.to_str().unwrap(),
            "--render",
            &only_root,
        ]);
        assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
        assert!(fetched(&some).contains(&js));
        drop(server.stop(false));
    }

    #[test]
    fn adaptive_rendering_with_a_script_and_screenshots() {
        let (url, server) = serve();
        let dir = tempfile::tempdir().unwrap();
        let (out, shots, script) = (
            dir.path().join("adaptive.jsonl"),
            dir.path().join("shots"),
            dir.path().join("more.js"),
        );
        std::fs::write(
            &script,
            "// The application's page only: on the others it would gain a link.\n\
             if (!document.getElementById('app')) return;\n\
             const a = document.createElement('a'); a.href = '/from-script.html';\n\
             document.body.appendChild(a);",
        )
        .unwrap();
        let r = run(&[
            "crawl",
            &url,
            "-o",
            out.to_str().unwrap(),
            "--render-adaptive",
            "--render-script",
            script.to_str().unwrap(),
            "--screenshots",
            shots.to_str().unwrap(),
        ]);
        assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
        let pages = fetched(&out);
        for path in ["made-by-js.html", "from-script.html", "plain.html"] {
            assert!(pages.contains(&format!("{url}{path}")), "{pages:?}");
        }
        // The shell was taken from the browser; the plain pages were not.
        let rendered: Vec<String> = (records(&read(&out)).into_iter())
            .filter(|r| r["rendered"] == true)
            .map(|r| r["url"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(rendered, vec![url.clone()]);
        assert!(r.stderr.contains("rendered"), "{}", r.stderr);
        // Its screenshot, by host and path.
        let host = url.trim_start_matches("http://").trim_end_matches('/');
        let png = shots.join(host.replace(':', "%3A")).join("index.html.png");
        let png = std::fs::read(&png).unwrap_or_else(|e| panic!("{}: {e}", png.display()));
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        drop(server.stop(false));
    }

    #[test]
    fn browser_flags_that_cannot_work_are_one_line() {
        for (args, says) in [
            (vec!["--tabs", "2"], "--tabs is for rendered pages"),
            (vec!["--render-all", "--block", "scripts"], "--block"),
            (
                vec!["--render-all", "--browser-path", "/nonexistent/chromium"],
                "/nonexistent/chromium",
            ),
            (vec!["--render", "(unclosed"], "--render"),
            (
                vec!["--screenshots", "shots"],
                "--screenshots is for rendered pages",
            ),
            (
                vec!["--render-adaptive", "--render-script", "/nonexistent/x.js"],
                "/nonexistent/x.js",
            ),
            (
                vec!["--render-all", "--render-adaptive"],
                "--render-adaptive",
            ),
            (
                vec!["--render-adaptive", "--screenshots", "/dev/null/shots"],
                "--screenshots /dev/null/shots",
            ),
        ] {
            let mut all = vec!["crawl", "http://127.0.0.1:9/"];
            all.extend(args.iter().copied());
            let r = run(&all);
            assert_ne!(r.status.code(), Some(0), "{args:?}");
            assert_eq!(r.stderr.trim().lines().count(), 1, "{args:?}: {}", r.stderr);
            assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
        }
        // `--screenshots` refused alone makes no directory.
        let dir = tempfile::tempdir().unwrap();
        let shots = dir.path().join("shots");
        let r = run(&[
            "crawl",
            "http://127.0.0.1:9/",
            "--screenshots",
            shots.to_str().unwrap(),
        ]);
        assert_ne!(r.status.code(), Some(0));
        assert!(!shots.exists(), "{}", r.stderr);
    }
}

#[cfg(not(feature = "browser"))]
#[test]
fn without_the_browser_feature_rendering_is_refused_in_one_line() {
    let r = cli_support::run(&["crawl", "http://127.0.0.1:9/", "--render-all"]);
    assert_eq!(r.status.code(), Some(2), "{}", r.stderr);
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("--features browser"), "{}", r.stderr);
}
