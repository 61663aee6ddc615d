//! Retry policy: which failed fetches are tried again, how many times, and how long to wait.
//!
//! This is a plain value with no clock and no runtime, so the supervisor can ask it questions
//! synchronously and the tests can check every number. The defaults follow Scrapy (2 retries on
//! the same status list), because that is what site operators are used to seeing from crawlers.
//! Waiting is the caller's job; this module only computes durations.

use std::time::{Duration, SystemTime};

/// Retries after the first attempt, so a URL is fetched at most `1 + DEFAULT_MAX_RETRIES` times
/// (Scrapy's `RETRY_TIMES`).
pub const DEFAULT_MAX_RETRIES: u32 = 2;

/// Statuses that are retried by default (Scrapy's `RETRY_HTTP_CODES`): timeouts, rate limiting,
/// and server or gateway errors that are usually transient. Other 4xx/5xx are final.
pub const DEFAULT_RETRY_STATUSES: [u16; 8] = [408, 429, 500, 502, 503, 504, 522, 524];

/// First backoff step. Half a second lets a briefly overloaded server drain its queue without
/// noticeably stretching a crawl that only retries a handful of URLs.
pub const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(500);

/// Longest computed backoff. With the default 2 retries it is never reached; it only matters
/// when `max_retries` is raised, where waiting longer than 30 s per URL stalls a crawl for little gain.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(30);

/// Longest `Retry-After` honoured. Servers sometimes ask for hours; one minute respects a short
/// maintenance window while stopping a single header from parking a URL indefinitely.
pub const DEFAULT_RETRY_AFTER_CAP: Duration = Duration::from_secs(60);

/// Which failures are retried, how often, and how long to wait.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries allowed after the first attempt. By default, [`DEFAULT_MAX_RETRIES`].
    pub max_retries: u32,
    /// Backoff before the first retry; doubled for each later one. By default, [`DEFAULT_BASE_DELAY`].
    pub base_delay: Duration,
    /// Upper bound of the exponential backoff (before jitter). By default, [`DEFAULT_MAX_DELAY`].
    pub max_delay: Duration,
    /// Upper bound applied to a server's `Retry-After`. By default, [`DEFAULT_RETRY_AFTER_CAP`].
    pub retry_after_cap: Duration,
    /// HTTP statuses that are retried. By default, [`DEFAULT_RETRY_STATUSES`].
    pub retry_statuses: Vec<u16>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: DEFAULT_MAX_RETRIES,
            base_delay: DEFAULT_BASE_DELAY,
            max_delay: DEFAULT_MAX_DELAY,
            retry_after_cap: DEFAULT_RETRY_AFTER_CAP,
            retry_statuses: DEFAULT_RETRY_STATUSES.to_vec(),
        }
    }
}

impl RetryPolicy {
    /// Whether a response with this status should be retried.
    #[must_use]
    pub fn retries_status(&self, status: u16) -> bool {
        self.retry_statuses.contains(&status)
    }

    /// Whether another attempt is allowed after `attempts_made` attempts (first fetch included).
    #[must_use]
    pub fn may_retry(&self, attempts_made: u32) -> bool {
        attempts_made <= self.max_retries
    }

    /// The one rule for a failed attempt, whatever was asked for (a page, robots.txt, a
    /// sitemap): after `attempts_made` attempts (the failed one included), with the
    /// server's `Retry-After` if it sent one, how long to wait before the next attempt, or
    /// `None` when no attempt is left.
    #[must_use]
    pub fn after_failure(
        &self,
        attempts_made: u32,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        self.may_retry(attempts_made)
            .then(|| self.backoff(attempts_made, retry_after))
    }

    /// How long to wait before the next attempt, where `attempt` is the number of attempts
    /// already made (1 after the first failure).
    ///
    /// Exponential, `base_delay * 2^(attempt-1)`, capped at `max_delay`, with "equal jitter":
    /// the first half of that delay is fixed and the second half random, so retries of URLs
    /// that failed together do not hit the server together again, while every wait is still at
    /// least half the nominal one. A `Retry-After` (capped here at `retry_after_cap`) wins
    /// when it is longer.
    #[must_use]
    pub fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        self.backoff_with(attempt, retry_after, fastrand::f64())
    }

    /// [`RetryPolicy::backoff`] with the random fraction (in `[0, 1]`) supplied, for tests.
    fn backoff_with(&self, attempt: u32, retry_after: Option<Duration>, fraction: f64) -> Duration {
        let nominal = self.nominal_delay(attempt);
        let fixed = nominal / 2;
        let spread = nominal.saturating_sub(fixed);
        let fraction = if fraction.is_nan() {
            0.0
        } else {
            fraction.clamp(0.0, 1.0)
        };
        // try_ rather than mul_f64: the latter panics when a huge max_delay rounds up past u64 secs.
        let random = Duration::try_from_secs_f64(spread.as_secs_f64() * fraction)
            .map_or(spread, |d| d.min(spread));
        let delay = fixed + random;
        match retry_after {
            Some(ra) => delay.max(ra.min(self.retry_after_cap)),
            None => delay,
        }
    }

    /// The un-jittered delay: `base * 2^(attempt-1)`, saturating, capped at `max_delay`.
    fn nominal_delay(&self, attempt: u32) -> Duration {
        // 2^31 is the largest power of two in a u32; beyond it the product saturates anyway.
        let exponent = attempt.saturating_sub(1).min(31);
        self.base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay)
    }
}

