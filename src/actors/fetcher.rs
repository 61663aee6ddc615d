//! The fetcher actor: many requests in flight on one arbiter thread, one `awc::Client`.
//!
//! Takes: [`FetchBatch`], [`FetchFile`](crate::actors::messages::FetchFile). Sends:
//! [`Parse`] to the parser on its own arbiter (HTML 2xx pages), [`Fetched`] to the
//! supervisor (everything else), and
//! [`FileFetched`](crate::actors::messages::FileFetched) for robots.txt and sitemaps
//! (in [`site_files`]).
//!
//! Each job is a future spawned on the actor's context, so hundreds run at once without
//! blocking the thread, and all of them die with the actor (the supervisor then re-queues
//! them). The client is built inside the arbiter (`awc::Client` is `!Send`), with
//! redirects off: trawler follows them itself, through admission, the seen-set and the
//! frontier. The whole attempt, body included, is bounded by the request timeout, and the
//! body is read chunk by chunk up to the size cap, so a slow drip or a huge body can hold
//! a slot only that long and never fill memory.

mod site_files;

use crate::actors::messages::{
    FetchBatch, FetchJob, FetchResult, Fetched, FileFetched, Parse, ResponseMeta,
};
use crate::error::FetchError;
use crate::harvest::FetchedPage;
use crate::middleware::chain::{self, Decision};
use crate::middleware::{Middleware, ResponseAction, ResponseView};
use crate::outcome::SkipReason;
use crate::retry::{self, RetryPolicy};
use crate::sniff;
use actix::prelude::*;
use awc::error::SendRequestError;
use awc::http::header::{self, HeaderMap};
use bytes::BytesMut;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// What every fetcher of a crawl shares.
pub(crate) struct FetchSettings {
    pub(crate) request_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) max_body: usize,
    pub(crate) user_agent: String,
    pub(crate) retry: RetryPolicy,
    pub(crate) concurrency: usize,
    pub(crate) middleware: Vec<Arc<dyn Middleware>>,
    /// A TLS config with extra trusted roots; `None` keeps awc's (webpki roots).
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
}

/// A fetcher: one per worker arbiter.
pub(crate) struct Fetcher {
    client: awc::Client,
    settings: Arc<FetchSettings>,
    parser: Recipient<Parse>,
    supervisor: Recipient<Fetched>,
    files: Recipient<FileFetched>,
}

impl Fetcher {
    /// Builds the fetcher and its client; must run on the fetcher's own arbiter.
    pub(crate) fn new(
        settings: Arc<FetchSettings>,
        parser: Recipient<Parse>,
        supervisor: Recipient<Fetched>,
        files: Recipient<FileFetched>,
    ) -> Self {
        let mut connector = awc::Connector::new()
            .limit(settings.concurrency)
            .timeout(settings.connect_timeout)
            .conn_keep_alive(Duration::from_secs(30));
        if let Some(tls) = &settings.tls {
            connector = connector.rustls_0_23(tls.clone());
        }
        let client = awc::Client::builder()
            .connector(connector)
            .timeout(settings.request_timeout)
            .disable_redirects()
            .add_default_header((header::USER_AGENT, settings.user_agent.as_str()))
            .add_default_header((
                header::ACCEPT,
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            ))
            .finish();
        Fetcher {
            client,
            settings,
            parser,
            supervisor,
            files,
        }
    }
}

impl Actor for Fetcher {
    type Context = Context<Self>;
}

impl Handler<FetchBatch> for Fetcher {
    type Result = ();

    fn handle(&mut self, batch: FetchBatch, ctx: &mut Context<Self>) {
        for job in batch.0 {
            // Middleware runs here, synchronously: a panic in it takes this actor down,
            // and the supervisor restarts it and re-queues what it held.
            let result = match chain::run_request_hooks(&self.settings.middleware, &job.request) {
                Decision::Send(headers) => {
                    let fut = fetch(self.client.clone(), self.settings.clone(), job, headers);
                    ctx.spawn(
                        fut.into_actor(self)
                            .map(|(job, res), act, _| act.deliver(job, res)),
                    );
                    continue;
                }
                Decision::Skip { stop } => FetchResult::Skipped {
                    reason: SkipReason::Middleware,
                    stop,
                },
                Decision::Invalid(e) => FetchResult::Failed {
                    error: FetchError::BadRequestHeader(e.0),
                    meta: None,
                },
            };
            self.supervisor.do_send(Fetched {
                ticket: job.ticket,
                result,
            });
        }
    }
}

/// The body of an answer, read up to the cap.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: bytes::Bytes,
    truncated: bool,
    elapsed: Duration,
}

type Headers = Vec<(header::HeaderName, header::HeaderValue)>;

async fn fetch(
    client: awc::Client,
    settings: Arc<FetchSettings>,
    job: FetchJob,
    headers: Headers,
) -> (FetchJob, Result<Answer, FetchError>) {
    let start = Instant::now();
    let timeout = settings.request_timeout;
    let attempt = async {
        let mut req = client.get(job.request.url.as_str());
        for h in headers {
            req = req.insert_header(h);
        }
        let mut res = req.send().await.map_err(|e| send_error(e, timeout))?;
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let (body, truncated) = read_capped(&mut res, settings.max_body).await?;
        Ok(Answer {
            status,
            headers,
            body,
            truncated,
            elapsed: start.elapsed(),
        })
    };
    let res = match actix_rt::time::timeout(timeout, attempt).await {
        Ok(r) => r,
        Err(_) => Err(FetchError::Timeout(timeout)),
    };
    (job, res)
}

/// Reads the body chunk by chunk and stops at `cap`; dropping the response then closes the
/// connection instead of draining an unbounded body.
async fn read_capped<S>(res: &mut S, cap: usize) -> Result<(bytes::Bytes, bool), FetchError>
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, awc::error::PayloadError>> + Unpin,
{
    let mut buf = BytesMut::new();
    while let Some(chunk) = res.next().await {
        let chunk = chunk.map_err(|e| FetchError::Body(e.to_string()))?;
        let room = cap - buf.len();
        if chunk.len() > room {
            buf.extend_from_slice(&chunk[..room]);
            return Ok((buf.freeze(), true));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok((buf.freeze(), false))
}

fn send_error(e: SendRequestError, timeout: Duration) -> FetchError {
    match e {
        SendRequestError::Connect(c) => FetchError::Connect(c.to_string()),
        SendRequestError::Timeout => FetchError::Timeout(timeout),
        other => FetchError::Request(other.to_string()),
    }
}

impl Fetcher {
    /// Routes a finished attempt: HTML 2xx to the parser, everything else to the supervisor.
    fn deliver(&mut self, job: FetchJob, res: Result<Answer, FetchError>) {
        let ticket = job.ticket;
        let answer = match res {
            Ok(a) => a,
            Err(error) => {
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
