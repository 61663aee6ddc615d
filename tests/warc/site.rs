//! The recorded site: an actix-web server on 127.0.0.1:0 whose answers cover what an archive
//! must keep: HTML, a gzip-encoded page, a chunked stream, redirects (relative and absolute
//! `Location`), a 404 page, binary bytes, a body larger than the client's cap, and two URLs
//! with the same payload.

use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write as _;

pub(crate) const HOME: &str = "<!DOCTYPE html><html lang=\"en\"><head><title>Home</title></head>\
<body><a href=\"/gzip\">gzip</a> <a href=\"/old\">old</a></body></html>";
pub(crate) const NEW: &str =
    "<!DOCTYPE html><html><head><title>New</title></head><body>moved here</body></html>";
pub(crate) const MISSING: &str =
    "<!DOCTYPE html><html><head><title>404</title></head><body>no such page</body></html>";
pub(crate) const SAME: &str =
    "<!DOCTYPE html><html><body>the same bytes under two URLs</body></html>";
/// The parts of the chunked stream, each sent as its own chunk.
pub(crate) const PARTS: [&str; 3] = ["<html><body>", "streamed in chunks", "</body></html>"];
/// Size of `/big`.
pub(crate) const BIG: usize = 200_000;

/// The decoded body the server sends for `path` (what a browser would show).
pub(crate) fn body_of(path: &str) -> Vec<u8> {
    match path {
        "/" => HOME.into(),
        "/gzip" => gzip_page(),
        "/chunked" => PARTS.concat().into_bytes(),
        "/new" => NEW.into(),
        "/missing" => MISSING.into(),
        "/image.png" => (0..4096u32).map(|i| (i * 7 % 256) as u8).collect(),
        "/big" => (0..BIG).map(|i| b'a' + (i % 26) as u8).collect(),
        "/same-a" | "/same-b" => SAME.into(),
        _ => Vec::new(),
    }
}

fn gzip_page() -> Vec<u8> {
    format!(
        "<!DOCTYPE html><html><body>{}</body></html>",
        "compressible text ".repeat(200)
    )
    .into_bytes()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

async fn handle(req: HttpRequest) -> HttpResponse {
    let path = req.path().to_owned();
    let html = "text/html; charset=utf-8";
    match path.as_str() {
        "/" | "/new" | "/same-a" | "/same-b" => {
            HttpResponse::Ok().content_type(html).body(body_of(&path))
        }
        "/gzip" => HttpResponse::Ok()
            .content_type(html)
            .insert_header(("Content-Encoding", "gzip"))
            .body(gzip(&body_of("/gzip"))),
        "/chunked" => {
            let parts = PARTS.map(|p| Ok::<_, actix_web::Error>(Bytes::from_static(p.as_bytes())));
            HttpResponse::Ok()
                .content_type(html)
                .streaming(futures_util::stream::iter(parts))
        }
        "/old" => HttpResponse::MovedPermanently()
            .insert_header(("Location", "/new"))
            .finish(),
        "/abs" => {
            let host = req.connection_info().host().to_owned();
            HttpResponse::Found()
                .insert_header(("Location", format!("http://{host}/new")))
                .finish()
        }
        "/image.png" => HttpResponse::Ok()
            .content_type("image/png")
            .body(body_of(&path)),
        "/big" => HttpResponse::Ok()
            .content_type("text/plain")
            .body(body_of(&path)),
        _ => HttpResponse::NotFound().content_type(html).body(MISSING),
    }
}

/// The running site; stopped by [`Site::stop`] or on drop.
pub(crate) struct Site {
    pub(crate) addr: SocketAddr,
    handle: Option<(ServerHandle, JoinHandle<()>)>,
}

impl Site {
    pub(crate) fn start() -> Site {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_rt::System::new().block_on(async move {
                let server = HttpServer::new(|| App::new().default_service(web::to(handle)))
                    .workers(1)
                    .disable_signals()
                    .shutdown_timeout(1)
                    .bind("127.0.0.1:0")
                    .unwrap();
                let addr = server.addrs()[0];
                let server = server.run();
                tx.send((addr, server.handle())).unwrap();
                server.await.unwrap();
            });
        });
        let (addr, handle) = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("site start");
        Site {
            addr,
            handle: Some((handle, thread)),
        }
    }

    pub(crate) fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some((handle, thread)) = self.handle.take() {
            drop(handle.stop(true));
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while !thread.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            assert!(thread.is_finished(), "the site did not stop in time");
            thread.join().unwrap();
        }
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.shutdown();
    }
}
