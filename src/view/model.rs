//! The view model: what one frame shows, worked out once per frame from the [`ViewState`]
//! and one [`Snapshot`] before anything is drawn. It holds the rows in display order, the
//! table's lines (venue headings, rows, symbols several venues do not list), where the
//! selected row is among them, every feed's transitions newest first, and the clamps that
//! keep the table and the history scrolled to something that exists. The loop (`app`)
//! builds it, keeps the selection on it, and hands it to `ui`, which only draws it.
//! Nothing here measures text or touches the terminal.

use std::cmp::Ordering;

use rust_decimal::Decimal;

use pricewire_core::model::{ExchangeId, Transition};
use pricewire_core::store::{Row, RowState, Snapshot};
use pricewire_core::symbol::Symbol;

use super::columns::Column;
use super::holdings::Valued;
use super::state::{Grouping, RowKey, Sort, ViewState, key};

/// What one frame shows: see the module docs.
#[derive(Debug)]
pub struct ViewModel<'a> {
    /// What the keys chose: mode, sort, selection, scrolls, status line.
    pub view: &'a ViewState,
    /// The copy of the store this frame shows.
    pub snapshot: &'a Snapshot,
    /// The price table's rows and lines.
    pub table: Table<'a>,
    /// Every feed's transitions with the alerts and earlier entries, newest first (ties
    /// keep feed order).
    pub history: Vec<HistoryItem<'a>>,
    /// The table line of the selected row, when it has one.
    pub selected: Option<usize>,
    /// The chart pane's candles, when a chart is open and any have come.
    pub chart: Option<&'a super::state::ChartData>,
}

impl<'a> ViewModel<'a> {
    /// The model of `snapshot` as `view` shows it.
    pub fn new(view: &'a ViewState, snapshot: &'a Snapshot) -> Self {
        Self::with_table(view, snapshot, Table::new(snapshot, view))
    }

    /// The same, around a table already built for this snapshot (the loop builds it first
    /// to keep the selection on an existing row).
    pub fn with_table(view: &'a ViewState, snapshot: &'a Snapshot, table: Table<'a>) -> Self {
        let selected = view.selected.as_ref().and_then(|k| table.line_of(k));
        ViewModel {
            view,
            snapshot,
            table,
            history: history_with(snapshot, &view.notes),
            selected,
            chart: None,
        }
    }

    /// The same, with the chart pane's candles.
    #[must_use]
    pub fn with_chart(mut self, chart: Option<&'a super::state::ChartData>) -> Self {
        self.chart = chart;
        self
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
    /// The holdings valued on the snapshot's rows, and their totals.
    pub holdings: Valued,
    /// Rows the filter hides (0 without a filter).
    pub hidden: usize,
}

impl<'a> Table<'a> {
    /// `snapshot`'s rows as `view` shows them: those its filter lets through, in its sort.
    pub fn new(snapshot: &'a Snapshot, view: &ViewState) -> Self {
        let holdings = Valued::new(&view.holdings, snapshot);
        let all = ordered(snapshot, view.sort, &holdings);
        let total = all.len();
        let order: Vec<&Row> = all
            .into_iter()
            .filter(|r| matches_filter(r, &view.filter))
            .collect();
        let hidden = total - order.len();
        let mut table = Self::from_order(order, snapshot);
        table.holdings = holdings;
        table.hidden = hidden;
        table
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
            holdings: Valued::default(),
            hidden: 0,
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

/// One line of the history pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryItem<'a> {
    State(&'a Transition),
    Note(&'a super::state::Note),
}

impl HistoryItem<'_> {
    pub fn at(&self) -> chrono::DateTime<chrono::Utc> {
        match self {
            HistoryItem::State(t) => t.at,
            HistoryItem::Note(n) => n.at,
        }
    }
}

/// Transitions and `notes` (alerts, earlier runs' entries), newest first.
pub fn history_with<'a>(
    snapshot: &'a Snapshot,
    notes: &'a [super::state::Note],
) -> Vec<HistoryItem<'a>> {
    let mut all: Vec<HistoryItem<'a>> = history(snapshot)
        .into_iter()
        .map(HistoryItem::State)
        .chain(notes.iter().map(HistoryItem::Note))
        .collect();
    all.sort_by_key(|i| std::cmp::Reverse(i.at()));
    all
}

/// A scroll offset into `total` entries shown `height` at a time: at most the last page.
pub fn clamp_scroll(scroll: usize, total: usize, height: usize) -> usize {
    scroll.min(total.saturating_sub(height))
}

/// Whether `row` passes the filter: every word of it found (ignoring case) in the row's
/// symbol or venue name. An empty filter passes every row.
pub fn matches_filter(row: &Row, filter: &str) -> bool {
    let symbol = row.symbol.as_str().to_ascii_lowercase();
    filter.split_whitespace().all(|word| {
        let word = word.to_ascii_lowercase();
        symbol.contains(&word) || row.exchange.as_str().contains(&word)
    })
}

/// Rows in display order: by `sort`'s column, in its direction; grouped under their venue
/// (venues in the order the feeds were started, then any other) or ranked across venues.
/// Rows without a value for the column go last either way. Ties fall back to the symbol,
/// then the venue, so the order is stable from frame to frame.
pub fn ordered<'a>(snapshot: &'a Snapshot, sort: Sort, holdings: &Valued) -> Vec<&'a Row> {
    let group = |ex: ExchangeId| {
        snapshot
            .feeds
            .iter()
            .position(|f| f.exchange == ex)
            .unwrap_or(usize::MAX)
    };
    let mut rows: Vec<(usize, &Row)> = snapshot.rows.iter().enumerate().collect();
    rows.sort_by(|(ia, a), (ib, b)| {
        let venue = || (group(a.exchange), a.exchange).cmp(&(group(b.exchange), b.exchange));
        let symbol = || a.symbol.cmp(&b.symbol);
        let by_column = match sort.column {
            Column::Symbol => directed(symbol(), true, sort.reversed),
            Column::Venue => directed(venue(), true, sort.reversed),
            c => ranked(
                value(snapshot, *ia, c, holdings),
                value(snapshot, *ib, c, holdings),
                c.ascending_first() != sort.reversed,
            ),
        };
        let ties = || symbol().then_with(venue);
        match sort.grouping {
            Grouping::Venue => venue().then(by_column).then_with(ties),
            Grouping::Across => by_column.then_with(ties),
        }
    });
    rows.into_iter().map(|(_, r)| r).collect()
}

