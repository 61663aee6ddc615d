//! A host's origin as the frontier keeps it: its key, and that key parsed once.
//!
//! A queued request keeps only the path and query of its URL; taking it out rebuilds the
//! URL. Parsing `origin + path` whole would read the scheme and the host again for every
//! request (the host through IDNA processing, then as an address), about half of a URL
//! parse. So the origin is parsed once, at the host's first request out, and each
//! request's path and query are parsed against it, as a path-absolute reference: the
//! parser copies the scheme and authority of the base, and the path and query go through
//! the same steps as in a whole parse, so the URL is the same. A path starting with `//`
//! would read as an authority against a base; such a path is parsed whole.

use url::Url;

/// A host's key (`scheme://host:port`) and, once a request of it was taken out, the
/// origin parsed.
#[derive(Debug, Default)]
pub(crate) struct Origin {
    key: Box<str>,
    base: Option<Box<Url>>,
}

impl Origin {
    pub(crate) fn new(key: &str) -> Self {
        Origin {
            key: key.into(),
            base: None,
        }
    }

    /// The host's key, `scheme://host:port`.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// The URL whose text is this origin's key then `suffix` (a path, then maybe a query).
    pub(crate) fn join(&mut self, suffix: &str) -> Option<Url> {
        if suffix.starts_with('/') && !suffix.starts_with("//") {
            if self.base.is_none() {
                self.base = Url::parse(&format!("{}/", self.key)).ok().map(Box::new);
            }
            if let Some(base) = &self.base {
                return Url::options().base_url(Some(base)).parse(suffix).ok();
            }
        }
        let mut text = String::with_capacity(self.key.len() + suffix.len());
        text.push_str(&self.key);
        text.push_str(suffix);
        Url::parse(&text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canon::host_key;
    use proptest::prelude::*;

    /// What `join` must give: the whole text parsed.
    fn whole(key: &str, suffix: &str) -> Option<Url> {
        Url::parse(&format!("{key}{suffix}")).ok()
    }

    /// The key and the suffix the frontier keeps for `url`.
    fn split(url: &Url) -> (String, &str) {
        let key = host_key(url).unwrap();
        (key, &url[url::Position::BeforePath..])
    }

    #[test]
    fn a_path_and_query_joined_to_the_origin_is_the_url_parsed_whole() {
        for text in [
            "http://a.test/",
            "http://a.test:80/p?q=1",
            "https://a.test:8443/a/b/../c?x=%C3%A9&y#frag",
            "http://127.0.0.1:3000/p/1",
            "http://[::1]:8080/x?y",
            "http://xn--bcher-kva.example/b%C3%BCcher",
            "http://a.test//double/slash",
            "http://a.test/%2e%2E/x",
            "http://a.test/a:/../b",
            "http://user:pw@a.test/secret",
            "https://a.test/?",
        ] {
            let url = Url::parse(text).unwrap();
            let (key, suffix) = split(&url);
            let mut origin = Origin::new(&key);
            for _ in 0..2 {
                assert_eq!(origin.join(suffix), whole(&key, suffix), "{text}");
            }
        }
    }

    #[test]
    fn a_path_starting_with_two_slashes_keeps_the_host() {
        let mut origin = Origin::new("http://a.test:80");
        let url = origin.join("//b.test/x").unwrap();
        assert_eq!(url.as_str(), "http://a.test//b.test/x");
    }

    proptest! {
        #[test]
        fn joining_agrees_with_the_whole_parse(
            host in prop::sample::select(vec![
                "http://a.test", "https://a.test:8443", "http://127.0.0.1:9", "http://[::1]",
            ]),
            path in "(/[a-z0-9%.:;@!$&'()*+,=~_\\-]{0,6}){1,4}(\\?[a-z0-9=&%/?:.]{0,8})?",
        ) {
            let Ok(url) = Url::parse(&format!("{host}{path}")) else {
                return Ok(());
            };
            let (key, suffix) = split(&url);
            let mut origin = Origin::new(&key);
            let joined = origin.join(suffix);
            prop_assert_eq!(&joined, &whole(&key, suffix));
            prop_assert_eq!(joined, Some(url));
        }
    }
}
