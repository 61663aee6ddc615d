//! The engine's side of robots.txt: a host's requests wait for its file, then are
//! judged by it.
//!
//! The first request accepted for a host (scheme, host and port) makes the host pending:
//! it is held in the frontier, its requests queue up, and a robots job goes out ahead of
//! everything else. When the rules come, the queued requests are judged (disallowed ones
//! are skipped as `robots`), the host's `Crawl-delay` becomes its spacing in the rate
//! limits, its `Sitemap:` lines are offered, and the host is released; later requests
//! are judged as they are queued. An unreachable robots.txt keeps the host held and is
//! asked again after the retry backoff; when the retries run out, the host's URLs fail
//! (with the transport error, or `RobotsUnavailable` after a 429 or 5xx). Every URL thus
//! still ends with exactly one outcome, and the crawl ends by itself. The reading of an
//! answer is in [`crate::politeness::robots`]; this is only what it changes.

use super::Engine;
use super::kept::RobotsKept;
use super::site_files::{Job, What};
use crate::canon;
use crate::error::FetchError;
use crate::frontier::HostId;
use crate::outcome::{OutcomeKind, SkipReason};
use crate::politeness::robots::{self, Access, Failure, RobotsAnswer, RobotsRules};
use crate::request::Request;
use crate::spider::Spider;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use url::Url;

/// What robots.txt says about one request about to be queued.
enum Verdict {
    Queue,
    Start,
    Skip,
    Fail(FetchError),
}

impl<S: Spider> Engine<S> {
    /// Judges `r` (for `host`) by robots.txt before it is queued: `None` if it ended here
    /// (skipped or failed). A host seen for the first time gets its robots.txt asked for.
    pub(super) fn robots_gate(&mut self, host: HostId, r: Request, new: bool) -> Option<Request> {
        if !self.cfg.robots {
            return Some(r);
        }
        let mut verdict = self.verdict(host, &r.url);
        // A durable crawl may have kept this host's file from an earlier run.
        if matches!(verdict, Verdict::Start) && self.restore_robots(host, &r.url) {
            verdict = self.verdict(host, &r.url);
        }
        match verdict {
            Verdict::Queue => Some(r),
            Verdict::Start => {
                self.start_robots(host, &r.url);
                Some(r)
            }
            Verdict::Skip => {
                self.skip_as(r, SkipReason::Robots, !new);
                None
            }
            Verdict::Fail(e) => {
                self.record_as(Self::outcome(r, OutcomeKind::Failed(e), None), !new);
                None
            }
        }
    }

    fn verdict(&self, host: HostId, url: &Url) -> Verdict {
        match self.files.robots.access(host) {
            Access::Known(rules) if rules.allows(url) => Verdict::Queue,
            Access::Known(_) => Verdict::Skip,
            Access::Pending => Verdict::Queue,
            Access::Unknown => Verdict::Start,
            Access::Unavailable(e) => Verdict::Fail(e.clone()),
        }
    }

    /// Holds `host` and queues its robots.txt (the one of `page`'s origin) first.
    pub(super) fn start_robots(&mut self, host: HostId, page: &Url) {
        let Some(url) = robots::robots_url(page) else {
            return;
        };
        self.files.robots.start(host);
        self.frontier.hold(host);
        self.files.ready.push_front(Job {
            host,
            what: What::Robots {
                owner: host,
                hops: 0,
                first: url.clone(),
            },
            url,
            failures: 0,
        });
    }

