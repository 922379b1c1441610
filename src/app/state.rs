//! What the dashboard remembers between frames: the input mode, the sort, the selected row,
//! the history pane and its scroll, the status line and message rates. Plain data and pure
//! methods; it never touches the terminal, the store or a feed.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};

use crate::model::ExchangeId;
use crate::store::{Row, Snapshot};
use crate::symbol::Symbol;

/// What keys do right now.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Mode {
    /// Keys drive the dashboard.
    #[default]
    Normal,
    /// The help overlay is open.
    Help,
    /// The add-symbol prompt is open.
    Adding(Prompt),
}

/// The add-symbol prompt: what was typed and why the last Enter was refused.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Prompt {
    pub input: String,
    pub error: Option<String>,
}

/// The state-history pane below the prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryPane {
    Shown,
    Hidden,
}

/// Order of rows within an exchange's group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// Alphabetical.
    Symbol,
    /// 24 h change %, highest first.
    Change,
    /// 24 h volume, highest first.
    Volume,
}

impl SortKey {
    /// From `ui.sort` in the config (already validated there).
    pub fn from_config(s: &str) -> Self {
        match s {
            "change" => SortKey::Change,
            "volume" => SortKey::Volume,
            _ => SortKey::Symbol,
        }
    }

    #[must_use]
    pub fn next(self) -> Self {
        match self {
            SortKey::Symbol => SortKey::Change,
            SortKey::Change => SortKey::Volume,
            SortKey::Volume => SortKey::Symbol,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Symbol => "symbol",
            SortKey::Change => "change % ▼",
            SortKey::Volume => "volume ▼",
        }
    }
}

/// The outcome of the last action, shown above the footer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Info(String),
    Error(String),
}

/// A row's identity, stable across re-sorts and snapshots.
pub type RowKey = (ExchangeId, Symbol);

/// Everything the drawing code reads besides the snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewState {
    pub mode: Mode,
    pub history: HistoryPane,
    /// Lines scrolled down from the newest history entry.
    pub history_scroll: usize,
    /// Entries the history pane showed in the last frame (set by the loop from the
    /// terminal's height), so scrolling stops at the oldest page.
    pub history_rows: usize,
    pub sort: SortKey,
    pub selected: Option<RowKey>,
    pub status: Option<Status>,
    /// Frames per second received, per feed (from counter deltas between ticks).
    pub rates: BTreeMap<ExchangeId, f64>,
    /// Rows without an update for longer are marked stale.
    pub stale_after: Duration,
    /// History times are shown in this offset (local time in the app, UTC in tests).
    pub utc_offset: FixedOffset,
}

impl Default for ViewState {
    fn default() -> Self {
        ViewState {
            mode: Mode::Normal,
            history: HistoryPane::Shown,
            history_scroll: 0,
            history_rows: 0,
            sort: SortKey::Symbol,
            selected: None,
            status: None,
            rates: BTreeMap::new(),
            stale_after: Duration::from_secs(30),
            utc_offset: FixedOffset::east_opt(0).expect("zero offset"),
        }
    }
}

impl ViewState {
    /// The row the selection points at, if it is still there.
    pub fn selected_row<'a>(&self, snapshot: &'a Snapshot) -> Option<&'a Row> {
        let (ex, sym) = self.selected.as_ref()?;
        snapshot
            .rows
            .iter()
            .find(|r| r.exchange == *ex && r.symbol == *sym)
    }

    /// Keep the selection on a row that exists: the first row when none is selected, or
    /// the row now at the same place when the selected one went away. `before` is the
    /// order the selection was last seen in; a selection not in it (a symbol just added,
    /// whose row the feed has yet to make) is left alone.
    pub fn repair_selection(&mut self, before: &[RowKey], snapshot: &Snapshot) {
        let order = ordered(snapshot, self.sort);
        if order.is_empty() {
            self.selected = None;
            return;
        }
        let present = |k: &RowKey| order.iter().any(|r| r.exchange == k.0 && r.symbol == k.1);
        match &self.selected {
            Some(k) if present(k) || !before.contains(k) => {}
            Some(k) => {
                let was = before.iter().position(|b| b == k).unwrap_or(0);
                let row = order[was.min(order.len() - 1)];
                self.selected = Some(key(row));
            }
            None => self.selected = Some(key(order[0])),
        }
    }

    /// Move the selection by `delta` rows in display order, stopping at the ends.
    pub fn move_selection(&mut self, snapshot: &Snapshot, delta: isize) {
        let order = ordered(snapshot, self.sort);
        if order.is_empty() {
            return;
        }
        let at = self.selected.as_ref().and_then(|k| {
            order
                .iter()
                .position(|r| r.exchange == k.0 && r.symbol == k.1)
        });
        let next = match at {
            Some(i) => i.saturating_add_signed(delta).min(order.len() - 1),
            None => 0,
        };
        self.selected = Some(key(order[next]));
    }
}

