//! [`Rendering`]: the transport that renders the pages its rule picks and sends the rest
//! (and robots.txt, sitemaps) through the HTTP client.
//!
//! Each worker's transport holds a bound on its open tabs: a render waits for a free one
//! (its timeout running), so the browser's memory is bounded by workers × tabs, whatever
//! the crawl's concurrency. With [`RenderRule::Adaptive`], a page goes over HTTP first and
//! to the browser only as `adaptive` decides; a failed render then keeps the HTTP answer.

use super::RenderRule;
use super::adaptive::{Hosts, Look, Plan, gained};
use super::chrome::Chrome;
use super::tab::{self, Policy};
use crate::error::FetchError;
use crate::fetch::transport::{
    FetchRequest, FetchResponse, Transport, TransportError, TransportFactory,
};
use crate::middleware::RequestKind;
use crate::sniff::is_html;
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
    pub(crate) adaptive: Arc<Hosts>,
}

impl TransportFactory for Rendering {
    fn make(&self) -> Box<dyn Transport> {
        Box::new(RenderingTransport {
            http: self.http.make(),
            chrome: Arc::clone(&self.chrome),
            rule: self.rule.clone(),
            policy: Arc::clone(&self.policy),
            tabs: Arc::new(tokio::sync::Semaphore::new(self.tabs)),
            adaptive: Arc::clone(&self.adaptive),
        })
    }
}

struct RenderingTransport {
    http: Box<dyn Transport>,
    chrome: Arc<Chrome>,
    rule: RenderRule,
    policy: Arc<Policy>,
    tabs: Arc<tokio::sync::Semaphore>,
    adaptive: Arc<Hosts>,
}

impl RenderingTransport {
    fn renderer(&self) -> Renderer {
        Renderer {
            chrome: Arc::clone(&self.chrome),
            policy: Arc::clone(&self.policy),
            tabs: Arc::clone(&self.tabs),
        }
    }
}

/// What one render needs.
struct Renderer {
    chrome: Arc<Chrome>,
    policy: Arc<Policy>,
    tabs: Arc<tokio::sync::Semaphore>,
}

impl Renderer {
    /// Renders `request` in a tab, once one is free (its timeout running meanwhile); with
    /// `given`, from the answer the HTTP client brought.
    async fn render(
        self,
        request: FetchRequest,
        given: Option<FetchResponse>,
    ) -> Result<FetchResponse, TransportError> {
        let Renderer {
            chrome,
            policy,
            tabs,
        } = self;
        let deadline = Instant::now() + request.timeout;
        let timeout = request.timeout;
        let permit = tokio::time::timeout_at(deadline.into(), tabs.acquire_owned()).await;
        let Ok(Ok(_permit)) = permit else {
            return Err(FetchError::Timeout(timeout).into());
        };
        let mut request = request;
        request.timeout = deadline.saturating_duration_since(Instant::now());
        match chrome
            .spawn(tab::render(Arc::clone(&chrome), request, policy, given))
            .await
        {
            Ok(result) => result.map_err(TransportError::Fetch),
            Err(e) => Err(FetchError::Request(format!("the render stopped: {e}")).into()),
        }
    }
}

impl Transport for RenderingTransport {
    fn fetch(
        &self,
        request: FetchRequest,
    ) -> LocalBoxFuture<'static, Result<FetchResponse, TransportError>> {
        if request.kind != RequestKind::Page {
            return self.http.fetch(request);
        }
        if request.render || self.rule.renders(request.url.as_str()) {
            return Box::pin(self.renderer().render(request, None));
        }
        if !matches!(self.rule, RenderRule::Adaptive) {
            return self.http.fetch(request);
        }
        let host = request.url[..url::Position::BeforePath].to_owned();
        if self.adaptive.plan(&host) == Plan::Render {
            return Box::pin(self.renderer().render(request, None));
        }
        let http = self.http.fetch(request.clone());
        let (renderer, hosts) = (self.renderer(), Arc::clone(&self.adaptive));
        Box::pin(async move {
            let answer = http.await?;
            let kind = answer.headers.get("content-type");
            let html = (200..300).contains(&answer.status) && is_html(kind, &answer.body);
            if !html {
                return Ok(answer);
            }
            let shell = Look::of(&answer.body).is_shell();
            let sample = hosts.sample(&host);
            if !shell && !sample {
                return Ok(answer);
            }
            let url = request.url.clone();
            // The browser is handed the answer: the page is not requested twice.
            let rendered = match renderer.render(request, Some(answer.clone())).await {
                Ok(r) if r.rendered => r,
                Ok(_) => return Ok(answer),
                Err(e) => {
                    tracing::debug!(%url, "rendering failed, the HTTP answer kept: {e:?}");
                    return Ok(answer);
                }
            };
            let gain = gained(&url, &answer.body, &rendered.body);
            if sample {
                hosts.learn(&host, gain);
            }
            Ok(if gain { rendered } else { answer })
        })
    }

    fn hosts_done(&self, hosts: &[String]) {
        self.http.hosts_done(hosts);
    }

    fn upkeep(&self, now: Instant) {
        self.http.upkeep(now);
    }
}
