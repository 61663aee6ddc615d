//! `--only`: which records are written. A documentation site's crawl is mostly off-site
//! skips; `--only broken` or `--only fetched --only failed` keeps what is wanted.
//!
//! The filter applies to the records only: the progress line, the summary and the exit
//! status still count every URL.

use clap::ValueEnum;
use trawler::Outcome;

/// A kind of record `--only` keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Only {
    /// URLs that got an HTTP answer (any status).
    Fetched,
    /// URLs that got no usable answer after the retries.
    Failed,
    /// Failed URLs and answers of 400 and above.
    Broken,
    /// URLs accepted but not fetched (off-site, filtered, robots.txt ...).
    Skipped,
}

impl Only {
    fn keeps(self, o: &Outcome) -> bool {
        match self {
            Only::Fetched => o.is_fetched(),
            Only::Failed => o.is_failed(),
            Only::Broken => o.is_broken(),
            Only::Skipped => o.skip_reason().is_some(),
        }
    }
}

/// Whether the record of `o` is written: always with no `--only`, else when any kind
/// given keeps it.
pub(crate) fn keeps(only: &[Only], o: &Outcome) -> bool {
    only.is_empty() || only.iter().any(|k| k.keeps(o))
}

#[cfg(test)]
mod tests {
    use super::*;
    use trawler::{FetchError, OutcomeKind, SkipReason};

    fn outcome(kind: OutcomeKind, status: Option<u16>) -> Outcome {
        Outcome {
            url: trawler::url::Url::parse("http://a.test/").unwrap(),
            kind,
            status,
            depth: 0,
            referrer: None,
            label: None,
            attempts: 1,
            bytes: 0,
            elapsed: std::time::Duration::ZERO,
            content_type: None,
            redirected_to: None,
            truncated: false,
            parse_error: None,
            links_truncated: false,
            noindex: false,
            nofollow: false,
            revisit: None,
            bytes_saved: 0,
            rendered: false,
        }
    }

    #[test]
    fn each_kind_keeps_its_records_and_several_add_up() {
        let ok = outcome(OutcomeKind::Fetched, Some(200));
        let missing = outcome(OutcomeKind::Fetched, Some(404));
        let failed = outcome(OutcomeKind::Failed(FetchError::Status(503)), Some(503));
        let skipped = outcome(OutcomeKind::Skipped(SkipReason::OffHost), None);
        let all = [&ok, &missing, &failed, &skipped];
        let kept = |only: &[Only]| all.iter().filter(|o| keeps(only, o)).count();
        assert_eq!(kept(&[]), 4);
        assert_eq!(kept(&[Only::Fetched]), 2);
        assert_eq!(kept(&[Only::Failed]), 1);
        assert_eq!(kept(&[Only::Broken]), 2);
        assert!(keeps(&[Only::Broken], &missing) && !keeps(&[Only::Broken], &ok));
        assert_eq!(kept(&[Only::Skipped]), 1);
        assert_eq!(kept(&[Only::Failed, Only::Skipped]), 2);
        assert_eq!(kept(&[Only::Broken, Only::Failed]), 2);
    }
}
