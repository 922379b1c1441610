//! Binance's public REST routes as the simulator serves them: `exchangeInfo` (the bundled
//! body, optionally narrowed by `symbol=` / `symbols=`), `ticker/24hr` (one object for
//! `symbol=`, an array for `symbols=` or for all), `ping` and `time`. Unknown symbols answer
//! HTTP 400 `{"code":-1121,"msg":"Invalid symbol."}` as Binance does. Pure: no HTTP types,
//! no scenarios.
//!
//! See docs: <https://developers.binance.com/docs/binance-spot-api-docs/rest-api/market-data-endpoints>

use std::fmt::Write as _;

use chrono::Utc;

use super::binance::{Binance, day_figures, trade_ids};
use super::candles::history;
use super::listing::Instrument;
use super::market::{Market, Quote};
use super::query::query_value;
use super::venue::{RestReply, RestRoutes};

const INVALID_SYMBOL: &str = "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}";

fn ok(body: String) -> RestReply {
    RestReply { status: 200, body }
}

fn bad_symbol() -> RestReply {
    RestReply {
        status: 400,
        body: INVALID_SYMBOL.to_string(),
    }
}

impl RestRoutes for Binance {
    fn rest(&self, path: &str, query: Option<&str>, market: &Market) -> Option<RestReply> {
        route(self, path, query, market)
    }

    fn rest_error(&self, status: u16) -> String {
        match status {
            429 => "{\"code\":-1003,\"msg\":\"Too much request weight used; current limit is 6000 request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.\"}".to_string(),
            _ => "{\"code\":-1001,\"msg\":\"Internal error; unable to process your request. Please try again.\"}".to_string(),
        }
    }
}

fn route(b: &Binance, path: &str, query: Option<&str>, market: &Market) -> Option<RestReply> {
    let now = Utc::now().timestamp_millis();
    Some(match path {
        "/api/v3/ping" => ok("{}".to_string()),
        "/api/v3/klines" => klines(b, query, market),
        "/api/v3/time" => ok(format!("{{\"serverTime\":{now}}}")),
        "/api/v3/exchangeInfo" => {
            let Some(found) = selection(b, query, |_| true) else {
                return Some(bad_symbol());
            };
            let mut body = format!(
                "{{\"timezone\":\"UTC\",\"serverTime\":{now},\"rateLimits\":{},\"exchangeFilters\":[],\"symbols\":[",
                b.rate_limits
            );
            let entries: Vec<&str> = found.iter().map(|m| m.raw.as_str()).collect();
            body.push_str(&entries.join(","));
            body.push_str("]}");
            ok(body)
        }
        "/api/v3/ticker/24hr" => {
            let single = query_value(query, "symbol").is_some();
            let Some(found) = selection(b, query, |m| m.trading) else {
                return Some(bad_symbol());
            };
            let mut entries = Vec::with_capacity(found.len());
            for m in found {
                let Some(i) = b.listing.index_of(&m.symbol) else {
                    return Some(bad_symbol());
                };
                let Some(q) = market.quote(i) else {
                    return Some(bad_symbol());
                };
                entries.push(rest_ticker(&m.symbol, &q, now));
            }
            if single {
                return Some(ok(entries.pop().unwrap_or_default()));
            }
            ok(format!("[{}]", entries.join(",")))
        }
        _ => return None,
    })
}

/// The markets named by `symbol=` or `symbols=["A","B"]` (request order, duplicates kept
/// once), or every market passing `all` when neither is given. `None`: a name is unknown.
fn selection<'b>(
    b: &'b Binance,
    query: Option<&str>,
    all: impl Fn(&Instrument) -> bool,
) -> Option<Vec<&'b Instrument>> {
    let names: Vec<String> = if let Some(one) = query_value(query, "symbol") {
        vec![one]
    } else if let Some(list) = query_value(query, "symbols") {
        serde_json::from_str(&list).ok()?
    } else {
        return Some(b.listing.entries().iter().filter(|m| all(m)).collect());
    };
    let mut out: Vec<&Instrument> = Vec::new();
    for name in names {
        let m = b.listing.entries().iter().find(|m| m.symbol == name)?;
        if !out.iter().any(|o| o.symbol == m.symbol) {
            out.push(m);
        }
    }
    (!out.is_empty()).then_some(out)
}

fn rest_ticker(symbol: &str, q: &Quote, now: i64) -> String {
    let mut s = String::with_capacity(600);
    let _ = write!(s, "{{\"symbol\":\"{symbol}\"");
    for (_, key, value) in day_figures(q) {
        let _ = write!(s, ",\"{key}\":\"{value}\"");
    }
    let (first_id, last_id) = trade_ids(q);
    let _ = write!(
        s,
        ",\"openTime\":{},\"closeTime\":{now},\"firstId\":{first_id},\"lastId\":{last_id},\"count\":{}}}",
        now - 86_400_000,
        q.trades
    );
    s
}

/// `klines`: `limit` (default 500, at most 1,000) klines of `interval`, oldest first, in
/// milliseconds, the newest still open. See docs:
/// <https://developers.binance.com/docs/binance-spot-api-docs/rest-api/market-data-endpoints#klinecandlestick-data>
fn klines(b: &Binance, query: Option<&str>, market: &Market) -> RestReply {
    let symbol = query_value(query, "symbol").unwrap_or_default();
    let Some(index) = b.listing.index_of(&symbol) else {
        return bad_symbol();
    };
    let step = match query_value(query, "interval").as_deref() {
        Some("1m") => 60,
        Some("5m") => 300,
        Some("15m") => 900,
        Some("1h") => 3600,
        Some("1d") => 86_400,
        _ => {
            return RestReply {
                status: 400,
                body: "{\"code\":-1120,\"msg\":\"Invalid interval.\"}".to_string(),
            };
        }
    };
    let limit = query_value(query, "limit")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(500)
        .clamp(1, 1000);
    let candles = history(market, index, step, limit, Utc::now().timestamp());
    let rows: Vec<String> = candles
        .iter()
        .map(|c| {
            let open_ms = c.open_time * 1000;
            format!(
                "[{open_ms},\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",{},\"{}\",{},\"0\",\"0\",\"0\"]",
                c.open,
                c.high,
                c.low,
                c.close,
                c.volume,
                open_ms + step * 1000 - 1,
                (c.volume * c.close).round_dp(8),
                1 + c.open_time.rem_euclid(89)
            )
        })
        .collect();
    ok(format!("[{}]", rows.join(",")))
}
