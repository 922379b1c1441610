//! What the dashboard remembers between frames: the input mode, the sort, the selected row,
//! the history pane and its scroll, the status line and message rates. Plain data and pure
//! methods; it never touches the terminal, the store or a feed.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};

use pricewire_core::model::ExchangeId;
use pricewire_core::store::{Row, Snapshot};
use pricewire_core::symbol::Symbol;

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

/// What rows are ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// Alphabetical, rows grouped by venue.
    Symbol,
    /// 24 h change %, across every venue.
    Change,
    /// 24 h volume, across every venue.
    Volume,
}

/// The sort the table is drawn in: a key and a direction. `s` cycles the key, `S` turns
/// the direction round. By symbol, rows stay grouped by venue; by change or volume they are
/// ranked across every venue, so the biggest mover is on top wherever it trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    /// Reversed from the key's natural order (A→Z for symbols, highest first otherwise).
    pub reversed: bool,
}

impl Sort {
    /// From `ui.sort` in the config (already validated there).
    pub fn from_config(s: &str) -> Self {
        let key = match s {
            "change" => SortKey::Change,
            "volume" => SortKey::Volume,
            _ => SortKey::Symbol,
        };
        Sort {
            key,
            reversed: false,
        }
    }

    /// The next key, in its natural direction.
    #[must_use]
    pub fn next(self) -> Self {
        let key = match self.key {
            SortKey::Symbol => SortKey::Change,
            SortKey::Change => SortKey::Volume,
            SortKey::Volume => SortKey::Symbol,
        };
        Sort {
            key,
            reversed: false,
        }
    }

    /// The same key the other way round.
    #[must_use]
    pub fn reverse(self) -> Self {
        Sort {
            reversed: !self.reversed,
            ..self
        }
    }

    pub fn label(self) -> &'static str {
        match (self.key, self.reversed) {
            (SortKey::Symbol, false) => "symbol A→Z",
            (SortKey::Symbol, true) => "symbol Z→A",
            (SortKey::Change, false) => "change % ▼",
            (SortKey::Change, true) => "change % ▲",
            (SortKey::Volume, false) => "volume ▼",
            (SortKey::Volume, true) => "volume ▲",
        }
    }
}

