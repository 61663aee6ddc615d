//! The robots-directive flags of `trawler crawl`, as the server and the records see them:
//! `nofollow` and `noindex` on the records by default, `--ignore-nofollow`,
//! `--ignore-noindex` and `--skip-rel-nofollow` changing what is followed and recorded.

mod cli_support;
#[path = "../../tests/common/mod.rs"]
mod common;

use common::{Reply, TestServer};

fn html(body: &str) -> Reply {
    Reply::ok("text/html; charset=utf-8", body)
}

/// A leaf page at each path.
fn leaves(server: &TestServer, paths: &[&str]) {
    for p in paths {
        server.serve(p, html("<title>leaf</title>"));
    }
}

#[test]
fn the_cli_flags_reach_the_crawl_and_the_records() {
    let server = TestServer::start();
    server.serve(
        "/closed.html",
        html(r#"<meta name="robots" content="none"><a href="/behind.html">x</a><a rel=nofollow href="/ugc.html">u</a>"#),
    );
    leaves(&server, &["/behind.html", "/ugc.html"]);
    let seed = server.url("/closed.html");
    let r = cli_support::run(&["crawl", &seed, "-q"]);
    assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
    let recs = cli_support::records(&r.stdout);
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert_eq!(
        (recs[0]["nofollow"].clone(), recs[0]["noindex"].clone()),
        (true.into(), true.into())
    );

    let r = cli_support::run(&[
        "crawl",
        &seed,
        "-q",
        "--ignore-nofollow",
        "--ignore-noindex",
        "--skip-rel-nofollow",
        "--format",
        "csv",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
    assert_eq!(server.hits("/behind.html"), 1);
    assert_eq!(server.hits("/ugc.html"), 0);
    let mut csv = csv::Reader::from_reader(r.stdout.as_bytes());
    let header = csv.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for row in csv.records().map(Result::unwrap) {
        assert_eq!(
            (&row[col("nofollow")], &row[col("noindex")]),
            ("false", "false")
        );
    }
}
