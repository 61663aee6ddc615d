//! The default transport: HTTP/1.1 over awc, with trawler's connections and body reading.
//!
//! Each worker gets its own [`Client`] (awc's client is `!Send`); a request is one
//! [`attempt`](super::attempt), its answer converted to the crate's own types at this
//! edge. Hosts that are done and the once-a-second upkeep go to the client's connections.

use super::attempt::{self, AttemptError};
use super::client::{Client, ClientSettings};
use super::transport::{FetchRequest, FetchResponse, Transport, TransportError, TransportFactory};
use crate::headers::Headers;
use awc::http::header::{HeaderName, HeaderValue};
use futures_util::future::LocalBoxFuture;
use std::rc::Rc;
use std::time::Instant;

/// Makes an [`HttpTransport`] per worker.
#[derive(Debug, Clone)]
pub(crate) struct HttpTransports {
    pub(crate) settings: ClientSettings,
}

impl TransportFactory for HttpTransports {
    fn make(&self) -> Box<dyn Transport> {
        Box::new(HttpTransport {
            client: Rc::new(Client::new(self.settings.clone())),
        })
    }
}

/// awc, one client per worker.
#[derive(Debug)]
pub(crate) struct HttpTransport {
    client: Rc<Client>,
}

impl Transport for HttpTransport {
    fn fetch(
        &self,
        request: FetchRequest,
    ) -> LocalBoxFuture<'static, Result<FetchResponse, TransportError>> {
        let client = Rc::clone(&self.client);
        Box::pin(async move {
            let headers: attempt::Headers = (request.headers.iter())
                .filter_map(|(k, v)| {
                    Some((
                        HeaderName::try_from(k).ok()?,
                        HeaderValue::from_bytes(v).ok()?,
                    ))
                })
                .collect();
            let answer = attempt::attempt(
                &client,
                &request.url,
                &headers,
                request.max_body,
                request.timeout,
                request.session.as_ref(),
                request.keep_wire,
            )
            .await
            .map_err(|e| match e {
                AttemptError::Fetch(f) => TransportError::Fetch(f),
                AttemptError::OutOfFiles(what) => TransportError::OutOfFiles(what),
            })?;
            let mut headers = Headers::new();
            for (k, v) in &answer.headers {
                headers.append_raw(k.as_str(), v.as_bytes());
            }
            Ok(FetchResponse {
                status: answer.status,
                headers,
                body: answer.body,
                truncated: answer.truncated,
                elapsed: answer.elapsed,
                wire: answer.wire,
                rendered: false,
                screenshot: None,
            })
        })
    }

    fn hosts_done(&self, hosts: &[String]) {
        let conns = self.client.connections();
        conns.retire(hosts.iter().map(String::as_str));
        conns.reap(Instant::now());
    }

    fn upkeep(&self, now: Instant) {
        self.client.upkeep(now);
    }
}
