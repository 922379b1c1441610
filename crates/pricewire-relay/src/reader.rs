//! Reading the shared feed: a snapshot and a stream, joined without a race. One read-only
//! script returns the latest line per symbol together with the current `seq`; the stream
//! is then read from that `seq` on. Every entry carries `(epoch, seq)`, a cursor a reader
//! can resume from, and the rule per entry is [`classify`]: the next `seq` is applied, a
//! jump is refilled from the stream while the entries are still there (else the reader
//! reloads and reports a gap), an old `seq` or a lower term is dropped, and a new epoch
//! (Redis lost its data) means starting over.
//!
//! Used by the dashboard's and headless mode's consumer (`consumer`) and meant
//! for any other reader (a web front door), which needs nothing else.

use std::collections::HashMap;

use redis::Value;
use redis::aio::MultiplexedConnection;

use crate::conn::LinkError;
use crate::keys::{Keys, entry_id, seq_of};
use crate::lease::{int, text};
use crate::scripts;

/// Where a reader stands in one venue's feed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    /// The dataset it read from (empty before the first snapshot).
    pub epoch: String,
    /// The last `seq` applied.
    pub seq: u64,
    /// The highest term seen in this epoch.
    pub term: u64,
    /// The last state-stream id read.
    pub states_id: String,
}

/// The leader's last heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    /// Its term.
    pub term: u64,
    /// Its relay id.
    pub leader: String,
    /// When it was written, Redis's clock (ms since 1970).
    pub at_ms: u64,
}

/// Everything needed to start reading, from one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The dataset's epoch; empty when no relay ever wrote to it.
    pub epoch: String,
    /// The last `seq` handed out; the stream is read after it.
    pub seq: u64,
    /// Symbol → its latest line.
    pub latest: Vec<(String, String)>,
    /// The venue state's fields.
    pub state: HashMap<String, String>,
    /// The leader hash's fields (`id`, `term`, `since_ms`, `released`).
    pub leader: HashMap<String, String>,
    /// The last heartbeat, if any.
    pub heartbeat: Option<Heartbeat>,
    /// The state stream's last id (`0-0` when empty).
    pub states_id: String,
    /// Redis's time then (ms).
    pub now_ms: u64,
}

impl Snapshot {
    /// The cursor right after this snapshot.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            epoch: self.epoch.clone(),
            seq: self.seq,
            term: self
                .leader
                .get("term")
                .and_then(|t| t.parse().ok())
                .unwrap_or(0),
            states_id: self.states_id.clone(),
        }
    }

    /// How old the heartbeat was, on Redis's clock; `None` without one.
    pub fn heartbeat_age_ms(&self) -> Option<u64> {
        self.heartbeat
            .as_ref()
            .map(|h| self.now_ms.saturating_sub(h.at_ms))
    }
}

/// One entry of the ticks stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickEntry {
    /// Its sequence number (also its stream id, `<seq>-0`).
    pub seq: u64,
    /// The dataset it was written in.
    pub epoch: String,
    /// The term of the leader that wrote it.
    pub term: u64,
    /// That leader's id.
    pub leader: String,
    /// The JSON line (`pricewire_core::json`).
    pub line: String,
}

/// One entry of the state stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateEntry {
    /// Its stream id.
    pub id: String,
    /// The dataset it was written in.
    pub epoch: String,
    /// The writer's term.
    pub term: u64,
    /// The writer.
    pub leader: String,
    /// A status line or a failover line.
    pub line: String,
}

/// What to do with a ticks entry, given where the reader stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The next one: apply it.
    Apply,
    /// Already applied (`seq` not after the cursor): drop it.
    Old,
    /// Written by a leader of a lower term than one already seen: drop it.
    LowerTerm,
    /// Entries are missing between the cursor and it: refill them, or reload and report.
    Jump {
        /// How many are missing.
        missing: u64,
    },
    /// From another dataset: Redis lost its data; reset and take a fresh snapshot.
    NewEpoch,
}

/// The rule per entry.
pub fn classify(cursor: &Cursor, entry: &TickEntry) -> Step {
    if entry.epoch != cursor.epoch {
        Step::NewEpoch
    } else if entry.seq <= cursor.seq {
        Step::Old
    } else if entry.term < cursor.term {
        Step::LowerTerm
    } else if entry.seq == cursor.seq + 1 {
        Step::Apply
    } else {
        Step::Jump {
            missing: entry.seq - cursor.seq - 1,
        }
    }
}

