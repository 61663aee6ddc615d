//! The actix-web side: one catch-all handler that counts the request, applies latency and
//! faults, and answers with what [`Site`] says the path is.
//!
//! A single `default_service` instead of a router: every path goes through the same few
//! string checks in [`Site::resolve`], which is cheaper than route matching and keeps all
//! routing in the pure, unit-tested core. The host a request is for is the local address it
//! arrived on (host `h` listens on `127.0.0.{h+1}`), not the `Host` header, so a crawler
//! cannot confuse the accounting by what it sends.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, ETAG, IF_NONE_MATCH, RETRY_AFTER};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;

use super::editions;
use super::faults::{Fault, fault_of, faulted_requests, reset_response, slow_body_response};
use super::scripted;
use super::site::{Resource, Site};
use super::spec::{Latency, SiteSpec};
use super::stats::{HostCounters, LogEntry, RequestLog, TestbedStats, total};

const HTML: &str = "text/html; charset=utf-8";
const NOT_FOUND_BODY: &str = "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\
<body><h1>Not Found</h1></body></html>\n";
const FAULT_BODY: &str = "<!DOCTYPE html>\n<html><head><title>Unavailable</title></head>\
<body><h1>Try again later</h1></body></html>\n";

/// State shared by all workers and by the `Testbed` handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) site: Site,
    pub(crate) spec: SiteSpec,
    pub(crate) counters: Vec<HostCounters>,
    pub(crate) log: Option<RequestLog>,
}

/// Filled once the listeners are bound (pages need the real ports), before any request is
/// served; a request that somehow came earlier gets a 503 rather than a panic.
pub(crate) type Slot = OnceLock<Arc<Shared>>;

impl Shared {
    pub(crate) fn new(spec: SiteSpec, origins: Vec<String>) -> Self {
        let site = Site::new(&spec, origins);
        let counters = site
            .graphs
            .iter()
            .map(|g| HostCounters::new(g.pages(), g.total()))
            .collect();
        let log = spec.record_log.then(RequestLog::default);
        Self {
            site,
            spec,
            counters,
            log,
        }
    }

    pub(crate) fn stats(&self) -> TestbedStats {
        let (faults, seed) = (&self.spec.faults, self.spec.seed);
        total(
            self.counters
                .iter()
                .enumerate()
                .map(|(h, c)| c.snapshot(|id, hits| faulted_requests(faults, seed, h, id, hits)))
                .collect(),
        )
    }

    fn latency(&self) -> Duration {
        match self.spec.latency {
            Latency::None => Duration::ZERO,
            Latency::Fixed(d) => d,
            Latency::Uniform { min, max } => {
                let span = u64::try_from(max.saturating_sub(min).as_nanos()).unwrap_or(u64::MAX);
                min + Duration::from_nanos(fastrand::u64(0..=span))
            }
        }
    }
}

/// The host index of the listener a request arrived on.
fn host_of(addr: SocketAddr, hosts: usize) -> usize {
    match addr.ip() {
        IpAddr::V4(ip) => usize::from(ip.octets()[3]).wrapping_sub(1),
        IpAddr::V6(_) => 0,
    }
    .min(hosts - 1)
}

