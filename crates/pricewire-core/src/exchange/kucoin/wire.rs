//! `KuCoin` wire types: what the venue sends and takes, as borrowed serde structs whose
//! decimals are read from the raw JSON text. Owns no logic beyond field mapping.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::exchange::{ParseError, WireTicker, de};
use crate::model::Field;

/// The REST success code.
const OK: &str = "200000";

/// One subscribe/unsubscribe request; `id` comes back (as a string) in the ack.
/// See docs: <https://www.kucoin.com/docs/websocket/basic-info/subscribe/introduction>
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct KucoinRequest<'t> {
    pub(super) id: u64,
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) topic: &'t str,
    pub(super) private_channel: bool,
    pub(super) response: bool,
}

/// Every frame the server sends: `welcome`, `ack`, `pong`, `error` or `message`.
/// See docs: <https://www.kucoin.com/docs/websocket/basic-info/create-connection>
#[derive(Deserialize)]
pub(super) struct KucoinFrame<'a> {
    #[serde(rename = "type", borrow, default)]
    pub(super) kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(super) id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) topic: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(super) subject: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(super) data: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) code: Option<&'a RawValue>,
}

/// `/market/ticker:<symbol>` data: best bid/ask and the last trade, prices as strings.
/// See docs: <https://www.kucoin.com/docs/websocket/spot-trading/public-channels/ticker>
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct KucoinTicker {
    #[serde(default, deserialize_with = "de::field_decimal")]
    pub(super) price: Field<Decimal>,
    /// `null` when that side of the book is empty.
    #[serde(default, deserialize_with = "de::field_decimal")]
    pub(super) best_bid: Field<Decimal>,
    #[serde(default, deserialize_with = "de::field_decimal")]
    pub(super) best_ask: Field<Decimal>,
    #[serde(default, deserialize_with = "de::opt_millis")]
    pub(super) time: Option<DateTime<Utc>>,
}

/// `/market/snapshot:<symbol>` data: `{"sequence":..,"data":{..}}`; the inner `data` is one
/// object in recorded frames and an array in the 2023 docs, so it stays raw until looked at.
/// See docs: <https://www.kucoin.com/docs/websocket/spot-trading/public-channels/symbol-snapshot>
#[derive(Deserialize)]
pub(super) struct KucoinSnapshotEnvelope<'a> {
    #[serde(borrow)]
    pub(super) data: &'a RawValue,
}

/// 24 h statistics of one symbol, JSON numbers (some with 20 decimal places).
/// See docs: <https://www.kucoin.com/docs/websocket/spot-trading/public-channels/symbol-snapshot>
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct KucoinSnapshot<'a> {
    #[serde(borrow)]
    pub(super) symbol: Cow<'a, str>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub(super) last_traded_price: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub(super) close: Option<Decimal>,
    /// Best bid; `null` when that side of the book is empty.
    #[serde(default, deserialize_with = "de::field_decimal")]
    pub(super) buy: Field<Decimal>,
    #[serde(default, deserialize_with = "de::field_decimal")]
    pub(super) sell: Field<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub(super) open: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub(super) high: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub(super) low: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub(super) vol: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub(super) change_price: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub(super) change_rate: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_millis")]
    pub(super) datetime: Option<DateTime<Utc>>,
}

impl<'a> KucoinSnapshot<'a> {
    pub(super) fn into_wire(self) -> WireTicker<'a> {
        WireTicker {
            symbol: self.symbol,
            open_24h: self.open,
            change_24h: self.change_price,
            change_pct_24h: self.change_rate.and_then(fraction_to_percent),
            high_24h: self.high,
            low_24h: self.low,
            volume_24h: self.vol,
            exchange_ts: self.datetime,
            ..WireTicker::default()
        }
        .quotes(
            self.last_traded_price.or(self.close).into(),
            self.buy,
            self.sell,
        )
    }
}

