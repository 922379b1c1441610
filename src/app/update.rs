//! [`App`]: the view state plus the handles an action needs (feeds, the config path), and
//! [`App::apply`], which carries out one [`Action`]. Commands go to feeds over their
//! channels; it never writes to the store (feeds do) and never draws.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::keys::Action;
use super::state::{
    HistoryPane, Mode, Prompt, RateMeter, RowKey, SortKey, Status, ViewState, key, ordered,
};
use crate::config::{self, Config};
use crate::feed::command::{Command, Feeds};
use crate::store::{RowState, Snapshot};

/// Whether the loop goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// See the module docs.
#[derive(Debug)]
pub struct App {
    pub view: ViewState,
    feeds: Feeds,
    config_path: Option<PathBuf>,
    meter: RateMeter,
    /// Display order when last drawn, to keep the selection in place when a row goes.
    order: Vec<RowKey>,
    /// Symbols added and dropped here: the feed makes or drops the row a moment later.
    added: Vec<RowKey>,
    removed: Vec<RowKey>,
}

impl App {
    pub fn new(feeds: Feeds, config: &Config, config_path: Option<PathBuf>) -> Self {
        let view = ViewState {
            history: if config.ui.history_pane {
                HistoryPane::Shown
            } else {
                HistoryPane::Hidden
            },
            sort: SortKey::from_config(&config.ui.sort),
            stale_after: config::secs(config.ui.stale_secs),
            ..ViewState::default()
        };
        App {
            view,
            feeds,
            config_path,
            meter: RateMeter::default(),
            order: Vec::new(),
            added: Vec::new(),
            removed: Vec::new(),
        }
    }

    /// Before drawing `snapshot`: keep the selection on an existing row.
    pub fn sync(&mut self, snapshot: &Snapshot) {
        self.view.repair_selection(&self.order, snapshot);
        self.order = ordered(snapshot, self.view.sort)
            .into_iter()
            .map(key)
            .collect();
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
        }
        match action {
            Action::Ignore => {}
            Action::Quit => return Flow::Quit,
            Action::ReconnectSelected => self.reconnect(snapshot, false),
            Action::ReconnectAll => self.reconnect(snapshot, true),
            Action::OpenAdd => self.view.mode = Mode::Adding(Prompt::default()),
            Action::RemoveSelected => self.remove(snapshot),
            Action::Select(delta) => self.view.move_selection(snapshot, delta),
            Action::CycleSort => self.view.sort = self.view.sort.next(),
            Action::ToggleHistory => {
                self.view.history = match self.view.history {
                    HistoryPane::Shown => HistoryPane::Hidden,
                    HistoryPane::Hidden => HistoryPane::Shown,
                };
            }
            Action::ScrollHistory(delta) => {
                let total: usize = snapshot.feeds.iter().map(|f| f.history.len()).sum();
                let last_page = total.saturating_sub(self.view.history_rows.max(1));
                self.view.history_scroll = self
                    .view
                    .history_scroll
                    .min(last_page)
                    .saturating_add_signed(delta)
                    .min(last_page);
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
        self.view.status = Some(status);
    }

    fn remove(&mut self, snapshot: &Snapshot) {
        let Some(row) = self.view.selected_row(snapshot) else {
            self.view.status = Some(Status::Error("no row selected".to_string()));
            return;
        };
        let (ex, sym) = key(row);
        if let Err(e) = self.feeds.send(ex, Command::Remove(sym.clone())) {
            self.view.status = Some(Status::Error(e.to_string()));
            return;
        }
        let k = (ex, sym.clone());
        self.added.retain(|a| *a != k);
        self.removed.push(k);
        let list = self.watchlist(snapshot);
        self.view.status = Some(self.saved(format!("dropped {ex}:{sym}"), &list));
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
        let (ex, sym) = match self.feeds.resolve(&input) {
            Ok(found) => found,
            Err(e) => {
                prompt.error = Some(e.to_string());
                return;
            }
        };
        let k = (ex, sym.clone());
        let listed = snapshot.rows.iter().any(|r| {
            key(r) == k && !matches!(r.state, RowState::Invalid(_)) && !self.removed.contains(&k)
        });
        if listed || self.added.contains(&k) {
            prompt.error = Some(format!("{sym} is already on the {ex} list"));
            return;
        }
        if let Err(e) = self.feeds.send(ex, Command::Add(sym.clone())) {
            prompt.error = Some(e.to_string());
            return;
        }
        self.view.mode = Mode::Normal;
        self.view.selected = Some(k.clone());
        self.removed.retain(|r| *r != k);
        self.added.push(k);
        let list = self.watchlist(snapshot);
        self.view.status = Some(self.saved(format!("added {ex}:{sym}"), &list));
    }

    /// The config's `symbols`: the rows in the store in their order, plus those added and
    /// less those dropped here (the feed makes or drops the row a moment later, and a save
    /// in between must not undo either). Plain `BASE/QUOTE` with one feed running,
    /// `venue:BASE/QUOTE` with several (a plain name means the first feed).
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

    /// Save `list` when a config file is in use; the status says how it went.
    fn saved(&self, done: String, list: &[String]) -> Status {
        match &self.config_path {
            None => Status::Info(done),
            Some(path) => match config::save_watchlist(path, list) {
                Ok(()) => Status::Info(format!("{done} · watchlist saved to {}", path.display())),
                Err(e) => Status::Error(format!("{done}, but the watchlist was not saved: {e}")),
            },
        }
    }
}
