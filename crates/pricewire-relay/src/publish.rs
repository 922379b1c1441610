//! A leader's writes: batches of stream entries, the latest-value hash, the state, the
//! heartbeat and the pair list, each batch one call of the fenced script
//! ([`crate::scripts::PUBLISH`]).
//!
//! Batching has no linger timer: the next batch is whatever arrived while the previous
//! write was in flight, so a quiet feed's ticker goes out at once and a busy one's go out
//! together. Within a batch each symbol's hash field is written once (its last entry).
//! What waits for the writer is bounded (`relay/outbound.rs`); what cannot be written is
//! counted and written as a `gap` entry, so readers see that updates were lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use redis::Value;
use redis::aio::MultiplexedConnection;
use tokio::sync::watch;

use crate::conn::LinkError;
use crate::keys::Keys;
use crate::lease::{Held, int, text};
use crate::scripts;

/// Entries per script call at most (Lua's `unpack` and one call's latency bound it).
pub const MAX_BATCH: usize = 2000;

/// One batch of writes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Stream entries: (symbol, line); the symbol is empty for lines of no symbol (gaps).
    pub ticks: Vec<(String, String)>,
    /// Fields of the venue state hash, when it changed.
    pub state: Vec<(String, String)>,
    /// Lines for the state stream.
    pub states: Vec<String>,
    /// Write the heartbeat.
    pub heartbeat: bool,
    /// The pair list to publish.
    pub pairs: Option<String>,
    /// A leader's whole picture, symbol → line: `latest` is replaced by it (after this
    /// batch's entries set their fields), so nothing an earlier leader left stays.
    pub latest: Option<Vec<(String, String)>>,
    /// How many dropped updates this batch's gap entry reports (not written as such: if
    /// the batch is lost, they are still to be reported).
    pub gap: u64,
}

/// State lines kept at most while Redis cannot be reached.
const STATES_KEPT: usize = 1000;

impl Batch {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.ticks.is_empty()
            && self.state.is_empty()
            && self.states.is_empty()
            && !self.heartbeat
            && self.pairs.is_none()
            && self.latest.is_none()
    }

    /// The entries that are updates (tickers and symbol errors, not the gap entry).
    pub fn updates(&self) -> u64 {
        (self.ticks.len() - usize::from(self.gap > 0)) as u64
    }

    /// What must not be lost when the rest is: the venue state and its lines (the newest
    /// 1,000), and the heartbeat flag.
    #[must_use]
    pub fn keep_state(self) -> Batch {
        let mut states = self.states;
        if states.len() > STATES_KEPT {
            states.drain(..states.len() - STATES_KEPT);
        }
        Batch {
            state: self.state,
            states,
            heartbeat: self.heartbeat,
            ..Batch::default()
        }
    }

    /// This batch followed by `next`: `next`'s entries and state lines after these, its
    /// state when it has one.
    #[must_use]
    pub fn merge_state(mut self, next: Batch) -> Batch {
        self.ticks.extend(next.ticks);
        if !next.state.is_empty() {
            self.state = next.state;
        }
        self.states.extend(next.states);
        self.heartbeat |= next.heartbeat;
        self
    }

    /// The script's arguments after the six header values.
    fn args(&self) -> Vec<Vec<u8>> {
        let mut args = Vec::with_capacity(self.ticks.len() * 3 + self.state.len() * 2 + 8);
        args.push(self.ticks.len().to_string().into_bytes());
        // The last entry of each symbol in the batch is the one the hash keeps.
        let mut last: std::collections::HashMap<&str, usize> =
            std::collections::HashMap::with_capacity(64);
        for (i, (symbol, _)) in self.ticks.iter().enumerate() {
            last.insert(symbol.as_str(), i);
        }
        for (i, (symbol, line)) in self.ticks.iter().enumerate() {
            let keep = !symbol.is_empty() && last.get(symbol.as_str()) == Some(&i);
            args.push(symbol.clone().into_bytes());
            args.push(line.clone().into_bytes());
            args.push(if keep { b"1".to_vec() } else { b"0".to_vec() });
        }
        args.push(self.state.len().to_string().into_bytes());
        for (k, v) in &self.state {
            args.push(k.clone().into_bytes());
            args.push(v.clone().into_bytes());
        }
        args.push(self.states.len().to_string().into_bytes());
        for line in &self.states {
            args.push(line.clone().into_bytes());
        }
        args.push(if self.heartbeat {
            b"1".to_vec()
        } else {
            b"0".to_vec()
        });
        match &self.pairs {
            Some(p) => {
                args.push(b"1".to_vec());
                args.push(p.clone().into_bytes());
            }
            None => args.push(b"0".to_vec()),
        }
        match &self.latest {
            Some(all) => {
                args.push(all.len().to_string().into_bytes());
                for (symbol, line) in all {
                    args.push(symbol.clone().into_bytes());
                    args.push(line.clone().into_bytes());
                }
            }
            None => args.push(b"-1".to_vec()),
        }
        args
    }
}

