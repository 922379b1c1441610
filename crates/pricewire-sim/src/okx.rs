//! OKX v5 as the simulator plays it: the SPOT instrument list (the bundled
//! `public/instruments` body) and the `/ws/v5/public` protocol: text `ping`/`pong`,
//! per-arg subscribe/unsubscribe acks, `60018` errors for unknown instruments, `tickers`
//! pushes (all values strings, `ts` in milliseconds as a string) and the `64008` upgrade
//! notice. REST routes are in `okx_rest.rs`. Pure encoding: no sockets, timers or scenarios.
//!
//! See docs: <https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-tickers-channel>

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value;

use super::listing::{Instrument, Listing};
use super::market::{PairSpec, Quote};
use super::venue::Venue;
use super::venue::{Conn, FrameKind, Inbound, Maintenance, Subscriptions, Template};
use super::wire::{fixed, js, positive_step_decimals};

/// The bundled `GET /api/v5/public/instruments?instType=SPOT` body, in OKX's format.
pub(super) const INSTRUMENTS: &str = include_str!("../../../assets/okx-instruments.json");

/// The text OKX pushes about 30 s before closing connections for an upgrade.
const UPGRADE_NOTICE: &str = r#"{"event":"notice","msg":"The connection will soon be closed for a service upgrade. Please reconnect.","code":"64008"}"#;

/// One instrument row, the fields the simulator reads.
/// See docs: <https://www.okx.com/docs-v5/en/#public-data-rest-api-get-instruments>
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxInstrumentRow {
    inst_id: String,
    base_ccy: String,
    quote_ccy: String,
    tick_sz: String,
    lot_sz: String,
    state: String,
}

/// The OKX venue: its live SPOT instruments (`symbol` is the `instId`, `raw` the row
/// served back by `instruments?instId=`), all streaming.
#[derive(Debug)]
pub struct Okx {
    pub(super) listing: Listing<Instrument>,
}

impl Okx {
    pub fn new() -> Result<Okx, String> {
        Okx::from_instruments(INSTRUMENTS)
    }

    pub(super) fn from_instruments(body: &str) -> Result<Okx, String> {
        #[derive(Deserialize)]
        struct Body<'a> {
            #[serde(borrow)]
            data: Vec<&'a serde_json::value::RawValue>,
        }
        let parsed: Body = serde_json::from_str(body).map_err(|e| format!("instruments: {e}"))?;
        let mut instruments = Vec::new();
        for raw in parsed.data {
            let row: OkxInstrumentRow =
                serde_json::from_str(raw.get()).map_err(|e| format!("instrument: {e}"))?;
            if row.state != "live" {
                continue;
            }
            instruments.push(Instrument {
                trading: true,
                base: row.base_ccy,
                quote: row.quote_ccy,
                price_decimals: positive_step_decimals(&row.tick_sz)?,
                lot_decimals: positive_step_decimals(&row.lot_sz)?,
                symbol: row.inst_id,
                raw: raw.get().to_string(),
            });
        }
        Ok(Okx {
            listing: Listing::trading(instruments),
        })
    }
}

/// An error event; the connection stays open.
fn error(code: &str, msg: &str) -> String {
    format!(
        "{{\"event\":\"error\",\"msg\":{},\"code\":\"{code}\"}}",
        js(msg)
    )
}

fn not_found(channel: &str, inst_id: &str) -> String {
    error(
        "60018",
        &format!(
            "Wrong URL or channel:{channel},instId:{inst_id} doesn't exist. Please use the correct URL, channel and parameters referring to API document."
        ),
    )
}

/// `{"channel":"tickers","instId":"BTC-USDT"}` echoed in acks and pushes.
fn arg(inst_id: &str) -> String {
    format!("{{\"channel\":\"tickers\",\"instId\":{}}}", js(inst_id))
}

