//! The fetcher actor: many requests in flight on one arbiter thread, through its
//! worker's [`Transport`].
//!
//! Takes: [`FetchBatch`], [`FetchFile`](crate::actors::messages::FetchFile),
//! [`RetireHosts`]. Sends: [`Parse`] to the parser on its own arbiter (HTML 2xx pages),
//! [`Fetched`] to that parser too (everything else: it goes to the engine with the
//! pages), [`FileFetched`] for robots.txt and sitemaps (in [`site_files`]), and
//! [`OutOfFiles`] when the process has no file descriptor left.
//!
//! Each job is a future spawned on the actor's context, so hundreds run at once without
//! blocking the thread, and all of them die with the actor (the supervisor then re-queues
//! them). A request's headers come from the request hooks (and a seed's credentials, for
//! its origin only); the transport sends it; the answer is classified by
//! [`classify`](crate::fetch::classify), the same for every transport. Once a second the
//! transport is given its upkeep; hosts the supervisor says are done are passed on.

mod site_files;

use crate::actors::messages::{FetchBatch, Fetched, FileFetched, OutOfFiles, Parse, RetireHosts};
use crate::config::RequestHeaders;
use crate::engine::types::{FetchJob, FetchResult, Ticket};
use crate::error::FetchError;
use crate::fetch::classify::{self, Route};
use crate::fetch::record::Recorder;
use crate::fetch::transport::{
    FetchRequest, FetchResponse, Transport, TransportError, TransportFactory,
};
use crate::harvest::FetchedPage;
use crate::headers::Headers;
use crate::middleware::chain::{self, Decision};
use crate::middleware::{Middleware, RequestKind};
use crate::outcome::SkipReason;
use crate::request::Request;
use crate::retry::RetryPolicy;
use crate::revisit::{Note, PageCache, Prior};
use actix::prelude::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often a fetcher's transport gets its upkeep.
const UPKEEP_EVERY: Duration = Duration::from_secs(1);

/// What every fetcher of a crawl shares.
pub(crate) struct FetchSettings {
    pub(crate) request_timeout: Duration,
    pub(crate) max_body: usize,
    pub(crate) retry: RetryPolicy,
    pub(crate) user_agent: String,
    pub(crate) middleware: Vec<Arc<dyn Middleware>>,
    /// The crawl's own headers (credentials for the start origins included).
    pub(crate) request_headers: Arc<RequestHeaders>,
    /// Makes each worker's transport.
    pub(crate) transports: Arc<dyn TransportFactory>,
    /// The store's check right before each page request goes out (a shared crawl's).
    pub(crate) fence: Option<crate::store::Fence>,
    /// The cookie jars; `None` when cookies are off.
    pub(crate) cookies: Option<Arc<crate::cookies::CookieJars>>,
    /// The pages an earlier crawl kept, asked again with their validators.
    pub(crate) revisits: Option<Arc<dyn PageCache>>,
    /// Where every exchange goes when the crawl keeps an archive.
    pub(crate) archive: Option<Arc<dyn Recorder>>,
}

/// A fetcher: one per worker arbiter.
pub(crate) struct Fetcher {
    transport: Box<dyn Transport>,
    settings: Arc<FetchSettings>,
    routes: Routes,
}

/// Where a fetcher's results go.
pub(crate) struct Routes {
    pub(crate) parser: Recipient<Parse>,
    /// Where attempts with no page to parse go (the parser, with its turn's pages).
    pub(crate) results: Recipient<Fetched>,
    pub(crate) files: Recipient<FileFetched>,
    pub(crate) out_of_files: Recipient<OutOfFiles>,
}

impl Fetcher {
    /// Builds the fetcher and its transport; must run on the fetcher's own arbiter.
    pub(crate) fn new(settings: Arc<FetchSettings>, routes: Routes) -> Self {
        Fetcher {
            transport: settings.transports.make(),
            settings,
            routes,
        }
    }

