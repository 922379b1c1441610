//! Bybit v5 spot as the simulator plays it: the pair list (from the bundled
//! `instruments-info` body), the public spot stream `/v5/public/spot` with per-request acks
//! and failures, `tickers.<SYM>` snapshots (no bid/ask, as on real spot) each followed by an
//! `orderbook.1.<SYM>` snapshot carrying the best bid/ask, and the JSON ping/pong. REST routes
//! are in `bybit_rest.rs`. Pure encoding: no sockets, timers or scenarios.
//!
//! Simplifications: a market is subscribed as a whole, so either of its two topics streams
//! both; topics other than `tickers.` and `orderbook.1.` are refused as unknown handlers;
//! re-subscribing a topic is acked again. Maintenance is a close with 1001 (Bybit has no
//! status frame). Prices print as Bybit prints them: on the tick, trailing zeros dropped.
//!
//! See docs: <https://bybit-exchange.github.io/docs/v5/websocket/public/ticker>

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::listing::{Instrument, Listing};
use super::market::{PairSpec, Quote};
use super::venue::{Conn, FrameKind, Inbound, Maintenance, Subscriptions, Template};
use super::venue::{MARKER, Venue};
use super::wire::{fixed, js, plain, step_decimals};

/// The bundled `GET /v5/market/instruments-info?category=spot` body, in Bybit's format.
pub(super) const INSTRUMENTS: &str =
    include_str!("../../../assets/bybit-instruments-info-spot.json");

/// One `result.list[]` entry, the fields the simulator reads.
/// See docs: <https://bybit-exchange.github.io/docs/v5/market/instrument>
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitInstrumentEntry {
    symbol: String,
    base_coin: String,
    quote_coin: String,
    status: String,
    lot_size_filter: BybitLotFilter,
    price_filter: BybitTickFilter,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitLotFilter {
    base_precision: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitTickFilter {
    tick_size: String,
}

/// The Bybit venue: its spot instruments (`raw` served back by `instruments-info?symbol=`),
/// the trading ones streaming.
#[derive(Debug)]
pub struct Bybit {
    pub(super) listing: Listing<Instrument>,
}

/// `0.0015` for a 0.15 % move: a fraction with four places.
pub(super) fn fraction(q: &Quote) -> Decimal {
    if q.open.is_zero() {
        return fixed(Decimal::ZERO, 4);
    }
    fixed(q.change / q.open, 4)
}

/// A connection id in the recorded shape (`d9avt8shteepr00gfc1g-4zd1x`).
fn conn_id(id: u64) -> String {
    const DIGITS: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
    let mut out = String::with_capacity(26);
    let mut bits = id ^ 0x9E37_79B9_7F4A_7C15;
    for n in 0..25 {
        if n == 20 {
            out.push('-');
            bits = id.rotate_left(29);
        }
        out.push(char::from(DIGITS[(bits & 31) as usize]));
        bits = bits.rotate_right(5);
    }
    out
}

impl Bybit {
    pub fn new() -> Result<Bybit, String> {
        Bybit::from_instruments(INSTRUMENTS)
    }

    pub(super) fn from_instruments(body: &str) -> Result<Bybit, String> {
        #[derive(Deserialize)]
        struct Body<'a> {
            #[serde(borrow)]
            result: List<'a>,
        }
        #[derive(Deserialize)]
        struct List<'a> {
            #[serde(borrow)]
            list: Vec<&'a RawValue>,
        }
        let parsed: Body = serde_json::from_str(body).map_err(|e| format!("instruments: {e}"))?;
        let mut markets = Vec::new();
        for raw in parsed.result.list {
            let e: BybitInstrumentEntry =
                serde_json::from_str(raw.get()).map_err(|e| format!("instrument: {e}"))?;
            markets.push(Instrument {
                trading: e.status == "Trading",
                price_decimals: step_decimals(&e.price_filter.tick_size).unwrap_or(8),
                lot_decimals: step_decimals(&e.lot_size_filter.base_precision).unwrap_or(8),
                symbol: e.symbol,
                base: e.base_coin,
                quote: e.quote_coin,
                raw: raw.get().to_string(),
            });
        }
        Ok(Bybit {
            listing: Listing::trading(markets),
        })
    }

    /// The market a topic names, `Err` with the failure text when it names none.
    fn topic(&self, topic: &str) -> Result<usize, String> {
        let symbol = topic
            .strip_prefix("tickers.")
            .or_else(|| topic.strip_prefix("orderbook.1."));
        match symbol {
            Some(s) => self
                .listing
                .index_of(s)
                .ok_or_else(|| format!("Invalid symbol :[{topic}]")),
            None => Err(format!("error:handler not found,topic:{topic}")),
        }
    }

    /// A reply to a request: `{"success":..,"ret_msg":..,"conn_id":..,"req_id":..,"op":..}`;
    /// `req_id` only when the request carried one, as on the recorded spot stream.
    fn reply(success: bool, ret_msg: &str, conn: &Conn, req_id: Option<&str>, op: &str) -> String {
        let req_id = req_id
            .map(|r| format!(",\"req_id\":{}", js(r)))
            .unwrap_or_default();
        format!(
            "{{\"success\":{success},\"ret_msg\":{},\"conn_id\":\"{}\"{req_id},\"op\":{}}}",
            js(ret_msg),
            conn_id(conn.id),
            js(op)
        )
    }
}

impl Venue for Bybit {
    fn pairs(&self) -> Vec<PairSpec> {
        self.listing.pairs()
    }