impl Default for Sort {
    fn default() -> Self {
        Sort::from_config("symbol")
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
    /// The history entry picked with PgUp/PgDn or K/J (0 = newest), drawn highlighted and
    /// in full however long its reason; Esc lets go of it.
    pub history_cursor: Option<usize>,
    /// Entries the history pane showed in the last frame (set by the loop from the
    /// terminal's height), so scrolling stops at the oldest page.
    pub history_rows: usize,
    pub sort: Sort,
    pub selected: Option<RowKey>,
    pub status: Option<Status>,
    /// Frames per second received, per feed (from counter deltas between ticks).
    pub rates: BTreeMap<ExchangeId, f64>,
    /// Rows without an update for longer are marked stale.
    pub stale_after: Duration,
    /// History times are shown in this offset (local time in the app, UTC in tests).
    pub utc_offset: FixedOffset,
    /// Where the log is written (named in the help overlay); `None`: logging is off.
    pub log_file: Option<std::path::PathBuf>,
}

impl Default for ViewState {
    fn default() -> Self {
        ViewState {
            mode: Mode::Normal,
            history: HistoryPane::Shown,
            history_scroll: 0,
            history_cursor: None,
            history_rows: 0,
            sort: Sort::default(),
            selected: None,
            status: None,
            rates: BTreeMap::new(),
            stale_after: Duration::from_secs(30),
            utc_offset: FixedOffset::east_opt(0).expect("zero offset"),
            log_file: None,
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

/// Rows in display order. By symbol: grouped by exchange (in the order the feeds were
/// started, then any other venue), A→Z or Z→A within each group. By change or volume:
/// ranked across every venue, highest first (or lowest first when reversed); rows without
/// a value go last either way. Ties fall back to the symbol, then the venue, so the order
/// is stable from frame to frame.
pub fn ordered(snapshot: &Snapshot, sort: Sort) -> Vec<&Row> {
    let group = |ex: ExchangeId| {
        snapshot
            .feeds
            .iter()
            .position(|f| f.exchange == ex)
            .unwrap_or(usize::MAX)
    };
    let mut rows: Vec<&Row> = snapshot.rows.iter().collect();
    rows.sort_by(|a, b| {
        let venue = || (group(a.exchange), a.exchange).cmp(&(group(b.exchange), b.exchange));
        let symbol = || a.symbol.cmp(&b.symbol);
        match sort.key {
            SortKey::Symbol if sort.reversed => venue().then_with(|| symbol().reverse()),
            SortKey::Symbol => venue().then_with(symbol),
            SortKey::Change => ranked(pct(a), pct(b), sort.reversed)
                .then_with(symbol)
                .then_with(venue),
            SortKey::Volume => ranked(vol(a), vol(b), sort.reversed)
                .then_with(symbol)
                .then_with(venue),
        }
    });
    rows
}

fn pct(r: &Row) -> Option<rust_decimal::Decimal> {
    r.ticker.as_ref()?.change_pct_24h
}

fn vol(r: &Row) -> Option<rust_decimal::Decimal> {
    r.ticker.as_ref()?.volume_24h
}

/// Highest first (lowest first when `reversed`); rows without a value last either way.
fn ranked<T: Ord>(a: Option<T>, b: Option<T>, reversed: bool) -> std::cmp::Ordering {
    match (a, b) {
        (Some(a), Some(b)) if reversed => a.cmp(&b),
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
    use pricewire_core::model::{Source, Ticker};
    use pricewire_core::store::{Store, StoreLimits};

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
    fn symbol_sort_groups_by_feed_and_ranked_sorts_cross_venues_both_ways() {
        let snap = store_with(&[
            (ExchangeId::Binance, "ETH/USDT", "5", "10"),
            (ExchangeId::Kraken, "SOL/USD", "-2", "300"),
            (ExchangeId::Kraken, "BTC/USD", "1", "20"),
            (ExchangeId::Kraken, "ETH/USD", "3", "100"),
        ]);
        let by = |key| Sort {
            key,
            reversed: false,
        };
        assert_eq!(
            names(&ordered(&snap, by(SortKey::Symbol))),
            [
                "kraken:BTC/USD",
                "kraken:ETH/USD",
                "kraken:SOL/USD",
                "binance:ETH/USDT"
            ]
        );
        assert_eq!(
            names(&ordered(&snap, by(SortKey::Symbol).reverse())),
            [
                "kraken:SOL/USD",
                "kraken:ETH/USD",
                "kraken:BTC/USD",
                "binance:ETH/USDT"
            ]
        );
        // Ranked across venues: Binance's +5 % is the top mover, above every Kraken row.
        assert_eq!(
            names(&ordered(&snap, by(SortKey::Change))),
            [
                "binance:ETH/USDT",
                "kraken:ETH/USD",
                "kraken:BTC/USD",
                "kraken:SOL/USD"
            ]
        );
        assert_eq!(
            names(&ordered(&snap, by(SortKey::Change).reverse())),
            [
                "kraken:SOL/USD",
                "kraken:BTC/USD",
                "kraken:ETH/USD",
                "binance:ETH/USDT"
            ]
        );
        assert_eq!(
            names(&ordered(&snap, by(SortKey::Volume))),
            [
                "kraken:SOL/USD",
                "kraken:ETH/USD",
                "kraken:BTC/USD",
                "binance:ETH/USDT"
            ]
        );
        assert_eq!(
            names(&ordered(&snap, by(SortKey::Volume).reverse())),
            [
                "binance:ETH/USDT",
                "kraken:BTC/USD",
                "kraken:ETH/USD",
                "kraken:SOL/USD"
            ]
        );
        assert_eq!(by(SortKey::Volume).reverse().label(), "volume ▲");
        assert_eq!(by(SortKey::Volume).reverse().next(), by(SortKey::Symbol));
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
