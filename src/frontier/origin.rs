//! Hosts' origins parsed, for rebuilding the URLs of requests as they leave the frontier.
//!
//! A queued request keeps only the path and query of its URL; taking it out rebuilds the
//! URL. Parsing `origin + path` whole reads the scheme and the host again for every
//! request (the host through IDNA processing, then as an address), about half of a URL
//! parse. So a host that sends request after request has its origin parsed once, and each
//! path and query is parsed against it as a path-absolute reference: the parser copies the
//! scheme and authority of the base, and the path and query go through the same steps as
//! in a whole parse, so the URL is the same. A path starting with `//` would read as an
//! authority against a base; it is parsed whole.
//!
//! The parsed origins are few and bounded: one slot per [`SLOTS`] host ids, holding the
//! host whose request last left through it, and that host's origin once a second request
//! of it came through in a row. A crawl of one site or a few keeps its origins; a broad
//! crawl whose hosts take turns by the thousand parses whole as before, and no host holds
//! a parsed `Url` for as long as it is queued.

use super::HostId;
use url::Url;

/// Slots of the cache: parsed origins held at most.
const SLOTS: usize = 256;

/// The cache of parsed origins.
#[derive(Debug, Default)]
pub(crate) struct Origins {
    slots: Vec<Slot>,
}

#[derive(Debug, Default)]
struct Slot {
    host: Option<HostId>,
    base: Option<Box<Url>>,
}

impl Origins {
    /// The URL whose text is `key` (the origin of `host`, `scheme://host:port`) then
    /// `suffix` (a path, then maybe a query).
    pub(crate) fn join(&mut self, host: HostId, key: &str, suffix: &str) -> Option<Url> {
        if self.slots.is_empty() {
            self.slots.resize_with(SLOTS, Slot::default);
        }
        let slot = &mut self.slots[host as usize % SLOTS];
        if slot.host != Some(host) {
            *slot = Slot {
                host: Some(host),
                base: None,
            };
        } else if suffix.starts_with('/') && !suffix.starts_with("//") {
            if slot.base.is_none() {
                slot.base = Url::parse(&format!("{key}/")).ok().map(Box::new);
            }
            if let Some(base) = &slot.base {
                return Url::options().base_url(Some(base)).parse(suffix).ok();
            }
        }
        let mut text = String::with_capacity(key.len() + suffix.len());
        text.push_str(key);
        text.push_str(suffix);
        Url::parse(&text).ok()
    }

    /// `host` is gone (its id may come back for another host).
    pub(crate) fn forget(&mut self, host: HostId) {
        if let Some(slot) = self.slots.get_mut(host as usize % SLOTS)
            && slot.host == Some(host)
        {
            *slot = Slot::default();
        }
    }

    /// Origins held parsed now.
    #[cfg(test)]
    fn parsed(&self) -> usize {
        self.slots.iter().filter(|s| s.base.is_some()).count()
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
            let mut origins = Origins::default();
            // A miss, the origin parsed, a hit.
            for _ in 0..3 {
                assert_eq!(origins.join(7, &key, suffix), whole(&key, suffix), "{text}");
            }
        }
    }

    #[test]
    fn a_host_is_parsed_once_its_second_request_in_a_row_leaves() {
        let mut origins = Origins::default();
        origins.join(1, "http://a.test:80", "/1");
        assert_eq!(origins.parsed(), 0);
        origins.join(1, "http://a.test:80", "/2");
        assert_eq!(origins.parsed(), 1);
        // Another host in the same slot takes it over.
        let other = 1 + SLOTS as HostId;
        let url = origins.join(other, "http://b.test:80", "/x").unwrap();
        assert_eq!((url.as_str(), origins.parsed()), ("http://b.test/x", 0));
    }

    #[test]
    fn a_forgotten_host_id_does_not_bring_back_its_old_origin() {
        let mut origins = Origins::default();
        origins.join(3, "http://a.test:80", "/1");
        origins.join(3, "http://a.test:80", "/2");
        origins.forget(3);
        // The id now names another host.
        origins.join(3, "http://b.test:80", "/1");
        let url = origins.join(3, "http://b.test:80", "/2").unwrap();
        assert_eq!(url.as_str(), "http://b.test/2");
    }

    #[test]
    fn a_path_starting_with_two_slashes_keeps_the_host() {
        let mut origins = Origins::default();
        for _ in 0..3 {
            let url = origins.join(0, "http://a.test:80", "//b.test/x").unwrap();
            assert_eq!(url.as_str(), "http://a.test//b.test/x");
        }
    }

    proptest! {
        #[test]
        fn joining_agrees_with_the_whole_parse(
            requests in prop::collection::vec((0..3usize,
                "(/[a-z0-9%.:;@!$&'()*+,=~_\\-]{0,6}){1,4}(\\?[a-z0-9=&%/?:.]{0,8})?"), 1..8),
        ) {
            // Three hosts whose ids share a slot.
            let hosts = ["http://a.test", "https://a.test:8443", "http://127.0.0.1:9"];
            let mut origins = Origins::default();
            for (h, path) in requests {
                let Ok(url) = Url::parse(&format!("{}{path}", hosts[h])) else {
                    continue;
                };
                let (key, suffix) = split(&url);
                let id = (h * SLOTS) as HostId;
                let joined = origins.join(id, &key, suffix);
                prop_assert_eq!(&joined, &whole(&key, suffix));
                prop_assert_eq!(joined, Some(url));
            }
        }
    }
}