impl Okx {
    /// Subscribe or unsubscribe: one ack or error per arg, in request order.
    fn request(&self, op: &str, req: &Value, subs: &Subscriptions) -> Inbound {
        let Some(args) = req.get("args").and_then(Value::as_array) else {
            return Inbound::Invalid {
                reply: error("60013", "Invalid args"),
            };
        };
        let mut replies = Vec::new();
        let mut add: Vec<(usize, bool)> = Vec::new();
        let mut remove = Vec::new();
        for a in args {
            let channel = a.get("channel").and_then(Value::as_str).unwrap_or("");
            let inst_id = a.get("instId").and_then(Value::as_str).unwrap_or("");
            let found = self
                .listing
                .index_of(inst_id)
                .filter(|_| channel == "tickers");
            let Some(i) = found else {
                replies.push(not_found(channel, inst_id));
                continue;
            };
            // OKX acks a repeated subscribe again, and an unsubscribe of something never
            // subscribed too; only the subscription set decides what streams.
            replies.push(format!("{{\"event\":\"{op}\",\"arg\":{}}}", arg(inst_id)));
            if op == "subscribe" {
                if !subs.contains(i) && !add.iter().any(|(a, _)| *a == i) {
                    add.push((i, true));
                }
            } else if subs.contains(i) && !remove.contains(&i) {
                remove.push(i);
            }
        }
        if op == "subscribe" {
            Inbound::Subscribe { replies, add }
        } else {
            Inbound::Unsubscribe { replies, remove }
        }
    }
}

/// The fields of one ticker up to `"ts":"`, shared by the push and the REST ticker.
pub(super) fn ticker_fields(inst: &Instrument, q: &Quote, out: &mut String) {
    let quote_volume = fixed(q.volume * q.vwap, 8);
    let _ = write!(
        out,
        "\"instType\":\"SPOT\",\"instId\":{},\"last\":\"{}\",\"lastSz\":\"{}\",\"askPx\":\"{}\",\"askSz\":\"{}\",\"bidPx\":\"{}\",\"bidSz\":\"{}\",\"open24h\":\"{}\",\"high24h\":\"{}\",\"low24h\":\"{}\",\"sodUtc0\":\"{}\",\"sodUtc8\":\"{}\",\"volCcy24h\":\"{quote_volume}\",\"vol24h\":\"{}\",\"ts\":\"",
        js(&inst.symbol),
        q.last,
        q.last_qty,
        q.ask,
        q.ask_qty,
        q.bid,
        q.bid_qty,
        q.open,
        q.high,
        q.low,
        q.open,
        q.open,
        q.volume,
    );
}

impl Venue for Okx {
    fn pairs(&self) -> Vec<PairSpec> {
        self.listing.pairs()
    }

    fn is_ws_path(&self, path: &str) -> bool {
        path == "/ws/v5/public"
    }

    /// OKX says nothing on connect; going offline is the 64008 upgrade notice.
    fn status(&self, online: bool, _connection_id: u64) -> Option<String> {
        (!online).then(|| UPGRADE_NOTICE.to_string())
    }

    fn handle(&self, text: &str, subs: &Subscriptions, _conn: &mut Conn, _now: &str) -> Inbound {
        // The keep-alive is the bare text, not JSON.
        if text == "ping" {
            return Inbound::Ping {
                reply: "pong".to_string(),
            };
        }
        let illegal = || Inbound::Invalid {
            reply: error("60012", &format!("Illegal request: {text}")),
        };
        let Ok(req) = serde_json::from_str::<Value>(text) else {
            return illegal();
        };
        match req.get("op").and_then(Value::as_str) {
            Some(op @ ("subscribe" | "unsubscribe")) => self.request(op, &req, subs),
            _ => illegal(),
        }
    }

    fn ticker(&self, index: usize, q: &Quote, _kind: FrameKind) -> Template {
        // The first push after subscribing looks like every later one.
        let Some(inst) = self.listing.streamed(index) else {
            return Template::default();
        };
        let mut prefix = String::with_capacity(400);
        let _ = write!(prefix, "{{\"arg\":{},\"data\":[{{", arg(&inst.symbol));
        ticker_fields(inst, q, &mut prefix);
        Template {
            prefix,
            suffix: "\"}]}".to_string(),
        }
    }

    fn wrong_schema(&self) -> String {
        r#"{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":{"instId":42,"last":"not-a-number"}}"#.to_string()
    }

    fn ws_path(&self) -> &'static str {
        "/ws/v5/public"
    }

    fn clock(&self, t: chrono::DateTime<chrono::Utc>) -> String {
        t.timestamp_millis().to_string()
    }

    /// A service upgrade, announced by [`Venue::status`].
    fn maintenance(&self) -> Maintenance {
        Maintenance::Restart
    }
}
