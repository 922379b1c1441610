//! Kraken spot, WebSocket API v2 (`wss://ws.kraken.com/v2`) and the public REST API
//! (`AssetPairs`, `Ticker`). Pure: frames to send and the meaning of frames received.
//!
//! Kraken prints prices as JSON *numbers* with the engine's precision (`1.00000`); they are
//! read from the raw number text so every digit survives. Names: v2 uses `BTC/USD`, REST
//! `XBTUSD` / `XXBTZUSD`, v1 `XBT/USD`; the pair list indexes all of them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Event, Exchange, ParseError, WireTicker, parse_decimal};
use crate::model::ExchangeId;
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
    pub event_trigger: EventTrigger,
}

impl Default for Kraken {
    fn default() -> Self {
        Kraken {
            event_trigger: EventTrigger::Bbo,
        }
    }
}

/// Every v2 message, as one envelope of optional fields.
/// See docs: <https://docs.kraken.com/api/docs/websocket-v2/ticker>
///
/// Read by [`Envelope`] in one pass: when `channel` is `ticker` and precedes `data` (as
/// Kraken sends it), the ticker array is decoded straight into the output, so the hot path
/// neither buffers `data` as raw text nor scans it twice. Otherwise `data` is kept raw and
/// decoded afterwards. Strings are borrowed from the frame where it has no escapes.
#[derive(Default)]
struct KrakenMessage<'a> {
    channel: Option<Cow<'a, str>>,
    data: Option<&'a RawValue>,
    /// Ticker elements already decoded into the output while reading `data`.
    tickers_done: bool,
    method: Option<Cow<'a, str>>,
    success: Option<bool>,
    error: Option<Cow<'a, str>>,
    symbol: Option<Cow<'a, str>>,
    result: Option<KrakenResult<'a>>,
    req_id: Option<u64>,
}

/// Envelope keys; anything else is skipped.
#[derive(Deserialize, Clone, Copy)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Key {
    Channel,
    Data,
    Method,
    Success,
    Error,
    Symbol,
    Result,
    ReqId,
    #[serde(other)]
    Other,
}

/// A string borrowed from the frame when it has no escapes (serde's `Option<Cow<str>>`
/// always copies).
#[derive(Deserialize)]
struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);

fn opt_cow<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    Option::<Borrowed<'de>>::deserialize(d).map(|o| o.map(|b| b.0))
}

/// An optional borrowed string field.
#[derive(Deserialize)]
struct Opt<'a>(#[serde(borrow, deserialize_with = "opt_cow")] Option<Cow<'a, str>>);

/// Reads the envelope, decoding a ticker `data` array into `out` as it goes.
struct Envelope<'o, 'a> {
    out: &'o mut Vec<Event<'a>>,
}

impl<'de> serde::de::DeserializeSeed<'de> for Envelope<'_, 'de> {
    type Value = KrakenMessage<'de>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_struct("KrakenMessage", &[], self)
    }
}

