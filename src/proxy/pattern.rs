//! Host patterns for proxy rules and `NO_PROXY`, with curl's rules: `*` is every host;
//! a name matches itself and its subdomains (`example.com` and `.example.com` and
//! `*.example.com` all match `example.com` and `www.example.com`, never
//! `badexample.com`); an IP address matches itself, and `addr/bits` a whole network.
//! Names are compared without case.

use crate::error::ConfigError;
use std::net::IpAddr;

/// One host pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostPattern {
    /// Every host.
    Any,
    /// A name and its subdomains (lowercase, no leading dot).
    Domain(String),
    /// An address, or a network of `bits` leading bits.
    Net(IpAddr, u8),
}

impl HostPattern {
    /// Parses one pattern.
    pub(crate) fn parse(text: &str) -> Result<HostPattern, ConfigError> {
        let bad = |reason: &str| ConfigError::BadProxyRule {
            field: "proxy_rule",
            rule: text.to_string(),
            reason: reason.to_string(),
        };
        let t = text.trim();
        if t == "*" {
            return Ok(HostPattern::Any);
        }
        let (addr, bits) = match t.split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (t, None),
        };
        let bare = addr.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                None => max,
                Some(b) => match b.parse::<u8>() {
                    Ok(n) if n <= max => n,
                    _ => return Err(bad("the network's prefix length is out of range")),
                },
            };
            return Ok(HostPattern::Net(ip, bits));
        }
        if bits.is_some() {
            return Err(bad("a network needs an IP address"));
        }
        let name = t.trim_start_matches("*.").trim_start_matches('.');
        let valid = !name.is_empty()
            && (name.bytes())
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
        if !valid {
            return Err(bad("not a host name, an IP address, a network or *"));
        }
        Ok(HostPattern::Domain(name.to_ascii_lowercase()))
    }

    /// Parses a comma-separated list (`NO_PROXY`'s form); empty entries are skipped.
    pub(crate) fn parse_list(text: &str) -> Result<Vec<HostPattern>, ConfigError> {
        (text.split(','))
            .filter(|s| !s.trim().is_empty())
            .map(HostPattern::parse)
            .collect()
    }

    /// Whether `host` (as a URL gives it: a name, an IPv4 address, or a bracketed IPv6
    /// address) matches.
    pub(crate) fn matches(&self, host: &str) -> bool {
        match self {
            HostPattern::Any => true,
            HostPattern::Domain(d) => {
                let host = host.trim_end_matches('.');
                host.len() >= d.len()
                    && host[host.len() - d.len()..].eq_ignore_ascii_case(d)
                    && (host.len() == d.len() || host.as_bytes()[host.len() - d.len() - 1] == b'.')
            }
            HostPattern::Net(net, bits) => {
                let bare = host.trim_start_matches('[').trim_end_matches(']');
                bare.parse::<IpAddr>()
                    .is_ok_and(|ip| in_net(ip, *net, *bits))
            }
        }
    }
}

/// Whether `ip` is in the network `net/bits`.
fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    let prefix = |a: u128, b: u128, width: u32| {
        let bits = u32::from(bits);
        bits == 0 || (a ^ b) >> (width - bits) == 0
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            prefix(u128::from(u32::from(a)), u128::from(u32::from(b)), 32)
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => prefix(u128::from(a), u128::from(b), 128),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, host: &str) -> bool {
        HostPattern::parse(pattern).unwrap().matches(host)
    }

    #[test]
    fn names_match_themselves_and_their_subdomains_only() {
        for p in [
            "example.com",
            ".example.com",
            "*.example.com",
            "EXAMPLE.com",
        ] {
            assert!(m(p, "example.com"), "{p}");
            assert!(m(p, "www.Example.com"), "{p}");
            assert!(m(p, "a.b.example.com."), "{p}");
            assert!(!m(p, "badexample.com"), "{p}");
            assert!(!m(p, "example.com.evil"), "{p}");
        }
        assert!(m("*", "anything"));
    }

    #[test]
    fn addresses_and_networks() {
        assert!(m("127.0.0.1", "127.0.0.1"));
        assert!(!m("127.0.0.1", "127.0.0.2"));
        assert!(m("127.0.0.0/8", "127.200.0.1"));
        assert!(!m("10.0.0.0/8", "11.0.0.1"));
        assert!(m("0.0.0.0/0", "8.8.8.8"));
        assert!(m("::1", "[::1]"));
        assert!(m("[fe80::]/10", "[fe80::1]"));
        assert!(!m("::1", "127.0.0.1"));
        // An address pattern is no name pattern.
        assert!(!m("127.0.0.1", "x.127.0.0.1"));
    }

    #[test]
    fn bad_patterns_are_refused() {
        for bad in ["", "a b", "10.0.0.0/33", "host/8", "ex*mple.com", "::1/200"] {
            assert!(HostPattern::parse(bad).is_err(), "{bad}");
        }
        let list = HostPattern::parse_list("localhost, .internal,,10.0.0.0/8").unwrap();
        assert_eq!(list.len(), 3);
    }
}
