//! Bybit's public v5 REST routes as the simulator serves them: `instruments-info` (the
//! bundled body, optionally narrowed by `symbol=`) and `tickers` (spot, with best bid/ask,
//! one symbol or all), inside Bybit's `retCode` envelope. Pure: no HTTP types, no scenarios.
//!
//! See docs: <https://bybit-exchange.github.io/docs/v5/market/tickers>

use std::fmt::Write as _;

use chrono::Utc;

use super::bybit::{Bybit, fraction};
use super::candles::history;
use super::listing::Instrument;
use super::market::{Market, Quote};
use super::query::query_value;
use super::venue::{RestReply, RestRoutes};
use super::wire::{fixed, plain};

fn envelope(code: i64, msg: &str, result: &str) -> RestReply {
    let now = Utc::now().timestamp_millis();
    RestReply {
        status: 200,
        body: format!(
            "{{\"retCode\":{code},\"retMsg\":\"{msg}\",\"result\":{result},\"retExtInfo\":{{}},\"time\":{now}}}"
        ),
    }
}

impl RestRoutes for Bybit {
    fn rest(&self, path: &str, query: Option<&str>, market: &Market) -> Option<RestReply> {
        route(self, path, query, market)
    }

    fn rest_error(&self, status: u16) -> String {
        let (code, msg) = match status {
            429 => (10006, "Too many visits!"),
            _ => (10016, "Internal server error."),
        };
        envelope(code, msg, "{}").body
    }
}

fn route(b: &Bybit, path: &str, query: Option<&str>, market: &Market) -> Option<RestReply> {
    if !matches!(
        path,
        "/v5/market/instruments-info"
            | "/v5/market/tickers"
            | "/v5/market/time"
            | "/v5/market/kline"
    ) {
        return None;
    }
    if path == "/v5/market/time" {
        let now = Utc::now();
        let result = format!(
            "{{\"timeSecond\":\"{}\",\"timeNano\":\"{}\"}}",
            now.timestamp(),
            now.timestamp_nanos_opt().unwrap_or_default()
        );
        return Some(envelope(0, "OK", &result));
    }
    // The simulator plays spot only.
    match query_value(query, "category").as_deref() {
        Some("spot") => {}
        Some("linear" | "inverse" | "option") => {
            return Some(envelope(10001, "category only support spot here", "{}"));
        }
        _ => return Some(envelope(10001, "Illegal category", "{}")),
    }
    let wanted = query_value(query, "symbol").map(|s| s.to_ascii_uppercase());
    if path == "/v5/market/kline" {
        return Some(kline(b, wanted.as_deref(), query, market));
    }
    let chosen: Vec<&Instrument> = b
        .listing
        .entries()
        .iter()
        .filter(|m| wanted.as_deref().is_none_or(|w| m.symbol == w))
        .collect();
    if path == "/v5/market/instruments-info" {
        let list: Vec<&str> = chosen.iter().map(|m| m.raw.as_str()).collect();
        let result = format!("{{\"category\":\"spot\",\"list\":[{}]}}", list.join(","));
        return Some(envelope(0, "OK", &result));
    }
    let mut list = Vec::with_capacity(chosen.len());
    for m in chosen.iter().filter(|m| m.trading) {
        if let Some(q) = b.listing.index_of(&m.symbol).and_then(|i| market.quote(i)) {
            list.push(rest_ticker(m, &q));
        }
    }
    if wanted.is_some() && list.is_empty() {
        return Some(envelope(10001, "Not supported symbols", "{}"));
    }
    let result = format!("{{\"category\":\"spot\",\"list\":[{}]}}", list.join(","));
    Some(envelope(0, "OK", &result))
}

fn rest_ticker(m: &Instrument, q: &Quote) -> String {
    let mut s = String::with_capacity(400);
    let _ = write!(
        s,
        "{{\"symbol\":\"{}\",\"bid1Price\":\"{}\",\"bid1Size\":\"{}\",\"ask1Price\":\"{}\",\"ask1Size\":\"{}\",\"lastPrice\":\"{}\",\"prevPrice24h\":\"{}\",\"price24hPcnt\":\"{}\",\"highPrice24h\":\"{}\",\"lowPrice24h\":\"{}\",\"turnover24h\":\"{}\",\"volume24h\":\"{}\",\"usdIndexPrice\":\"{}\"}}",
        m.symbol,
        plain(q.bid),
        plain(q.bid_qty),
        plain(q.ask),
        plain(q.ask_qty),
        plain(q.last),
        plain(q.open),
        fraction(q),
        plain(q.high),
        plain(q.low),
        plain(fixed(q.volume * q.vwap, 8)),
        plain(q.volume),
        if matches!(m.quote.as_str(), "USDT" | "USDC") {
            plain(fixed(q.last, 6)).to_string()
        } else {
            String::new()
        }
    );
    s
}

/// `kline`: `limit` (default 200, at most 1,000) candles of `interval` minutes, newest
/// first, start times in milliseconds as strings. See docs:
/// <https://bybit-exchange.github.io/docs/v5/market/kline>
fn kline(b: &Bybit, symbol: Option<&str>, query: Option<&str>, market: &Market) -> RestReply {
    let Some(index) = symbol.and_then(|s| b.listing.index_of(s)) else {
        return envelope(10001, "Not supported symbols", "{}");
    };
    let step = match query_value(query, "interval").as_deref() {
        Some("D") => 86_400,
        Some(m) => match m.parse::<i64>() {
            Ok(m @ (1 | 3 | 5 | 15 | 30 | 60 | 120 | 240 | 360 | 720)) => m * 60,
            _ => return envelope(10001, "Invalid period!", "{}"),
        },
        None => return envelope(10001, "Invalid period!", "{}"),
    };
    let limit = query_value(query, "limit")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(200)
        .clamp(1, 1000);
    let mut list = String::new();
    for c in history(market, index, step, limit, Utc::now().timestamp())
        .iter()
        .rev()
    {
        if !list.is_empty() {
            list.push(',');
        }
        let _ = write!(
            list,
            "[\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\"]",
            c.open_time * 1000,
            plain(c.open),
            plain(c.high),
            plain(c.low),
            plain(c.close),
            plain(c.volume),
            plain(fixed(c.volume * c.close, 8))
        );
    }
    let result = format!(
        "{{\"symbol\":\"{}\",\"category\":\"spot\",\"list\":[{list}]}}",
        symbol.unwrap_or_default()
    );
    envelope(0, "OK", &result)
}
