//! Unit tests of the builder: defaults and typed errors.

use super::*;

#[test]
fn defaults_build_with_a_seed() {
    let c = CrawlConfig::builder()
        .seed("http://127.0.0.1:1/")
        .build()
        .unwrap();
    assert_eq!(c.concurrency, DEFAULT_CONCURRENCY);
    assert_eq!(c.per_host_concurrency, DEFAULT_PER_HOST_CONCURRENCY);
    assert!(c.workers >= 1);
    assert_eq!(c.scope.hosts.len(), 1);
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