impl<'de> serde::de::Visitor<'de> for Envelope<'_, 'de> {
    type Value = KrakenMessage<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a Kraken v2 message object")
    }

    /// The positional form derived structs also accept (`[]` is an empty message): the
    /// fields in declaration order, `data` kept raw.
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut msg = KrakenMessage::default();
        let Some(Opt(channel)) = seq.next_element()? else {
            return Ok(msg);
        };
        msg.channel = channel;
        let Some(data) = seq.next_element()? else {
            return Ok(msg);
        };
        msg.data = data;
        let Some(Opt(method)) = seq.next_element()? else {
            return Ok(msg);
        };
        msg.method = method;
        let Some(success) = seq.next_element()? else {
            return Ok(msg);
        };
        msg.success = success;
        let Some(Opt(error)) = seq.next_element()? else {
            return Ok(msg);
        };
        msg.error = error;
        let Some(Opt(symbol)) = seq.next_element()? else {
            return Ok(msg);
        };
        msg.symbol = symbol;
        let Some(result) = seq.next_element()? else {
            return Ok(msg);
        };
        msg.result = result;
        if let Some(req_id) = seq.next_element()? {
            msg.req_id = req_id;
        }
        Ok(msg)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        const NAMES: [&str; 8] = [
            "channel", "data", "method", "success", "error", "symbol", "result", "req_id",
        ];
        let mut msg = KrakenMessage::default();
        let mut seen = 0u16;
        while let Some(key) = map.next_key::<Key>()? {
            if !matches!(key, Key::Other) {
                // As derived structs do: a repeated field is an error.
                let bit = 1u16 << (key as u16);
                if seen & bit != 0 {
                    return Err(serde::de::Error::duplicate_field(NAMES[key as usize]));
                }
                seen |= bit;
            }
            match key {
                Key::Channel => msg.channel = map.next_value::<Opt<'de>>()?.0,
                Key::Data if msg.channel.as_deref() == Some("ticker") => {
                    map.next_value_seed(TickerArray {
                        out: &mut *self.out,
                    })?;
                    msg.tickers_done = true;
                }
                Key::Data => msg.data = map.next_value()?,
                Key::Method => msg.method = map.next_value::<Opt<'de>>()?.0,
                Key::Success => msg.success = map.next_value()?,
                Key::Error => msg.error = map.next_value::<Opt<'de>>()?.0,
                Key::Symbol => msg.symbol = map.next_value::<Opt<'de>>()?.0,
                Key::Result => msg.result = map.next_value()?,
                Key::ReqId => msg.req_id = map.next_value()?,
                Key::Other => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(msg)
    }
}

/// A ticker `data` array, each element pushed to `out` as an [`Event::Ticker`].
struct TickerArray<'o, 'a> {
    out: &'o mut Vec<Event<'a>>,
}

impl<'de> serde::de::DeserializeSeed<'de> for TickerArray<'_, 'de> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for TickerArray<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of tickers")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(t) = seq.next_element::<KrakenTicker<'de>>()? {
            self.out.push(Event::Ticker(t.into_wire()));
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct KrakenResult<'a> {
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    symbol: Option<Cow<'a, str>>,
}

/// One element of a ticker `data` array.
/// See docs: <https://docs.kraken.com/api/docs/websocket-v2/ticker>
#[derive(Deserialize)]
struct KrakenTicker<'a> {
    #[serde(borrow)]
    symbol: Cow<'a, str>,
    #[serde(default, deserialize_with = "opt_number")]
    bid: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_number")]
    ask: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_number")]
    last: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_number")]
    volume: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_number")]
    vwap: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_number")]
    low: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_number")]
    high: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_number")]
    change: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_number")]
    change_pct: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_time")]
    timestamp: Option<DateTime<Utc>>,
}

/// `de::opt_decimal` with a fast path for the plain numbers Kraken sends (`97123.4`):
/// digits, one sign and a point go straight to `Decimal::from_str_exact`; anything else
/// (exponents, strings, overlong digits) takes the shared path. Same results either way.
fn opt_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    let raw: Option<&'de RawValue> = Option::deserialize(d)?;
    let Some(text) = raw.map(RawValue::get) else {
        return Ok(None);
    };
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
    if plain && let Ok(d) = Decimal::from_str_exact(text) {
        return Ok(Some(d));
    }
    match text {
        "null" | "\"\"" => Ok(None),
        _ => parse_decimal(text)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("not a decimal: {text}"))),
    }
}

/// `de::opt_rfc3339`, reading the text borrowed from the frame instead of a copy.
fn opt_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    match opt_cow(d)? {
        None => Ok(None),
        Some(s) => DateTime::parse_from_rfc3339(&s)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(serde::de::Error::custom),
    }
}

impl<'a> KrakenTicker<'a> {
    fn into_wire(self) -> WireTicker<'a> {
        WireTicker {
            symbol: self.symbol,
            last: self.last,
            bid: self.bid,
            ask: self.ask,
            open_24h: None,
            change_24h: self.change,
            change_pct_24h: self.change_pct,
            high_24h: self.high,
            low_24h: self.low,
            volume_24h: self.volume,
            vwap_24h: self.vwap,
            exchange_ts: self.timestamp,
        }
    }
}

