//! The view model: what one frame shows, worked out once per frame from the [`ViewState`]
//! and one [`Snapshot`] before anything is drawn. It holds the rows in display order, the
//! table's lines (venue headings, rows, symbols several venues do not list), where the
//! selected row is among them, every feed's transitions newest first, and the clamps that
//! keep the table and the history scrolled to something that exists. The loop (`app`)
//! builds it, keeps the selection on it, and hands it to `ui`, which only draws it.
//! Nothing here measures text or touches the terminal.

use pricewire_core::model::{ExchangeId, Transition};
use pricewire_core::store::{Row, RowState, Snapshot};
use pricewire_core::symbol::Symbol;

use super::state::{RowKey, Sort, SortKey, ViewState, key};

/// What one frame shows: see the module docs.
#[derive(Debug)]
pub struct ViewModel<'a> {
    /// What the keys chose: mode, sort, selection, scrolls, status line.
    pub view: &'a ViewState,
    /// The copy of the store this frame shows.
    pub snapshot: &'a Snapshot,
    /// The price table's rows and lines.
    pub table: Table<'a>,
    /// Every feed's transitions, newest first (ties keep feed order).
    pub history: Vec<&'a Transition>,
    /// The table line of the selected row, when it has one.
    pub selected: Option<usize>,
}

impl<'a> ViewModel<'a> {
    /// The model of `snapshot` as `view` shows it.
    pub fn new(view: &'a ViewState, snapshot: &'a Snapshot) -> Self {
        Self::with_table(view, snapshot, Table::new(snapshot, view.sort))
    }

    /// The same, around a table already built for this snapshot (the loop builds it first
    /// to keep the selection on an existing row).
    pub fn with_table(view: &'a ViewState, snapshot: &'a Snapshot, table: Table<'a>) -> Self {
        let selected = view.selected.as_ref().and_then(|k| table.line_of(k));
        ViewModel {
            view,
            snapshot,
            table,
            history: history(snapshot),
            selected,
        }
    }

    /// The first table line in view when the body shows `height` lines: the top, or as far
    /// down as keeps the selected row on the last line.
    pub fn table_offset(&self, height: usize) -> usize {
        match self.selected {
            Some(s) if s >= height => s + 1 - height,
            _ => 0,
        }
    }

    /// The history entry at the top of a pane showing `height` entries: the view's scroll,
    /// at most the last page.
    pub fn history_scroll(&self, height: usize) -> usize {
        clamp_scroll(self.view.history_scroll, self.history.len(), height)
    }
}

/// One line of the price table, before formatting.
#[derive(Debug, Clone)]
pub enum TableLine<'a> {
    /// A venue's heading, when the rows are grouped by venue and several feeds run.
    Group(ExchangeId),
    Row(&'a Row),
    /// A symbol that several venues do not list, with those venues.
    NotListed(&'a Symbol, Vec<ExchangeId>),
}

/// The price table's rows in display order and the lines they make.
#[derive(Debug, Clone)]
pub struct Table<'a> {
    /// Every row of the snapshot, in display order.
    pub order: Vec<&'a Row>,
    /// The table's body lines. A symbol that several venues do not list is one line at the
    /// end ("not listed on binance, okx") rather than a red row per venue; a symbol one
    /// venue does not list keeps its row and its suggestions.
    pub lines: Vec<TableLine<'a>>,
    /// Some venue's rows are not one run (as when sorting by change across venues): there
    /// are no venue headings, and each row names its venue in a column of its own.
    pub interleaved: bool,
}

impl<'a> Table<'a> {
    /// `snapshot`'s rows in `sort` order.
    pub fn new(snapshot: &'a Snapshot, sort: Sort) -> Self {
        Self::from_order(ordered(snapshot, sort), snapshot)
    }

    /// The table for `order`, rows of `snapshot` in the order given.
    pub fn from_order(order: Vec<&'a Row>, snapshot: &Snapshot) -> Self {
        let interleaved = interleaved(&order);
        let grouped = !interleaved
            && (snapshot.feeds.len() > 1 || order.iter().any(|r| r.exchange != order[0].exchange));
        let mut unlisted: std::collections::BTreeMap<&Symbol, Vec<ExchangeId>> =
            std::collections::BTreeMap::new();
        for row in order.iter().filter(|r| not_listed(r)) {
            unlisted.entry(&row.symbol).or_default().push(row.exchange);
        }
        unlisted.retain(|_, venues| venues.len() > 1);
        let mut lines = Vec::with_capacity(order.len() + snapshot.feeds.len());
        let mut last: Option<ExchangeId> = None;
        for &row in &order {
            if not_listed(row) && unlisted.contains_key(&row.symbol) {
                continue;
            }
            if grouped && last != Some(row.exchange) {
                lines.push(TableLine::Group(row.exchange));
            }
            last = Some(row.exchange);
            lines.push(TableLine::Row(row));
        }
        lines.extend(
            unlisted
                .into_iter()
                .map(|(s, v)| TableLine::NotListed(s, v)),
        );
        Table {
            order,
            lines,
            interleaved,
        }
    }

