//! Binance spot: the `/ws` raw-stream endpoint, `@ticker` subscriptions, and the REST
//! `exchangeInfo` / `ticker/24hr` endpoints. Owns Binance's wire names (payload `BTCUSDT`,
//! stream `btcusdt@ticker`) and the meaning of every Binance frame; never touches sockets,
//! the store or the clock.
//!
//! Keep-alive: the server sends WebSocket-level pings every 20 s and the socket layer answers
//! them, so there is no application ping. A connection lives at most 24 h.

mod wire;

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::fmt::Write;
use std::time::Duration;

use serde::Serialize;

use super::{Event, Exchange, ParseError, Request, RequestIds, RestRate, WireTicker};
use crate::model::ExchangeId;
use crate::symbol::{Instrument, PairList, Symbol};
use wire::{BinanceApiError, BinanceBookTicker, BinanceExchangeInfo, BinanceHeader};
use wire::{BinanceRestTicker, BinanceTicker};

/// Binance spot (binance.com). Stateless.
#[derive(Debug, Clone, Copy, Default)]
pub struct Binance;

/// Symbols per REST ticker request: 1–20 symbols cost the lowest request weight (2).
const REST_SYMBOLS_PER_REQUEST: usize = 20;

/// Event types (`e`) of streams that carry nothing for a ticker row.
const IGNORED_EVENTS: [&str; 9] = [
    "depthUpdate",
    "kline",
    "aggTrade",
    "trade",
    "24hrMiniTicker",
    "1hTicker",
    "4hTicker",
    "1dTicker",
    "avgPrice",
];

/// A `SUBSCRIBE` / `UNSUBSCRIBE` request on an open connection.
/// See docs: <https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams#live-subscribingunsubscribing-to-streams>
#[derive(Serialize)]
struct BinanceRequest<'a> {
    method: &'a str,
    params: Vec<String>,
    id: u64,
}

impl Binance {
    fn request(method: &str, wire: &[&str], ids: &mut RequestIds) -> Vec<Request> {
        if wire.is_empty() {
            return Vec::new();
        }
        let req_id = ids.next_id();
        let req = BinanceRequest {
            method,
            // Stream names take the payload symbol in lower case.
            params: wire
                .iter()
                .map(|w| format!("{}@ticker", w.to_ascii_lowercase()))
                .collect(),
            id: req_id,
        };
        serde_json::to_string(&req)
            .into_iter()
            .map(|text| Request::new(Some(req_id), wire, text))
            .collect()
    }
}

impl Exchange for Binance {
    super::venue_endpoints! { ExchangeId::Binance, ws: "wss://stream.binance.com:9443/ws",
    rest: "https://api.binance.com", pairs: "/api/v3/exchangeInfo",
    candles: |rest, window, _| candles::path(rest, window) }

    /// Markets with status `TRADING` only (`BREAK` and `HALT` ones cannot stream). The wire
    /// and REST names are both the payload symbol (`BTCUSDT`); stream names derive from it.
    fn parse_pair_list(&self, body: &str) -> Result<PairList, ParseError> {
        if let Some(err) = api_error(body) {
            return Err(err);
        }
        let info: BinanceExchangeInfo = serde_json::from_str(body)?;
        let instruments = info
            .symbols
            .into_iter()
            .filter(|s| s.status == "TRADING")
            .map(|s| {
                let tick = s
                    .filters
                    .iter()
                    .find(|f| f.filter_type == "PRICE_FILTER")
                    .and_then(|f| f.tick_size);
                Instrument {
                    symbol: Symbol::new(&s.base_asset, &s.quote_asset),
                    wire: s.symbol.to_string(),
                    rest: s.symbol.to_string(),
                    price_decimals: tick.map(|t| t.normalize().scale()),
                    aliases: Vec::new(),
                }
            })
            .collect();
        Ok(self.pair_list(instruments))
    }

    fn instrument_for(&self, symbol: &Symbol) -> Instrument {
        super::joined_instrument(symbol)
    }

    fn subscribe_requests(&self, wire: &[&str], ids: &mut RequestIds) -> Vec<Request> {
        Self::request("SUBSCRIBE", wire, ids)
    }

    fn unsubscribe_requests(&self, wire: &[&str], ids: &mut RequestIds) -> Vec<Request> {
        Self::request("UNSUBSCRIBE", wire, ids)
    }

    fn ping(&self, _req_id: u64) -> Option<String> {
        None
    }

    fn max_connection_age(&self) -> Option<Duration> {
        Some(Duration::from_hours(24))
    }

