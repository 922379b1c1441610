//! What the dashboard remembers between frames: the input mode, the sort, the selected row,
//! the history pane and its scroll, the status line and message rates. Plain data and pure
//! methods; keys change it (`app`), the view model reads it, and it never touches the
//! terminal, the store or a feed.

use std::collections::BTreeMap;
use std::time::Duration;

use std::sync::Arc;

use chrono::FixedOffset;

use super::columns::Column;

use pricewire_core::candle::ChartWindow;
use pricewire_core::holdings::Holding;
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
    /// The filter is being typed: rows narrow down as it is.
    Filtering,
    /// The connection-details pane of a venue is open.
    Details(ExchangeId),
    /// The alert prompt is open, holding a rule.
    Alerting(Prompt),
    /// The alert list is open, this rule picked.
    AlertList(usize),
}

/// An alert that fired and stands (its rule has not re-armed): it marks its row and the
/// header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiredMark {
    /// The rule, canonically spelled.
    pub rule: String,
    pub exchange: ExchangeId,
    /// The market, for market rules.
    pub symbol: Option<Symbol>,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A history-pane line that is no state change: an alert, or an entry of the previous
/// run's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub at: chrono::DateTime<chrono::Utc>,
    pub exchange: Option<ExchangeId>,
    /// What happened, in words (already stripped of control characters).
    pub text: String,
    pub kind: NoteKind,
}

/// What a [`Note`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    /// An alert fired in this run.
    Alert,
    /// A held state an alert watched recovered.
    Recovered,
    /// From the previous run's history, shown at start.
    Earlier,
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

/// Whether rows stay under their venue's heading when sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// Each venue's rows together, under its heading, in the feeds' order.
    Venue,
    /// Ranked across every venue: the biggest mover is on top wherever it trades.
    Across,
}

/// The sort the table is drawn in: a column, a direction and a grouping. `s` moves to the
/// next column shown, `S` turns the direction round, `g` switches the grouping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: Column,
    /// Reversed from the column's natural order (A→Z for names, youngest first for the
    /// age, highest first for figures).
    pub reversed: bool,
    pub grouping: Grouping,
}

impl Sort {
    /// From `ui.sort` and `ui.grouping` in the config (already validated there); without
    /// a grouping, rows sorted by symbol stay under their venue and any other sort ranks
    /// across venues.
    pub fn from_config(sort: &str, grouping: Option<&str>) -> Self {
        let column = Column::sort_key(sort).unwrap_or(Column::Symbol);
        let by_venue = match grouping {
            Some(g) => g == "venue",
            None => column == Column::Symbol,
        };
        let grouping = if by_venue {
            Grouping::Venue
        } else {
            Grouping::Across
        };
        Sort {
            column,
            reversed: false,
            grouping,
        }
    }

    /// The next sortable column among `shown` (after the last, the first), in its natural
    /// direction; the grouping is kept.
    #[must_use]
    pub fn next_in(self, shown: &[Column]) -> Self {
        let sortable: Vec<Column> = shown
            .iter()
            .copied()
            .filter(|c| *c != Column::Trend)
            .collect();
        let at = sortable.iter().position(|c| *c == self.column);
        let column = match at {
            Some(i) => sortable[(i + 1) % sortable.len()],
            None => sortable.first().copied().unwrap_or(Column::Symbol),
        };
        Sort {
            column,
            reversed: false,
            ..self
        }
    }

    /// The same column the other way round.
    #[must_use]
    pub fn reverse(self) -> Self {
        Sort {
            reversed: !self.reversed,
            ..self
        }
    }

    /// By venue, or across venues.
    #[must_use]
    pub fn regroup(self) -> Self {
        Sort {
            grouping: match self.grouping {
                Grouping::Venue => Grouping::Across,
                Grouping::Across => Grouping::Venue,
            },
            ..self
        }
    }

    /// `symbol A→Z · by venue`, `change % ▼ · across venues`.
    pub fn label(self) -> String {
        let ascending = self.column.ascending_first() != self.reversed;
        let arrow = match (self.column, ascending) {
            (Column::Symbol | Column::Venue, true) => "A→Z",
            (Column::Symbol | Column::Venue, false) => "Z→A",
            (_, true) => "▲",
            (_, false) => "▼",
        };
        let group = match self.grouping {
            Grouping::Venue => "by venue",
            Grouping::Across => "across venues",
        };
        format!("{} {arrow} · {group}", self.column.label())
    }
}

impl Default for Sort {
    fn default() -> Self {
        Sort::from_config("symbol", None)
    }
}

/// Whether the holdings columns are shown (`H`), and whether amounts are hidden for
/// screen sharing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HoldingsView {
    pub shown: bool,
    /// Amounts, values and absolute P&L read `•••`; P&L % stays.
    pub hide_amounts: bool,
}

/// How the chart draws its candles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChartStyle {
    #[default]
    Candles,
    /// The closes as a filled line.
    Line,
}

/// The chart pane (`c`): whose chart, over which window, drawn how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartView {
    pub row: RowKey,
    pub window: ChartWindow,
    pub style: ChartStyle,
}

