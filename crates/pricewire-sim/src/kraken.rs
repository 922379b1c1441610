//! Kraken as the simulator plays it: the pair list (from the bundled `AssetPairs` body) and
//! the WebSocket v2 protocol (status, subscribe/unsubscribe acks and errors, ticker
//! snapshot/update frames, heartbeat, ping/pong) in the exact shapes of recorded frames.
//! REST routes are in `kraken_rest.rs`. Pure encoding: no sockets, timers or scenarios.
//!
//! See docs: <https://docs.kraken.com/api/docs/websocket-v2/ticker>

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::listing::{Listed, Listing};
use super::market::{PairSpec, Quote};
use super::venue::{Conn, FrameKind, Inbound, KeepAlive, Subscriptions, Template, Venue};
use super::wire::js;

/// The bundled `GET /0/public/AssetPairs` body, in Kraken's real format.
pub(super) const ASSET_PAIRS: &str = include_str!("../../../assets/kraken-asset-pairs.json");

/// Engine version reported in the status frame (the recorded one).
const VERSION: &str = "2.0.10";

/// The heartbeat frame, sent while anything is subscribed.
const HEARTBEAT: &str = "{\"channel\":\"heartbeat\"}";

/// One `AssetPairs` entry, the fields the simulator reads.
/// See docs: <https://docs.kraken.com/api/docs/rest-api/get-tradable-asset-pairs>
#[derive(Debug, Deserialize)]
struct KrakenAssetPair {
    altname: String,
    wsname: Option<String>,
    pair_decimals: u32,
    lot_decimals: u32,
}

/// One listed pair under all of Kraken's names.
#[derive(Debug, Clone)]
pub(super) struct KrakenPair {
    /// REST result key, `XXBTZUSD`.
    pub key: String,
    /// `XBTUSD`.
    pub altname: String,
    /// WebSocket v1 name, `XBT/USD`; `None` for dark-pool pairs.
    pub wsname: Option<String>,
    /// WebSocket v2 name, `BTC/USD`.
    pub v2: Option<String>,
    pub price_decimals: u32,
    pub lot_decimals: u32,
    /// The entry's original JSON text, served back verbatim by `AssetPairs?pair=`.
    pub raw: String,
}

impl Listed for KrakenPair {
    /// The v2 name: what the WebSocket v2 streams, and all that a market is known by.
    fn wire(&self) -> &str {
        self.v2.as_deref().unwrap_or_default()
    }

    fn spec(&self) -> PairSpec {
        // Streamed pairs all have a v2 name, `BASE/QUOTE`.
        let v2 = self.wire();
        let (base, quote) = v2.split_once('/').unwrap_or((v2, "USD"));
        PairSpec::new(base, quote, self.price_decimals, self.lot_decimals)
    }
}

/// The Kraken venue: its asset pairs, those with a v2 name streaming (not the dark pool).
#[derive(Debug)]
pub struct Kraken {
    pub(super) listing: Listing<KrakenPair>,
}

/// v1 asset codes that v2 spells differently.
fn v2_asset(code: &str) -> &str {
    match code {
        "XBT" => "BTC",
        "XDG" => "DOGE",
        other => other,
    }
}

impl Kraken {
    pub fn new() -> Result<Kraken, String> {
        Kraken::from_asset_pairs(ASSET_PAIRS)
    }

    pub(super) fn from_asset_pairs(body: &str) -> Result<Kraken, String> {
        #[derive(Deserialize)]
        struct Body<'a> {
            #[serde(borrow)]
            result: BTreeMap<String, &'a RawValue>,
        }
        let parsed: Body = serde_json::from_str(body).map_err(|e| format!("AssetPairs: {e}"))?;
        let mut pairs = Vec::new();
        for (key, raw) in parsed.result {
            let entry: KrakenAssetPair =
                serde_json::from_str(raw.get()).map_err(|e| format!("AssetPairs {key}: {e}"))?;
            let v2 = entry.wsname.as_deref().and_then(|ws| {
                let (base, quote) = ws.split_once('/')?;
                Some(format!("{}/{}", v2_asset(base), v2_asset(quote)))
            });
            pairs.push(KrakenPair {
                key,
                altname: entry.altname,
                wsname: entry.wsname,
                v2,
                price_decimals: entry.pair_decimals,
                lot_decimals: entry.lot_decimals,
                raw: raw.get().to_string(),
            });
        }
        Ok(Kraken {
            listing: Listing::new(pairs, |p| p.v2.is_some()),
        })
    }
}

