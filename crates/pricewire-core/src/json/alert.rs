//! The `alert` line: a rule fired, or a held state it fired for recovered.
//!
//! ```json
//! {"type":"alert","exchange":"kraken","symbol":"BTC/USD","event":"fired","rule":"kraken:BTC/USD last above 70000","value":"70001.2","message":"kraken BTC/USD: last 70001.2 crossed above 70000","ts":"2026-11-21T10:00:00.124001Z"}
//! ```
//!
//! `simulated` and `replay` follow `exchange` as on every other line; `symbol` and `value`
//! are `null` where the rule has none (a feed-state rule; a recovery).

use serde::Serialize;

use super::{Head, ts};
use crate::alert::AlertEvent;

#[derive(Serialize)]
struct AlertLine<'a> {
    #[serde(flatten)]
    head: Head,
    symbol: Option<&'a str>,
    event: &'static str,
    rule: &'a str,
    value: Option<String>,
    message: &'a str,
    ts: String,
}

/// One JSON line (no newline) for an alert; `replay`: it fired during a replay.
pub fn alert_line(a: &AlertEvent, replay: bool) -> String {
    serde_json::to_string(&AlertLine {
        head: Head::new("alert", a.exchange, a.simulated, replay),
        symbol: a.symbol.as_ref().map(crate::symbol::Symbol::as_str),
        event: a.kind.name(),
        rule: &a.rule,
        value: a.value.map(|v| v.to_string()),
        message: &a.message,
        ts: ts(a.at),
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::alert::AlertKind;
    use crate::model::ExchangeId;
    use crate::symbol::Symbol;

    #[test]
    fn alert_lines_name_the_rule_the_value_and_the_time() {
        let mut a = AlertEvent {
            rule_id: 1,
            rule: "kraken:BTC/USD last above 70000".into(),
            exchange: ExchangeId::Kraken,
            symbol: Some(Symbol::new("BTC", "USD")),
            kind: AlertKind::Fired,
            at: DateTime::from_timestamp(1_700_000_000, 5_000).unwrap(),
            value: Some("70001.20".parse().unwrap()),
            message: "kraken BTC/USD: last 70001.20 crossed above 70000".into(),
            simulated: false,
        };
        assert_eq!(
            alert_line(&a, false),
            r#"{"type":"alert","exchange":"kraken","symbol":"BTC/USD","event":"fired","rule":"kraken:BTC/USD last above 70000","value":"70001.20","message":"kraken BTC/USD: last 70001.20 crossed above 70000","ts":"2023-11-14T22:13:20.000005Z"}"#
        );
        a.simulated = true;
        a.kind = AlertKind::Recovered;
        a.symbol = None;
        a.value = None;
        let line = alert_line(&a, true);
        assert!(
            line.starts_with(
                r#"{"type":"alert","exchange":"kraken","simulated":true,"replay":true,"symbol":null,"event":"recovered","#
            ),
            "{line}"
        );
    }
}