/// The catch-all handler.
pub(crate) async fn handle(req: HttpRequest, slot: web::Data<Slot>) -> HttpResponse {
    let Some(shared) = slot.get() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    let at = Instant::now();
    let host = host_of(req.app_config().local_addr(), shared.counters.len());
    let counters = &shared.counters[host];
    counters.requests.fetch_add(1, Relaxed);
    let path = req.path();
    let resource = shared.site.resolve(host, path);
    let spec = &shared.spec;
    let fault = match resource {
        Resource::Page(id) if counters.hit_page(id) < spec.faults.repeats => {
            fault_of(&spec.faults, spec.seed, host, id)
        }
        _ => None,
    };
    let status = match (&resource, fault) {
        (_, Some(f)) => f.logged_status(),
        (Resource::Trap | Resource::NotFound, _) => 404,
        _ => 200,
    };
    if path == "/robots.txt" {
        counters.robots.fetch_add(1, Relaxed);
    }
    match resource {
        Resource::Asset(..) => counters.assets.fetch_add(1, Relaxed),
        Resource::SitemapIndex | Resource::Sitemap(_) => counters.sitemaps.fetch_add(1, Relaxed),
        Resource::Trap => counters.traps.fetch_add(1, Relaxed),
        Resource::NotFound => counters.not_found.fetch_add(1, Relaxed),
        Resource::Page(_) | Resource::Robots(_) => 0,
    };
    if fault.is_some() {
        counters.faults.fetch_add(1, Relaxed);
    }
    if let Some(log) = &shared.log {
        log.push(LogEntry {
            at,
            host,
            path: path.to_owned(),
            status,
        });
    }

    let delay = shared.latency();
    if !delay.is_zero() {
        actix_rt::time::sleep(delay).await;
    }
    // A page's validator; a `304` when the request names it.
    let page = match (fault, &resource) {
        (None, Resource::Page(id)) => {
            let version = editions::version(spec.seed, host, *id, spec.edition);
            let etag = editions::etag(spec.seed, host, *id, version);
            let asked = req
                .headers()
                .get(IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok());
            if asked.is_some_and(|v| editions::matches(v, &etag)) {
                counters.not_modified.fetch_add(1, Relaxed);
                return HttpResponse::NotModified()
                    .insert_header((ETAG, etag))
                    .finish();
            }
            Some((version, etag))
        }
        _ => None,
    };
    let (content_type, body) = match (fault, resource) {
        (Some(Fault::Reset), _) => return reset_response(),
        (Some(Fault::Stall), _) => {
            actix_rt::time::sleep(spec.faults.stall_for).await;
            return reset_response();
        }
        (Some(Fault::Status(code)), _) => {
            let code = StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            return respond(
                counters,
                HttpResponse::build(code),
                HTML,
                Bytes::from_static(FAULT_BODY.as_bytes()),
            );
        }
        (Some(Fault::TooMany), _) => {
            let mut builder = HttpResponse::TooManyRequests();
            builder.insert_header((RETRY_AFTER, "1"));
            return respond(
                counters,
                builder,
                HTML,
                Bytes::from_static(FAULT_BODY.as_bytes()),
            );
        }
        (_, Resource::Trap | Resource::NotFound) => {
            let body = Bytes::from_static(NOT_FOUND_BODY.as_bytes());
            return respond(counters, HttpResponse::NotFound(), HTML, body);
        }
        (_, Resource::Asset(ty, body)) => (ty, body),
        (_, Resource::Robots(body)) => ("text/plain; charset=utf-8", body),
        (
            _,
            ref generated @ (Resource::Page(_) | Resource::SitemapIndex | Resource::Sitemap(_)),
        ) => {
            let mut out = Vec::new();
            shared.site.render(host, generated, &mut out);
            if let Resource::Page(id) = generated
                && scripted::is_scripted(spec.seed, host, *id, spec.script_pages)
            {
                let page = std::mem::take(&mut out);
                scripted::into_shell(&page, &mut out);
            }
            if let Some((version @ 1.., _)) = &page {
                out.extend_from_slice(editions::marker(*version).as_bytes());
            }
            let ty = if matches!(generated, Resource::Page(_)) {
                HTML
            } else {
                "application/xml; charset=utf-8"
            };
            (ty, Bytes::from(out))
        }
    };
    if fault == Some(Fault::SlowBody) {
        counters.bytes.fetch_add(body.len() as u64, Relaxed);
        return slow_body_response(content_type, body);
    }
    let mut ok = HttpResponse::Ok();
    if let Some((_, etag)) = page {
        ok.insert_header((ETAG, etag));
    }
    respond(counters, ok, content_type, body)
}

fn respond(
    counters: &HostCounters,
    mut builder: actix_web::HttpResponseBuilder,
    content_type: &'static str,
    body: Bytes,
) -> HttpResponse {
    counters.bytes.fetch_add(body.len() as u64, Relaxed);
    builder
        .insert_header((CONTENT_TYPE, content_type))
        .body(body)
}
