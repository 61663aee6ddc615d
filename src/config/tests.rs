//! Unit tests of the builder: defaults and typed errors.

use super::*;
use crate::error::ConfigError;
use crate::scope::HostRule;

#[test]
fn seed_credentials_are_kept_apart_and_never_shown() {
    let c = CrawlConfig::builder()
        .seed("http://us%20er:s%40cret@a.test:8080/x")
        .seed("http://b.test/")
        .build()
        .unwrap();
    assert_eq!(c.seeds[0].as_str(), "http://a.test:8080/x");
    // Sent as basic auth of `us er:s@cret` to that origin only.
    let sent = |url: &str| {
        let mut h = crate::headers::Headers::new();
        c.request_headers
            .add_to(&url::Url::parse(url).unwrap(), &mut h);
        h.get("authorization").map(str::to_string)
    };
    assert_eq!(
        sent("http://a.test:8080/y").as_deref(),
        Some("Basic dXMgZXI6c0BjcmV0")
    );
    assert_eq!(sent("http://b.test/"), None);
    let debug = format!("{c:?}");
    assert!(
        !debug.contains("dXMgZXI6") && !debug.contains("cret"),
        "{debug}"
    );
    let e = CrawlConfig::builder()
        .seed("ftp://u:secret@a.test/")
        .build()
        .unwrap_err();
    assert!(!e.to_string().contains("secret"), "{e}");
    let e = CrawlConfig::builder()
        .seed("http://u:secret@/")
        .build()
        .unwrap_err();
    assert!(!e.to_string().contains("secret"), "{e}");
}

