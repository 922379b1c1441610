//! The set of symbols a feed wants, with each one's wire/REST names and delivery record
//! (when it was subscribed, acked, last delivered). Survives reconnects, so everything is
//! resubscribed; never touches the network.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use foldhash::HashMap;

use tokio::time::Instant;

use crate::symbol::{Instrument, Symbol};

#[derive(Debug, Clone)]
pub struct Sub {
    pub wire: String,
    pub rest: String,
    pub price_decimals: Option<u32>,
    pub subscribed_at: Option<Instant>,
    pub acked_at: Option<Instant>,
    pub last_data: Option<Instant>,
    /// Resubscribes sent for this symbol while it stayed silent.
    pub resubscribes: u32,
    /// Reconnects caused by this symbol staying silent.
    pub silent_reconnects: u32,
    /// The last [`GAPS`] gaps between its updates: its own pace, kept across reconnects.
    gaps: VecDeque<Duration>,
    /// Where the gap being measured began (on this connection).
    pace_mark: Option<Instant>,
    /// Where a symbol that streamed and then stopped stands in its recovery.
    pub stall: Stall,
}

/// Gaps remembered per symbol.
pub const GAPS: usize = 32;
/// A symbol that streamed is suspect after `STALL_FACTOR` × the median of its gaps…
pub const STALL_FACTOR: u32 = 20;
/// …but never before this…
pub const STALL_FLOOR: Duration = Duration::from_secs(15);
/// …and always by this.
pub const STALL_CAP: Duration = Duration::from_mins(10);
/// Updates this close together count as one for the pace.
const BURST: Duration = Duration::from_millis(250);
/// Gaps needed before the median is trusted; with fewer, the largest gap so far stands in.
const MIN_GAPS: usize = 4;
/// Patience with a symbol whose pace is unknown (one update so far).
const UNKNOWN_PACE: Duration = Duration::from_mins(5);

/// Recovery of a symbol that streamed and then went quiet while the connection lives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Stall {
    #[default]
    None,
    /// Resubscribed at this instant; waiting for its data.
    Resubscribed(Instant),
    /// The resubscribe budget was spent; marked, not resubscribed.
    Waiting,
}

impl Sub {
    /// An update arrived at `now`: its gap joins the symbol's pace. Returns whether the
    /// symbol was stalled until now.
    pub fn on_data(&mut self, now: Instant) -> bool {
        // Updates closer together than BURST are one (a venue's ticker and book frames
        // for the same moment); the pace is measured between such bursts.
        match self.pace_mark {
            Some(mark) if now.saturating_duration_since(mark) < BURST => {}
            Some(mark) => {
                if self.gaps.len() == GAPS {
                    self.gaps.pop_front();
                }
                self.gaps.push_back(now.saturating_duration_since(mark));
                self.pace_mark = Some(now);
            }
            None => self.pace_mark = Some(now),
        }
        self.last_data = Some(now);
        std::mem::take(&mut self.stall) != Stall::None
    }

    /// How long this symbol may go without an update before it is suspect: 20 × the
    /// median of its last 32 gaps, at least 15 s and at most 10 min (with fewer than four
    /// gaps, 20 × the largest; with none, 5 min).
    pub fn patience(&self) -> Duration {
        let base = match self.usual_gap() {
            Some(median) => median,
            None => match self.gaps.iter().max() {
                Some(max) => *max,
                None => return UNKNOWN_PACE,
            },
        };
        (base * STALL_FACTOR).clamp(STALL_FLOOR, STALL_CAP)
    }

    /// The usual gap between its updates, the median of the last [`GAPS`], once there are
    /// enough to trust.
    pub fn usual_gap(&self) -> Option<Duration> {
        if self.gaps.len() < MIN_GAPS {
            return None;
        }
        let mut sorted: Vec<Duration> = self.gaps.iter().copied().collect();
        sorted.sort_unstable();
        Some(sorted[sorted.len() / 2])
    }
}

/// Resubscribe requests a feed may send in a rolling hour (OKX allows 480
/// subscribe/unsubscribe requests an hour; the other venues publish no lower limit).
#[derive(Debug, Clone)]
pub struct Budget {
    per_hour: usize,
    spent: VecDeque<Instant>,
}

impl Budget {
    pub fn per_hour(per_hour: usize) -> Self {
        Budget {
            per_hour,
            spent: VecDeque::new(),
        }
    }

    /// Take one request at `now` if the last hour leaves room.
    pub fn take(&mut self, now: Instant) -> bool {
        let hour = Duration::from_hours(1);
        while self
            .spent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= hour)
        {
            self.spent.pop_front();
        }
        if self.spent.len() >= self.per_hour {
            return false;
        }
        self.spent.push_back(now);
        true
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget::per_hour(480)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Subs {
    entries: BTreeMap<Symbol, Sub>,
    by_wire: HashMap<String, Symbol>,
    by_rest: HashMap<String, Symbol>,
    /// Resubscribes for silent symbols, across reconnects.
    pub budget: Budget,
}

impl Subs {
    pub fn insert(&mut self, inst: &Instrument) -> bool {
        if self.entries.contains_key(&inst.symbol) {
            return false;
        }
        self.by_wire.insert(inst.wire.clone(), inst.symbol.clone());
        self.by_rest.insert(inst.rest.clone(), inst.symbol.clone());
        for alias in &inst.aliases {
            self.by_rest
                .entry(alias.clone())
                .or_insert_with(|| inst.symbol.clone());
        }
        self.entries.insert(
            inst.symbol.clone(),
            Sub {
                wire: inst.wire.clone(),
                rest: inst.rest.clone(),
                price_decimals: inst.price_decimals,
                subscribed_at: None,
                acked_at: None,
                last_data: None,
                resubscribes: 0,
                silent_reconnects: 0,
                gaps: VecDeque::new(),
                pace_mark: None,
                stall: Stall::None,
            },
        );
        true
    }

    pub fn remove(&mut self, symbol: &Symbol) -> Option<Sub> {
        let sub = self.entries.remove(symbol)?;
        self.by_wire.retain(|_, s| s != symbol);
        self.by_rest.retain(|_, s| s != symbol);
        Some(sub)
    }

    pub fn get_mut(&mut self, symbol: &Symbol) -> Option<&mut Sub> {
        self.entries.get_mut(symbol)
    }

    /// The price decimals the pair list gave `symbol`.
    pub fn price_decimals(&self, symbol: &Symbol) -> Option<u32> {
        self.entries.get(symbol).and_then(|s| s.price_decimals)
    }

    pub fn by_wire(&self, wire: &str) -> Option<&Symbol> {
        self.by_wire.get(wire)
    }

    pub fn by_rest(&self, name: &str) -> Option<&Symbol> {
        self.by_rest.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Symbol, &Sub)> {
        self.entries.iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&Symbol, &mut Sub)> {
        self.entries.iter_mut()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn wires(&self) -> Vec<String> {
        self.entries.values().map(|s| s.wire.clone()).collect()
    }

    pub fn rests(&self) -> Vec<String> {
        self.entries.values().map(|s| s.rest.clone()).collect()
    }

    /// A new connection: nothing is subscribed, acked or delivered on it yet.
    pub fn reset_session(&mut self) {
        for sub in self.entries.values_mut() {
            sub.subscribed_at = None;
            sub.acked_at = None;
            sub.last_data = None;
            sub.resubscribes = 0;
            sub.stall = Stall::None;
            sub.pace_mark = None;
        }
    }
}