#[derive(Deserialize)]
struct KrakenStatus<'a> {
    #[serde(borrow)]
    system: Cow<'a, str>,
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
    fn id(&self) -> ExchangeId {
        ExchangeId::Kraken
    }

    fn default_ws_url(&self) -> &'static str {
        "wss://ws.kraken.com/v2"
    }

    fn default_rest_url(&self) -> &'static str {
        "https://api.kraken.com"
    }

    fn asset_aliases(&self) -> &'static [(&'static str, &'static str)] {
        ASSET_ALIASES
    }

    fn pair_list_path(&self) -> &'static str {
        "/0/public/AssetPairs"
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
        Ok(PairList::new("kraken", instruments, ASSET_ALIASES))
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

    fn subscribe(&self, wire: &[&str], req_id: u64) -> Vec<String> {
        vec![Self::request(
            "subscribe",
            wire,
            req_id,
            Some(self.event_trigger),
        )]
    }

    fn unsubscribe(&self, wire: &[&str], req_id: u64) -> Vec<String> {
        vec![Self::request("unsubscribe", wire, req_id, None)]
    }

    fn ping(&self, req_id: u64) -> Option<String> {
        Some(format!(r#"{{"method":"ping","req_id":{req_id}}}"#))
    }

    fn ping_interval(&self) -> Duration {
        Duration::from_secs(15)
    }

    fn parse<'a>(&self, frame: &'a str, out: &mut Vec<Event<'a>>) -> Result<(), ParseError> {
        let start = out.len();
        let result = parse_message(frame, out);
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
            })
            .collect();
        out.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        Ok(out)
    }
}

fn parse_message<'a>(frame: &'a str, out: &mut Vec<Event<'a>>) -> Result<(), ParseError> {
    use serde::de::DeserializeSeed as _;
    let mut de = serde_json::Deserializer::from_str(frame);
    let msg = Envelope { out: &mut *out }.deserialize(&mut de)?;
    de.end()?;
    if let Some(channel) = msg.channel.as_deref() {
        match channel {
            "ticker" => {
                if !msg.tickers_done {
                    let data = msg
                        .data
                        .ok_or_else(|| ParseError::Schema("ticker without data".into()))?;
                    let mut de = serde_json::Deserializer::from_str(data.get());
                    TickerArray { out }.deserialize(&mut de)?;
                    de.end()?;
                }
            }
            "heartbeat" => out.push(Event::Heartbeat),
            "status" => {
                let data = msg
                    .data
                    .ok_or_else(|| ParseError::Schema("status without data".into()))?;
                let statuses: Vec<KrakenStatus<'_>> = serde_json::from_str(data.get())?;
                out.extend(statuses.into_iter().map(|s| Event::Status {
                    healthy: s.system == "online",
                    status: s.system.into_owned(),
                }));
            }
            c if OTHER_CHANNELS.contains(&c) => out.push(Event::Ignored),
            _ => out.push(Event::Unknown),
        }
        return Ok(());
    }
    let symbol = msg.symbol.or(msg.result.and_then(|r| r.symbol));
    let event = match (msg.method.as_deref(), msg.success) {
        (Some("pong"), _) => Event::Pong { req_id: msg.req_id },
        (Some("subscribe"), Some(true)) => Event::Subscribed { symbol },
        (Some("unsubscribe"), Some(true)) => Event::Unsubscribed { symbol },
        (Some("subscribe" | "unsubscribe"), Some(false)) => Event::SubscribeError {
            symbol,
            message: msg.error.map_or_else(
                || "request rejected".to_string(),
                std::borrow::Cow::into_owned,
            ),
        },
        (Some(_), Some(false)) => Event::SubscribeError {
            symbol: None,
            message: msg.error.map_or_else(
                || "request rejected".to_string(),
                std::borrow::Cow::into_owned,
            ),
        },
        _ => Event::Unknown,
    };
    out.push(event);
    Ok(())
}

#[cfg(test)]
mod tests;
