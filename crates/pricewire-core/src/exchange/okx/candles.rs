//! OKX v5's public candlesticks.
//!
//! `GET /api/v5/market/candles?instId=BTC-USDT&bar=1m&limit=60` answers
//! `{"code":"0","msg":"","data":[["ts", "o", "h", "l", "c", "vol", "volCcy",
//! "volCcyQuote", "confirm"], …]}`: newest first, times in milliseconds as strings, and
//! `confirm` `"0"` for the candle still open, `"1"` for a final one. At most 300 per request.
//! See docs: <https://www.okx.com/docs-v5/en/#order-book-trading-market-data-get-candlesticks>

use serde_json::value::RawValue;

use super::rest_body;
use crate::candle::{ChartWindow, WireCandle};
use crate::exchange::ParseError;
use crate::exchange::candle_rows::{Layout, TimeUnit, read};

const LAYOUT: Layout = Layout::ohlc(TimeUnit::Millis, 5);

/// Where `confirm` sits.
const CONFIRM: usize = 8;

pub(super) fn path(rest: &str, window: ChartWindow) -> String {
    let bar = match window {
        ChartWindow::Hour => "1m",
        ChartWindow::Day => "15m",
        ChartWindow::Week => "1H",
    };
    format!(
        "/api/v5/market/candles?instId={rest}&bar={bar}&limit={}",
        window.count()
    )
}

pub(super) fn parse(body: &str) -> Result<Vec<WireCandle>, ParseError> {
    let rows: Vec<Vec<&RawValue>> = rest_body(body)?;
    rows.iter()
        .map(|row| {
            let closed = match row.get(CONFIRM).map(|v| v.get()) {
                Some("\"0\"") => Some(false),
                Some("\"1\"") => Some(true),
                _ => None,
            };
            read(row, &LAYOUT, closed)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::candle::normalise;
    use crate::exchange::candle_rows::documented;

    #[test]
    fn the_documented_body_comes_newest_first_with_confirm_marks() {
        let wire = documented::parsed("okx", "rest-v5-market-candles.json", parse);
        assert_eq!(wire[0].open_time.to_rfc3339(), "2023-07-06T19:22:00+00:00");
        assert_eq!(
            wire.iter().map(|c| c.closed).collect::<Vec<_>>(),
            [Some(false), Some(true), Some(true)]
        );
        documented::check("okx", wire.clone());
        // `confirm` wins over the clock: still open an hour on, if OKX says so.
        let later = documented::now() + chrono::TimeDelta::hours(1);
        assert!(!normalise(wire, ChartWindow::Hour, later)[2].closed);
    }

    #[test]
    fn the_path_names_the_bar() {
        assert_eq!(
            path("BTC-USDT", ChartWindow::Hour),
            "/api/v5/market/candles?instId=BTC-USDT&bar=1m&limit=60"
        );
        assert!(path("BTC-USDT", ChartWindow::Week).contains("&bar=1H&limit=168"));
    }

    #[test]
    fn an_error_body_says_why() {
        documented::refuses(
            parse,
            r#"{"code":"51001","msg":"Instrument ID does not exist","data":[]}"#,
            "unexpected shape: okx error 51001: Instrument ID does not exist",
        );
    }
}