pub fn key(row: &Row) -> RowKey {
    (row.exchange, row.symbol.clone())
}

/// Rows in display order: grouped by exchange (in the order the feeds were started, then
/// any other venue), each group sorted by `sort`. Ties and missing values fall back to the
/// symbol, so the order is stable from frame to frame.
pub fn ordered(snapshot: &Snapshot, sort: SortKey) -> Vec<&Row> {
    let group = |ex: ExchangeId| {
        snapshot
            .feeds
            .iter()
            .position(|f| f.exchange == ex)
            .unwrap_or(usize::MAX)
    };
    let mut rows: Vec<&Row> = snapshot.rows.iter().collect();
    rows.sort_by(|a, b| {
        let by_value = match sort {
            SortKey::Symbol => std::cmp::Ordering::Equal,
            SortKey::Change => desc(pct(a), pct(b)),
            SortKey::Volume => desc(vol(a), vol(b)),
        };
        (group(a.exchange), a.exchange)
            .cmp(&(group(b.exchange), b.exchange))
            .then(by_value)
            .then_with(|| a.symbol.cmp(&b.symbol))
    });
    rows
}

fn pct(r: &Row) -> Option<rust_decimal::Decimal> {
    r.ticker.as_ref()?.change_pct_24h
}

fn vol(r: &Row) -> Option<rust_decimal::Decimal> {
    r.ticker.as_ref()?.volume_24h
}

/// Highest first; rows without a value last.
fn desc<T: Ord>(a: Option<T>, b: Option<T>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(a), Some(b)) => b.cmp(&a),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

/// Messages per second per feed, from `frames_in` sampled on each tick.
#[derive(Debug, Default)]
pub struct RateMeter {
    last: BTreeMap<ExchangeId, (u64, DateTime<Utc>)>,
}

impl RateMeter {
    /// Record the counters in `snapshot` at `now`; returns the rates since the last sample
    /// (feeds seen for the first time, or whose counter went backwards, have none yet).
    pub fn sample(&mut self, snapshot: &Snapshot, now: DateTime<Utc>) -> BTreeMap<ExchangeId, f64> {
        let mut rates = BTreeMap::new();
        for feed in &snapshot.feeds {
            let frames = feed.counters.frames_in;
            if let Some((prev, at)) = self.last.get(&feed.exchange) {
                let secs = (now - *at).num_milliseconds() as f64 / 1000.0;
                if secs > 0.0 && frames >= *prev {
                    rates.insert(feed.exchange, (frames - prev) as f64 / secs);
                }
            }
            self.last.insert(feed.exchange, (frames, now));
        }
        rates
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Source, Ticker};
    use crate::store::{Store, StoreLimits};

    fn store_with(rows: &[(ExchangeId, &str, &str, &str)]) -> Snapshot {
        let store = Store::new(StoreLimits::default());
        let t0 = DateTime::UNIX_EPOCH;
        store.add_feed(ExchangeId::Kraken, t0);
        store.add_feed(ExchangeId::Binance, t0);
        for (ex, sym, pct, vol) in rows {
            let (b, q) = sym.split_once('/').unwrap();
            let symbol = Symbol::new(b, q);
            store.add_symbol(*ex, &symbol, None);
            let mut t = Ticker::empty(*ex, symbol, Source::Stream, t0);
            t.last = Some("1".parse().unwrap());
            t.change_pct_24h = Some(pct.parse().unwrap());
            t.volume_24h = Some(vol.parse().unwrap());
            store.apply(t);
        }
        store.snapshot()
    }

