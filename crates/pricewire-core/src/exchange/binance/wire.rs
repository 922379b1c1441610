//! Binance's wire types, borrowed from the frame text. Decimals are read from their raw
//! JSON text (`de::opt_decimal`), never through `f64`. Unknown fields are ignored.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::exchange::{WireTicker, de};
use crate::model::Field;

/// The fields that say what a frame is, read before the typed body. Every event shape
/// (`24hrTicker`, `depthUpdate`, `@bookTicker`, replies, errors) fits it; `b`/`a` are not
/// read here because depth events carry arrays under those keys.
/// See docs: <https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams>
#[derive(Debug, Deserialize)]
pub(super) struct BinanceHeader<'a> {
    /// Combined-stream wrapper: the event itself.
    #[serde(borrow, default)]
    pub data: Option<&'a RawValue>,
    #[serde(rename = "e", borrow, default, deserialize_with = "de::opt_cow")]
    pub event: Option<Cow<'a, str>>,
    #[serde(rename = "s", borrow, default, deserialize_with = "de::opt_cow")]
    pub symbol: Option<Cow<'a, str>>,
    #[serde(rename = "u", default)]
    pub update_id: Option<u64>,
    #[serde(rename = "lastUpdateId", default)]
    pub last_update_id: Option<u64>,
    /// Kept raw so that `"result":null` (present, null) differs from no `result` at all.
    #[serde(borrow, default, deserialize_with = "present")]
    pub result: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub id: Option<&'a RawValue>,
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(borrow, default, deserialize_with = "de::opt_cow")]
    pub msg: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub error: Option<BinanceErrorBody<'a>>,
}

/// `{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":1}`.
/// See docs: <https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams#error-messages>
#[derive(Debug, Deserialize)]
pub(super) struct BinanceErrorBody<'a> {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(borrow, default, deserialize_with = "de::opt_cow")]
    pub msg: Option<Cow<'a, str>>,
}

/// A REST error body: `{"code":-1121,"msg":"Invalid symbol."}`.
/// See docs: <https://developers.binance.com/docs/binance-spot-api-docs/errors>
#[derive(Debug, Deserialize)]
pub(super) struct BinanceApiError<'a> {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(borrow, default, deserialize_with = "de::opt_cow")]
    pub msg: Option<Cow<'a, str>>,
}

/// Keep a field's raw text, `null` included.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

/// `<symbol>@ticker`: rolling 24 h statistics with the best bid/ask, every second.
/// See docs: <https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams#individual-symbol-ticker-streams>
#[derive(Debug, Deserialize)]
pub(super) struct BinanceTicker<'a> {
    #[serde(rename = "E", default, deserialize_with = "de::opt_millis")]
    event_time: Option<DateTime<Utc>>,
    #[serde(rename = "s", borrow)]
    symbol: Cow<'a, str>,
    #[serde(rename = "c", default, deserialize_with = "de::opt_decimal")]
    last: Option<Decimal>,
    #[serde(rename = "b", default, deserialize_with = "de::opt_decimal")]
    bid: Option<Decimal>,
    #[serde(rename = "a", default, deserialize_with = "de::opt_decimal")]
    ask: Option<Decimal>,
    #[serde(rename = "o", default, deserialize_with = "de::opt_decimal")]
    open: Option<Decimal>,
    #[serde(rename = "p", default, deserialize_with = "de::opt_decimal")]
    change: Option<Decimal>,
    /// Percent already (`4.720` = 4.72 %).
    #[serde(rename = "P", default, deserialize_with = "de::opt_decimal")]
    change_pct: Option<Decimal>,
    #[serde(rename = "h", default, deserialize_with = "de::opt_decimal")]
    high: Option<Decimal>,
    #[serde(rename = "l", default, deserialize_with = "de::opt_decimal")]
    low: Option<Decimal>,
    /// Base-asset volume (`q` is the quote volume).
    #[serde(rename = "v", default, deserialize_with = "de::opt_decimal")]
    volume: Option<Decimal>,
    #[serde(rename = "w", default, deserialize_with = "de::opt_decimal")]
    vwap: Option<Decimal>,
}

