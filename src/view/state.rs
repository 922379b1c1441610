//! What the dashboard remembers between frames: the input mode, the sort, the selected row,
//! the history pane and its scroll, the status line and message rates. Plain data and pure
//! methods; keys change it (`app`), the view model reads it, and it never touches the
//! terminal, the store or a feed.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::FixedOffset;

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
    /// The connection-details pane of a venue is open.
    Details(ExchangeId),
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
