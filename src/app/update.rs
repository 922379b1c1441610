//! [`App`]: the view state plus the handles an action needs (feeds, where the watchlist is
//! saved), and [`App::apply`], which carries out one [`Action`]. Commands go to feeds over
//! their channels; it never writes to the store (feeds do) and never draws.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::keys::Action;
use super::rates::RateMeter;
use super::title::WindowTitle;
use crate::config::{self, Config};
use crate::view::model::{Table, clamp_scroll};
use crate::view::state::{HistoryPane, Mode, Prompt, RowKey, Sort, Status, ViewState, key};
use pricewire_core::feed::command::{Command, Feeds};
use pricewire_core::model::{ExchangeId, FeedStatus, Transition};
use pricewire_core::store::{RowState, Snapshot};

/// Whether the loop goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// An edit of the watchlist that `u` can take back.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Edit {
    /// One symbol added on these venues.
    Added(Vec<RowKey>),
    Dropped(RowKey),
}

/// Edits kept for undo.
const UNDO_DEPTH: usize = 50;

/// A "reconnecting …" status line, cleared once the feed has moved on from it.
#[derive(Debug)]
struct PendingReconnect {
    /// The feeds asked; `None`: all of them.
    exchange: Option<ExchangeId>,
    /// Each feed's newest transition when the request was made.
    seen: Vec<(ExchangeId, Option<Arc<Transition>>)>,
}

/// See the module docs.
#[derive(Debug)]
pub struct App {
    pub view: ViewState,
    feeds: Feeds,
    config_path: Option<PathBuf>,
    /// Why edits are not saved although a config file is in use.
    not_saved: Option<String>,
    meter: RateMeter,
    /// Display order when last drawn, to keep the selection in place when a row goes.
    order: Vec<RowKey>,
    /// Symbols added and dropped here: the feed makes or drops the row a moment later.
    added: Vec<RowKey>,
    removed: Vec<RowKey>,
    undo: Vec<Edit>,
    reconnecting: Option<PendingReconnect>,
    title: Option<WindowTitle>,
}

impl App {
    /// `config_path`: where added and dropped symbols are saved (`None`: nowhere).
    pub fn new(feeds: Feeds, config: &Config, config_path: Option<PathBuf>) -> Self {
        let view = ViewState {
            history: if config.ui.history_pane {
                HistoryPane::Shown
            } else {
                HistoryPane::Hidden
            },
            sort: Sort::from_config(&config.ui.sort),
            stale_after: config::secs(config.ui.stale_secs),
            // Shown once, at start: the next action's outcome replaces it.
            status: config_warning(&config.warnings),
            ..ViewState::default()
        };
        App {
            view,
            feeds,
            config_path,
            not_saved: None,
            meter: RateMeter::default(),
            order: Vec::new(),
            added: Vec::new(),
            removed: Vec::new(),
            undo: Vec::new(),
            reconnecting: None,
            title: None,
        }
    }

    /// Keep the window title saying which venues are shown and which are simulated.
    #[must_use]
    pub fn with_title(mut self, title: WindowTitle) -> Self {
        self.title = Some(title);
        self
    }

    /// After drawing `snapshot`: the window title for it, if a title is kept.
    pub fn show_title(&mut self, snapshot: &Snapshot) {
        if let Some(title) = &mut self.title {
            title.show(snapshot);
        }
    }

    /// Keep the config file's watchlist as it is for this run, and say why whenever an
    /// edit is made (e.g. this run's symbols came from the command line).
    #[must_use]
    pub fn without_saving(mut self, why: impl Into<String>) -> Self {
        self.not_saved = Some(why.into());
        self
    }

