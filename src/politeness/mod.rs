//! Politeness: how hard the crawl may press on each host and on the network as a whole.
//!
//! The rate limits live here ([`rate`]), with a robots.txt `Crawl-delay` as a per-host
//! spacing on top; what robots.txt allows, and how its HTTP answers are read, is
//! [`robots`]. Per-host concurrency is enforced by the frontier, and `Retry-After` and a
//! pending robots.txt hold a host there too. The opt-in adaptive [`throttle`] tunes each
//! host's concurrency and spacing within those bounds.

pub(crate) mod rate;
pub(crate) mod robots;
pub(crate) mod throttle;
