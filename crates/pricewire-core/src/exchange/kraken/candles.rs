//! Kraken's public `OHLC` candles.
//!
//! `GET /0/public/OHLC?pair=XBTUSD&interval=1&since=<seconds>` answers
//! `{"error":[],"result":{"XXBTZUSD":[[time, "open", "high", "low", "close", "vwap",
//! "volume", count], …],"last":<seconds>}}`: oldest first, open times in seconds, prices
//! as strings, the pair under its canonical key (not the name asked for) beside `last`.
//! The last entry is always the interval still open ("not yet committed"), whatever
//! `since` says; at most 720 entries come back.
//! See docs: <https://docs.kraken.com/api/docs/rest-api/get-ohlc-data>

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;

use super::KrakenRestBody;
use crate::candle::{ChartWindow, WireCandle};
use crate::exchange::ParseError;
use crate::exchange::candle_rows::{Layout, TimeUnit, read};

const LAYOUT: Layout = Layout::ohlc(TimeUnit::Seconds, 6);

/// Minutes per candle, as Kraken's `interval` takes them.
pub(super) fn path(rest: &str, window: ChartWindow, now: DateTime<Utc>) -> String {
    let since = (now - window.span()).timestamp();
    format!(
        "/0/public/OHLC?pair={rest}&interval={}&since={since}",
        window.interval_secs() / 60
    )
}

pub(super) fn parse(body: &str) -> Result<Vec<WireCandle>, ParseError> {
    let parsed: KrakenRestBody<'_, HashMap<Cow<'_, str>, &RawValue>> = serde_json::from_str(body)?;
    if !parsed.error.is_empty() {
        return Err(ParseError::Schema(parsed.error.join("; ")));
    }
    let result = parsed
        .result
        .ok_or_else(|| ParseError::Schema("OHLC without result".into()))?;
    // The one key besides `last` is the pair, under whichever name Kraken gives it.
    let rows = result
        .iter()
        .find(|(key, _)| *key != "last")
        .map(|(_, rows)| serde_json::from_str::<Vec<Vec<&RawValue>>>(rows.get()))
        .transpose()?
        .ok_or_else(|| ParseError::Schema("OHLC result names no pair".into()))?;
    let open = rows.len().saturating_sub(1);
    rows.iter()
        .enumerate()
        .map(|(i, row)| read(row, &LAYOUT, Some(i != open)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::candle::normalise;
    use crate::exchange::candle_rows::documented;

    #[test]
    fn the_documented_body_reads_oldest_first_with_the_last_entry_open() {
        let wire = documented::parsed("kraken", "rest-OHLC.json", parse);
        // Seconds, not milliseconds: 1688671200 is 2023-07-06 19:20 UTC.
        assert_eq!(wire[0].open_time.to_rfc3339(), "2023-07-06T19:20:00+00:00");
        assert_eq!(
            wire.iter().map(|c| c.closed).collect::<Vec<_>>(),
            [Some(true), Some(true), Some(false)]
        );
        documented::check("kraken", wire.clone());
        // The last entry stays open an hour later too: Kraken says it is not committed.
        let later = documented::now() + chrono::TimeDelta::hours(1);
        let candles = normalise(wire, ChartWindow::Hour, later);
        assert!(!candles[2].closed);
    }

    #[test]
    fn the_path_asks_for_the_window_since_its_start() {
        let now = documented::now();
        assert_eq!(
            path("XBTUSD", ChartWindow::Hour, now),
            "/0/public/OHLC?pair=XBTUSD&interval=1&since=1688667750"
        );
        assert!(path("XBTUSD", ChartWindow::Day, now).contains("&interval=15&"));
        assert!(path("XBTUSD", ChartWindow::Week, now).contains("&interval=60&"));
    }

    #[test]
    fn an_error_body_says_why() {
        documented::refuses(
            parse,
            r#"{"error":["EQuery:Unknown asset pair"]}"#,
            "unexpected shape: EQuery:Unknown asset pair",
        );
        assert!(parse(r#"{"error":[],"result":{"last":1}}"#).is_err());
    }
}
