//! Kraken v2 messages read by serde: every message kind, every spelling JSON allows.
//! Ticker frames in Kraken's own form take the scanner in `ticker.rs` first; this reader
//! takes whatever that one declines and gives malformed frames their error message.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::OTHER_CHANNELS;
use crate::exchange::de::{self, opt_cow};
use crate::exchange::{Event, ParseError, WireTicker};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::model::Field;

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
    /// `null` when that side of the book is empty.
    #[serde(default, deserialize_with = "de::field_decimal")]
    bid: Field<Decimal>,
    #[serde(default, deserialize_with = "de::field_decimal")]
    ask: Field<Decimal>,
    /// `null` when the pair has not traded in 24 h.
    #[serde(default, deserialize_with = "de::field_decimal")]
    last: Field<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    volume: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    vwap: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    low: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    high: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    change: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    change_pct: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_rfc3339")]
    timestamp: Option<DateTime<Utc>>,
}

impl<'a> KrakenTicker<'a> {
    fn into_wire(self) -> WireTicker<'a> {
        WireTicker {
            symbol: self.symbol,
            open_24h: None,
            change_24h: self.change,
            change_pct_24h: self.change_pct,
            high_24h: self.high,
            low_24h: self.low,
            volume_24h: self.volume,
            vwap_24h: self.vwap,
            exchange_ts: self.timestamp,
            ..WireTicker::default()
        }
        .quotes(self.last, self.bid, self.ask)
    }
}

#[derive(Deserialize)]
struct KrakenStatus<'a> {
    #[serde(borrow)]
    system: Cow<'a, str>,
}

pub(super) fn parse_message<'a>(
    frame: &'a str,
    out: &mut Vec<Event<'a>>,
) -> Result<(), ParseError> {
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
    // Acks and errors echo the request's `req_id`.
    let req_id = msg.req_id;
    let event = match (msg.method.as_deref(), msg.success) {
        (Some("pong"), _) => Event::Pong { req_id },
        (Some("subscribe"), Some(true)) => Event::Subscribed { symbol, req_id },
        (Some("unsubscribe"), Some(true)) => Event::Unsubscribed { symbol, req_id },
        (Some("subscribe" | "unsubscribe"), Some(false)) => Event::SubscribeError {
            symbol,
            req_id,
            message: msg.error.map_or_else(
                || "request rejected".to_string(),
                std::borrow::Cow::into_owned,
            ),
        },
        (Some(_), Some(false)) => Event::SubscribeError {
            symbol: None,
            req_id,
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