/// Take a snapshot of `keys`' venue.
pub async fn snapshot(con: &mut MultiplexedConnection, keys: &Keys) -> Result<Snapshot, LinkError> {
    let reply: Vec<Value> = scripts::SNAPSHOT
        .call(
            con,
            &[
                &keys.epoch,
                &keys.seq,
                &keys.latest,
                &keys.state,
                &keys.leader,
                &keys.heartbeat,
                &keys.states,
            ],
            &[],
        )
        .await?;
    let at = |i: usize| reply.get(i).unwrap_or(&Value::Nil);
    let seq_text = text(at(1));
    let seq = if seq_text.is_empty() {
        0
    } else {
        seq_text.parse().map_err(|_| {
            LinkError::Data(format!("{} holds {seq_text:?}, not a number", keys.seq))
        })?
    };
    let heartbeat = heartbeat(&pairs(at(5)));
    Ok(Snapshot {
        epoch: text(at(0)),
        seq,
        latest: flat_pairs(at(2)),
        state: pairs(at(3)),
        leader: pairs(at(4)),
        heartbeat,
        states_id: Some(text(at(7)))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "0-0".into()),
        now_ms: int(at(6)).unwrap_or(0),
    })
}

/// The twice-a-second look: the epoch, the heartbeat, Redis's time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poll {
    /// The dataset's epoch (empty: none yet).
    pub epoch: String,
    /// The last heartbeat.
    pub heartbeat: Option<Heartbeat>,
    /// Redis's time (ms).
    pub now_ms: u64,
}

impl Poll {
    /// How old the heartbeat is on Redis's clock.
    pub fn heartbeat_age_ms(&self) -> Option<u64> {
        self.heartbeat
            .as_ref()
            .map(|h| self.now_ms.saturating_sub(h.at_ms))
    }
}

/// Look at the epoch and the heartbeat.
pub async fn poll(con: &mut MultiplexedConnection, keys: &Keys) -> Result<Poll, LinkError> {
    let reply: Vec<Value> = scripts::POLL
        .call(con, &[&keys.epoch, &keys.heartbeat], &[])
        .await?;
    let at = |i: usize| reply.get(i).unwrap_or(&Value::Nil);
    Ok(Poll {
        epoch: text(at(0)),
        heartbeat: heartbeat(&pairs(at(1))),
        now_ms: int(at(2)).unwrap_or(0),
    })
}

/// Wait up to `block_ms` for entries after the cursor in the ticks and state streams.
pub async fn read(
    con: &mut MultiplexedConnection,
    keys: &Keys,
    cursor: &Cursor,
    block_ms: u64,
    count: usize,
) -> Result<(Vec<TickEntry>, Vec<StateEntry>), LinkError> {
    let v: Value = redis::cmd("XREAD")
        .arg("COUNT")
        .arg(count)
        .arg("BLOCK")
        .arg(block_ms)
        .arg("STREAMS")
        .arg(&keys.ticks)
        .arg(&keys.states)
        .arg(entry_id(cursor.seq))
        .arg(&cursor.states_id)
        .query_async(con)
        .await?;
    let mut ticks = Vec::new();
    let mut states = Vec::new();
    for (stream, entries) in streams(&v) {
        if stream == keys.ticks {
            for e in entries {
                ticks.push(tick_entry(keys, e)?);
            }
        } else {
            for (id, f) in entries {
                states.push(StateEntry {
                    epoch: f.get("epoch").cloned().unwrap_or_default(),
                    term: f.get("term").and_then(|t| t.parse().ok()).unwrap_or(0),
                    leader: f.get("leader").cloned().unwrap_or_default(),
                    line: f.get("line").cloned().unwrap_or_default(),
                    id,
                });
            }
        }
    }
    Ok((ticks, states))
}

/// The entries with `from ..= to` as their `seq`, as far as the stream still holds them.
pub async fn range(
    con: &mut MultiplexedConnection,
    keys: &Keys,
    from: u64,
    to: u64,
) -> Result<Vec<TickEntry>, LinkError> {
    let v: Value = redis::cmd("XRANGE")
        .arg(&keys.ticks)
        .arg(entry_id(from))
        .arg(entry_id(to))
        .query_async(con)
        .await?;
    entries(&v)
        .into_iter()
        .map(|e| tick_entry(keys, e))
        .collect()
}