    /// The headers of one request: the request hooks' (run here, synchronously: a panic
    /// takes this actor down, and the supervisor restarts it and re-queues what it held),
    /// then the crawl's own headers and its start origins' credentials that the hooks did
    /// not set. `Err` with the result to
    /// record if a hook skipped the request or set a header that cannot be sent.
    fn headers(&self, request: &Request, kind: RequestKind) -> Result<Headers, Box<FetchResult>> {
        let mut headers = match chain::run_request_hooks(&self.settings.middleware, request, kind) {
            Decision::Send(headers) => headers,
            Decision::Skip { stop } => {
                return Err(Box::new(FetchResult::Skipped {
                    reason: SkipReason::Middleware,
                    stop,
                }));
            }
            Decision::Invalid(e) => {
                return Err(Box::new(FetchResult::Failed {
                    error: FetchError::BadRequestHeader(e.0),
                    meta: None,
                }));
            }
        };
        self.settings
            .request_headers
            .add_to(&request.url, &mut headers);
        if let Some(jar) = &self.settings.cookies
            && let Some(cookies) = jar.header_for(&request.url, request.session())
        {
            add_cookies(&mut headers, &cookies);
        }
        Ok(headers)
    }

    /// Keeps the cookies an answer to `request` set.
    fn keep_cookies(&self, request: &Request, response: &FetchResponse) {
        if let Some(jar) = &self.settings.cookies {
            let set = response.headers.get_all("set-cookie");
            jar.store(&request.url, request.session(), set);
        }
    }

    fn request(
        &self,
        request: &Request,
        headers: Headers,
        max_body: usize,
        kind: RequestKind,
    ) -> FetchRequest {
        let mut r = FetchRequest::new(request.url.clone(), max_body, self.settings.request_timeout);
        r.headers = headers;
        r.kind = kind;
        r.session = request.session.clone();
        r.render = request.render;
        r.keep_wire = self.settings.archive.is_some();
        r
    }

    /// Hands an answer to the crawl's archive, if it keeps one, before the answer goes on
    /// (see `fetch::record`). `sent`: the headers given to the transport, when the archive
    /// is on; `page`: a page's exchange waits for its outcome, a site file's is written at
    /// once.
    fn archive(
        &self,
        url: &url::Url,
        sent: Option<&Headers>,
        res: &Result<FetchResponse, TransportError>,
        page: bool,
    ) {
        if let (Some(archive), Some(sent), Ok(response)) = (&self.settings.archive, sent, res) {
            archive.record(url, sent, response, page);
        }
    }

    /// The process ran out of descriptors: the supervisor stops the crawl (and queues the
    /// page attempt `page` again).
    fn report_out_of_files(&self, what: String, page: Option<Ticket>) {
        (self.routes.out_of_files).do_send(OutOfFiles { what, page });
    }
}

impl Actor for Fetcher {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(UPKEEP_EVERY, |act, _| act.transport.upkeep(Instant::now()));
    }
}

impl Handler<RetireHosts> for Fetcher {
    type Result = ();

    fn handle(&mut self, msg: RetireHosts, _: &mut Context<Self>) {
        self.transport.hosts_done(&msg.0);
    }
}

impl Handler<FetchBatch> for Fetcher {
    type Result = ();

    fn handle(&mut self, batch: FetchBatch, ctx: &mut Context<Self>) {
        for job in batch.0 {
            let mut headers = match self.headers(&job.request, RequestKind::Page) {
                Ok(h) => h,
                Err(result) => {
                    self.routes.results.do_send(Fetched {
                        ticket: job.ticket,
                        result: *result,
                    });
                    continue;
                }
            };
            let kept = (self.settings.revisits.as_ref()).map(|cache| {
                (
                    cache.before(&job.request.url, &mut headers),
                    headers.clone(),
                )
            });
            let sent = self.settings.archive.as_ref().map(|_| headers.clone());
            let request = self.request(
                &job.request,
                headers,
                self.settings.max_body,
                RequestKind::Page,
            );
            let fut = self.transport.fetch(request);
            let Some(fence) = self.settings.fence.clone() else {
                ctx.spawn(fut.into_actor(self).map(move |res, act, _| {
                    act.archive(&job.request.url, sent.as_ref(), &res, true);
                    act.deliver(job, res, kept)
                }));
                continue;
            };
            // Checked when the request is about to go out, not when it was handed over.
            let fenced = async move { if fence() { Some(fut.await) } else { None } };
            ctx.spawn(fenced.into_actor(self).map(move |res, act, _| match res {
                Some(res) => {
                    act.archive(&job.request.url, sent.as_ref(), &res, true);
                    act.deliver(job, res, kept)
                }
                None => act.routes.results.do_send(Fetched {
                    ticket: job.ticket,
                    result: FetchResult::Requeue,
                }),
            }));
        }
    }
}

