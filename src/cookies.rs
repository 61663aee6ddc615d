//! The crawl's cookies: a jar per session, kept by RFC 6265's rules, on by default (as in
//! Scrapy; `cookies(false)` turns it off).
//!
//! Every answer's `Set-Cookie` fields (pages, redirects, error pages, robots.txt and
//! sitemaps alike) go into the jar of the request's session, and every request carries
//! the cookies its URL matches. Storage and matching are `cookie_store`'s (domain, path,
//! `Secure`, `HttpOnly`, `Expires`/`Max-Age`, host-only cookies); trawler adds what it
//! lacks without a suffix list: a `Domain` attribute naming a public suffix (`com`,
//! `co.uk`, `github.io` ...; Mozilla's list, compiled in by `psl`) is ignored unless it
//! is the request's own host, as RFC 6265 §5.3 says, so no site can set a cookie for its
//! neighbours.
//!
//! Each jar is cut by site (the registrable domain, `example.co.uk`, or the host itself
//! for an address): a cookie can only match hosts of the site that set it, so a request
//! looks at its own site's cookies only, however many sites the crawl meets. Bounded: at
//! most [`MAX_PER_SITE`] cookies a site (Chrome's limit; more are ignored) and
//! [`MAX_SITES`] sites with cookies (the oldest site's cookies go first).
//!
//! A durable crawl saves the jars with its state ([`CookieJars::save`], read back by
//! [`CookieJars::load`]), session cookies included: the crawl is one browsing session.

use cookie_store::{CookieStore, RawCookie};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use url::Url;

/// Most cookies kept for one site of one session.
pub(crate) const MAX_PER_SITE: usize = 180;
/// Most sites with cookies kept over all sessions.
pub(crate) const MAX_SITES: usize = 10_000;

/// `(session, site)`.
type SiteKey = (Option<Box<str>>, Box<str>);

/// Every session's cookies.
#[derive(Debug, Default)]
pub(crate) struct CookieJars {
    sites: Mutex<Sites>,
    /// Whether any cookie was ever kept (a crawl of sites without cookies never locks).
    any: AtomicBool,
    /// Changed since the last [`save`](Self::save).
    dirty: AtomicBool,
}

#[derive(Debug, Default)]
struct Sites {
    stores: HashMap<SiteKey, CookieStore>,
    /// Sites in the order they got their first cookie.
    order: VecDeque<SiteKey>,
}

/// The site a host's cookies are kept under.
fn site_of(host: &str) -> &str {
    psl::domain_str(host).unwrap_or(host)
}

fn key(url: &Url, session: Option<&str>) -> Option<SiteKey> {
    let host = url.host_str()?;
    Some((session.map(Box::from), Box::from(site_of(host))))
}

