//! Kraken spot, WebSocket API v2 (`wss://ws.kraken.com/v2`) and the public REST API
//! (`AssetPairs`, `Ticker`). Pure: frames to send and the meaning of frames received.
//!
//! Kraken prints prices as JSON *numbers* with the engine's precision (`1.00000`); they are
//! read from the raw number text so every digit survives. Names: v2 uses `BTC/USD`, REST
//! `XBTUSD` / `XXBTZUSD`, v1 `XBT/USD`; the pair list indexes all of them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::time::Duration;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{
    Event, Exchange, ParseError, Request, RequestIds, RestRate, WireTicker, parse_decimal,
};
use crate::model::{Cleared, ExchangeId};
use crate::symbol::{Instrument, PairList, Symbol};

/// Kraken's own asset codes for assets everyone else names differently.
const ASSET_ALIASES: &[(&str, &str)] = &[("XBT", "BTC"), ("XDG", "DOGE")];

/// Channels Kraken v2 publishes that carry nothing for a ticker dashboard.
const OTHER_CHANNELS: &[&str] = &[
    "book",
    "trade",
    "ohlc",
    "instrument",
    "level3",
    "executions",
    "balances",
];

/// Which event publishes a ticker update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventTrigger {
    /// Every best-bid/offer change: bid/ask stay live (the default).
    Bbo,
    /// Every trade (Kraken's own default).
    Trades,
}

/// The Kraken adapter.
#[derive(Debug, Clone, Copy)]
pub struct Kraken {
    /// Which event publishes a ticker update (the config's `feed.event_trigger`).
    pub event_trigger: EventTrigger,
}

impl std::str::FromStr for EventTrigger {
    type Err = String;

    /// The config's spelling, which is Kraken's: `bbo` or `trades`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "bbo" => Ok(EventTrigger::Bbo),
            "trades" => Ok(EventTrigger::Trades),
            _ => Err("must be \"bbo\" or \"trades\"".to_string()),
        }
    }
}

impl Default for Kraken {
    fn default() -> Self {
        Kraken {
            event_trigger: EventTrigger::Bbo,
        }
    }
}

/// `AssetPairs` entry. See docs: <https://docs.kraken.com/api/docs/rest-api/get-tradable-asset-pairs>
#[derive(Deserialize)]
struct KrakenAssetPair {
    altname: String,
    #[serde(default)]
    wsname: Option<String>,
    #[serde(default)]
    pair_decimals: Option<u32>,
}

#[derive(Deserialize)]
struct KrakenRestBody<'a, T> {
    #[serde(borrow, default)]
    error: Vec<Cow<'a, str>>,
    #[serde(default = "Option::default")]
    result: Option<T>,
}

/// REST `Ticker` entry: arrays of strings (`o` a single string, today's open).
/// See docs: <https://docs.kraken.com/api/docs/rest-api/get-ticker-information>
#[derive(Deserialize)]
struct KrakenRestTicker<'a> {
    #[serde(borrow, default)]
    a: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    b: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    c: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    v: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    p: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    l: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    h: Vec<&'a RawValue>,
}

fn nth(values: &[&RawValue], i: usize) -> Option<Decimal> {
    values.get(i).and_then(|v| parse_decimal(v.get()))
}

fn canonical_asset(code: &str) -> &str {
    ASSET_ALIASES
        .iter()
        .find(|(from, _)| *from == code)
        .map_or(code, |(_, to)| to)
}

impl Kraken {
    fn request(method: &str, wire: &[&str], req_id: u64, trigger: Option<EventTrigger>) -> String {
        let mut params = serde_json::json!({ "channel": "ticker", "symbol": wire });
        if let Some(t) = trigger {
            params["event_trigger"] = serde_json::Value::from(match t {
                EventTrigger::Bbo => "bbo",
                EventTrigger::Trades => "trades",
            });
        }
        serde_json::json!({ "method": method, "params": params, "req_id": req_id }).to_string()
    }
}

impl Exchange for Kraken {
    super::venue_endpoints! { ExchangeId::Kraken, ws: "wss://ws.kraken.com/v2",
    rest: "https://api.kraken.com", pairs: "/0/public/AssetPairs",
    candles: candles::path }

