//! The open-file limit, fitted to the sockets a crawl may hold.
//!
//! A crawl holds at most its requests in flight plus each worker's idle connections (see
//! [`Client`](super::client::Client)), and a few descriptors of its own (an event loop
//! per thread, the output file). Before it starts, that need is compared with the
//! process's open-file limit (`ulimit -n`): a soft limit below it is raised as far as the
//! hard limit allows (as Go's runtime does), and if the hard limit is lower still, the
//! crawl runs with as many requests in flight as fit, and says so. A crawl then never
//! runs out of descriptors by itself; if something else uses them up, the crawl stops with
//! [`Error::OutOfFiles`](crate::Error::OutOfFiles) instead of failing URL after URL.

/// Descriptors a crawl uses besides its sockets: per worker thread (event loop, waker),
/// and for the process (standard streams, output files, the runtime's own).
/// (Measured: 14 with 2 workers; the margin covers a plugin's own files.)
fn base(workers: usize) -> u64 {
    16 + 3 * workers as u64
}

/// Idle connections a worker keeps at most.
pub(crate) fn max_idle(concurrency: usize, per_host: usize, workers: usize) -> usize {
    per_host.max(concurrency.div_ceil(workers.max(1)))
}

/// Descriptors a crawl with these settings may hold at once.
pub(crate) fn needed(concurrency: usize, per_host: usize, workers: usize) -> u64 {
    let sockets = concurrency + workers * max_idle(concurrency, per_host, workers);
    base(workers) + sockets as u64
}

/// The concurrency that fits in `limit` descriptors (at most `concurrency`), or `None` if
/// not even one request does.
pub(crate) fn fitting_concurrency(
    limit: u64,
    concurrency: usize,
    per_host: usize,
    workers: usize,
) -> Option<usize> {
    (1..=concurrency)
        .rev()
        .find(|&c| needed(c, per_host.min(c), workers) <= limit)
}

/// The process's open-file limit, raised (within the hard limit) to `want` if below it;
/// `None` when there is no limit to speak of.
#[cfg(unix)]
pub(crate) fn raise_open_files(want: u64) -> Option<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let soft = limit.current?;
    if soft >= want {
        return Some(soft);
    }
    let target = limit.maximum.map_or(want, |hard| hard.min(want));
    if target > soft {
        let raised = rustix::process::Rlimit {
            current: Some(target),
            maximum: limit.maximum,
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            return Some(target);
        }
    }
    Some(soft)
}

/// No open-file limit is read on this platform.
#[cfg(not(unix))]
pub(crate) fn raise_open_files(_want: u64) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_need_follows_the_concurrency_not_the_hosts() {
        // 64 in flight, 8 per host, 2 workers: 64 + 2 × 32 sockets, plus the base.
        assert_eq!(needed(64, 8, 2), 22 + 128);
        assert_eq!(max_idle(4, 8, 2), 8, "a host's full concurrency stays warm");
    }

    #[test]
    fn a_low_limit_lowers_the_concurrency_to_what_fits() {
        assert_eq!(fitting_concurrency(10_000, 64, 8, 2), Some(64));
        let c = fitting_concurrency(100, 64, 8, 2).unwrap();
        assert!(c < 64 && needed(c, 8.min(c), 2) <= 100);
        assert!(needed(c + 1, 8.min(c + 1), 2) > 100, "the most that fits");
        assert_eq!(fitting_concurrency(20, 64, 8, 2), None);
    }

    #[test]
    fn the_soft_limit_is_read() {
        let now = raise_open_files(0);
        assert!(now.is_none_or(|n| n > 0));
    }
}
