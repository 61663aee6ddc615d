//! The request-hook chain, as one function the fetcher calls before each attempt.
//!
//! Every hook runs in order on the request; the chain ends early at the first
//! [`Flow::Skip`] or [`Flow::Stop`], or once a hook has set a header that is not valid HTTP
//! (the request then fails without being sent). Kept apart from the fetcher so that every
//! kind of request the crawl sends can go through the same hooks, and so it can be tested
//! without a fetcher.

use super::{Middleware, OutgoingRequest, RequestKind};
use crate::headers::{Headers, InvalidHeader};
use crate::request::{Flow, Request};
use std::sync::Arc;

/// What the request hooks decided about one attempt.
#[derive(Debug)]
pub(crate) enum Decision {
    /// Send it, with these headers added.
    Send(Headers),
    /// Do not send it: record it as skipped, and wind the crawl down if `stop`.
    Skip {
        /// Whether a hook returned [`Flow::Stop`].
        stop: bool,
    },
    /// A hook set an invalid header: fail the request without sending it.
    Invalid(InvalidHeader),
}

/// Runs `middleware`'s request hooks, in order, on `request` (of this kind).
pub(crate) fn run_request_hooks(
    middleware: &[Arc<dyn Middleware>],
    request: &Request,
    kind: RequestKind,
) -> Decision {
    let mut headers = Headers::new();
    let mut invalid = None;
    for m in middleware {
        let mut out = OutgoingRequest {
            request,
            kind,
            headers: &mut headers,
            invalid: &mut invalid,
        };
        match m.on_request(&mut out) {
            Flow::Continue => {}
            Flow::Skip => return Decision::Skip { stop: false },
            Flow::Stop => return Decision::Skip { stop: true },
        }
        if let Some(e) = invalid {
            return Decision::Invalid(e);
        }
    }
    Decision::Send(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct SetHeader(&'static str, &'static str, Flow);

    impl Middleware for SetHeader {
        fn on_request(&self, request: &mut OutgoingRequest<'_>) -> Flow {
            let _ = request.set_header(self.0, self.1);
            self.2
        }
    }

    fn run(chain: Vec<SetHeader>) -> Decision {
        let chain: Vec<Arc<dyn Middleware>> = chain
            .into_iter()
            .map(|m| Arc::new(m) as Arc<dyn Middleware>)
            .collect();
        run_request_hooks(
            &chain,
            &Request::get("http://a.test/").unwrap(),
            RequestKind::Page,
        )
    }

    #[test]
    fn headers_accumulate_and_replace() {
        let d = run(vec![
            SetHeader("x-a", "1", Flow::Continue),
            SetHeader("x-b", "2", Flow::Continue),
            SetHeader("X-A", "3", Flow::Continue),
        ]);
        let Decision::Send(h) = d else {
            panic!("{d:?}")
        };
        let h: Vec<(&str, &[u8])> = h.iter().collect();
        assert_eq!(h, [("x-b", &b"2"[..]), ("x-a", b"3")]);
    }

    #[test]
    fn an_invalid_header_fails_the_request_and_ends_the_chain() {
        for (name, value) in [("x-a", "a\nb"), ("bad name", "v"), ("x-a", "nul\0")] {
            let d = run(vec![
                SetHeader(name, value, Flow::Continue),
                SetHeader("x-later", "never", Flow::Continue),
            ]);
            match d {
                Decision::Invalid(InvalidHeader(h)) => assert_eq!(h, format!("{name}: {value}")),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn skip_and_stop_end_the_chain() {
        let d = run(vec![
            SetHeader("x-a", "1", Flow::Skip),
            SetHeader("x-b", "a\nb", Flow::Continue),
        ]);
        assert!(matches!(d, Decision::Skip { stop: false }), "{d:?}");
        let d = run(vec![SetHeader("x-a", "a\nb", Flow::Stop)]);
        assert!(matches!(d, Decision::Skip { stop: true }), "{d:?}");
    }
}
