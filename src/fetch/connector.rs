//! The TCP connector under awc: resolves and connects as awc's own does, then hands the
//! stream to the worker's [`Connections`] as a [`Tracked`] one.
//!
//! It is also where running out of file descriptors is noticed (`EMFILE`/`ENFILE` on the
//! socket, or in the resolver): that is no fault of the URL being fetched, so the attempt
//! reports it apart and the crawl, not the URL, deals with it.

use super::conn::{Connections, Tracked, conn_key};
use actix_service::Service;
use actix_tls::connect::{ConnectError, ConnectInfo, Connection, ConnectorService};
use awc::http::Uri;
use futures_util::future::LocalBoxFuture;
use std::cell::Cell;
use std::rc::Rc;

/// awc's TCP connector service, with every stream tracked.
#[derive(Clone)]
pub(crate) struct TrackingConnector {
    inner: ConnectorService,
    conns: Rc<Connections>,
    out_of_files: Rc<Cell<bool>>,
}

impl TrackingConnector {
    /// A connector registering its streams in `conns`; `out_of_files` is raised when the
    /// process has no file descriptor left for a socket.
    pub(crate) fn new(conns: Rc<Connections>, out_of_files: Rc<Cell<bool>>) -> Self {
        TrackingConnector {
            inner: ConnectorService::default(),
            conns,
            out_of_files,
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
