//! The HTTP side of a crawl, below the actors: the transport seam, the default awc
//! transport, and the classification of answers that every transport shares.
//!
//! - [`transport`]: the seam ([`Transport`](transport::Transport), made per worker by a
//!   [`TransportFactory`](transport::TransportFactory)).
//! - [`classify`]: what an answer means (parse it, record it, retry it), for every transport.
//! - `http`: the default transport, awc with trawler's connections.
//! - [`attempt`]: send, read the body up to its cap, decode it, check it is whole, within
//!   the request timeout; a stale pooled connection is retried on a fresh one.
//! - [`client`]: a worker's awc client, its TLS setup, and the upkeep of its connections.
//! - [`conn`] and `connector`: every socket awc opens, tracked and bounded.
//! - `decode`: gzip, deflate and br, inflated with a hard cap.
//! - `head`: answers whose body ends with the connection, made readable to awc.
//! - [`limits`]: the open-file limit fitted to the sockets a crawl may hold.
//! - [`record`]: the archive seam, where every exchange goes when the crawl keeps an archive.

pub(crate) mod attempt;
pub(crate) mod classify;
pub(crate) mod client;
pub(crate) mod conn;
pub(crate) mod connector;
pub(crate) mod decode;
mod head;
pub(crate) mod http;
pub(crate) mod limits;
pub(crate) mod record;
pub(crate) mod transport;
