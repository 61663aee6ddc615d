//! Helpers on scraper's [`ElementRef`] that plugins reach for, as an extension trait in
//! the prelude (scraper's type cannot take inherent methods from this crate).
//!
//! Text as a reader sees it: scraper's `text()` yields every text node as written, with the
//! source's line breaks and indentation, and the contents of `<script>` and `<style>`;
//! [`ElementExt::normalized_text`] gives what a browser would show, on one line.

use scraper::ElementRef;
use scraper::node::Node;

/// Extra methods on [`ElementRef`]; in the prelude.
pub trait ElementExt {
    /// The element's text with every run of whitespace made one space, trimmed, without
    /// the contents of `<script>`, `<style>` and `<template>`.
    ///
    /// ```
    /// use trawler::prelude::*;
    /// let html = Html::parse_fragment("<p>\n  Hello,\n  <b>world</b><script>x()</script>!\n</p>");
    /// let p = html.select(&Selector::parse("p").unwrap()).next().unwrap();
    /// assert_eq!(p.normalized_text(), "Hello, world!");
    /// ```
    fn normalized_text(&self) -> String;

    /// An attribute's value, trimmed of ASCII whitespace; `None` if missing or empty.
    ///
    /// ```
    /// use trawler::prelude::*;
    /// let html = Html::parse_fragment(r#"<a href="  /x  " title="">x</a>"#);
    /// let a = html.select(&Selector::parse("a").unwrap()).next().unwrap();
    /// assert_eq!(a.attr_trimmed("href"), Some("/x"));
    /// assert_eq!(a.attr_trimmed("title"), None);
    /// ```
    fn attr_trimmed(&self, name: &str) -> Option<&str>;
}

impl ElementExt for ElementRef<'_> {
    fn normalized_text(&self) -> String {
        let mut out = String::new();
        let mut space = false;
        // Depth-first with a stack of child iterators: no recursion, whatever the nesting.
        let mut stack = vec![self.children()];
        while let Some(top) = stack.last_mut() {
            let Some(node) = top.next() else {
                stack.pop();
                continue;
            };
            match node.value() {
                Node::Element(e) if matches!(e.name(), "script" | "style" | "template") => {}
                Node::Element(_) => stack.push(node.children()),
                Node::Text(t) => {
                    for c in t.chars() {
                        if c.is_whitespace() {
                            space = !out.is_empty();
                        } else {
                            if space {
                                out.push(' ');
                                space = false;
                            }
                            out.push(c);
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }

    fn attr_trimmed(&self, name: &str) -> Option<&str> {
        self.value()
            .attr(name)
            .map(str::trim_ascii)
            .filter(|v| !v.is_empty())
    }
}
