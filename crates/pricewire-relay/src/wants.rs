//! Wants: which symbols readers ask a venue's leader to carry. Each is a lease in a sorted
//! set, member `consumer|symbol`, scored with its expiry on Redis's clock (computed inside
//! a script, so no reader's clock matters): refreshed every 5 s, good for 15 s, deleted on
//! a clean exit, with a notification so a new want is picked up at once. Relays lease
//! their own configured symbols the same way. The leader carries the union of live wants
//! and the pinned set, up to a cap, and drops a symbol 60 s after its last want went.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use redis::Value;
use redis::aio::MultiplexedConnection;
use tokio::time::Instant;

use crate::conn::LinkError;
use crate::keys::Keys;
use crate::lease::{millis, text};
use crate::scripts;

/// How often a want is refreshed.
pub const REFRESH: Duration = Duration::from_secs(5);
/// How long a want lasts unless refreshed.
pub const TTL: Duration = Duration::from_secs(15);
/// How long the leader keeps a symbol after its last want went.
pub const LINGER: Duration = Duration::from_secs(60);

/// The member of the sorted set for `consumer` wanting `symbol`.
pub fn member(consumer: &str, symbol: &str) -> String {
    format!("{consumer}|{symbol}")
}

/// The symbol of a member (`desk-1|BTC/USD` → `BTC/USD`).
pub fn symbol_of(member: &str) -> &str {
    member.rsplit_once('|').map_or(member, |(_, s)| s)
}

/// Lease wants for `symbols` as `consumer` until Redis's now + [`TTL`]. Returns how many
/// were new (the leader was told of those).
pub async fn lease(
    con: &mut MultiplexedConnection,
    keys: &Keys,
    consumer: &str,
    symbols: impl IntoIterator<Item = &str>,
) -> Result<u64, LinkError> {
    let mut args = vec![
        millis(TTL).into_bytes(),
        keys.wants_channel.clone().into_bytes(),
    ];
    args.extend(
        symbols
            .into_iter()
            .map(|s| member(consumer, s).into_bytes()),
    );
    if args.len() == 2 {
        return Ok(0);
    }
    Ok(scripts::WANT.call(con, &[&keys.wants], &args).await?)
}

/// Give up wants (a symbol dropped, or a clean exit).
pub async fn unlease(
    con: &mut MultiplexedConnection,
    keys: &Keys,
    consumer: &str,
    symbols: impl IntoIterator<Item = &str>,
) -> Result<(), LinkError> {
    let members: Vec<String> = symbols.into_iter().map(|s| member(consumer, s)).collect();
    if members.is_empty() {
        return Ok(());
    }
    let _: i64 = redis::cmd("ZREM")
        .arg(&keys.wants)
        .arg(&members)
        .query_async(con)
        .await?;
    Ok(())
}

/// The leader's read: expired wants removed; the symbols of live wants and the pinned set.
pub async fn wanted(
    con: &mut MultiplexedConnection,
    keys: &Keys,
) -> Result<(BTreeSet<String>, BTreeSet<String>), LinkError> {
    let reply: Vec<Value> = scripts::WANTED
        .call(con, &[&keys.wants, &keys.pinned], &[])
        .await?;
    let list = |v: Option<&Value>| -> BTreeSet<String> {
        match v {
            Some(Value::Array(items) | Value::Set(items)) => items.iter().map(text).collect(),
            _ => BTreeSet::new(),
        }
    };
    let live = list(reply.first())
        .iter()
        .map(|m| symbol_of(m).to_string())
        .collect();
    Ok((live, list(reply.get(1))))
}

/// What the leader carries, from what is wanted over time.
#[derive(Debug)]
pub struct Carried {
    cap: usize,
    linger: Duration,
    /// Symbol → when it was last wanted (now, for the ones wanted now).
    last_wanted: BTreeMap<String, Instant>,
    /// Carried now, in the order first taken.
    now: Vec<String>,
    /// Wanted but over the cap.
    refused: BTreeSet<String>,
}

/// What to change after an update.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Start carrying these.
    pub add: Vec<String>,
    /// Stop carrying these.
    pub remove: Vec<String>,
    /// Newly refused: the cap is reached.
    pub refused: Vec<String>,
}

impl Carried {
    /// Carry at most `cap` symbols; keep one `linger` after its last want.
    pub fn new(cap: usize, linger: Duration) -> Self {
        Carried {
            cap,
            linger,
            last_wanted: BTreeMap::new(),
            now: Vec::new(),
            refused: BTreeSet::new(),
        }
    }

    /// The cap.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Symbols carried now.
    pub fn carried(&self) -> &[String] {
        &self.now
    }

    /// Take what is wanted at `now`.
    pub fn update(&mut self, wanted: &BTreeSet<String>, now: Instant) -> Changes {
        for s in wanted {
            self.last_wanted.insert(s.clone(), now);
        }
        let linger = self.linger;
        self.last_wanted
            .retain(|_, at| now.saturating_duration_since(*at) < linger);
        let mut changes = Changes::default();
        let keep: Vec<String> = self
            .now
            .iter()
            .filter(|s| self.last_wanted.contains_key(*s))
            .cloned()
            .collect();
        for s in &self.now {
            if !keep.contains(s) {
                changes.remove.push(s.clone());
            }
        }
        self.now = keep;
        self.refused.retain(|s| self.last_wanted.contains_key(s));
        for s in self.last_wanted.keys() {
            if self.now.contains(s) {
                continue;
            }
            if self.now.len() < self.cap {
                self.now.push(s.clone());
                changes.add.push(s.clone());
                self.refused.remove(s);
            } else if self.refused.insert(s.clone()) {
                changes.refused.push(s.clone());
            }
        }
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_symbol_lingers_after_its_last_want_and_the_cap_refuses_clearly() {
        let t0 = Instant::now();
        let mut c = Carried::new(2, LINGER);
        let ch = c.update(&set(&["BTC/USD", "ETH/USD", "SOL/USD"]), t0);
        assert_eq!(ch.add, ["BTC/USD", "ETH/USD"]);
        assert_eq!(ch.refused, ["SOL/USD"]);
        // Refused once, not again on every read.
        assert!(
            c.update(&set(&["BTC/USD", "ETH/USD", "SOL/USD"]), t0)
                .refused
                .is_empty()
        );
        // ETH/USD is no longer wanted: kept for the linger, then dropped, and SOL/USD fits.
        let ch = c.update(&set(&["BTC/USD", "SOL/USD"]), t0 + Duration::from_secs(59));
        assert_eq!(ch, Changes::default());
        let ch = c.update(&set(&["BTC/USD", "SOL/USD"]), t0 + Duration::from_secs(61));
        assert_eq!(ch.remove, ["ETH/USD"]);
        assert_eq!(ch.add, ["SOL/USD"]);
        assert_eq!(symbol_of(&member("desk|1", "BTC/USD")), "BTC/USD");
    }
}
