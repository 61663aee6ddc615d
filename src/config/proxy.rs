//! The crawl's proxies, as the builder takes them: a pool for every request, rules per
//! host, hosts that go direct, the environment's variables, rotation and bench time.
//! Checked and turned into a routing table by `build` (see [`crate::proxy`]).

use super::CrawlConfigBuilder;
use crate::error::ConfigError;
use crate::proxy::routes::Table;
use crate::proxy::{HostPattern, Proxy, Rotation};
use std::time::Duration;

/// How long a proxy that failed sits out at first (doubled for each failure in a row, at
/// most 16 times; cleared by a success).
pub const DEFAULT_PROXY_BENCH: Duration = Duration::from_secs(30);

/// What the builder was given.
#[derive(Debug, Clone)]
pub(super) struct Given {
    pool: Vec<String>,
    rules: Vec<(String, String)>,
    no_proxy: Vec<String>,
    from_env: bool,
    rotation: Rotation,
    bench: Duration,
}

impl Default for Given {
    fn default() -> Self {
        Given {
            pool: Vec::new(),
            rules: Vec::new(),
            no_proxy: Vec::new(),
            from_env: false,
            rotation: Rotation::default(),
            bench: DEFAULT_PROXY_BENCH,
        }
    }
}

impl Given {
    /// Checks every proxy and pattern; reads the environment when asked to.
    pub(super) fn table(&self, env: impl Fn(&str) -> Option<String>) -> Result<Table, ConfigError> {
        let mut pool: Vec<Proxy> = (self.pool.iter())
            .map(|p| Proxy::parse(p))
            .collect::<Result<_, _>>()?;
        pool.dedup();
        let mut table = Table {
            http: pool.clone(),
            https: pool,
            rotation: self.rotation,
            bench: self.bench,
            ..Table::default()
        };
        for (pattern, target) in &self.rules {
            let proxy = match target.trim() {
                "direct" | "DIRECT" => None,
                p => Some(Proxy::parse(p)?),
            };
            table.rules.push((HostPattern::parse(pattern)?, proxy));
        }
        let no_proxy = |list: &str, from: &str| {
            HostPattern::parse_list(list).map_err(|e| match e {
                ConfigError::BadProxyRule { rule, reason, .. } => ConfigError::BadProxyRule {
                    field: "no_proxy",
                    rule,
                    reason: format!("{reason}{from}"),
                },
                other => other,
            })
        };
        for list in &self.no_proxy {
            table.no_proxy.extend(no_proxy(list, "")?);
        }
        if self.from_env {
            let env = crate::proxy::from_env(env);
            let read = |found: Option<(&'static str, String)>| -> Result<Vec<Proxy>, ConfigError> {
                let Some((name, text)) = found else {
                    return Ok(Vec::new());
                };
                Proxy::parse(&text).map(|p| vec![p]).map_err(|e| match e {
                    ConfigError::BadProxy { proxy, reason } => ConfigError::BadProxy {
                        proxy,
                        reason: format!("{reason} (from ${name})"),
                    },
                    other => other,
                })
            };
            // Proxies and `no_proxy` given to the builder win over the environment's.
            if table.http.is_empty() {
                table.http = read(env.http)?;
                table.https = read(env.https)?;
            }
            if let (true, Some((name, list))) = (self.no_proxy.is_empty(), env.no_proxy) {
                table.no_proxy = no_proxy(&list, &format!(" (from ${name})"))?;
            }
        }
        if self.bench.is_zero() {
            return Err(ConfigError::Zero {
                field: "proxy_bench",
            });
        }
        Ok(table)
    }
}

