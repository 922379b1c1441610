//! Alerts from the dashboard. The alert key opens a prompt holding a rule for the selected
//! row (its venue, symbol and last price, in the one alert grammar of
//! `pricewire_core::alert::rule`); Enter hands it to the alert task and saves it. The alert
//! list shows every rule with where it stands, and deletes the one picked. Alerts that fire
//! come in from the delivery task: they mark their row and the header while they stand, and
//! go into the history pane. Rules are saved as `[[alerts]]` through the config writer,
//! under the same rules as the watchlist (nothing in a demo or a replay, nothing when this
//! run's symbols came from the command line), and a rule of the file this version cannot
//! read is kept as written.

use tokio::sync::mpsc;

use super::update::App;
use crate::config::SaveAlerts;
use crate::view::state::{FiredMark, Mode, Note, NoteKind, Prompt, Status};
use pricewire_core::alert::{AlertEvent, AlertHandle, AlertKind, AlertRule, RuleState};
use pricewire_core::store::Snapshot;

/// Fired alerts kept for the history pane (the oldest go first).
const NOTES: usize = 500;

/// The alert task as the dashboard sees it.
pub struct Alerts {
    handle: AlertHandle,
    fired: Option<mpsc::UnboundedReceiver<AlertEvent>>,
    /// The rules as the config file spells them, this run's adds and deletes applied;
    /// rules this version cannot read stay, so that a save never loses them.
    saved: Vec<String>,
}

impl std::fmt::Debug for Alerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alerts")
            .field("saved", &self.saved)
            .finish_non_exhaustive()
    }
}

impl Alerts {
    /// The alert task's `handle`, the alerts it fires (after their delivery) and the
    /// config's `[[alerts]]` rules as written.
    pub fn new(
        handle: AlertHandle,
        fired: mpsc::UnboundedReceiver<AlertEvent>,
        saved: Vec<String>,
    ) -> Self {
        Alerts {
            handle,
            fired: Some(fired),
            saved,
        }
    }
}

/// A rule's canonical spelling, when it reads.
fn canonical(text: &str) -> Option<String> {
    text.parse::<AlertRule>().ok().map(|r| r.to_string())
}

impl App {
    /// Show and edit the alert task's rules; fired alerts arrive through `alerts`.
    #[must_use]
    pub fn with_alerts(mut self, alerts: Alerts) -> Self {
        self.view.alerts = alerts.handle.statuses();
        self.alerts = Some(alerts);
        self
    }

    /// The fired alerts, for the loop to wait on.
    pub fn take_alerts(&mut self) -> Option<mpsc::UnboundedReceiver<AlertEvent>> {
        self.alerts.as_mut()?.fired.take()
    }

    /// Hand them back when the loop ends.
    pub fn give_back_alerts(&mut self, rx: Option<mpsc::UnboundedReceiver<AlertEvent>>) {
        if let Some(a) = &mut self.alerts {
            a.fired = rx;
        }
    }

    /// Before a frame: where each rule stands, and which marks still stand (a row's mark
    /// goes once its rule has re-armed or been deleted).
    pub(super) fn sync_alerts(&mut self) {
        let Some(a) = &self.alerts else { return };
        let statuses = a.handle.statuses();
        if statuses != self.view.alerts {
            self.view.alerts = statuses;
        }
        let standing = |rule: &str| {
            self.view.alerts.iter().any(|s| {
                s.rule == rule
                    && matches!(
                        s.state,
                        RuleState::Fired | RuleState::Rearming | RuleState::Done
                    )
            })
        };
        let gone: Vec<usize> = self
            .view
            .fired
            .iter()
            .enumerate()
            .filter(|(_, m)| !standing(&m.rule))
            .map(|(i, _)| i)
            .collect();
        for i in gone.into_iter().rev() {
            self.view.fired.remove(i);
        }
    }