    /// Before drawing `snapshot`: keep the selection on an existing row, and drop a status
    /// line that has stopped being true. Returns the table in display order, built once,
    /// for the frame's view model.
    pub fn sync<'a>(&mut self, snapshot: &'a Snapshot) -> Table<'a> {
        let table = Table::new(snapshot, self.view.sort);
        self.view.repair_selection(&self.order, &table.order);
        self.order = table.keys();
        if self.reconnect_done(snapshot) {
            self.reconnecting = None;
            self.view.status = None;
        }
        table
    }

    /// Once a second: message rates from the counters.
    pub fn tick(&mut self, snapshot: &Snapshot, now: DateTime<Utc>) {
        self.view.rates = self.meter.sample(snapshot, now);
    }

    /// Carry out `action` against the state shown in `snapshot`.
    pub fn apply(&mut self, action: Action, snapshot: &Snapshot) -> Flow {
        if action == Action::Ignore {
            return Flow::Continue;
        }
        if matches!(self.view.mode, Mode::Normal) {
            // A new action replaces the outcome of the previous one.
            self.view.status = None;
            self.reconnecting = None;
        }
        match action {
            Action::Ignore => {}
            Action::Quit => return Flow::Quit,
            Action::ReconnectSelected => self.reconnect(snapshot, false),
            Action::ReconnectAll => self.reconnect(snapshot, true),
            Action::OpenAdd => self.view.mode = Mode::Adding(Prompt::default()),
            Action::RemoveSelected => self.remove(snapshot),
            Action::Undo => self.undo(snapshot),
            Action::Select(delta) => {
                let table = Table::new(snapshot, self.view.sort);
                self.view.move_selection(&table.order, delta);
            }
            Action::CycleSort => self.view.sort = self.view.sort.next(),
            Action::ReverseSort => self.view.sort = self.view.sort.reverse(),
            Action::ToggleHistory => {
                self.view.history = match self.view.history {
                    HistoryPane::Shown => HistoryPane::Hidden,
                    HistoryPane::Hidden => HistoryPane::Shown,
                };
            }
            Action::ScrollHistory(delta) => self.pick_history(snapshot, delta, false),
            Action::PageHistory(pages) => self.pick_history(snapshot, pages, true),
            Action::Back => {
                if self.view.history_cursor.take().is_none() {
                    self.view.status = Some(Status::Info(
                        "nothing to close · q or Ctrl-C quits".to_string(),
                    ));
                }
            }
            Action::OpenHelp => self.view.mode = Mode::Help,
            Action::CloseHelp | Action::Cancel => self.view.mode = Mode::Normal,
            Action::Type(c) => self.edit(|p| p.input.push(c)),
            Action::Backspace => self.edit(|p| {
                p.input.pop();
            }),
            Action::ClearInput => self.edit(|p| p.input.clear()),
            Action::Submit => self.submit(snapshot),
        }
        Flow::Continue
    }

    fn edit(&mut self, f: impl FnOnce(&mut Prompt)) {
        if let Mode::Adding(p) = &mut self.view.mode {
            f(p);
            p.error = None;
        }
    }

    /// Move the picked history entry by `delta` lines, or `delta` pages of the pane's
    /// height; the pane scrolls to keep it in view (a page moves the view with it).
    fn pick_history(&mut self, snapshot: &Snapshot, delta: isize, page: bool) {
        let total: usize = snapshot.feeds.iter().map(|f| f.history.len()).sum();
        if total == 0 {
            return;
        }
        let rows = self.view.history_rows.max(1);
        let last_page = clamp_scroll(usize::MAX, total, rows);
        let scroll = clamp_scroll(self.view.history_scroll, total, rows);
        let step = if page {
            delta.saturating_mul(isize::try_from(rows).unwrap_or(isize::MAX))
        } else {
            delta
        };
        let cursor = self
            .view
            .history_cursor
            .unwrap_or(scroll)
            .saturating_add_signed(step)
            .min(total - 1);
        let scroll = if page {
            scroll.saturating_add_signed(step).min(last_page)
        } else {
            scroll
        };
        self.view.history_scroll = if cursor < scroll {
            cursor
        } else if cursor >= scroll + rows {
            cursor + 1 - rows
        } else {
            scroll
        };
        self.view.history_cursor = Some(cursor);
    }

    fn reconnect(&mut self, snapshot: &Snapshot, all: bool) {
        let target = if all {
            None
        } else {
            self.view.selected_row(snapshot).map(|r| r.exchange)
        };
        let status = if let Some(ex) = target {
            match self.feeds.send(ex, Command::Reconnect) {
                Ok(()) => Status::Info(format!("reconnecting {ex}…")),
                Err(e) => Status::Error(e.to_string()),
            }
        } else {
            self.feeds.broadcast(&Command::Reconnect);
            Status::Info("reconnecting every feed…".to_string())
        };
        if matches!(status, Status::Info(_)) {
            self.reconnecting = Some(PendingReconnect {
                exchange: target,
                seen: snapshot
                    .feeds
                    .iter()
                    .map(|f| (f.exchange, f.history.back().cloned()))
                    .collect(),
            });
        }
        self.view.status = Some(status);
    }

    /// Whether every feed a reconnect was asked of has since settled in a state other
    /// than connecting (the header says the rest from then on).
    fn reconnect_done(&self, snapshot: &Snapshot) -> bool {
        let Some(pending) = &self.reconnecting else {
            return false;
        };
        pending
            .seen
            .iter()
            .filter(|(ex, _)| pending.exchange.is_none_or(|p| p == *ex))
            .all(|(ex, before)| {
                snapshot.feed(*ex).is_none_or(|f| {
                    let moved = match (f.history.back(), before) {
                        (Some(now), Some(then)) => !Arc::ptr_eq(now, then),
                        (now, then) => now.is_some() != then.is_some(),
                    };
                    moved
                        && !matches!(
                            f.status,
                            FeedStatus::Connecting | FeedStatus::Reconnecting { .. }
                        )
                })
            })
    }

    fn remove(&mut self, snapshot: &Snapshot) {
        let Some(row) = self.view.selected_row(snapshot) else {
            self.view.status = Some(Status::Error("no row selected".to_string()));
            return;
        };
        let k = key(row);
        match self.drop_symbol(&k) {
            Ok(()) => {
                self.push_undo(Edit::Dropped(k.clone()));
                self.finish(format!("dropped {}:{} (u undoes)", k.0, k.1), snapshot);
            }
            Err(e) => self.view.status = Some(Status::Error(e)),
        }
    }

    fn submit(&mut self, snapshot: &Snapshot) {
        let Mode::Adding(prompt) = &mut self.view.mode else {
            return;
        };
        let input = prompt.input.trim().to_string();
        if input.is_empty() {
            prompt.error = Some("type a symbol, e.g. ETH/USD or binance:BTC/USDT".to_string());
            return;
        }
        let found = match self.feeds.resolve(&input) {
            Ok(found) => found,
            Err(e) => {
                prompt.error = Some(e.to_string());
                return;
            }
        };
        let is_new = |k: &RowKey| {
            let listed = snapshot.rows.iter().any(|r| {
                key(r) == *k
                    && !matches!(r.state, RowState::Invalid(_))
                    && !self.removed.contains(k)
            });
            !listed && !self.added.contains(k)
        };
        let fresh: Vec<RowKey> = found.iter().filter(|k| is_new(k)).cloned().collect();
        if fresh.is_empty() {
            let sym = &found[0].1;
            prompt.error = Some(format!("{sym} is already on the {} list", venues(&found)));
            return;
        }
        let mut added = Vec::new();
        for k in &fresh {
            match self.add_symbol(k) {
                Ok(()) => added.push(k.clone()),
                Err(e) => {
                    if let Mode::Adding(prompt) = &mut self.view.mode {
                        prompt.error = Some(e);
                    }
                    if added.is_empty() {
                        return;
                    }
                }
            }
        }
        self.view.mode = Mode::Normal;
        self.view.selected = Some(added[0].clone());
        let done = format!("added {} on {}", added[0].1, venues(&added));
        self.push_undo(Edit::Added(added));
        self.finish(done, snapshot);
    }

    /// Take back the last add or drop.
    fn undo(&mut self, snapshot: &Snapshot) {
        let Some(edit) = self.undo.pop() else {
            self.view.status = Some(Status::Info("nothing to undo".to_string()));
            return;
        };
        let result = match &edit {
            Edit::Added(keys) => keys.iter().try_for_each(|k| self.drop_symbol(k)),
            Edit::Dropped(k) => self.add_symbol(k),
        };
        match result {
            Ok(()) => {
                let done = match &edit {
                    Edit::Added(keys) => {
                        format!("undone: removed {} from {}", keys[0].1, venues(keys))
                    }
                    Edit::Dropped(k) => {
                        self.view.selected = Some(k.clone());
                        format!("undone: {}:{} is back", k.0, k.1)
                    }
                };
                self.finish(done, snapshot);
            }
            Err(e) => {
                self.undo.push(edit);
                self.view.status = Some(Status::Error(e));
            }
        }
    }

    fn add_symbol(&mut self, k: &RowKey) -> Result<(), String> {
        self.feeds
            .send(k.0, Command::Add(k.1.clone()))
            .map_err(|e| e.to_string())?;
        tracing::info!(exchange = %k.0, symbol = %k.1, "symbol added");
        self.removed.retain(|r| r != k);
        if !self.added.contains(k) {
            self.added.push(k.clone());
        }
        Ok(())
    }

    fn drop_symbol(&mut self, k: &RowKey) -> Result<(), String> {
        self.feeds
            .send(k.0, Command::Remove(k.1.clone()))
            .map_err(|e| e.to_string())?;
        tracing::info!(exchange = %k.0, symbol = %k.1, "symbol dropped");
        self.added.retain(|a| a != k);
        if !self.removed.contains(k) {
            self.removed.push(k.clone());
        }
        Ok(())
    }

    fn push_undo(&mut self, edit: Edit) {
        if self.undo.len() == UNDO_DEPTH {
            self.undo.remove(0);
        }
        self.undo.push(edit);
    }

    /// After an edit: save the watchlist where that is wanted, and say how it went.
    fn finish(&mut self, done: String, snapshot: &Snapshot) {
        let list = self.watchlist(snapshot);
        self.view.status = Some(self.saved(done, &list));
    }

    /// The config's `symbols`: the rows in the store in their order, plus those added and
    /// less those dropped here (the feed makes or drops the row a moment later, and a save
    /// in between must not undo either). Plain `BASE/QUOTE` with one feed running,
    /// `venue:BASE/QUOTE` with several (a plain name means every venue).
    pub fn watchlist(&self, snapshot: &Snapshot) -> Vec<String> {
        let several = self.feeds.handles().len() > 1;
        let rows = snapshot
            .rows
            .iter()
            .map(key)
            .chain(self.added.iter().cloned())
            .filter(|k| !self.removed.contains(k));
        let mut out: Vec<String> = Vec::new();
        for (ex, sym) in rows {
            let s = if several {
                format!("{ex}:{sym}")
            } else {
                sym.to_string()
            };
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }

    /// Save `list` when a config file is in use and this run may change it; the status
    /// says how it went, and the log has every save and every failure in full.
    fn saved(&self, done: String, list: &[String]) -> Status {
        let Some(path) = &self.config_path else {
            return Status::Info(done);
        };
        if let Some(why) = &self.not_saved {
            return Status::Info(format!("{done} · not saved: {why}"));
        }
        match config::save_watchlist(path, list) {
            Ok(()) => {
                tracing::info!(path = %path.display(), symbols = list.len(), "watchlist saved");
                Status::Info(format!("{done} · watchlist saved to {}", path.display()))
            }
            Err(e) => {
                tracing::error!(error = %e, "watchlist not saved");
                Status::Error(format!("{done}, but the watchlist was not saved: {e}"))
            }
        }
    }
}

/// The status line for the config file's unknown keys: the first in full, and how many
/// more (stderr and the log list every one).
fn config_warning(warnings: &[config::ConfigWarning]) -> Option<Status> {
    let first = warnings.first()?;
    let more = match warnings.len() - 1 {
        0 => String::new(),
        n => format!(" · {} in the log", plural(n, "more unknown key")),
    };
    Some(Status::Warning(format!("config {first}{more}")))
}

fn plural(n: usize, what: &str) -> String {
    pricewire_core::model::plural(u64::try_from(n).unwrap_or(u64::MAX), what)
}

/// `kraken` or `kraken, binance`.
fn venues(keys: &[RowKey]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for (ex, _) in keys {
        if !names.contains(&ex.as_str()) {
            names.push(ex.as_str());
        }
    }
    names.join(", ")
}
