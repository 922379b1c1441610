//! Watchlist edits from the keys (add, drop, undo) and what the status line says of them.
//! The engine's [`Watchlist`](pricewire_core::Watchlist) tells the feeds and hands the new
//! list to the config writer task; the writer's reports come back here
//! ([`App::on_written`]), so a failed save is shown on the screen. Nothing here waits on
//! the disk.

use std::path::PathBuf;

use super::update::{App, Edit, Saving};
use crate::config::{ConfigWarning, ConfigWriter, Written};
use crate::view::state::{Mode, RowKey, Status, key};
use crate::watchlist::ConfigFile;
use pricewire_core::model::ExchangeId;
use pricewire_core::store::Snapshot;
use pricewire_core::symbol::Instrument;

/// Edits kept for undo.
const UNDO_DEPTH: usize = 50;

impl App {
    /// Save every edit to `path` from now on, through a config writer task started here.
    pub(super) fn save_to(&mut self, path: PathBuf) {
        let (writer, reports, task) = ConfigWriter::spawn(path);
        let several = self.watchlist.feeds().handles().len() > 1;
        self.watchlist
            .set_store(ConfigFile::new(writer.clone(), several, self.lists.clone()));
        self.saving = Some(Saving {
            writer,
            reports: Some(reports),
            task: Some(task),
            pending: None,
        });
    }

    /// The writer's reports, for the loop to wait on (given back with
    /// [`App::give_back_reports`]).
    pub fn take_reports(&mut self) -> Option<tokio::sync::mpsc::UnboundedReceiver<Written>> {
        self.saving.as_mut()?.reports.take()
    }

    /// Hand the reports back when the loop ends.
    pub fn give_back_reports(
        &mut self,
        reports: Option<tokio::sync::mpsc::UnboundedReceiver<Written>>,
    ) {
        if let Some(saving) = &mut self.saving {
            saving.reports = reports;
        }
    }

    /// The writer task, to await once the app is gone so that every queued edit is
    /// written before the program ends.
    pub fn take_writer_task(&mut self) -> Option<tokio::task::JoinHandle<()>> {
        self.saving.as_mut()?.task.take()
    }

    /// A write finished: say how it went. A failure is always shown; a success once it
    /// covers the newest edit (an older write's success would be stale news).
    pub fn on_written(&mut self, written: &Written) {
        if self.saving.is_none() {
            return;
        }
        let what = written.kinds.join(" and ");
        let covers = |pending: &Option<(u64, String)>| {
            pending.as_ref().is_some_and(|(t, _)| written.upto >= *t)
        };
        // A failed save goes into the history file too.
        if let Err(e) = &written.result {
            let text = format!("the {what} was not saved: {e}");
            self.log("save_failed", None, None, &text);
        }
        let Some(saving) = &mut self.saving else {
            return;
        };
        let done = saving.pending.as_ref().map_or("", |(_, d)| d.as_str());
        let status = match &written.result {
            Err(e) if done.is_empty() => Status::Error(format!("the {what} was not saved: {e}")),
            Err(e) => Status::Error(format!("{done}, but the {what} was not saved: {e}")),
            Ok(()) if covers(&saving.pending) => Status::Info(format!(
                "{done} · {what} saved to {}",
                saving.writer.path().display()
            )),
            Ok(()) => return,
        };
        if covers(&saving.pending) {
            saving.pending = None;
        }
        self.view.status = Some(status);
    }

    /// Wait until the writer has reported on every edit made so far.
    pub async fn settle(&mut self) {
        loop {
            let Some(saving) = &mut self.saving else {
                return;
            };
            if saving.pending.is_none() {
                return;
            }
            let Some(reports) = &mut saving.reports else {
                return;
            };
            match reports.recv().await {
                Some(w) => self.on_written(&w),
                None => return,
            }
        }
    }

    pub(super) fn remove(&mut self, snapshot: &Snapshot) {
        let Some(row) = self.view.selected_row(snapshot) else {
            self.view.status = Some(Status::Error("no row selected".to_string()));
            return;
        };
        let k = key(row);
        match self.watchlist.remove(k.0, &k.1) {
            Ok(market) => {
                self.log(
                    "drop",
                    Some(k.0),
                    Some(k.1.as_str()),
                    "dropped from the watchlist",
                );
                self.push_undo(Edit::Dropped(k.clone(), market));
                self.finish(format!("dropped {}:{} (u undoes)", k.0, k.1));
            }
            Err(e) => self.view.status = Some(Status::Error(e.to_string())),
        }
    }