/// What Redis did with a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Written; the last `seq` given out.
    Written(u64),
    /// Refused: the lease is not ours (held by the value given, empty when free).
    Fenced(String),
    /// Refused: the dataset's epoch is not the one we lead in (Redis lost its data).
    WrongEpoch(String),
}

/// Counters of one relay's writes, shared with whoever reports them.
#[derive(Debug, Default)]
pub struct Stats {
    /// Stream entries written.
    pub written: AtomicU64,
    /// Script calls that wrote.
    pub batches: AtomicU64,
    /// Batches Redis refused because the lease was not ours.
    pub fenced: AtomicU64,
    /// Entries that never reached Redis (queue overflow, failed writes).
    pub dropped: AtomicU64,
}

/// Writes batches for one held lease.
pub struct Writer {
    keys: Keys,
    leader: String,
    ticks_maxlen: u64,
    states_maxlen: u64,
    stats: Arc<Stats>,
}

impl Writer {
    /// A writer for `keys`' venue as relay `leader`; streams capped near the lengths given.
    pub fn new(
        keys: Keys,
        leader: impl Into<String>,
        ticks_maxlen: u64,
        states_maxlen: u64,
        stats: Arc<Stats>,
    ) -> Self {
        Writer {
            keys,
            leader: leader.into(),
            ticks_maxlen,
            states_maxlen,
            stats,
        }
    }

    /// The counters.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// Write one batch under `held` (at most [`MAX_BATCH`] entries: split bigger ones).
    pub async fn write(
        &self,
        con: &mut MultiplexedConnection,
        held: &Held,
        batch: &Batch,
    ) -> Result<Outcome, LinkError> {
        let k = &self.keys;
        let mut args = vec![
            held.value.clone().into_bytes(),
            held.epoch.clone().into_bytes(),
            held.term.to_string().into_bytes(),
            self.leader.clone().into_bytes(),
            self.ticks_maxlen.to_string().into_bytes(),
            self.states_maxlen.to_string().into_bytes(),
        ];
        args.extend(batch.args());
        let reply: Vec<Value> = scripts::PUBLISH
            .call(
                con,
                &[
                    &k.lease,
                    &k.epoch,
                    &k.seq,
                    &k.ticks,
                    &k.latest,
                    &k.state,
                    &k.states,
                    &k.heartbeat,
                    &k.pairs,
                    &k.stats,
                ],
                &args,
            )
            .await?;
        let code = reply.first().map_or(0, |v| match v {
            Value::Int(i) => *i,
            _ => 0,
        });
        let detail = reply.get(1).map(text).unwrap_or_default();
        match code {
            1 => {
                self.stats
                    .written
                    .fetch_add(batch.ticks.len() as u64, Ordering::Relaxed);
                self.stats.batches.fetch_add(1, Ordering::Relaxed);
                Ok(Outcome::Written(
                    reply.get(1).and_then(int).unwrap_or_default(),
                ))
            }
            -1 => {
                self.stats.fenced.fetch_add(1, Ordering::Relaxed);
                Ok(Outcome::Fenced(detail))
            }
            -2 => Ok(Outcome::WrongEpoch(detail)),
            _ => Err(LinkError::Data(format!(
                "the publish script answered {reply:?}"
            ))),
        }
    }
}

/// A hook that stops a leader between its deadline check and its write, as a process
/// stopped by SIGSTOP or cut off by a partition would be: the fencing tests freeze a
/// leader here, let its lease run out and a standby take over, then let it write.
#[derive(Debug)]
pub struct Freeze {
    frozen: watch::Sender<bool>,
    parked: watch::Sender<u64>,
}

impl Default for Freeze {
    fn default() -> Self {
        Freeze {
            frozen: watch::Sender::new(false),
            parked: watch::Sender::new(0),
        }
    }
}

impl Freeze {
    /// Stop the next write (and lease extension) where it stands.
    pub fn freeze(&self) {
        self.frozen.send_replace(true);
    }

    /// Let it go on.
    pub fn thaw(&self) {
        self.frozen.send_replace(false);
    }

    /// Wait until something is parked at the hook.
    pub async fn parked(&self) {
        let mut rx = self.parked.subscribe();
        let _ = rx.wait_for(|n| *n > 0).await;
    }

    /// Park here while frozen.
    pub async fn wait_if_frozen(&self) {
        let mut rx = self.frozen.subscribe();
        if *rx.borrow() {
            self.parked.send_modify(|n| *n += 1);
            let _ = rx.wait_for(|f| !*f).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_symbol_is_kept_once_per_batch_at_its_last_entry() {
        let batch = Batch {
            ticks: vec![
                ("BTC/USD".into(), "a".into()),
                ("ETH/USD".into(), "b".into()),
                ("BTC/USD".into(), "c".into()),
                (String::new(), "gap".into()),
            ],
            heartbeat: true,
            ..Batch::default()
        };
        let args: Vec<String> = batch
            .args()
            .into_iter()
            .map(|a| String::from_utf8(a).unwrap())
            .collect();
        assert_eq!(
            args,
            [
                "4", "BTC/USD", "a", "0", "ETH/USD", "b", "1", "BTC/USD", "c", "1", "", "gap", "0",
                "0", "0", "1", "0", "-1"
            ]
        );
    }
}
