//! The TCP connector under awc: resolves and connects as awc's own does, then hands the
//! stream to the worker's [`Connections`] as a [`Tracked`] one.
//!
//! A connection the crawl's proxy routes send through a proxy is opened to the proxy
//! instead, then tunnelled to the host ([`tunnel`](crate::proxy::tunnel)), or, for plain
//! http through an HTTP proxy, written in absolute form. A proxy that fails is benched and
//! the next one of its pool tried; if none can be had, the connect fails with
//! [`FetchError::Proxy`](crate::FetchError::Proxy): never a direct connection instead.
//!
//! It is also where running out of file descriptors is noticed (`EMFILE`/`ENFILE` on the
//! socket, or in the resolver): that is no fault of the URL being fetched, so the attempt
//! reports it apart and the crawl, not the URL, deals with it.

use super::conn::{AbsoluteForm, Connections, Tracked, Via, conn_key};
use crate::proxy::routes::Routes;
use crate::proxy::tunnel::{self, TunnelError};
use crate::proxy::{Proxy, ProxyScheme};
use actix_service::Service;
use actix_tls::connect::{ConnectError, ConnectInfo, Connection, ConnectorService};
use awc::http::Uri;
use futures_util::future::LocalBoxFuture;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

/// awc's TCP connector service, with every stream tracked.
#[derive(Clone)]
pub(crate) struct TrackingConnector {
    inner: ConnectorService,
    conns: Rc<Connections>,
    out_of_files: Rc<Cell<bool>>,
    routes: Option<Arc<Routes>>,
}

impl TrackingConnector {
    /// A connector registering its streams in `conns`; `out_of_files` is raised when the
    /// process has no file descriptor left for a socket.
    pub(crate) fn new(
        conns: Rc<Connections>,
        out_of_files: Rc<Cell<bool>>,
        routes: Option<Arc<Routes>>,
    ) -> Self {
        TrackingConnector {
            inner: ConnectorService::default(),
            conns,
            out_of_files,
            routes,
        }
    }
}

impl Service<ConnectInfo<Uri>> for TrackingConnector {
    type Response = Connection<Uri, Tracked>;
    type Error = ConnectError;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    actix_service::always_ready!();

    fn call(&self, req: ConnectInfo<Uri>) -> Self::Future {
        let key = conn_key(req.hostname(), req.port());
        let tls = req.request().scheme_str() == Some("https");
        if let Some(routes) = &self.routes {
            let session = super::conn::current_session();
            if let Some(order) = routes.route(req.hostname(), tls, session.as_deref()) {
                let proxied = Proxied {
                    inner: self.inner.clone(),
                    routes: Arc::clone(routes),
                    conns: Rc::clone(&self.conns),
                    out_of_files: Rc::clone(&self.out_of_files),
                };
                return Box::pin(proxied.connect(order, req, key, tls));
            }
        }
        let connecting = self.inner.call(req);
        let conns = Rc::clone(&self.conns);
        let out_of_files = Rc::clone(&self.out_of_files);
        Box::pin(async move {
            match connecting.await {
                Ok(connection) => {
                    let (stream, connection) = connection.replace_io(());
                    let tracked = conns.register(stream, &key, tls);
                    Ok(connection.replace_io(tracked).1)
                }
                Err(e) => {
                    if is_out_of_files(&e) {
                        out_of_files.set(true);
                    }
                    Err(e)
                }
            }
        })
    }
}

/// What a connection through a proxy needs.
struct Proxied {
    inner: ConnectorService,
    routes: Arc<Routes>,
    conns: Rc<Connections>,
    out_of_files: Rc<Cell<bool>>,
}

