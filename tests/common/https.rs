//! An https site for the tests (a module of its own: the CLI tests share `common` without
//! TLS): a private CA and a server certificate for 127.0.0.1 made
//! at test time, and an actix-web server with rustls serving `/` (linking `/next.html`)
//! and `/next.html`, logging each request's path, peer address and HTTP version.

// Each test binary uses only part of this module; `pub` shares it with the test files.
#![allow(dead_code, unreachable_pub)]

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A CA certificate (DER) and a server config whose certificate it signed for 127.0.0.1.
pub fn pki() -> (Vec<u8>, rustls::ServerConfig) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(leaf.der().to_vec())], key)
        .unwrap();
    (ca.der().to_vec(), server)
}

/// Pages `/fan.html` links.
pub const FAN: usize = 40;

/// One request as the https server saw it.
#[derive(Debug, Clone)]
pub struct HttpsHit {
    /// The path.
    pub path: String,
    /// Who connected.
    pub peer: Option<SocketAddr>,
    /// `HTTP/1.1` or `HTTP/2.0`.
    pub version: String,
}

/// The server's request log.
pub type HttpsLog = Arc<Mutex<Vec<HttpsHit>>>;

/// Serves `/` (linking `/next.html`) and `/next.html` over https on 127.0.0.1:0, and
/// `/fan.html` linking [`FAN`] pages `/p/N.html` (404 for anything else), HTTP/2 to clients
/// that offer it (ALPN); the server lives as long as the test process (its thread is
/// detached).
pub fn serve(tls: rustls::ServerConfig) -> (u16, HttpsLog) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log: HttpsLog = Arc::default();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let server_log = Arc::clone(&log);
    std::thread::spawn(move || {
        actix_rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                let log = Arc::clone(&server_log);
                App::new().default_service(web::to(move |req: HttpRequest| {
                    log.lock().unwrap().push(HttpsHit {
                        path: req.path().to_string(),
                        peer: req.peer_addr(),
                        version: format!("{:?}", req.version()),
                    });
                    let body = match req.path() {
                        "/" => Some(
                            r#"<html><body><a href="/next.html">next</a></body></html>"#
                                .to_string(),
                        ),
                        "/fan.html" => Some(
                            (0..FAN)
                                .map(|i| format!("<a href=\"/p/{i}.html\">p</a>"))
                                .collect(),
                        ),
                        p if p == "/next.html" || p.starts_with("/p/") => {
                            Some("<html><body>end</body></html>".to_string())
                        }
                        _ => None,
                    };
                    async move {
                        match body {
                            Some(b) => HttpResponse::Ok().content_type("text/html").body(b),
                            None => HttpResponse::NotFound().finish(),
                        }
                    }
                }))
            })
            .workers(1)
            .disable_signals()
            .listen_rustls_0_23(listener, tls)
            .unwrap()
            .run();
            ready_tx.send(()).unwrap();
            let _ = server.await;
        });
    });
    ready_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    (port, log)
}
