//! Bybit v5 spot: the public spot WebSocket (`tickers.<SYM>` + `orderbook.1.<SYM>`), the
//! JSON ping, and the REST `instruments-info` / `tickers` endpoints. Owns Bybit's wire names
//! (`BTCUSDT`) and the meaning of every Bybit frame; never touches sockets, the store or the
//! clock.
//!
//! Spot tickers carry no best bid/ask, so each symbol also subscribes the level-1 order
//! book, whose every push is a full snapshot of the top level (re-sent after 3 s without
//! change); it becomes a bid/ask-only ticker that the store merges into the row. Larger
//! books (`orderbook.50`, `.200`) are deltas from which no top of book can be read, so they
//! are ignored.

mod wire;

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::time::Duration;

use serde::Serialize;

use super::{Event, Exchange, ParseError, Request, RequestIds, RestRate, WireTicker};
use crate::model::{ExchangeId, Field};
use crate::symbol::{Instrument, PairList, Symbol};
use wire::BybitTickerList;
use wire::{BybitInstruments, BybitMessage, BybitOrderbook, BybitResponse, BybitTicker};

/// Bybit v5 spot. Stateless.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bybit;

/// Spot accepts at most 10 topics per subscribe request: 5 symbols of 2 topics each.
const ARGS_PER_REQUEST: usize = 10;
const TOPICS_PER_SYMBOL: usize = 2;

/// Topic prefixes that carry nothing for a ticker row.
const OTHER_TOPICS: [&str; 6] = [
    "orderbook.",
    "publicTrade.",
    "kline.",
    "tickers_lt.",
    "kline_lt.",
    "liquidation.",
];

/// `{"req_id":"7","op":"subscribe","args":["tickers.BTCUSDT","orderbook.1.BTCUSDT"]}`.
/// See docs: <https://bybit-exchange.github.io/docs/v5/ws/connect#how-to-subscribe-to-topics>
#[derive(Serialize)]
struct BybitRequest<'a> {
    req_id: String,
    op: &'a str,
    args: &'a [String],
}

/// One request per chunk of symbols, each with its own `req_id`: the ack or error of a
/// chunk names no topic, only that id.
fn requests(op: &str, wire: &[&str], ids: &mut RequestIds) -> Vec<Request> {
    wire.chunks(ARGS_PER_REQUEST / TOPICS_PER_SYMBOL)
        .filter_map(|chunk| {
            let args: Vec<String> = chunk
                .iter()
                .flat_map(|w| [format!("tickers.{w}"), format!("orderbook.1.{w}")])
                .collect();
            let id = ids.next_id();
            serde_json::to_string(&BybitRequest {
                req_id: id.to_string(),
                op,
                args: &args,
            })
            .ok()
            .map(|text| Request::new(Some(id), chunk, text))
        })
        .collect()
}

impl Exchange for Bybit {
    super::venue_endpoints! { ExchangeId::Bybit, ws: "wss://stream.bybit.com/v5/public/spot",
    rest: "https://api.bybit.com", pairs: "/v5/market/instruments-info?category=spot",
    candles: |rest, window, _| candles::path(rest, window) }

    /// Instruments with status `Trading`; wire and REST names are both `BTCUSDT`.
    fn parse_pair_list(&self, body: &str) -> Result<PairList, ParseError> {
        let resp: BybitResponse<BybitInstruments> = serde_json::from_str(body)?;
        let list = resp.into_result()?.list;
        let instruments = list
            .into_iter()
            .filter(|i| i.status == "Trading")
            .map(|i| Instrument {
                symbol: Symbol::new(&i.base_coin, &i.quote_coin),
                wire: i.symbol.to_string(),
                rest: i.symbol.to_string(),
                price_decimals: i
                    .price_filter
                    .and_then(|f| f.tick_size)
                    .map(|t| t.normalize().scale()),
                aliases: Vec::new(),
            })
            .collect();
        Ok(self.pair_list(instruments))
    }

    fn instrument_for(&self, symbol: &Symbol) -> Instrument {
        super::joined_instrument(symbol)
    }

    fn subscribe_requests(&self, wire: &[&str], ids: &mut RequestIds) -> Vec<Request> {
        requests("subscribe", wire, ids)
    }

    fn unsubscribe_requests(&self, wire: &[&str], ids: &mut RequestIds) -> Vec<Request> {
        requests("unsubscribe", wire, ids)
    }