/// `,"req_id":N` when the request carried one (echoed verbatim if it is a number).
fn req_id_field(req_id: Option<&Value>) -> String {
    match req_id {
        Some(v @ Value::Number(_)) => format!(",\"req_id\":{v}"),
        _ => String::new(),
    }
}

fn error_reply(error: &str, method: Option<&str>, req_id: Option<&Value>, now: &str) -> String {
    let method = method
        .map(|m| format!(",\"method\":{}", js(m)))
        .unwrap_or_default();
    format!(
        "{{\"error\":{}{method}{},\"success\":false,\"time_in\":\"{now}\",\"time_out\":\"{now}\"}}",
        js(error),
        req_id_field(req_id)
    )
}

fn symbol_error(
    error: &str,
    method: &str,
    symbol: &str,
    req_id: Option<&Value>,
    now: &str,
) -> String {
    format!(
        "{{\"error\":{},\"method\":\"{method}\"{},\"success\":false,\"symbol\":{},\"time_in\":\"{now}\",\"time_out\":\"{now}\"}}",
        js(error),
        req_id_field(req_id),
        js(symbol)
    )
}

impl Kraken {
    fn subscribe(&self, req: &Value, subs: &Subscriptions, now: &str) -> Inbound {
        let req_id = req.get("req_id");
        let params = req.get("params");
        let channel = params
            .and_then(|p| p.get("channel"))
            .and_then(Value::as_str);
        let bad = |msg: &str| Inbound::Invalid {
            reply: error_reply(msg, Some("subscribe"), req_id, now),
        };
        match channel {
            Some("ticker") => {}
            Some(other) => return bad(&format!("Channel {other} is not supported by this server")),
            None => return bad("Missing field: channel"),
        }
        let Some(symbols) = params
            .and_then(|p| p.get("symbol"))
            .and_then(Value::as_array)
        else {
            return bad("Missing field: symbol");
        };
        let trigger = match params.and_then(|p| p.get("event_trigger")) {
            None => "trades",
            Some(v) => match v.as_str() {
                Some(t @ ("trades" | "bbo")) => t,
                _ => return bad("Invalid value for event_trigger"),
            },
        };
        let snapshot = match params.and_then(|p| p.get("snapshot")) {
            None => true,
            Some(v) => match v.as_bool() {
                Some(b) => b,
                None => return bad("Invalid value for snapshot"),
            },
        };
        let mut replies = Vec::new();
        let mut add: Vec<(usize, bool)> = Vec::new();
        for symbol in symbols {
            let Some(symbol) = symbol.as_str() else {
                replies.push(error_reply(
                    "Invalid symbol",
                    Some("subscribe"),
                    req_id,
                    now,
                ));
                continue;
            };
            match self.listing.index_of(symbol) {
                None => replies.push(symbol_error(
                    &format!("Currency pair not supported {symbol}"),
                    "subscribe",
                    symbol,
                    req_id,
                    now,
                )),
                Some(i) if subs.contains(i) || add.iter().any(|(a, _)| *a == i) => {
                    replies.push(symbol_error(
                        "Already subscribed",
                        "subscribe",
                        symbol,
                        req_id,
                        now,
                    ));
                }
                Some(i) => {
                    replies.push(format!(
                        "{{\"method\":\"subscribe\"{},\"result\":{{\"channel\":\"ticker\",\"event_trigger\":\"{trigger}\",\"snapshot\":{snapshot},\"symbol\":{}}},\"success\":true,\"time_in\":\"{now}\",\"time_out\":\"{now}\"}}",
                        req_id_field(req_id),
                        js(symbol)
                    ));
                    add.push((i, snapshot));
                }
            }
        }
        Inbound::Subscribe { replies, add }
    }

