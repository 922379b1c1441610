//! Requests anyone with the rights may make of a venue's relay, through Redis: pin or
//! unpin a symbol (carried whatever the wants say, until unpinned) and ask the leader to
//! reconnect to the venue. A request goes into the venue's capped `control` stream; the
//! leader of the moment reads it, so a request reaches whichever relay leads.

use std::collections::BTreeSet;

use redis::aio::MultiplexedConnection;

use crate::conn::LinkError;
use crate::keys::Keys;

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
pub async fn request_reconnect(
    con: &mut MultiplexedConnection,
    keys: &Keys,
    by: &str,
) -> Result<(), LinkError> {
    let _: String = redis::cmd("XADD")
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
    Ok(())
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