impl Proxied {
    /// Tries the proxies of `order` in turn until one gives a connection to the host.
    async fn connect(
        self,
        order: Vec<usize>,
        req: ConnectInfo<Uri>,
        key: String,
        tls: bool,
    ) -> Result<Connection<Uri, Tracked>, ConnectError> {
        let host = req.hostname().to_string();
        let port = req.port();
        let mut last = String::new();
        for index in order {
            let proxy = self.routes.proxy(index).clone();
            // Cut off by awc's connect timeout, the proxy was too slow: it is benched too.
            let mut guard = BenchOnDrop {
                routes: &self.routes,
                index: Some(index),
            };
            let opened = self.open(&proxy, &host, port, tls).await;
            guard.index = None;
            match opened {
                Ok(stream) => {
                    self.routes.worked(index);
                    let absolute = (proxy.scheme == ProxyScheme::Http && !tls)
                        .then(|| AbsoluteForm::new(&host, port, proxy.basic_auth()));
                    let via = Via {
                        routes: Arc::clone(&self.routes),
                        index,
                    };
                    let tracked = (self.conns).register_via(stream, &key, tls, Some(via), absolute);
                    return Ok(Connection::new(req.request().clone(), tracked));
                }
                Err(Opening::Files(e)) => return Err(e),
                Err(Opening::Tunnel(TunnelError::Target(why))) => {
                    return Err(ConnectError::Io(std::io::Error::other(why)));
                }
                Err(Opening::Tunnel(TunnelError::Proxy(why))) => {
                    self.routes.failed(index, &why);
                    last = why;
                }
            }
        }
        Err(ConnectError::Io(std::io::Error::other(ProxyFailure(last))))
    }

    /// A connection to the host through `proxy`.
    async fn open(
        &self,
        proxy: &Proxy,
        host: &str,
        port: u16,
        tls: bool,
    ) -> Result<actix_rt::net::TcpStream, Opening> {
        let uri: Uri = format!("http://{}", proxy.authority())
            .parse()
            .map_err(|e| Opening::Tunnel(TunnelError::Proxy(format!("proxy {proxy}: {e}"))))?;
        let to_proxy = match self.inner.call(ConnectInfo::new(uri)).await {
            Ok(c) => c,
            Err(e) if is_out_of_files(&e) => {
                self.out_of_files.set(true);
                return Err(Opening::Files(e));
            }
            Err(e) => {
                let why = format!("proxy {proxy} cannot be reached: {e}");
                return Err(Opening::Tunnel(TunnelError::Proxy(why)));
            }
        };
        let (stream, _) = to_proxy.into_parts();
        tunnel::open(stream, proxy, host, port, tls)
            .await
            .map_err(Opening::Tunnel)
    }
}

/// Why a connection through one proxy was not opened.
enum Opening {
    Tunnel(TunnelError),
    /// No file descriptor left: no proxy's fault.
    Files(ConnectError),
}

/// Benches a proxy whose handshake was dropped midway (the connect timed out).
struct BenchOnDrop<'a> {
    routes: &'a Routes,
    index: Option<usize>,
}

impl Drop for BenchOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(index) = self.index {
            self.routes
                .failed(index, "no connection within the connect timeout");
        }
    }
}

/// No proxy of a request's pool gave a connection (carried in a [`ConnectError::Io`] so
/// the attempt can name it).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct ProxyFailure(pub(crate) String);

/// Whether a connect error means the process has no descriptor left.
fn is_out_of_files(e: &ConnectError) -> bool {
    let io = match e {
        ConnectError::Io(io) => Some(io),
        ConnectError::Resolver(r) => r.downcast_ref::<std::io::Error>(),
        _ => None,
    };
    // EMFILE (24): this process's limit; ENFILE (23): the system's.
    io.and_then(std::io::Error::raw_os_error)
        .is_some_and(|code| code == 24 || code == 23)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_exhaustion_is_told_apart() {
        let emfile = ConnectError::Io(std::io::Error::from_raw_os_error(24));
        assert!(is_out_of_files(&emfile));
        let refused = ConnectError::Io(std::io::Error::from_raw_os_error(111));
        assert!(!is_out_of_files(&refused));
        let in_resolver = ConnectError::Resolver(Box::new(std::io::Error::from_raw_os_error(23)));
        assert!(is_out_of_files(&in_resolver));
        assert!(!is_out_of_files(&ConnectError::NoRecords));
    }
}
