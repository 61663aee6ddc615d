//! Library errors worded for the command line: a setting is named by the flag that sets it
//! (`--rate`, not `per_host_rate`), a seed is a "start URL".
//!
//! The library's [`ConfigError`] says which builder setting it is about
//! ([`ConfigError::setting`]) and starts its message with that name, so only the name is
//! swapped here; the rest of the message is the library's own, never rewritten.

use trawler::ConfigError;

/// The builder settings the flags set, each with its flag (or name on the command line).
const FLAGS: [(&str, &str); 18] = [
    ("seed URL", "start URL"),
    ("concurrency", "--concurrency"),
    ("per_host_concurrency", "--per-host-concurrency"),
    ("workers", "--workers"),
    ("max_body", "--max-body"),
    ("request_timeout", "--timeout"),
    ("per_host_rate", "--rate"),
    ("user_agent", "--user-agent"),
    ("include", "--include"),
    ("exclude", "--exclude"),
    ("allow_host", "--allow-host"),
    ("max_duration", "--max-time"),
    ("header", "--header"),
    ("cookie", "--cookie"),
    ("basic_auth", "--basic-auth"),
    ("proxy_rule", "--proxy-rule"),
    ("no_proxy", "--no-proxy"),
    ("proxy", "--proxy"),
];

/// The message of a configuration error, naming the flag instead of the setting.
pub(crate) fn config_error(e: &ConfigError) -> String {
    if *e == ConfigError::NoSeeds {
        return "no start URL given (trawler crawl URL...)".to_string();
    }
    let message = e.to_string();
    if e.setting().is_some() {
        for (setting, flag) in FLAGS {
            if let Some(rest) = message.strip_prefix(setting)
                && rest.starts_with(' ')
            {
                return format!("{flag}{rest}");
            }
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Command};
    use crate::settings::crawl_config;
    use clap::Parser;

    fn error(flags: &[&str]) -> String {
        let argv = ["trawler", "crawl"].iter().chain(flags);
        let Command::Crawl(args) = Cli::try_parse_from(argv).unwrap().command else {
            panic!("not a crawl")
        };
        config_error(&crawl_config(&args).build().unwrap_err())
    }

    #[test]
    fn each_setting_a_flag_sets_is_named_by_that_flag() {
        let seed = "http://a.test/";
        for (flags, start) in [
            (&[seed, "--rate", "0"][..], "--rate must be"),
            (&[seed, "-c", "0"], "--concurrency must be"),
            (
                &[seed, "--per-host-concurrency", "0"],
                "--per-host-concurrency must",
            ),
            (&[seed, "--workers", "0"], "--workers must"),
            (&[seed, "--workers", "100000"], "--workers must be at most"),
            (&[seed, "--max-body", "0"], "--max-body must"),
            (&[seed, "--user-agent", "a\nb"], "--user-agent \"a\\nb\""),
            (&[seed, "--include", "("], "--include pattern \"(\""),
            (&[seed, "--exclude", "["], "--exclude pattern"),
            (&[seed, "--allow-host", "a b"], "--allow-host \"a b\""),
            (
                &[seed, "--proxy", "ftp://p:1"],
                "--proxy \"ftp://p:1\" cannot",
            ),
            (
                &[seed, "--proxy-rule", "a b=direct"],
                "--proxy-rule pattern \"a b\"",
            ),
            (&[seed, "--no-proxy", "x/8"], "--no-proxy pattern \"x/8\""),
            (
                &["localhost:8080/x"],
                "start URL \"localhost:8080/x\" has no scheme",
            ),
            (
                &["/srv/site/index.html"],
                "start URL \"/srv/site/index.html\" is a file path",
            ),
        ] {
            let message = error(flags);
            assert!(message.starts_with(start), "{flags:?}: {message}");
            for field in ["per_host", "user_agent", "max_body", "seed"] {
                assert!(!message.contains(field), "{flags:?}: {message}");
            }
        }
        assert!(error(&[]).starts_with("no start URL given"));
    }
}