    pub(super) fn on_robots(&mut self, job: Job, answer: RobotsAnswer, now: Instant) {
        let What::Robots { owner, hops, first } = job.what.clone() else {
            return;
        };
        let read_at = SystemTime::now();
        match answer {
            RobotsAnswer::Rules(rules, body) => {
                self.keep_robots(&first, body.map_or(RobotsKept::AllowAll, RobotsKept::Body));
                self.robots_known(owner, rules, &job.url, read_at, now);
            }
            RobotsAnswer::Redirect(location) => {
                let next = (job.url.join(&location).ok())
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .and_then(|u| canon::host_key(&u).map(|key| (u, key)));
                match next {
                    Some((url, key)) => {
                        // Fetched on the target's host (its slots and rate), for `owner`.
                        let host = self.frontier.host_id(&key);
                        let what = What::Robots {
                            owner,
                            hops: hops + 1,
                            first,
                        };
                        self.files.ready.push_front(Job {
                            host,
                            url,
                            what,
                            failures: job.failures,
                        });
                    }
                    // A redirect to nowhere usable: the file is unavailable, so all is allowed.
                    None => {
                        self.keep_robots(&first, RobotsKept::AllowAll);
                        let rules = Arc::new(RobotsRules::AllowAll);
                        self.robots_known(owner, rules, &job.url, read_at, now);
                    }
                }
            }
            RobotsAnswer::Unreachable { error, retry_after } => {
                self.robots_failed(job, error, retry_after, now);
            }
        }
    }

    /// A robots.txt attempt got no usable answer: ask again later, or give up on the host.
    pub(super) fn robots_failed(
        &mut self,
        job: Job,
        error: FetchError,
        retry_after: Option<Duration>,
        now: Instant,
    ) {
        let What::Robots { owner, first, .. } = job.what else {
            return;
        };
        match (self.files.robots).fail(owner, &self.cfg.retry, error, retry_after) {
            Failure::RetryIn(wait) => {
                tracing::debug!(url = %first, ?wait, "robots.txt unreachable; asking again later");
                // Start over from the host's own robots.txt, not a redirect target.
                let retry = Job {
                    host: owner,
                    url: first.clone(),
                    what: What::Robots {
                        owner,
                        hops: 0,
                        first,
                    },
                    failures: job.failures + 1,
                };
                self.files.push_later(now + wait, retry);
            }
            Failure::GaveUp => {
                if let Access::Unavailable(FetchError::RobotsUnavailable { cause, attempts }) =
                    self.files.robots.access(owner).clone()
                {
                    self.keep_robots(&first, RobotsKept::Unavailable { cause, attempts });
                }
                self.robots_gave_up(owner);
            }
        }
    }

    /// `host`'s rules are known, read at `read_at` (now, or by an earlier run of a
    /// durable crawl); `from`: the file's URL. Its `Crawl-delay` spaces the host's
    /// requests from `now` on.
    pub(super) fn robots_known(
        &mut self,
        host: HostId,
        rules: Arc<RobotsRules>,
        from: &Url,
        read_at: SystemTime,
        now: Instant,
    ) {
        if let Some(delay) = rules.crawl_delay(self.cfg.crawl_delay_cap) {
            self.rate.set_spacing(host, delay, now);
        }
        for s in rules.sitemaps() {
            if let Ok(url) = from.join(s.trim()) {
                self.offer_sitemap(url, 1);
            }
        }
        self.files.robots.resolve(host, rules.clone(), read_at);
        for r in self.frontier.take_host(host) {
            if rules.allows(&r.url) {
                self.frontier.push(host, r);
            } else {
                self.skip(r, SkipReason::Robots);
            }
        }
        self.frontier.release(host);
        self.files.robots_settled(host);
    }

    /// Hosts whose rules are older than the crawl's `robots_max_age` ask for their file
    /// again: at once when requests are queued for them (held until it comes), else when
    /// their next request is.
    pub(super) fn expire_robots(&mut self) {
        if !self.cfg.robots {
            return;
        }
        for host in (self.files.robots).stale(SystemTime::now(), self.cfg.robots_max_age) {
            let page = (self.frontier.queued_for(host) > 0)
                .then(|| self.frontier.key(host))
                .and_then(|key| Url::parse(&format!("{key}/")).ok());
            match page {
                Some(page) => self.start_robots(host, &page),
                None => self.files.robots.forget(host),
            }
        }
    }

    fn robots_gave_up(&mut self, host: HostId) {
        let Access::Unavailable(e) = self.files.robots.access(host).clone() else {
            return;
        };
        tracing::warn!(%e, "robots.txt unavailable; failing the host's URLs");
        for r in self.frontier.take_host(host) {
            self.record(Self::outcome(r, OutcomeKind::Failed(e.clone()), None));
        }
        self.frontier.release(host);
        self.files.robots_settled(host);
    }
}
