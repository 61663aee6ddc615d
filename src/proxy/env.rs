//! Proxies from the environment, read as curl reads them: `http_proxy` (lowercase only:
//! an uppercase `HTTP_PROXY` can be set by a request header in CGI programs) for http
//! URLs, `HTTPS_PROXY` or `https_proxy` for https URLs, `ALL_PROXY` or `all_proxy` for
//! both when the scheme's own is not set, and `NO_PROXY` or `no_proxy` for the hosts that
//! go direct. An empty variable counts as unset; lowercase wins over uppercase.

/// What the environment asks for (the texts, checked where they are used).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FromEnv {
    /// `(variable, proxy URL)` for http URLs.
    pub(crate) http: Option<(&'static str, String)>,
    /// `(variable, proxy URL)` for https URLs.
    pub(crate) https: Option<(&'static str, String)>,
    /// `(variable, comma-separated host patterns)`.
    pub(crate) no_proxy: Option<(&'static str, String)>,
}

/// Reads the proxy variables through `get` (`std::env::var` in a crawl).
pub(crate) fn from_env(get: impl Fn(&str) -> Option<String>) -> FromEnv {
    let first = |names: &[&'static str]| {
        names.iter().find_map(|&n| {
            get(n)
                .filter(|v| !v.trim().is_empty())
                .map(|v| (n, v.trim().to_string()))
        })
    };
    let all = first(&["all_proxy", "ALL_PROXY"]);
    FromEnv {
        http: first(&["http_proxy"]).or_else(|| all.clone()),
        https: first(&["https_proxy", "HTTPS_PROXY"]).or(all),
        no_proxy: first(&["no_proxy", "NO_PROXY"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> FromEnv {
        from_env(|name| {
            (vars.iter())
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn variables_are_read_as_curl_reads_them() {
        assert_eq!(env(&[]), FromEnv::default());
        let e = env(&[
            ("HTTP_PROXY", "http://cgi:1"),
            ("ALL_PROXY", "socks5h://all:2"),
        ]);
        assert_eq!(e.http, Some(("ALL_PROXY", "socks5h://all:2".into())));
        assert_eq!(e.https, Some(("ALL_PROXY", "socks5h://all:2".into())));
        let e = env(&[
            ("http_proxy", "http://h:1"),
            ("HTTPS_PROXY", "http://S:2"),
            ("https_proxy", "http://s:2"),
            ("NO_PROXY", "localhost"),
            ("no_proxy", " "),
        ]);
        assert_eq!(e.http, Some(("http_proxy", "http://h:1".into())));
        assert_eq!(e.https, Some(("https_proxy", "http://s:2".into())));
        assert_eq!(e.no_proxy, Some(("NO_PROXY", "localhost".into())));
    }
}
