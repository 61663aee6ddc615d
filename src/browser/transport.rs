//! [`Rendering`]: the transport that renders the pages its rule picks and sends the rest
//! (and robots.txt, sitemaps) through the HTTP client.
//!
//! Each worker's transport holds a bound on its open tabs: a render waits for a free one
//! (its timeout running), so the browser's memory is bounded by workers × tabs, whatever
//! the crawl's concurrency.

use super::RenderRule;
use super::chrome::Chrome;
use super::tab::{self, Policy};
use crate::error::FetchError;
use crate::fetch::transport::{
    FetchRequest, FetchResponse, Transport, TransportError, TransportFactory,
};
use crate::middleware::RequestKind;
use futures_util::future::LocalBoxFuture;
use std::sync::Arc;
use std::time::Instant;

/// Makes each worker's rendering transport; see the module docs.
pub(crate) struct Rendering {
    pub(crate) http: Arc<dyn TransportFactory>,
    pub(crate) chrome: Arc<Chrome>,
    pub(crate) rule: RenderRule,
    pub(crate) policy: Arc<Policy>,
    pub(crate) tabs: usize,
}

impl TransportFactory for Rendering {
    fn make(&self) -> Box<dyn Transport> {
        Box::new(RenderingTransport {
            http: self.http.make(),
            chrome: Arc::clone(&self.chrome),
            rule: self.rule.clone(),
            policy: Arc::clone(&self.policy),
            tabs: Arc::new(tokio::sync::Semaphore::new(self.tabs)),
        })
    }
}

struct RenderingTransport {
    http: Box<dyn Transport>,
    chrome: Arc<Chrome>,
    rule: RenderRule,
    policy: Arc<Policy>,
    tabs: Arc<tokio::sync::Semaphore>,
}

impl Transport for RenderingTransport {
    fn fetch(
        &self,
        request: FetchRequest,
    ) -> LocalBoxFuture<'static, Result<FetchResponse, TransportError>> {
        let page = request.kind == RequestKind::Page;
        if !page || !self.rule.renders(request.url.as_str()) {
            return self.http.fetch(request);
        }
        let (chrome, policy, tabs) = (
            Arc::clone(&self.chrome),
            Arc::clone(&self.policy),
            Arc::clone(&self.tabs),
        );
        Box::pin(async move {
            let deadline = Instant::now() + request.timeout;
            let timeout = request.timeout;
            let permit = tokio::time::timeout_at(deadline.into(), tabs.acquire_owned()).await;
            let Ok(Ok(_permit)) = permit else {
                return Err(FetchError::Timeout(timeout).into());
            };
            let mut request = request;
            request.timeout = deadline.saturating_duration_since(Instant::now());
            match chrome
                .spawn(tab::render(Arc::clone(&chrome), request, policy))
                .await
            {
                Ok(result) => result.map_err(TransportError::Fetch),
                Err(e) => Err(FetchError::Request(format!("the render stopped: {e}")).into()),
            }
        })
    }

    fn hosts_done(&self, hosts: &[String]) {
        self.http.hosts_done(hosts);
    }

    fn upkeep(&self, now: Instant) {
        self.http.upkeep(now);
    }
}
