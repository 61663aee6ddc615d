//! Hostile and unusual content: legacy charsets, bodies that are not HTML, huge, compressed,
//! empty and error bodies, and pathological nesting. Each test crawls a real loopback server,
//! bounded in time, and checks what the server's own log says was requested.

mod common;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use common::*;
use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use trawler::scraper::Selector;
use trawler::{
    BoxError, CrawlConfigBuilder, CrawlReport, Crawler, OutcomeKind, Output, Page, Spider,
};

/// Runs `f` on its own thread and fails the test if it takes more than `secs`.
fn bounded<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs))
        .expect("the crawl did not end in time")
}

// ---------------------------------------------------------------------------------------
// The routes of this file.

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/cs/{name}", web::get().to(charset_page))
        .route("/t/{tail:.*}", web::get().to(leaf))
        .route("/typed/{name}", web::get().to(typed))
        .route("/big/page", web::get().to(big_page))
        .route("/big/{leaf}", web::get().to(big_leaf))
        .route("/bomb", web::get().to(bomb))
        .route("/empty", web::get().to(empty))
        .route("/nocontent", web::get().to(no_content))
        .route("/gone", web::get().to(gone))
        .route("/deep/nest", web::get().to(deep));
}

async fn leaf(req: HttpRequest) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!("<title>{}</title>leaf", req.path()))
}

/// The windows-1252 page: its title and a link whose path and query are both non-ASCII.
const LATIN_TEXT: &str = "Le caf\u{e9} de la gare sert une cr\u{e8}me br\u{fb}l\u{e9}e d\u{e9}licieuse, \
    et l'\u{e9}t\u{e9} on y mange des cr\u{ea}pes \u{e0} la fran\u{e7}aise pr\u{e8}s de la fen\u{ea}tre. ";
const LATIN_LINK: &str = "caf\u{e9}/cr\u{e8}me.html?q=cr\u{e8}me&amp;r=\u{e9}t\u{e9}";
/// The same link as a browser requests it: path in UTF-8, query in windows-1252.
const LATIN_WIRE: &str = "caf%C3%A9/cr%C3%A8me.html?q=cr%E8me&r=%E9t%E9";

const JAPANESE_TEXT: &str = "\u{3053}\u{308c}\u{306f}\u{65e5}\u{672c}\u{8a9e}\u{306e}\u{30da}\u{30fc}\u{30b8}\u{3067}\u{3059}\u{3002}\
    \u{79c1}\u{305f}\u{3061}\u{306f}\u{6bce}\u{65e5}\u{65b0}\u{3057}\u{3044}\u{8a18}\u{4e8b}\u{3092}\u{66f8}\u{3044}\u{3066}\u{3044}\u{307e}\u{3059}\u{3002}\
    \u{5929}\u{6c17}\u{304c}\u{3088}\u{3051}\u{308c}\u{3070}\u{3001}\u{516c}\u{5712}\u{3078}\u{884c}\u{304d}\u{307e}\u{3057}\u{3087}\u{3046}\u{3002}";
/// 日本語/ページ.html?q=日本語&r=ページ
const JAPANESE_LINK: &str = "\u{65e5}\u{672c}\u{8a9e}/\u{30da}\u{30fc}\u{30b8}.html?q=\u{65e5}\u{672c}\u{8a9e}&amp;r=\u{30da}\u{30fc}\u{30b8}";
/// Path in UTF-8; query in Shift_JIS, whose ASCII-range trail bytes (`{`, `y`, `[`, `W`) are
/// outside the URL spec's query percent-encode set and go as they are.
const JAPANESE_WIRE: &str = "%E6%97%A5%E6%9C%AC%E8%AA%9E/%E3%83%9A%E3%83%BC%E3%82%B8.html?q=%93%FA%96{%8C%EA&r=%83y%81[%83W";