    /// The rows' keys in display order.
    pub fn keys(&self) -> Vec<RowKey> {
        self.order.iter().map(|r| key(r)).collect()
    }

    /// The line that shows the row `k`.
    pub fn line_of(&self, k: &RowKey) -> Option<usize> {
        self.lines.iter().position(|l| match l {
            TableLine::Row(r) => r.exchange == k.0 && r.symbol == k.1,
            TableLine::Group(_) | TableLine::NotListed(..) => false,
        })
    }

    /// How many of the first `body` lines are rows (venue headings take lines too): the
    /// layout sizes the panes around the table by it.
    pub fn rows_within(&self, body: usize) -> usize {
        self.lines
            .iter()
            .take(body)
            .filter(|l| !matches!(l, TableLine::Group(_)))
            .count()
    }

    /// Lines that are not venue headings.
    pub fn row_lines(&self) -> usize {
        self.rows_within(usize::MAX)
    }
}

/// Whether some venue's rows are not consecutive in `rows`.
fn interleaved(rows: &[&Row]) -> bool {
    let mut seen: Vec<ExchangeId> = Vec::new();
    for pair in rows.windows(2) {
        let (a, b) = (pair[0].exchange, pair[1].exchange);
        if a != b {
            if seen.contains(&b) {
                return true;
            }
            seen.push(a);
        }
    }
    false
}

/// Whether a row is invalid because its venue does not list the symbol. The store keeps
/// only the message, so this reads the wording of
/// [`pricewire_core::symbol::SymbolError::Unknown`] (a test pins it).
fn not_listed(row: &Row) -> bool {
    match &row.state {
        RowState::Invalid(why) => why
            .strip_prefix(row.exchange.as_str())
            .is_some_and(|rest| rest.starts_with(" does not list ")),
        _ => false,
    }
}

/// Transitions of all feeds, newest first (ties keep feed order).
pub fn history(snapshot: &Snapshot) -> Vec<&Transition> {
    let mut all: Vec<&Transition> = snapshot
        .feeds
        .iter()
        .flat_map(|f| f.history.iter().map(AsRef::as_ref))
        .collect();
    all.sort_by_key(|t| std::cmp::Reverse(t.at));
    all
}

/// A scroll offset into `total` entries shown `height` at a time: at most the last page.
pub fn clamp_scroll(scroll: usize, total: usize, height: usize) -> usize {
    scroll.min(total.saturating_sub(height))
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use pricewire_core::model::{Source, Ticker};
    use pricewire_core::store::{Store, StoreLimits};
    use pricewire_core::symbol::SymbolError;

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
        v.repair_selection(&[], &ordered(&snap, v.sort));
        assert_eq!(v.selected.as_ref().unwrap().1.as_str(), "BTC/USD");
        v.move_selection(&ordered(&snap, v.sort), -1);
        assert_eq!(v.selected.as_ref().unwrap().1.as_str(), "BTC/USD");
        v.move_selection(&ordered(&snap, v.sort), 1);
        assert_eq!(v.selected.as_ref().unwrap().1.as_str(), "ETH/USD");
        v.move_selection(&ordered(&snap, v.sort), 10);
        assert_eq!(v.selected.as_ref().unwrap().1.as_str(), "SOL/USD");
        let before: Vec<RowKey> = ordered(&snap, v.sort).into_iter().map(key).collect();
        let snap2 = store_with(&[
            (ExchangeId::Kraken, "BTC/USD", "1", "1"),
            (ExchangeId::Kraken, "ETH/USD", "1", "1"),
        ]);
        v.repair_selection(&before, &ordered(&snap2, v.sort));
        assert_eq!(v.selected.as_ref().unwrap().1.as_str(), "ETH/USD");
        v.repair_selection(&before, &ordered(&Snapshot::default(), v.sort));
        assert_eq!(v.selected, None);
    }

    #[test]
    fn not_listed_reads_the_unknown_symbol_message() {
        let store = Store::new(StoreLimits::default());
        let nope = Symbol::new("NOPE", "USD");
        let unknown = |venue: &str, suggestions: &[&str]| SymbolError::Unknown {
            input: "nope-usd".into(),
            venue: venue.into(),
            suggestions: suggestions.iter().map(ToString::to_string).collect(),
        };
        let cases = [
            (ExchangeId::Kraken, unknown("kraken", &[]).to_string(), true),
            (
                ExchangeId::Okx,
                unknown("okx", &["NEO/USD"]).to_string(),
                true,
            ),
            (ExchangeId::Bybit, unknown("okx", &[]).to_string(), false),
            (ExchangeId::Binance, "Invalid symbol".to_string(), false),
        ];
        for (ex, message, _) in &cases {
            store.set_row_state(*ex, &nope, RowState::Invalid(message.clone()));
        }
        let snap = store.snapshot();
        for (ex, message, want) in cases {
            let row = snap.row(ex, "NOPE/USD").unwrap();
            assert_eq!(not_listed(row), want, "{ex}: {message}");
        }
    }
}
