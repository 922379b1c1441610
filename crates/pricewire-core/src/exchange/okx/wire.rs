//! OKX v5 wire types: what the venue sends and takes, as borrowed serde structs whose
//! decimals are read from the raw JSON text. Owns no logic beyond field mapping.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::exchange::{ParseError, WireTicker, de};
use crate::model::Field;

/// One subscribe/unsubscribe request.
/// See docs: <https://www.okx.com/docs-v5/en/#overview-websocket-subscribe>
#[derive(Serialize)]
pub(super) struct OkxRequest<'w> {
    pub(super) op: &'static str,
    pub(super) args: Vec<OkxArg<'w>>,
}

/// A channel + instrument pair, in requests, acks and pushes.
/// See docs: <https://www.okx.com/docs-v5/en/#overview-websocket-subscribe>
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OkxArg<'a> {
    #[serde(borrow)]
    pub(super) channel: Cow<'a, str>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(super) inst_id: Option<Cow<'a, str>>,
}

/// Every JSON frame on `/ws/v5/public`: an event (`subscribe`, `error`, `notice`, ...) or a
/// push (`arg` + `data`). `data` stays raw until the channel says it is worth parsing.
/// See docs: <https://www.okx.com/docs-v5/en/#overview-websocket>
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OkxFrame<'a> {
    #[serde(borrow, default)]
    pub(super) event: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(super) arg: Option<OkxArg<'a>>,
    #[serde(borrow, default)]
    pub(super) data: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) code: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(super) msg: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(super) channel: Option<Cow<'a, str>>,
}

/// One ticker, identical in the `tickers` push and in `GET /api/v5/market/ticker`.
/// See docs: <https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-tickers-channel>
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OkxTicker<'a> {
    #[serde(borrow)]
    pub(super) inst_id: Cow<'a, str>,
    #[serde(borrow, default)]
    pub(super) inst_type: Option<Cow<'a, str>>,
    /// `""` before the first trade.
    #[serde(default, deserialize_with = "de::field_decimal")]
    pub(super) last: Field<Decimal>,
    /// `""` when nothing rests on that side of the book.
    #[serde(default, deserialize_with = "de::field_decimal")]
    pub(super) bid_px: Field<Decimal>,
    #[serde(default, deserialize_with = "de::field_decimal")]
    pub(super) ask_px: Field<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub(super) open24h: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub(super) high24h: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub(super) low24h: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub(super) vol24h: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub(super) vol_ccy24h: Option<Decimal>,
    #[serde(default, deserialize_with = "de::opt_millis")]
    pub(super) ts: Option<DateTime<Utc>>,
}

impl<'a> OkxTicker<'a> {
    pub(super) fn into_wire(self) -> WireTicker<'a> {
        // SPOT/MARGIN count `vol24h` in base units; derivatives count contracts there and
        // give the base amount in `volCcy24h`.
        let volume_24h = match self.inst_type.as_deref() {
            None | Some("SPOT" | "MARGIN") => self.vol24h,
            Some(_) => self.vol_ccy24h,
        };
        WireTicker {
            symbol: self.inst_id,
            // No change field on OKX: `Ticker::derive_24h` computes change and percent.
            open_24h: self.open24h,
            high_24h: self.high24h,
            low_24h: self.low24h,
            volume_24h,
            exchange_ts: self.ts,
            ..WireTicker::default()
        }
        .quotes(self.last, self.bid_px, self.ask_px)
    }
}

/// REST envelope: `code` `"0"` is success, anything else carries `msg`.
/// See docs: <https://www.okx.com/docs-v5/en/#order-book-trading-market-data-get-ticker>
#[derive(Deserialize)]
pub(super) struct OkxRest<'a, T> {
    #[serde(borrow)]
    pub(super) code: Cow<'a, str>,
    #[serde(borrow, default)]
    pub(super) msg: Cow<'a, str>,
    #[serde(default = "Vec::new")]
    pub(super) data: Vec<T>,
}

/// One row of `GET /api/v5/public/instruments?instType=SPOT`.
/// See docs: <https://www.okx.com/docs-v5/en/#public-data-rest-api-get-instruments>
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OkxInstrument<'a> {
    #[serde(borrow)]
    pub(super) inst_id: Cow<'a, str>,
    #[serde(borrow)]
    pub(super) base_ccy: Cow<'a, str>,
    #[serde(borrow)]
    pub(super) quote_ccy: Cow<'a, str>,
    #[serde(borrow, default)]
    pub(super) state: Cow<'a, str>,
    #[serde(borrow, default)]
    pub(super) tick_sz: Cow<'a, str>,
}

pub(super) fn rest_body<'a, T: Deserialize<'a>>(body: &'a str) -> Result<Vec<T>, ParseError> {
    let rest: OkxRest<'a, T> = serde_json::from_str(body)?;
    if rest.code != "0" {
        return Err(ParseError::Schema(format!(
            "okx error {}: {}",
            rest.code, rest.msg
        )));
    }
    Ok(rest.data)
}
