//! The fetcher's side of robots.txt and sitemaps: one GET, a capped body, and the
//! answer read on the worker thread.
//!
//! Takes: [`FetchFile`]. Sends: [`FileFetched`] to the supervisor.
//!
//! These are the crawler's own requests, not the spider's: no middleware runs (a plugin
//! that skips or rewrites page requests must not be able to hide robots.txt), and nothing
//! goes to the parser. They share the page client, so the user agent, timeouts and
//! connection pool are the same. The body is read up to the file's cap (500 KiB for
//! robots.txt, 50 MiB for a sitemap) and interpreted here, off the supervisor's thread,
//! because a large sitemap takes a while to inflate and read.

use super::{Fetcher, read_capped, send_error};
use crate::actors::messages::{FetchFile, FileAnswer, FileFetched, FileKind};
use crate::error::FetchError;
use crate::politeness::robots::{self, ROBOTS_MAX_BYTES, RobotsAnswer};
use crate::retry;
use crate::sitemap::{self, SITEMAP_MAX_BYTES, SitemapAnswer};
use actix::prelude::*;
use awc::http::header;
use std::time::{Duration, SystemTime};

impl Handler<FetchFile> for Fetcher {
    type Result = ();

    fn handle(&mut self, job: FetchFile, ctx: &mut Context<Self>) {
        let client = self.client.clone();
        let settings = self.settings.clone();
        let to = self.files.clone();
        let fut = async move {
            let timeout = settings.request_timeout;
            let cap = match job.kind {
                FileKind::Robots { .. } => ROBOTS_MAX_BYTES,
                FileKind::Sitemap => SITEMAP_MAX_BYTES,
            };
            let attempt = async {
                let mut res = client
                    .get(job.url.as_str())
                    .send()
                    .await
                    .map_err(|e| send_error(e, timeout))?;
                let headers = res.headers().clone();
                let (body, _) = read_capped(&mut res, cap).await?;
                Ok::<_, FetchError>((res.status().as_u16(), headers, body))
            };
            let answer = match actix_rt::time::timeout(timeout, attempt).await {
                Ok(Ok((status, headers, body))) => {
                    let text = |name| {
                        headers
                            .get(name)
                            .and_then(|v: &header::HeaderValue| v.to_str().ok())
                    };
                    let retry_after = text(header::RETRY_AFTER)
                        .and_then(|v| retry::parse_retry_after(v, SystemTime::now()))
                        .map(|d| d.min(settings.retry.retry_after_cap));
                    read(
                        &job.kind,
                        &settings.user_agent,
                        status,
                        text(header::LOCATION),
                        &body,
                        retry_after,
                    )
                }
                Ok(Err(error)) => unanswered(&job.kind, error),
                Err(_) => unanswered(&job.kind, FetchError::Timeout(timeout)),
            };
            to.do_send(FileFetched {
                ticket: job.ticket,
                answer,
            });
        };
        ctx.spawn(fut.into_actor(self));
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
