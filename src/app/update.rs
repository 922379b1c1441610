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

use super::charts::Charts;
use super::keys::Action;
use super::rates::RateMeter;
use super::title::WindowTitle;
use crate::config::{self, Config, ConfigWriter, Written};
use crate::view::columns::Column;
use crate::view::model::{Table, clamp_scroll};
use crate::view::state::{
    ChartStyle, ChartView, HistoryPane, HoldingsView, Mode, Prompt, ReplayEnd, ReplayView, RowKey,
    Sort, Status, ViewState,
};
use pricewire_core::Watchlist;
use pricewire_core::candle::ChartWindow;
use pricewire_core::feed::command::Command;
use pricewire_core::model::{ExchangeId, FeedStatus, Transition};
use pricewire_core::store::Snapshot;
use pricewire_core::symbol::Instrument;

use crate::watchlist::Lists;

/// Whether the loop goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
    /// Stop the process until the shell resumes it (the loop does it: it owns the terminal).
    Suspend,
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
    /// Candles for the chart pane and the trends' first minutes.
    pub(super) charts: Charts,
    /// The config's named watchlists and which one is shown.
    pub(super) lists: Lists,
    /// Stops the process for Ctrl-Z and takes the terminal back after (set where there is
    /// a real terminal to give back).
    suspender: Option<Suspender>,
    /// Where `now` comes from: the wall clock, or a replay's recorded time.
    clock: Option<ScreenClock>,
    /// The alert task's rules and what fires (`None`: alerts are not watched).
    pub(super) alerts: Option<super::alerts::Alerts>,
    /// The history file: symbol edits, reconnects and failed saves go into it.
    pub(super) history: Option<HistoryFile>,
    /// A replay's end, once it comes.
    replay_end: Option<tokio::sync::watch::Receiver<Option<ReplayEnd>>>,
}

/// The history file, as the app keeps it.
pub(super) struct HistoryFile(crate::history::HistoryLog);

impl std::fmt::Debug for HistoryFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HistoryFile")
    }
}

/// The clock a replay gives the screen.
struct ScreenClock(pricewire_core::feed::Clock);

impl std::fmt::Debug for ScreenClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScreenClock")
    }
}

/// What Ctrl-Z runs.
struct Suspender(Box<dyn FnMut() -> std::io::Result<()> + Send>);

