//! A worker's HTTP client: awc with trawler's connector and TLS setup, its connections,
//! and the upkeep that keeps them bounded.
//!
//! One per worker thread (awc's client is `!Send`). Every request the worker makes,
//! pages and site files alike, goes through it (see [`attempt`](super::attempt)).
//!
//! Upkeep ([`Client::upkeep`], once a second): idle connections that are old, closed by
//! their server or of a host with no work left are closed, and the idle ones are kept
//! under the worker's budget, so the sockets a worker holds are bounded by its share of
//! the concurrency, not by the hosts it visited. awc's pool also keeps an entry per host
//! it ever sent to; when the worker has met many hosts, the client is renewed (requests
//! in flight finish on the old one, which is then dropped with its pool).

use super::conn::{ConnLimits, Connections};
use super::connector::TrackingConnector;
use awc::http::header;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Hosts a client meets before it is renewed (bounding awc's per-host pool entries).
const RENEW_AFTER_HOSTS: usize = 4096;

/// How long an idle connection is kept for its host's next request.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(15);

/// What a worker's client is built from.
#[derive(Debug, Clone)]
pub(crate) struct ClientSettings {
    pub(crate) connect_timeout: Duration,
    pub(crate) user_agent: String,
    /// Connections in use at once (awc's limit) for this worker.
    pub(crate) max_active: usize,
    /// Idle connections kept at most by this worker.
    pub(crate) max_idle: usize,
    pub(crate) tls: Arc<rustls::ClientConfig>,
    /// The crawl's proxy routes; `None` when every connection goes direct.
    pub(crate) proxies: Option<Arc<crate::proxy::routes::Routes>>,
}

impl ClientSettings {
    /// A worker's client for a crawl of `config`, trusting `tls`.
    pub(crate) fn for_crawl(
        config: &crate::config::CrawlConfig,
        tls: Arc<rustls::ClientConfig>,
    ) -> Self {
        ClientSettings {
            connect_timeout: config.connect_timeout,
            user_agent: config.user_agent.clone(),
            max_active: config.concurrency,
            // Enough idle connections for a worker's share of the crawl, and for one host's
            // full concurrency; the rest are closed.
            max_idle: super::limits::max_idle(
                config.concurrency,
                config.per_host_concurrency,
                config.workers,
            ),
            tls,
            proxies: crate::proxy::routes::Routes::new(&config.proxies).map(Arc::new),
        }
    }
}

/// A worker's HTTP client.
pub(crate) struct Client {
    http: RefCell<awc::Client>,
    conns: Rc<Connections>,
    out_of_files: Rc<Cell<bool>>,
    settings: ClientSettings,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("conns", &self.conns)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Builds the client; must run on the worker's own thread.
    pub(crate) fn new(settings: ClientSettings) -> Self {
        let conns = Connections::new(ConnLimits {
            idle_timeout: IDLE_TIMEOUT,
            max_idle: settings.max_idle,
        });
        let out_of_files = Rc::new(Cell::new(false));
        let http = build(&settings, &conns, &out_of_files);
        Client {
            http: RefCell::new(http),
            conns,
            out_of_files,
            settings,
        }
    }

    /// The awc client (a cheap clone sharing the pool; a request in flight keeps the one it
    /// started on, even after a renewal).
    pub(crate) fn http(&self) -> awc::Client {
        self.http.borrow().clone()
    }

    /// The worker's connections.
    pub(crate) fn connections(&self) -> &Rc<Connections> {
        &self.conns
    }

    /// Whether a connect failed for want of a file descriptor since the last call, and
    /// what to tell the user.
    pub(crate) fn take_out_of_files(&self) -> Option<String> {
        self.out_of_files.replace(false).then(|| {
            self.conns.close_idle();
            format!(
                "the process ran out of file descriptors ({} of them sockets of this worker)",
                self.conns.open_count()
            )
        })
    }

    /// Closes what should be closed; renews the client when it has met many hosts.
    pub(crate) fn upkeep(&self, now: Instant) {
        self.conns.reap(now);
        if self.conns.hosts_seen() >= RENEW_AFTER_HOSTS {
            self.conns.close_idle();
            self.conns.hosts_seen_reset();
            *self.http.borrow_mut() = build(&self.settings, &self.conns, &self.out_of_files);
        }
    }
}

fn build(
    settings: &ClientSettings,
    conns: &Rc<Connections>,
    out_of_files: &Rc<Cell<bool>>,
) -> awc::Client {
    let connector = awc::Connector::new()
        .connector(TrackingConnector::new(
            Rc::clone(conns),
            Rc::clone(out_of_files),
            settings.proxies.clone(),
        ))
        .rustls_0_23(Arc::clone(&settings.tls))
        .limit(settings.max_active)
        .timeout(settings.connect_timeout)
        // The idle rules are trawler's own (upkeep); awc's would only apply when a host is
        // asked again.
        .conn_keep_alive(IDLE_TIMEOUT)
        .conn_lifetime(Duration::from_secs(600))
        .disconnect_timeout(Duration::from_millis(500));
    awc::Client::builder()
        .connector(connector)
        // The attempt bounds the whole request itself, body included.
        .disable_timeout()
        .disable_redirects()
        .no_default_headers()
        .add_default_header((header::USER_AGENT, settings.user_agent.as_str()))
        .add_default_header((
            header::ACCEPT,
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        ))
        .finish()
}
