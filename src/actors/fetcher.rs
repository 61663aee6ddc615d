//! The fetcher actor: many requests in flight on one arbiter thread, one HTTP client.
//!
//! Takes: [`FetchBatch`], [`FetchFile`](crate::actors::messages::FetchFile),
//! [`RetireHosts`]. Sends: [`Parse`] to the parser on its own arbiter (HTML 2xx pages),
//! [`Fetched`] to the supervisor (everything else), [`FileFetched`] for robots.txt and
//! sitemaps (in [`site_files`]), and [`OutOfFiles`] when the process has no file
//! descriptor left for a socket.
//!
//! Each job is a future spawned on the actor's context, so hundreds run at once without
//! blocking the thread, and all of them die with the actor (the supervisor then re-queues
//! them). Every request, pages and site files alike, is one
//! [`attempt`](crate::fetch::attempt): the request hooks add their headers, the attempt
//! sends, reads and checks the answer within the request timeout. Redirects are off in
//! the client: trawler follows them itself, through admission, the seen-set and the
//! frontier. Once a second the client's connections are looked after (idle ones closed,
//! the count bounded); hosts the supervisor says are done give theirs up.

mod site_files;

use crate::actors::messages::{FetchBatch, Fetched, FileFetched, OutOfFiles, Parse, RetireHosts};
use crate::canon;
use crate::engine::types::{FetchJob, FetchResult, ResponseMeta};
use crate::error::FetchError;
use crate::fetch::attempt::{self, Answer, AttemptError, Headers};
use crate::fetch::client::{Client, ClientSettings};
use crate::harvest::FetchedPage;
use crate::middleware::{Middleware, OutgoingRequest, RequestKind, ResponseAction, ResponseView};
use crate::outcome::SkipReason;
use crate::request::{Flow, Request};
use crate::retry::{self, RetryPolicy};
use crate::sniff;
use actix::prelude::*;
use awc::http::header::{self, HeaderValue};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use url::Url;

/// How often a fetcher looks after its connections.
const UPKEEP_EVERY: Duration = Duration::from_secs(1);

/// Credentials for one origin, from a seed URL's `user:password@`.
#[derive(Debug, Clone)]
pub(crate) struct Credential {
    /// The origin they are for, as [`canon::host_key`] writes it.
    pub(crate) origin: String,
    /// The `Authorization` header sent to that origin only.
    pub(crate) header: HeaderValue,
}

/// What every fetcher of a crawl shares.
pub(crate) struct FetchSettings {
    pub(crate) request_timeout: Duration,
    pub(crate) max_body: usize,
    pub(crate) retry: RetryPolicy,
    pub(crate) user_agent: String,
    pub(crate) middleware: Vec<Arc<dyn Middleware>>,
    pub(crate) credentials: Vec<Credential>,
    /// Each worker's client (the TLS setup is shared).
    pub(crate) client: ClientSettings,
}

/// A fetcher: one per worker arbiter.
pub(crate) struct Fetcher {
    client: Rc<Client>,
    settings: Arc<FetchSettings>,
    parser: Recipient<Parse>,
    supervisor: Recipient<Fetched>,
    files: Recipient<FileFetched>,
    out_of_files: Recipient<OutOfFiles>,
}

/// Where a fetcher's results go.
pub(crate) struct Routes {
    pub(crate) parser: Recipient<Parse>,
    pub(crate) supervisor: Recipient<Fetched>,
    pub(crate) files: Recipient<FileFetched>,
    pub(crate) out_of_files: Recipient<OutOfFiles>,
}

impl Fetcher {
    /// Builds the fetcher and its client; must run on the fetcher's own arbiter.
    pub(crate) fn new(settings: Arc<FetchSettings>, routes: Routes) -> Self {
        Fetcher {
            client: Rc::new(Client::new(settings.client.clone())),
            settings,
            parser: routes.parser,
            supervisor: routes.supervisor,
            files: routes.files,
            out_of_files: routes.out_of_files,
        }
    }

    /// The headers of one request: the request hooks' (run here, synchronously: a panic
    /// takes this actor down, and the supervisor restarts it and re-queues what it held),
    /// then the origin's credentials if the hooks set none. `Err` if a hook skipped it
    /// (`true`: and asked to stop the crawl).
    fn headers(&self, request: &Request, kind: RequestKind) -> Result<Headers, bool> {
        let mut headers = Vec::new();
        for m in &self.settings.middleware {
            let mut out = OutgoingRequest {
                request,
                kind,
                headers: &mut headers,
            };
            match m.on_request(&mut out) {
                Flow::Continue => {}
                Flow::Skip => return Err(false),
                Flow::Stop => return Err(true),
            }
        }
        if !headers.iter().any(|(n, _)| n == header::AUTHORIZATION)
            && let Some(c) = self.credential(&request.url)
        {
            headers.push((header::AUTHORIZATION, c.header.clone()));
        }
        Ok(headers)
    }