    fn names(rows: &[&Row]) -> Vec<String> {
        rows.iter()
            .map(|r| format!("{}:{}", r.exchange, r.symbol))
            .collect()
    }

    #[test]
    fn rows_group_by_feed_then_sort() {
        let snap = store_with(&[
            (ExchangeId::Binance, "ETH/USDT", "5", "10"),
            (ExchangeId::Kraken, "SOL/USD", "-2", "300"),
            (ExchangeId::Kraken, "BTC/USD", "1", "20"),
            (ExchangeId::Kraken, "ETH/USD", "3", "100"),
        ]);
        assert_eq!(
            names(&ordered(&snap, SortKey::Symbol)),
            [
                "kraken:BTC/USD",
                "kraken:ETH/USD",
                "kraken:SOL/USD",
                "binance:ETH/USDT"
            ]
        );
        assert_eq!(
            names(&ordered(&snap, SortKey::Change)),
            [
                "kraken:ETH/USD",
                "kraken:BTC/USD",
                "kraken:SOL/USD",
                "binance:ETH/USDT"
            ]
        );
        assert_eq!(
            names(&ordered(&snap, SortKey::Volume)),
            [
                "kraken:SOL/USD",
                "kraken:ETH/USD",
                "kraken:BTC/USD",
                "binance:ETH/USDT"
            ]
        );
    }

    #[test]
    fn selection_moves_in_display_order_and_survives_removal() {
        let snap = store_with(&[
            (ExchangeId::Kraken, "BTC/USD", "1", "1"),
            (ExchangeId::Kraken, "ETH/USD", "1", "1"),
            (ExchangeId::Kraken, "SOL/USD", "1", "1"),
        ]);
        let mut v = ViewState::default();
        v.repair_selection(&[], &snap);
        assert_eq!(v.selected.as_ref().unwrap().1.as_str(), "BTC/USD");
        v.move_selection(&snap, -1);
        assert_eq!(v.selected.as_ref().unwrap().1.as_str(), "BTC/USD");
        v.move_selection(&snap, 1);
        assert_eq!(v.selected.as_ref().unwrap().1.as_str(), "ETH/USD");
        v.move_selection(&snap, 10);
        assert_eq!(v.selected.as_ref().unwrap().1.as_str(), "SOL/USD");
        let before: Vec<RowKey> = ordered(&snap, v.sort).into_iter().map(key).collect();
        let snap2 = store_with(&[
            (ExchangeId::Kraken, "BTC/USD", "1", "1"),
            (ExchangeId::Kraken, "ETH/USD", "1", "1"),
        ]);
        v.repair_selection(&before, &snap2);
        assert_eq!(v.selected.as_ref().unwrap().1.as_str(), "ETH/USD");
        v.repair_selection(&before, &Snapshot::default());
        assert_eq!(v.selected, None);
    }

    #[test]
    fn rates_come_from_counter_deltas() {
        let store = Store::new(StoreLimits::default());
        let t0 = DateTime::UNIX_EPOCH;
        store.add_feed(ExchangeId::Kraken, t0);
        let mut meter = RateMeter::default();
        assert!(meter.sample(&store.snapshot(), t0).is_empty());
        for _ in 0..30 {
            store.count_frame(ExchangeId::Kraken, 100, t0);
        }
        let rates = meter.sample(&store.snapshot(), t0 + chrono::TimeDelta::seconds(2));
        assert!((rates[&ExchangeId::Kraken] - 15.0).abs() < 1e-9);
        let rates = meter.sample(&store.snapshot(), t0 + chrono::TimeDelta::seconds(3));
        assert!(rates[&ExchangeId::Kraken].abs() < 1e-9);
    }
}
