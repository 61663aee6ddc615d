//! The scraper DOM of an untrusted page, built with a bound on its nesting depth.
//!
//! html5ever's tree builder is iterative, so no input overflows the stack, but several of its
//! steps walk the whole stack of open elements: every `<div>` start tag looks for an open `<p>` to
//! close, through every element above it. Nesting n elements therefore costs n² steps: in a
//! release build 10,000 nested `<div>`s (50 KB) take a quarter of a second, and 100,000 (500 KB,
//! well under any body cap) more than 20 s. Browsers bound this too (Blink stops nesting at 512).
//!
//! So the page is fed to html5ever in small chunks through a tree sink that records each node's
//! depth as it is attached. Once an element lies deeper than [`MAX_DOM_DEPTH`], the rest of the
//! page is not parsed: the DOM holds everything up to there, well-formed (the parser closes what
//! is open), and [`Page::is_dom_truncated`](crate::Page::is_dom_truncated) says so. The cost of a
//! page is then linear in its size whatever its markup: markup kept just under the bound parses
//! about 6 times slower than flat markup of the same size (measured on 11 MB of `<div></div>`:
//! 1.3 s flat, 7.5 s under 500 open `<div>`s), against minutes to hours unbounded. No real page
//! comes near the bound; the streaming link extractor is not affected by it (it keeps no such
//! stack).

use std::borrow::Cow;
use std::cell::{Cell, Ref, RefCell};
use std::collections::HashMap;

use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::{Attribute, QualName};
use scraper::{Html, HtmlTreeSink};

/// scraper's node handle (an `ego_tree` id), named through scraper so its version always matches.
type NodeId = <HtmlTreeSink as TreeSink>::Handle;

/// The deepest element nesting parsed into a page's DOM; see the module docs. Blink's parser
/// limit, and far beyond real pages (a few dozen levels).
pub const MAX_DOM_DEPTH: usize = 512;

/// Text handed to the parser between two depth checks. Small, so a page overshoots the bound by
/// at most a few hundred levels; large enough that the checks cost nothing.
const CHUNK: usize = 4096;

/// Parses `text` as an HTML document, as [`Html::parse_document`] does, but stops once an element
/// is nested deeper than `max_depth` ([`MAX_DOM_DEPTH`] for pages). Returns the DOM, which holds
/// the document up to that point, and whether it was cut short.
#[must_use]
pub fn parse_document(text: &str, max_depth: usize) -> (Html, bool) {
    let sink = DepthSink {
        inner: HtmlTreeSink::new(Html::new_document()),
        depth: RefCell::new(HashMap::new()),
        deepest: Cell::new(0),
    };
    // Scripting off, as a crawler is: `<noscript>` holds markup (and links), not text.
    let opts = html5ever::ParseOpts {
        tree_builder: html5ever::tree_builder::TreeBuilderOpts {
            scripting_enabled: false,
            ..Default::default()
        },
        ..Default::default()
    };
    let mut parser = html5ever::driver::parse_document(sink, opts);
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = CHUNK.min(rest.len());
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        parser.process(StrTendril::from_slice(&rest[..cut]));
        rest = &rest[cut..];
        if parser.tokenizer.sink.sink.deepest.get() > max_depth {
            break;
        }
    }
    let sink = parser.finish();
    (sink.inner.0.into_inner(), !rest.is_empty())
}

/// scraper's sink, plus the depth of every node attached so far (the document is depth 0).
struct DepthSink {
    inner: HtmlTreeSink,
    depth: RefCell<HashMap<NodeId, usize>>,
    deepest: Cell<usize>,
}

impl DepthSink {
    fn depth_of(&self, node: &NodeId) -> usize {
        self.depth.borrow().get(node).copied().unwrap_or(0)
    }

    fn place(&self, child: &NodeOrText<NodeId>, depth: usize) {
        if let NodeOrText::AppendNode(node) = child {
            self.depth.borrow_mut().insert(*node, depth);
            self.deepest.set(self.deepest.get().max(depth));
        }
    }
}

impl TreeSink for DepthSink {
    type Handle = NodeId;
    type Output = Self;
    type ElemName<'a> = Ref<'a, QualName>;

