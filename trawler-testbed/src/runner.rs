//! [`Testbed`]: the running server and its handle (start, URLs, stats, stop).
//!
//! The server lives on its own `std::thread` with its own `actix_rt::System`, so it works
//! the same from a plain `#[test]` (no runtime at all) and from inside another actix System:
//! the caller never needs to poll anything. `start` returns once every listener is bound
//! (the kernel queues connections from then on), and stopping is bounded: a graceful stop
//! whose grace period (1 s) actix enforces by dropping the connections still open, and in
//! the unexpected case that the thread has still not finished after [`STOP_TIMEOUT`], it is
//! abandoned with a warning rather than blocking the caller.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::http::KeepAlive;
use actix_web::{App, HttpServer, web};
use url::Url;

use super::server::{Shared, Slot, handle};
use super::spec::SiteSpec;
use super::stats::{LogEntry, TestbedStats};

/// Longest `start` waits for the server thread to bind.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest `stop` (or drop) blocks.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(4);
/// Grace period for in-flight requests on stop (actix counts it in whole seconds).
const SHUTDOWN_GRACE_SECS: u64 = 1;
/// Idle keep-alive; longer than typical client pool idle timeouts, so that the client is
/// the side that closes an idle connection and never reuses one the server just dropped.
const KEEP_ALIVE: Duration = Duration::from_secs(75);

/// A running synthetic website on 127.0.0.x. Stops when dropped.
#[derive(Debug)]
pub struct Testbed {
    shared: Arc<Shared>,
    urls: Vec<Url>,
    control: Option<Control>,
    ca_pem: Option<String>,
}

#[derive(Debug)]
struct Control {
    handle: ServerHandle,
    thread: JoinHandle<()>,
}

struct Ready {
    shared: Arc<Shared>,
    handle: ServerHandle,
    ca_pem: Option<String>,
}

impl Testbed {
    /// Validates `spec`, binds one listener per host (127.0.0.1, 127.0.0.2, ...) and starts
    /// serving; returns once every listener is bound.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for an invalid spec (see [`SiteSpec::validate`]); the bind error (e.g.
    /// `AddrInUse`, `AddrNotAvailable`), with a message naming the address, when a listener
    /// cannot be bound; `TimedOut` if the server thread does not come up.
    pub fn start(spec: SiteSpec) -> io::Result<Testbed> {
        spec.validate()?;
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("trawler-testbed".into())
            .spawn(move || serve(spec, &tx))?;
        let ready = match rx.recv_timeout(START_TIMEOUT) {
            Ok(Ok(ready)) => ready,
            Ok(Err(err)) => {
                let _ = thread.join();
                return Err(err);
            }
            Err(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "testbed: server thread did not start",
                ));
            }
        };
        let urls = ready
            .shared
            .site
            .origins
            .iter()
            .map(|o| parse_url(&format!("{o}/")))
            .collect();
        let control = Control {
            handle: ready.handle,
            thread,
        };
        Ok(Testbed {
            shared: ready.shared,
            urls,
            control: Some(control),
            ca_pem: ready.ca_pem,
        })
    }

    /// With [`SiteSpec::tls`], the CA certificate (PEM) that signed the site's certificate.
    #[must_use]
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// `http://127.0.0.1:PORT/` of host 0: the seed of a crawl.
    #[must_use]
    pub fn url(&self) -> Url {
        self.urls[0].clone()
    }

    /// The root URL of every host, host 0 first.
    #[must_use]
    pub fn host_urls(&self) -> Vec<Url> {
        self.urls.clone()
    }

    /// HTML pages reachable from [`Testbed::url`], over all hosts.
    #[must_use]
    pub fn reachable_pages(&self) -> u64 {
        self.shared.site.reachable_pages()
    }

    /// Every reachable page URL, host by host in page-id order (index first). Lazy, but meant
    /// for small sites: one `Url` per page.
    pub fn page_urls(&self) -> impl Iterator<Item = Url> + '_ {
        let site = &self.shared.site;
        (0..site.graphs.len()).flat_map(move |h| {
            (0..site.graphs[h].pages()).map(move |id| parse_url(&site.page_url(h, id)))
        })
    }

    /// [`Testbed::page_urls`], sorted, as a `Vec`.
    #[must_use]
    pub fn expected_urls(&self) -> Vec<Url> {
        let mut urls: Vec<Url> = self.page_urls().collect();
        urls.sort();
        urls
    }

    /// The pages that exist but are linked from nowhere, over all hosts.
    #[must_use]
    pub fn unreachable_urls(&self) -> Vec<Url> {
        let site = &self.shared.site;
        let graphs = site.graphs.iter().enumerate();
        graphs
            .flat_map(|(h, g)| {
                (g.pages()..g.total()).map(move |id| parse_url(&site.page_url(h, id)))
            })
            .collect()
    }

    /// The spec this testbed serves.
    #[must_use]
    pub fn spec(&self) -> &SiteSpec {
        &self.shared.spec
    }

    /// A snapshot of the request counters.
    #[must_use]
    pub fn stats(&self) -> TestbedStats {
        self.shared.stats()
    }

    /// Zeroes every counter (not the log), e.g. between benchmark rounds.
    pub fn reset_stats(&self) {
        for c in &self.shared.counters {
            c.page_hits.iter().for_each(|h| h.store(0, Relaxed));
            for n in [
                &c.requests,
                &c.bytes,
                &c.assets,
                &c.traps,
                &c.robots,
                &c.sitemaps,
                &c.not_found,
                &c.faults,
            ] {
                n.store(0, Relaxed);
            }
        }
    }

    /// Every request so far, in arrival order; empty unless `SiteSpec::record_log` is set.
    #[must_use]
    pub fn log(&self) -> Vec<LogEntry> {
        self.shared
            .log
            .as_ref()
            .map(super::stats::RequestLog::entries)
            .unwrap_or_default()
    }

    /// Stops the server: in-flight requests get a short grace period, and this returns
    /// within [`STOP_TIMEOUT`] in any case. Dropping the testbed does the same.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let Some(control) = self.control.take() else {
            return;
        };
        // The stop command is sent by this call; the returned future only reports completion.
        drop(control.handle.stop(true));
        let deadline = Instant::now() + STOP_TIMEOUT;
        while !control.thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if control.thread.is_finished() {
            let _ = control.thread.join();
        } else {
            tracing::warn!(
                "testbed: server did not stop within {STOP_TIMEOUT:?}; abandoning its thread"
            );
        }
    }
}

