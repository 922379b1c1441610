//! `KuCoin`'s public REST routes as the simulator serves them: `POST bullet-public` (a
//! token and the simulator's own WebSocket address), the symbol list, 24 h `stats`,
//! `orderbook/level1` and `timestamp`, in the `{"code":"200000","data":...}` envelope, from
//! the market the WebSocket side streams. Pure: no HTTP types, no scenarios.
//!
//! See docs: <https://www.kucoin.com/docs/rest/spot-trading/market-data/get-24hr-stats>

use std::fmt::Write as _;
use std::time::Duration;

use chrono::Utc;
use rust_decimal::Decimal;

use super::candles::history;
use super::kucoin::{Kucoin, SEQUENCE_BASE, SYMBOLS};
use super::market::Market;
use super::query::query_value;
use super::venue::{RestReply, RestRoutes};
use super::wire::{fixed, js};

/// The pong timeout the token reply prescribes, in milliseconds (the documented value).
const PING_TIMEOUT_MS: u64 = 10_000;
const TOKEN_LEN: usize = 120;

impl RestRoutes for Kucoin {
    fn rest(&self, path: &str, query: Option<&str>, market: &Market) -> Option<RestReply> {
        route(self, path, query, market)
    }

    fn rest_error(&self, status: u16) -> String {
        match status {
            429 => r#"{"code":"429000","msg":"Too Many Requests"}"#.to_string(),
            _ => r#"{"code":"500000","msg":"Internal Server Error"}"#.to_string(),
        }
    }

    fn rest_post(&self, path: &str, host: &str, ping: Duration) -> Option<RestReply> {
        post(path, host, ping)
    }
}

fn route(k: &Kucoin, path: &str, query: Option<&str>, market: &Market) -> Option<RestReply> {
    let symbol = query_value(query, "symbol");
    let body = match path {
        // v1 is deprecated but still answers, with the same fields.
        "/api/v2/symbols" | "/api/v1/symbols" => SYMBOLS.trim_end().to_string(),
        "/api/v1/market/candles" => candles(k, query, market),
        "/api/v1/market/stats" => stats(k, symbol.as_deref().unwrap_or(""), market),
        "/api/v1/market/orderbook/level1" => level1(k, symbol.as_deref().unwrap_or(""), market),
        "/api/v1/timestamp" => format!(
            "{{\"code\":\"200000\",\"msg\":\"success\",\"data\":{}}}",
            Utc::now().timestamp_millis()
        ),
        _ => return None,
    };
    Some(RestReply { status: 200, body })
}

/// `POST /api/v1/bullet-public`: a fresh token and one server, the simulator itself as
/// the client reached it (`host`), over plain `ws://`, prescribing pings every `ping`.
fn post(path: &str, host: &str, ping: Duration) -> Option<RestReply> {
    if path != "/api/v1/bullet-public" {
        return None;
    }
    // Real tokens are long opaque strings, new on every request.
    let token: String = std::iter::repeat_with(fastrand::alphanumeric)
        .take(TOKEN_LEN)
        .collect();
    let endpoint = format!("ws://{host}/");
    let ping_ms = ping.as_millis();
    let body = format!(
        "{{\"code\":\"200000\",\"data\":{{\"token\":\"{token}\",\"instanceServers\":[{{\"endpoint\":{},\"encrypt\":false,\"protocol\":\"websocket\",\"pingInterval\":{ping_ms},\"pingTimeout\":{PING_TIMEOUT_MS}}}]}}}}",
        js(&endpoint)
    );
    Some(RestReply { status: 200, body })
}