/// `order` as the column's natural direction has it, turned round when `reversed`.
fn directed(order: Ordering, ascending: bool, reversed: bool) -> Ordering {
    if ascending == reversed {
        order.reverse()
    } else {
        order
    }
}

/// The figure row `i` of `snapshot` shows in `column`, as the sort reads it.
fn value(snapshot: &Snapshot, i: usize, column: Column, holdings: &Valued) -> Option<Decimal> {
    let row = &snapshot.rows[i];
    let t = row.ticker.as_ref();
    let held = holdings.row(i);
    match column {
        Column::Last => t?.last,
        Column::Change => t?.change_24h,
        Column::Pct => t?.change_pct_24h,
        Column::Bid => t?.bid,
        Column::Ask => t?.ask,
        Column::Spread => t?.spread(),
        Column::High => t?.high_24h,
        Column::Low => t?.low_24h,
        Column::Volume => t?.volume_24h,
        Column::Amount => held.map(|h| h.amount),
        Column::Value => held.map(|h| h.value),
        Column::Pnl => held?.pnl,
        Column::PnlPct => held?.pnl_pct,
        // Older data sorts as a larger age.
        Column::Age => row
            .updated_at()
            .map(|at| Decimal::from(-at.timestamp_millis())),
        Column::Symbol | Column::Venue | Column::Trend => None,
    }
}

