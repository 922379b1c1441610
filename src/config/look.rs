//! The config file's tables for looking away: `[[alerts]]` (one rule each, in the alert
//! grammar of `pricewire_core::alert::rule`), `[notify]` (how alerts reach you),
//! `[record]` (how `--record` writes) and `[history]` (the history file). Checked when the
//! file is read; the webhook URL may come from `PRICEWIRE_WEBHOOK_URL` instead, and is
//! never printed.

use std::time::Duration;

use serde::Deserialize;
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table};

use super::writer::ConfigEdit;
use pricewire_core::alert::AlertRule;

/// One `[[alerts]]` table.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
#[serde(default)]
pub struct AlertEntry {
    /// The rule, e.g. `kraken:BTC/USD last above 70000`.
    pub rule: String,
}

/// `[notify]`: where alerts go besides the screen and the history.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct NotifyConfig {
    /// Ring the terminal bell (dashboard only; headless never writes one).
    pub bell: bool,
    /// Show a desktop notification (where a notification service runs).
    pub desktop: bool,
    /// POST each alert's JSON line here (`PRICEWIRE_WEBHOOK_URL` wins).
    pub webhook_url: Option<String>,
    /// Each webhook attempt must finish within this.
    pub webhook_timeout_secs: f64,
    /// Webhook attempts after the first, with doubling pauses from one second.
    pub webhook_retries: u32,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            bell: true,
            desktop: true,
            webhook_url: None,
            webhook_timeout_secs: 5.0,
            webhook_retries: 3,
        }
    }
}

impl NotifyConfig {
    /// The webhook URL in force: the environment's, else the file's.
    pub fn webhook(&self) -> Option<String> {
        std::env::var("PRICEWIRE_WEBHOOK_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .or_else(|| self.webhook_url.clone())
    }

    /// The webhook attempt timeout.
    pub fn timeout(&self) -> Duration {
        super::secs(self.webhook_timeout_secs)
    }
}

/// `[record]`: how `--record FILE` writes.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct RecordConfig {
    /// Rotate the file past this many megabytes (as written, compressed or not).
    pub max_mb: u64,
    /// Rotated files kept (`FILE.1` the newest).
    pub keep: usize,
    /// A flush (and a new zstd frame) at least this often.
    pub flush_secs: f64,
    /// Records queued for the writer before a gap is marked.
    pub queue: usize,
}

impl Default for RecordConfig {
    fn default() -> Self {
        RecordConfig {
            max_mb: 512,
            keep: 4,
            flush_secs: 2.0,
            queue: 65_536,
        }
    }
}

/// `[history]`: the history file in the state directory.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct HistoryConfig {
    /// Keep a history file at all.
    pub enabled: bool,
    /// Rotate past this many kilobytes.
    pub max_kb: u64,
    /// Rotated files kept.
    pub keep: usize,
    /// Entries of the previous run shown at start (marked as earlier).
    pub earlier: usize,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        HistoryConfig {
            enabled: true,
            max_kb: 4096,
            keep: 3,
            earlier: 20,
        }
    }
}

/// The rules of `[[alerts]]`, each read by the alert grammar; problems as (key, why).
pub fn rules(alerts: &[AlertEntry]) -> (Vec<AlertRule>, Vec<(String, String)>) {
    let mut rules = Vec::new();
    let mut problems = Vec::new();
    for (i, a) in alerts.iter().enumerate() {
        // A table without a rule (another version's shape) was warned about, key by key.
        if a.rule.trim().is_empty() {
            continue;
        }
        match a.rule.parse::<AlertRule>() {
            Ok(r) => rules.push(r),
            Err(e) => problems.push((format!("alerts[{i}].rule"), e.to_string())),
        }
    }
    (rules, problems)
}

/// Checks of `[notify]`, `[record]` and `[history]` as (key, why).
pub fn problems(notify: &NotifyConfig, record: &RecordConfig) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(url) = &notify.webhook_url
        && super::check_url(url, super::REST_SCHEMES).is_err()
    {
        // The URL is a secret: the message does not repeat it.
        out.push((
            "notify.webhook_url".into(),
            "must be an http:// or https:// URL with a host".into(),
        ));
    }
    if !(notify.webhook_timeout_secs.is_finite() && notify.webhook_timeout_secs > 0.0) {
        out.push((
            "notify.webhook_timeout_secs".into(),
            "must be a positive number of seconds".into(),
        ));
    }
    if record.max_mb == 0 {
        out.push(("record.max_mb".into(), "must be at least 1".into()));
    }
    if !(record.flush_secs.is_finite() && record.flush_secs > 0.0) {
        out.push((
            "record.flush_secs".into(),
            "must be a positive number of seconds".into(),
        ));
    }
    out
}

/// Saving the alert rules: the `[[alerts]]` tables become exactly these rules, in order. A
/// table whose rule stays keeps its comments and any other keys; a table with no `rule`
/// (another version's shape) is kept after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveAlerts(pub Vec<String>);

impl ConfigEdit for SaveAlerts {
    fn kind(&self) -> &'static str {
        "alerts"
    }

    fn apply(&self, doc: &mut DocumentMut) -> Result<(), String> {
        let old: Vec<Table> = match doc.get("alerts") {
            Some(Item::ArrayOfTables(a)) => a.iter().cloned().collect(),
            Some(Item::None) | None => Vec::new(),
            Some(_) => return Err("`alerts` is not a list of [[alerts]] tables".into()),
        };
        let mut tables = ArrayOfTables::new();
        for rule in &self.0 {
            let kept = old
                .iter()
                .find(|t| t.get("rule").and_then(Item::as_str) == Some(rule.as_str()));
            let table = kept.cloned().unwrap_or_else(|| {
                let mut t = Table::new();
                t.insert("rule", toml_edit::value(rule.as_str()));
                t
            });
            tables.push(table);
        }
        // A table without a rule is another version's shape: it stays as it is.
        for t in old
            .iter()
            .filter(|t| t.get("rule").and_then(Item::as_str).is_none())
        {
            tables.push(t.clone());
        }
        if tables.is_empty() {
            doc.remove("alerts");
        } else {
            doc.insert("alerts", Item::ArrayOfTables(tables));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saving_alerts_keeps_the_comments_of_kept_rules() {
        let text = "symbols = [\"BTC/USD\"]\n\n# my level\n[[alerts]]\nrule = \"BTC/USD last above 70000\"\n\n[[alerts]]\nrule = \"kraken state fallback 30s\"\n";
        let mut doc: DocumentMut = text.parse().unwrap();
        SaveAlerts(vec![
            "BTC/USD last above 70000".into(),
            "ETH/USD move 2% 5m".into(),
        ])
        .apply(&mut doc)
        .unwrap();
        let out = doc.to_string();
        assert!(
            out.contains("# my level\n[[alerts]]\nrule = \"BTC/USD last above 70000\""),
            "{out}"
        );
        assert!(out.contains("rule = \"ETH/USD move 2% 5m\""), "{out}");
        assert!(!out.contains("fallback"), "{out}");
        SaveAlerts(Vec::new()).apply(&mut doc).unwrap();
        assert!(!doc.to_string().contains("alerts"));
    }

    #[test]
    fn bad_rules_are_named_by_their_place() {
        let (rules, problems) = super::rules(&[
            AlertEntry {
                rule: "BTC/USD last above 1".into(),
            },
            AlertEntry {
                rule: "BTC/USD sideways".into(),
            },
        ]);
        assert_eq!(rules.len(), 1);
        assert_eq!(problems[0].0, "alerts[1].rule");
    }
}