/// `/cs/{name}`: the same kind of page in a legacy encoding, declared in the header, in a
/// `<meta>`, or not at all.
async fn charset_page(name: web::Path<String>) -> HttpResponse {
    let name = name.into_inner();
    let (encoding, text, link, title) = if name.starts_with("latin") {
        (
            encoding_rs::WINDOWS_1252,
            LATIN_TEXT,
            LATIN_LINK,
            "Caf\u{e9} cr\u{e8}me",
        )
    } else {
        (
            encoding_rs::SHIFT_JIS,
            JAPANESE_TEXT,
            JAPANESE_LINK,
            "\u{65e5}\u{672c}\u{8a9e}",
        )
    };
    let (declaration, content_type) = match name.rsplit('-').next() {
        Some("header") => ("", format!("text/html; charset={}", encoding.name())),
        Some("meta") if encoding == encoding_rs::SHIFT_JIS => (
            "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=shift_jis\">",
            "text/html".to_string(),
        ),
        Some("meta") => ("<meta charset=\"iso-8859-1\">", "text/html".to_string()),
        _ => ("", "text/html".to_string()),
    };
    let page = format!(
        "<!DOCTYPE html><html><head>{declaration}<title>{title}</title></head><body>\n\
         <p>{}</p><a href=\"/t/{name}/{link}\">{title}</a></body></html>",
        text.repeat(3)
    );
    let (bytes, _, unmappable) = encoding.encode(&page);
    assert!(!unmappable, "the page text fits its encoding");
    HttpResponse::Ok()
        .content_type(content_type)
        .body(bytes.into_owned())
}

/// `/typed/{name}`: bodies holding `<a href>` markup under various types.
async fn typed(name: web::Path<String>) -> HttpResponse {
    let name = name.into_inner();
    let link = |to: &str| format!("<a href=\"/{to}/{name}\">x</a>");
    let (content_type, body): (Option<&str>, Vec<u8>) = match name.as_str() {
        "plain" => (Some("text/plain; charset=utf-8"), link("nope").into()),
        "pdf" => (
            Some("application/pdf"),
            format!("%PDF-1.4\n{}", link("nope")).into(),
        ),
        "json" => (
            Some("application/json"),
            format!("{{\"html\": \"{}\"}}", link("nope").replace('"', "\\\"")).into(),
        ),
        "png" => (
            Some("image/png"),
            [&b"\x89PNG\r\n\x1a\n"[..], link("nope").as_bytes()].concat(),
        ),
        "octet" => (
            Some("application/octet-stream"),
            format!("<!DOCTYPE html><html>{}", link("nope")).into(),
        ),
        "untyped-binary" => (
            None,
            [&b"\x00\x01\x02\xff"[..], link("nope").as_bytes()].concat(),
        ),
        "untyped-html" => (
            None,
            format!("\n<!doctype html><html>{}", link("ok")).into(),
        ),
        "xhtml" => (
            Some("application/xhtml+xml"),
            format!(
                "<html xmlns=\"http://www.w3.org/1999/xhtml\"><body>{}</body></html>",
                link("ok")
            )
            .into(),
        ),
        _ => return HttpResponse::NotFound().finish(),
    };
    let mut res = HttpResponse::Ok();
    if let Some(ct) = content_type {
        res.insert_header((header::CONTENT_TYPE, ct));
    }
    res.body(body)
}

/// What `/big/page` would send in full, and what it did send.
const BIG_TOTAL: u64 = 64 * 1024 * 1024;
static BIG_SENT: AtomicU64 = AtomicU64::new(0);
/// The client port each `/big/` request came from: one port is one connection.
static BIG_PEERS: Mutex<Vec<(String, u16)>> = Mutex::new(Vec::new());

fn note_peer(req: &HttpRequest) {
    let port = req.peer_addr().map_or(0, |a| a.port());
    BIG_PEERS
        .lock()
        .unwrap()
        .push((req.path().to_string(), port));
}

/// `/big/page`: an HTML page that never ends (64 MiB), with a link at the start and one at 1 MiB.
async fn big_page(req: HttpRequest) -> HttpResponse {
    note_peer(&req);
    let head = Bytes::from_static(b"<!DOCTYPE html><html><body><a href=\"/big/after1\">next</a>\n");
    let filler = Bytes::from(format!("<p>{}</p>\n", "filler ".repeat(9360)));
    let late = Bytes::from_static(b"<a href=\"/big/never\">too late</a>\n");
    let body = futures_util::stream::unfold(0u64, move |sent| {
        let chunk = match sent {
            0 => head.clone(),
            s if s >= BIG_TOTAL => return std::future::ready(None),
            s if (1 << 20..(1 << 20) + 65_536).contains(&s) => late.clone(),
            _ => filler.clone(),
        };
        BIG_SENT.fetch_add(chunk.len() as u64, Ordering::SeqCst);
        let next = sent + chunk.len() as u64;
        std::future::ready(Some((Ok::<_, Infallible>(chunk), next)))
    });
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .streaming(body)
}

