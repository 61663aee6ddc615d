//! [`ReplayServer`]: a [`ReplayIndex`] served over HTTP on 127.0.0.1, as the site it was.
//!
//! A request in origin form (`GET /path?q`) is looked up under the recorded origin its `Host`
//! header names, or else under the archive's first origin; a request in absolute form
//! (`GET http://host/path`, as sent to a proxy) is looked up as it is, so a client can use
//! the server as a proxy for every recorded host. The answer is the recorded status, headers
//! and body (with its content coding, e.g. still gzipped); unrecorded URLs answer 404.
//!
//! What changes on the way out: hop-by-hop headers (`Transfer-Encoding`, `Connection`, ...)
//! and `Content-Length` are dropped, since the body is sent whole and unframed and its length
//! is the one recorded (shorter than announced when it was truncated); in origin form, an
//! absolute `Location` into the served origin is moved to the server's own address, so a
//! client following a recorded redirect stays on the replay. Bodies are never rewritten.
//!
//! The server runs on its own thread with its own actix System (like the testbed), so it
//! works from a plain test or from inside another runtime; stopping is bounded.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use url::Url;

use super::{ReplayIndex, Replayed};

const START_TIMEOUT: Duration = Duration::from_secs(10);
const STOP_TIMEOUT: Duration = Duration::from_secs(4);
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
];

#[derive(Debug)]
struct State {
    index: ReplayIndex,
    /// The origin relative requests fall back to.
    origin: Option<Url>,
    /// This server's own origin, `http://127.0.0.1:PORT`.
    own: Url,
}

/// A running replay of an archive on 127.0.0.1. Stops when dropped.
#[derive(Debug)]
pub struct ReplayServer {
    url: Url,
    handle: Option<(ServerHandle, JoinHandle<()>)>,
}

impl ReplayServer {
    /// Serves `index` on `127.0.0.1:port` (0 for any free port); returns once listening.
    ///
    /// # Errors
    ///
    /// The bind error (e.g. `AddrInUse`), or `TimedOut` if the server thread does not start.
    pub fn start(index: ReplayIndex, port: u16) -> io::Result<Self> {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("trawler-replay".into())
            .spawn(move || serve(index, port, &tx))?;
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(Ok((url, handle))) => Ok(Self {
                url,
                handle: Some((handle, thread)),
            }),
            Ok(Err(err)) => {
                let _ = thread.join();
                Err(err)
            }
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "replay: server thread did not start",
            )),
        }
    }

    /// `http://127.0.0.1:PORT/`.
    #[must_use]
    pub fn url(&self) -> Url {
        self.url.clone()
    }

    /// Stops the server within a few seconds. Dropping it does the same.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let Some((handle, thread)) = self.handle.take() else {
            return;
        };
        drop(handle.stop(true));
        let deadline = Instant::now() + STOP_TIMEOUT;
        while !thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if thread.is_finished() {
            let _ = thread.join();
        } else {
            tracing::warn!("replay: server did not stop within {STOP_TIMEOUT:?}");
        }
    }
}

impl Drop for ReplayServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

type Ready = io::Result<(Url, ServerHandle)>;

fn serve(index: ReplayIndex, port: u16, tx: &mpsc::Sender<Ready>) {
    let system = actix_rt::System::new();
    system.block_on(async move {
        let listener =
            match std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))) {
                Ok(l) => l,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
        let bound = listener.local_addr().map_or(port, |a| a.port());
        let own =
            Url::parse(&format!("http://127.0.0.1:{bound}/")).unwrap_or_else(|_| unreachable!());
        let origin = index.origins().first().and_then(|o| Url::parse(o).ok());
        let state = web::Data::new(State {
            index,
            origin,
            own: own.clone(),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .default_service(web::to(handle))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener);
        let server = match server {
            Ok(s) => s.run(),
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        let handle = server.handle();
        if tx.send(Ok((own, handle.clone()))).is_err() {
            handle.stop(false).await;
            return;
        }
        if let Err(err) = server.await {
            tracing::warn!("replay: server ended with an error: {err}");
        }
    });
}

/// Which recorded URL a request asks for, and the origin it is served as (origin form only).
fn target(req: &HttpRequest, state: &State) -> Option<(Url, Option<Url>)> {
    let uri = req.uri();
    if uri.scheme().is_some() && uri.authority().is_some() {
        return Url::parse(&uri.to_string()).ok().map(|u| (u, None));
    }
    let host = req.headers().get("host").and_then(|h| h.to_str().ok());
    let named = host.and_then(|h| {
        state
            .index
            .origins()
            .iter()
            .filter_map(|o| Url::parse(o).ok())
            .find(|o| authority(o) == h)
    });
    let origin = named.or_else(|| state.origin.clone())?;
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    origin.join(path).ok().map(|u| (u, Some(origin)))
}

fn authority(url: &Url) -> String {
    match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    }
}

async fn handle(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let Some((url, served_as)) = target(&req, &state) else {
        return HttpResponse::NotFound().body("not in the archive\n");
    };
    let lookup = {
        let state = state.clone();
        let url = url.clone();
        web::block(move || state.index.get(&url).map_err(|e| e.to_string())).await
    };
    match lookup {
        Ok(Ok(Some(replayed))) => respond(replayed, served_as.as_ref(), &state.own),
        Ok(Ok(None)) => HttpResponse::NotFound().body("not in the archive\n"),
        Ok(Err(e)) => HttpResponse::BadGateway().body(format!("the archive cannot be read: {e}\n")),
        Err(e) => HttpResponse::InternalServerError().body(format!("{e}\n")),
    }
}

fn respond(replayed: Replayed, served_as: Option<&Url>, own: &Url) -> HttpResponse {
    let status = StatusCode::from_u16(replayed.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut builder = HttpResponse::build(status);
    for (name, value) in &replayed.headers {
        let lower = name.to_ascii_lowercase();
        if HOP_BY_HOP.contains(&lower.as_str()) {
            continue;
        }
        let value = match (lower.as_str(), served_as) {
            ("location", Some(origin)) => rehome(value, origin, own),
            _ => value.clone(),
        };
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(&value),
        ) {
            builder.append_header((n, v));
        }
    }
    builder.body(replayed.body)
}

/// An absolute `Location` into `origin`, moved to the server's own origin; others unchanged.
fn rehome(value: &[u8], origin: &Url, own: &Url) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(value) else {
        return value.to_vec();
    };
    let absolute = Url::parse(text.trim()).ok();
    match absolute.and_then(|to| (to.origin() == origin.origin()).then_some(to)) {
        Some(to) => {
            let mut moved = own.clone();
            moved.set_path(to.path());
            moved.set_query(to.query());
            moved.set_fragment(to.fragment());
            moved.as_str().as_bytes().to_vec()
        }
        None => value.to_vec(),
    }
}
