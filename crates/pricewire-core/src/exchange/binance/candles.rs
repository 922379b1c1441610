//! Binance's public klines.
//!
//! `GET /api/v3/klines?symbol=BTCUSDT&interval=1m&limit=60` answers an array of arrays
//! `[openTime, "open", "high", "low", "close", "volume", closeTime, "quoteVolume", trades,
//! "takerBuyBase", "takerBuyQuote", "0"]`: oldest first, times in milliseconds, the newest
//! kline still open (its close time lies ahead). At most 1,000 per request.
//! See docs: <https://developers.binance.com/docs/binance-spot-api-docs/rest-api/market-data-endpoints#klinecandlestick-data>

use serde_json::value::RawValue;

use super::api_error;
use crate::candle::{ChartWindow, WireCandle};
use crate::exchange::ParseError;
use crate::exchange::candle_rows::{Layout, TimeUnit, read_all};

const LAYOUT: Layout = Layout::ohlc(TimeUnit::Millis, 5);

pub(super) fn path(rest: &str, window: ChartWindow) -> String {
    let interval = match window {
        ChartWindow::Hour => "1m",
        ChartWindow::Day => "15m",
        ChartWindow::Week => "1h",
    };
    format!(
        "/api/v3/klines?symbol={rest}&interval={interval}&limit={}",
        window.count()
    )
}

pub(super) fn parse(body: &str) -> Result<Vec<WireCandle>, ParseError> {
    if let Some(err) = api_error(body) {
        return Err(err);
    }
    let rows: Vec<Vec<&RawValue>> = serde_json::from_str(body)?;
    read_all(&rows, &LAYOUT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::candle_rows::documented;

    #[test]
    fn the_documented_body_reads_in_milliseconds_and_the_newest_kline_is_open() {
        let wire = documented::parsed("binance", "rest-klines.json", parse);
        assert_eq!(wire[0].open_time.to_rfc3339(), "2023-07-06T19:20:00+00:00");
        assert!(wire.iter().all(|c| c.closed.is_none()), "decided by time");
        documented::check("binance", wire);
    }

    #[test]
    fn the_path_names_the_interval_and_count() {
        assert_eq!(
            path("BTCUSDT", ChartWindow::Hour),
            "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=60"
        );
        assert_eq!(
            path("BTCUSDT", ChartWindow::Day),
            "/api/v3/klines?symbol=BTCUSDT&interval=15m&limit=96"
        );
        assert_eq!(
            path("BTCUSDT", ChartWindow::Week),
            "/api/v3/klines?symbol=BTCUSDT&interval=1h&limit=168"
        );
    }

    #[test]
    fn an_error_body_says_why() {
        documented::refuses(
            parse,
            r#"{"code":-1121,"msg":"Invalid symbol."}"#,
            "unexpected shape: binance error -1121: Invalid symbol.",
        );
    }
}