/// `/big/after1` links `/big/after2`; both note their connection.
async fn big_leaf(req: HttpRequest) -> HttpResponse {
    note_peer(&req);
    let body = match req.path() {
        "/big/after1" => "<a href=\"/big/after2\">after2</a>",
        _ => "the end",
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// Bytes of the page inside `/bomb`, once inflated.
const BOMB_INFLATED: usize = 16 * 1024 * 1024;

/// `/bomb`: a gzip body of a few KiB that inflates to 16 MiB of HTML.
async fn bomb() -> HttpResponse {
    static GZ: OnceLock<Vec<u8>> = OnceLock::new();
    let gz = GZ.get_or_init(|| {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"<!DOCTYPE html><a href=\"/t/bomb/first\">first</a>")
            .unwrap();
        let filler = vec![b' '; 1 << 20];
        let mut written = 0;
        while written < BOMB_INFLATED {
            enc.write_all(&filler).unwrap();
            written += filler.len();
        }
        enc.write_all(b"<a href=\"/t/bomb/last\">last</a>").unwrap();
        enc.finish().unwrap()
    });
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_ENCODING, "gzip"))
        .body(gz.clone())
}

async fn empty() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .finish()
}

async fn no_content() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

async fn gone() -> HttpResponse {
    HttpResponse::Gone()
        .content_type("text/html; charset=utf-8")
        .body("<title>Gone</title><a href=\"/t/gone/a\">a</a><a href=\"/t/gone/b\">b</a>")
}

/// `/deep/nest`: a link, 100,000 nested `<div>`s, then another link.
async fn deep() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!DOCTYPE html><title>Deep</title><a href=\"/t/deep/before\">b</a>{}<a href=\"/t/deep/after\">a</a>",
            "<div>".repeat(100_000)
        ))
}

// ---------------------------------------------------------------------------------------
// A spider that records what it saw.

/// What `parse` saw on one page.
#[derive(Debug, Clone, Default)]
struct Seen {
    encoding: String,
    title: String,
    links: usize,
    dom_anchors: usize,
    dom_truncated: bool,
    body_len: usize,
}

/// Follows every link (the default) and records each parsed page by path, DOM included.
#[derive(Debug, Default, Clone)]
struct Recorder(Arc<Mutex<HashMap<String, Seen>>>);

impl Recorder {
    fn seen(&self, path: &str) -> Option<Seen> {
        self.0.lock().unwrap().get(path).cloned()
    }

    fn parsed_paths(&self) -> Vec<String> {
        let mut v: Vec<String> = self.0.lock().unwrap().keys().cloned().collect();
        v.sort();
        v
    }
}

impl Spider for Recorder {
    type Item = ();

    fn parse(&self, page: &Page<'_>, _out: &mut Output<()>) -> Result<(), BoxError> {
        let title = Selector::parse("title")?;
        let anchors = Selector::parse("a[href]")?;
        let seen = Seen {
            encoding: page.encoding().name().to_string(),
            title: page
                .select(&title)
                .next()
                .map(|t| t.text().collect())
                .unwrap_or_default(),
            links: page.links().len(),
            dom_anchors: page.select(&anchors).count(),
            dom_truncated: page.is_dom_truncated(),
            body_len: page.body().len(),
        };
        let path = match page.url().query() {
            Some(q) => format!("{}?{q}", page.url().path()),
            None => page.url().path().to_string(),
        };
        self.0.lock().unwrap().insert(path, seen);
        Ok(())
    }
}

/// Crawls from `seed` with the tests' configuration adjusted by `tune`, in at most a minute.
fn crawl(
    seed: &str,
    tune: fn(CrawlConfigBuilder) -> CrawlConfigBuilder,
) -> (CrawlReport, Recorder) {
    let recorder = Recorder::default();
    let config = tune(config(seed)).build().unwrap();
    let spider = recorder.clone();
    let report = bounded(60, move || Crawler::new(config, spider).run().unwrap());
    (report, recorder)
}

// ---------------------------------------------------------------------------------------
// Tests.

