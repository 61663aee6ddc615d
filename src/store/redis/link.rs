//! The link to the Redis server: one long-lived actor, on a thread of its own, owns the
//! connection; everything else talks to it by messages.
//!
//! The `redis` crate's connection manager is a tokio object: it runs a driver task on the
//! runtime it was made on and reconnects (with backoff) when the connection drops. actix
//! runs a current-thread tokio runtime per arbiter, so the connection lives on one actix
//! system of its own, made by [`Link::connect`] on its own thread, for the whole crawl:
//! the crawl's own threads call it from anywhere without ever sharing a runtime. A call
//! sends a job to the actor and waits for its answer, bounded by [`CALL_TIMEOUT`]. The
//! lease keeper ([`super::leases`]) runs on the same actor, on a timer, so leases are
//! renewed however busy the crawl's threads are.

use crate::store::StoreError;
use actix::prelude::*;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::time::Duration;

/// How long a call waits for its answer before the crawl is told Redis is not answering.
pub(crate) const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a single command waits for Redis, and a connection attempt.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

type BoxJob = Box<dyn FnOnce(ConnectionManager) -> Pin<Box<dyn Future<Output = ()>>> + Send>;

/// A job for the link's actor: runs with a handle on the connection.
struct Job(BoxJob);

impl Message for Job {
    type Result = ();
}

/// The actor that owns the connection.
struct LinkActor {
    conn: ConnectionManager,
}

impl Actor for LinkActor {
    type Context = Context<Self>;
}

impl Handler<Job> for LinkActor {
    type Result = ();
    fn handle(&mut self, job: Job, ctx: &mut Context<Self>) {
        ctx.spawn((job.0)(self.conn.clone()).into_actor(self));
    }
}

/// A handle on the link: cheap to clone; the link's thread stops when the last handle
/// goes.
#[derive(Clone)]
pub(crate) struct Link {
    inner: std::sync::Arc<Inner>,
}

struct Inner {
    addr: Addr<LinkActor>,
    system: actix::System,
    url: String,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.system.stop();
    }
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("url", &self.inner.url)
            .finish()
    }
}

impl Link {
    /// Connects to the Redis server at `url` (`redis://HOST:PORT/DB`), on a new thread;
    /// fails at once, with one line saying why, when the URL is bad or nothing answers.
    pub(crate) fn connect(url: &str) -> Result<Link, StoreError> {
        let client = redis::Client::open(url)
            .map_err(|e| StoreError::Invalid(format!("bad Redis URL {url:?}: {e}")))?;
        let (tx, rx) = mpsc::sync_channel(1);
        let shown = shown_url(url);
        std::thread::Builder::new()
            .name("trawler-redis".into())
            .spawn(move || {
                let system = actix::System::new();
                let sys = actix::System::current();
                system.block_on(async move {
                    let config = ConnectionManagerConfig::new()
                        .set_connection_timeout(Some(RESPONSE_TIMEOUT))
                        .set_response_timeout(Some(RESPONSE_TIMEOUT))
                        .set_number_of_retries(2)
                        .set_max_delay(Duration::from_secs(2));
                    match ConnectionManager::new_with_config(client, config).await {
                        Ok(conn) => {
                            let addr = LinkActor { conn }.start();
                            let _ = tx.send(Ok((addr, sys)));
                        }
                        Err(e) => {
                            let _ = tx.send(Err(e));
                            sys.stop();
                        }
                    }
                });
                let _ = system.run();
            })
            .map_err(StoreError::Io)?;
        match rx.recv_timeout(CALL_TIMEOUT + RESPONSE_TIMEOUT) {
            Ok(Ok((addr, system))) => Ok(Link {
                inner: std::sync::Arc::new(Inner {
                    addr,
                    system,
                    url: shown,
                }),
            }),
            Ok(Err(e)) => Err(unreachable_error(&shown, &e)),
            Err(_) => Err(StoreError::Unavailable(format!(
                "Redis at {shown} did not answer"
            ))),
        }
    }

    /// Runs `f` on the link's thread with the connection and waits for its answer.
    pub(crate) fn call<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(ConnectionManager) -> Fut + Send + 'static,
        Fut: Future<Output = redis::RedisResult<T>> + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        self.spawn(move |conn| async move {
            let _ = tx.send(f(conn).await);
        });
        match rx.recv_timeout(CALL_TIMEOUT) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(lost_error(&self.inner.url, &e)),
            Err(_) => Err(StoreError::Unavailable(format!(
                "Redis at {} did not answer within {} s",
                self.inner.url,
                CALL_TIMEOUT.as_secs()
            ))),
        }
    }

    /// Runs `f` on the link's thread with the connection, without waiting.
    pub(crate) fn spawn<F, Fut>(&self, f: F)
    where
        F: FnOnce(ConnectionManager) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        self.inner
            .addr
            .do_send(Job(Box::new(move |conn| Box::pin(f(conn)))));
    }

    /// The server's URL as shown in messages (no password).
    pub(crate) fn url(&self) -> &str {
        &self.inner.url
    }
}

/// `url` without its password.
fn shown_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// The error of a first connection that failed.
fn unreachable_error(url: &str, e: &redis::RedisError) -> StoreError {
    StoreError::Unavailable(format!("cannot reach Redis at {url}: {}", one_line(e)))
}

/// The error of a call that failed.
fn lost_error(url: &str, e: &redis::RedisError) -> StoreError {
    if e.is_io_error() || e.is_connection_dropped() || e.is_timeout() || e.is_connection_refusal() {
        StoreError::Unavailable(format!("lost Redis at {url}: {}", one_line(e)))
    } else {
        StoreError::Invalid(format!("Redis at {url} answered: {}", one_line(e)))
    }
}

/// An error on one line.
fn one_line(e: &dyn std::fmt::Display) -> String {
    e.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
