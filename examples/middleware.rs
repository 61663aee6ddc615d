//! Request and response middleware: headers on every request, asset links never fetched,
//! and answers counted and judged before the retry policy sees them.
//!
//! Run with: `cargo run --example middleware [-- URL]`
//!
//! Without a URL it crawls a synthetic site on 127.0.0.1 (offline) whose pages answer 503
//! or 429 once in a while; the middleware counts those answers and the report shows them
//! retried.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use trawler::prelude::*;
use trawler_testbed::{Faults, SiteSpec, Testbed};

/// What the middleware saw; shared with `main` through an `Arc`.
#[derive(Default)]
struct Seen {
    requests: AtomicU64,
    busy: AtomicU64,
}

struct Polite(Arc<Seen>);

impl Middleware for Polite {
    fn on_request(&self, request: &mut OutgoingRequest<'_>) -> Flow {
        let path = request.url().path();
        if [".pdf", ".zip", ".png", ".jpg"]
            .iter()
            .any(|ext| path.ends_with(ext))
        {
            return Flow::Skip; // recorded as skipped, reason `middleware`
        }
        self.0.requests.fetch_add(1, Ordering::Relaxed);
        // A value that is not valid HTTP would fail this request with a clear error.
        let _ = request.set_header("accept-language", "en");
        let _ = request.set_header("from", "crawler-admin@example.invalid");
        Flow::Continue
    }

    fn on_response(&self, response: &ResponseView<'_>) -> ResponseAction {
        if matches!(response.status(), 429 | 503) {
            self.0.busy.fetch_add(1, Ordering::Relaxed);
            return ResponseAction::Retry; // within the retry budget, then failed
        }
        ResponseAction::Default
    }
}

fn main() -> Result<(), BoxError> {
    let spec = SiteSpec {
        pages: 300,
        faults: Faults {
            status_5xx: 0.05,
            status_429: 0.02,
            ..Faults::default()
        },
        ..SiteSpec::default()
    };
    let (start, _site) = match std::env::args().nth(1) {
        Some(url) => (url, None),
        None => Testbed::start(spec).map(|t| (t.url().into(), Some(t)))?,
    };
    let seen = Arc::new(Seen::default());
    let config = CrawlConfig::builder().seed(start).build()?;
    let report = Crawler::new(config, FnSpider::<()>::new())
        .middleware(Polite(Arc::clone(&seen)))
        .run()?;
    println!("{report}");
    println!(
        "middleware: {} requests sent with its headers, {} busy answers retried",
        seen.requests.load(Ordering::Relaxed),
        seen.busy.load(Ordering::Relaxed)
    );
    Ok(())
}
