//! Binance spot as the simulator plays it: the pair list (from the bundled `exchangeInfo`
//! body), the raw-stream endpoint `/ws` with live `SUBSCRIBE` / `UNSUBSCRIBE` /
//! `LIST_SUBSCRIPTIONS` requests, `24hrTicker` events, WebSocket Ping frames every 20 s, and
//! `serverShutdown` for maintenance. REST routes are in `binance_rest.rs`. Pure encoding: no
//! sockets, timers or scenarios.
//!
//! Unknown symbols: real Binance accepts a well-formed stream name for a market it does not
//! list and then sends nothing for it. The simulator does the same (the feed validates
//! symbols against `exchangeInfo` first and marks subscriptions that stay silent). A
//! malformed stream name (upper case, or a stream kind the simulator does not play) fails the
//! whole request with `{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":N}`,
//! which the adapter reports as a rejected subscribe.
//!
//! Prices and quantities print with eight decimals, as Binance prints them (`"9338.96000000"`),
//! their values on the market's tick.
//!
//! See docs: <https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams>

use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::listing::{Instrument, Listing};
use super::market::{PairSpec, Quote};
use super::venue::{Conn, FrameKind, Inbound, KeepAlive, Maintenance, Subscriptions};
use super::venue::{MARKER, Template, Venue};
use super::wire::{fixed, js, step_decimals};

/// The bundled `GET /api/v3/exchangeInfo` body, in Binance's real format.
pub(super) const EXCHANGE_INFO: &str = include_str!("../../../assets/binance-exchange-info.json");

/// Decimals Binance prints prices and quantities with.
pub(super) const WIRE_DECIMALS: u32 = 8;

/// One `exchangeInfo.symbols[]` entry, the fields the simulator reads.
/// See docs: <https://developers.binance.com/docs/binance-spot-api-docs/rest-api/general-endpoints#exchange-information>
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceSymbolEntry {
    symbol: String,
    status: String,
    base_asset: String,
    quote_asset: String,
    #[serde(default)]
    filters: Vec<BinanceFilterEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceFilterEntry {
    filter_type: String,
    #[serde(default)]
    tick_size: Option<String>,
    #[serde(default)]
    step_size: Option<String>,
}

/// The Binance venue: its `exchangeInfo` symbols (`raw` served back by
/// `exchangeInfo?symbol=`), the trading ones streaming.
#[derive(Debug)]
pub struct Binance {
    pub(super) listing: Listing<Instrument>,
    /// `rateLimits` of the bundled body, raw.
    pub(super) rate_limits: String,
}

impl Binance {
    pub fn new() -> Result<Binance, String> {
        Binance::from_exchange_info(EXCHANGE_INFO)
    }

    pub(super) fn from_exchange_info(body: &str) -> Result<Binance, String> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Body<'a> {
            #[serde(borrow)]
            rate_limits: &'a RawValue,
            #[serde(borrow)]
            symbols: Vec<&'a RawValue>,
        }
        let parsed: Body = serde_json::from_str(body).map_err(|e| format!("exchangeInfo: {e}"))?;
        let mut markets = Vec::new();
        for raw in parsed.symbols {
            let e: BinanceSymbolEntry =
                serde_json::from_str(raw.get()).map_err(|e| format!("exchangeInfo entry: {e}"))?;
            let filter = |kind: &str| e.filters.iter().find(|f| f.filter_type == kind);
            let price = filter("PRICE_FILTER")
                .and_then(|f| f.tick_size.as_deref())
                .and_then(step_decimals);
            let lot = filter("LOT_SIZE")
                .and_then(|f| f.step_size.as_deref())
                .and_then(step_decimals);
            markets.push(Instrument {
                trading: e.status == "TRADING",
                price_decimals: price.unwrap_or(WIRE_DECIMALS),
                lot_decimals: lot.unwrap_or(WIRE_DECIMALS),
                symbol: e.symbol,
                base: e.base_asset,
                quote: e.quote_asset,
                raw: raw.get().to_string(),
            });
        }
        Ok(Binance {
            listing: Listing::trading(markets),
            rate_limits: parsed.rate_limits.get().to_string(),
        })
    }
}

