//! Coinbase Advanced Trade as the simulator plays it: the pair list (from the bundled public
//! products body, `-USDC` products being aliases of the `-USD` books), the market-data stream
//! on `/` with one channel per request, the `subscriptions` listing after every request,
//! `ticker` snapshot/update envelopes with RFC 3339 nanosecond timestamps and a per-connection
//! `sequence_num`, and the `heartbeats` channel once a second. REST routes are in
//! `coinbase_rest.rs`. Pure encoding: no sockets, timers or scenarios.
//!
//! Choices where Coinbase is undocumented: an unknown product or an unplayed channel fails the
//! whole request with the Exchange feed's error form
//! (`{"type":"error","message":"Failed to subscribe","reason":".."}`), which the adapter
//! reports as a rejected subscribe; maintenance is a close with 1001. Prices print as Coinbase
//! prints them: on the tick, trailing zeros dropped (`"1925"`).
//!
//! See docs: <https://docs.cdp.coinbase.com/advanced-trade/docs/ws-channels>

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::listing::Listing;
use super::market::{PairSpec, Quote};
use super::venue::{Conn, FrameKind, Inbound, KeepAlive, Maintenance};
use super::venue::{MARKER, Subscriptions, Template, Venue};
use super::wire::{fixed, js, plain, step_decimals};

/// The bundled `GET /api/v3/brokerage/market/products` body, static fields only.
pub(super) const PRODUCTS: &str = include_str!("../../../assets/coinbase-market-products.json");

/// One product entry, the fields the simulator reads.
/// See docs: <https://docs.cdp.coinbase.com/advanced-trade/reference/retailbrokerageapi_getpublicproducts>
#[derive(Debug, Deserialize)]
struct CoinbaseProductEntry {
    product_id: String,
    base_currency_id: String,
    quote_currency_id: String,
    base_increment: String,
    price_increment: String,
    status: String,
    trading_disabled: bool,
    #[serde(default)]
    alias: String,
}

/// One listed product.
#[derive(Debug, Clone)]
pub(super) struct CoinbaseProduct {
    pub id: String,
    pub base: String,
    pub quote: String,
    pub tradable: bool,
    /// The product whose book this one shares (`BTC-USDC` → `BTC-USD`), if any.
    pub alias: Option<String>,
    pub price_decimals: u32,
    pub lot_decimals: u32,
    /// The entry's original JSON text.
    pub raw: String,
}

super::listing::listed_by_fields!(CoinbaseProduct, wire: id);

/// The Coinbase venue: its products, the tradable ones with a book of their own streaming.
#[derive(Debug)]
pub struct Coinbase {
    pub(super) listing: Listing<CoinbaseProduct>,
}

/// The 24 h change in percent, with Coinbase's 14 places (trailing zeros dropped).
pub(super) fn percent(q: &Quote) -> Decimal {
    if q.open.is_zero() {
        return Decimal::ZERO;
    }
    plain(fixed(q.change / q.open * Decimal::ONE_HUNDRED, 14))
}

impl Coinbase {
    pub fn new() -> Result<Coinbase, String> {
        Coinbase::from_products(PRODUCTS)
    }

