//! Main content, metadata and named selectors on real documentation pages: the toolchain's
//! HTML docs (rustup's `rust-docs` component), served from disk on 127.0.0.1 and fetched over
//! HTTP. The main text must hold the page's body paragraphs and none of the text that lies
//! outside `<main>` (menu bars, theme pickers, rustdoc's sidebar). Needs the `content` feature.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use actix_web::{App, HttpServer};
use trawler::content::{ContentFormat, NamedSelectors, PageContent};
use trawler::scraper::{ElementRef, Html, Selector};
use url::Url;

/// Book chapters (mdbook: menu bar outside `<main>`) and rustdoc pages (a `<nav>` sidebar).
const PAGES: [&str; 8] = [
    "book/ch04-01-what-is-ownership.html",
    "book/ch08-02-strings.html",
    "book/ch16-01-threads.html",
    "reference/expressions/match-expr.html",
    "rust-by-example/error.html",
    "nomicon/ownership.html",
    "cargo/guide/dependencies.html",
    "std/primitive.reference.html",
];

fn docs() -> PathBuf {
    let out = std::process::Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .expect("rustc");
    let docs =
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim()).join("share/doc/rust/html");
    assert!(
        docs.join("book/index.html").is_file(),
        "these tests read the toolchain's HTML docs, not found at {}: \
         install them with `rustup component add rust-docs`",
        docs.display()
    );
    docs
}

/// Serves `root` on 127.0.0.1:0 from its own thread; the server ends with the test process.
fn serve(root: PathBuf) -> SocketAddr {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        actix_rt::System::new().block_on(async move {
            let files = move || App::new().service(actix_files::Files::new("/", &root));
            let server = HttpServer::new(files)
                .workers(1)
                .disable_signals()
                .bind("127.0.0.1:0")?;
            let _ = tx.send(server.addrs()[0]);
            server.run().await
        })
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the file server did not start")
}

