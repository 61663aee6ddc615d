//! The transport seam from a plugin author's side: a crawl through a transport of one's
//! own (here, canned pages held in memory), with every rule above it unchanged: request
//! hooks, retries, redirects, robots.txt, one outcome per URL.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use trawler::prelude::*;
use trawler::{FetchRequest, FetchResponse, Headers, Transport, TransportError};

/// A canned answer: status, header fields, body.
type Answer = (u16, Vec<(&'static str, &'static str)>, &'static str);

/// What the canned site answers, by path; and what it was asked.
#[derive(Default)]
struct Site {
    pages: HashMap<&'static str, Answer>,
    asked: Mutex<Vec<(String, Option<String>)>>,
}

struct Canned(Arc<Site>, Rc<std::cell::Cell<u32>>);

impl Transport for Canned {
    fn fetch(
        &self,
        request: FetchRequest,
    ) -> futures_util::future::LocalBoxFuture<'static, Result<FetchResponse, TransportError>> {
        let site = Arc::clone(&self.0);
        let calls = Rc::clone(&self.1);
        Box::pin(async move {
            calls.set(calls.get() + 1);
            let path = request.url.path().to_string();
            let token = request.headers.get("x-token").map(str::to_string);
            site.asked.lock().unwrap().push((path.clone(), token));
            if path == "/flaky"
                && site
                    .asked
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|(p, _)| p == "/flaky")
                    .count()
                    == 1
            {
                return Err(TransportError::Fetch(FetchError::Connect("refused".into())));
            }
            let (status, fields, body) =
                site.pages
                    .get(path.as_str())
                    .cloned()
                    .unwrap_or((404, vec![], ""));
            let mut headers = Headers::new();
            for (k, v) in fields {
                headers.append_raw(k, v.as_bytes());
            }
            Ok(FetchResponse::new(status, headers, body))
        })
    }
}

struct Token;

impl Middleware for Token {
    fn on_request(&self, request: &mut OutgoingRequest<'_>) -> Flow {
        let _ = request.set_header("x-token", "t0k3n");
        Flow::Continue
    }
}

#[test]
fn a_crawl_goes_through_a_transport_of_ones_own() {
    let html = vec![("content-type", "text/html")];
    let mut site = Site::default();
    site.pages.insert(
        "/robots.txt",
        (200, vec![], "User-agent: *\nDisallow: /private\n"),
    );
    site.pages.insert("/", (200, html.clone(), r#"<a href="/a">a</a><a href="/moved">m</a><a href="/private/x">p</a><a href="/flaky">f</a>"#));
    site.pages
        .insert("/a", (200, html.clone(), r#"<a href="/">home</a>"#));
    site.pages
        .insert("/moved", (301, vec![("location", "/target")], ""));
    site.pages
        .insert("/target", (200, html.clone(), "<p>here</p>"));
    site.pages
        .insert("/flaky", (200, html, "<p>second time</p>"));
    let site = Arc::new(site);
    let for_workers = Arc::clone(&site);
    let config = CrawlConfig::builder()
        .seed("http://canned.test/")
        .retry_policy(RetryPolicy {
            base_delay: Duration::from_millis(10),
            ..RetryPolicy::default()
        })
        .collect_outcomes(true)
        .build()
        .unwrap();
    let report = Crawler::new(config, FnSpider::<()>::new())
        .middleware(Token)
        .transport(move || -> Box<dyn Transport> {
            Box::new(Canned(Arc::clone(&for_workers), Rc::default()))
        })
        .run()
        .unwrap();

    let asked = site.asked.lock().unwrap().clone();
    let paths: Vec<&str> = asked.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths.iter().filter(|p| **p == "/robots.txt").count(), 1);
    assert!(!paths.contains(&"/private/x"), "robots.txt still applies");
    for p in ["/", "/a", "/moved", "/target"] {
        assert_eq!(paths.iter().filter(|x| **x == p).count(), 1, "{p} once");
    }
    assert_eq!(
        paths.iter().filter(|x| **x == "/flaky").count(),
        2,
        "a failure is retried"
    );
    assert!(
        asked.iter().all(|(_, t)| t.as_deref() == Some("t0k3n")),
        "hooks add their headers"
    );
    let by_path: HashMap<&str, &Outcome> =
        report.outcomes.iter().map(|o| (o.url.path(), o)).collect();
    assert_eq!(
        by_path["/moved"].redirected_to.as_ref().map(|u| u.path()),
        Some("/target")
    );
    assert_eq!(
        by_path["/private/x"].skip_reason(),
        Some(SkipReason::Robots)
    );
    assert!(by_path["/flaky"].is_fetched() && by_path["/flaky"].attempts == 2);
    assert_eq!(report.accepted(), report.outcomes.len() as u64);
    assert_eq!((report.fetched, report.failed), (5, 0), "{report}");
}