impl std::fmt::Debug for Suspender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Suspender")
    }
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
            sort: Sort::from_config(&config.ui.sort, config.ui.grouping.as_deref()),
            stale_after: config::secs(config.ui.stale_secs),
            columns: config
                .ui
                .columns
                .as_ref()
                .and_then(|c| Column::list(c).ok())
                .unwrap_or_else(|| Column::ALL.to_vec()),
            holdings: Arc::new(config.holdings.clone()),
            keymap: Arc::new(config.keymap.clone()),
            holdings_view: HoldingsView {
                shown: !config.holdings.is_empty(),
                hide_amounts: false,
            },
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
            charts: Charts::default(),
            suspender: None,
            clock: None,
            alerts: None,
            history: None,
            replay_end: None,
            lists: Lists::new(
                std::iter::once((
                    crate::config::DEFAULT_WATCHLIST.to_string(),
                    config.symbols.clone(),
                ))
                .chain(
                    config
                        .watchlists
                        .iter()
                        .map(|(n, l)| (n.clone(), l.symbols.clone())),
                )
                .collect(),
                0,
            ),
        };
        if let Some(path) = config_path {
            app.save_to(path);
        }
        app
    }

    /// Ctrl-Z runs `stop` (give the terminal back, stop, take it back when resumed).
    pub fn set_suspender(&mut self, stop: impl FnMut() -> std::io::Result<()> + Send + 'static) {
        self.suspender = Some(Suspender(Box::new(stop)));
    }

    /// Ctrl-Z: stop until resumed. Whether the screen must be drawn again from scratch
    /// (`false`: nothing stopped, as when no real terminal is in use).
    pub fn suspend(&mut self) -> std::io::Result<bool> {
        if let Some(s) = &mut self.suspender {
            return (s.0)().map(|()| true);
        }
        self.view.status = Some(Status::Info(
            "Ctrl-Z stops the dashboard only in a terminal".to_string(),
        ));
        Ok(false)
    }

    /// Carry out a mouse click (already hit-tested) against the rows shown.
    pub fn click(&mut self, click: super::mouse::Click, snapshot: &Snapshot) {
        use super::mouse::Click;
        match click {
            Click::None => {}
            Click::SelectRow(k) => {
                self.view.selected = Some(k);
                self.follow_selection();
            }
            Click::Move(delta) => {
                let _ = self.apply(Action::Select(delta), snapshot);
            }
            Click::History(delta) => {
                let _ = self.apply(Action::ScrollHistory(delta), snapshot);
            }
            Click::ToggleHistory => {
                let _ = self.apply(Action::ToggleHistory, snapshot);
            }
            Click::CloseChart => self.view.chart = None,
        }
    }

    /// Fetch each row's hour of candles when it first has a price: its trend is whole
    /// from the start, and its chart opens at once.
    #[must_use]
    pub fn with_history_at_start(mut self) -> Self {
        self.charts.prefill_at_start();
        self
    }

    /// The named watchlists to switch between, the one shown among them (set before
    /// saving starts: edits are kept in the shown one).
    #[must_use]
    pub fn with_lists(mut self, lists: Lists) -> Self {
        self.view.watchlist = lists.active();
        self.lists = lists;
        if let Some(saving) = &self.saving {
            let several = self.watchlist.feeds().handles().len() > 1;
            let file = crate::watchlist::ConfigFile::new(
                saving.writer.clone(),
                several,
                self.lists.clone(),
            );
            self.watchlist.set_store(file);
        }
        self
    }

    /// Show a replay: `clock` (the recorded time) is the screen's `now`, the header says
    /// REPLAY and the file, and `ended` brings how the replay ended. Nothing is saved.
    #[must_use]
    pub fn replaying(
        mut self,
        view: ReplayView,
        clock: pricewire_core::feed::Clock,
        ended: tokio::sync::watch::Receiver<Option<ReplayEnd>>,
    ) -> Self {
        self.view.replay = Some(view);
        self.clock = Some(ScreenClock(clock));
        self.replay_end = Some(ended);
        self
    }

    /// Append symbol edits, manual reconnects and failed saves to `log`; the history pane
    /// starts with `earlier`, the previous run's last entries, marked as earlier.
    #[must_use]
    pub fn with_history(
        mut self,
        log: crate::history::HistoryLog,
        earlier: &[crate::history::Entry],
    ) -> Self {
        self.view
            .notes
            .extend(earlier.iter().map(|e| crate::view::state::Note {
                at: e.ts,
                exchange: e.exchange.as_deref().and_then(|x| x.parse().ok()),
                text: pricewire_core::sanitize::clean(&format!(
                    "{}{} ({})",
                    e.what(),
                    e.text,
                    e.tag.name()
                )),
                kind: crate::view::state::NoteKind::Earlier,
            }));
        self.history = Some(HistoryFile(log));
        self
    }

    /// Append to the history file, when one is kept.
    pub(super) fn log(
        &self,
        kind: &str,
        exchange: Option<ExchangeId>,
        symbol: Option<&str>,
        text: &str,
    ) {
        if let Some(h) = &self.history {
            h.0.log(kind, exchange.map(ExchangeId::as_str), symbol, text);
        }
    }

    /// The screen's `now`: the wall clock's, or during a replay the recorded time.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.as_ref().map_or_else(Utc::now, |c| (c.0)())
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
        // Commands a switch of watchlist could not queue yet go now.
        self.watchlist.flush();
        let table = Table::new(snapshot, &self.view);
        let chart = self.view.chart.as_ref().map(|c| (&c.row, c.window));
        self.charts.sync(self.watchlist.feeds(), snapshot, chart);
        self.view.repair_selection(&self.order, &table.order);
        self.sync_alerts();
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
        self.check_replay();
    }

    /// Take in a replay's end, if it has come.
    pub fn check_replay(&mut self) {
        let Some(rx) = &mut self.replay_end else {
            return;
        };
        // The player drops its sender once it has sent the end: read what it left.
        let closed = rx.has_changed().is_err();
        if closed || rx.has_changed().unwrap_or(false) {
            let end = rx.borrow_and_update().clone();
            if let Some(view) = &mut self.view.replay {
                view.ended = end;
            }
        }
        if closed {
            self.replay_end = None;
        }
    }

    /// Carry out `action` against the state shown in `snapshot`.
    pub fn apply(&mut self, action: Action, snapshot: &Snapshot) -> Flow {
        if action == Action::Ignore {
            return Flow::Continue;
        }
        if let Mode::AlertList(_) = self.view.mode {
            match action {
                Action::Quit => return Flow::Quit,
                Action::Select(delta) => self.pick_alert(delta),
                Action::RemoveSelected => self.delete_alert(),
                Action::CloseHelp | Action::Cancel => self.view.mode = Mode::Normal,
                _ => {}
            }
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
                let table = Table::new(snapshot, &self.view);
                self.view.move_selection(&table.order, delta);
                self.follow_selection();
            }
            Action::CycleSort => {
                let shown = self.shown_columns();
                self.view.sort = self.view.sort.next_in(&shown);
            }
            Action::ReverseSort => self.view.sort = self.view.sort.reverse(),
            Action::CycleGrouping => self.view.sort = self.view.sort.regroup(),
            Action::ToggleChart => self.toggle_chart(snapshot),
            Action::ChartWindow => self.chart_window(),
            Action::ChartStyle => {
                if let Some(c) = &mut self.view.chart {
                    c.style = match c.style {
                        ChartStyle::Candles => ChartStyle::Line,
                        ChartStyle::Line => ChartStyle::Candles,
                    };
                } else {
                    self.view.status = Some(Status::Info(format!(
                        "no chart open · {} opens one",
                        self.view.keymap.shown(crate::keymap::Cmd::Chart)
                    )));
                }
            }
            Action::ToggleHoldings => self.toggle_holdings(),
            Action::HideAmounts => {
                let h = &mut self.view.holdings_view;
                h.hide_amounts = !h.hide_amounts;
                self.view.status = Some(Status::Info(
                    if h.hide_amounts {
                        "amounts, values and P&L hidden (P&L % still shown)"
                    } else {
                        "amounts shown"
                    }
                    .to_string(),
                ));
            }
            Action::OpenFilter => self.view.mode = Mode::Filtering,
            Action::NextWatchlist => self.next_watchlist(),
            Action::Suspend => return Flow::Suspend,
            Action::ToggleHistory => {
                self.view.history = match self.view.history {
                    HistoryPane::Shown => HistoryPane::Hidden,
                    HistoryPane::Hidden => HistoryPane::Shown,
                };
            }
            Action::ScrollHistory(delta) => self.pick_history(snapshot, delta, false),
            Action::PageHistory(pages) => self.pick_history(snapshot, pages, true),
            Action::Back => self.back(),
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
            Action::OpenAlert => self.open_alert(snapshot),
            Action::OpenAlertList => {
                self.sync_alerts();
                self.view.mode = Mode::AlertList(0);
            }
            Action::CloseHelp => self.view.mode = Mode::Normal,
            Action::Cancel => {
                if self.view.mode == Mode::Filtering {
                    self.view.filter.clear();
                }
                self.view.mode = Mode::Normal;
            }
            Action::Type(c) => self.edit(|p| p.push(c)),
            Action::Backspace => self.edit(|p| {
                p.pop();
            }),
            Action::ClearInput => self.edit(String::clear),
            Action::Submit if self.view.mode == Mode::Filtering => {
                self.view.mode = Mode::Normal;
            }
            Action::Submit if matches!(self.view.mode, Mode::Alerting(_)) => self.submit_alert(),
            Action::Submit => self.submit(),
        }
        Flow::Continue
    }

    /// Edit the text being typed: the add prompt's, or the filter (which narrows the rows
    /// as it is typed).
    fn edit(&mut self, f: impl FnOnce(&mut String)) {
        match &mut self.view.mode {
            Mode::Adding(p) | Mode::Alerting(p) => {
                f(&mut p.input);
                p.error = None;
            }
            Mode::Filtering => f(&mut self.view.filter),
            Mode::Normal | Mode::Help | Mode::Details(_) | Mode::AlertList(_) => {}
        }
    }

    /// Esc: close the topmost thing open (a picked history line, the chart, the filter);
    /// with nothing open, say how to quit.
    fn back(&mut self) {
        if self.view.history_cursor.take().is_some() {
            return;
        }
        if self.view.chart.take().is_some() {
            return;
        }
        if !self.view.filter.is_empty() {
            self.view.filter.clear();
            return;
        }
        self.view.status = Some(Status::Info(format!(
            "nothing to close · {} or Ctrl-C quits",
            self.view.keymap.shown(crate::keymap::Cmd::Quit)
        )));
    }

    /// Show the next named watchlist: its markets replace the ones watched now.
    fn next_watchlist(&mut self) {
        let Some((name, entries)) = self.lists.next() else {
            self.view.status = Some(Status::Info(
                "one watchlist only: add [watchlists.NAME] with symbols to the config file"
                    .to_string(),
            ));
            return;
        };
        let venues: Vec<ExchangeId> = self
            .watchlist
            .feeds()
            .handles()
            .iter()
            .map(|h| h.exchange)
            .collect();
        let (per, skipped) = crate::watchlist::per_venue(&entries, &venues);
        let typed: Vec<(ExchangeId, String)> = per
            .into_iter()
            .flat_map(|(venue, list)| {
                // An empty default list watches each venue's own two markets, as at start.
                let list = if list.is_empty() && entries.is_empty() {
                    config::default_watchlist(venue)
                        .iter()
                        .map(ToString::to_string)
                        .collect()
                } else {
                    list
                };
                list.into_iter().map(move |s| (venue, s))
            })
            .collect();
        let count = typed.len();
        let refused = self.watchlist.replace(typed);
        // An undo reaching into another list would edit the wrong one.
        self.undo.clear();
        self.view.watchlist.clone_from(&name);
        let mut text = format!(
            "watchlist {name}: {}",
            pricewire_core::model::plural(u64::try_from(count).unwrap_or(0), "market")
        );
        for why in refused.iter().chain(&skipped) {
            text.push_str(" · skipped ");
            text.push_str(why);
        }
        self.view.status = Some(if refused.is_empty() && skipped.is_empty() {
            Status::Info(text)
        } else {
            Status::Warning(text)
        });
    }

    /// The columns the table can show now: the configured ones, the holdings columns only
    /// while shown.
    pub fn shown_columns(&self) -> Vec<Column> {
        self.view
            .columns
            .iter()
            .copied()
            .filter(|c| !c.is_holding() || self.view.holdings_view.shown)
            .collect()
    }

    fn toggle_holdings(&mut self) {
        if self.view.holdings.is_empty() {
            self.view.status = Some(Status::Info(
                "no holdings: add [[holdings]] to the config file (see config.example.toml)"
                    .to_string(),
            ));
            return;
        }
        let h = &mut self.view.holdings_view;
        h.shown = !h.shown;
        if !h.shown && self.view.sort.column.is_holding() {
            self.view.sort = Sort::default();
        }
    }

    /// Open the selected row's chart, or close the chart when it is that row's.
    fn toggle_chart(&mut self, snapshot: &Snapshot) {
        let Some(row) = self.view.selected_row(snapshot) else {
            self.view.status = Some(Status::Error("no row selected".to_string()));
            return;
        };
        let key = (row.exchange, row.symbol.clone());
        if self.view.chart.as_ref().is_some_and(|c| c.row == key) {
            self.view.chart = None;
            return;
        }
        let (window, style) = self
            .view
            .chart
            .as_ref()
            .map_or((ChartWindow::default(), ChartStyle::default()), |c| {
                (c.window, c.style)
            });
        self.charts.open(self.watchlist.feeds(), &key, window);
        self.view.chart = Some(ChartView {
            row: key,
            window,
            style,
        });
    }

    fn chart_window(&mut self) {
        let Some(chart) = &mut self.view.chart else {
            self.view.status = Some(Status::Info(format!(
                "no chart open · {} opens one",
                self.view.keymap.shown(crate::keymap::Cmd::Chart)
            )));
            return;
        };
        chart.window = chart.window.next();
        let (key, window) = (chart.row.clone(), chart.window);
        self.charts.open(self.watchlist.feeds(), &key, window);
    }

    /// An open chart follows the selection.
    fn follow_selection(&mut self) {
        let (Some(chart), Some(selected)) = (&mut self.view.chart, &self.view.selected) else {
            return;
        };
        if chart.row != *selected {
            chart.row = selected.clone();
            let (key, window) = (chart.row.clone(), chart.window);
            self.charts.open(self.watchlist.feeds(), &key, window);
        }
    }

    /// The chart pane's candles, as far as they have come.
    pub fn chart_data(&self) -> Option<&crate::view::state::ChartData> {
        let c = self.view.chart.as_ref()?;
        self.charts.data(&c.row, c.window)
    }

    /// A candle fetch finished.
    pub fn on_fetched(&mut self, fetched: super::charts::Fetched) {
        self.charts.on_fetched(self.watchlist.feeds(), fetched);
    }

    /// The channel candle fetches report on, for the loop to wait on.
    pub fn take_fetches(
        &mut self,
    ) -> Option<tokio::sync::mpsc::UnboundedReceiver<super::charts::Fetched>> {
        self.charts.take_results()
    }

    /// Hand it back when the loop ends.
    pub fn give_back_fetches(
        &mut self,
        rx: Option<tokio::sync::mpsc::UnboundedReceiver<super::charts::Fetched>>,
    ) {
        self.charts.give_back_results(rx);
    }

    /// Move the picked history entry by `delta` lines, or `delta` pages of the pane's
    /// height; the pane scrolls to keep it in view (a page moves the view with it).
    fn pick_history(&mut self, snapshot: &Snapshot, delta: isize, page: bool) {
        let total: usize = snapshot
            .feeds
            .iter()
            .map(|f| f.history.len())
            .sum::<usize>()
            + self.view.notes.len();
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
        let asked = target.map_or_else(|| "every feed".to_string(), |e| e.to_string());
        self.log(
            "reconnect",
            target,
            None,
            &format!("reconnect of {asked} asked from the keyboard"),
        );
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
