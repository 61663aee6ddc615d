//! The one recorded result of every URL the crawl accepted.
//!
//! A URL is accepted when it is first seen (seeds, links, redirect targets), whatever
//! happens to it next; from then on it ends with exactly one [`Outcome`]: fetched (an HTTP
//! answer came), failed (no usable answer after the retries) or skipped (with the reason).
//! Outcomes are what a CLI, a link checker or a test reads, so they serialize flat.

use crate::error::FetchError;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// How a URL's crawl ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutcomeKind {
    /// An HTTP answer came (any status, including 3xx and 4xx); see [`Outcome::status`].
    Fetched,
    /// No usable answer after all attempts.
    Failed(FetchError),
    /// Never fetched, for this reason.
    Skipped(SkipReason),
}

/// Why an accepted URL was not fetched.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SkipReason {
    /// Its host is not among the allowed hosts.
    OffHost,
    /// An include/exclude pattern ruled it out.
    Filtered,
    /// It lies deeper than the maximum depth.
    Depth,
    /// The URL is longer than the maximum URL length.
    UrlTooLong,
    /// It is not an http(s) URL.
    Scheme,
    /// The page limit was reached before it could be fetched.
    PageLimit,
    /// The crawl was stopped (by a plugin or the host program) before it was fetched.
    Stopped,
    /// The spider's `should_follow` returned [`Flow::Skip`](crate::Flow::Skip).
    Spider,
    /// A request middleware returned [`Flow::Skip`](crate::Flow::Skip).
    Middleware,
    /// It was reached through more redirects than allowed.
    RedirectLimit,
    /// The host's robots.txt disallows it for trawler's user agent.
    Robots,
    /// Its host already had the most pages allowed
    /// ([`max_pages_per_host`](crate::CrawlConfigBuilder::max_pages_per_host)).
    HostPageLimit,
    /// Its path repeats segments like a crawler trap (`/a/b/a/b/a/b/`; see
    /// [`max_segment_repeats`](crate::CrawlConfigBuilder::max_segment_repeats)).
    RepeatedSegments,
    /// Its query has more parameters than allowed
    /// ([`max_query_params`](crate::CrawlConfigBuilder::max_query_params)).
    QueryParams,
    /// Its path already had the most distinct queries allowed
    /// ([`max_query_variants`](crate::CrawlConfigBuilder::max_query_variants)).
    QueryVariants,
}

impl SkipReason {
    /// The reason as a short snake_case word (as in the JSON output).
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::OffHost => "off_host",
            SkipReason::Filtered => "filtered",
            SkipReason::Depth => "depth",
            SkipReason::UrlTooLong => "url_too_long",
            SkipReason::Scheme => "scheme",
            SkipReason::PageLimit => "page_limit",
            SkipReason::Stopped => "stopped",
            SkipReason::Spider => "spider",
            SkipReason::Middleware => "middleware",
            SkipReason::RedirectLimit => "redirect_limit",
            SkipReason::Robots => "robots",
            SkipReason::HostPageLimit => "host_page_limit",
            SkipReason::RepeatedSegments => "repeated_segments",
            SkipReason::QueryParams => "query_params",
            SkipReason::QueryVariants => "query_variants",
        }
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The final record of one accepted URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The canonical URL.
    pub url: Url,
    /// How it ended.
    pub kind: OutcomeKind,
    /// The HTTP status of the last answer, if any came (also set on a failure by status).
    pub status: Option<u16>,
    /// Link distance from the seeds.
    pub depth: u32,
    /// The page it was found on, or redirected from.
    pub referrer: Option<Arc<Url>>,
    /// The request's label, if any.
    pub label: Option<Arc<str>>,
    /// Fetch attempts made (0 for a skip).
    pub attempts: u32,
    /// Body bytes read (after decompression).
    pub bytes: u64,
    /// Time of the last attempt, from sending the request to the end of the body.
    pub elapsed: Duration,
    /// The response's Content-Type, if any.
    pub content_type: Option<String>,
    /// The redirect target (the resolved `Location`) of a 3xx answer.
    pub redirected_to: Option<Url>,
    /// The body was cut at the size cap.
    pub truncated: bool,
    /// What went wrong in the spider's `parse` on this page (error or panic), if anything.
    pub parse_error: Option<String>,
    /// The link extractor gave up before the end of this page (hostile markup): only the
    /// links found until then were followed.
    pub links_truncated: bool,
    /// The page asked not to be indexed (`noindex` in a robots `<meta>` or `X-Robots-Tag`;
    /// see [`report_noindex`](crate::CrawlConfigBuilder::report_noindex)).
    pub noindex: bool,
    /// The page's links were not followed because it said `nofollow` (see
    /// [`obey_nofollow`](crate::CrawlConfigBuilder::obey_nofollow)).
    pub nofollow: bool,
    /// With a page cache of an earlier crawl: what the page is to it (a `304` that
    /// matched is [`Revisit::Unchanged`](crate::Revisit::Unchanged) with status 304).
    pub revisit: Option<crate::revisit::Revisit>,
    /// Body bytes not read because the server answered `304` to the kept page's
    /// validators (the kept body's length).
    pub bytes_saved: u64,
    /// The page was rendered in the crawl's browser (its body is the DOM after its scripts
    /// ran; `Crawler::render`, with the `browser` feature).
    pub rendered: bool,
}

