//! How a finished `trawler crawl` maps to its exit status.
//!
//! In order of precedence: 128 + the signal when Ctrl-C, SIGTERM or SIGHUP stopped it
//! (130, 143, 129); 3 when no start URL could be fetched (in a crawl's first run: a resumed
//! crawl fetched them before)
//! (each one failed with no answer, or was skipped: robots.txt, `--max-pages 0` ...), so a
//! script never takes an empty result for a finished crawl; 1 when `--fail-on-errors` finds
//! broken URLs; else 0. Usage errors (2) never get this far.

use crate::EXIT_BROKEN;
use crate::runner::Finished;
use std::process::ExitCode;

/// Exit status when no start URL could be fetched.
pub(crate) const EXIT_NOTHING_FETCHED: u8 = 3;

/// The status of a finished crawl, and the line that explains it, if any is needed.
pub(crate) fn crawl_status(done: &Finished, fail_on_errors: bool) -> (u8, Option<String>) {
    if let Some(signal_status) = done.interrupted {
        (signal_status, None)
    } else if done.starts_fetched == 0 && !done.resumed {
        let why = "nothing fetched: no start URL could be fetched".to_string();
        (EXIT_NOTHING_FETCHED, Some(why))
    } else if fail_on_errors && done.broken > 0 {
        (EXIT_BROKEN, None)
    } else {
        (0, None)
    }
}

/// The status as an [`ExitCode`], printing its explanation on stderr when `errors` is on.
pub(crate) fn exit_code(done: &Finished, fail_on_errors: bool, errors: bool) -> ExitCode {
    let (status, why) = crawl_status(done, fail_on_errors);
    if let (Some(why), true) = (why, errors) {
        eprintln!("trawler: {why}");
    }
    ExitCode::from(status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use trawler::CrawlReport;

    fn done(starts_fetched: u64, broken: u64, interrupted: bool) -> Finished {
        Finished {
            report: CrawlReport::default(),
            broken,
            starts_fetched,
            interrupted: interrupted.then_some(130),
            resumed: false,
        }
    }

    #[test]
    fn interrupted_then_nothing_fetched_then_broken() {
        assert_eq!(crawl_status(&done(0, 1, true), true).0, 130);
        let (status, why) = crawl_status(&done(0, 1, false), true);
        assert_eq!(status, EXIT_NOTHING_FETCHED);
        assert!(why.unwrap().contains("no start URL could be fetched"));
        assert_eq!(crawl_status(&done(1, 1, false), true).0, EXIT_BROKEN);
        assert_eq!(crawl_status(&done(1, 1, false), false), (0, None));
        assert_eq!(crawl_status(&done(2, 0, false), true), (0, None));
    }
}
