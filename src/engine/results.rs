//! What comes back from an attempt: a page, an answer without one, a redirect, a
//! transient failure to retry or a request that never went out. Each ends the URL's lease
//! and either records its one outcome or sends it back through the retry rule
//! ([`RetryPolicy::after_failure`](crate::retry::RetryPolicy::after_failure)) or admission.

use super::Engine;
use super::ledger::Lease;
use super::types::{FetchResult, Parsed, ResponseMeta, Ticket};
use crate::canon;
use crate::error::FetchError;
use crate::harvest::{self, Discovered, Signals};
use crate::outcome::{Outcome, OutcomeKind, SkipReason};
use crate::report::StopReason;
use crate::request::Request;
use crate::spider::Spider;
use std::sync::Arc;
use std::time::{Duration, Instant};

impl<S: Spider> Engine<S> {
    pub(super) fn outcome(r: Request, kind: OutcomeKind, meta: Option<ResponseMeta>) -> Outcome {
        let mut o = Outcome::skipped(r.url, r.depth, r.referrer, SkipReason::Stopped);
        o.kind = kind;
        o.label = r.label;
        o.attempts = r.attempts;
        if let Some(m) = meta {
            o.status = Some(m.status);
            o.bytes = m.bytes;
            o.elapsed = m.elapsed;
            o.content_type = m.content_type;
            o.truncated = m.truncated;
            o.rendered = m.rendered;
            o.revisit = m.revisit;
            o.bytes_saved = m.saved;
        }
        o
    }

    /// Ends a page lease; `None` if the ticket is stale.
    fn ack(&mut self, ticket: Ticket) -> Option<Lease> {
        let lease = self.ledger.ack(ticket)?;
        self.frontier.done(lease.host);
        Some(lease)
    }

    /// Retries a failed attempt under the retry policy, or records the failure.
    pub(super) fn retry_or_fail(
        &mut self,
        lease: Lease,
        error: FetchError,
        meta: Option<ResponseMeta>,
        retry_after: Option<Duration>,
        now: Instant,
    ) {
        let retry = (self.cfg.retry).after_failure(lease.request.attempts, retry_after);
        let wait = match self.stopping {
            None => retry,
            // A stop that keeps the queue keeps what would be retried too.
            Some(_) if retry.is_some() && self.keeps_queue() => return self.leave(lease.request),
            Some(_) => None,
        };
        match wait {
            Some(wait) => {
                if let Some(ra) = retry_after {
                    // The server asked the whole host to slow down, not only this URL.
                    self.frontier.park(lease.host, now + ra);
                }
                tracing::debug!(url = %lease.request.url, %error, ?wait, "retrying");
                self.frontier.retry_waiting(lease.host);
                self.journal.requeued(&lease.request, wait);
                self.delayed.push(now + wait, (lease.host, lease.request));
            }
            None => {
                let o = Self::outcome(lease.request, OutcomeKind::Failed(error), meta);
                self.record(o);
            }
        }
    }

    /// A request that never went out (no fault of its own) goes back to its queue as it was.
    fn requeue(&mut self, mut lease: Lease) {
        lease.request.attempts = lease.request.attempts.saturating_sub(1);
        let report = &mut self.ledger.report;
        report.requests = report.requests.saturating_sub(1);
        if lease.request.attempts == 0 {
            self.ledger.return_first_attempt();
        } else {
            report.retries = report.retries.saturating_sub(1);
        }
        if self.stopping.is_some() {
            self.leave(lease.request);
        } else {
            self.frontier.push(lease.host, lease.request);
        }
    }