#[test]
fn legacy_charsets_are_decoded_and_their_links_requested_as_browsers_do() {
    let server = TestServer::start_with(routes);
    let names = [
        "latin-header",
        "latin-meta",
        "latin-sniffed",
        "sjis-header",
        "sjis-meta",
        "sjis-sniffed",
    ];
    let pages: Vec<String> = names.iter().map(|n| format!("/cs/{n}")).collect();
    let refs: Vec<&str> = pages.iter().map(String::as_str).collect();
    let (report, seen) = crawl(&link_page(&server, &refs), |c| c);

    for name in names {
        let page = seen.seen(&format!("/cs/{name}")).expect("parsed");
        let (encoding, title, wire) = if name.starts_with("latin") {
            ("windows-1252", "Caf\u{e9} cr\u{e8}me", LATIN_WIRE)
        } else {
            ("Shift_JIS", "\u{65e5}\u{672c}\u{8a9e}", JAPANESE_WIRE)
        };
        assert_eq!(page.encoding, encoding, "{name}");
        assert_eq!(page.title, title, "{name}: the DOM decodes the page");
        assert_eq!(page.links, 1, "{name}");
        let target = format!("/t/{name}/{wire}");
        assert_eq!(server.hits(&target), 1, "{name}: {:#?}", server.paths());
        let o = outcome(&report, &server.url(&target));
        assert!(o.is_fetched() && o.status == Some(200), "{name}: {o:?}");
    }
    assert_eq!(server.paths_under("/t/").len(), names.len());
    assert_eq!(report.failed, 0, "{report}");
    assert_books_balance(&report, &server);
}

#[test]
fn bodies_that_are_not_html_are_never_parsed() {
    let server = TestServer::start_with(routes);
    let names = [
        "plain",
        "pdf",
        "json",
        "png",
        "octet",
        "untyped-binary",
        "untyped-html",
        "xhtml",
    ];
    let pages: Vec<String> = names.iter().map(|n| format!("/typed/{n}")).collect();
    let refs: Vec<&str> = pages.iter().map(String::as_str).collect();
    let seed = link_page(&server, &refs);
    let (report, seen) = crawl(&seed, |c| c);

    let parsed = seen.parsed_paths();
    let (seeds, others): (Vec<&String>, Vec<&String>) =
        parsed.iter().partition(|p| p.starts_with("/linkto?"));
    assert_eq!(seeds.len(), 1, "{parsed:?}");
    assert_eq!(
        others,
        ["/typed/untyped-html", "/typed/xhtml"],
        "only HTML, typed or sniffed, is parsed"
    );
    assert!(
        server.paths_under("/nope/").is_empty(),
        "{:?}",
        server.paths()
    );
    assert_eq!(server.hits("/ok/untyped-html"), 1);
    assert_eq!(server.hits("/ok/xhtml"), 1);
    for name in names {
        let o = outcome(&report, &server.url(&format!("/typed/{name}")));
        assert!(o.is_fetched() && o.status == Some(200), "{name}: {o:?}");
        assert!(o.bytes > 0, "{name}");
    }
    let untyped = outcome(&report, &server.url("/typed/untyped-html"));
    assert_eq!(untyped.content_type, None, "served without a Content-Type");
    assert_books_balance(&report, &server);
}

#[test]
fn a_huge_page_is_cut_at_the_cap_and_its_connection_closed() {
    const CAP: usize = 256 * 1024;
    let server = TestServer::start_with(routes);
    let (report, seen) = crawl(&server.url("/big/page"), |c| {
        c.max_body(CAP)
            .workers(1)
            .concurrency(1)
            .per_host_concurrency(1)
    });

    let o = outcome(&report, &server.url("/big/page"));
    assert_eq!(o.kind, OutcomeKind::Fetched);
    assert!(o.truncated);
    assert_eq!(o.bytes, CAP as u64);
    let page = seen
        .seen("/big/page")
        .expect("the truncated page is parsed");
    assert_eq!(page.body_len, CAP);
    // The link inside the cap is followed, the one beyond it is never seen.
    assert_eq!(server.hits("/big/after1"), 1);
    assert_eq!(server.hits("/big/after2"), 1);
    assert_eq!(server.hits("/big/never"), 0);
    // The crawler stopped reading: the server produced a small part of the 64 MiB (what the
    // socket buffers hold beyond the cap).
    let sent = BIG_SENT.load(Ordering::SeqCst);
    assert!(
        sent >= CAP as u64 && sent < BIG_TOTAL / 4,
        "server produced {sent} bytes"
    );
    // One connection per client port: the half-read one was closed, not reused for the next
    // request, while a fully read one is kept alive for the request after it.
    let peers = BIG_PEERS.lock().unwrap().clone();
    let port = |path: &str| peers.iter().find(|(p, _)| p == path).map(|(_, port)| *port);
    assert_ne!(port("/big/page"), port("/big/after1"), "{peers:?}");
    assert_eq!(port("/big/after1"), port("/big/after2"), "{peers:?}");
    assert_eq!(report.truncated, 1);
    assert_books_balance(&report, &server);
}

