//! Bybit v5's public kline, spot category.
//!
//! `GET /v5/market/kline?category=spot&symbol=BTCUSDT&interval=1&limit=60` answers
//! `{"retCode":0,"retMsg":"OK","result":{"symbol":"BTCUSDT","category":"spot","list":
//! [["startTime", "open", "high", "low", "close", "volume", "turnover"], …]},…}`: newest
//! first ("sorted in reverse by startTime"), start times in milliseconds as strings. No
//! mark for the candle still open. At most 1,000 per request.
//! See docs: <https://bybit-exchange.github.io/docs/v5/market/kline>

use serde::Deserialize;
use serde_json::value::RawValue;

use super::BybitResponse;
use crate::candle::{ChartWindow, WireCandle};
use crate::exchange::ParseError;
use crate::exchange::candle_rows::{Layout, TimeUnit, read_all};

const LAYOUT: Layout = Layout::ohlc(TimeUnit::Millis, 5);

/// `result` of `GET /v5/market/kline`.
#[derive(Deserialize)]
struct BybitKlines<'a> {
    #[serde(borrow, default)]
    list: Vec<Vec<&'a RawValue>>,
}

pub(super) fn path(rest: &str, window: ChartWindow) -> String {
    format!(
        "/v5/market/kline?category=spot&symbol={rest}&interval={}&limit={}",
        window.interval_secs() / 60,
        window.count()
    )
}

pub(super) fn parse(body: &str) -> Result<Vec<WireCandle>, ParseError> {
    let reply: BybitResponse<'_, BybitKlines<'_>> = serde_json::from_str(body)?;
    read_all(&reply.into_result()?.list, &LAYOUT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::candle_rows::documented;

    #[test]
    fn the_documented_body_comes_newest_first_in_milliseconds() {
        let wire = documented::parsed("bybit", "rest-v5-market-kline.json", parse);
        assert_eq!(wire[0].open_time.to_rfc3339(), "2023-07-06T19:22:00+00:00");
        assert!(wire[0].open_time > wire[2].open_time, "newest first");
        documented::check("bybit", wire);
    }

    #[test]
    fn the_path_takes_minutes_as_the_interval() {
        assert_eq!(
            path("BTCUSDT", ChartWindow::Hour),
            "/v5/market/kline?category=spot&symbol=BTCUSDT&interval=1&limit=60"
        );
        assert!(path("BTCUSDT", ChartWindow::Day).contains("&interval=15&limit=96"));
        assert!(path("BTCUSDT", ChartWindow::Week).contains("&interval=60&limit=168"));
    }

    #[test]
    fn an_error_body_says_why() {
        documented::refuses(
            parse,
            r#"{"retCode":10001,"retMsg":"Not supported symbols","result":{},"retExtInfo":{},"time":1}"#,
            "unexpected shape: bybit error 10001: Not supported symbols",
        );
    }
}
