//! The crawl's own request headers: those sent to every host, and the credentials sent
//! to the start URLs' origins only.
//!
//! Made once, when the configuration is built, from
//! [`header`](crate::CrawlConfigBuilder::header), [`basic_auth`](crate::CrawlConfigBuilder::basic_auth),
//! [`cookie`](crate::CrawlConfigBuilder::cookie) and the seeds' own `user:password@`.
//! Credentials (`Authorization`, `Proxy-Authorization`, `Cookie`) go to an origin (scheme,
//! host and port) that a start URL names, never to another one: a link or a redirect to
//! another host gets none, since every hop of a redirect is a request of its own, judged
//! by its own URL. Every request the crawler makes carries them, robots.txt and sitemaps
//! included; a request hook's header of the same name wins.

use crate::error::ConfigError;
use crate::headers::Headers;
use url::Url;

/// Header names that carry credentials: sent to the start URLs' origins only.
const CREDENTIALS: [&str; 3] = ["authorization", "proxy-authorization", "cookie"];

/// What the builder was given, to be checked and sorted out.
#[derive(Debug, Clone, Default)]
pub(super) struct Given {
    pub(super) headers: Vec<(String, String)>,
    pub(super) basic_auth: Option<(String, String)>,
    pub(super) cookies: Vec<String>,
}

/// The headers every request of the crawl carries, by where it goes.
#[derive(Clone, Default)]
pub(crate) struct RequestHeaders {
    /// Sent to every host.
    all: Headers,
    /// Sent to one origin (`scheme://host:port`) only.
    origins: Vec<(String, Headers)>,
}

impl std::fmt::Debug for RequestHeaders {
    /// Names only: values may be credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = |h: &Headers| h.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>();
        let origins: Vec<_> = (self.origins.iter()).map(|(o, h)| (o, names(h))).collect();
        f.debug_struct("RequestHeaders")
            .field("all", &names(&self.all))
            .field("origins", &origins)
            .finish()
    }
}

impl RequestHeaders {
    /// Sorts out `given` for `seeds` (their `user:password@` already taken out, as
    /// `credentials`: `(origin, user, password)`, each winning over `basic_auth` for its
    /// origin).
    pub(super) fn new(
        given: &Given,
        seeds: &[Url],
        credentials: &[(String, String, String)],
    ) -> Result<Self, ConfigError> {
        let bad = |field: &'static str, header: String| ConfigError::BadHeader { field, header };
        let mut all = Headers::new();
        let mut for_origins = Headers::new();
        for (name, value) in &given.headers {
            let target = match CREDENTIALS.contains(&name.to_ascii_lowercase().as_str()) {
                true => &mut for_origins,
                false => &mut all,
            };
            (target.set(name, value)).map_err(|_| bad("header", format!("{name}: {value}")))?;
        }
        if !given.cookies.is_empty() {
            for c in &given.cookies {
                let named = c.split_once('=').is_some_and(|(n, _)| !n.trim().is_empty());
                if !named || c.contains(';') {
                    return Err(bad("cookie", c.clone()));
                }
            }
            let cookies = given.cookies.join("; ");
            (for_origins.set("cookie", &cookies)).map_err(|_| bad("cookie", cookies.clone()))?;
        }
        let basic = |user: &str, password: &str| {
            use base64::Engine as _;
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            format!("Basic {token}")
        };
        if let Some((user, password)) = &given.basic_auth {
            (for_origins.set("authorization", &basic(user, password)))
                .map_err(|_| bad("basic_auth", user.clone()))?;
        }
        let mut origins: Vec<(String, Headers)> = Vec::new();
        for seed in seeds {
            let Some(origin) = crate::canon::host_key(seed) else {
                continue;
            };
            if origins.iter().any(|(o, _)| *o == origin) {
                continue;
            }
            let mut headers = for_origins.clone();
            if let Some((_, user, password)) = credentials.iter().find(|(o, _, _)| *o == origin) {
                // A start URL's own `user:password@` wins for its origin.
                let _ = headers.set("authorization", &basic(user, password));
            }
            if !headers.is_empty() {
                origins.push((origin, headers));
            }
        }
        Ok(RequestHeaders { all, origins })
    }

