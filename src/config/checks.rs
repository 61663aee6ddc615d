//! What [`CrawlConfigBuilder::build`](super::CrawlConfigBuilder::build) checks value by value:
//! seed URLs (with a hint when one lacks its scheme or is a file path), header values, regexes,
//! and the bounds a running crawl relies on.
//!
//! Every value that ends up in a request or a timer is checked here, before any thread starts,
//! so no input can make a worker panic later: a header value with a line break would make the
//! HTTP client's request builder panic, a rate of 1e-30 per second would overflow the rate
//! limiter's period, and a retry delay of `Duration::MAX` would overflow the clock it is added
//! to.

use crate::error::ConfigError;
use awc::http::header::HeaderValue;
use regex::Regex;
use std::time::Duration;
use url::Url;

/// The longest duration any setting accepts (timeouts, delays, caps): one day. Longer waits
/// would only mean a crawl that never ends; timers far in the future also overflow clocks.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);
/// The lowest rate accepted, in requests per second: one request a day.
pub const MIN_RATE: f64 = 1.0 / (24.0 * 60.0 * 60.0);
/// The most requests in flight a crawl accepts (over all hosts, or per host).
pub const MAX_CONCURRENCY: usize = 1_000_000;
/// The most worker threads a crawl accepts.
pub const MAX_WORKERS: usize = 1024;

/// A URL as given, with any `user:password@` hidden, for messages.
fn redacted(s: &str) -> String {
    let Some((scheme, rest)) = s.split_once("://") else {
        return s.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => s.to_string(),
    }
}

/// Parses a seed: an absolute http(s) URL with a host. Messages never show the URL's
/// credentials.
pub(super) fn parse_seed(s: &str) -> Result<Url, ConfigError> {
    let text = s.trim();
    let url = match Url::parse(text) {
        Ok(url) => url,
        Err(url::ParseError::RelativeUrlWithoutBase) => return Err(schemeless(s)),
        Err(e) => {
            return Err(ConfigError::BadUrl {
                url: redacted(s),
                reason: e.to_string(),
            });
        }
    };
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        "file" => Err(ConfigError::FilePath { url: redacted(s) }),
        // `localhost:8080/x` parses as the scheme `localhost` followed by a port-like path.
        _ if url.path().starts_with(|c: char| c.is_ascii_digit()) && looks_like_host(text) => {
            Err(ConfigError::MissingScheme {
                url: redacted(s),
                suggestion: format!("http://{text}"),
            })
        }
        _ if is_windows_path(text) => Err(ConfigError::FilePath { url: redacted(s) }),
        _ => Err(ConfigError::UnsupportedScheme { url: redacted(s) }),
    }
}

/// The error for a seed that parses only as a relative URL: a host without its scheme, a file
/// path, or neither.
fn schemeless(s: &str) -> ConfigError {
    let text = s.trim();
    let path_like = text.starts_with(['/', '.', '~', '\\']) || is_windows_path(text);
    if path_like || (!text.is_empty() && std::path::Path::new(text).exists()) {
        return ConfigError::FilePath { url: s.to_string() };
    }
    if looks_like_host(text) {
        return ConfigError::MissingScheme {
            url: s.to_string(),
            suggestion: format!("http://{text}"),
        };
    }
    ConfigError::BadUrl {
        url: s.to_string(),
        reason: "not an absolute URL (it needs http:// or https:// in front)".to_string(),
    }
}

/// Whether `text` with `http://` in front names a plausible host: `localhost`, an IP
/// address, a dotted name, or anything with a port.
fn looks_like_host(text: &str) -> bool {
    let Ok(url) = Url::parse(&format!("http://{text}")) else {
        return false;
    };
    let Some(host) = url.host_str() else {
        return false;
    };
    url.port().is_some()
        || host == "localhost"
        || !matches!(url.host(), Some(url::Host::Domain(_)))
        || (host.contains('.') && !host.ends_with('.'))
}

/// `C:\site` or `C:/site`.
fn is_windows_path(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'\\' | b'/')
}

/// Compiles the patterns of the `field` setting (`include` or `exclude`).
pub(super) fn compile(field: &'static str, patterns: &[String]) -> Result<Vec<Regex>, ConfigError> {
    patterns
        .iter()
        .map(|p| {
            Regex::new(p).map_err(|e| ConfigError::BadRegex {
                field,
                pattern: p.clone(),
                reason: e.to_string(),
            })
        })
        .collect()
}

/// Checks that `value` can be sent as the value of an HTTP header.
pub(super) fn header_value(field: &'static str, value: &str) -> Result<(), ConfigError> {
    HeaderValue::from_str(value)
        .map(drop)
        .map_err(|_| ConfigError::BadHeaderValue {
            field,
            value: value.to_string(),
        })
}

/// Checks that each count is positive and at most its bound.
pub(super) fn counts(values: &[(&'static str, usize, usize)]) -> Result<(), ConfigError> {
    for &(field, value, max) in values {
        if value == 0 {
            return Err(ConfigError::Zero { field });
        }
        if value > max {
            return Err(ConfigError::TooLarge {
                field,
                max: max as u64,
            });
        }
    }
    Ok(())
}

/// Checks that each duration is at most [`MAX_DURATION`] (and, when `positive`, not zero).
pub(super) fn durations(values: &[(&'static str, Duration, bool)]) -> Result<(), ConfigError> {
    for &(field, value, positive) in values {
        if positive && value.is_zero() {
            return Err(ConfigError::Zero { field });
        }
        if value > MAX_DURATION {
            return Err(ConfigError::TooLong {
                field,
                max_secs: MAX_DURATION.as_secs(),
            });
        }
    }
    Ok(())
}

/// Checks that a rate is finite and at least `min` (a number, positive).
pub(super) fn rate(field: &'static str, value: f64, min: f64) -> Result<(), ConfigError> {
    if value.is_finite() && value >= min && value > 0.0 {
        return Ok(());
    }
    Err(ConfigError::BadRate {
        field,
        value: value.to_string(),
        bound: if min > 0.0 {
            format!("of at least {min:.7}")
        } else {
            "above 0".to_string()
        },
    })
}
