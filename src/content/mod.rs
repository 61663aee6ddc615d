//! A page's content for people and language models rather than for the crawl: its title,
//! description and language, its main text with the boilerplate (navigation, headers,
//! footers, sidebars) removed, that main content as Markdown or cleaned HTML, and the text
//! of named CSS selectors.
//!
//! The page is parsed once with the crawl's own depth-bounded parser ([`crate::dom`]), which
//! gives the metadata; the main content is found by `dom_smoothie` (a port of Mozilla's
//! readability.js, what Firefox's reader view uses) and turned into Markdown by `htmd` (a port
//! of turndown.js). A page nested deeper than [`MAX_DOM_DEPTH`](crate::MAX_DOM_DEPTH) is
//! handed to readability as the bounded DOM, so no page costs more than its size allows, and
//! readability stops at [`MAX_ELEMENTS`] elements. Everything here is synchronous CPU work,
//! meant for the parser threads.
//!
//! Compiled with the `content` feature.

mod meta;
mod readable;
mod select;

use url::Url;

pub use readable::{MAX_ELEMENTS, MainContent, NoMainContent};
pub use select::{NamedSelectors, SelectorError};

/// Which form of the main content to produce besides its plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContentFormat {
    /// Plain text only.
    #[default]
    Text,
    /// Plain text and Markdown.
    Markdown,
    /// Plain text and the cleaned HTML of the main content.
    Html,
}

/// What [`PageContent::extract`] found in a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageContent {
    /// `<title>`, else `og:title`, else the first `<h1>`; whitespace collapsed.
    pub title: Option<String>,
    /// `<meta name="description">`, else `og:description`, else `twitter:description`.
    pub description: Option<String>,
    /// `<html lang>`, else `<meta http-equiv="content-language">`.
    pub language: Option<String>,
    /// The main content, or why there is none.
    pub main: Result<MainContent, NoMainContent>,
}

impl PageContent {
    /// Extracts the content of the HTML page `html` (already decoded to text), fetched from
    /// `url` (relative links in the main content are made absolute against it).
    #[must_use]
    pub fn extract(html: &str, url: &Url, format: ContentFormat) -> PageContent {
        let (dom, cut) = crate::dom::parse_document(html, crate::MAX_DOM_DEPTH);
        let meta = meta::Meta::of(&dom);
        let main = if cut {
            readable::main_content(&dom.html(), url, format)
        } else {
            readable::main_content(html, url, format)
        };
        PageContent {
            title: meta.title,
            description: meta.description,
            language: meta.language,
            main,
        }
    }
}

/// `text` with every run of whitespace made one space, and trimmed.
pub(crate) fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_page_gives_its_metadata_and_main_text() {
        let html = r#"<html lang="en"><head><title>Guide</title>
            <meta name="description" content="How to do it."></head><body>
            <div id="sidebar"><a href="/1">Sidebar entry one</a><a href="/2">Sidebar entry two</a></div>
            <main><p>The body paragraph explains, at some length, how to do it: first this,
            then that, and finally the other thing, which readability keeps as the content.</p>
            <p>A second paragraph adds detail, so that the block is long enough, and has commas,
            which readability counts as a sign of prose rather than of navigation.</p></main>
            </body></html>"#;
        let url = Url::parse("http://127.0.0.1:1/guide").unwrap();
        let page = PageContent::extract(html, &url, ContentFormat::Markdown);
        assert_eq!(page.title.as_deref(), Some("Guide"));
        assert_eq!(page.description.as_deref(), Some("How to do it."));
        assert_eq!(page.language.as_deref(), Some("en"));
        let main = page.main.unwrap();
        assert!(
            main.text.starts_with("The body paragraph explains"),
            "{}",
            main.text
        );
        assert!(!main.text.contains("Sidebar entry"), "{}", main.text);
        assert!(main.markdown.unwrap().contains("The body paragraph"));
    }

    /// 100,000 nested elements: parsed only down to the depth bound, on a 2 MiB stack (a
    /// parser thread's), in bounded time.
    #[test]
    fn deep_nesting_is_bounded() {
        let depth = 100_000;
        let html = format!(
            "<title>Deep</title>{}<p>inside</p>{}",
            "<div>".repeat(depth),
            "</div>".repeat(depth)
        );
        let url = Url::parse("http://127.0.0.1:1/deep").unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                let _ = tx.send(PageContent::extract(&html, &url, ContentFormat::Markdown));
            })
            .unwrap();
        let page = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("extraction of a deeply nested page did not finish");
        assert_eq!(page.title.as_deref(), Some("Deep"));
    }
}