    /// An alert fired (or a held state recovered): a mark while it stands, a history line.
    pub fn on_alert(&mut self, a: &AlertEvent) {
        let text = pricewire_core::sanitize::clean(&a.message);
        let kind = match a.kind {
            AlertKind::Fired => NoteKind::Alert,
            AlertKind::Recovered => NoteKind::Recovered,
        };
        self.view.notes.push(Note {
            at: a.at,
            exchange: Some(a.exchange),
            text,
            kind,
        });
        if self.view.notes.len() > NOTES {
            self.view.notes.remove(0);
        }
        match a.kind {
            AlertKind::Fired => {
                let mark = FiredMark {
                    rule: a.rule.clone(),
                    exchange: a.exchange,
                    symbol: a.symbol.clone(),
                    at: a.at,
                };
                self.view.fired.retain(|m| {
                    !(m.rule == mark.rule && m.exchange == mark.exchange && m.symbol == mark.symbol)
                });
                self.view.fired.push(mark);
            }
            AlertKind::Recovered => self
                .view
                .fired
                .retain(|m| !(m.rule == a.rule && m.exchange == a.exchange)),
        }
    }

    /// The alert key: a prompt holding a rule for the selected row at its last price.
    pub(super) fn open_alert(&mut self, snapshot: &Snapshot) {
        if self.alerts.is_none() {
            self.view.status = Some(Status::Info("alerts are not watched in this run".into()));
            return;
        }
        let input = match self.view.selected_row(snapshot) {
            Some(row) => AlertRule::prefill(
                row.exchange,
                &row.symbol,
                row.ticker.as_ref().and_then(|t| t.last),
            ),
            None => String::new(),
        };
        self.view.mode = Mode::Alerting(Prompt { input, error: None });
    }

    /// Enter in the alert prompt: read the rule, hand it to the alert task, save it.
    pub(super) fn submit_alert(&mut self) {
        let (Mode::Alerting(prompt), Some(alerts)) = (&mut self.view.mode, &mut self.alerts) else {
            return;
        };
        let rule = match prompt.input.trim().parse::<AlertRule>() {
            Ok(r) => r,
            Err(e) => {
                prompt.error = Some(e.to_string());
                return;
            }
        };
        let text = rule.to_string();
        if self.view.alerts.iter().any(|s| s.rule == text) {
            prompt.error = Some(format!("{text} is already an alert"));
            return;
        }
        if !alerts.handle.add(rule) {
            prompt.error = Some("the alert task has stopped".into());
            return;
        }
        alerts.saved.push(text.clone());
        self.view.mode = Mode::Normal;
        // Shown at once; the alert task's own list follows.
        self.view.alerts.push(pricewire_core::alert::RuleStatus {
            id: u64::MAX,
            rule: text.clone(),
            state: RuleState::Waiting,
            fired: 0,
            last_fired: None,
        });
        self.save_alerts(format!("alert added: {text}"));
    }

    /// Delete the rule picked in the alert list.
    pub(super) fn delete_alert(&mut self) {
        let (Mode::AlertList(at), Some(alerts)) = (&mut self.view.mode, &mut self.alerts) else {
            return;
        };
        let Some(status) = self.view.alerts.get(*at) else {
            return;
        };
        let rule = status.rule.clone();
        if !alerts.handle.remove(&rule) {
            self.view.status = Some(Status::Error("the alert task has stopped".into()));
            return;
        }
        alerts
            .saved
            .retain(|t| t != &rule && canonical(t).as_deref() != Some(rule.as_str()));
        self.view.alerts.remove(*at);
        *at = (*at).min(self.view.alerts.len().saturating_sub(1));
        self.view.fired.retain(|m| m.rule != rule);
        self.save_alerts(format!("alert deleted: {rule}"));
    }

    /// Move the pick in the alert list.
    pub(super) fn pick_alert(&mut self, delta: isize) {
        if let Mode::AlertList(at) = &mut self.view.mode {
            let last = self.view.alerts.len().saturating_sub(1);
            *at = at.saturating_add_signed(delta).min(last);
        }
    }

    fn save_alerts(&mut self, done: String) {
        if let (Some(saving), Some(alerts)) = (&self.saving, &self.alerts) {
            let _ = saving.writer.submit(SaveAlerts(alerts.saved.clone()));
        }
        self.finish(done);
    }
}