    pub(super) fn from_products(body: &str) -> Result<Coinbase, String> {
        #[derive(Deserialize)]
        struct Body<'a> {
            #[serde(borrow)]
            products: Vec<&'a RawValue>,
        }
        let parsed: Body = serde_json::from_str(body).map_err(|e| format!("products: {e}"))?;
        let mut products = Vec::new();
        for raw in parsed.products {
            let e: CoinbaseProductEntry =
                serde_json::from_str(raw.get()).map_err(|e| format!("product: {e}"))?;
            products.push(CoinbaseProduct {
                tradable: e.status == "online" && !e.trading_disabled,
                alias: (!e.alias.is_empty()).then_some(e.alias),
                price_decimals: step_decimals(&e.price_increment).unwrap_or(2),
                lot_decimals: step_decimals(&e.base_increment).unwrap_or(8),
                id: e.product_id,
                base: e.base_currency_id,
                quote: e.quote_currency_id,
                raw: raw.get().to_string(),
            });
        }
        Ok(Coinbase {
            listing: Listing::new(products, |p| p.tradable && p.alias.is_none()),
        })
    }

    /// Market index of a product id; an alias resolves to the book it shares.
    pub(super) fn index_of(&self, id: &str) -> Option<usize> {
        let listing = &self.listing;
        let p = listing
            .entries()
            .iter()
            .find(|p| p.id == id && p.tradable)?;
        listing.index_of(p.alias.as_deref().unwrap_or(&p.id))
    }

    /// The `subscriptions` message listing everything subscribed after a request.
    fn listing(&self, active: &[usize], conn: &mut Conn, now: &str) -> String {
        let mut channels: Vec<String> = Vec::new();
        if conn.keep_alive_subscribed {
            channels.push("\"heartbeats\":[\"heartbeats\"]".to_string());
        }
        if !active.is_empty() {
            let ids: Vec<String> = active
                .iter()
                .filter_map(|&i| self.listing.streamed(i))
                .map(|p| js(&p.id))
                .collect();
            channels.push(format!("\"ticker\":[{}]", ids.join(",")));
        }
        format!(
            "{{\"channel\":\"subscriptions\",\"timestamp\":\"{now}\",\"sequence_num\":{},\"events\":[{{\"subscriptions\":{{{}}}}}]}}",
            conn.next_sequence(),
            channels.join(",")
        )
    }
}

fn failed(reason: &str) -> Inbound {
    Inbound::Invalid {
        reply: format!(
            "{{\"type\":\"error\",\"message\":\"Failed to subscribe\",\"reason\":{}}}",
            js(reason)
        ),
    }
}

impl Venue for Coinbase {
    fn pairs(&self) -> Vec<PairSpec> {
        self.listing.pairs()
    }

    fn is_ws_path(&self, path: &str) -> bool {
        matches!(path, "/" | "")
    }

    fn handle(&self, text: &str, subs: &Subscriptions, conn: &mut Conn, now: &str) -> Inbound {
        let Ok(req) = serde_json::from_str::<Value>(text) else {
            return Inbound::Invalid {
                reply: "{\"type\":\"error\",\"message\":\"Malformed JSON\"}".to_string(),
            };
        };
        let kind = req.get("type").and_then(Value::as_str).unwrap_or_default();
        if !matches!(kind, "subscribe" | "unsubscribe") {
            return Inbound::Invalid {
                reply: format!(
                    "{{\"type\":\"error\",\"message\":{}}}",
                    js(&format!("Unrecognized message type: {kind}"))
                ),
            };
        }
        let subscribe = kind == "subscribe";
        match req.get("channel").and_then(Value::as_str) {
            Some("heartbeats") => {
                conn.keep_alive_subscribed = subscribe;
                let replies = vec![self.listing(&subs.active, conn, now)];
                if subscribe {
                    Inbound::Subscribe {
                        replies,
                        add: Vec::new(),
                    }
                } else {
                    Inbound::Unsubscribe {
                        replies,
                        remove: Vec::new(),
                    }
                }
            }
            Some("ticker") => {
                let Some(ids) = req.get("product_ids").and_then(Value::as_array) else {
                    return failed("product_ids is required for channel ticker");
                };
                let mut found: Vec<usize> = Vec::new();
                for id in ids {
                    let id = id.as_str().unwrap_or_default();
                    match self.index_of(id) {
                        Some(i) if !found.contains(&i) => found.push(i),
                        Some(_) => {}
                        None => return failed(&format!("{id} is not a valid product")),
                    }
                }
                let mut active = subs.active.clone();
                if subscribe {
                    let add: Vec<(usize, bool)> = found
                        .into_iter()
                        .filter(|&i| !subs.contains(i))
                        .map(|i| (i, true))
                        .collect();
                    active.extend(add.iter().map(|(i, _)| *i));
                    let replies = vec![self.listing(&active, conn, now)];
                    Inbound::Subscribe { replies, add }
                } else {
                    let remove: Vec<usize> =
                        found.into_iter().filter(|&i| subs.contains(i)).collect();
                    active.retain(|i| !remove.contains(i));
                    let replies = vec![self.listing(&active, conn, now)];
                    Inbound::Unsubscribe { replies, remove }
                }
            }
            Some(other) => failed(&format!("channel {other} is not available here")),
            None => failed("channel is required"),
        }
    }