/// A symbol's latest line.
pub async fn latest(
    con: &mut MultiplexedConnection,
    keys: &Keys,
    symbol: &str,
) -> Result<Option<String>, LinkError> {
    Ok(redis::cmd("HGET")
        .arg(&keys.latest)
        .arg(symbol)
        .query_async(con)
        .await?)
}

/// The venue state's fields now.
pub async fn state(
    con: &mut MultiplexedConnection,
    keys: &Keys,
) -> Result<HashMap<String, String>, LinkError> {
    Ok(redis::cmd("HGETALL")
        .arg(&keys.state)
        .query_async(con)
        .await?)
}

/// The pair list's JSON as the leader published it.
pub async fn pair_list(
    con: &mut MultiplexedConnection,
    keys: &Keys,
) -> Result<Option<String>, LinkError> {
    Ok(redis::cmd("GET").arg(&keys.pairs).query_async(con).await?)
}

fn tick_entry(
    keys: &Keys,
    (id, f): (String, HashMap<String, String>),
) -> Result<TickEntry, LinkError> {
    let seq = f
        .get("seq")
        .and_then(|s| s.parse().ok())
        .or_else(|| seq_of(&id))
        .ok_or_else(|| LinkError::Data(format!("entry {id} of {} has no seq", keys.ticks)))?;
    Ok(TickEntry {
        seq,
        epoch: f.get("epoch").cloned().unwrap_or_default(),
        term: f.get("term").and_then(|t| t.parse().ok()).unwrap_or(0),
        leader: f.get("leader").cloned().unwrap_or_default(),
        line: f.get("line").cloned().unwrap_or_default(),
    })
}

fn heartbeat(fields: &HashMap<String, String>) -> Option<Heartbeat> {
    Some(Heartbeat {
        term: fields.get("term")?.parse().ok()?,
        leader: fields.get("leader")?.clone(),
        at_ms: fields.get("at_ms")?.parse().ok()?,
    })
}

/// A flat `field value field value` reply (or a map) as pairs, in order.
fn flat_pairs(v: &Value) -> Vec<(String, String)> {
    match v {
        Value::Array(items) => items
            .chunks_exact(2)
            .map(|kv| (text(&kv[0]), text(&kv[1])))
            .collect(),
        Value::Map(items) => items.iter().map(|(k, v)| (text(k), text(v))).collect(),
        _ => Vec::new(),
    }
}

fn pairs(v: &Value) -> HashMap<String, String> {
    flat_pairs(v).into_iter().collect()
}

/// A stream entry: its id and fields.
pub(crate) type Entry = (String, HashMap<String, String>);

/// The entries of an XRANGE reply: id and fields.
pub(crate) fn entries(v: &Value) -> Vec<Entry> {
    let Value::Array(items) = v else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|e| match e {
            Value::Array(parts) if parts.len() == 2 => Some((text(&parts[0]), pairs(&parts[1]))),
            _ => None,
        })
        .collect()
}

/// The streams of an XREAD reply: name and entries.
pub(crate) fn streams(v: &Value) -> Vec<(String, Vec<Entry>)> {
    match v {
        Value::Array(items) => items
            .iter()
            .filter_map(|s| match s {
                Value::Array(parts) if parts.len() == 2 => {
                    Some((text(&parts[0]), entries(&parts[1])))
                }
                _ => None,
            })
            .collect(),
        Value::Map(items) => items.iter().map(|(k, v)| (text(k), entries(v))).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, term: u64) -> TickEntry {
        TickEntry {
            seq,
            epoch: "e1".into(),
            term,
            leader: "relay-a".into(),
            line: String::new(),
        }
    }

    #[test]
    fn the_rule_per_entry() {
        let cursor = Cursor {
            epoch: "e1".into(),
            seq: 10,
            term: 3,
            states_id: "0-0".into(),
        };
        assert_eq!(classify(&cursor, &entry(11, 3)), Step::Apply);
        assert_eq!(classify(&cursor, &entry(11, 4)), Step::Apply);
        assert_eq!(classify(&cursor, &entry(10, 3)), Step::Old);
        assert_eq!(classify(&cursor, &entry(3, 9)), Step::Old);
        assert_eq!(classify(&cursor, &entry(11, 2)), Step::LowerTerm);
        assert_eq!(classify(&cursor, &entry(15, 3)), Step::Jump { missing: 4 });
        let mut other = entry(11, 3);
        other.epoch = "e2".into();
        assert_eq!(classify(&cursor, &other), Step::NewEpoch);
    }
}