impl Fetcher {
    /// Routes a finished attempt: HTML 2xx to the parser to parse, everything else to it as
    /// a result.
    /// `kept` is what the page cache knew of the page, with the headers sent.
    fn deliver(
        &mut self,
        job: FetchJob,
        res: Result<FetchResponse, TransportError>,
        kept: Option<(Prior, Headers)>,
    ) {
        let ticket = job.ticket;
        let response = match res {
            Ok(r) => r,
            Err(TransportError::OutOfFiles(what)) => {
                self.report_out_of_files(what, Some(ticket));
                return;
            }
            Err(TransportError::Fetch(error)) => {
                let result = classify::failure(error);
                self.routes.results.do_send(Fetched { ticket, result });
                return;
            }
        };
        self.keep_cookies(&job.request, &response);
        let s = &self.settings;
        let (response, note) = match (&s.revisits, kept) {
            (Some(cache), Some((prior, sent))) => {
                cache.after(&job.request.url, prior, &sent, response)
            }
            _ => (response, None),
        };
        let mut route = classify::answer(&job.request, &response, &s.middleware, &s.retry);
        if let Some(note) = note {
            note_revisit(&mut route, note);
        }
        match route {
            Route::Parse(meta) => self.routes.parser.do_send(Parse {
                ticket,
                request: job.request,
                meta,
                page: FetchedPage {
                    status: response.status,
                    headers: response.headers,
                    body: response.body,
                    truncated: response.truncated,
                    rendered: response.rendered,
                    screenshot: response.screenshot,
                },
            }),
            Route::Record(result) => self.routes.results.do_send(Fetched { ticket, result }),
        }
    }
}

/// Tells an outcome what its page is to the page cache: a kept page standing in for a
/// `304` keeps the status the server sent, and no body bytes were read for it.
fn note_revisit(route: &mut Route, note: Note) {
    let meta = match route {
        Route::Parse(meta) | Route::Record(FetchResult::Answer(meta)) => meta,
        Route::Record(_) => return,
    };
    meta.revisit = Some(note.revisit);
    meta.saved = note.saved;
    if note.saved > 0 {
        meta.status = note.status;
        meta.bytes = 0;
    }
}

/// Adds the jar's cookies to a request's `Cookie` field: after those set already (by a
/// hook, or `cookie(...)`), which win for their names.
fn add_cookies(headers: &mut Headers, jar: &str) {
    let merged = match headers.get("cookie") {
        None => jar.to_string(),
        Some(given) => {
            let names: Vec<&str> = (given.split(';'))
                .filter_map(|p| p.split_once('=').map(|(n, _)| n.trim()))
                .collect();
            let mut merged = given.to_string();
            for pair in jar.split("; ") {
                let name = pair.split_once('=').map_or(pair, |(n, _)| n);
                if !names.contains(&name) {
                    merged.push_str("; ");
                    merged.push_str(pair);
                }
            }
            merged
        }
    };
    // The jar's values came from Set-Cookie fields that were valid header values.
    let _ = headers.set("cookie", &merged);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_cookies_win_over_the_jars_for_their_names() {
        let mut h = Headers::new();
        add_cookies(&mut h, "a=1; b=2");
        assert_eq!(h.get("cookie"), Some("a=1; b=2"));
        let mut h = Headers::new();
        h.set("cookie", "b=mine; c=3").unwrap();
        add_cookies(&mut h, "a=1; b=2");
        assert_eq!(h.get("cookie"), Some("b=mine; c=3; a=1"));
    }
}