    fn ping(&self, req_id: u64) -> Option<String> {
        Some(format!(r#"{{"req_id":"{req_id}","op":"ping"}}"#))
    }

    /// Bybit's recommendation; a connection with no ping and no data is cut after 10 min.
    fn ping_interval(&self) -> Duration {
        Duration::from_secs(20)
    }

    fn parse<'a>(&self, frame: &'a str, out: &mut Vec<Event<'a>>) -> Result<(), ParseError> {
        if !frame.trim_start().starts_with('{') {
            serde_json::from_str::<serde::de::IgnoredAny>(frame)?;
            out.push(Event::Unknown);
            return Ok(());
        }
        let msg: BybitMessage<'a> = serde_json::from_str(frame)?;
        let event = match (msg.topic.as_deref(), msg.op.as_deref()) {
            (Some(topic), _) => topic_event(topic, &msg)?,
            (None, Some(op)) => op_event(op, &msg),
            (None, None) => Event::Unknown,
        };
        out.push(event);
        Ok(())
    }

    fn rest_ticker_paths(&self, rest: &[&str]) -> Vec<String> {
        rest.iter()
            .map(|s| format!("/v5/market/tickers?category=spot&symbol={s}"))
            .collect()
    }

    /// REST spot tickers do carry `bid1Price` / `ask1Price`; `time` is the response time.
    fn parse_rest_ticker<'a>(&self, body: &'a str) -> Result<Vec<WireTicker<'a>>, ParseError> {
        let resp: BybitResponse<'a, BybitTickerList<'a>> = serde_json::from_str(body)?;
        let time = resp.time;
        let list = resp.into_result()?.list;
        Ok(list.into_iter().map(|t| t.into_wire(time)).collect())
    }

    /// 600 requests per 5 s per IP; going over blocks the IP for 10 minutes.
    fn rest_rate(&self) -> RestRate {
        RestRate::new(10, 10)
    }
}

/// A data push: `{"topic":..,"ts":..,"type":"snapshot"|"delta","data":..}`.
fn topic_event<'a>(topic: &str, msg: &BybitMessage<'a>) -> Result<Event<'a>, ParseError> {
    let data = || {
        msg.data
            .map(serde_json::value::RawValue::get)
            .ok_or_else(|| ParseError::Schema(format!("bybit {topic} push without data")))
    };
    if topic.starts_with("tickers.") {
        // Spot pushes full snapshots; linear/inverse push deltas of changed fields only,
        // which the store merges the same way.
        let t: BybitTicker<'a> = serde_json::from_str(data()?)?;
        return Ok(Event::Ticker(t.into_wire(msg.ts)));
    }
    if topic.starts_with("orderbook.1.") {
        let book: BybitOrderbook<'a> = serde_json::from_str(data()?)?;
        return Ok(Event::Ticker(
            WireTicker {
                symbol: book.symbol,
                exchange_ts: msg.ts,
                ..WireTicker::default()
            }
            .quotes(Field::Absent, book.bid, book.ask),
        ));
    }
    if OTHER_TOPICS.iter().any(|p| topic.starts_with(p)) {
        return Ok(Event::Ignored);
    }
    Ok(Event::Unknown)
}

/// A reply to one of our requests (subscribe, unsubscribe, ping).
fn op_event<'a>(op: &str, msg: &BybitMessage<'a>) -> Event<'a> {
    let ret_msg = msg.ret_msg.as_deref().unwrap_or_default();
    let req_id = msg.req_id.as_deref().and_then(|id| id.parse().ok());
    match (op, msg.success) {
        ("subscribe", Some(true)) => Event::Subscribed {
            symbol: None,
            req_id,
        },
        ("unsubscribe", Some(true)) => Event::Unsubscribed {
            symbol: None,
            req_id,
        },
        ("subscribe" | "unsubscribe", Some(false)) => Event::SubscribeError {
            symbol: rejected_symbol(ret_msg).map(Cow::Owned),
            req_id,
            message: if op == "subscribe" {
                ret_msg.to_string()
            } else {
                format!("unsubscribe failed: {ret_msg}")
            },
        },
        // Spot and linear answer `op:"ping"` with `ret_msg:"pong"`; option and spread
        // answer `op:"pong"`.
        ("ping", Some(true)) if ret_msg == "pong" => pong(msg),
        ("pong", _) => pong(msg),
        _ => Event::Unknown,
    }
}

fn pong<'a>(msg: &BybitMessage<'a>) -> Event<'a> {
    Event::Pong {
        req_id: msg.req_id.as_deref().and_then(|id| id.parse().ok()),
    }
}

/// The symbol of a rejected topic, when the message names one:
/// `Invalid symbol :[tickers.NOPE]`, `error:handler not found,topic:publicTrade.NOPE`.
fn rejected_symbol(message: &str) -> Option<String> {
    let topic = if let Some(i) = message.find('[') {
        message[i + 1..].split([']', ',']).next()?
    } else if let Some(i) = message.find("topic:") {
        message[i + "topic:".len()..].split([',', ' ']).next()?
    } else {
        return None;
    };
    let symbol = topic.rsplit('.').next()?.trim();
    (!symbol.is_empty() && symbol.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| symbol.to_string())
}

mod candles;
