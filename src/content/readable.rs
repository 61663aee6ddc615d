//! The main content of a page: readability's choice of the article element, as plain text,
//! cleaned HTML and Markdown.
//!
//! `dom_smoothie` scores the page's blocks the way readability.js does (text length, commas,
//! link density, class names such as `nav`, `sidebar`, `footer`) and keeps the best candidate
//! and its related siblings; what it drops is the boilerplate. `htmd` converts the kept HTML to
//! Markdown (ATX headings, fenced code blocks, inline links), skipping scripts and styles.

use dom_smoothie::{Config, Readability, ReadabilityError, TextMode};
use url::Url;

use super::ContentFormat;

/// Pages with more elements than this are not given to readability (its scoring is linear in
/// elements, but with large constants); real article pages have a few thousand.
pub const MAX_ELEMENTS: usize = 100_000;

/// A page's main content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MainContent {
    /// The text, paragraphs separated by blank lines, lines trimmed.
    pub text: String,
    /// The content as Markdown ([`ContentFormat::Markdown`] only).
    pub markdown: Option<String>,
    /// The content as cleaned HTML ([`ContentFormat::Html`] only).
    pub html: Option<String>,
}

/// Why a page has no main content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoMainContent {
    /// Readability found no block of text it could call the content (an index page, a form).
    #[error("no main content found")]
    NotFound,
    /// The page has more elements than [`MAX_ELEMENTS`].
    #[error("{found} elements, over the limit of {max} for content extraction")]
    TooManyElements {
        /// Elements in the page.
        found: usize,
        /// The limit.
        max: usize,
    },
    /// The Markdown conversion failed.
    #[error("converting the main content to Markdown failed: {0}")]
    Markdown(String),
}

pub(super) fn main_content(
    html: &str,
    url: &Url,
    format: ContentFormat,
) -> Result<MainContent, NoMainContent> {
    let config = Config {
        text_mode: TextMode::Formatted,
        max_elements_to_parse: MAX_ELEMENTS,
        ..Config::default()
    };
    let article = Readability::new(html, Some(url.as_str()), Some(config))
        .and_then(|mut r| r.parse())
        .map_err(|e| match e {
            ReadabilityError::TooManyElements(found, max) => {
                NoMainContent::TooManyElements { found, max }
            }
            _ => NoMainContent::NotFound,
        })?;
    let text = tidy(&article.text_content);
    if text.is_empty() {
        return Err(NoMainContent::NotFound);
    }
    let markdown = match format {
        ContentFormat::Markdown => Some(
            htmd::HtmlToMarkdown::builder()
                .skip_tags(vec!["script", "style", "noscript"])
                .build()
                .convert(&article.content)
                .map_err(|e| NoMainContent::Markdown(e.to_string()))?,
        ),
        _ => None,
    };
    let html = (format == ContentFormat::Html).then(|| article.content.to_string());
    Ok(MainContent {
        text,
        markdown,
        html,
    })
}

/// Lines trimmed, runs of blank lines made one, no blank lines at either end.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = false;
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push_str("\n\n");
        } else if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
        blank = false;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARTICLE: &str = r#"<html><head><title>T</title></head><body>
        <nav class="sidebar"><a href="/">Home</a> <a href="/a">Chapter list entry</a></nav>
        <article><h1>The heading</h1>
        <p>First paragraph of the article, long enough to count as content, with commas, clauses,
        and a <a href="rel/link.html">relative link</a> in the middle of it.</p>
        <p>Second paragraph, also long enough: readability wants several hundred characters of
        text in a block before it calls that block the content of the page, so here they are.</p>
        <pre><code>fn main() {}</code></pre></article>
        <footer class="footer">Copyright footer text</footer></body></html>"#;

    fn url() -> Url {
        Url::parse("http://127.0.0.1:9/docs/page.html").unwrap()
    }

    #[test]
    fn boilerplate_is_dropped_and_formats_are_on_request() {
        let text = main_content(ARTICLE, &url(), ContentFormat::Text).unwrap();
        assert!(
            text.text.contains("First paragraph of the article"),
            "{}",
            text.text
        );
        assert!(text.text.contains("Second paragraph"));
        for boilerplate in ["Chapter list entry", "Copyright footer"] {
            assert!(
                !text.text.contains(boilerplate),
                "{boilerplate}: {}",
                text.text
            );
        }
        assert_eq!((text.markdown, text.html), (None, None));

        let md = main_content(ARTICLE, &url(), ContentFormat::Markdown).unwrap();
        let markdown = md.markdown.unwrap();
        assert!(
            markdown.contains("[relative link](http://127.0.0.1:9/docs/rel/link.html)"),
            "{markdown}"
        );
        assert!(markdown.contains("```\nfn main() {}\n```"), "{markdown}");
        assert!(!markdown.contains("Chapter list entry"));

        let html = main_content(ARTICLE, &url(), ContentFormat::Html)
            .unwrap()
            .html
            .unwrap();
        assert!(html.contains("<p>") && !html.contains("<nav"), "{html}");
    }

    #[test]
    fn pages_without_content() {
        let empty = main_content("<html><body></body></html>", &url(), ContentFormat::Text);
        assert_eq!(empty, Err(NoMainContent::NotFound));
        let many = format!("<body>{}</body>", "<p>x</p>".repeat(MAX_ELEMENTS + 10));
        let err = main_content(&many, &url(), ContentFormat::Text).unwrap_err();
        assert!(
            matches!(
                err,
                NoMainContent::TooManyElements {
                    max: MAX_ELEMENTS,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn tidy_keeps_paragraphs() {
        assert_eq!(tidy("\n  a  \n b\n\n\n  \nc\n\n"), "a\nb\n\nc");
        assert_eq!(tidy(" \n "), "");
    }
}
