//! The fetcher's side of robots.txt and sitemaps: one attempt, a capped body, and the
//! answer read on the worker thread.
//!
//! Takes: [`FetchFile`]. Sends: [`FileFetched`] to the supervisor.
//!
//! These are the crawler's own requests, not the spider's, but they go through the same
//! request hooks as pages ([`RequestKind`] tells them apart), so a header, a cookie or
//! credentials a hook adds reach them too; a hook's `Skip` or `Stop` does not apply to
//! them (a plugin must not be able to hide robots.txt). No response hook runs and nothing
//! goes to the parser. The body is read up to the file's cap (500 KiB for robots.txt,
//! 50 MiB for a sitemap) and interpreted here, off the supervisor's thread, because a
//! large sitemap takes a while to inflate and read.

use super::Fetcher;
use crate::actors::messages::{FetchFile, FileFetched};
use crate::engine::types::{FileAnswer, FileKind};
use crate::error::FetchError;
use crate::fetch::transport::TransportError;
use crate::middleware::RequestKind;
use crate::politeness::robots::{self, ROBOTS_MAX_BYTES, RobotsAnswer};
use crate::request::Request;
use crate::retry;
use crate::sitemap::{self, SITEMAP_MAX_BYTES, SitemapAnswer};
use actix::prelude::*;
use std::time::{Duration, SystemTime};

impl Handler<FetchFile> for Fetcher {
    type Result = ();

    fn handle(&mut self, FetchFile(job): FetchFile, ctx: &mut Context<Self>) {
        let (cap, kind) = match job.kind {
            FileKind::Robots { .. } => (ROBOTS_MAX_BYTES, RequestKind::Robots),
            FileKind::Sitemap => (SITEMAP_MAX_BYTES, RequestKind::Sitemap),
        };
        let request = Request::new(job.url.clone());
        // Hooks only add headers here; their verdict is for pages (an invalid header is
        // left out).
        let headers = self.headers(&request, kind).unwrap_or_default();
        let sent = self.settings.archive.as_ref().map(|_| headers.clone());
        let fut = self
            .transport
            .fetch(self.request(&request, headers, cap, kind));
        let settings = self.settings.clone();
        let to = self.routes.files.clone();
        ctx.spawn(fut.into_actor(self).map(move |res, act, _| {
            act.archive(&request.url, sent.as_ref(), &res, false);
            let answer = match res {
                Ok(a) => {
                    act.keep_cookies(&request, &a);
                    let retry_after = (a.headers.get("retry-after"))
                        .and_then(|v| retry::parse_retry_after(v, SystemTime::now()))
                        .map(|d| d.min(settings.retry.retry_after_cap));
                    let location = a.headers.get("location");
                    read(
                        &job.kind,
                        &settings.user_agent,
                        a.status,
                        location,
                        &a.body,
                        retry_after,
                    )
                }
                Err(TransportError::Fetch(error)) => unanswered(&job.kind, error),
                Err(TransportError::OutOfFiles(what)) => {
                    act.report_out_of_files(what.clone(), None);
                    unanswered(&job.kind, FetchError::Connect(what))
                }
            };
            to.do_send(FileFetched {
                ticket: job.ticket,
                answer,
            });
        }));
    }
}

fn read(
    kind: &FileKind,
    user_agent: &str,
    status: u16,
    location: Option<&str>,
    body: &[u8],
    retry_after: Option<Duration>,
) -> FileAnswer {
    match *kind {
        FileKind::Robots { hops } => FileAnswer::Robots(robots::interpret(
            &robots::agent_token(user_agent),
            status,
            location,
            hops,
            body,
            retry_after,
        )),
        FileKind::Sitemap => {
            FileAnswer::Sitemap(sitemap::interpret(status, location, body, retry_after))
        }
    }
}

/// No answer at all is worth asking again for either kind of file.
fn unanswered(kind: &FileKind, error: FetchError) -> FileAnswer {
    match kind {
        FileKind::Robots { .. } => FileAnswer::Robots(RobotsAnswer::Unreachable {
            error,
            retry_after: None,
        }),
        FileKind::Sitemap => FileAnswer::Sitemap(SitemapAnswer::Retry {
            error,
            retry_after: None,
        }),
    }
}
