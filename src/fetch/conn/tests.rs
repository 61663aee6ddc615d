use super::*;
use std::net::TcpListener;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const LIMITS: ConnLimits = ConnLimits {
    idle_timeout: Duration::from_secs(15),
    max_idle: 8,
};

/// A listener and a way to open connections to it, accepted on the server side.
struct Server {
    listener: TcpListener,
}

impl Server {
    fn new() -> Self {
        Server {
            listener: TcpListener::bind("127.0.0.1:0").unwrap(),
        }
    }

    /// A client stream registered in `conns` inside an attempt, then left idle; and the
    /// server's end.
    async fn idle_conn(&self, conns: &Connections, key: &str) -> (Tracked, std::net::TcpStream) {
        let addr = self.listener.local_addr().unwrap();
        let stream = TcpStream::connect(addr).await.unwrap();
        let (server_end, _) = self.listener.accept().unwrap();
        let io = AttemptIo::new(false, None);
        let tracked = io.scope(async { conns.register(stream, key, false) }).await;
        assert!(!io.reused());
        io.finish(true);
        (tracked, server_end)
    }
}

#[actix_rt::test]
async fn idle_connections_go_when_old_closed_by_the_server_or_retired() {
    let server = Server::new();
    let conns = Connections::new(LIMITS);
    let (_a, _a_server) = server.idle_conn(&conns, "a:1").await;
    let (_b, b_server) = server.idle_conn(&conns, "b:1").await;
    let (_c, _c_server) = server.idle_conn(&conns, "c:1").await;
    assert_eq!((conns.open_count(), conns.idle_count()), (3, 3));

    // The server closes b's connection: it is reaped at once.
    drop(b_server);
    tokio::time::sleep(Duration::from_millis(50)).await;
    conns.reap(Instant::now());
    assert_eq!(conns.open_count(), 2);

    // c's host has no work left.
    conns.retire(["c:1"]);
    conns.reap(Instant::now());
    assert_eq!(conns.open_count(), 1);

    // a is kept until it has been idle for the timeout.
    conns.reap(Instant::now() + LIMITS.idle_timeout);
    assert_eq!(conns.open_count(), 0);
}

#[actix_rt::test]
async fn the_idle_budget_closes_the_oldest_first() {
    let server = Server::new();
    let conns = Connections::new(ConnLimits {
        max_idle: 2,
        ..LIMITS
    });
    let mut kept = Vec::new();
    for i in 0..4 {
        kept.push(server.idle_conn(&conns, &format!("h{i}:1")).await);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    conns.reap(Instant::now());
    assert_eq!(conns.idle_count(), 2);
    let open: Vec<bool> = kept.iter().map(|(t, _)| t.slot.is_open()).collect();
    assert_eq!(open, [false, false, true, true]);
}

#[actix_rt::test]
async fn a_reused_connection_is_known_and_a_fresh_one_can_be_insisted_on() {
    let server = Server::new();
    let conns = Connections::new(LIMITS);
    let (mut tracked, mut server_end) = server.idle_conn(&conns, "a:1").await;

    // The pool's check of an idle connection, inside the next attempt: it is reused.
    std::io::Write::write_all(&mut server_end, b"hi").unwrap();
    let io = AttemptIo::new(false, None);
    let mut buf = [0u8; 2];
    let n = io.scope(tracked.read(&mut buf)).await.unwrap();
    assert_eq!(
        (&buf[..n], io.reused(), io.received()),
        (&b"hi"[..], true, 2)
    );
    io.finish(true);

    // An attempt that wants a fresh connection sees the idle one as closed (awc then
    // drops it and connects anew).
    let io = AttemptIo::new(true, None);
    let n = io.scope(tracked.read(&mut buf)).await.unwrap();
    assert_eq!(n, 0);
    assert!(!tracked.slot.is_open());
    assert_eq!(conns.open_count(), 0);
}

#[actix_rt::test]
async fn an_answer_whose_connection_ends_is_not_kept() {
    let server = Server::new();
    let conns = Connections::new(LIMITS);
    let addr = server.listener.local_addr().unwrap();
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut server_end, _) = server.listener.accept().unwrap();
    let io = AttemptIo::new(false, None);
    let mut tracked = io
        .scope(async { conns.register(stream, "a:1", false) })
        .await;
    // The server answers and closes: the attempt sees the end of the stream.
    std::io::Write::write_all(&mut server_end, b"x").unwrap();
    drop(server_end);
    let mut buf = Vec::new();
    io.scope(tracked.read_to_end(&mut buf)).await.unwrap();
    assert!(io.saw_eof());
    io.finish(false);
    assert_eq!(conns.open_count(), 0);
    tracked.shutdown().await.unwrap();
}