impl Outcome {
    /// A skip of `url` for `reason`, with no fetch made.
    pub(crate) fn skipped(
        url: Url,
        depth: u32,
        referrer: Option<Arc<Url>>,
        reason: SkipReason,
    ) -> Self {
        Outcome {
            url,
            kind: OutcomeKind::Skipped(reason),
            status: None,
            depth,
            referrer,
            label: None,
            attempts: 0,
            bytes: 0,
            elapsed: Duration::ZERO,
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

    /// Whether an HTTP answer came.
    pub fn is_fetched(&self) -> bool {
        matches!(self.kind, OutcomeKind::Fetched)
    }

    /// Whether the server answered `304` to the validators of a page kept by an earlier
    /// crawl (the kept page was parsed again).
    pub fn is_not_modified(&self) -> bool {
        self.is_fetched()
            && self.status == Some(304)
            && self.revisit == Some(crate::revisit::Revisit::Unchanged)
    }

    /// Whether the URL failed after all attempts.
    pub fn is_failed(&self) -> bool {
        matches!(self.kind, OutcomeKind::Failed(_))
    }

    /// The skip reason, if the URL was skipped.
    pub fn skip_reason(&self) -> Option<SkipReason> {
        match self.kind {
            OutcomeKind::Skipped(r) => Some(r),
            _ => None,
        }
    }

    /// Whether this outcome is a broken link: a failure, or an answer of 400 or above.
    pub fn is_broken(&self) -> bool {
        self.is_failed() || (self.is_fetched() && self.status.is_some_and(|s| s >= 400))
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The flat JSON shape: `{"url", "outcome": "fetched|not_modified|failed|skipped",
/// "status", "error", "reason", "depth", "referrer", "attempts", "bytes", "elapsed_ms",
/// "content_type", "redirected_to", "truncated", "label", "parse_error", "links_truncated",
/// "noindex", "nofollow", "revisit", "bytes_saved", "rendered"}`; absent values (and false flags) are omitted.
impl Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Flat<'a> {
            url: &'a str,
            outcome: &'static str,
            #[serde(skip_serializing_if = "Option::is_none")]
            status: Option<u16>,
            #[serde(skip_serializing_if = "Option::is_none")]
            error: Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            reason: Option<SkipReason>,
            depth: u32,
            #[serde(skip_serializing_if = "Option::is_none")]
            referrer: Option<&'a str>,
            attempts: u32,
            bytes: u64,
            elapsed_ms: f64,
            #[serde(skip_serializing_if = "Option::is_none")]
            content_type: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            redirected_to: Option<&'a str>,
            #[serde(skip_serializing_if = "std::ops::Not::not")]
            truncated: bool,
            #[serde(skip_serializing_if = "Option::is_none")]
            label: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            parse_error: Option<&'a str>,
            #[serde(skip_serializing_if = "std::ops::Not::not")]
            links_truncated: bool,
            #[serde(skip_serializing_if = "std::ops::Not::not")]
            noindex: bool,
            #[serde(skip_serializing_if = "std::ops::Not::not")]
            nofollow: bool,
            #[serde(skip_serializing_if = "Option::is_none")]
            revisit: Option<crate::revisit::Revisit>,
            #[serde(skip_serializing_if = "is_zero")]
            bytes_saved: u64,
            #[serde(skip_serializing_if = "std::ops::Not::not")]
            rendered: bool,
        }
        let (outcome, error, reason) = match &self.kind {
            OutcomeKind::Fetched if self.is_not_modified() => ("not_modified", None, None),
            OutcomeKind::Fetched => ("fetched", None, None),
            OutcomeKind::Failed(e) => ("failed", Some(e.to_string()), None),
            OutcomeKind::Skipped(r) => ("skipped", None, Some(*r)),
        };
        Flat {
            url: self.url.as_str(),
            outcome,
            status: self.status,
            error,
            reason,
            depth: self.depth,
            referrer: self.referrer.as_deref().map(Url::as_str),
            attempts: self.attempts,
            bytes: self.bytes,
            elapsed_ms: (self.elapsed.as_secs_f64() * 1e6).round() / 1e3,
            content_type: self.content_type.as_deref(),
            redirected_to: self.redirected_to.as_ref().map(Url::as_str),
            truncated: self.truncated,
            label: self.label.as_deref(),
            parse_error: self.parse_error.as_deref(),
            links_truncated: self.links_truncated,
            noindex: self.noindex,
            nofollow: self.nofollow,
            revisit: self.revisit,
            bytes_saved: self.bytes_saved,
            rendered: self.rendered,
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_flat_and_omits_absent_fields() {
        let mut o = Outcome::skipped(
            Url::parse("http://a.test/x").unwrap(),
            2,
            Some(Arc::new(Url::parse("http://a.test/").unwrap())),
            SkipReason::Depth,
        );
        let v: serde_json::Value = serde_json::to_value(&o).unwrap();
        assert_eq!(v["outcome"], "skipped");
        assert_eq!(v["reason"], "depth");
        assert_eq!(v["referrer"], "http://a.test/");
        assert!(v.get("status").is_none());
        o.kind = OutcomeKind::Failed(FetchError::Status(503));
        o.status = Some(503);
        let v: serde_json::Value = serde_json::to_value(&o).unwrap();
        assert_eq!(v["outcome"], "failed");
        assert_eq!(v["status"], 503);
        assert_eq!(v["error"], "HTTP status 503 after all retries");
        assert!(o.is_broken());
    }
}