/// The 24 h figures of a ticker in the order Binance prints them, each as (stream key,
/// REST key, value): the `24hrTicker` event and `GET ticker/24hr` carry the same figures
/// under different names.
pub(super) fn day_figures(q: &Quote) -> [(&'static str, &'static str, Decimal); 15] {
    let p8 = |d: Decimal| fixed(d, WIRE_DECIMALS);
    let pct = if q.open.is_zero() {
        Decimal::ZERO
    } else {
        q.change / q.open * Decimal::ONE_HUNDRED
    };
    [
        ("p", "priceChange", p8(q.change)),
        ("P", "priceChangePercent", fixed(pct, 3)),
        ("w", "weightedAvgPrice", p8(q.vwap)),
        ("x", "prevClosePrice", p8(q.open)),
        ("c", "lastPrice", p8(q.last)),
        ("Q", "lastQty", p8(q.last_qty)),
        ("b", "bidPrice", p8(q.bid)),
        ("B", "bidQty", p8(q.bid_qty)),
        ("a", "askPrice", p8(q.ask)),
        ("A", "askQty", p8(q.ask_qty)),
        ("o", "openPrice", p8(q.open)),
        ("h", "highPrice", p8(q.high)),
        ("l", "lowPrice", p8(q.low)),
        ("v", "volume", p8(q.volume)),
        ("q", "quoteVolume", p8(q.volume * q.vwap)),
    ]
}

/// The first and last trade ids of the 24 h window.
pub(super) fn trade_ids(q: &Quote) -> (u64, u64) {
    let last = 3_000_000_000 + q.trades;
    (last + 1 - q.trades, last)
}

/// `{"result":..,"id":..}` with the request id echoed as sent.
fn result(result: &str, id: &str) -> String {
    format!("{{\"result\":{result},\"id\":{id}}}")
}

/// The wrapped error form, `{"error":{"code":2,"msg":".."},"id":1}`.
fn error(code: i64, msg: &str, id: &str) -> Inbound {
    Inbound::Invalid {
        reply: format!(
            "{{\"error\":{{\"code\":{code},\"msg\":{}}},\"id\":{id}}}",
            js(msg)
        ),
    }
}

/// A stream name the simulator plays: `<lower-case symbol>@ticker`, giving the symbol.
fn ticker_stream(name: &str) -> Option<String> {
    let (symbol, kind) = name.split_once('@')?;
    let well_formed = !symbol.is_empty()
        && symbol
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    (well_formed && kind == "ticker").then(|| symbol.to_ascii_uppercase())
}

impl Binance {
    /// The streams of a request, as market indices (`None` for a well-formed name of a market
    /// Binance does not list), or the error that fails the whole request.
    fn streams(&self, req: &Value, id: &str) -> Result<Vec<Option<usize>>, Inbound> {
        let params = match req.get("params") {
            Some(Value::Array(p)) => p,
            None => return Err(error(2, "Invalid request: missing field `params`", id)),
            Some(_) => return Err(error(1, "Invalid value type: expected array", id)),
        };
        if params.len() > 1024 {
            return Err(error(2, "Invalid request: too many parameters", id));
        }
        params
            .iter()
            .map(|p| {
                let symbol = p.as_str().and_then(ticker_stream);
                match symbol {
                    Some(s) => Ok(self.listing.index_of(&s)),
                    None => Err(error(2, "Invalid request: invalid stream", id)),
                }
            })
            .collect()
    }

    fn list(&self, subs: &Subscriptions, id: &str) -> Inbound {
        let names: Vec<String> = subs
            .active
            .iter()
            .filter_map(|&i| self.listing.streamed(i))
            .map(|m| js(&format!("{}@ticker", m.symbol.to_ascii_lowercase())))
            .collect();
        Inbound::Invalid {
            reply: result(&format!("[{}]", names.join(",")), id),
        }
    }
}

impl Venue for Binance {
    fn pairs(&self) -> Vec<PairSpec> {
        self.listing.pairs()
    }

    fn is_ws_path(&self, path: &str) -> bool {
        matches!(path, "/ws" | "/ws/")
    }

    /// No status frame on connect; `online == false` is the restart notice.
    fn status(&self, online: bool, _connection_id: u64) -> Option<String> {
        (!online).then(|| {
            format!(
                "{{\"e\":\"serverShutdown\",\"E\":{}}}",
                Utc::now().timestamp_millis()
            )
        })
    }