/// Lowest first when `ascending`, else highest first; rows without a value last either way.
fn ranked<T: Ord>(a: Option<T>, b: Option<T>, ascending: bool) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) if ascending => a.cmp(&b),
        (Some(a), Some(b)) => b.cmp(&a),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
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

    fn sort(column: Column, grouping: Grouping) -> Sort {
        Sort {
            column,
            reversed: false,
            grouping,
        }
    }

    fn by(snap: &Snapshot, s: Sort) -> Vec<String> {
        names(&ordered(snap, s, &Valued::default()))
    }

    #[test]
    fn any_column_sorts_both_ways_within_venues_or_across_them() {
        let snap = store_with(&[
            (ExchangeId::Binance, "ETH/USDT", "5", "10"),
            (ExchangeId::Kraken, "SOL/USD", "-2", "300"),
            (ExchangeId::Kraken, "BTC/USD", "1", "20"),
            (ExchangeId::Kraken, "ETH/USD", "3", "100"),
        ]);
        let symbol = sort(Column::Symbol, Grouping::Venue);
        assert_eq!(
            by(&snap, symbol),
            [
                "kraken:BTC/USD",
                "kraken:ETH/USD",
                "kraken:SOL/USD",
                "binance:ETH/USDT"
            ]
        );
        assert_eq!(
            by(&snap, symbol.reverse()),
            [
                "kraken:SOL/USD",
                "kraken:ETH/USD",
                "kraken:BTC/USD",
                "binance:ETH/USDT"
            ]
        );
        // Ranked across venues: Binance's +5 % is the top mover, above every Kraken row.
        let change = sort(Column::Pct, Grouping::Across);
        assert_eq!(
            by(&snap, change),
            [
                "binance:ETH/USDT",
                "kraken:ETH/USD",
                "kraken:BTC/USD",
                "kraken:SOL/USD"
            ]
        );
        assert_eq!(
            by(&snap, change.reverse()),
            [
                "kraken:SOL/USD",
                "kraken:BTC/USD",
                "kraken:ETH/USD",
                "binance:ETH/USDT"
            ]
        );
        // The same column within each venue: Kraken's rows first, ranked among themselves.
        assert_eq!(
            by(&snap, change.regroup()),
            [
                "kraken:ETH/USD",
                "kraken:BTC/USD",
                "kraken:SOL/USD",
                "binance:ETH/USDT"
            ]
        );
        let volume = sort(Column::Volume, Grouping::Across);
        assert_eq!(
            by(&snap, volume),
            [
                "kraken:SOL/USD",
                "kraken:ETH/USD",
                "kraken:BTC/USD",
                "binance:ETH/USDT"
            ]
        );
        // Symbols across venues: A→Z whatever the venue.
        assert_eq!(
            by(&snap, symbol.regroup()),
            [
                "kraken:BTC/USD",
                "kraken:ETH/USD",
                "binance:ETH/USDT",
                "kraken:SOL/USD"
            ]
        );
        assert_eq!(volume.reverse().label(), "volume ▲ · across venues");
        assert_eq!(symbol.label(), "symbol A→Z · by venue");
        assert_eq!(
            change.next_in(&[Column::Symbol, Column::Last, Column::Pct, Column::Trend]),
            sort(Column::Symbol, Grouping::Across),
            "the trend is skipped and the list wraps round"
        );
        assert_eq!(Sort::from_config("change", None), change);
        assert_eq!(Sort::from_config("symbol", None), symbol);
        assert_eq!(
            Sort::from_config("pnl", Some("venue")),
            sort(Column::Pnl, Grouping::Venue)
        );
    }

    #[test]
    fn the_filter_keeps_rows_whose_symbol_or_venue_has_every_word() {
        let snap = store_with(&[
            (ExchangeId::Binance, "ETH/USDT", "5", "10"),
            (ExchangeId::Kraken, "BTC/USD", "1", "20"),
            (ExchangeId::Kraken, "ETH/USD", "3", "100"),
        ]);
        let mut view = ViewState::default();
        let shown = |view: &ViewState| {
            let t = Table::new(&snap, view);
            (names(&t.order), t.hidden)
        };
        view.filter = "eth".into();
        assert_eq!(
            shown(&view),
            (vec!["kraken:ETH/USD".into(), "binance:ETH/USDT".into()], 1)
        );
        view.filter = "ETH kraken".into();
        assert_eq!(shown(&view), (vec!["kraken:ETH/USD".into()], 2));
        view.filter = "usdt".into();
        assert_eq!(shown(&view), (vec!["binance:ETH/USDT".into()], 2));
        view.filter = "  ".into();
        assert_eq!(shown(&view).1, 0);
    }

    fn order<'a>(snap: &'a Snapshot, v: &ViewState) -> Vec<&'a Row> {
        Table::new(snap, v).order
    }

    #[test]
    fn selection_moves_in_display_order_and_survives_removal() {
        let snap = store_with(&[
            (ExchangeId::Kraken, "BTC/USD", "1", "1"),
            (ExchangeId::Kraken, "ETH/USD", "1", "1"),
            (ExchangeId::Kraken, "SOL/USD", "1", "1"),
        ]);
        let mut v = ViewState::default();
        v.repair_selection(&[], &order(&snap, &v));
        assert_eq!(v.selected.as_ref().unwrap().1.as_str(), "BTC/USD");
        v.move_selection(&order(&snap, &v), -1);
        assert_eq!(v.selected.as_ref().unwrap().1.as_str(), "BTC/USD");
        v.move_selection(&order(&snap, &v), 1);
        assert_eq!(v.selected.as_ref().unwrap().1.as_str(), "ETH/USD");
        v.move_selection(&order(&snap, &v), 10);
        assert_eq!(v.selected.as_ref().unwrap().1.as_str(), "SOL/USD");
        let before: Vec<RowKey> = order(&snap, &v).into_iter().map(key).collect();
        let snap2 = store_with(&[
            (ExchangeId::Kraken, "BTC/USD", "1", "1"),
            (ExchangeId::Kraken, "ETH/USD", "1", "1"),
        ]);
        v.repair_selection(&before, &order(&snap2, &v));
        assert_eq!(v.selected.as_ref().unwrap().1.as_str(), "ETH/USD");
        v.repair_selection(&before, &order(&Snapshot::default(), &v));
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