    /// An attempt ended without a page to parse.
    pub(crate) fn fetched(&mut self, ticket: Ticket, result: FetchResult, now: Instant) {
        let Some(lease) = self.ack(ticket) else {
            return;
        };
        match &result {
            FetchResult::Answer(meta) => self.throttle_observe(lease.host, Some(meta), None),
            FetchResult::Transient { error, meta, .. } | FetchResult::Failed { error, meta } => {
                self.throttle_observe(lease.host, meta.as_ref(), Some(error))
            }
            FetchResult::Skipped { .. } | FetchResult::Requeue => {}
        }
        match result {
            FetchResult::Answer(meta) => {
                self.ledger.report.bytes += meta.bytes;
                let redirected = meta
                    .location
                    .as_deref()
                    .map(|loc| self.redirect(&lease.request, loc));
                let (kind, target) = match redirected {
                    Some(Err(e)) => (OutcomeKind::Failed(e), None),
                    Some(Ok(t)) => (OutcomeKind::Fetched, Some(t)),
                    None => (OutcomeKind::Fetched, None),
                };
                let mut o = Self::outcome(lease.request, kind, Some(meta));
                o.redirected_to = target;
                self.record(o);
            }
            FetchResult::Transient {
                error,
                meta,
                retry_after,
            } => {
                if let Some(m) = &meta {
                    self.ledger.report.bytes += m.bytes;
                }
                self.retry_or_fail(lease, error, meta, retry_after, now);
            }
            FetchResult::Failed { error, meta } => {
                let o = Self::outcome(lease.request, OutcomeKind::Failed(error), meta);
                self.record(o);
            }
            FetchResult::Skipped { reason, stop } => {
                self.skip(lease.request, reason);
                if stop {
                    self.stop(StopReason::Plugin);
                }
            }
            FetchResult::Requeue => self.requeue(lease),
        }
    }

    /// A page was parsed. Returns whether its items are to go to the pipelines (they are
    /// then counted until [`items_processed`](Self::items_processed)).
    pub(crate) fn parsed(&mut self, ticket: Ticket, page: Parsed) -> bool {
        let Some(lease) = self.ack(ticket) else {
            return false;
        };
        self.throttle_observe(lease.host, Some(&page.meta), None);
        let report = &mut self.ledger.report;
        report.bytes += page.meta.bytes;
        report.duplicates += u64::from(page.duplicates);
        let mut o = Self::outcome(lease.request, OutcomeKind::Fetched, Some(page.meta));
        o.parse_error = page.parse_error;
        o.links_truncated = page.links_truncated;
        (o.noindex, o.nofollow) = (page.robots.noindex, page.robots.nofollow);
        self.record(o);
        for d in page.discovered {
            self.discovered(d);
        }
        let to_pipelines = page.items > 0 && !self.pipelines_closed;
        if to_pipelines {
            self.items_pending += 1;
        } else {
            self.ledger.report.item_errors += page.items as u64;
        }
        self.signalled(page.signals);
        to_pipelines
    }

    /// Follows a redirect answer: the target goes through admission (depth unchanged, one
    /// more hop). Returns the canonical target, for the outcome.
    fn redirect(&mut self, from: &Request, location: &str) -> Result<url::Url, FetchError> {
        let target = from
            .url
            .join(location.trim())
            .ok()
            .filter(|_| !location.trim().is_empty())
            .ok_or_else(|| FetchError::BadRedirect(location.to_string()))?;
        let mut shown = target.clone();
        canon::canonicalize(
            &mut shown,
            canon::CanonOptions {
                sort_query: self.cfg.sort_query,
            },
        );
        let hops = from.redirects.saturating_add(1);
        let over = hops > self.cfg.max_redirects;
        let referrer = Arc::new(from.url.clone());
        let (priority, label) = (from.priority, from.label.clone());
        let session = from.session.clone();
        let render = from.render;
        let mut signals = Signals::default();
        let build = |url| {
            let mut r = Request::new(url);
            r.depth = from.depth;
            r.priority = priority;
            r.label = label;
            r.session = session;
            r.render = render;
            r.referrer = Some(referrer);
            r.redirects = hops;
            r
        };
        match harvest::admit_request(
            &*self.spider,
            &self.admission,
            target,
            from.depth,
            build,
            &mut signals,
        ) {
            Some(Discovered::Accept(r)) if over => {
                if self.is_shared() {
                    // Recorded by its host's owner, once for the whole crawl.
                    self.offer(Discovered::Skip(r, SkipReason::RedirectLimit));
                } else {
                    self.skip_as(r, SkipReason::RedirectLimit, false)
                }
            }
            Some(d) => self.discovered(d),
            None => self.ledger.report.duplicates += 1,
        }
        self.signalled(signals);
        Ok(shown)
    }
}