/// A cookie's path when it names none: the request path's directory (RFC 6265 §5.1.4).
fn default_path(url: &Url) -> &str {
    let path = url.path();
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

impl CookieJars {
    /// The `Cookie` value a request to `url` in `session` carries, if any.
    pub(crate) fn header_for(&self, url: &Url, session: Option<&str>) -> Option<String> {
        if !self.any.load(Ordering::Relaxed) {
            return None;
        }
        let key = key(url, session)?;
        let sites = self.sites.lock().unwrap_or_else(|e| e.into_inner());
        let store = sites.stores.get(&key)?;
        // Longer paths first (RFC 6265 §5.4), then by name, so the header is stable.
        let mut cookies = store.matches(url);
        cookies.sort_by(|a, b| {
            let len = |c: &cookie_store::Cookie<'_>| c.path.as_ref().len();
            len(b).cmp(&len(a)).then_with(|| a.name().cmp(b.name()))
        });
        let mut value = String::new();
        for c in cookies {
            if !value.is_empty() {
                value.push_str("; ");
            }
            value.push_str(c.name());
            value.push('=');
            value.push_str(c.value());
        }
        (!value.is_empty()).then_some(value)
    }

    /// Keeps the cookies of an answer from `url` in `session` (`Set-Cookie` values).
    pub(crate) fn store<'a>(
        &self,
        url: &Url,
        session: Option<&str>,
        set_cookies: impl Iterator<Item = &'a [u8]>,
    ) {
        let mut set_cookies = set_cookies.peekable();
        if set_cookies.peek().is_none() {
            return;
        }
        let (Some(key), Some(host)) = (key(url, session), url.host_str()) else {
            return;
        };
        let mut sites = self.sites.lock().unwrap_or_else(|e| e.into_inner());
        let sites = &mut *sites;
        let store = match sites.stores.entry(key.clone()) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                sites.order.push_back(key);
                e.insert(CookieStore::default())
            }
        };
        let mut changed = false;
        for raw in set_cookies {
            let Ok(text) = std::str::from_utf8(raw) else {
                continue;
            };
            let Ok(mut cookie) = RawCookie::parse(text.to_string()) else {
                continue;
            };
            if let Some(domain) = cookie
                .domain()
                .map(|d| d.trim_start_matches('.').to_ascii_lowercase())
                && psl::suffix_str(&domain) == Some(domain.as_str())
            {
                // RFC 6265 §5.3 step 5: a public suffix is no cookie domain, unless it is
                // the host itself (then the cookie is the host's only).
                if !domain.eq_ignore_ascii_case(host) {
                    tracing::debug!(%url, %domain, "cookie for a public suffix ignored");
                    continue;
                }
                cookie.unset_domain();
            }
            let known = {
                let domain = cookie.domain().map_or(host, |d| d.trim_start_matches('.'));
                let path = cookie.path().unwrap_or_else(|| default_path(url));
                store.contains_any(domain, path, cookie.name())
            };
            if !known && store.iter_unexpired().count() >= MAX_PER_SITE {
                continue;
            }
            changed |= store.insert_raw(&cookie, url).is_ok();
        }
        if changed {
            self.any.store(true, Ordering::Relaxed);
            self.dirty.store(true, Ordering::Relaxed);
        }
        while sites.order.len() > MAX_SITES {
            if let Some(oldest) = sites.order.pop_front() {
                sites.stores.remove(&oldest);
            }
        }
    }

    /// Whether the jars changed since the last save (and marks them saved).
    pub(crate) fn take_dirty(&self) -> bool {
        self.dirty.swap(false, Ordering::Relaxed)
    }

    /// Every cookie of every session, as JSON: `[{"session": ..., "site": ..., "cookies":
    /// [...]}]`, each site's cookies in `cookie_store`'s own form.
    pub(crate) fn save(&self) -> Vec<u8> {
        let sites = self.sites.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        for key in &sites.order {
            let Some(store) = sites.stores.get(key) else {
                continue;
            };
            let mut cookies = Vec::new();
            if cookie_store::serde::json::save_incl_expired_and_nonpersistent(store, &mut cookies)
                .is_err()
            {
                continue;
            }
            let Ok(cookies) = serde_json::from_slice::<serde_json::Value>(&cookies) else {
                continue;
            };
            out.push(serde_json::json!({
                "session": key.0.as_deref(),
                "site": &*key.1,
                "cookies": cookies,
            }));
        }
        serde_json::to_vec(&out).unwrap_or_default()
    }

    /// The jars [`save`](Self::save) wrote.
    pub(crate) fn load(bytes: &[u8]) -> Result<CookieJars, String> {
        #[derive(serde::Deserialize)]
        struct Saved {
            session: Option<String>,
            site: String,
            cookies: serde_json::Value,
        }
        let saved: Vec<Saved> =
            serde_json::from_slice(bytes).map_err(|e| format!("saved cookies: {e}"))?;
        let jars = CookieJars::default();
        {
            let mut sites = jars.sites.lock().unwrap_or_else(|e| e.into_inner());
            for s in saved {
                let text = serde_json::to_vec(&s.cookies).map_err(|e| e.to_string())?;
                let store = cookie_store::serde::json::load_all(&text[..])
                    .map_err(|e| format!("saved cookies of {}: {e}", s.site))?;
                let key: SiteKey = (s.session.map(Box::from), Box::from(s.site.as_str()));
                sites.order.push_back(key.clone());
                sites.stores.insert(key, store);
            }
            jars.any.store(!sites.stores.is_empty(), Ordering::Relaxed);
        }
        Ok(jars)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn set(jars: &CookieJars, from: &str, session: Option<&str>, cookies: &[&str]) {
        jars.store(&url(from), session, cookies.iter().map(|c| c.as_bytes()));
    }

    #[test]
    fn cookies_go_back_where_rfc_6265_sends_them() {
        let jars = CookieJars::default();
        assert_eq!(jars.header_for(&url("http://a.example.com/"), None), None);
        set(
            &jars,
            "http://a.example.com/",
            None,
            &[
                "host=1",
                "wide=2; Domain=example.com",
                "deep=3; Path=/x",
                "tls=4; Secure",
                "gone=5; Max-Age=0",
            ],
        );
        // No Path: the request path's directory.
        set(&jars, "http://a.example.com/y/page.html", None, &["dir=6"]);
        let h = |u: &str| jars.header_for(&url(u), None).unwrap_or_default();
        assert_eq!(h("http://a.example.com/"), "host=1; wide=2");
        assert_eq!(h("http://b.example.com/x/z"), "wide=2");
        assert_eq!(h("http://a.example.com/x/z"), "deep=3; host=1; wide=2");
        assert!(h("https://a.example.com/").contains("tls=4"));
        assert!(!h("http://a.example.com/").contains("tls=4"));
        assert_eq!(h("http://example.org/"), "");
        assert_eq!(h("http://badexample.com/"), "");
        assert!(!h("http://a.example.com/").contains("gone"));
        assert_eq!(h("http://a.example.com/y/other"), "dir=6; host=1; wide=2");
        assert_eq!(default_path(&url("http://a.test/a/b/c")), "/a/b");
        assert_eq!(default_path(&url("http://a.test/a")), "/");
    }

    #[test]
    fn a_public_suffix_is_no_cookie_domain() {
        let jars = CookieJars::default();
        set(
            &jars,
            "http://shop.example.co.uk/",
            None,
            &["a=1; Domain=co.uk", "b=2; Domain=.uk"],
        );
        set(
            &jars,
            "http://evil.github.io/",
            None,
            &["c=3; Domain=github.io"],
        );
        for to in [
            "http://other.co.uk/",
            "http://shop.example.co.uk/",
            "http://victim.github.io/",
            "http://evil.github.io/",
        ] {
            assert_eq!(jars.header_for(&url(to), None), None, "{to}");
        }
        // The suffix's own host may set a cookie for itself only.
        set(
            &jars,
            "http://localhost:8080/",
            None,
            &["d=4; Domain=localhost"],
        );
        assert_eq!(
            jars.header_for(&url("http://localhost:9/"), None)
                .as_deref(),
            Some("d=4")
        );
        assert_eq!(jars.header_for(&url("http://a.localhost/"), None), None);
    }

    #[test]
    fn sessions_have_jars_of_their_own() {
        let jars = CookieJars::default();
        set(&jars, "http://a.test/", Some("alice"), &["user=alice"]);
        set(&jars, "http://a.test/", Some("bob"), &["user=bob"]);
        let h = |s: Option<&str>| jars.header_for(&url("http://a.test/"), s);
        assert_eq!(h(Some("alice")).as_deref(), Some("user=alice"));
        assert_eq!(h(Some("bob")).as_deref(), Some("user=bob"));
        assert_eq!(h(None), None);
    }

    #[test]
    fn bounded_per_site_and_in_sites() {
        let jars = CookieJars::default();
        let many: Vec<String> = (0..MAX_PER_SITE + 20).map(|i| format!("c{i}=v")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        set(&jars, "http://a.test/", None, &many);
        let header = jars.header_for(&url("http://a.test/"), None).unwrap();
        assert_eq!(header.split("; ").count(), MAX_PER_SITE);
        // An update of a kept cookie still goes in.
        set(&jars, "http://a.test/", None, &["c0=new"]);
        assert!(
            jars.header_for(&url("http://a.test/"), None)
                .unwrap()
                .contains("c0=new")
        );
        for i in 0..MAX_SITES + 1 {
            set(&jars, &format!("http://s{i}.test/"), None, &["x=1"]);
        }
        assert_eq!(
            jars.header_for(&url("http://a.test/"), None),
            None,
            "the oldest site went"
        );
        assert!(
            jars.header_for(&url(&format!("http://s{MAX_SITES}.test/")), None)
                .is_some()
        );
    }

    #[test]
    fn jars_survive_save_and_load_and_garbage_is_refused() {
        let jars = CookieJars::default();
        set(&jars, "http://a.test/", None, &["sid=1"]);
        set(&jars, "http://a.test/", Some("s"), &["sid=2; Max-Age=3600"]);
        assert!(jars.take_dirty() && !jars.take_dirty());
        let back = CookieJars::load(&jars.save()).unwrap();
        assert_eq!(
            back.header_for(&url("http://a.test/"), None).as_deref(),
            Some("sid=1")
        );
        assert_eq!(
            back.header_for(&url("http://a.test/"), Some("s"))
                .as_deref(),
            Some("sid=2")
        );
        assert!(CookieJars::load(b"not json").is_err());
        assert!(CookieJars::load(br#"[{"session":null,"site":"a","cookies":7}]"#).is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_set_cookie_is_kept_or_ignored_without_a_panic(
            values in proptest::collection::vec(proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80), 0..4),
            host in "[a-z]{1,8}(\\.[a-z]{2,3}){0,2}",
        ) {
            let jars = CookieJars::default();
            let u = url(&format!("http://{host}/p/q"));
            jars.store(&u, None, values.iter().map(Vec::as_slice));
            if let Some(h) = jars.header_for(&u, None) {
                proptest::prop_assert!(!h.contains('\n') && !h.contains('\r'));
            }
            let _ = CookieJars::load(&jars.save());
        }
    }

    #[test]
    fn malformed_set_cookie_values_are_ignored() {
        let jars = CookieJars::default();
        let bad: [&[u8]; 4] = [b"", b"=novalue", b"\xff\xfe=1", b"; Domain=a.test"];
        jars.store(&url("http://a.test/"), None, bad.into_iter());
        assert_eq!(jars.header_for(&url("http://a.test/"), None), None);
    }
}
