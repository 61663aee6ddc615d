//! The hash map of the crawl's per-page bookkeeping: std's `HashMap` with foldhash's
//! seeded hasher instead of SipHash.
//!
//! The engine looks up a handful of small keys for every page it hands out and takes back
//! (a lease's ticket, a host's id and key, a referrer's address), on the one thread that
//! owns the crawl's state. SipHash spends ~20 ns on each; foldhash a few. Its seed is
//! random per map, so keys taken from pages (host names) cannot be chosen to collide
//! by a site that does not see the seed; foldhash calls itself only minimally resistant
//! to an attacker who can time the crawl's lookups, and the one such map here holds the
//! hosts of queued links, not text of any length.

use std::collections::HashMap;

/// A `HashMap` hashed with foldhash (see the module docs).
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