impl CrawlConfigBuilder {
    /// Sends every request through this proxy: `http://[user:password@]host[:port]` (CONNECT
    /// tunnels for https URLs, absolute-form requests for http ones), `socks5://` (names
    /// resolved here) or `socks5h://` (names resolved by the proxy); without a scheme,
    /// `http`; without a port, 1080. Called again, it adds to a pool the crawl's
    /// connections rotate over ([`proxy_rotation`](Self::proxy_rotation)); a proxy that
    /// fails is benched and the next one used. A request that goes through a proxy never
    /// goes around it: when no proxy of its pool works, it fails with
    /// [`FetchError::Proxy`](crate::FetchError::Proxy). Politeness stays per target host.
    /// A bad URL is refused by [`build`](Self::build) with
    /// [`ConfigError::BadProxy`](crate::error::ConfigError::BadProxy). By default, none.
    #[must_use]
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxies.pool.push(url.into());
        self
    }

    /// Requests to hosts matching `pattern` go through `proxy` (a proxy URL, as for
    /// [`proxy`](Self::proxy), or `"direct"`), whatever else is set: the first rule whose
    /// pattern matches wins, and rules with the same pattern make one pool. Patterns are
    /// curl's `NO_PROXY` ones: `*`, a name (which covers its subdomains; `.name` and
    /// `*.name` mean the same), an IP address or a network (`10.0.0.0/8`). By default,
    /// none.
    #[must_use]
    pub fn proxy_rule(mut self, pattern: impl Into<String>, proxy: impl Into<String>) -> Self {
        self.proxies.rules.push((pattern.into(), proxy.into()));
        self
    }

    /// Hosts that go direct, as a comma-separated list of patterns (curl's `NO_PROXY`,
    /// see [`proxy_rule`](Self::proxy_rule)); repeatable. Replaces the environment's
    /// `NO_PROXY`. By default, none.
    #[must_use]
    pub fn no_proxy(mut self, patterns: impl Into<String>) -> Self {
        self.proxies.no_proxy.push(patterns.into());
        self
    }

    /// Reads `http_proxy`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` (either case but
    /// `HTTP_PROXY`, as curl does) when [`build`](Self::build) runs; proxies and
    /// [`no_proxy`](Self::no_proxy) given to the builder win. By default, the environment
    /// is not read (the `trawler` command reads it).
    #[must_use]
    pub fn proxy_from_env(mut self) -> Self {
        self.proxies.from_env = true;
        self
    }

    /// How a pool's proxies are handed out to new connections. By default,
    /// [`Rotation::RoundRobin`].
    #[must_use]
    pub fn proxy_rotation(mut self, rotation: Rotation) -> Self {
        self.proxies.rotation = rotation;
        self
    }

    /// How long a proxy that failed sits out at first. By default, [`DEFAULT_PROXY_BENCH`].
    #[must_use]
    pub fn proxy_bench(mut self, bench: Duration) -> Self {
        self.proxies.bench = bench;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_builder_wins_over_the_environment() {
        let vars = &[("https_proxy", "http://env:1"), ("no_proxy", "a.test")];
        let mut g = Given {
            from_env: true,
            ..Given::default()
        };
        let t = g.table(env(vars)).unwrap();
        assert_eq!(t.https.len(), 1);
        assert!(t.http.is_empty());
        assert_eq!(t.no_proxy.len(), 1);
        g.pool.push("socks5h://mine:2".into());
        g.no_proxy.push("b.test,c.test".into());
        let t = g.table(env(vars)).unwrap();
        assert_eq!(t.https[0].to_string(), "socks5h://mine:2");
        assert_eq!(t.no_proxy.len(), 2);
    }

    #[test]
    fn a_bad_variable_is_named() {
        let g = Given {
            from_env: true,
            ..Given::default()
        };
        let e = g.table(env(&[("ALL_PROXY", "gopher://x:1")])).unwrap_err();
        assert!(e.to_string().contains("$ALL_PROXY"), "{e}");
        let rule = Given {
            rules: vec![("bad pattern".into(), "direct".into())],
            ..Given::default()
        };
        assert!(matches!(
            rule.table(env(&[])),
            Err(ConfigError::BadProxyRule { .. })
        ));
    }
}