#[test]
fn a_compressed_body_is_capped_after_inflating() {
    const CAP: usize = 1 << 20;
    let server = TestServer::start_with(routes);
    let (report, seen) = crawl(&server.url("/bomb"), |c| c.max_body(CAP));

    let o = outcome(&report, &server.url("/bomb"));
    assert!(o.is_fetched() && o.truncated, "{o:?}");
    assert_eq!(o.bytes, CAP as u64, "bytes are counted inflated");
    assert_eq!(seen.seen("/bomb").unwrap().body_len, CAP);
    assert_eq!(server.hits("/t/bomb/first"), 1);
    assert_eq!(server.hits("/t/bomb/last"), 0);
    assert_books_balance(&report, &server);
}

#[test]
fn empty_bodies_and_error_pages() {
    let server = TestServer::start_with(routes);
    let seed = link_page(&server, &["/empty", "/nocontent", "/gone", "/notfound"]);
    let (report, seen) = crawl(&seed, |c| c);

    let empty = seen
        .seen("/empty")
        .expect("an empty HTML page is still a page");
    assert_eq!((empty.body_len, empty.links, empty.dom_anchors), (0, 0, 0));
    let o = outcome(&report, &server.url("/empty"));
    assert!(o.is_fetched() && o.status == Some(200) && o.bytes == 0);
    for (path, status) in [("/nocontent", 204), ("/gone", 410), ("/notfound", 404)] {
        let o = outcome(&report, &server.url(path));
        assert_eq!(
            (o.kind.clone(), o.status),
            (OutcomeKind::Fetched, Some(status)),
            "{path}"
        );
        assert_eq!(o.attempts, 1, "{path} is not retried");
        assert!(seen.seen(path).is_none(), "{path} is not parsed");
    }
    // Links on error pages are never followed.
    assert!(server.paths_under("/t/gone/").is_empty());
    assert!(server.paths_under("/nf/").is_empty());
    assert_eq!(server.paths().len(), 5, "{:?}", server.paths());
    assert_books_balance(&report, &server);
}

#[test]
fn deep_nesting_is_survived_by_both_extractors() {
    let server = TestServer::start_with(routes);
    let (report, seen) = crawl(&server.url("/deep/nest"), |c| c);

    let page = seen.seen("/deep/nest").expect("parsed");
    // The streaming extractor sees the whole page; the DOM stops at its depth bound.
    assert_eq!(page.links, 2);
    assert!(page.dom_truncated);
    assert_eq!(
        page.dom_anchors, 1,
        "the DOM holds the page up to the bound"
    );
    assert_eq!(page.title, "Deep");
    assert_eq!(server.hits("/t/deep/before"), 1);
    assert_eq!(server.hits("/t/deep/after"), 1);
    let o = outcome(&report, &server.url("/deep/nest"));
    assert!(o.is_fetched() && o.parse_error.is_none(), "{o:?}");
    assert_books_balance(&report, &server);
}

/// Follows only what it reads from the DOM itself, as a plugin would.
struct DomFollower;

impl Spider for DomFollower {
    type Item = ();

    fn parse(&self, page: &Page<'_>, out: &mut Output<()>) -> Result<(), BoxError> {
        let anchors = Selector::parse("a[href]")?;
        for a in page.select(&anchors) {
            out.follow(a.value().attr("href").unwrap_or_default());
        }
        Ok(())
    }
}

#[test]
fn hrefs_a_plugin_follows_are_encoded_in_the_page_encoding_too() {
    let server = TestServer::start_with(routes);
    let config = config(&server.url("/cs/sjis-meta"))
        .follow(trawler::FollowMode::Explicit)
        .build()
        .unwrap();
    let report = bounded(60, move || Crawler::new(config, DomFollower).run().unwrap());

    assert_eq!(server.hits(&format!("/t/sjis-meta/{JAPANESE_WIRE}")), 1);
    assert_eq!(server.paths().len(), 2, "{:?}", server.paths());
    assert_books_balance(&report, &server);
}