    fn handle(&self, text: &str, subs: &Subscriptions, _conn: &mut Conn, _now: &str) -> Inbound {
        let req: Value = match serde_json::from_str(text) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) => return error(2, "Invalid request: expected a JSON object", "null"),
            Err(e) => {
                let msg = format!(
                    "Invalid JSON: expected value at line {} column {}",
                    e.line(),
                    e.column()
                );
                return error(3, &msg, "null");
            }
        };
        // Ids are echoed as sent: an unsigned integer, a string of up to 36 characters, or null.
        let id = match req.get("id") {
            None | Some(Value::Null) => "null".to_string(),
            Some(v @ Value::Number(n)) if n.is_u64() => v.to_string(),
            Some(Value::String(s))
                if s.len() <= 36 && s.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                js(s)
            }
            Some(_) => {
                return error(
                    2,
                    "Invalid request: request ID must be an unsigned integer",
                    "null",
                );
            }
        };
        match req.get("method").and_then(Value::as_str) {
            Some("SUBSCRIBE") => match self.streams(&req, &id) {
                Err(e) => e,
                Ok(indices) => {
                    let mut add: Vec<(usize, bool)> = Vec::new();
                    for i in indices.into_iter().flatten() {
                        if !subs.contains(i) && !add.iter().any(|(a, _)| *a == i) {
                            add.push((i, true));
                        }
                    }
                    Inbound::Subscribe {
                        replies: vec![result("null", &id)],
                        add,
                    }
                }
            },
            Some("UNSUBSCRIBE") => match self.streams(&req, &id) {
                Err(e) => e,
                Ok(indices) => {
                    let mut remove: Vec<usize> = Vec::new();
                    for i in indices.into_iter().flatten() {
                        if subs.contains(i) && !remove.contains(&i) {
                            remove.push(i);
                        }
                    }
                    Inbound::Unsubscribe {
                        replies: vec![result("null", &id)],
                        remove,
                    }
                }
            },
            Some("LIST_SUBSCRIPTIONS") => self.list(subs, &id),
            // Raw streams are not wrapped: the `combined` property is false here.
            Some("GET_PROPERTY") => Inbound::Invalid {
                reply: result("false", &id),
            },
            Some("SET_PROPERTY") => Inbound::Invalid {
                reply: result("null", &id),
            },
            Some(other) => error(
                2,
                &format!(
                    "Invalid request: unknown variant {other}, expected one of SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY"
                ),
                &id,
            ),
            None => error(2, "Invalid request: missing field `method`", &id),
        }
    }

    /// A bare `24hrTicker` event (raw stream). `E` is the send time; `O` and `C`, the 24 h
    /// window, follow from it (markers in the suffix).
    fn ticker(&self, index: usize, q: &Quote, _kind: FrameKind) -> Template {
        let symbol = self
            .listing
            .streamed(index)
            .map_or("", |m| m.symbol.as_str());
        let mut suffix = String::with_capacity(400);
        let _ = write!(suffix, ",\"s\":\"{symbol}\"");
        for (key, _, value) in day_figures(q) {
            let _ = write!(suffix, ",\"{key}\":\"{value}\"");
        }
        let (first_id, last_id) = trade_ids(q);
        let _ = write!(
            suffix,
            ",\"O\":{MARKER},\"C\":{MARKER},\"F\":{first_id},\"L\":{last_id},\"n\":{}}}",
            q.trades
        );
        Template {
            prefix: "{\"e\":\"24hrTicker\",\"E\":".to_string(),
            suffix,
        }
    }

    fn wrong_schema(&self) -> String {
        "{\"e\":\"24hrTicker\",\"E\":1786310819126,\"s\":42,\"c\":\"not-a-number\",\"b\":null}"
            .to_string()
    }

    fn ws_path(&self) -> &'static str {
        "/ws"
    }

    /// Event times are milliseconds since the epoch.
    fn clock(&self, t: DateTime<Utc>) -> String {
        t.timestamp_millis().to_string()
    }

    fn stamp(&self, t: &Template, now: &str, _conn: &mut Conn) -> String {
        let close: i64 = now.parse().unwrap_or_default();
        t.stamp_with(now, |n| match n {
            0 => (close - 86_400_000).to_string(),
            _ => close.to_string(),
        })
    }

    /// Binance pings every 20 s: twenty heartbeat intervals.
    fn keep_alive_every(&self, heartbeat: Duration) -> Duration {
        heartbeat * 20
    }

    fn keep_alive(
        &self,
        _subs: &Subscriptions,
        _conn: &mut Conn,
        now: DateTime<Utc>,
    ) -> Option<KeepAlive> {
        Some(KeepAlive::Ping(
            now.timestamp_millis().to_string().into_bytes(),
        ))
    }

    /// A server restart, announced by [`Venue::status`] (`serverShutdown`).
    fn maintenance(&self) -> Maintenance {
        Maintenance::Restart
    }
}
