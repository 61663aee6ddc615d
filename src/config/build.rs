//! Turning a [`CrawlConfigBuilder`] into a [`CrawlConfig`]: every value checked at once,
//! credentials taken out of the seeds, the scope compiled. Kept apart from the setters so
//! the builder reads as the list of knobs and this file as the list of rules.

use super::{CrawlConfig, CrawlConfigBuilder, MAX_CONCURRENCY, MAX_WORKERS, MIN_RATE, checks};
use crate::error::ConfigError;
use crate::robots_meta::DirectiveRules;
use crate::scope::{HostRule, Scope};
use std::time::Duration;
use url::Url;

impl CrawlConfigBuilder {
    /// Checks every value and returns the configuration.
    pub fn build(self) -> Result<CrawlConfig, ConfigError> {
        if self.seeds.is_empty() {
            return Err(ConfigError::NoSeeds);
        }
        let mut seeds = self
            .seeds
            .iter()
            .map(|s| checks::parse_seed(s))
            .collect::<Result<Vec<_>, _>>()?;
        let credentials = take_credentials(&mut seeds);
        let request_headers =
            super::RequestHeaders::new(&self.request_headers, &seeds, &credentials)?;
        let proxies = self.proxies.table(|name| std::env::var(name).ok())?;
        checks::counts(&[
            ("concurrency", self.concurrency, MAX_CONCURRENCY),
            (
                "per_host_concurrency",
                self.per_host_concurrency,
                MAX_CONCURRENCY,
            ),
            ("workers", self.workers.unwrap_or(1), MAX_WORKERS),
            ("max_body", self.max_body, usize::MAX),
            ("max_url_len", self.max_url_len, usize::MAX),
        ])?;
        let retry = &self.retry;
        checks::durations(&[
            ("request_timeout", self.request_timeout, true),
            ("connect_timeout", self.connect_timeout, true),
            ("crawl_delay_cap", self.crawl_delay_cap, false),
            ("robots_max_age", self.robots_max_age, true),
            (
                "max_duration",
                self.max_duration.unwrap_or(Duration::from_secs(1)),
                true,
            ),
            ("retry base_delay", retry.base_delay, false),
            ("retry max_delay", retry.max_delay, false),
            ("retry retry_after_cap", retry.retry_after_cap, false),
        ])?;
        for (field, rate) in [
            ("per_host_rate", self.per_host_rate),
            ("global_rate", self.global_rate),
        ] {
            if let Some(r) = rate {
                checks::rate(field, r, MIN_RATE)?;
            }
        }
        if let Some(t) = &self.throttle {
            checks::rate("target_concurrency", t.target_concurrency, 0.0)?;
            checks::durations(&[
                ("throttle start_delay", t.start_delay, false),
                ("throttle max_delay", t.max_delay, false),
            ])?;
        }
        checks::header_value("user_agent", &self.user_agent)?;
        for der in &self.extra_roots {
            crate::tls::check_root(der)?;
        }
        let hosts = match &self.allowed_hosts {
            None => seeds.iter().filter_map(HostRule::exact_of).collect(),
            Some(list) => list
                .iter()
                .map(|h| HostRule::parse(h))
                .collect::<Result<Vec<_>, _>>()?,
        };
        let scope = Scope {
            hosts,
            include: checks::compile("include", &self.include)?,
            exclude: checks::compile("exclude", &self.exclude)?,
            max_depth: self.max_depth,
            max_url_len: self.max_url_len,
            traps: self.traps,
            directives: DirectiveRules {
                agent: crate::politeness::robots::agent_token(&self.user_agent),
                ..self.directives
            },
        };
        if self.traps.max_segment_repeats < 2 {
            return Err(ConfigError::TooSmall {
                field: "max_segment_repeats",
                min: 2,
            });
        }
        let workers = self.workers.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        });
        Ok(CrawlConfig {
            seeds,
            concurrency: self.concurrency,
            per_host_concurrency: self.per_host_concurrency,
            workers,
            pin_workers: self.pin_workers,
            per_host_rate: self.per_host_rate,
            global_rate: self.global_rate,
            request_timeout: self.request_timeout,
            connect_timeout: self.connect_timeout,
            max_body: self.max_body,
            max_redirects: self.max_redirects,
            retry: self.retry,
            user_agent: self.user_agent,
            max_pages: self.max_pages,
            follow: self.follow,
            sort_query: self.sort_query,
            collect_outcomes: self.collect_outcomes,
            scope,
            max_pages_per_host: self.max_pages_per_host,
            extra_roots: self.extra_roots,
            robots: self.robots,
            crawl_delay_cap: self.crawl_delay_cap,
            robots_max_age: self.robots_max_age,
            sitemaps: self.sitemaps,
            throttle: self.throttle,
            request_headers,
            proxies,
            cookies: self.cookies,
            http2: self.http2,
            continue_other_crawl: self.continue_other_crawl,
            max_duration: self.max_duration,
        })
    }
}

/// Takes `user:password@` out of the seeds, as `(origin, user, password)`, decoded.
fn take_credentials(seeds: &mut [Url]) -> Vec<(String, String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let mut out = Vec::new();
    for url in seeds {
        if url.username().is_empty() && url.password().is_none() {
            continue;
        }
        if let Some(origin) = crate::canon::host_key(url) {
            out.push((
                origin,
                decode(url.username()),
                decode(url.password().unwrap_or("")),
            ));
        }
        let _ = url.set_username("");
        let _ = url.set_password(None);
    }
    out
}
