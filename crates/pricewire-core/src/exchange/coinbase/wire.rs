//! Coinbase Advanced Trade wire types, borrowed from the frame text. Decimals are read from
//! their raw JSON text (`de::opt_decimal`; `""` reads as absent). Unknown fields are ignored.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::exchange::{WireTicker, de};
use crate::model::Field;
use crate::symbol::Symbol;

/// The envelope every Advanced Trade message shares: `channel`, `timestamp` (RFC 3339 with
/// nanoseconds), `sequence_num`, `events`. `type`/`message`/`reason` are the error form.
/// See docs: <https://docs.cdp.coinbase.com/advanced-trade/docs/ws-channels>
#[derive(Debug, Deserialize)]
pub(super) struct CoinbaseMessage<'a> {
    #[serde(borrow, default, deserialize_with = "de::opt_cow")]
    pub channel: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "de::opt_rfc3339")]
    pub timestamp: Option<DateTime<Utc>>,
    /// One counter per connection, across every channel.
    #[serde(default)]
    pub sequence_num: Option<u64>,
    /// Read once the channel says what is inside.
    #[serde(borrow, default)]
    pub events: Option<&'a RawValue>,
    #[serde(rename = "type", borrow, default, deserialize_with = "de::opt_cow")]
    pub kind: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "de::opt_cow")]
    pub message: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "de::opt_cow")]
    pub reason: Option<Cow<'a, str>>,
}

/// One `events[]` element of the `ticker` channel (`type` is `snapshot` or `update`; both
/// carry complete tickers).
/// See docs: <https://docs.cdp.coinbase.com/advanced-trade/docs/ws-channels#ticker-channel>
#[derive(Debug, Deserialize)]
pub(super) struct CoinbaseTickerEvent<'a> {
    #[serde(borrow, default)]
    pub tickers: Vec<CoinbaseTicker<'a>>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CoinbaseTicker<'a> {
    #[serde(borrow)]
    product_id: Cow<'a, str>,
    #[serde(default, deserialize_with = "de::field_decimal")]
    price: Field<Decimal>,
    /// `""` when that side of the book is empty.
    #[serde(default, deserialize_with = "de::field_decimal")]
    best_bid: Field<Decimal>,
    #[serde(default, deserialize_with = "de::field_decimal")]
    best_ask: Field<Decimal>,
    /// Percent already (`0.096` = 0.096 %).
    #[serde(default, deserialize_with = "de::opt_decimal")]
    price_percent_chg_24_h: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    high_24_h: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    low_24_h: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    volume_24_h: Option<Decimal>,
}

impl<'a> CoinbaseTicker<'a> {
    /// No 24 h open is sent; the model derives it from the percentage.
    pub fn into_wire(self, timestamp: Option<DateTime<Utc>>) -> WireTicker<'a> {
        WireTicker {
            symbol: self.product_id,
            change_pct_24h: self.price_percent_chg_24_h,
            high_24h: self.high_24_h,
            low_24h: self.low_24_h,
            volume_24h: self.volume_24_h,
            exchange_ts: timestamp,
            ..WireTicker::default()
        }
        .quotes(self.price, self.best_bid, self.best_ask)
    }
}

/// One `events[]` element of the `subscriptions` channel: channel → product ids.
/// See docs: <https://docs.cdp.coinbase.com/advanced-trade/docs/ws-overview#subscribe>
#[derive(Debug, Deserialize)]
pub(super) struct CoinbaseSubscriptionsEvent<'a> {
    #[serde(borrow)]
    pub subscriptions: CoinbaseSubscriptions<'a>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CoinbaseSubscriptions<'a> {
    #[serde(borrow, default)]
    pub ticker: Vec<Cow<'a, str>>,
}

/// `GET /api/v3/brokerage/market/products` (also the REST ticker, with `product_ids=`).
/// See docs: <https://docs.cdp.coinbase.com/advanced-trade/reference/retailbrokerageapi_getpublicproducts>
#[derive(Debug, Deserialize)]
pub(super) struct CoinbaseProductList<'a> {
    #[serde(borrow)]
    pub products: Vec<CoinbaseProduct<'a>>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CoinbaseProduct<'a> {
    #[serde(borrow)]
    pub product_id: Cow<'a, str>,
    #[serde(borrow, default)]
    base_currency_id: Cow<'a, str>,
    #[serde(borrow, default)]
    quote_currency_id: Cow<'a, str>,
    /// `online`, `delisted`, ...
    #[serde(borrow, default)]
    status: Cow<'a, str>,
    #[serde(default)]
    trading_disabled: bool,
    #[serde(default)]
    is_disabled: bool,
    #[serde(borrow, default, deserialize_with = "de::opt_cow")]
    product_type: Option<Cow<'a, str>>,
    /// The product this one is an alias of (`BTC-USDC` → `BTC-USD`), or `""`.
    #[serde(borrow, default)]
    pub alias: Cow<'a, str>,
    /// Products that alias this one (`BTC-USD` → `["BTC-USDC"]`).
    #[serde(borrow, default, deserialize_with = "null_as_empty")]
    pub alias_to: Vec<Cow<'a, str>>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub price_increment: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub quote_increment: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    price: Option<Decimal>,
    /// Percent, like the WebSocket's `price_percent_chg_24_h` (spelled differently).
    #[serde(default, deserialize_with = "de::opt_decimal")]
    price_percentage_change_24h: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    volume_24h: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    high_24h: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    low_24h: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    best_bid_price: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    best_ask_price: Option<Decimal>,
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Cow<'de, str>>, D::Error> {
    Option::<Vec<Cow<'de, str>>>::deserialize(d).map(Option::unwrap_or_default)
}

impl<'a> CoinbaseProduct<'a> {
    /// Listed, online, trading, spot. Delisted products stay in the list with empty numbers.
    pub fn is_tradable(&self) -> bool {
        self.status == "online"
            && !self.trading_disabled
            && !self.is_disabled
            && self.product_type.as_deref().is_none_or(|t| t == "SPOT")
    }

    /// `BASE/QUOTE` from the currency ids, else from the product id.
    pub fn symbol(&self) -> Option<Symbol> {
        if !self.base_currency_id.is_empty() && !self.quote_currency_id.is_empty() {
            return Some(Symbol::new(&self.base_currency_id, &self.quote_currency_id));
        }
        Symbol::parse_separated(&self.product_id)
    }

    pub fn into_wire(self) -> WireTicker<'a> {
        WireTicker {
            symbol: self.product_id,
            last: self.price,
            bid: self.best_bid_price,
            ask: self.best_ask_price,
            change_pct_24h: self.price_percentage_change_24h,
            high_24h: self.high_24h,
            low_24h: self.low_24h,
            volume_24h: self.volume_24h,
            ..WireTicker::default()
        }
    }
}
