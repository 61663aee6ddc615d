//! A shared crawl's progress read from Redis ([`status`]): what `trawler status` prints,
//! from any machine, whether or not a worker is running; it only reads.

use super::keys;
use super::link::Link;
use crate::store::StoreError;

/// A shared crawl's progress, as [`status`] reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct SharedStatus {
    /// Whether the crawl exists in Redis.
    pub exists: bool,
    /// Requests queued, not taken yet.
    pub queued: u64,
    /// Requests taken by their host's owner and not ended.
    pub in_flight: u64,
    /// Requests ended (their outcomes committed).
    pub done: u64,
    /// Workers alive (their heartbeat not expired).
    pub workers: u64,
    /// Each worker's committed outcome log position, by worker name.
    pub positions: Vec<(String, u64)>,
}

/// Reads the progress of crawl `crawl` on the Redis server at `url`.
pub fn status(url: &str, crawl: &str) -> Result<SharedStatus, StoreError> {
    if !keys::valid_name(crawl) {
        return Err(StoreError::Invalid(format!("bad crawl name {crawl:?}")));
    }
    let link = Link::connect(url)?;
    let p = keys::prefix(crawl);
    link.call(move |mut conn| async move {
        let mut pipe = redis::pipe();
        pipe.exists(format!("{p}meta"))
            .hget(format!("{p}count"), "pending")
            .hget(format!("{p}count"), "done")
            .cmd("TIME")
            .hgetall(format!("{p}wpos"));
        for s in 0..keys::SLOTS {
            pipe.hlen(format!("{p}fly:{s}"));
        }
        let v: Vec<redis::Value> = pipe.query_async(&mut conn).await?;
        let mut it = v.into_iter();
        let mut next = || it.next().unwrap_or(redis::Value::Nil);
        let exists: bool = redis::from_redis_value(next())?;
        let pending: Option<u64> = redis::from_redis_value(next())?;
        let done: Option<u64> = redis::from_redis_value(next())?;
        let (s, us): (u64, u64) = redis::from_redis_value(next())?;
        let mut positions: Vec<(String, u64)> = redis::from_redis_value(next())?;
        positions.sort();
        let mut in_flight = 0;
        for _ in 0..keys::SLOTS {
            in_flight += redis::from_redis_value::<u64>(next())?;
        }
        let now = s * 1000 + us / 1000;
        let workers: u64 = redis::cmd("ZCOUNT")
            .arg(format!("{p}workers"))
            .arg(now + 1)
            .arg("+inf")
            .query_async(&mut conn)
            .await?;
        Ok(SharedStatus {
            exists,
            queued: pending.unwrap_or(0).saturating_sub(in_flight),
            in_flight,
            done: done.unwrap_or(0),
            workers,
            positions,
        })
    })
}
