//! Bybit v5 wire types, borrowed from the frame text. Decimals are read from their raw
//! JSON text (`de::opt_decimal`; `""` reads as absent). Unknown fields are ignored.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::de::{IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::exchange::{ParseError, WireTicker, de};
use crate::model::Field;

/// Every public-stream message: data pushes (`topic`, `ts`, `type`, `data`) and replies to
/// requests (`op`, `success`, `ret_msg`, `req_id`, `conn_id`).
/// See docs: <https://bybit-exchange.github.io/docs/v5/ws/connect>
#[derive(Debug, Deserialize)]
pub(super) struct BybitMessage<'a> {
    #[serde(borrow, default, deserialize_with = "de::opt_cow")]
    pub topic: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "de::opt_millis")]
    pub ts: Option<DateTime<Utc>>,
    /// Read once the topic says what is inside.
    #[serde(borrow, default)]
    pub data: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "de::opt_cow")]
    pub op: Option<Cow<'a, str>>,
    #[serde(default)]
    pub success: Option<bool>,
    #[serde(borrow, default, deserialize_with = "de::opt_cow")]
    pub ret_msg: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "de::opt_cow")]
    pub req_id: Option<Cow<'a, str>>,
}

/// `tickers.<SYMBOL>` data, and one element of REST `/v5/market/tickers`. Spot pushes carry
/// no bid/ask (REST does); linear deltas carry only the fields that changed.
/// See docs: <https://bybit-exchange.github.io/docs/v5/websocket/public/ticker>
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BybitTicker<'a> {
    #[serde(borrow)]
    symbol: Cow<'a, str>,
    #[serde(default, deserialize_with = "de::field_decimal")]
    last_price: Field<Decimal>,
    /// REST only; `""` when that side of the book is empty.
    #[serde(default, deserialize_with = "de::field_decimal")]
    bid1_price: Field<Decimal>,
    #[serde(default, deserialize_with = "de::field_decimal")]
    ask1_price: Field<Decimal>,
    /// The price 24 h ago: the rolling 24 h open.
    #[serde(default, deserialize_with = "de::opt_decimal")]
    prev_price24h: Option<Decimal>,
    /// A fraction: `0.0015` = 0.15 %.
    #[serde(default, deserialize_with = "de::opt_decimal")]
    price24h_pcnt: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    high_price24h: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    low_price24h: Option<Decimal>,
    /// Base-coin volume (`turnover24h` is the quote volume).
    #[serde(default, deserialize_with = "de::opt_decimal")]
    volume24h: Option<Decimal>,
}

impl<'a> BybitTicker<'a> {
    pub fn into_wire(self, ts: Option<DateTime<Utc>>) -> WireTicker<'a> {
        WireTicker {
            symbol: self.symbol,
            open_24h: self.prev_price24h,
            change_pct_24h: self.price24h_pcnt.and_then(fraction_to_percent),
            high_24h: self.high_price24h,
            low_24h: self.low_price24h,
            volume_24h: self.volume24h,
            exchange_ts: ts,
            ..WireTicker::default()
        }
        .quotes(self.last_price, self.bid1_price, self.ask1_price)
    }
}

/// `0.0015` → `0.15`: the decimal point moves two places, so no digit is invented.
pub(super) fn fraction_to_percent(fraction: Decimal) -> Option<Decimal> {
    let mut pct = fraction;
    if pct.scale() >= 2 && pct.set_scale(pct.scale() - 2).is_ok() {
        return Some(pct);
    }
    fraction.checked_mul(Decimal::ONE_HUNDRED)
}

/// `orderbook.<depth>.<SYMBOL>` data; only the first level of each side is read. Level 1
/// pushes are whole snapshots of the top level, so an empty side (`"b":[]`) is a side with
/// nothing resting on it: [`Field::Cleared`].
/// See docs: <https://bybit-exchange.github.io/docs/v5/websocket/public/orderbook>
#[derive(Debug, Deserialize)]
pub(super) struct BybitOrderbook<'a> {
    #[serde(rename = "s", borrow)]
    pub symbol: Cow<'a, str>,
    #[serde(rename = "b", default, deserialize_with = "first_price")]
    pub bid: Field<Decimal>,
    #[serde(rename = "a", default, deserialize_with = "first_price")]
    pub ask: Field<Decimal>,
}

/// One `[price, size]` level.
#[derive(Deserialize)]
struct BybitLevel(
    #[serde(deserialize_with = "de::opt_decimal")] Option<Decimal>,
    IgnoredAny,
);

/// The price of the first level of a `[[price, size], ...]` list (cleared when the list is
/// empty); the rest is skipped without being stored.
fn first_price<'de, D: Deserializer<'de>>(d: D) -> Result<Field<Decimal>, D::Error> {
    struct FirstPrice;
    impl<'de> Visitor<'de> for FirstPrice {
        type Value = Field<Decimal>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of [price, size] levels")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let first: Option<BybitLevel> = seq.next_element()?;
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(match first.and_then(|level| level.0) {
                Some(price) => Field::Value(price),
                None => Field::Cleared,
            })
        }
    }
    d.deserialize_seq(FirstPrice)
}

/// The REST envelope: `{"retCode":0,"retMsg":"OK","result":{..},"retExtInfo":{},"time":..}`.
/// See docs: <https://bybit-exchange.github.io/docs/v5/intro#common-response-parameters>
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BybitResponse<'a, T> {
    ret_code: i64,
    #[serde(borrow, default)]
    ret_msg: Cow<'a, str>,
    /// Absent or `{}` on errors: read only when `retCode` is 0.
    result: Option<T>,
    #[serde(default, deserialize_with = "de::opt_millis")]
    pub time: Option<DateTime<Utc>>,
}

impl<T> BybitResponse<'_, T> {
    /// The result, or Bybit's error code and message.
    pub fn into_result(self) -> Result<T, ParseError> {
        match (self.ret_code, self.result) {
            (0, Some(result)) => Ok(result),
            (0, None) => Err(ParseError::Schema("bybit response without result".into())),
            (code, _) => Err(ParseError::Schema(format!(
                "bybit error {code}: {}",
                self.ret_msg
            ))),
        }
    }
}

/// `result` of `GET /v5/market/tickers`.
/// See docs: <https://bybit-exchange.github.io/docs/v5/market/tickers>
#[derive(Debug, Deserialize)]
pub(super) struct BybitTickerList<'a> {
    #[serde(borrow, default)]
    pub list: Vec<BybitTicker<'a>>,
}

/// `result` of `GET /v5/market/instruments-info?category=spot`.
/// See docs: <https://bybit-exchange.github.io/docs/v5/market/instrument>
#[derive(Debug, Deserialize)]
pub(super) struct BybitInstruments<'a> {
    #[serde(borrow, default)]
    pub list: Vec<BybitInstrument<'a>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BybitInstrument<'a> {
    #[serde(borrow)]
    pub symbol: Cow<'a, str>,
    #[serde(borrow)]
    pub base_coin: Cow<'a, str>,
    #[serde(borrow)]
    pub quote_coin: Cow<'a, str>,
    /// `Trading` for live markets.
    #[serde(borrow, default)]
    pub status: Cow<'a, str>,
    #[serde(default)]
    pub price_filter: Option<BybitPriceFilter>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BybitPriceFilter {
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub tick_size: Option<Decimal>,
}
