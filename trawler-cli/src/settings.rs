//! Turns `trawler crawl` flags into a [`CrawlConfigBuilder`]: the CLI's few defaults that
//! differ from the library's, in one place.
//!
//! The CLI keeps the library's defaults, politeness included: `--concurrency N` raises the
//! crawl's total, and each host still gets at most 8 requests at once unless
//! `--per-host-concurrency` says otherwise. One choice is the CLI's own: `--allow-host`
//! adds to the start URLs' hosts instead of replacing them, so naming one more host never
//! silently drops the site being crawled.

use crate::args::CrawlArgs;
use trawler::CrawlConfigBuilder;
use trawler::prelude::*;

/// The configuration the flags ask for; `build()` on it does all the checking.
pub(crate) fn crawl_config(args: &CrawlArgs) -> CrawlConfigBuilder {
    let seeds: Vec<&String> = args.urls.iter().chain(&args.start).collect();
    let mut b = CrawlConfig::builder().seeds(seeds.iter().map(|s| s.as_str()));
    if let Some(c) = args.concurrency {
        b = b.concurrency(c);
    }
    if let Some(per_host) = args.per_host_concurrency {
        b = b.per_host_concurrency(per_host);
    }
    if let Some(n) = args.workers {
        b = b.workers(n);
    }
    if args.pin_workers {
        b = b.pin_workers(true);
    }
    if let Some(d) = args.max_depth {
        b = b.max_depth(d);
    }
    if let Some(n) = args.max_pages {
        b = b.max_pages(n);
    }
    if let Some(t) = args.max_time {
        b = b.max_duration(t);
    }
    if args.continue_other {
        b = b.continue_other_crawl(true);
    }
    if let Some(r) = args.rate {
        b = b.per_host_rate(r);
    }
    if let Some(t) = args.timeout {
        b = b.request_timeout(t);
    }
    if let Some(n) = args.retries {
        b = b.retries(n);
    }
    if let Some(n) = args.max_body {
        b = b.max_body(n);
    }
    for (name, value) in &args.headers {
        b = b.header(name.as_str(), value.as_str());
    }
    if let Some((user, password)) = &args.basic_auth {
        b = b.basic_auth(user.as_str(), password.as_str());
    }
    for c in &args.cookies {
        b = b.cookie(c.as_str());
    }
    if let Some(ua) = &args.user_agent {
        b = b.user_agent(ua.as_str());
    }
    if !args.allow_host.is_empty() {
        // An unparsable seed yields no origin here; `build()` reports it properly.
        for origin in seeds.iter().filter_map(|s| origin_of(s)) {
            b = b.allow_host(origin);
        }
        for host in &args.allow_host {
            b = b.allow_host(host.as_str());
        }
    }
    for re in &args.include {
        b = b.include(re.as_str());
    }
    for re in &args.exclude {
        b = b.exclude(re.as_str());
    }
    if args.no_robots {
        b = b.robots(false);
    }
    if args.sitemaps {
        b = b.sitemaps(true);
    }
    if args.adaptive_throttle {
        b = b.adaptive_throttle(ThrottleConfig::default());
    }
    if let Some(n) = args.max_pages_per_host {
        b = b.max_pages_per_host(n);
    }
    let b = args.proxy.apply(b);
    let b = args.connection.apply(b);
    args.directives.apply(b)
}

/// `host:port` of a URL, the form `allow_host` reads as "exactly this origin".
fn origin_of(url: &str) -> Option<String> {
    let u = Url::parse(url.trim()).ok()?;
    Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Command};
    use clap::Parser;

    fn config(flags: &[&str]) -> Result<CrawlConfig, ConfigError> {
        let argv = ["trawler", "crawl"].iter().chain(flags);
        let Command::Crawl(args) = Cli::try_parse_from(argv).unwrap().command else {
            panic!("not a crawl")
        };
        crawl_config(&args).build()
    }

    #[test]
    fn library_errors_come_through() {
        assert_eq!(config(&[]).unwrap_err(), ConfigError::NoSeeds);
        assert!(matches!(config(&["nope"]), Err(ConfigError::BadUrl { .. })));
        let bad_regex = config(&["http://a.test/", "--include", "("]);
        assert!(matches!(bad_regex, Err(ConfigError::BadRegex { .. })));
        let zero = config(&["http://a.test/", "--concurrency", "0"]);
        assert_eq!(
            zero.unwrap_err(),
            ConfigError::Zero {
                field: "concurrency"
            }
        );
        let rate = config(&["--start", "http://a.test/", "--rate=0"]);
        assert!(matches!(rate, Err(ConfigError::BadRate { .. })));
    }

    #[test]
    fn workers_are_pinned_only_when_asked() {
        let seed = "http://a.test/";
        assert!(!config(&[seed]).unwrap().pin_workers());
        let c = config(&[seed, "--workers", "3", "--pin-workers"]).unwrap();
        assert_eq!((c.workers(), c.pin_workers()), (3, true));
    }

    #[test]
    fn seeds_come_from_both_forms() {
        let c = config(&["http://a.test/", "--start", "http://b.test:8080/x"]).unwrap();
        let seeds: Vec<&str> = c.seeds().iter().map(Url::as_str).collect();
        assert_eq!(seeds, ["http://a.test/", "http://b.test:8080/x"]);
        assert_eq!(
            origin_of("http://b.test:8080/x").as_deref(),
            Some("b.test:8080")
        );
        assert_eq!(origin_of("https://[::1]/").as_deref(), Some("[::1]:443"));
        assert_eq!(origin_of("not a url"), None);
    }
}