/// `GET /api/v1/market/stats?symbol=` data: 24 h stats as strings; `buy` is the best bid.
/// See docs: <https://www.kucoin.com/docs/rest/spot-trading/market-data/get-24hr-stats>
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct KucoinStats<'a> {
    #[serde(borrow)]
    pub(super) symbol: Cow<'a, str>,
    #[serde(default, deserialize_with = "de::field_decimal")]
    pub(super) last: Field<Decimal>,
    #[serde(default, deserialize_with = "de::field_decimal")]
    pub(super) buy: Field<Decimal>,
    #[serde(default, deserialize_with = "de::field_decimal")]
    pub(super) sell: Field<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub(super) high: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub(super) low: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub(super) vol: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub(super) change_price: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub(super) change_rate: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_millis")]
    pub(super) time: Option<DateTime<Utc>>,
}

impl<'a> KucoinStats<'a> {
    pub(super) fn into_wire(self) -> WireTicker<'a> {
        WireTicker {
            symbol: self.symbol,
            change_24h: self.change_price,
            change_pct_24h: self.change_rate.and_then(fraction_to_percent),
            high_24h: self.high,
            low_24h: self.low,
            volume_24h: self.vol,
            exchange_ts: self.time,
            ..WireTicker::default()
        }
        .quotes(self.last, self.buy, self.sell)
    }
}

/// One row of `GET /api/v2/symbols` (and of the deprecated v1, same fields).
/// See docs: <https://www.kucoin.com/docs/rest/spot-trading/market-data/get-symbols-list>
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct KucoinSymbol<'a> {
    #[serde(borrow)]
    pub(super) symbol: Cow<'a, str>,
    #[serde(borrow, default)]
    pub(super) name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(super) base_currency: Cow<'a, str>,
    #[serde(borrow)]
    pub(super) quote_currency: Cow<'a, str>,
    #[serde(borrow, default)]
    pub(super) price_increment: Cow<'a, str>,
    #[serde(default)]
    pub(super) enable_trading: bool,
}

/// `POST /api/v1/bullet-public` data: a token and the servers to dial with it.
/// See docs: <https://www.kucoin.com/docs/websocket/basic-info/apply-connect-token/public-token-no-authentication-required->
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct KucoinBullet<'a> {
    #[serde(borrow)]
    pub(super) token: Cow<'a, str>,
    #[serde(borrow)]
    pub(super) instance_servers: Vec<KucoinServer<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct KucoinServer<'a> {
    #[serde(borrow)]
    pub(super) endpoint: Cow<'a, str>,
    #[serde(default)]
    pub(super) ping_interval: Option<u64>,
    #[serde(default)]
    pub(super) ping_timeout: Option<u64>,
}

/// REST envelope: `code` `"200000"` is success; errors carry `msg`.
#[derive(Deserialize)]
pub(super) struct KucoinRest<'a, T> {
    #[serde(borrow)]
    pub(super) code: Cow<'a, str>,
    #[serde(borrow, default)]
    pub(super) msg: Cow<'a, str>,
    pub(super) data: Option<T>,
}

pub(super) fn rest_data<'a, T: Deserialize<'a>>(body: &'a str) -> Result<T, ParseError> {
    let rest: KucoinRest<'a, T> = serde_json::from_str(body)?;
    match rest.data {
        Some(data) if rest.code == OK => Ok(data),
        _ => Err(ParseError::Schema(format!(
            "kucoin error {}: {}",
            rest.code, rest.msg
        ))),
    }
}

/// `0.0046` → `0.46`, `-0.5` → `-50`: moves the decimal point two places, so no digit is
/// lost or invented.
fn fraction_to_percent(fraction: Decimal) -> Option<Decimal> {
    let mut pct = fraction;
    if let Some(scale) = fraction.scale().checked_sub(2) {
        pct.set_scale(scale).ok()?;
    } else {
        pct = fraction.checked_mul(Decimal::ONE_HUNDRED)?;
        pct.rescale(0);
    }
    Some(pct)
}