/// The defaults are the numbers the README's configuration table and the setters' docs
/// promise, written out here as literals: a changed constant must fail this test, not
/// pass it by comparing with itself.
#[test]
fn defaults_are_the_documented_numbers() {
    let c = CrawlConfig::builder()
        .seed("http://127.0.0.1:1/")
        .build()
        .unwrap();
    assert_eq!(c.concurrency, 64);
    assert_eq!(c.per_host_concurrency, 8);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(c.workers, cpus, "one worker per CPU");
    assert_eq!((c.per_host_rate, c.global_rate), (None, None));
    assert_eq!(c.request_timeout, Duration::from_secs(30));
    assert_eq!(c.connect_timeout, Duration::from_secs(10));
    assert_eq!(c.max_body, 10_485_760, "10 MiB");
    assert_eq!(c.max_redirects, 10);
    assert_eq!(c.retry.max_retries, 2);
    assert_eq!(c.retry.base_delay, Duration::from_millis(500));
    assert_eq!(c.retry.max_delay, Duration::from_secs(30));
    assert_eq!(c.retry.retry_after_cap, Duration::from_secs(60));
    assert_eq!(
        c.retry.retry_statuses,
        [408, 429, 500, 502, 503, 504, 522, 524]
    );
    assert_eq!(
        c.user_agent,
        format!("trawler/{}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!((c.max_pages, c.scope.max_depth), (None, None));
    assert_eq!(c.scope.max_url_len, 2083);
    assert_eq!(c.max_pages_per_host, None);
    assert_eq!(c.scope.traps.max_segment_repeats, 3);
    assert_eq!(c.scope.traps.max_query_params, 16);
    assert_eq!(c.scope.traps.max_query_variants, 1000);
    assert!(c.scope.include.is_empty() && c.scope.exclude.is_empty());
    assert!(
        matches!(&c.scope.hosts[..], [HostRule::Exact { host, port: 1 }] if host == "127.0.0.1"),
        "only the seed's origin: {:?}",
        c.scope.hosts
    );
    assert_eq!(c.follow, FollowMode::AllLinks);
    assert!(!c.sort_query);
    assert!(!c.collect_outcomes);
    assert!(c.robots, "robots.txt obeyed");
    assert_eq!(c.crawl_delay_cap, Duration::from_secs(30));
    assert_eq!(c.robots_max_age, Duration::from_secs(24 * 60 * 60));
    assert!(!c.sitemaps);
    assert!(c.throttle.is_none(), "the adaptive throttle is opt-in");
    assert!(c.extra_roots.is_empty());
    let t = ThrottleConfig::default();
    assert_eq!(t.target_concurrency, 2.0);
    assert_eq!(t.start_delay, Duration::from_millis(250));
    assert_eq!(t.max_delay, Duration::from_secs(60));
}

#[test]
fn bad_input_is_a_typed_error() {
    let b = || CrawlConfig::builder().seed("http://a.test/");
    assert_eq!(
        CrawlConfig::builder().build().unwrap_err(),
        ConfigError::NoSeeds
    );
    assert!(matches!(
        CrawlConfig::builder().seed("not a url").build(),
        Err(ConfigError::BadUrl { .. })
    ));
    assert!(matches!(
        CrawlConfig::builder().seed("ftp://a.test/").build(),
        Err(ConfigError::UnsupportedScheme { .. })
    ));
    assert_eq!(
        b().concurrency(0).build().unwrap_err(),
        ConfigError::Zero {
            field: "concurrency"
        }
    );
    assert!(matches!(
        b().include("(").build(),
        Err(ConfigError::BadRegex { .. })
    ));
    assert!(matches!(
        b().per_host_rate(f64::NAN).build(),
        Err(ConfigError::BadRate { .. })
    ));
    assert!(matches!(
        b().allow_host("").build(),
        Err(ConfigError::BadHost { .. })
    ));
    assert!(matches!(
        b().request_timeout(Duration::ZERO).build(),
        Err(ConfigError::Zero { .. })
    ));
}

#[test]
fn a_user_agent_that_is_no_header_value_is_refused() {
    let b = || CrawlConfig::builder().seed("http://a.test/");
    for bad in ["a\nb", "a\rb", "tab\u{7f}", "nul\0"] {
        assert_eq!(
            b().user_agent(bad).build().unwrap_err(),
            ConfigError::BadHeaderValue {
                field: "user_agent",
                value: bad.to_string()
            },
            "{bad:?}"
        );
    }
    assert!(
        b().user_agent("my-bot/1.0 (+http://a.test/bot)")
            .build()
            .is_ok()
    );
}

#[test]
fn a_seed_without_scheme_or_a_file_path_gets_a_hint() {
    let err = |s: &str| CrawlConfig::builder().seed(s).build().unwrap_err();
    for (given, suggestion) in [
        ("localhost:8080/x", "http://localhost:8080/x"),
        ("127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("example.com/docs/", "http://example.com/docs/"),
        ("[::1]:3000", "http://[::1]:3000"),
    ] {
        assert_eq!(
            err(given),
            ConfigError::MissingScheme {
                url: given.into(),
                suggestion: suggestion.into()
            }
        );
        assert!(err(given).to_string().contains(suggestion));
    }
    for path in [
        "/srv/site/index.html",
        "./site",
        "../x.html",
        "C:\\site\\a.html",
        "file:///tmp/a.html",
    ] {
        assert_eq!(
            err(path),
            ConfigError::FilePath { url: path.into() },
            "{path}"
        );
        assert!(err(path).to_string().contains("http.server"));
    }
    // This crate's own manifest: an existing file named without any path prefix.
    let manifest = "Cargo.toml";
    if std::path::Path::new(manifest).exists() {
        assert_eq!(
            err(manifest),
            ConfigError::FilePath {
                url: manifest.into()
            }
        );
    }
    assert!(matches!(
        err("mailto:a@b.test"),
        ConfigError::UnsupportedScheme { .. }
    ));
    assert!(matches!(err("no host here"), ConfigError::BadUrl { .. }));
}

#[test]
fn values_a_running_crawl_cannot_use_are_refused() {
    let b = || CrawlConfig::builder().seed("http://a.test/");
    assert!(matches!(
        b().concurrency(MAX_CONCURRENCY + 1).build(),
        Err(ConfigError::TooLarge {
            field: "concurrency",
            ..
        })
    ));
    assert!(matches!(
        b().workers(MAX_WORKERS + 1).build(),
        Err(ConfigError::TooLarge {
            field: "workers",
            ..
        })
    ));
    assert!(matches!(
        b().per_host_rate(1e-30).build(),
        Err(ConfigError::BadRate {
            field: "per_host_rate",
            ..
        })
    ));
    assert!(b().per_host_rate(MIN_RATE).build().is_ok());
    assert!(matches!(
        b().request_timeout(Duration::MAX).build(),
        Err(ConfigError::TooLong {
            field: "request_timeout",
            ..
        })
    ));
    let policy = RetryPolicy {
        max_delay: Duration::MAX,
        ..RetryPolicy::default()
    };
    assert!(matches!(
        b().retry_policy(policy).build(),
        Err(ConfigError::TooLong {
            field: "retry max_delay",
            ..
        })
    ));
    assert!(matches!(
        b().crawl_delay_cap(MAX_DURATION + Duration::from_secs(1))
            .build(),
        Err(ConfigError::TooLong {
            field: "crawl_delay_cap",
            ..
        })
    ));
    assert!(matches!(
        b().robots_max_age(Duration::ZERO).build(),
        Err(ConfigError::Zero {
            field: "robots_max_age"
        })
    ));
    assert!(matches!(
        b().robots_max_age(MAX_DURATION + Duration::from_secs(1))
            .build(),
        Err(ConfigError::TooLong {
            field: "robots_max_age",
            ..
        })
    ));
    let throttle = ThrottleConfig {
        max_delay: Duration::MAX,
        ..ThrottleConfig::default()
    };
    assert!(matches!(
        b().adaptive_throttle(throttle).build(),
        Err(ConfigError::TooLong {
            field: "throttle max_delay",
            ..
        })
    ));
}

#[test]
fn each_setting_error_names_its_setting_first() {
    let b = || CrawlConfig::builder().seed("http://a.test/");
    let errors = [
        b().concurrency(0).build().unwrap_err(),
        b().per_host_rate(0.0).build().unwrap_err(),
        b().user_agent("a\nb").build().unwrap_err(),
        b().include("(").build().unwrap_err(),
        b().exclude("(").build().unwrap_err(),
        b().workers(MAX_WORKERS + 1).build().unwrap_err(),
        b().request_timeout(Duration::ZERO).build().unwrap_err(),
    ];
    for e in errors {
        let setting = e.setting().expect("a setting");
        assert!(e.to_string().starts_with(setting), "{e} / {setting}");
    }
    let seed = CrawlConfig::builder().seed("nope").build().unwrap_err();
    assert_eq!(seed.setting(), Some("seed"));
    assert!(seed.to_string().starts_with("seed URL"), "{seed}");
    assert_eq!(ConfigError::NoSeeds.setting(), None);
}
