//! The proxy flags, and how they map onto the builder. The environment's proxies
//! (`http_proxy`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`, as curl reads them) are used
//! unless a flag names proxies or hosts to go direct.

use clap::{Args, ValueEnum};
use trawler::{CrawlConfigBuilder, Rotation};

/// `trawler crawl`'s proxy flags.
#[derive(Debug, Args)]
pub(crate) struct ProxyArgs {
    /// Send every request through this proxy: http://[USER:PASS@]HOST[:PORT], socks5://
    /// or socks5h:// (names resolved by the proxy). Repeat for a pool. Overrides the
    /// http_proxy, HTTPS_PROXY and ALL_PROXY variables.
    #[arg(long = "proxy", value_name = "URL")]
    pub(crate) proxies: Vec<String>,
    /// Add the proxies listed in FILE (one URL per line; blank lines and # comments
    /// skipped) to the pool.
    #[arg(long, value_name = "FILE", value_parser = proxy_list)]
    pub(crate) proxy_list: Option<ProxyList>,
    /// How the pool's proxies are handed out to new connections.
    #[arg(long, value_name = "HOW", default_value = "round-robin")]
    pub(crate) proxy_rotation: RotationArg,
    /// Requests to hosts matching PATTERN go through PROXY ("direct" for none); the first
    /// matching rule wins. PATTERN as in --no-proxy. May be repeated.
    #[arg(long = "proxy-rule", value_name = "PATTERN=PROXY", value_parser = rule)]
    pub(crate) rules: Vec<(String, String)>,
    /// Hosts that go direct: a comma-separated list of names (covering their subdomains),
    /// IP addresses, networks (10.0.0.0/8), or * for all. Overrides NO_PROXY.
    #[arg(long, value_name = "LIST")]
    pub(crate) no_proxy: Vec<String>,
}

/// `--proxy-rotation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RotationArg {
    /// Each new connection takes the next proxy.
    RoundRobin,
    /// Every connection to one host goes through the same proxy.
    StickyHost,
}

impl ProxyArgs {
    /// The builder with these flags applied.
    pub(crate) fn apply(&self, mut b: CrawlConfigBuilder) -> CrawlConfigBuilder {
        let listed = self.proxy_list.iter().flat_map(|l| &l.0);
        for p in self.proxies.iter().chain(listed) {
            b = b.proxy(p.as_str());
        }
        for (pattern, proxy) in &self.rules {
            b = b.proxy_rule(pattern.as_str(), proxy.as_str());
        }
        for list in &self.no_proxy {
            b = b.no_proxy(list.as_str());
        }
        b.proxy_rotation(match self.proxy_rotation {
            RotationArg::RoundRobin => Rotation::RoundRobin,
            RotationArg::StickyHost => Rotation::StickyPerHost,
        })
        .proxy_from_env()
    }
}

/// The proxy URLs of a `--proxy-list` file.
#[derive(Debug, Clone)]
pub(crate) struct ProxyList(Vec<String>);

/// Reads a `--proxy-list` file.
fn proxy_list(path: &str) -> Result<ProxyList, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let proxies: Vec<String> = (text.lines())
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    match proxies.is_empty() {
        true => Err(format!("{path} lists no proxy")),
        false => Ok(ProxyList(proxies)),
    }
}

/// `PATTERN=PROXY`.
fn rule(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((pattern, proxy)) if !pattern.trim().is_empty() && !proxy.trim().is_empty() => {
            Ok((pattern.trim().to_string(), proxy.trim().to_string()))
        }
        _ => Err(format!("{s:?} is not PATTERN=PROXY (or PATTERN=direct)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_rules_parse_or_say_why_not() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("proxies.txt");
        std::fs::write(&list, "# pool\nhttp://a:1\n\n  socks5h://b:2  # second\n").unwrap();
        let read = proxy_list(list.to_str().unwrap()).unwrap().0;
        assert_eq!(read, ["http://a:1", "socks5h://b:2"]);
        std::fs::write(&list, "# nothing\n").unwrap();
        assert!(
            proxy_list(list.to_str().unwrap())
                .unwrap_err()
                .contains("no proxy")
        );
        assert!(
            proxy_list("/nonexistent/list")
                .unwrap_err()
                .contains("cannot read")
        );
        assert_eq!(
            rule("*.corp=direct").unwrap(),
            ("*.corp".into(), "direct".into())
        );
        assert!(rule("=http://p:1").is_err());
        assert!(rule("host").is_err());
    }
}