    pub(super) fn submit(&mut self) {
        let Mode::Adding(prompt) = &mut self.view.mode else {
            return;
        };
        let input = prompt.input.trim().to_string();
        if input.is_empty() {
            prompt.error = Some("type a symbol, e.g. ETH/USD or binance:BTC/USDT".to_string());
            return;
        }
        // Resolved once, here; the feeds are handed the markets found.
        let found = match self.watchlist.resolve(&input) {
            Ok(found) => found,
            Err(e) => {
                prompt.error = Some(e.to_string());
                return;
            }
        };
        let mut fresh: Vec<(ExchangeId, Instrument)> = Vec::new();
        for (venue, market) in &found {
            if !self.watchlist.contains(*venue, &market.symbol) {
                fresh.push((*venue, market.clone()));
            }
        }
        if fresh.is_empty() {
            let keys: Vec<RowKey> = found.iter().map(|(v, m)| (*v, m.symbol.clone())).collect();
            let error = format!("{} is already on the {} list", keys[0].1, venues(&keys));
            if let Mode::Adding(prompt) = &mut self.view.mode {
                prompt.error = Some(error);
            }
            return;
        }
        let mut added: Vec<RowKey> = Vec::new();
        for (venue, market) in fresh {
            let k = (venue, market.symbol.clone());
            match self.watchlist.add(venue, market) {
                Ok(()) => added.push(k),
                Err(e) => {
                    if let Mode::Adding(prompt) = &mut self.view.mode {
                        prompt.error = Some(e.to_string());
                    }
                    if added.is_empty() {
                        return;
                    }
                }
            }
        }
        self.view.mode = Mode::Normal;
        self.view.selected = Some(added[0].clone());
        for (venue, symbol) in &added {
            self.log(
                "add",
                Some(*venue),
                Some(symbol.as_str()),
                "added to the watchlist",
            );
        }
        let done = format!("added {} on {}", added[0].1, venues(&added));
        self.push_undo(Edit::Added(added));
        self.finish(done);
    }

    /// Take back the last add or drop.
    pub(super) fn undo(&mut self) {
        let Some(edit) = self.undo.pop() else {
            self.view.status = Some(Status::Info("nothing to undo".to_string()));
            return;
        };
        let result = match &edit {
            Edit::Added(keys) => keys
                .iter()
                .try_for_each(|k| self.watchlist.remove(k.0, &k.1).map(|_| ()))
                .map_err(|e| e.to_string()),
            Edit::Dropped(k, market) => self.add_back(k, market.clone()),
        };
        match result {
            Ok(()) => {
                match &edit {
                    Edit::Added(keys) => {
                        for k in keys {
                            self.log("drop", Some(k.0), Some(k.1.as_str()), "undone add");
                        }
                    }
                    Edit::Dropped(k, _) => {
                        self.log("add", Some(k.0), Some(k.1.as_str()), "undone drop");
                    }
                }
                let done = match &edit {
                    Edit::Added(keys) => {
                        format!("undone: removed {} from {}", keys[0].1, venues(keys))
                    }
                    Edit::Dropped(k, _) => {
                        self.view.selected = Some(k.clone());
                        format!("undone: {}:{} is back", k.0, k.1)
                    }
                };
                self.finish(done);
            }
            Err(e) => {
                self.undo.push(edit);
                self.view.status = Some(Status::Error(e));
            }
        }
    }

    /// Watch a dropped row again: as it was resolved, or resolved anew from its name.
    fn add_back(&mut self, k: &RowKey, market: Option<Instrument>) -> Result<(), String> {
        let market = match market {
            Some(m) => m,
            None => self
                .watchlist
                .feeds()
                .get(k.0)
                .ok_or_else(|| format!("the {} feed is not running", k.0))?
                .market(k.1.as_str())
                .map_err(|e| e.to_string())?,
        };
        self.watchlist.add(k.0, market).map_err(|e| e.to_string())
    }

    fn push_undo(&mut self, edit: Edit) {
        if self.undo.len() == UNDO_DEPTH {
            self.undo.remove(0);
        }
        self.undo.push(edit);
    }

    /// After an edit: the status line says what was done and whether it is being saved.
    pub(super) fn finish(&mut self, done: String) {
        let status = if let Some(saving) = &mut self.saving {
            let text = format!("{done} · saving…");
            saving.pending = Some((saving.writer.latest(), done));
            text
        } else if let Some(why) = &self.not_saved {
            format!("{done} · not saved: {why}")
        } else {
            done
        };
        self.view.status = Some(Status::Info(status));
    }
}

/// The status line for the config file's unknown keys: the first in full, and how many
/// more (stderr and the log list every one).
pub(super) fn config_warning(warnings: &[ConfigWarning]) -> Option<Status> {
    let first = warnings.first()?;
    let more = match warnings.len() - 1 {
        0 => String::new(),
        n => format!(
            " · {} in the log",
            pricewire_core::model::plural(u64::try_from(n).unwrap_or(u64::MAX), "more unknown key")
        ),
    };
    Some(Status::Warning(format!("config {first}{more}")))
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