    fn credential(&self, url: &Url) -> Option<&Credential> {
        if self.settings.credentials.is_empty() {
            return None;
        }
        let origin = canon::host_key(url)?;
        self.settings
            .credentials
            .iter()
            .find(|c| c.origin == origin)
    }

    /// The process ran out of descriptors: the supervisor stops the crawl.
    fn report_out_of_files(&self, what: String) {
        self.out_of_files.do_send(OutOfFiles(what));
    }
}

impl Actor for Fetcher {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(UPKEEP_EVERY, |act, _| act.client.upkeep(Instant::now()));
    }
}

impl Handler<RetireHosts> for Fetcher {
    type Result = ();

    fn handle(&mut self, msg: RetireHosts, _: &mut Context<Self>) {
        let conns = self.client.connections();
        conns.retire(msg.0.iter().map(String::as_str));
        conns.reap(Instant::now());
    }
}

impl Handler<FetchBatch> for Fetcher {
    type Result = ();

    fn handle(&mut self, batch: FetchBatch, ctx: &mut Context<Self>) {
        for job in batch.0 {
            let headers = match self.headers(&job.request, RequestKind::Page) {
                Ok(h) => h,
                Err(stop) => {
                    self.supervisor.do_send(Fetched {
                        ticket: job.ticket,
                        result: FetchResult::Skipped {
                            reason: SkipReason::Middleware,
                            stop,
                        },
                    });
                    continue;
                }
            };
            let client = Rc::clone(&self.client);
            let settings = Arc::clone(&self.settings);
            let fut = async move {
                let res = attempt::attempt(
                    &client,
                    &job.request.url,
                    &headers,
                    settings.max_body,
                    settings.request_timeout,
                )
                .await;
                (job, res)
            };
            ctx.spawn(
                fut.into_actor(self)
                    .map(|(job, res), act, _| act.deliver(job, res)),
            );
        }
    }
}

impl Fetcher {
    /// Routes a finished attempt: HTML 2xx to the parser, everything else to the supervisor.
    fn deliver(&mut self, job: FetchJob, res: Result<Answer, AttemptError>) {
        let ticket = job.ticket;
        let answer = match res {
            Ok(a) => a,
            Err(AttemptError::OutOfFiles(what)) => {
                self.report_out_of_files(what);
                self.supervisor.do_send(Fetched {
                    ticket,
                    result: FetchResult::Requeue,
                });
                return;
            }
            Err(AttemptError::Fetch(error)) => {
                let result = if error.is_transient() {
                    FetchResult::Transient {
                        error,
                        meta: None,
                        retry_after: None,
                    }
                } else {
                    FetchResult::Failed { error, meta: None }
                };
                self.supervisor.do_send(Fetched { ticket, result });
                return;
            }
        };
        let content_type = answer
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let status = answer.status;
        let meta = ResponseMeta {
            status,
            bytes: answer.body.len() as u64,
            elapsed: answer.elapsed,
            content_type,
            truncated: answer.truncated,
            location: None,
        };
        let view = ResponseView {
            request: &job.request,
            status,
            headers: &answer.headers,
            body: &answer.body,
        };
        let action = self
            .settings
            .middleware
            .iter()
            .map(|m| m.on_response(&view))
            .find(|a| *a != ResponseAction::Default)
            .unwrap_or_default();
        let retry_status = match action {
            ResponseAction::Default => self.settings.retry.retries_status(status),
            ResponseAction::Retry => true,
            ResponseAction::Accept | ResponseAction::Fail => false,
        };
        let result = if action == ResponseAction::Fail {
            FetchResult::Failed {
                error: FetchError::Rejected,
                meta: Some(meta),
            }
        } else if retry_status {
            let retry_after = answer
                .headers
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry::parse_retry_after(v, SystemTime::now()))
                .map(|d| d.min(self.settings.retry.retry_after_cap));
            FetchResult::Transient {
                error: FetchError::Status(status),
                meta: Some(meta),
                retry_after,
            }
        } else if (200..300).contains(&status)
            && sniff::is_html(meta.content_type.as_deref(), &answer.body)
        {
            self.parser.do_send(Parse {
                ticket,
                request: job.request,
                meta,
                page: FetchedPage {
                    status,
                    headers: answer.headers,
                    body: answer.body,
                    truncated: answer.truncated,
                },
            });
            return;
        } else {
            let mut meta = meta;
            if matches!(status, 301 | 302 | 303 | 307 | 308) {
                meta.location = Some(
                    answer
                        .headers
                        .get(header::LOCATION)
                        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                        .unwrap_or_default(),
                );
            }
            FetchResult::Answer(meta)
        };
        self.supervisor.do_send(Fetched { ticket, result });
    }
}