impl Drop for Testbed {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Our own URLs are always well formed; a failure here would be a bug in the generator.
fn parse_url(s: &str) -> Url {
    Url::parse(s).unwrap_or_else(|e| unreachable!("testbed generated a bad URL {s:?}: {e}"))
}

/// The server thread: bind, publish the state, serve until stopped.
fn serve(spec: SiteSpec, tx: &mpsc::Sender<io::Result<Ready>>) {
    let system = actix_rt::System::new();
    system.block_on(async move {
        let slot: Arc<Slot> = Arc::new(Slot::new());
        let data = web::Data::from(Arc::clone(&slot));
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(handle))
        })
        .workers(spec.workers)
        .disable_signals()
        .shutdown_timeout(SHUTDOWN_GRACE_SECS)
        .keep_alive(KeepAlive::Timeout(KEEP_ALIVE))
        // As nginx does by default: HTTP/2 frames are small writes, Nagle would hold them.
        .tcp_nodelay(true);
        let mut origins = Vec::with_capacity(spec.hosts);
        let (ca_pem, tls) = match identity(&spec) {
            Ok(identity) => identity,
            Err(err) => {
                let _ = tx.send(Err(err));
                return;
            }
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        for host in 0..spec.hosts {
            let ip = Ipv4Addr::new(127, 0, 0, u8::try_from(host + 1).unwrap_or(u8::MAX));
            let addr = SocketAddr::from((ip, spec.port));
            let bound = match &tls {
                #[cfg(feature = "tls")]
                Some(config) => server.bind_rustls_0_23(addr, config.clone()),
                _ => server.bind(addr),
            };
            server = match bound {
                Ok(server) => server,
                Err(err) => {
                    let hint = if host > 0 {
                        " (Linux routes all of 127.0.0.0/8 to lo; elsewhere add an alias)"
                    } else {
                        ""
                    };
                    let msg =
                        format!("testbed: cannot listen on {addr} for host {host}: {err}{hint}");
                    let _ = tx.send(Err(io::Error::new(err.kind(), msg)));
                    return;
                }
            };
            let bound = server
                .addrs()
                .into_iter()
                .find(|a| a.ip() == ip)
                .map_or(spec.port, |a| a.port());
            origins.push(format!("{scheme}://{ip}:{bound}"));
        }
        let shared = Arc::new(Shared::new(spec, origins));
        let _ = slot.set(Arc::clone(&shared));
        let running = server.run();
        let handle = running.handle();
        if tx
            .send(Ok(Ready {
                shared,
                handle: handle.clone(),
                ca_pem,
            }))
            .is_err()
        {
            // `start` gave up waiting, so nobody could ever stop this server: stop it now.
            handle.stop(false).await;
            return;
        }
        if let Err(err) = running.await {
            tracing::warn!("testbed: server ended with an error: {err}");
        }
    });
}

/// The CA (PEM) and server config of an https testbed; nothing for plain http.
#[cfg(feature = "tls")]
type Tls = rustls::ServerConfig;
#[cfg(not(feature = "tls"))]
type Tls = std::convert::Infallible;

fn identity(spec: &SiteSpec) -> io::Result<(Option<String>, Option<Tls>)> {
    #[cfg(feature = "tls")]
    if spec.tls {
        let (pem, config) = crate::tls::identity(spec.hosts)?;
        return Ok((Some(pem), Some(config)));
    }
    let _ = spec;
    Ok((None, None))
}
