//! Politeness: how hard the crawl may press on each host and on the network as a whole.
//!
//! The rate limits live here ([`rate`]); per-host concurrency is enforced by the
//! frontier, and `Retry-After` parks a host there too.

pub(crate) mod rate;
