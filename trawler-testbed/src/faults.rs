//! Which pages misbehave, and the actix-web responses that make them misbehave.
//!
//! The plan is a pure function of `(seed, host, page)`: the same pages fault on every run,
//! and a page faults only for its first `repeats` requests, so a crawler that retries can
//! still reach every page, and the stats can separate faults from duplicates afterwards.
//!
//! A *reset* is a 200 whose streaming body fails on its first poll: actix-http then drops the
//! connection before flushing the buffered head, so the client sees the connection close with
//! no response at all. (actix-http logs that body error at `error` level through `tracing`.)

use std::convert::Infallible;
use std::io;
use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::body::SizedStream;
use bytes::Bytes;
use futures_util::stream;

use super::rng::{hash3, unit_f64};
use super::spec::Faults;

/// Keeps the fault plan independent of the page-content hashes.
const FAULT_SALT: u64 = 0xfa17_5a17;
/// A slow body sends this many bytes ...
const SLOW_CHUNK: usize = 32;
/// ... every this long (a 20 KB page takes about a minute).
const SLOW_INTERVAL: Duration = Duration::from_millis(100);

/// One injected failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Answer with this 5xx status (500 or 503).
    Status(u16),
    /// Answer 429 with `Retry-After: 1`.
    TooMany,
    /// Close the connection without answering.
    Reset,
    /// Send nothing for a while, then close.
    Stall,
    /// Send the head, then the body a few bytes at a time.
    SlowBody,
}

impl Fault {
    /// The status recorded in the log (0: no answer at all).
    pub(crate) fn logged_status(self) -> u16 {
        match self {
            Self::Status(s) => s,
            Self::TooMany => 429,
            Self::Reset | Self::Stall => 0,
            Self::SlowBody => 200,
        }
    }
}

/// The fault page `id` of `host` suffers, if any (ignoring how often it was requested).
pub(crate) fn fault_of(faults: &Faults, seed: u64, host: usize, id: u32) -> Option<Fault> {
    if faults.none() {
        return None;
    }
    let h = hash3(seed ^ FAULT_SALT, host as u64, u64::from(id));
    let mut u = unit_f64(h);
    let kinds = [
        Fault::Status(if h & 1 == 0 { 503 } else { 500 }),
        Fault::TooMany,
        Fault::Reset,
        Fault::Stall,
        Fault::SlowBody,
    ];
    for (kind, rate) in kinds.into_iter().zip(faults.rates()) {
        if u < rate {
            return Some(kind);
        }
        u -= rate;
    }
    None
}

/// How many of a page's first `hits` requests were answered with its fault.
pub(crate) fn faulted_requests(faults: &Faults, seed: u64, host: usize, id: u32, hits: u32) -> u32 {
    fault_of(faults, seed, host, id).map_or(0, |_| hits.min(faults.repeats))
}

/// A response that drops the connection instead of answering (see the module docs).
pub(crate) fn reset_response() -> HttpResponse {
    let err = io::Error::new(
        io::ErrorKind::ConnectionReset,
        "testbed: injected connection reset",
    );
    HttpResponse::Ok().streaming(stream::iter([Err::<Bytes, _>(err)]))
}

/// A 200 whose body (with its true Content-Length) trickles out [`SLOW_CHUNK`] bytes at a time.
pub(crate) fn slow_body_response(content_type: &'static str, body: Bytes) -> HttpResponse {
    let len = body.len() as u64;
    let chunks = stream::unfold((body, true), |(mut rest, first)| async move {
        if rest.is_empty() {
            return None;
        }
        if !first {
            actix_rt::time::sleep(SLOW_INTERVAL).await;
        }
        let chunk = rest.split_to(SLOW_CHUNK.min(rest.len()));
        Some((Ok::<_, Infallible>(chunk), (rest, false)))
    });
    HttpResponse::Ok()
        .content_type(content_type)
        .body(SizedStream::new(len, Box::pin(chunks)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_plan_is_deterministic_and_close_to_the_rates() {
        let faults = Faults {
            status_5xx: 0.1,
            status_429: 0.05,
            reset: 0.05,
            repeats: 2,
            ..Faults::default()
        };
        let plan = |seed| {
            (0..20_000)
                .map(|id| fault_of(&faults, seed, 0, id))
                .collect::<Vec<_>>()
        };
        let a = plan(1);
        assert_eq!(a, plan(1));
        assert_ne!(a, plan(2));
        let count = |f: fn(&Option<Fault>) -> bool| a.iter().filter(|x| f(x)).count();
        let s5 = count(|f| matches!(f, Some(Fault::Status(_))));
        let s429 = count(|f| *f == Some(Fault::TooMany));
        let reset = count(|f| *f == Some(Fault::Reset));
        assert!((1700..2300).contains(&s5), "{s5}");
        assert!(
            (800..1200).contains(&s429) && (800..1200).contains(&reset),
            "{s429} {reset}"
        );
        assert_eq!(
            count(|f| matches!(f, Some(Fault::Stall | Fault::SlowBody))),
            0
        );
        assert!(a.contains(&Some(Fault::Status(500))) && a.contains(&Some(Fault::Status(503))));
        let first_faulty = (0..20_000).find(|&id| a[id as usize].is_some()).unwrap();
        assert_eq!(faulted_requests(&faults, 1, 0, first_faulty, 5), 2);
        assert_eq!(faulted_requests(&faults, 1, 0, first_faulty, 1), 1);
        assert!(fault_of(&Faults::default(), 1, 0, first_faulty).is_none());
    }
}