/// 24 h stats, strings; an unknown symbol answers success with every figure `null`.
fn stats(k: &Kucoin, symbol: &str, market: &Market) -> String {
    let now = Utc::now().timestamp_millis();
    let found = k
        .listing
        .index_of(symbol)
        .and_then(|i| market.quote(i).map(|q| (i, q)));
    let Some((_, q)) = found else {
        return format!(
            "{{\"code\":\"200000\",\"data\":{{\"time\":{now},\"symbol\":{},\"buy\":null,\"sell\":null,\"changeRate\":null,\"changePrice\":null,\"high\":null,\"low\":null,\"vol\":null,\"volValue\":null,\"last\":null,\"averagePrice\":null,\"takerFeeRate\":\"0.001\",\"makerFeeRate\":\"0.001\",\"takerCoefficient\":\"1\",\"makerCoefficient\":\"1\"}}}}",
            js(symbol)
        );
    };
    let change_rate = fixed(q.change_pct / Decimal::ONE_HUNDRED, 4);
    let mut body = String::with_capacity(400);
    let _ = write!(
        body,
        "{{\"code\":\"200000\",\"data\":{{\"time\":{now},\"symbol\":{},\"buy\":\"{}\",\"sell\":\"{}\",\"changeRate\":\"{change_rate}\",\"changePrice\":\"{}\",\"high\":\"{}\",\"low\":\"{}\",\"vol\":\"{}\",\"volValue\":\"{}\",\"last\":\"{}\",\"averagePrice\":\"{}\",\"takerFeeRate\":\"0.001\",\"makerFeeRate\":\"0.001\",\"takerCoefficient\":\"1\",\"makerCoefficient\":\"1\"}}}}",
        js(symbol),
        q.bid,
        q.ask,
        q.change,
        q.high,
        q.low,
        q.volume,
        fixed(q.volume * q.vwap, 8),
        q.last,
        fixed(q.vwap, 8),
    );
    body
}

/// Best bid/ask and the last trade; `data` is `null` for an unknown symbol.
fn level1(k: &Kucoin, symbol: &str, market: &Market) -> String {
    let Some(q) = k.listing.index_of(symbol).and_then(|i| market.quote(i)) else {
        return "{\"code\":\"200000\",\"data\":null}".to_string();
    };
    format!(
        "{{\"code\":\"200000\",\"data\":{{\"time\":{},\"sequence\":\"{}\",\"price\":\"{}\",\"size\":\"{}\",\"bestBid\":\"{}\",\"bestBidSize\":\"{}\",\"bestAsk\":\"{}\",\"bestAskSize\":\"{}\"}}}}",
        Utc::now().timestamp_millis(),
        SEQUENCE_BASE + q.trades,
        q.last,
        q.last_qty,
        q.bid,
        q.bid_qty,
        q.ask,
        q.ask_qty
    )
}

/// `market/candles`: candles of `type` from `startAt` to `endAt` (seconds; at most 1,500),
/// newest first, times in seconds, and the prices in KuCoin's open-close-high-low order.
/// See docs: <https://www.kucoin.com/docs/rest/spot-trading/market-data/get-klines>
fn candles(k: &Kucoin, query: Option<&str>, market: &Market) -> String {
    let symbol = query_value(query, "symbol").unwrap_or_default();
    let Some(index) = k.listing.index_of(&symbol) else {
        return r#"{"code":"400100","msg":"This pair is not provided at present"}"#.to_string();
    };
    let step = match query_value(query, "type").as_deref() {
        Some("1min") => 60,
        Some("5min") => 300,
        Some("15min") => 900,
        Some("1hour") => 3600,
        Some("1day") => 86_400,
        _ => return r#"{"code":"400100","msg":"Unsupported type"}"#.to_string(),
    };
    let secs = |name: &str| query_value(query, name).and_then(|v| v.parse::<i64>().ok());
    let now = Utc::now().timestamp();
    let end = secs("endAt").filter(|e| *e > 0).unwrap_or(now).min(now);
    let count = secs("startAt")
        .filter(|s| *s > 0)
        .map_or(1500, |start| ((end - start) / step + 1).clamp(1, 1500));
    let mut rows = String::new();
    for c in history(
        market,
        index,
        step,
        usize::try_from(count).unwrap_or(1500),
        end,
    )
    .iter()
    .rev()
    {
        if !rows.is_empty() {
            rows.push(',');
        }
        let _ = write!(
            rows,
            "[\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\"]",
            c.open_time,
            c.open,
            c.close,
            c.high,
            c.low,
            c.volume,
            fixed(c.volume * c.close, 8)
        );
    }
    format!("{{\"code\":\"200000\",\"data\":[{rows}]}}")
}
