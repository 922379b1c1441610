//! Coinbase Advanced Trade's public product candles.
//!
//! `GET /api/v3/brokerage/market/products/BTC-USD/candles?start=<s>&end=<s>&granularity=ONE_MINUTE`
//! answers `{"candles":[{"start":"1712192400","low":"…","high":"…","open":"…","close":"…",
//! "volume":"…"}, …]}`: newest first, `start` in seconds as a string, prices as strings.
//! No mark for the candle still open. At most 350 candles per request.
//! See docs: <https://docs.cdp.coinbase.com/api-reference/advanced-trade-api/rest-api/public/get-public-product-candles>

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::candle::{ChartWindow, WireCandle};
use crate::exchange::ParseError;
use crate::exchange::candle_rows::{Layout, TimeUnit, read};

/// One candle object, fields kept raw and read like the other venues' arrays.
#[derive(Deserialize)]
struct CoinbaseCandle<'a> {
    #[serde(borrow)]
    start: &'a RawValue,
    #[serde(borrow)]
    low: &'a RawValue,
    #[serde(borrow)]
    high: &'a RawValue,
    #[serde(borrow)]
    open: &'a RawValue,
    #[serde(borrow)]
    close: &'a RawValue,
    #[serde(borrow, default)]
    volume: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct CoinbaseCandles<'a> {
    #[serde(borrow)]
    candles: Vec<CoinbaseCandle<'a>>,
}

/// The array order the fields are put in before reading.
const LAYOUT: Layout = Layout::ohlc(TimeUnit::Seconds, 5);

pub(super) fn path(rest: &str, window: ChartWindow, now: DateTime<Utc>) -> String {
    let granularity = match window {
        ChartWindow::Hour => "ONE_MINUTE",
        ChartWindow::Day => "FIFTEEN_MINUTE",
        ChartWindow::Week => "ONE_HOUR",
    };
    // The window's candles, the open one included.
    let back = window.interval() * i32::try_from(window.count() - 1).unwrap_or(0);
    let start = (window.bucket_start(now) - back).timestamp();
    let mut out = String::from("/api/v3/brokerage/market/products/");
    super::percent_encode_into(&mut out, rest);
    let _ = write!(
        out,
        "/candles?start={start}&end={}&granularity={granularity}",
        now.timestamp()
    );
    out
}

/// An error reply: `{"error":"NOT_FOUND","message":"…"}`.
#[derive(Deserialize)]
struct CoinbaseError<'a> {
    #[serde(borrow)]
    error: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    message: std::borrow::Cow<'a, str>,
}

pub(super) fn parse(body: &str) -> Result<Vec<WireCandle>, ParseError> {
    if let Ok(e) = serde_json::from_str::<CoinbaseError<'_>>(body) {
        return Err(ParseError::Schema(format!(
            "coinbase error {}: {}",
            e.error, e.message
        )));
    }
    let parsed: CoinbaseCandles<'_> = serde_json::from_str(body)?;
    parsed
        .candles
        .iter()
        .map(|c| {
            let mut row = vec![c.start, c.open, c.high, c.low, c.close];
            row.extend(c.volume);
            let layout = Layout {
                volume: c.volume.map(|_| 5),
                ..LAYOUT
            };
            read(&row, &layout, None)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::candle_rows::documented;

    #[test]
    fn the_documented_body_comes_newest_first_in_seconds() {
        let wire = documented::parsed("coinbase", "rest-market-product-candles.json", parse);
        assert_eq!(wire[0].open_time.to_rfc3339(), "2023-07-06T19:22:00+00:00");
        assert!(wire[0].open_time > wire[2].open_time, "newest first");
        documented::check("coinbase", wire);
    }

    #[test]
    fn the_path_covers_the_window_up_to_now() {
        let now = documented::now();
        // 59 whole minutes before the open one (19:22): 18:23 to now.
        assert_eq!(
            path("BTC-USD", ChartWindow::Hour, now),
            "/api/v3/brokerage/market/products/BTC-USD/candles?start=1688667780&end=1688671350&granularity=ONE_MINUTE"
        );
        assert!(path("BTC-USD", ChartWindow::Week, now).ends_with("granularity=ONE_HOUR"));
        assert!(path("A B", ChartWindow::Day, now).contains("/products/A%20B/candles"));
    }

    #[test]
    fn an_error_body_says_why() {
        documented::refuses(
            parse,
            r#"{"error":"NOT_FOUND","message":"product not found"}"#,
            "unexpected shape: coinbase error NOT_FOUND: product not found",
        );
    }
}
