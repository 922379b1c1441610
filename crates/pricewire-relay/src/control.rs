//! Requests anyone with the rights may make of a venue's relay, through Redis: pin or
//! unpin a symbol (carried whatever the wants say, until unpinned) and ask the leader to
//! reconnect to the venue. A request goes into the venue's capped `control` stream; the
//! leader of the moment reads it, so a request reaches whichever relay leads.

use std::collections::BTreeSet;
use std::time::Duration;

use pricewire_core::{ExchangeId, WatchlistStore};
use redis::aio::MultiplexedConnection;
use tokio::sync::watch;

use crate::conn::{LinkError, RedisTarget};
use crate::keys::Keys;
use crate::relay::retry_wait;

/// Requests kept in the control stream.
pub const CONTROL_MAXLEN: u64 = 1000;

/// Carry `symbol` on `keys`' venue until unpinned; tells the leader at once.
pub async fn pin(
    con: &mut MultiplexedConnection,
    keys: &Keys,
    symbol: &str,
) -> Result<bool, LinkError> {
    let added: i64 = redis::cmd("SADD")
        .arg(&keys.pinned)
        .arg(symbol)
        .query_async(con)
        .await?;
    let _: i64 = redis::cmd("PUBLISH")
        .arg(&keys.wants_channel)
        .arg("pinned")
        .query_async(con)
        .await?;
    Ok(added == 1)
}

/// Stop pinning `symbol` (it is then dropped once no want keeps it).
pub async fn unpin(
    con: &mut MultiplexedConnection,
    keys: &Keys,
    symbol: &str,
) -> Result<bool, LinkError> {
    let removed: i64 = redis::cmd("SREM")
        .arg(&keys.pinned)
        .arg(symbol)
        .query_async(con)
        .await?;
    Ok(removed == 1)
}

/// Make `keys`' venue's pinned set exactly `symbols` (in one transaction) and tell the
/// leader at once.
pub async fn set_pinned(
    con: &mut MultiplexedConnection,
    keys: &Keys,
    symbols: &BTreeSet<String>,
) -> Result<(), LinkError> {
    let mut pipe = redis::pipe();
    pipe.atomic().del(&keys.pinned).ignore();
    if !symbols.is_empty() {
        pipe.sadd(&keys.pinned, symbols.iter().collect::<Vec<_>>())
            .ignore();
    }
    pipe.publish(&keys.wants_channel, "pinned").ignore();
    let () = pipe.query_async(con).await?;
    Ok(())
}

/// The relays' pinned sets as a watchlist's [`WatchlistStore`]: what a desk's shared
/// watchlist holds is carried by the relays whatever readers want. Each save makes the
/// pinned set of every venue given at the start hold exactly that venue's markets of the
/// list (a venue with none is emptied). The writing is a task of its own: only the newest
/// list is written, a failed write is tried again with backoff until it lands or a newer
/// list replaces it (refused credentials: slowly), and [`PinnedSet::saved`] tells which
/// save reached Redis last. Dropping the set stops the task once the last list is written
/// or fails.
pub struct PinnedSet {
    list: watch::Sender<(u64, Vec<(ExchangeId, String)>)>,
    saved: watch::Receiver<u64>,
}

impl PinnedSet {
    /// Start the writer for `venues` on `target` (on the current tokio runtime).
    pub fn spawn(target: RedisTarget, venues: Vec<ExchangeId>) -> Self {
        let (list, rx) = watch::channel((0, Vec::new()));
        let (done, saved) = watch::channel(0);
        tokio::spawn(write_pinned(target, venues, rx, done));
        PinnedSet { list, saved }
    }

    /// The number of the last save written to Redis (saves count from 1; 0: none yet).
    pub fn saved(&self) -> watch::Receiver<u64> {
        self.saved.clone()
    }
}

impl WatchlistStore for PinnedSet {
    fn save(&mut self, list: &[(ExchangeId, String)]) {
        self.list.send_modify(|(n, l)| {
            *n += 1;
            *l = list.to_vec();
        });
    }
}

