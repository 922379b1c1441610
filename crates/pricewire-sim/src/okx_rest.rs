//! OKX's public REST routes as the simulator serves them: `public/instruments` (the bundled
//! body, optionally one `instId`), `market/ticker`, `market/tickers` and `public/time`, in
//! the `{"code":"0","msg":"","data":[...]}` envelope, from the market the WebSocket side
//! streams. Pure: no HTTP types, no scenarios.
//!
//! See docs: <https://www.okx.com/docs-v5/en/#order-book-trading-market-data-get-ticker>

use chrono::Utc;

use super::candles::history;
use super::market::Market;
use super::okx::{INSTRUMENTS, Okx, ticker_fields};
use super::query::query_value;
use super::venue::{RestReply, RestRoutes};

impl RestRoutes for Okx {
    fn rest(&self, path: &str, query: Option<&str>, market: &Market) -> Option<RestReply> {
        route(self, path, query, market)
    }

    fn rest_error(&self, status: u16) -> String {
        match status {
            429 => r#"{"msg":"Too Many Requests","code":"50011"}"#.to_string(),
            _ => r#"{"code":"50001","data":[],"msg":"Service temporarily unavailable. Please try again later."}"#.to_string(),
        }
    }
}

fn route(okx: &Okx, path: &str, query: Option<&str>, market: &Market) -> Option<RestReply> {
    let param = |name: &str| query_value(query, name);
    let body = match path {
        "/api/v5/public/instruments" => instruments(
            okx,
            param("instType").as_deref(),
            param("instId").as_deref(),
        ),
        "/api/v5/market/ticker" => match param("instId") {
            None => error("50014", "Parameter instId can not be empty."),
            Some(id) => match okx.listing.index_of(&id) {
                None => error("51001", "Instrument ID does not exist"),
                Some(i) => tickers(okx, market, &[i]),
            },
        },
        "/api/v5/market/tickers" => match param("instType").as_deref() {
            None => error("50014", "Parameter instType can not be empty."),
            Some("SPOT") => {
                let all: Vec<usize> = (0..okx.listing.len()).collect();
                tickers(okx, market, &all)
            }
            Some(_) => ok_data(""),
        },
        "/api/v5/market/candles" => candles(okx, query, market),
        "/api/v5/public/time" => ok_data(&format!("{{\"ts\":\"{}\"}}", now_ms())),
        _ => return None,
    };
    // OKX answers business errors with HTTP 200 and a non-"0" code.
    Some(RestReply { status: 200, body })
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn ok_data(rows: &str) -> String {
    format!("{{\"code\":\"0\",\"msg\":\"\",\"data\":[{rows}]}}")
}

fn error(code: &str, msg: &str) -> String {
    format!("{{\"code\":\"{code}\",\"data\":[],\"msg\":\"{msg}\"}}")
}

fn instruments(okx: &Okx, inst_type: Option<&str>, inst_id: Option<&str>) -> String {
    match (inst_type, inst_id) {
        (None, _) => error("50014", "Parameter instType can not be empty."),
        (Some("SPOT"), None) => INSTRUMENTS.trim_end().to_string(),
        (Some("SPOT"), Some(id)) => match okx
            .listing
            .index_of(id)
            .and_then(|i| okx.listing.streamed(i))
        {
            Some(inst) => ok_data(&inst.raw),
            None => error("51001", "Instrument ID does not exist"),
        },
        // Other instrument types exist on OKX but are not simulated: an empty list.
        (Some(_), _) => ok_data(""),
    }
}

fn tickers(okx: &Okx, market: &Market, indices: &[usize]) -> String {
    let ts = now_ms();
    let mut rows = String::new();
    for &i in indices {
        let (Some(inst), Some(q)) = (okx.listing.streamed(i), market.quote(i)) else {
            continue;
        };
        if !rows.is_empty() {
            rows.push(',');
        }
        rows.push('{');
        ticker_fields(inst, &q, &mut rows);
        rows.push_str(&ts.to_string());
        rows.push_str("\"}");
    }
    ok_data(&rows)
}

/// `market/candles`: `limit` (default 100, at most 300) candles of `bar`, newest first,
/// times in milliseconds, `confirm` `"0"` on the one still open. See docs:
/// <https://www.okx.com/docs-v5/en/#order-book-trading-market-data-get-candlesticks>
fn candles(okx: &Okx, query: Option<&str>, market: &Market) -> String {
    let Some(index) = query_value(query, "instId").and_then(|id| okx.listing.index_of(&id)) else {
        return error("51001", "Instrument ID does not exist");
    };
    let step = match query_value(query, "bar").as_deref().unwrap_or("1m") {
        "1m" => 60,
        "5m" => 300,
        "15m" => 900,
        "1H" => 3600,
        "1D" => 86_400,
        _ => return error("51000", "Parameter bar error"),
    };
    let limit = query_value(query, "limit")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(100)
        .clamp(1, 300);
    let rows: Vec<String> = history(market, index, step, limit, Utc::now().timestamp())
        .iter()
        .rev()
        .map(|c| {
            let quote_volume = (c.volume * c.close).round_dp(8);
            format!(
                "[\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{quote_volume}\",\"{quote_volume}\",\"{}\"]",
                c.open_time * 1000,
                c.open,
                c.high,
                c.low,
                c.close,
                c.volume,
                u8::from(c.closed)
            )
        })
        .collect();
    ok_data(&rows.join(","))
}
