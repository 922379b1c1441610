//! [`App`]: the view state plus what an action needs (the watchlist, which tells the
//! feeds; the feeds, for reconnects; the config writer's reports), and [`App::apply`],
//! which carries out one [`Action`]. Watchlist edits and how their saving went are
//! `edits.rs`. Commands go to feeds over their channels; it never writes to the store
//! (feeds do) and never draws.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::keys::Action;
use super::rates::RateMeter;
use super::title::WindowTitle;
use crate::config::{self, Config, ConfigWriter, Written};
use crate::view::model::{Table, clamp_scroll};
use crate::view::state::{HistoryPane, Mode, Prompt, RowKey, Sort, Status, ViewState};
use pricewire_core::Watchlist;
use pricewire_core::feed::command::Command;
use pricewire_core::model::{ExchangeId, FeedStatus, Transition};
use pricewire_core::store::Snapshot;
use pricewire_core::symbol::Instrument;

/// Whether the loop goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// An edit of the watchlist that `u` can take back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Edit {
    /// One symbol added on these venues.
    Added(Vec<RowKey>),
    /// One row dropped, with the market as it was resolved (to add it back as it was).
    Dropped(RowKey, Option<Instrument>),
}

/// Where saved edits go, while this run saves them.
#[derive(Debug)]
pub(super) struct Saving {
    pub(super) writer: ConfigWriter,
    pub(super) reports: Option<mpsc::UnboundedReceiver<Written>>,
    pub(super) task: Option<JoinHandle<()>>,
    /// The newest edit not yet reported written, and what the status line said of it.
    pub(super) pending: Option<(u64, String)>,
}

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
    pub(super) watchlist: Watchlist,
    pub(super) saving: Option<Saving>,
    /// Why edits are not saved although a config file is in use.
    pub(super) not_saved: Option<String>,
    meter: RateMeter,
    /// Display order when last drawn, to keep the selection in place when a row goes.
    order: Vec<RowKey>,
    pub(super) undo: Vec<Edit>,
    reconnecting: Option<PendingReconnect>,
    title: Option<WindowTitle>,
}

impl App {
    /// The dashboard over `watchlist` (or just feeds: an empty one). `config_path`: where
    /// added and dropped symbols are saved (`None`: nowhere), by a config writer task
    /// started here (so, with a path, on a tokio runtime).
    pub fn new(
        watchlist: impl Into<Watchlist>,
        config: &Config,
        config_path: Option<PathBuf>,
    ) -> Self {
        let view = ViewState {
            history: if config.ui.history_pane {
                HistoryPane::Shown
            } else {
                HistoryPane::Hidden
            },
            sort: Sort::from_config(&config.ui.sort),
            stale_after: config::secs(config.ui.stale_secs),
            // Shown once, at start: the next action's outcome replaces it.
            status: super::edits::config_warning(&config.warnings),
            ..ViewState::default()
        };
        let mut app = App {
            view,
            watchlist: watchlist.into(),
            saving: None,
            not_saved: None,
            meter: RateMeter::default(),
            order: Vec::new(),
            undo: Vec::new(),
            reconnecting: None,
            title: None,
        };
        if let Some(path) = config_path {
            app.save_to(path);
        }
        app
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
        self.watchlist.stop_saving();
        self.saving = None;
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
            Action::Undo => self.undo(),
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
            Action::OpenDetails => {
                // The selected row's venue; with none selected, the first venue's.
                let venue = self
                    .view
                    .selected_row(snapshot)
                    .map(|r| r.exchange)
                    .or_else(|| snapshot.feeds.first().map(|f| f.exchange));
                if let Some(ex) = venue {
                    self.view.mode = Mode::Details(ex);
                }
            }
            Action::CloseHelp | Action::Cancel => self.view.mode = Mode::Normal,
            Action::Type(c) => self.edit(|p| p.input.push(c)),
            Action::Backspace => self.edit(|p| {
                p.input.pop();
            }),
            Action::ClearInput => self.edit(|p| p.input.clear()),
            Action::Submit => self.submit(),
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
        let feeds = self.watchlist.feeds();
        let status = if let Some(ex) = target {
            match feeds.send(ex, Command::Reconnect) {
                Ok(()) => Status::Info(format!("reconnecting {ex}…")),
                Err(e) => Status::Error(e.to_string()),
            }
        } else {
            feeds.broadcast(&Command::Reconnect);
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
}
