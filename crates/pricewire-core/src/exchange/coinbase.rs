//! Coinbase Advanced Trade: the public market-data WebSocket (`ticker` + `heartbeats`
//! channels) and the public REST products endpoint. Owns Coinbase's wire names (`BTC-USD`)
//! and the meaning of every Advanced Trade frame; never touches sockets, the store or the
//! clock.
//!
//! Keep-alive: channels close after 60–90 s without updates unless `heartbeats` is also
//! subscribed, so every ticker subscribe is paired with a heartbeats subscribe (re-sending
//! it is harmless); there is no application ping.
//!
//! `-USDC` products are aliases of the `-USD` books (`alias` / `alias_to` in the product
//! list; public channels stream the `-USD` data for both). The pair list therefore has one
//! market per book: `BTC-USDC` is an alias spelling of `BTC/USD`, never a separate row that
//! would receive no data.

mod wire;

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::fmt::Write;

use serde::Serialize;

use super::{Event, Exchange, ParseError, Request, RequestIds, RestRate, WireTicker};
use crate::model::ExchangeId;
use crate::symbol::{Instrument, PairList, Symbol};
use wire::{CoinbaseMessage, CoinbaseProduct, CoinbaseProductList};
use wire::{CoinbaseSubscriptionsEvent, CoinbaseTickerEvent};

/// Coinbase Advanced Trade. Stateless.
#[derive(Debug, Clone, Copy, Default)]
pub struct Coinbase;

/// Product ids per REST ticker request, keeping the query string short.
const REST_PRODUCTS_PER_REQUEST: usize = 50;

/// Channels that carry nothing for a ticker row.
const OTHER_CHANNELS: [&str; 7] = [
    "market_trades",
    "l2_data",
    "level2",
    "candles",
    "status",
    "user",
    "futures_balance_summary",
];

/// One subscribe / unsubscribe request: exactly one channel per message.
/// See docs: <https://docs.cdp.coinbase.com/advanced-trade/docs/ws-overview>
#[derive(Serialize)]
struct CoinbaseRequest<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    product_ids: &'a [&'a str],
    channel: &'a str,
}

/// Coinbase takes no request id; its errors name the product in `reason` instead.
fn request(kind: &str, channel: &str, wire: &[&str]) -> Option<Request> {
    let text = serde_json::to_string(&CoinbaseRequest {
        kind,
        product_ids: wire,
        channel,
    })
    .ok()?;
    // Heartbeats are per connection: a refusal of them concerns no row.
    let rows: &[&str] = if channel == "heartbeats" { &[] } else { wire };
    Some(Request::new(None, rows, text))
}

/// The product an error reason names (`LOOM-USDC is delisted`, `NOPE-USD is not a valid
/// product`): the first word spelled like a product id.
fn product_in(reason: &str) -> Option<&str> {
    reason.split_whitespace().find(|w| {
        w.split_once('-').is_some_and(|(base, quote)| {
            let part = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric());
            part(base) && part(quote)
        })
    })
}

impl Exchange for Coinbase {
    super::venue_endpoints! { ExchangeId::Coinbase, ws: "wss://advanced-trade-ws.coinbase.com",
    rest: "https://api.coinbase.com", pairs: "/api/v3/brokerage/market/products",
    candles: candles::path }

    /// Online spot products that trade. A product whose `alias` names a listed product is
    /// folded into that product's aliases (see the module note on `-USDC`).
    fn parse_pair_list(&self, body: &str) -> Result<PairList, ParseError> {
        let list: CoinbaseProductList = serde_json::from_str(body)?;
        let tradable: Vec<&CoinbaseProduct> =
            list.products.iter().filter(|p| p.is_tradable()).collect();
        let ids: HashSet<&str> = tradable.iter().map(|p| p.product_id.as_ref()).collect();
        let mut instruments = Vec::with_capacity(tradable.len());
        for p in tradable {
            if !p.alias.is_empty() && ids.contains(p.alias.as_ref()) {
                continue;
            }
            let Some(symbol) = p.symbol() else { continue };
            instruments.push(Instrument {
                symbol,
                wire: p.product_id.to_string(),
                rest: p.product_id.to_string(),
                price_decimals: p
                    .price_increment
                    .or(p.quote_increment)
                    .map(|t| t.normalize().scale()),
                aliases: p.alias_to.iter().map(ToString::to_string).collect(),
            });
        }
        Ok(self.pair_list(instruments))
    }

    fn instrument_for(&self, symbol: &Symbol) -> Instrument {
        super::dashed_instrument(symbol)
    }