/// Parses a `Retry-After` header value: delta-seconds (`"120"`) or an HTTP-date (IMF-fixdate,
/// RFC 850 or asctime), relative to `now`.
///
/// A date in the past gives [`Duration::ZERO`]; a number too large for `u64` saturates; anything
/// else (negative or fractional numbers, garbage) gives `None`. The result is not capped: that is
/// [`RetryPolicy::backoff`]'s job.
#[must_use]
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Only digits, so the sole possible parse failure is overflow.
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;
    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn defaults_match_scrapy() {
        let p = RetryPolicy::default();
        assert_eq!(p.max_retries, 2);
        for s in [408, 429, 500, 502, 503, 504, 522, 524] {
            assert!(p.retries_status(s), "{s}");
        }
        for s in [200, 301, 304, 400, 401, 403, 404, 410, 501] {
            assert!(!p.retries_status(s), "{s}");
        }
    }

    #[test]
    fn may_retry_allows_exactly_max_retries() {
        let p = RetryPolicy::default();
        assert!(p.may_retry(1));
        assert!(p.may_retry(2));
        assert!(!p.may_retry(3));
        let none = RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        };
        assert!(!none.may_retry(1));
    }

    #[test]
    fn after_failure_waits_within_the_policy_then_gives_up() {
        let p = RetryPolicy {
            max_retries: 2,
            base_delay: MS(100),
            ..RetryPolicy::default()
        };
        assert!(p.after_failure(1, None).is_some_and(|d| d <= MS(100)));
        assert!(p.after_failure(2, None).is_some());
        assert_eq!(p.after_failure(3, None), None);
        assert_eq!(
            p.after_failure(1, Some(S(5))),
            Some(S(5)),
            "Retry-After wins"
        );
    }

    #[test]
    fn backoff_bounds_for_every_attempt() {
        let p = RetryPolicy::default();
        // Nominal delays: 0.5, 1, 2, 4, 8, 16, then the 30 s cap.
        let nominal = [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000];
        for (attempt, n) in (1u32..).zip(nominal) {
            assert_eq!(
                p.backoff_with(attempt, None, 0.0),
                MS(n / 2),
                "attempt {attempt}"
            );
            assert_eq!(
                p.backoff_with(attempt, None, 1.0),
                MS(n),
                "attempt {attempt}"
            );
            let d = p.backoff(attempt, None);
            assert!(d >= MS(n / 2) && d <= MS(n), "attempt {attempt}: {d:?}");
        }
        // attempt 0 is treated like 1 rather than underflowing.
        assert_eq!(p.backoff_with(0, None, 1.0), MS(500));
    }

    #[test]
    fn backoff_caps_are_monotone_and_never_overflow() {
        let p = RetryPolicy::default();
        let mut prev = Duration::ZERO;
        for attempt in [1, 2, 5, 10, 31, 32, 33, 64, 1_000, u32::MAX] {
            let hi = p.backoff_with(attempt, None, 1.0);
            assert!(hi >= prev && hi <= p.max_delay, "attempt {attempt}: {hi:?}");
            prev = hi;
        }
        let huge = RetryPolicy {
            base_delay: Duration::MAX,
            max_delay: Duration::MAX,
            ..p
        };
        assert_eq!(huge.backoff_with(u32::MAX, None, 1.0), Duration::MAX);
        assert!(huge.backoff_with(u32::MAX, None, 0.5) >= Duration::MAX / 2);
        assert_eq!(huge.backoff_with(3, None, f64::NAN), Duration::MAX / 2);
    }

    #[test]
    fn retry_after_wins_when_larger_and_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff_with(1, Some(S(10)), 1.0), S(10));
        // Shorter than the backoff: the backoff stands.
        assert_eq!(p.backoff_with(3, Some(MS(100)), 1.0), S(2));
        assert_eq!(p.backoff_with(1, Some(Duration::ZERO), 0.0), MS(250));
        // An hour is cut to the 60 s cap.
        assert_eq!(p.backoff_with(1, Some(S(3_600)), 1.0), S(60));
        assert_eq!(p.backoff(1, Some(Duration::MAX)), S(60));
    }

    #[test]
    fn parses_delta_seconds() {
        let now = SystemTime::now();
        assert_eq!(parse_retry_after("120", now), Some(S(120)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        let huge = "99999999999999999999999999999";
        assert_eq!(parse_retry_after(huge, now), Some(S(u64::MAX)));
    }

    #[test]
    fn parses_http_dates() {
        // Sun, 06 Nov 1994 08:49:37 GMT
        let date = SystemTime::UNIX_EPOCH + S(784_111_777);
        let before = date - S(90);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", before),
            Some(S(90))
        );
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", before),
            Some(S(90))
        );
        assert_eq!(
            parse_retry_after("Sun Nov  6 08:49:37 1994", before),
            Some(S(90))
        );
        // A date already past means "now".
        let after = date + S(5);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", after),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn rejects_garbage_and_negative() {
        let now = SystemTime::now();
        for v in [
            "",
            "  ",
            "soon",
            "-5",
            "+5",
            "1.5",
            "12s",
            "Sun, 32 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_retry_after(v, now), None, "{v:?}");
        }
    }
}