    fn is_ws_path(&self, path: &str) -> bool {
        matches!(path, "/v5/public/spot" | "/v5/public/spot/")
    }

    fn handle(&self, text: &str, subs: &Subscriptions, conn: &mut Conn, _now: &str) -> Inbound {
        let Ok(req) = serde_json::from_str::<Value>(text) else {
            return Inbound::Invalid {
                reply: Self::reply(false, "error:unmarshal error", conn, None, ""),
            };
        };
        let req_id = req.get("req_id").and_then(Value::as_str);
        let op = req.get("op").and_then(Value::as_str).unwrap_or_default();
        let args: Vec<&str> = req
            .get("args")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        match op {
            "ping" => Inbound::Ping {
                reply: Self::reply(true, "pong", conn, req_id, "ping"),
            },
            "subscribe" | "unsubscribe" => {
                let mut found: Vec<usize> = Vec::new();
                let mut failed: Vec<String> = Vec::new();
                for topic in &args {
                    match self.topic(topic) {
                        Ok(i) if !found.contains(&i) => found.push(i),
                        Ok(_) => {}
                        Err(e) => failed.push(e),
                    }
                }
                let reply = if args.is_empty() {
                    Self::reply(false, "error:args is empty", conn, req_id, op)
                } else if failed.is_empty() {
                    Self::reply(true, op, conn, req_id, op)
                } else {
                    Self::reply(false, &failed.join(";"), conn, req_id, op)
                };
                let replies = vec![reply];
                if op == "subscribe" {
                    let add = found
                        .into_iter()
                        .filter(|&i| !subs.contains(i))
                        .map(|i| (i, true))
                        .collect();
                    Inbound::Subscribe { replies, add }
                } else {
                    let remove = found.into_iter().filter(|&i| subs.contains(i)).collect();
                    Inbound::Unsubscribe { replies, remove }
                }
            }
            other => Inbound::Invalid {
                reply: Self::reply(false, "error:request not supported", conn, req_id, other),
            },
        }
    }

    /// `success:false` for the whole request, with its `req_id`, naming no topic.
    fn refuse(&self, text: &str, conn: &Conn) -> Option<String> {
        let req: Value = serde_json::from_str(text).ok()?;
        let op = req.get("op").and_then(Value::as_str)?;
        (op == "subscribe").then(|| {
            let req_id = req.get("req_id").and_then(Value::as_str);
            Self::reply(false, "error:subscribe refused", conn, req_id, op)
        })
    }

    fn ticker(&self, index: usize, q: &Quote, _kind: FrameKind) -> Template {
        let Some(m) = self.listing.streamed(index) else {
            return Template::default();
        };
        let index_price = if matches!(m.quote.as_str(), "USDT" | "USDC") {
            format!(",\"usdIndexPrice\":\"{}\"", plain(fixed(q.last, 6)))
        } else {
            String::new()
        };
        let mut suffix = String::with_capacity(360);
        // Spot tickers are snapshots only, every push complete.
        let _ = write!(
            suffix,
            ",\"type\":\"snapshot\",\"cs\":{},\"data\":{{\"symbol\":\"{}\",\"lastPrice\":\"{}\",\"highPrice24h\":\"{}\",\"lowPrice24h\":\"{}\",\"prevPrice24h\":\"{}\",\"volume24h\":\"{}\",\"turnover24h\":\"{}\",\"price24hPcnt\":\"{}\"{index_price}}}}}",
            112_488_000_000 + q.trades,
            m.symbol,
            plain(q.last),
            plain(q.high),
            plain(q.low),
            plain(q.open),
            plain(q.volume),
            plain(fixed(q.volume * q.vwap, 8)),
            fraction(q)
        );
        Template {
            prefix: format!("{{\"topic\":\"tickers.{}\",\"ts\":", m.symbol),
            suffix,
        }
    }

    /// The ticker, then the level-1 book with the best bid/ask (spot tickers carry none).
    fn tickers(&self, index: usize, q: &Quote, kind: FrameKind) -> Vec<Template> {
        let Some(m) = self.listing.streamed(index) else {
            return Vec::new();
        };
        let mut suffix = String::with_capacity(200);
        let _ = write!(
            suffix,
            ",\"type\":\"snapshot\",\"data\":{{\"s\":\"{}\",\"b\":[[\"{}\",\"{}\"]],\"a\":[[\"{}\",\"{}\"]],\"u\":{},\"seq\":{}}},\"cts\":{MARKER}}}",
            m.symbol,
            plain(q.bid),
            plain(q.bid_qty),
            plain(q.ask),
            plain(q.ask_qty),
            62_505_000 + q.trades,
            112_488_000_000 + q.trades
        );
        let book = Template {
            prefix: format!("{{\"topic\":\"orderbook.1.{}\",\"ts\":", m.symbol),
            suffix,
        };
        vec![self.ticker(index, q, kind), book]
    }

    fn wrong_schema(&self) -> String {
        "{\"topic\":\"tickers.BTCUSDT\",\"ts\":\"later\",\"type\":\"snapshot\",\"data\":{\"symbol\":7,\"lastPrice\":\"x\"}}".to_string()
    }

    fn ws_path(&self) -> &'static str {
        "/v5/public/spot"
    }

    fn clock(&self, t: DateTime<Utc>) -> String {
        t.timestamp_millis().to_string()
    }

    /// The book's `cts` (matching-engine time) is the send time too.
    fn stamp(&self, t: &Template, now: &str, _conn: &mut Conn) -> String {
        t.stamp_with(now, |_| now.to_string())
    }

    fn maintenance(&self) -> Maintenance {
        Maintenance::Close
    }
}
