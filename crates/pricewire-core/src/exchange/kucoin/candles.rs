//! KuCoin's public klines.
//!
//! `GET /api/v1/market/candles?type=1min&symbol=BTC-USDT&startAt=<s>&endAt=<s>` answers
//! `{"code":"200000","data":[["time", "open", "close", "high", "low", "volume",
//! "turnover"], …]}`: newest first, times in **seconds** as strings, and the prices in
//! KuCoin's own order, open-**close**-high-low (not open-high-low-close). No mark for the
//! candle still open. At most 1,500 per request.
//! See docs: <https://www.kucoin.com/docs/rest/spot-trading/market-data/get-klines>

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;

use super::rest_data;
use crate::candle::{ChartWindow, WireCandle};
use crate::exchange::ParseError;
use crate::exchange::candle_rows::{Layout, TimeUnit, read_all};

const LAYOUT: Layout = Layout {
    time: 0,
    unit: TimeUnit::Seconds,
    open: 1,
    close: 2,
    high: 3,
    low: 4,
    volume: Some(5),
};

pub(super) fn path(rest: &str, window: ChartWindow, now: DateTime<Utc>) -> String {
    let kind = match window {
        ChartWindow::Hour => "1min",
        ChartWindow::Day => "15min",
        ChartWindow::Week => "1hour",
    };
    let back = window.interval() * i32::try_from(window.count() - 1).unwrap_or(0);
    let start = (window.bucket_start(now) - back).timestamp();
    format!(
        "/api/v1/market/candles?type={kind}&symbol={rest}&startAt={start}&endAt={}",
        now.timestamp()
    )
}

pub(super) fn parse(body: &str) -> Result<Vec<WireCandle>, ParseError> {
    let rows: Vec<Vec<&RawValue>> = rest_data(body)?;
    read_all(&rows, &LAYOUT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::candle_rows::documented;

    #[test]
    fn the_documented_body_reads_open_close_high_low_in_seconds() {
        let wire = documented::parsed("kucoin", "rest-v1-market-candles.json", parse);
        assert_eq!(wire[0].open_time.to_rfc3339(), "2023-07-06T19:22:00+00:00");
        // Field 2 is the close, field 3 the high: read in the venue's order, not OHLC's.
        assert_eq!(wire[0].close.to_string(), "30301.5");
        assert_eq!(wire[0].high.to_string(), "30304");
        documented::check("kucoin", wire);
    }

    #[test]
    fn the_path_covers_the_window_in_seconds() {
        assert_eq!(
            path("BTC-USDT", ChartWindow::Hour, documented::now()),
            "/api/v1/market/candles?type=1min&symbol=BTC-USDT&startAt=1688667780&endAt=1688671350"
        );
        assert!(path("BTC-USDT", ChartWindow::Day, documented::now()).contains("type=15min"));
        assert!(path("BTC-USDT", ChartWindow::Week, documented::now()).contains("type=1hour"));
    }

    #[test]
    fn an_error_body_says_why() {
        documented::refuses(
            parse,
            r#"{"code":"400100","msg":"This pair is not provided at present"}"#,
            "unexpected shape: kucoin error 400100: This pair is not provided at present",
        );
    }
}