    fn asset_aliases(&self) -> &'static [(&'static str, &'static str)] {
        ASSET_ALIASES
    }

    fn parse_pair_list(&self, body: &str) -> Result<PairList, ParseError> {
        let parsed: KrakenRestBody<'_, HashMap<String, KrakenAssetPair>> =
            serde_json::from_str(body)?;
        if !parsed.error.is_empty() {
            return Err(ParseError::Schema(parsed.error.join("; ")));
        }
        let pairs = parsed
            .result
            .ok_or_else(|| ParseError::Schema("AssetPairs without result".into()))?;
        let mut instruments: Vec<Instrument> = pairs
            .into_iter()
            // Dark-pool books (`*.d`) have no WebSocket name and no public ticker.
            .filter_map(|(key, pair)| {
                let wsname = pair.wsname?;
                let (base, quote) = wsname.split_once('/')?;
                let symbol = Symbol::new(canonical_asset(base), canonical_asset(quote));
                Some(Instrument {
                    wire: symbol.to_string(),
                    symbol,
                    rest: pair.altname,
                    price_decimals: pair.pair_decimals,
                    aliases: vec![key, wsname],
                })
            })
            .collect();
        // HashMap order is random; a stable order keeps suggestions deterministic.
        instruments.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        Ok(self.pair_list(instruments))
    }

    fn instrument_for(&self, symbol: &Symbol) -> Instrument {
        let venue = |code: &str| {
            ASSET_ALIASES
                .iter()
                .find(|(_, canonical)| *canonical == code)
                .map_or(code.to_string(), |(from, _)| (*from).to_string())
        };
        Instrument {
            symbol: symbol.clone(),
            wire: symbol.to_string(),
            rest: format!("{}{}", venue(symbol.base()), venue(symbol.quote())),
            price_decimals: None,
            aliases: Vec::new(),
        }
    }

    /// One request for every symbol: Kraken acks each symbol by name.
    fn subscribe_requests(&self, wire: &[&str], ids: &mut RequestIds) -> Vec<Request> {
        let id = ids.next_id();
        let text = Self::request("subscribe", wire, id, Some(self.event_trigger));
        vec![Request::new(Some(id), wire, text)]
    }

    fn unsubscribe_requests(&self, wire: &[&str], ids: &mut RequestIds) -> Vec<Request> {
        let id = ids.next_id();
        let text = Self::request("unsubscribe", wire, id, None);
        vec![Request::new(Some(id), wire, text)]
    }

    fn ping(&self, req_id: u64) -> Option<String> {
        Some(format!(r#"{{"method":"ping","req_id":{req_id}}}"#))
    }

    fn ping_interval(&self) -> Duration {
        Duration::from_secs(15)
    }

    fn parse<'a>(&self, frame: &'a str, out: &mut Vec<Event<'a>>) -> Result<(), ParseError> {
        let start = out.len();
        if ticker::frame(frame, out).is_some() {
            return Ok(());
        }
        out.truncate(start);
        let result = envelope::parse_message(frame, out);
        if result.is_err() {
            // A frame that fails yields no events, even if some tickers were decoded.
            out.truncate(start);
        }
        result
    }

    fn rest_ticker_paths(&self, rest: &[&str]) -> Vec<String> {
        if rest.is_empty() {
            return Vec::new();
        }
        // Kraken takes a comma list; keep URLs short by batching.
        rest.chunks(20)
            .map(|chunk| format!("/0/public/Ticker?pair={}", chunk.join(",")))
            .collect()
    }

    fn parse_rest_ticker<'a>(&self, body: &'a str) -> Result<Vec<WireTicker<'a>>, ParseError> {
        let parsed: KrakenRestBody<'a, HashMap<Cow<'a, str>, KrakenRestTicker<'a>>> =
            serde_json::from_str(body)?;
        if !parsed.error.is_empty() {
            return Err(ParseError::Schema(parsed.error.join("; ")));
        }
        let mut out: Vec<WireTicker<'a>> = parsed
            .result
            .unwrap_or_default()
            .into_iter()
            .map(|(key, t)| WireTicker {
                symbol: key,
                last: nth(&t.c, 0),
                bid: nth(&t.b, 0),
                ask: nth(&t.a, 0),
                // REST `o` is today's open (00:00 UTC), not the 24 h open: left out
                // rather than shown as a 24 h change it is not.
                open_24h: None,
                change_24h: None,
                change_pct_24h: None,
                high_24h: nth(&t.h, 1),
                low_24h: nth(&t.l, 1),
                volume_24h: nth(&t.v, 1),
                vwap_24h: nth(&t.p, 1),
                exchange_ts: None,
                cleared: Cleared::default(),
            })
            .collect();
        out.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        Ok(out)
    }

    /// Kraken publishes no fixed public limit; about one a second is what it tolerates.
    fn rest_rate(&self) -> RestRate {
        RestRate::new(1, 3)
    }
}

mod envelope;
mod ticker;

#[cfg(test)]
mod tests;

mod candles;