    fn unsubscribe(&self, req: &Value, subs: &Subscriptions, now: &str) -> Inbound {
        let req_id = req.get("req_id");
        let params = req.get("params");
        let bad = |msg: &str| Inbound::Invalid {
            reply: error_reply(msg, Some("unsubscribe"), req_id, now),
        };
        if params
            .and_then(|p| p.get("channel"))
            .and_then(Value::as_str)
            != Some("ticker")
        {
            return bad("Subscription Not Found");
        }
        let Some(symbols) = params
            .and_then(|p| p.get("symbol"))
            .and_then(Value::as_array)
        else {
            return bad("Missing field: symbol");
        };
        let mut replies = Vec::new();
        let mut remove = Vec::new();
        for symbol in symbols.iter().filter_map(Value::as_str) {
            match self.listing.index_of(symbol) {
                None => replies.push(symbol_error(
                    &format!("Currency pair not supported {symbol}"),
                    "unsubscribe",
                    symbol,
                    req_id,
                    now,
                )),
                Some(i) if subs.contains(i) && !remove.contains(&i) => {
                    replies.push(format!(
                        "{{\"method\":\"unsubscribe\"{},\"result\":{{\"channel\":\"ticker\",\"symbol\":{}}},\"success\":true,\"time_in\":\"{now}\",\"time_out\":\"{now}\"}}",
                        req_id_field(req_id),
                        js(symbol)
                    ));
                    remove.push(i);
                }
                Some(_) => replies.push(symbol_error(
                    "Subscription Not Found",
                    "unsubscribe",
                    symbol,
                    req_id,
                    now,
                )),
            }
        }
        Inbound::Unsubscribe { replies, remove }
    }
}

impl Venue for Kraken {
    fn pairs(&self) -> Vec<PairSpec> {
        self.listing.pairs()
    }

    fn is_ws_path(&self, path: &str) -> bool {
        matches!(path, "/v2" | "/v2/" | "/")
    }

    fn status(&self, online: bool, connection_id: u64) -> Option<String> {
        let system = if online { "online" } else { "maintenance" };
        Some(format!(
            "{{\"channel\":\"status\",\"type\":\"update\",\"data\":[{{\"version\":\"{VERSION}\",\"system\":\"{system}\",\"api_version\":\"v2\",\"connection_id\":{connection_id}}}]}}"
        ))
    }

    fn handle(&self, text: &str, subs: &Subscriptions, _conn: &mut Conn, now: &str) -> Inbound {
        let Ok(req) = serde_json::from_str::<Value>(text) else {
            return Inbound::Invalid {
                reply: error_reply("Malformed request", None, None, now),
            };
        };
        let req_id = req.get("req_id");
        match req.get("method").and_then(Value::as_str) {
            Some("subscribe") => self.subscribe(&req, subs, now),
            Some("unsubscribe") => self.unsubscribe(&req, subs, now),
            Some("ping") => Inbound::Ping {
                reply: format!(
                    "{{\"method\":\"pong\"{},\"time_in\":\"{now}\",\"time_out\":\"{now}\"}}",
                    req_id_field(req_id)
                ),
            },
            Some(other) => Inbound::Invalid {
                reply: error_reply("Method not found", Some(other), req_id, now),
            },
            None => Inbound::Invalid {
                reply: error_reply("Malformed request", None, req_id, now),
            },
        }
    }

    /// The heartbeat, once a heartbeat interval while anything is subscribed.
    fn keep_alive(
        &self,
        subs: &Subscriptions,
        _conn: &mut Conn,
        _now: chrono::DateTime<chrono::Utc>,
    ) -> Option<KeepAlive> {
        (!subs.active.is_empty()).then(|| KeepAlive::Text(HEARTBEAT.to_string()))
    }

    fn ticker(&self, index: usize, q: &Quote, kind: FrameKind) -> Template {
        let symbol = self.listing.streamed(index).map_or("", Listed::wire);
        let kind = match kind {
            FrameKind::Snapshot => "snapshot",
            FrameKind::Update => "update",
        };
        // Decimals print with their scale, which the market keeps at the pair's precision,
        // so `0.99980` keeps its trailing zero as Kraken's engine prints it.
        let mut prefix = String::with_capacity(320);
        let _ = write!(
            prefix,
            "{{\"channel\":\"ticker\",\"type\":\"{kind}\",\"data\":[{{\"symbol\":\"{symbol}\",\"bid\":{},\"bid_qty\":{},\"ask\":{},\"ask_qty\":{},\"last\":{},\"volume\":{},\"vwap\":{},\"low\":{},\"high\":{},\"change\":{},\"change_pct\":{},\"trades\":{},\"timestamp\":\"",
            q.bid,
            q.bid_qty,
            q.ask,
            q.ask_qty,
            q.last,
            q.volume,
            q.vwap,
            q.low,
            q.high,
            q.change,
            q.change_pct,
            q.trades
        );
        Template {
            prefix,
            suffix: "\"}]}".to_string(),
        }
    }

    fn wrong_schema(&self) -> String {
        "{\"channel\":\"ticker\",\"type\":\"update\",\"data\":{\"symbol\":42,\"bid\":\"not-a-number\",\"ask\":null}}".to_string()
    }
}
