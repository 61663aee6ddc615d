//! Unit tests of `robots`.

#[test]
fn escapes_match_what_they_encode() {
    let rules = RobotsRules::parse(
        "trawler",
        b"User-agent: *\nDisallow: /secret\nDisallow: /%7Ehome\nDISALLOW:/a%2fb\nAllow: /%2d\n",
    );
    let url = |p: &str| Url::parse(&format!("http://a.test{p}")).unwrap();
    assert!(
        !rules.allows(&url("/%73ecret")),
        "an escaped letter is the letter"
    );
    assert!(!rules.allows(&url("/secret/x")));
    assert!(
        !rules.allows(&url("/~home")),
        "a rule's escape matches the plain path"
    );
    assert!(!rules.allows(&url("/%7ehome")));
    assert!(!rules.allows(&url("/a%2Fb")), "escape case does not matter");
    assert!(
        rules.allows(&url("/a/b")),
        "a reserved escape is not its character"
    );
    assert!(rules.allows(&url("/public")));
    assert_eq!(match_form("/%7e%2f%41"), "/~%2FA");
    assert_eq!(match_form("/plain"), "/plain");
}

use super::*;

fn u(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn rules(body: &str) -> RobotsRules {
    RobotsRules::parse("trawler", body.as_bytes())
}

#[test]
fn the_product_token_is_the_agent_up_to_its_version() {
    assert_eq!(agent_token("trawler/0.1 (+https://x.test/bot)"), "trawler");
    assert_eq!(agent_token("  My_Bot-2 rest"), "my_bot-2");
    assert_eq!(agent_token("/0.1"), "*");
}

#[test]
fn robots_url_keeps_scheme_host_and_port_only() {
    assert_eq!(
        robots_url(&u("http://u:p@127.0.0.1:8080/a/b?q=1#f"))
            .unwrap()
            .as_str(),
        "http://127.0.0.1:8080/robots.txt"
    );
    assert_eq!(
        robots_url(&u("https://a.test/")).unwrap().as_str(),
        "https://a.test/robots.txt"
    );
}

#[test]
fn our_group_wins_over_the_star_group() {
    let r = rules("User-agent: *\nDisallow: /\n\nUser-agent: Trawler\nDisallow: /private\n");
    assert!(r.allows(&u("http://a.test/public")));
    assert!(!r.allows(&u("http://a.test/private/x")));
    let other = RobotsRules::parse("otherbot", b"User-agent: *\nDisallow: /\n");
    assert!(!other.allows(&u("http://a.test/public")));
}

#[test]
fn the_longest_match_wins_and_allow_wins_ties() {
    let r = rules("User-agent: *\nDisallow: /docs/\nAllow: /docs/public/\nDisallow: /*.pdf$\n");
    assert!(!r.allows(&u("http://a.test/docs/secret.html")));
    assert!(r.allows(&u("http://a.test/docs/public/a.html")));
    assert!(!r.allows(&u("http://a.test/x.pdf")));
    assert!(r.allows(&u("http://a.test/x.pdf?v=1")));
    let tie = rules("User-agent: *\nDisallow: /page\nAllow: /page\n");
    assert!(tie.allows(&u("http://a.test/page")));
}

#[test]
fn queries_are_matched_and_robots_txt_itself_is_always_allowed() {
    let r = rules("User-agent: *\nDisallow: /search?\nDisallow: /\n");
    assert!(!r.allows(&u("http://a.test/search?q=1")));
    assert!(r.allows(&u("http://a.test/robots.txt")));
}

#[test]
fn crawl_delay_is_read_and_capped() {
    let cap = Duration::from_secs(30);
    let r = rules("User-agent: trawler\nCrawl-delay: 2.5\nDisallow:\n");
    assert_eq!(r.crawl_delay(cap), Some(Duration::from_millis(2500)));
    let r = rules("User-agent: *\nCrawl-delay: 3600\n");
    assert_eq!(r.crawl_delay(cap), Some(cap));
    assert_eq!(
        rules("User-agent: *\nCrawl-delay: 0\n").crawl_delay(cap),
        None
    );
    assert_eq!(rules("User-agent: *\nDisallow:\n").crawl_delay(cap), None);
    assert_eq!(RobotsRules::AllowAll.crawl_delay(cap), None);
    assert_eq!(r.crawl_delay(Duration::ZERO), None, "a zero cap ignores it");
}

#[test]
fn sitemaps_are_listed_whatever_the_group() {
    let r = rules(
        "Sitemap: http://a.test/s1.xml\nUser-agent: x\nDisallow: /\nSitemap: http://a.test/s2.xml.gz\n",
    );
    assert_eq!(
        r.sitemaps(),
        ["http://a.test/s1.xml", "http://a.test/s2.xml.gz"]
    );
}

#[test]
fn the_body_is_parsed_up_to_the_cap_only() {
    let mut body = "User-agent: *\nDisallow: /a\n".to_string();
    body.push_str(&"#".repeat(ROBOTS_MAX_BYTES));
    body.push_str("\nDisallow: /b\n");
    let r = rules(&body);
    assert!(!r.allows(&u("http://a.test/a")));
    assert!(r.allows(&u("http://a.test/b")), "past the cap");
}

fn is_allow_all(a: &RobotsAnswer) -> bool {
    matches!(a, RobotsAnswer::Rules(r, None) if matches!(**r, RobotsRules::AllowAll))
}

#[test]
fn statuses_mean_what_rfc_9309_says() {
    let body = b"User-agent: *\nDisallow: /";
    match interpret("trawler", 200, None, 0, body, None) {
        RobotsAnswer::Rules(r, Some(kept)) => {
            assert!(!r.allows(&u("http://a.test/x")));
            assert_eq!(&kept[..], body, "the body is kept to be read again");
        }
        other => panic!("{other:?}"),
    }
    for s in [400, 401, 403, 404, 410] {
        assert!(
            is_allow_all(&interpret("trawler", s, None, 0, body, None)),
            "{s}"
        );
    }
    for s in [429, 500, 503, 599] {
        let a = interpret("trawler", s, None, 0, body, Some(Duration::from_secs(1)));
        assert!(
            matches!(a, RobotsAnswer::Unreachable { ref error, retry_after: Some(_) } if *error == FetchError::Status(s)),
            "{s}: {a:?}"
        );
    }
    assert!(matches!(
        interpret("trawler", 301, Some(" /r2.txt "), 4, body, None),
        RobotsAnswer::Redirect(l) if l == "/r2.txt"
    ));
    assert!(
        is_allow_all(&interpret("trawler", 302, Some("/r.txt"), 5, body, None)),
        "hop 6"
    );
    assert!(is_allow_all(&interpret(
        "trawler", 302, None, 0, body, None
    )));
}

#[test]
fn failures_retry_by_the_policy_then_give_up() {
    let policy = RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(100),
        ..RetryPolicy::default()
    };
    let mut c = RobotsCache::default();
    assert!(matches!(c.access(7), Access::Unknown));
    c.start(7);
    assert!(matches!(c.access(7), Access::Pending));
    assert!(
        matches!(c.access(3), Access::Unknown),
        "other hosts untouched"
    );
    let err = || FetchError::Status(503);
    match c.fail(7, &policy, err(), None) {
        Failure::RetryIn(d) => {
            assert!(d >= Duration::from_millis(50) && d <= Duration::from_millis(100))
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(c.access(7), Access::Pending));
    // Retry-After wins when longer.
    assert_eq!(
        c.fail(7, &policy, err(), Some(Duration::from_secs(5))),
        Failure::RetryIn(Duration::from_secs(5))
    );
    assert_eq!(c.fail(7, &policy, err(), None), Failure::GaveUp);
    match c.access(7) {
        Access::Unavailable(e) => {
            assert_eq!(
                *e,
                FetchError::RobotsUnavailable {
                    cause: "HTTP status 503".into(),
                    attempts: 3
                }
            )
        }
        other => panic!("{other:?}"),
    }
    // No answer at all: the host's URLs say so, and how often it was tried.
    let no_retry = RetryPolicy {
        max_retries: 0,
        ..policy.clone()
    };
    let connect = FetchError::Connect("refused".into());
    assert_eq!(c.fail(5, &no_retry, connect.clone(), None), Failure::GaveUp);
    assert!(matches!(
        c.access(5),
        Access::Unavailable(FetchError::RobotsUnavailable { cause, attempts: 1 })
            if *cause == connect.to_string()
    ));
    let read = std::time::SystemTime::now();
    c.resolve(3, Arc::new(RobotsRules::AllowAll), read);
    assert!(matches!(c.access(3), Access::Known(_)));
    // Known rules grow old; unknown and unavailable hosts do not.
    let day = Duration::from_secs(86_400);
    assert!(c.stale(read + day / 2, day).is_empty());
    assert_eq!(c.stale(read + day, day), vec![3]);
    c.forget(3);
    assert!(c.stale(read + day, day).is_empty());
}