    fn ticker(&self, index: usize, q: &Quote, kind: FrameKind) -> Template {
        let Some(p) = self.listing.streamed(index) else {
            return Template::default();
        };
        let kind = match kind {
            FrameKind::Snapshot => "snapshot",
            FrameKind::Update => "update",
        };
        let tick = |d: Decimal| plain(fixed(d, p.price_decimals));
        let mut suffix = String::with_capacity(420);
        let _ = write!(
            suffix,
            "\",\"sequence_num\":{MARKER},\"events\":[{{\"type\":\"{kind}\",\"tickers\":[{{\"type\":\"ticker\",\"product_id\":\"{}\",\"price\":\"{}\",\"volume_24_h\":\"{}\",\"low_24_h\":\"{}\",\"high_24_h\":\"{}\",\"low_52_w\":\"{}\",\"high_52_w\":\"{}\",\"price_percent_chg_24_h\":\"{}\",\"best_bid\":\"{}\",\"best_ask\":\"{}\",\"best_bid_quantity\":\"{}\",\"best_ask_quantity\":\"{}\"}}]}}]}}",
            p.id,
            plain(q.last),
            plain(q.volume),
            plain(q.low),
            plain(q.high),
            tick(q.low * Decimal::new(8, 1)),
            tick(q.high * Decimal::new(19, 1)),
            percent(q),
            plain(q.bid),
            plain(q.ask),
            plain(q.bid_qty),
            plain(q.ask_qty)
        );
        Template {
            prefix: "{\"channel\":\"ticker\",\"timestamp\":\"".to_string(),
            suffix,
        }
    }

    fn wrong_schema(&self) -> String {
        "{\"channel\":\"ticker\",\"timestamp\":\"2026-08-09T21:05:48.229198328Z\",\"sequence_num\":1,\"events\":[{\"type\":\"update\",\"tickers\":[{\"product_id\":7,\"price\":\"x\"}]}]}".to_string()
    }

    fn ws_path(&self) -> &'static str {
        "/"
    }

    /// RFC 3339 with nanoseconds, as the envelope's `timestamp`.
    fn clock(&self, t: DateTime<Utc>) -> String {
        t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
    }

    /// Every message on a connection takes the next `sequence_num`.
    fn stamp(&self, t: &Template, now: &str, conn: &mut Conn) -> String {
        t.stamp_with(now, |_| conn.next_sequence().to_string())
    }

    /// The `heartbeats` channel, once subscribed: one message per heartbeat interval.
    fn keep_alive(
        &self,
        _subs: &Subscriptions,
        conn: &mut Conn,
        now: DateTime<Utc>,
    ) -> Option<KeepAlive> {
        if !conn.keep_alive_subscribed {
            return None;
        }
        let counter = conn.keep_alives + 1;
        // `current_time` is a Go time dump with a monotonic-clock suffix, as recorded.
        let frame = format!(
            "{{\"channel\":\"heartbeats\",\"timestamp\":\"{}\",\"sequence_num\":{},\"events\":[{{\"current_time\":\"{} +0000 UTC m=+{counter}.{:09}\",\"heartbeat_counter\":{counter}}}]}}",
            self.clock(now),
            conn.next_sequence(),
            now.format("%Y-%m-%d %H:%M:%S%.9f"),
            now.timestamp_subsec_nanos()
        );
        Some(KeepAlive::Text(frame))
    }

    fn maintenance(&self) -> Maintenance {
        Maintenance::Close
    }
}
