//! Title, description and language from a page's `<head>` (and `<html lang>`), with the
//! fallbacks sites use when the plain tags are missing: Open Graph and Twitter cards.

use scraper::{ElementRef, Html, Selector};

use super::collapse_whitespace;

/// The metadata of one page.
#[derive(Debug, Default)]
pub(super) struct Meta {
    pub(super) title: Option<String>,
    pub(super) description: Option<String>,
    pub(super) language: Option<String>,
}

fn selector(css: &str) -> Selector {
    // Fixed selectors, known to parse.
    Selector::parse(css).unwrap_or_else(|e| unreachable!("{css}: {e}"))
}

fn non_empty(text: &str) -> Option<String> {
    Some(collapse_whitespace(text)).filter(|t| !t.is_empty())
}

impl Meta {
    pub(super) fn of(dom: &Html) -> Meta {
        let metas: Vec<ElementRef<'_>> = dom.select(&selector("meta")).collect();
        // The `content` of the first <meta> whose `attr` is `value` (ASCII case-insensitive).
        let meta = |attr: &str, value: &str| {
            metas
                .iter()
                .filter(|m| {
                    m.attr(attr)
                        .is_some_and(|v| v.trim().eq_ignore_ascii_case(value))
                })
                .find_map(|m| m.attr("content").and_then(non_empty))
        };
        let first_text = |css: &str| {
            dom.select(&selector(css))
                .find_map(|e| non_empty(&e.text().collect::<String>()))
        };
        let title = first_text("title")
            .or_else(|| meta("property", "og:title"))
            .or_else(|| first_text("h1"));
        let description = meta("name", "description")
            .or_else(|| meta("property", "og:description"))
            .or_else(|| meta("name", "twitter:description"));
        let language = dom
            .select(&selector("html"))
            .find_map(|h| h.attr("lang").and_then(non_empty))
            .or_else(|| meta("http-equiv", "content-language"));
        Meta {
            title,
            description,
            language,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_tags_first() {
        let dom = Html::parse_document(
            r#"<html lang=" fr-CA "><head><title> A
            title </title><meta name="Description" content="The page, described.">
            <meta property="og:description" content="Not this one"></head>
            <body><h1>Heading</h1></body></html>"#,
        );
        let m = Meta::of(&dom);
        assert_eq!(m.title.as_deref(), Some("A title"));
        assert_eq!(m.description.as_deref(), Some("The page, described."));
        assert_eq!(m.language.as_deref(), Some("fr-CA"));
    }

    #[test]
    fn fallbacks_when_missing() {
        let dom = Html::parse_document(
            r#"<head><title>  </title><meta property="og:title" content="OG title">
            <meta name="description" content="  "><meta property="OG:Description" content="OG text">
            <meta http-equiv="Content-Language" content="de"></head><body><h1>H</h1></body>"#,
        );
        let m = Meta::of(&dom);
        assert_eq!(m.title.as_deref(), Some("OG title"));
        assert_eq!(m.description.as_deref(), Some("OG text"));
        assert_eq!(m.language.as_deref(), Some("de"));
        let bare = Meta::of(&Html::parse_document("<p>nothing</p>"));
        assert_eq!(
            (bare.title, bare.description, bare.language),
            (None, None, None)
        );
        let h1 = Meta::of(&Html::parse_document("<h1> Only  a heading </h1>"));
        assert_eq!(h1.title.as_deref(), Some("Only a heading"));
    }
}