async fn write_pinned(
    target: RedisTarget,
    venues: Vec<ExchangeId>,
    mut lists: watch::Receiver<(u64, Vec<(ExchangeId, String)>)>,
    done: watch::Sender<u64>,
) {
    let timeout = Duration::from_secs(5);
    let mut con = None;
    let mut written = 0;
    let mut failures = 0;
    // Whether a newer list may still come (the set is not dropped).
    let mut open = true;
    loop {
        let (n, list) = lists.borrow_and_update().clone();
        if n > written {
            match write_all(&target, &mut con, &venues, &list, timeout).await {
                Ok(()) => {
                    if failures > 0 {
                        tracing::info!(tries = failures + 1, "pinned sets written");
                    }
                    failures = 0;
                    written = n;
                    done.send_replace(n);
                }
                Err(e) => {
                    con = None;
                    failures += 1;
                    if !open {
                        tracing::warn!(error = %e, "the pinned sets were not written");
                        return;
                    }
                    let wait = retry_wait(&e, failures, timeout);
                    if failures == 1 {
                        tracing::warn!(error = %e, retry_in = ?wait, "cannot write the pinned sets; trying again");
                    }
                    // A newer list cuts the wait short.
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {}
                        r = lists.changed() => open = r.is_ok(),
                    }
                    continue;
                }
            }
        }
        if !open {
            return;
        }
        open = lists.changed().await.is_ok();
    }
}

async fn write_all(
    target: &RedisTarget,
    con: &mut Option<MultiplexedConnection>,
    venues: &[ExchangeId],
    list: &[(ExchangeId, String)],
    timeout: Duration,
) -> Result<(), LinkError> {
    if con.is_none() {
        *con = Some(target.connect(timeout, Some(timeout)).await?);
    }
    let Some(c) = con.as_mut() else {
        return Ok(());
    };
    for &venue in venues {
        let symbols: BTreeSet<String> = list
            .iter()
            .filter(|(v, _)| *v == venue)
            .map(|(_, s)| s.clone())
            .collect();
        set_pinned(c, &Keys::new(venue), &symbols).await?;
    }
    Ok(())
}

/// The pinned symbols.
pub async fn pinned(
    con: &mut MultiplexedConnection,
    keys: &Keys,
) -> Result<BTreeSet<String>, LinkError> {
    Ok(redis::cmd("SMEMBERS")
        .arg(&keys.pinned)
        .query_async(con)
        .await?)
}

/// Ask the venue's leader to reconnect to the venue (`by`: who asks, for its log).
/// Returns the request's id in the control stream.
pub async fn request_reconnect(
    con: &mut MultiplexedConnection,
    keys: &Keys,
    by: &str,
) -> Result<String, LinkError> {
    let id: String = redis::cmd("XADD")
        .arg(&keys.control)
        .arg("MAXLEN")
        .arg("~")
        .arg(CONTROL_MAXLEN)
        .arg("*")
        .arg("op")
        .arg("reconnect")
        .arg("by")
        .arg(by)
        .query_async(con)
        .await?;
    Ok(id)
}

/// A request read from the control stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Its stream id (read on from there).
    pub id: String,
    /// `reconnect` (others are ignored by this build).
    pub op: String,
    /// Who asked.
    pub by: String,
}

/// The last id of the control stream (`0-0` when empty): a new leader acts on requests
/// made after it took over, not on old ones.
pub async fn last_id(con: &mut MultiplexedConnection, keys: &Keys) -> Result<String, LinkError> {
    let v: redis::Value = redis::cmd("XREVRANGE")
        .arg(&keys.control)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(con)
        .await?;
    Ok(crate::reader::entries(&v)
        .into_iter()
        .next()
        .map_or_else(|| "0-0".to_string(), |(id, _)| id))
}

/// Wait up to `block_ms` for requests after `after`.
pub async fn read(
    con: &mut MultiplexedConnection,
    keys: &Keys,
    after: &str,
    block_ms: u64,
) -> Result<Vec<Request>, LinkError> {
    let v: redis::Value = redis::cmd("XREAD")
        .arg("BLOCK")
        .arg(block_ms)
        .arg("COUNT")
        .arg(100)
        .arg("STREAMS")
        .arg(&keys.control)
        .arg(after)
        .query_async(con)
        .await?;
    Ok(crate::reader::streams(&v)
        .into_iter()
        .flat_map(|(_, entries)| entries)
        .map(|(id, fields)| Request {
            id,
            op: fields.get("op").cloned().unwrap_or_default(),
            by: fields.get("by").cloned().unwrap_or_default(),
        })
        .collect())
}