/// A best bid or ask: Binance prints an empty book side as price `0.00000000` (with size
/// zero), which is no price at all, so it clears the row's value.
fn side(price: Option<Decimal>) -> Field<Decimal> {
    match price {
        Some(p) if p.is_zero() => Field::Cleared,
        other => other.into(),
    }
}

impl<'a> BinanceTicker<'a> {
    pub fn into_wire(self) -> WireTicker<'a> {
        WireTicker {
            symbol: self.symbol,
            open_24h: self.open,
            change_24h: self.change,
            change_pct_24h: self.change_pct,
            high_24h: self.high,
            low_24h: self.low,
            volume_24h: self.volume,
            vwap_24h: self.vwap,
            exchange_ts: self.event_time,
            ..WireTicker::default()
        }
        .quotes(self.last.into(), side(self.bid), side(self.ask))
    }
}

/// `<symbol>@bookTicker`: best bid/ask in real time, with no event type and no time.
/// See docs: <https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams#individual-symbol-book-ticker-streams>
#[derive(Debug, Deserialize)]
pub(super) struct BinanceBookTicker<'a> {
    #[serde(rename = "s", borrow)]
    symbol: Cow<'a, str>,
    #[serde(rename = "b", default, deserialize_with = "de::opt_decimal")]
    bid: Option<Decimal>,
    #[serde(rename = "a", default, deserialize_with = "de::opt_decimal")]
    ask: Option<Decimal>,
}

impl<'a> BinanceBookTicker<'a> {
    /// A bid/ask-only update: the store keeps the 24 h fields from `@ticker`.
    pub fn into_wire(self) -> WireTicker<'a> {
        WireTicker {
            symbol: self.symbol,
            ..WireTicker::default()
        }
        .quotes(Field::Absent, side(self.bid), side(self.ask))
    }
}

/// One element of `GET /api/v3/ticker/24hr`.
/// See docs: <https://developers.binance.com/docs/binance-spot-api-docs/rest-api/market-data-endpoints#24hr-ticker-price-change-statistics>
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BinanceRestTicker<'a> {
    #[serde(borrow)]
    symbol: Cow<'a, str>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    last_price: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    bid_price: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    ask_price: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    open_price: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    price_change: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    price_change_percent: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    high_price: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    low_price: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    volume: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    weighted_avg_price: Option<Decimal>,
    /// End of the 24 h window: when these statistics were computed.
    #[serde(default, deserialize_with = "de::opt_millis")]
    close_time: Option<DateTime<Utc>>,
}

impl<'a> BinanceRestTicker<'a> {
    pub fn into_wire(self) -> WireTicker<'a> {
        WireTicker {
            symbol: self.symbol,
            open_24h: self.open_price,
            change_24h: self.price_change,
            change_pct_24h: self.price_change_percent,
            high_24h: self.high_price,
            low_24h: self.low_price,
            volume_24h: self.volume,
            vwap_24h: self.weighted_avg_price,
            exchange_ts: self.close_time,
            ..WireTicker::default()
        }
        .quotes(
            self.last_price.into(),
            side(self.bid_price),
            side(self.ask_price),
        )
    }
}

/// `GET /api/v3/exchangeInfo`.
/// See docs: <https://developers.binance.com/docs/binance-spot-api-docs/rest-api/general-endpoints#exchange-information>
#[derive(Debug, Deserialize)]
pub(super) struct BinanceExchangeInfo<'a> {
    #[serde(borrow)]
    pub symbols: Vec<BinanceSymbolInfo<'a>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BinanceSymbolInfo<'a> {
    #[serde(borrow)]
    pub symbol: Cow<'a, str>,
    /// `TRADING`, `HALT` or `BREAK`.
    #[serde(borrow)]
    pub status: Cow<'a, str>,
    #[serde(borrow)]
    pub base_asset: Cow<'a, str>,
    #[serde(borrow)]
    pub quote_asset: Cow<'a, str>,
    #[serde(borrow, default)]
    pub filters: Vec<BinanceFilter<'a>>,
}

/// One entry of `filters`; only `PRICE_FILTER`'s `tickSize` is read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BinanceFilter<'a> {
    #[serde(borrow)]
    pub filter_type: Cow<'a, str>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub tick_size: Option<Decimal>,
}
