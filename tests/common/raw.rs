//! A raw-socket HTTP server for behaviours no well-behaved framework will produce: bodies
//! cut short, malformed answers, connections closed at chosen moments, compression bombs.
//!
//! Each connection gets a thread that reads request heads and hands each one to the test's
//! handler, which writes whatever bytes it likes and says whether the connection goes on.
//! Every request is logged (path and connection number) and the server counts the
//! connections it holds open, so a test can check what reached it and how many sockets the
//! crawler kept. Listens on `127.0.0.1:0` (or another loopback address); stopped when
//! dropped.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the handler does after answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Wait for the next request on this connection.
    KeepOpen,
    /// Close the connection.
    Close,
}

/// One request as the raw server saw it.
#[derive(Debug, Clone)]
pub struct RawHit {
    /// The `Host` header.
    pub host: String,
    /// Path with query.
    pub path: String,
    /// The connection it came on (numbered from 0 in accept order).
    pub conn: usize,
    /// Its request number on that connection (0 for the first).
    pub nth: usize,
    /// The header lines, lowercased names.
    pub headers: Vec<(String, String)>,
    /// Who connected.
    pub peer: SocketAddr,
}

type Handler = dyn Fn(&RawHit, &mut TcpStream) -> After + Send + Sync;

#[derive(Default)]
struct Shared {
    log: Mutex<Vec<RawHit>>,
    open: AtomicUsize,
    max_open: AtomicUsize,
    conns: AtomicUsize,
    stop: AtomicBool,
}

/// The server; stopped when dropped.
pub struct RawServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl RawServer {
    /// Serves on `127.0.0.1:0` with `handler`.
    pub fn start(
        handler: impl Fn(&RawHit, &mut TcpStream) -> After + Send + Sync + 'static,
    ) -> Self {
        Self::start_on("127.0.0.1:0", handler)
    }

    /// Serves on `addr` (a loopback address) with `handler`.
    pub fn start_on(
        addr: &str,
        handler: impl Fn(&RawHit, &mut TcpStream) -> After + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind(addr).expect("bind a loopback address");
        Self::serve(vec![listener], handler)
    }

    /// Serves the same port on `hosts` loopback addresses, 127.0.0.1 and up (each one a
    /// host of its own to a crawler), with `handler`; its [`addr`](Self::addr) is the first.
    pub fn start_hosts(
        hosts: u8,
        handler: impl Fn(&RawHit, &mut TcpStream) -> After + Send + Sync + 'static,
    ) -> Self {
        'port: for _ in 0..20 {
            let first = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
            let port = first.local_addr().unwrap().port();
            let mut listeners = vec![first];
            for i in 2..=hosts {
                match TcpListener::bind(("127.0.0.".to_string() + &i.to_string(), port)) {
                    Ok(l) => listeners.push(l),
                    Err(_) => continue 'port,
                }
            }
            return Self::serve(listeners, handler);
        }
        panic!("no port free on {hosts} loopback addresses");
    }

    fn serve(
        listeners: Vec<TcpListener>,
        handler: impl Fn(&RawHit, &mut TcpStream) -> After + Send + Sync + 'static,
    ) -> Self {
        for l in &listeners {
            l.set_nonblocking(true).unwrap();
        }
        let addr = listeners[0].local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let handler: Arc<Handler> = Arc::new(handler);
        let sh = Arc::clone(&shared);
        std::thread::spawn(move || {
            while !sh.stop.load(Ordering::SeqCst) {
                let mut idle = true;
                for listener in &listeners {
                    if let Ok((stream, peer)) = listener.accept() {
                        idle = false;
                        stream.set_nonblocking(false).unwrap();
                        let conn = sh.conns.fetch_add(1, Ordering::SeqCst);
                        let (sh, handler) = (Arc::clone(&sh), Arc::clone(&handler));
                        std::thread::spawn(move || serve_conn(stream, peer, conn, &sh, &*handler));
                    }
                }
                if idle {
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
        });
        RawServer { addr, shared }
    }

    /// The URL of `path` here.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request so far.
    pub fn hits(&self) -> Vec<RawHit> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Requests for `path` so far.
    pub fn count(&self, path: &str) -> usize {
        self.hits().iter().filter(|h| h.path == path).count()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.conns.load(Ordering::SeqCst)
    }

    /// Connections open now (the crawler's end not yet closed).
    pub fn open_now(&self) -> usize {
        self.shared.open.load(Ordering::SeqCst)
    }

    /// The most connections open at once.
    pub fn max_open(&self) -> usize {
        self.shared.max_open.load(Ordering::SeqCst)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

fn serve_conn(stream: TcpStream, peer: SocketAddr, conn: usize, sh: &Shared, handler: &Handler) {
    let now = sh.open.fetch_add(1, Ordering::SeqCst) + 1;
    sh.max_open.fetch_max(now, Ordering::SeqCst);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut writer = stream.try_clone().expect("clone the stream");
    let mut reader = BufReader::new(stream);
    let mut nth = 0;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            break; // the crawler closed the connection
        }
        let target = request_line.split_whitespace().nth(1).unwrap_or("/");
        // A target in absolute form (`http://host/path`, which servers must accept) is
        // logged by its path.
        let path = match target.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
            None => target,
        }
        .to_string();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.trim_end().split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let hit = RawHit {
            host: headers
                .iter()
                .find(|(k, _)| k == "host")
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
            path,
            conn,
            nth,
            headers,
            peer,
        };
        sh.log.lock().unwrap().push(hit.clone());
        nth += 1;
        if sh.stop.load(Ordering::SeqCst) || handler(&hit, &mut writer) == After::Close {
            let _ = writer.flush();
            break;
        }
    }
    drop(writer);
    sh.open.fetch_sub(1, Ordering::SeqCst);
}

/// Writes a complete answer: status line, headers, `Content-Length` and body.
pub fn respond(stream: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}