    fn parse<'a>(&self, frame: &'a str, out: &mut Vec<Event<'a>>) -> Result<(), ParseError> {
        if !frame.trim_start().starts_with('{') {
            serde_json::from_str::<serde::de::IgnoredAny>(frame)?;
            out.push(Event::Unknown);
            return Ok(());
        }
        let header: BinanceHeader<'a> = serde_json::from_str(frame)?;
        // Combined streams (`/stream?streams=`) wrap each event as {"stream":..,"data":..}.
        if let Some(data) = header.data {
            let inner: BinanceHeader<'a> = serde_json::from_str(data.get())?;
            return parse_event(&inner, data.get(), out);
        }
        parse_event(&header, frame, out)
    }

    fn rest_ticker_paths(&self, rest: &[&str]) -> Vec<String> {
        rest.chunks(REST_SYMBOLS_PER_REQUEST)
            .map(|chunk| {
                let list = serde_json::to_string(chunk).unwrap_or_default();
                format!("/api/v3/ticker/24hr?symbols={}", percent_encode(&list))
            })
            .collect()
    }

    /// An array (`symbols=`) or a single object (`symbol=`); `{"code":..,"msg":..}` is an
    /// error.
    fn parse_rest_ticker<'a>(&self, body: &'a str) -> Result<Vec<WireTicker<'a>>, ParseError> {
        if body.trim_start().starts_with('[') {
            let list: Vec<BinanceRestTicker<'a>> = serde_json::from_str(body)?;
            return Ok(list.into_iter().map(BinanceRestTicker::into_wire).collect());
        }
        if let Some(err) = api_error(body) {
            return Err(err);
        }
        let one: BinanceRestTicker<'a> = serde_json::from_str(body)?;
        Ok(vec![one.into_wire()])
    }

    /// 6,000 request weight a minute per IP; a ticker or kline request weighs 2.
    fn rest_rate(&self) -> RestRate {
        RestRate::new(10, 10)
    }
}

/// One event object (bare from `/ws`, or the `data` of a combined-stream frame).
fn parse_event<'a>(
    header: &BinanceHeader<'a>,
    text: &'a str,
    out: &mut Vec<Event<'a>>,
) -> Result<(), ParseError> {
    let event = match header.event.as_deref() {
        Some("24hrTicker") => {
            let t: BinanceTicker<'a> = serde_json::from_str(text)?;
            Event::Ticker(t.into_wire())
        }
        Some("serverShutdown") => Event::ReconnectSoon {
            reason: "binance announced a server shutdown".into(),
        },
        Some(e) if IGNORED_EVENTS.contains(&e) => Event::Ignored,
        Some(_) => Event::Unknown,
        // `@bookTicker` events have no `e`: just an update id, the symbol and the top of book.
        None if header.update_id.is_some() && header.symbol.is_some() => {
            let t: BinanceBookTicker<'a> = serde_json::from_str(text)?;
            Event::Ticker(t.into_wire())
        }
        // Partial-depth snapshots (`@depth5`) carry no `e` either.
        None if header.last_update_id.is_some() => Event::Ignored,
        None => control_event(header),
    };
    out.push(event);
    Ok(())
}

/// Replies to our requests: `{"result":null,"id":1}`, and both error forms
/// (`{"code":2,"msg":..}` and `{"error":{"code":2,"msg":..},"id":1}`).
fn control_event<'a>(header: &BinanceHeader<'a>) -> Event<'a> {
    // Ids are echoed as sent; ours are integers.
    let req_id = header
        .id
        .and_then(|id| id.get().trim_matches('"').parse().ok());
    if let Some(err) = &header.error {
        return subscribe_error(err.code, err.msg.as_deref(), req_id);
    }
    if header.code.is_some() || header.msg.is_some() {
        return subscribe_error(header.code, header.msg.as_deref(), req_id);
    }
    match (header.result, header.id) {
        // The ack does not name the streams; the request id says which they were.
        (Some(result), Some(_)) if result.get() == "null" => Event::Subscribed {
            symbol: None,
            req_id,
        },
        // LIST_SUBSCRIPTIONS / GET_PROPERTY replies: nothing we asked for.
        (Some(_), Some(_)) => Event::Ignored,
        _ => Event::Unknown,
    }
}

fn subscribe_error<'a>(code: Option<i64>, msg: Option<&str>, req_id: Option<u64>) -> Event<'a> {
    let msg = msg.unwrap_or("request rejected");
    Event::SubscribeError {
        symbol: None,
        req_id,
        message: match code {
            Some(code) => format!("{msg} (code {code})"),
            None => msg.to_string(),
        },
    }
}

/// A REST error body (`{"code":-1121,"msg":"Invalid symbol."}`), if `body` is one.
fn api_error(body: &str) -> Option<ParseError> {
    let err: BinanceApiError = serde_json::from_str(body).ok()?;
    let code = err.code?;
    let msg = err.msg.unwrap_or(Cow::Borrowed("no message"));
    Some(ParseError::Schema(format!("binance error {code}: {msg}")))
}

/// Percent-encode everything outside RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

mod candles;