/// `GET /path` with `Connection: close`; the body of a 200 answer, as text.
fn get(addr: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut bytes = Vec::new();
    stream
        .read_to_end(&mut bytes)
        .expect("read (bounded by the timeout)");
    let text = String::from_utf8(bytes).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{path}: {head}");
    body.to_owned()
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn text_of(e: ElementRef<'_>) -> String {
    collapse(&e.text().collect::<String>())
}

/// Text outside `<main>` that `<main>` does not also contain: links, buttons, list items and
/// headings of the page's chrome, at least 10 characters long.
fn chrome(dom: &Html, main_text: &str) -> Vec<String> {
    let leaves =
        Selector::parse("body a, body button, body li, body h1, body h2, body h3").unwrap();
    let mut out: Vec<String> = dom
        .select(&leaves)
        .filter(|e| {
            !e.ancestors()
                .filter_map(ElementRef::wrap)
                .any(|a| a.value().name() == "main")
        })
        .map(text_of)
        .filter(|t| t.len() >= 10 && !main_text.contains(t.as_str()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The page as served and, for an mdbook page, also as a browser shows it once `toc.js` has
/// put the book's table of contents into the sidebar (as older mdbook versions wrote it into
/// every page): the same page with a navigation sidebar of a hundred or so links.
fn variants(addr: SocketAddr, path: &str) -> Vec<(String, String)> {
    let html = get(addr, path);
    let mut out = vec![(path.to_owned(), html.clone())];
    let marker = "<!-- populated by js -->";
    if html.contains(marker) {
        let book = path.split('/').next().unwrap();
        let toc = get(addr, &format!("{book}/toc.html"));
        let start = toc
            .find("<ol class=\"chapter\"")
            .expect("the table of contents");
        let end = toc.rfind("</ol>").unwrap() + "</ol>".len();
        let depth = path.matches('/').count() - 1;
        // The table's links are relative to the book's root.
        let toc = toc[start..end].replace("href=\"", &format!("href=\"{}", "../".repeat(depth)));
        out.push((
            format!("{path} with its sidebar"),
            html.replacen(marker, &toc, 1),
        ));
    }
    out
}

#[test]
fn main_text_has_the_body_and_not_the_navigation() {
    let addr = serve(docs());
    let paragraphs_sel = Selector::parse("main p").unwrap();
    let main_sel = Selector::parse("main").unwrap();
    let links = regex::Regex::new(r"\]\([^)]*\)").unwrap();
    let mut chrome_checked = 0;
    for (path, html) in PAGES.iter().flat_map(|path| variants(addr, path)) {
        let path = path.as_str();
        let url = Url::parse(&format!("http://{addr}/{path}")).unwrap();
        let page = PageContent::extract(&html, &url, ContentFormat::Markdown);
        let dom = Html::parse_document(&html);

        let title = dom
            .select(&Selector::parse("title").unwrap())
            .next()
            .map(text_of);
        assert_eq!(page.title, title, "{path}");
        assert_eq!(page.language.as_deref(), Some("en"), "{path}");
        let main = page.main.unwrap_or_else(|e| panic!("{path}: {e}"));
        let text = collapse(&main.text);

        // Body paragraphs: the first five sentences-ending paragraphs of some length in
        // <main> (not grammar productions or captions), each whole in the text.
        let paragraphs: Vec<String> = dom
            .select(&paragraphs_sel)
            .map(text_of)
            .filter(|p| p.len() >= 80 && p.ends_with('.'))
            .take(5)
            .collect();
        assert!(
            paragraphs.len() >= 3,
            "{path}: only {} paragraphs",
            paragraphs.len()
        );
        for p in &paragraphs {
            assert!(
                text.contains(p.as_str()),
                "{path}: paragraph missing: {p:?}"
            );
        }
        // The Markdown holds the same prose (the first words of the first paragraph, once
        // emphasis, code spans and link targets are taken out) and has its section
        // headings.
        let markdown = main.markdown.unwrap();
        let first_words: String = paragraphs[0]
            .split(' ')
            .take(4)
            .collect::<Vec<_>>()
            .join(" ");
        let md_plain = links
            .replace_all(&markdown, "]")
            .replace(['*', '_', '`', '[', ']'], "");
        let md_plain = collapse(&md_plain);
        // Section headings (mdbook's <h3>) are Markdown headings. (rustdoc's <h3> are the
        // code headers of trait implementations, which readability leaves out.)
        if !path.starts_with("std/") {
            let heading_lines: Vec<String> = markdown
                .lines()
                .filter(|l| l.starts_with("### "))
                .map(|l| l.replace(['`', '[', ']'], ""))
                .collect();
            let h3 = Selector::parse("main h3").unwrap();
            for heading in dom.select(&h3).map(text_of) {
                assert!(
                    heading_lines.iter().any(|l| l.contains(&heading)),
                    "{path}: no Markdown heading for {heading:?}"
                );
            }
        }
        assert!(
            md_plain.contains(&first_words),
            "{path}: {first_words:?} not in Markdown"
        );

        // The chrome: text outside <main>; none of it is in the main text.
        let main_text = dom
            .select(&main_sel)
            .next()
            .map(text_of)
            .unwrap_or_default();
        let chrome = chrome(&dom, &main_text);
        for c in &chrome {
            assert!(
                !text.contains(c.as_str()),
                "{path}: navigation text in the content: {c:?}"
            );
        }
        chrome_checked += chrome.len();
    }
    // About a hundred chapter titles per book's table of contents, and the pages' own chrome.
    assert!(
        chrome_checked >= 300,
        "only {chrome_checked} navigation strings checked"
    );
}

#[test]
fn named_selectors_on_a_documentation_page() {
    let addr = serve(docs());
    let html = get(addr, "book/ch04-01-what-is-ownership.html");
    let dom = Html::parse_document(&html);
    let selectors = NamedSelectors::from_args([
        "heading=main h2",
        "sections=main h3",
        "code=main pre code",
        "absent=main table.nothing-here",
    ])
    .unwrap();
    let first = selectors.first(&dom);
    assert_eq!(first[0], ("heading", Some("What Is Ownership?".to_owned())));
    assert_eq!(first[3], ("absent", None));
    let all = selectors.all(&dom);
    let sections = &all[1].1;
    assert!(
        sections.contains(&"Ownership Rules".to_owned()),
        "{sections:?}"
    );
    assert!(
        sections.contains(&"The String Type".to_owned()),
        "{sections:?}"
    );
    assert!(all[2].1.len() > 5 && all[2].1.iter().all(|c| !c.contains("  ")));
    assert!(NamedSelectors::from_args(["bad=main >> p"]).is_err());
}