    fn subscribe_requests(&self, wire: &[&str], _ids: &mut RequestIds) -> Vec<Request> {
        if wire.is_empty() {
            return Vec::new();
        }
        ["ticker", "heartbeats"]
            .into_iter()
            .filter_map(|channel| request("subscribe", channel, wire))
            .collect()
    }

    /// Only the ticker channel: heartbeats are per connection and keep the rest alive.
    fn unsubscribe_requests(&self, wire: &[&str], _ids: &mut RequestIds) -> Vec<Request> {
        if wire.is_empty() {
            return Vec::new();
        }
        request("unsubscribe", "ticker", wire).into_iter().collect()
    }

    fn ping(&self, _req_id: u64) -> Option<String> {
        None
    }

    fn parse<'a>(&self, frame: &'a str, out: &mut Vec<Event<'a>>) -> Result<(), ParseError> {
        if !frame.trim_start().starts_with('{') {
            serde_json::from_str::<serde::de::IgnoredAny>(frame)?;
            out.push(Event::Unknown);
            return Ok(());
        }
        let msg: CoinbaseMessage<'a> = serde_json::from_str(frame)?;
        if let Some(n) = msg.sequence_num {
            out.push(Event::Sequence(n));
        }
        let start = out.len();
        match msg.channel.as_deref() {
            Some("ticker" | "ticker_batch") => {
                let events: Vec<CoinbaseTickerEvent<'a>> = serde_json::from_str(events(&msg)?)?;
                for ticker in events.into_iter().flat_map(|e| e.tickers) {
                    out.push(Event::Ticker(ticker.into_wire(msg.timestamp)));
                }
            }
            Some("heartbeats") => out.push(Event::Heartbeat),
            // The full list of current subscriptions, re-sent after every request.
            Some("subscriptions") => {
                let events: Vec<CoinbaseSubscriptionsEvent<'a>> =
                    serde_json::from_str(events(&msg)?)?;
                for product in events.into_iter().flat_map(|e| e.subscriptions.ticker) {
                    out.push(Event::Subscribed {
                        symbol: Some(product),
                        req_id: None,
                    });
                }
            }
            Some(c) if OTHER_CHANNELS.contains(&c) => out.push(Event::Ignored),
            // No Advanced Trade error frame has been captured; `{"type":"error","message":..}`
            // (with an optional `reason`) is the form Coinbase's Exchange feed uses.
            None if msg.kind.as_deref() == Some("error") => {
                let message = msg.message.as_deref().unwrap_or("error");
                let named = msg.reason.as_deref().and_then(product_in);
                out.push(Event::SubscribeError {
                    symbol: named.map(|p| std::borrow::Cow::Owned(p.to_string())),
                    req_id: None,
                    message: match msg.reason.as_deref() {
                        Some(reason) if !reason.is_empty() => format!("{message}: {reason}"),
                        _ => message.to_string(),
                    },
                });
            }
            Some(_) | None => out.push(Event::Unknown),
        }
        if out.len() == start {
            // A ticker frame with no tickers, or a subscription list without the ticker
            // channel (e.g. after the last unsubscribe).
            out.push(Event::Ignored);
        }
        Ok(())
    }

    fn rest_ticker_paths(&self, rest: &[&str]) -> Vec<String> {
        rest.chunks(REST_PRODUCTS_PER_REQUEST)
            .map(|chunk| {
                let mut path = String::from("/api/v3/brokerage/market/products");
                for (i, id) in chunk.iter().enumerate() {
                    path.push(if i == 0 { '?' } else { '&' });
                    path.push_str("product_ids=");
                    percent_encode_into(&mut path, id);
                }
                path
            })
            .collect()
    }

    /// The products list filtered by `product_ids`: last price and 24 h statistics (the
    /// list's best bid/ask are often empty strings, read as absent).
    fn parse_rest_ticker<'a>(&self, body: &'a str) -> Result<Vec<WireTicker<'a>>, ParseError> {
        let list: CoinbaseProductList<'a> = serde_json::from_str(body)?;
        Ok(list
            .products
            .into_iter()
            .map(CoinbaseProduct::into_wire)
            .collect())
    }

    /// About 10 public requests a second per IP.
    fn rest_rate(&self) -> RestRate {
        RestRate::new(5, 5)
    }
}

fn events<'m>(msg: &CoinbaseMessage<'m>) -> Result<&'m str, ParseError> {
    msg.events
        .map(serde_json::value::RawValue::get)
        .ok_or_else(|| ParseError::Schema("coinbase frame without events".into()))
}

/// Percent-encode everything outside RFC 3986's unreserved characters.
fn percent_encode_into(out: &mut String, text: &str) {
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

mod candles;