    /// Whether there is nothing to add to any request.
    pub(crate) fn is_empty(&self) -> bool {
        self.all.is_empty() && self.origins.is_empty()
    }

    /// Adds to `headers` what a request to `url` carries, unless `headers` has a field of
    /// that name already (a request hook's wins).
    pub(crate) fn add_to(&self, url: &Url, headers: &mut Headers) {
        if self.is_empty() {
            return;
        }
        let origin = match self.origins.is_empty() {
            true => None,
            false => crate::canon::host_key(url),
        };
        let own = (self.origins.iter())
            .find(|(o, _)| Some(o) == origin.as_ref())
            .map(|(_, h)| h);
        for (name, value) in self
            .all
            .iter()
            .chain(own.into_iter().flat_map(Headers::iter))
        {
            if !headers.contains(name)
                && let Ok(value) = std::str::from_utf8(value)
            {
                // Checked when the configuration was built.
                let _ = headers.set(name, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn sent(r: &RequestHeaders, to: &str) -> Vec<(String, String)> {
        let mut h = Headers::new();
        r.add_to(&url(to), &mut h);
        let mut v: Vec<(String, String)> = (h.iter())
            .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v).into_owned()))
            .collect();
        v.sort();
        v
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn credentials_go_to_the_start_origins_and_the_rest_everywhere() {
        let given = Given {
            headers: pairs(&[("X-Trace", "t1"), ("Cookie", "pref=dark")]),
            basic_auth: Some(("user".into(), "secret".into())),
            cookies: vec!["session=abc".into()],
        };
        let seeds = [url("http://a.test/"), url("https://b.test:8443/x")];
        let own = [(
            "https://b.test:8443".to_string(),
            "u2".to_string(),
            "p2".to_string(),
        )];
        let r = RequestHeaders::new(&given, &seeds, &own).unwrap();
        assert_eq!(
            sent(&r, "http://a.test/page"),
            pairs(&[
                ("authorization", "Basic dXNlcjpzZWNyZXQ="),
                ("cookie", "session=abc"),
                ("x-trace", "t1"),
            ]),
            "the cookie option replaces a Cookie header given as a header"
        );
        assert_eq!(
            sent(&r, "https://b.test:8443/y")[0],
            ("authorization".into(), "Basic dTI6cDI=".into()),
            "a start URL's own credentials win"
        );
        for elsewhere in [
            "http://c.test/",
            "https://a.test/",
            "http://a.test:8080/",
            "http://sub.a.test/",
        ] {
            assert_eq!(
                sent(&r, elsewhere),
                pairs(&[("x-trace", "t1")]),
                "{elsewhere}"
            );
        }
        // A hook's header of the same name wins.
        let mut h = Headers::new();
        h.set("x-trace", "mine").unwrap();
        r.add_to(&url("http://c.test/"), &mut h);
        assert_eq!(h.get("x-trace"), Some("mine"));
    }

    #[test]
    fn headers_that_cannot_be_sent_are_refused() {
        let seeds = [url("http://a.test/")];
        let refused = |given: Given| RequestHeaders::new(&given, &seeds, &[]).unwrap_err();
        let header = |n: &str, v: &str| Given {
            headers: pairs(&[(n, v)]),
            ..Given::default()
        };
        for (n, v) in [("Bad Name", "v"), ("", "v"), ("X-A", "line\nbreak")] {
            assert!(matches!(
                refused(header(n, v)),
                ConfigError::BadHeader {
                    field: "header",
                    ..
                }
            ));
        }
        for c in ["novalue", "=v", "a=b; c=d"] {
            let given = Given {
                cookies: vec![c.into()],
                ..Given::default()
            };
            assert!(
                matches!(
                    refused(given),
                    ConfigError::BadHeader {
                        field: "cookie",
                        ..
                    }
                ),
                "{c}"
            );
        }
        let given = Given {
            basic_auth: Some(("us\ner".into(), "p".into())),
            ..Given::default()
        };
        // Base64 makes any user and password sendable.
        assert!(RequestHeaders::new(&given, &seeds, &[]).is_ok());
    }
}
