//! The demo crawl's spider: each page's `<title>`, every link followed.

use trawler::prelude::*;

/// A spider that emits each page's `<title>` text and follows every link.
///
/// It finds the title by scanning the decoded text instead of building a DOM: the demo
/// measures the crawler, and the streaming path is what a link-following crawl costs.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TitleSpider;

impl Spider for TitleSpider {
    type Item = String;

    fn parse(&self, page: &Page<'_>, out: &mut Output<String>) -> Result<(), BoxError> {
        if let Some(title) = title_of(page.text()) {
            out.item(title.to_string());
        }
        // Following nothing explicitly: every link on the page is followed.
        Ok(())
    }
}

/// The text between the first `<title>` and the next `</title>`, if both are there.
fn title_of(html: &str) -> Option<&str> {
    let start = html.find("<title>")? + "<title>".len();
    let len = html[start..].find("</title>")?;
    Some(&html[start..start + len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_is_found_only_when_closed() {
        assert_eq!(
            title_of("<head><title>A page</title></head>"),
            Some("A page")
        );
        assert_eq!(title_of("<title>never closed"), None);
        assert_eq!(title_of("<p>no title</p>"), None);
    }
}
