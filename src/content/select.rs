//! Named CSS selectors whose text is extracted from each page: `price=.product .price`, so a
//! simple scraper is configuration rather than code.
//!
//! Selectors are parsed once, up front, so a typo is reported before any page is fetched
//! (as a [`SelectorError`] naming the selector), and matched against the page's DOM, the one
//! the parser thread already has. Text is the element's descendant text with whitespace runs
//! collapsed.

use scraper::{Html, Selector};

use super::collapse_whitespace;

/// A selector that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectorError {
    /// Not `name=selector`.
    #[error("{arg:?} is not NAME=SELECTOR")]
    NotNamed {
        /// The argument as given.
        arg: String,
    },
    /// A name that is empty or not made of letters, digits, `_`, `-` and `.`.
    #[error("{name:?} is not a valid name (letters, digits, '_', '-', '.')")]
    BadName {
        /// The name as given.
        name: String,
    },
    /// The same name given twice.
    #[error("the name {name:?} is given twice")]
    Duplicate {
        /// The repeated name.
        name: String,
    },
    /// The selector does not parse as CSS.
    #[error("the selector for {name:?} ({selector:?}) is not valid CSS: {reason}")]
    Syntax {
        /// Its name.
        name: String,
        /// The selector as given.
        selector: String,
        /// What the CSS parser said.
        reason: String,
    },
}

/// Named CSS selectors, in the order given; see the module docs.
#[derive(Debug, Clone)]
pub struct NamedSelectors {
    entries: Vec<(String, Selector)>,
}

impl NamedSelectors {
    /// Parses `(name, selector)` pairs.
    ///
    /// # Errors
    ///
    /// The first [`SelectorError`]: a bad or repeated name, or a selector that is not CSS.
    pub fn new<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, SelectorError> {
        let mut entries: Vec<(String, Selector)> = Vec::new();
        for (name, css) in pairs {
            let name = name.trim();
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !valid {
                return Err(SelectorError::BadName {
                    name: name.to_owned(),
                });
            }
            if entries.iter().any(|(n, _)| n == name) {
                return Err(SelectorError::Duplicate {
                    name: name.to_owned(),
                });
            }
            let selector = Selector::parse(css).map_err(|e| SelectorError::Syntax {
                name: name.to_owned(),
                selector: css.to_owned(),
                reason: e.to_string(),
            })?;
            entries.push((name.to_owned(), selector));
        }
        Ok(Self { entries })
    }

    /// Parses `NAME=SELECTOR` arguments (split at the first `=`).
    ///
    /// # Errors
    ///
    /// [`SelectorError::NotNamed`] for an argument without `=`; otherwise as [`new`](Self::new).
    pub fn from_args<'a>(args: impl IntoIterator<Item = &'a str>) -> Result<Self, SelectorError> {
        let pairs = args
            .into_iter()
            .map(|arg| {
                arg.split_once('=').ok_or_else(|| SelectorError::NotNamed {
                    arg: arg.to_owned(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(pairs)
    }

    /// The names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }

    /// For each name, the text of the first element matched, if any.
    #[must_use]
    pub fn first(&self, dom: &Html) -> Vec<(&str, Option<String>)> {
        self.entries
            .iter()
            .map(|(name, sel)| {
                (
                    name.as_str(),
                    dom.select(sel)
                        .next()
                        .map(|e| collapse_whitespace(&e.text().collect::<String>())),
                )
            })
            .collect()
    }

    /// For each name, the text of every element matched, in document order.
    #[must_use]
    pub fn all(&self, dom: &Html) -> Vec<(&str, Vec<String>)> {
        self.entries
            .iter()
            .map(|(name, sel)| {
                let texts = dom
                    .select(sel)
                    .map(|e| collapse_whitespace(&e.text().collect::<String>()));
                (name.as_str(), texts.collect())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<html><body>
        <h1 class="name">  Blue
           widget </h1>
        <ul><li class="price">12.50 <span>EUR</span></li><li class="price">9.99</li></ul>
        </body></html>"#;

    #[test]
    fn first_and_all_matches_per_name() {
        let s = NamedSelectors::from_args([
            "name=h1.name",
            "price=li.price",
            "none=table td",
            "eq=a[href='x=y']",
        ])
        .unwrap();
        assert_eq!(
            s.names().collect::<Vec<_>>(),
            ["name", "price", "none", "eq"]
        );
        let dom = Html::parse_document(PAGE);
        assert_eq!(
            s.first(&dom),
            [
                ("name", Some("Blue widget".to_owned())),
                ("price", Some("12.50 EUR".to_owned())),
                ("none", None),
                ("eq", None),
            ]
        );
        let all = s.all(&dom);
        assert_eq!(
            all[1],
            ("price", vec!["12.50 EUR".to_owned(), "9.99".to_owned()])
        );
        assert_eq!(all[2], ("none", vec![]));
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let err = |args: &[&str]| NamedSelectors::from_args(args.iter().copied()).unwrap_err();
        assert!(matches!(
            err(&["no-equals"]),
            SelectorError::NotNamed { .. }
        ));
        assert!(matches!(err(&["=h1"]), SelectorError::BadName { .. }));
        assert!(matches!(err(&["a b=h1"]), SelectorError::BadName { .. }));
        assert!(matches!(
            err(&["t=h1", "t=h2"]),
            SelectorError::Duplicate { .. }
        ));
        match err(&["t=h1[", "u=p"]) {
            SelectorError::Syntax { name, selector, .. } => {
                assert_eq!((name.as_str(), selector.as_str()), ("t", "h1["))
            }
            other => panic!("{other}"),
        }
        assert!(matches!(
            err(&["t=::nonsense"]),
            SelectorError::Syntax { .. }
        ));
    }
}