/// The outcome of the last action, shown above the footer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Info(String),
    /// Something to know that stopped nothing (a config key this version does not know).
    Warning(String),
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
    /// The table's columns in the order `ui.columns` gives (all of them by default).
    pub columns: Vec<Column>,
    /// Words every shown row's symbol or venue must contain (`/`); empty: every row.
    pub filter: String,
    /// What the user holds (`[[holdings]]`), valued each frame.
    pub holdings: Arc<Vec<Holding>>,
    pub holdings_view: HoldingsView,
    /// The chart pane, when open.
    pub chart: Option<ChartView>,
    /// The named watchlist shown (`default`: the config's `symbols`).
    pub watchlist: String,
    /// Which key does what: the footer and the help are drawn from it.
    pub keymap: Arc<crate::keymap::Keymap>,
    /// A recording played back (`pricewire replay FILE`): the screen says so everywhere.
    pub replay: Option<ReplayView>,
    /// Every alert rule and where it stands (the alert list).
    pub alerts: Vec<pricewire_core::alert::RuleStatus>,
    /// Alerts fired that still stand: marks on rows and in the header.
    pub fired: Vec<FiredMark>,
    /// Alerts and earlier runs' entries, shown in the history pane with the transitions.
    pub notes: Vec<Note>,
}

/// What the screen says of a replay: the file, the speed, and how it ended once it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayView {
    /// The recording's file name, as typed.
    pub file: String,
    /// `10×`, `max`.
    pub speed: String,
    /// How it ended (`None`: still playing).
    pub ended: Option<ReplayEnd>,
}

/// The end of a replay, as the screen tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayEnd {
    /// The file was damaged: it played up to the damage.
    pub damaged: bool,
    /// In words: `complete`, `stopped at line 7: …`.
    pub text: String,
}

impl ReplayEnd {
    /// How `report`'s replay ended: `complete at 03:12:09: 812 records, 790 frames`.
    pub fn of(report: &pricewire_core::replay::ReplayReport) -> Self {
        let at = report
            .last_at
            .map(|t| format!(" at {}", t.format("%H:%M:%S")))
            .unwrap_or_default();
        let lost = if report.lost > 0 {
            format!(" ({} lost while recording)", report.lost)
        } else {
            String::new()
        };
        ReplayEnd {
            damaged: matches!(report.ended, pricewire_core::replay::Ended::Damaged { .. }),
            text: format!(
                "{}{at}: {} records, {} frames{lost}",
                report.ended.describe(),
                report.records,
                report.frames
            ),
        }
    }
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
            columns: Column::ALL.to_vec(),
            filter: String::new(),
            holdings: Arc::new(Vec::new()),
            holdings_view: HoldingsView::default(),
            chart: None,
            watchlist: crate::config::DEFAULT_WATCHLIST.to_string(),
            keymap: Arc::new(crate::keymap::Keymap::default()),
            replay: None,
            alerts: Vec::new(),
            fired: Vec::new(),
            notes: Vec::new(),
        }
    }
}

impl ViewState {
    /// Whether `ui.columns` names the venue: then it is shown even under venue headings.
    pub fn columns_named_venue(&self) -> bool {
        self.columns.contains(&Column::Venue) && self.columns.len() < Column::COUNT
    }

    /// The row the selection points at, if it is still there.
    pub fn selected_row<'a>(&self, snapshot: &'a Snapshot) -> Option<&'a Row> {
        let (ex, sym) = self.selected.as_ref()?;
        snapshot
            .rows
            .iter()
            .find(|r| r.exchange == *ex && r.symbol == *sym)
    }

    /// Keep the selection on a row of the display `order`: the first row when none is
    /// selected, or the row now at the same place when the selected one went away. `before`
    /// is the order the selection was last seen in; a selection not in it (a symbol just added,
    /// whose row the feed has yet to make) is left alone.
    pub fn repair_selection(&mut self, before: &[RowKey], order: &[&Row]) {
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

    /// Move the selection by `delta` rows in display `order`, stopping at the ends.
    pub fn move_selection(&mut self, order: &[&Row], delta: isize) {
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

/// Where a chart's candles stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch {
    /// Asked for; the live part draws meanwhile.
    Loading,
    /// The venue's candles are in.
    Done,
    /// The venue's candles could not be had: why. The live part still draws.
    Failed(String),
}

/// A chart's candles: the venue's history with the live ticks folded in since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartData {
    pub series: pricewire_core::candle::CandleSeries,
    pub fetch: Fetch,
}

/// Where the last frame drew what a click or the wheel can reach: the screen line of each
/// table row, and the price table's, the chart's and the history's areas (their titles
/// on their top lines). The mouse is hit-tested against it, so a click acts on what was
/// on the screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hits {
    pub rows: Vec<(u16, RowKey)>,
    pub table: ratatui::layout::Rect,
    pub chart: Option<ratatui::layout::Rect>,
    pub history: Option<ratatui::layout::Rect>,
}