    fn finish(self) -> Self {
        self
    }

    fn parse_error(&self, msg: Cow<'static, str>) {
        self.inner.parse_error(msg);
    }

    fn get_document(&self) -> Self::Handle {
        self.inner.get_document()
    }

    fn elem_name<'a>(&'a self, target: &'a Self::Handle) -> Self::ElemName<'a> {
        self.inner.elem_name(target)
    }

    fn create_element(
        &self,
        name: QualName,
        attrs: Vec<Attribute>,
        flags: ElementFlags,
    ) -> Self::Handle {
        self.inner.create_element(name, attrs, flags)
    }

    fn create_comment(&self, text: StrTendril) -> Self::Handle {
        self.inner.create_comment(text)
    }

    fn create_pi(&self, target: StrTendril, data: StrTendril) -> Self::Handle {
        self.inner.create_pi(target, data)
    }

    fn append(&self, parent: &Self::Handle, child: NodeOrText<Self::Handle>) {
        self.place(&child, self.depth_of(parent) + 1);
        self.inner.append(parent, child);
    }

    fn append_based_on_parent_node(
        &self,
        element: &Self::Handle,
        prev_element: &Self::Handle,
        child: NodeOrText<Self::Handle>,
    ) {
        // Re-implemented rather than delegated: scraper's version calls its own `append`, which
        // would bypass the depth bookkeeping.
        let has_parent = self
            .inner
            .0
            .borrow()
            .tree
            .get(*element)
            .is_some_and(|n| n.parent().is_some());
        if has_parent {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(
        &self,
        name: StrTendril,
        public_id: StrTendril,
        system_id: StrTendril,
    ) {
        self.inner
            .append_doctype_to_document(name, public_id, system_id);
    }

    fn mark_script_already_started(&self, node: &Self::Handle) {
        self.inner.mark_script_already_started(node);
    }

    fn pop(&self, node: &Self::Handle) {
        self.inner.pop(node);
    }

    fn get_template_contents(&self, target: &Self::Handle) -> Self::Handle {
        // The contents fragment is made with the element, out of sight of `append`; nested
        // templates must still count as nesting.
        let contents = self.inner.get_template_contents(target);
        let depth = self.depth_of(target) + 1;
        self.depth.borrow_mut().entry(contents).or_insert(depth);
        contents
    }

    fn same_node(&self, x: &Self::Handle, y: &Self::Handle) -> bool {
        self.inner.same_node(x, y)
    }

    fn set_quirks_mode(&self, mode: QuirksMode) {
        self.inner.set_quirks_mode(mode);
    }

    fn append_before_sibling(&self, sibling: &Self::Handle, new_node: NodeOrText<Self::Handle>) {
        self.place(&new_node, self.depth_of(sibling));
        self.inner.append_before_sibling(sibling, new_node);
    }

    fn add_attrs_if_missing(&self, target: &Self::Handle, attrs: Vec<Attribute>) {
        self.inner.add_attrs_if_missing(target, attrs);
    }

    fn associate_with_form(
        &self,
        target: &Self::Handle,
        form: &Self::Handle,
        nodes: (&Self::Handle, Option<&Self::Handle>),
    ) {
        self.inner.associate_with_form(target, form, nodes);
    }

    fn remove_from_parent(&self, target: &Self::Handle) {
        self.inner.remove_from_parent(target);
    }

    fn reparent_children(&self, node: &Self::Handle, new_parent: &Self::Handle) {
        self.inner.reparent_children(node, new_parent);
    }

    fn is_mathml_annotation_xml_integration_point(&self, handle: &Self::Handle) -> bool {
        self.inner
            .is_mathml_annotation_xml_integration_point(handle)
    }

    fn set_current_line(&self, line_number: u64) {
        self.inner.set_current_line(line_number);
    }

    fn allow_declarative_shadow_roots(&self, intended_parent: &Self::Handle) -> bool {
        self.inner.allow_declarative_shadow_roots(intended_parent)
    }

    fn attach_declarative_shadow(
        &self,
        location: &Self::Handle,
        template: &Self::Handle,
        attrs: &[Attribute],
    ) -> bool {
        self.inner
            .attach_declarative_shadow(location, template, attrs)
    }

    fn maybe_clone_an_option_into_selectedcontent(&self, option: &Self::Handle) {
        self.inner
            .maybe_clone_an_option_into_selectedcontent(option);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::Selector;
    use std::time::{Duration, Instant};

    fn select_count(doc: &Html, css: &str) -> usize {
        doc.select(&Selector::parse(css).unwrap()).count()
    }

    /// The deepest element of `doc`, counted as the sink counts (the document is 0).
    fn tree_depth(doc: &Html) -> usize {
        doc.tree
            .nodes()
            .map(|n| n.ancestors().count())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn ordinary_pages_parse_whole_and_identically() {
        let page = include_str!("../tests/fixtures/links.html");
        let (doc, cut) = parse_document(page, MAX_DOM_DEPTH);
        assert!(!cut);
        assert_eq!(doc.html(), Html::parse_document(page).html());
        // Chunk boundaries inside tags, entities and multi-byte characters change nothing.
        let tricky = format!(
            "{}<a href=\"/x?a=1&amp;b=2\">caf\u{e9} \u{65e5}\u{672c}</a><template><p>t</template>",
            "<p class=\"filler\">\u{e9}\u{e9}\u{e9}</p>".repeat(CHUNK / 7)
        );
        let (doc, cut) = parse_document(&tricky, MAX_DOM_DEPTH);
        assert!(!cut);
        assert_eq!(doc.html(), Html::parse_document(&tricky).html());
    }

    #[test]
    fn deep_nesting_is_cut_and_stays_fast() {
        let bodies = [
            ("div", "<div>".repeat(100_000)),
            ("span", "<span>".repeat(100_000)),
            ("template", "<template><div>".repeat(50_000)),
            ("table", "<table><tr><td><div>".repeat(30_000)),
            ("list", "<ul><li>".repeat(50_000)),
            ("formatting", "<b><i><u>".repeat(40_000)),
        ];
        for (name, body) in bodies {
            let html = format!("<a href=/first>{body}<a href=/last>");
            let started = Instant::now();
            let (doc, cut) = parse_document(&html, MAX_DOM_DEPTH);
            let took = started.elapsed();
            assert!(cut, "{name}");
            assert!(took < Duration::from_secs(5), "{name}: {took:?}");
            assert_eq!(select_count(&doc, "a[href='/first']"), 1, "{name}");
            assert_eq!(select_count(&doc, "a[href='/last']"), 0, "{name}");
            let depth = tree_depth(&doc);
            assert!(
                depth > 100 && depth < MAX_DOM_DEPTH + CHUNK / 3,
                "{name}: {depth}"
            );
            // Every later use of the DOM is as bounded: text, serialisation, selectors, drop.
            let _ = doc.root_element().text().count();
            let _ = doc.html().len();
            let _ = select_count(&doc, "div a, b i u, template div");
        }
    }

    #[test]
    fn the_bound_is_exact_for_plain_nesting() {
        // html, body, then n divs: the deepest div is at depth n + 2.
        let n = 40;
        let (_, cut) = parse_document(&"<div>".repeat(n), n + 2);
        assert!(!cut);
        let (doc, cut) = parse_document(&"<div>".repeat(CHUNK), n + 2);
        assert!(cut);
        assert!(tree_depth(&doc) > n + 2);
    }

    #[test]
    fn wide_pages_are_not_cut() {
        let html = "<div><p><a href=/x>x</a></p></div>".repeat(20_000);
        let (doc, cut) = parse_document(&html, MAX_DOM_DEPTH);
        assert!(!cut);
        assert_eq!(select_count(&doc, "a"), 20_000);
    }

    #[test]
    fn deep_pages_parse_on_a_small_stack() {
        // Parser threads are ordinary threads; nothing here may recurse per level.
        let handle = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let (doc, cut) = parse_document(&"<div><span>".repeat(100_000), MAX_DOM_DEPTH);
                (cut, doc.html().len(), doc.root_element().text().count())
            })
            .unwrap();
        let (cut, _, _) = handle.join().expect("no stack overflow");
        assert!(cut);
    }
}
