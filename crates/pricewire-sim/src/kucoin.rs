//! `KuCoin` spot as the simulator plays it: the symbol list (the bundled `/api/v2/symbols`
//! body) and the WebSocket protocol behind `bullet-public`: the welcome echoing the
//! client's `connectId`, `{"id":"N","type":"ack"}` acks, 404 errors for unknown topics,
//! JSON `ping`/`pong`, `/market/ticker` messages (strings, `time` in ms) and
//! `/market/snapshot` 24 h statistics (JSON numbers) every 2 s. REST routes, the token
//! request included, are in `kucoin_rest.rs`. Pure encoding: no sockets, timers or scenarios.
//!
//! Each market has two streams, ticker `2 × m` and snapshot `2 × m + 1`, so that the
//! shared per-connection subscription list can hold either topic.
//!
//! See docs: <https://www.kucoin.com/docs/websocket/spot-trading/public-channels/ticker>

use std::fmt::Write as _;
use std::time::Duration;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use super::listing::Listing;
use super::market::{PairSpec, Quote};
use super::query::query_value;
use super::venue::Venue;
use super::venue::{Conn, FrameKind, Inbound, Maintenance, Subscriptions, Template};
use super::wire::{fixed, js, positive_step_decimals};

/// The bundled `GET /api/v2/symbols` body, in `KuCoin`'s format.
pub(super) const SYMBOLS: &str = include_str!("../../../assets/kucoin-symbols.json");

/// How often `/market/snapshot` pushes.
const SNAPSHOT_PERIOD: Duration = Duration::from_secs(2);

/// Where `sequence` numbers start; each step of the walk adds one.
pub(super) const SEQUENCE_BASE: u64 = 1_612_844_051_653;

/// One `/api/v2/symbols` row, the fields the simulator reads.
/// See docs: <https://www.kucoin.com/docs/rest/spot-trading/market-data/get-symbols-list>
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KucoinSymbolRow {
    symbol: String,
    base_currency: String,
    quote_currency: String,
    market: String,
    base_increment: String,
    price_increment: String,
    enable_trading: bool,
}

/// One tradable symbol.
#[derive(Debug, Clone)]
pub(super) struct KucoinMarket {
    /// Wire name, `BCHSV-USDT` (the canonical symbol follows the currencies: `BSV/USDT`).
    pub symbol: String,
    pub base: String,
    pub quote: String,
    /// Board, `USDS` or `BTC`.
    pub board: String,
    pub price_decimals: u32,
    pub lot_decimals: u32,
}

super::listing::listed_by_fields!(KucoinMarket, wire: symbol);

/// The `KuCoin` venue: its tradable spot symbols, all streaming.
#[derive(Debug)]
pub struct Kucoin {
    pub(super) listing: Listing<KucoinMarket>,
}

/// The two topics the simulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Topic {
    Ticker,
    Snapshot,
}

impl Topic {
    fn stream(self, market: usize) -> usize {
        market * 2 + usize::from(self == Topic::Snapshot)
    }
}

impl Kucoin {
    pub fn new() -> Result<Kucoin, String> {
        Kucoin::from_symbols(SYMBOLS)
    }

    pub(super) fn from_symbols(body: &str) -> Result<Kucoin, String> {
        #[derive(Deserialize)]
        struct Body {
            data: Vec<KucoinSymbolRow>,
        }
        let parsed: Body = serde_json::from_str(body).map_err(|e| format!("symbols: {e}"))?;
        let mut symbols = Vec::new();
        for row in parsed.data.into_iter().filter(|r| r.enable_trading) {
            symbols.push(KucoinMarket {
                price_decimals: positive_step_decimals(&row.price_increment)?,
                lot_decimals: positive_step_decimals(&row.base_increment)?,
                symbol: row.symbol,
                base: row.base_currency,
                quote: row.quote_currency,
                board: row.market,
            });
        }
        Ok(Kucoin {
            listing: Listing::new(symbols, |_| true),
        })
    }

    /// A subscribe or unsubscribe request: one ack for the request (when `response` is
    /// true) covering the known symbols, one 404 error per unknown symbol or topic.
    fn request(&self, kind: &str, req: &Value, id: &str, subs: &Subscriptions) -> Inbound {
        let topic = req.get("topic").and_then(Value::as_str).unwrap_or("");
        let (channel, list) = topic.split_once(':').unwrap_or((topic, ""));
        let channel = match channel {
            "/market/ticker" => Topic::Ticker,
            "/market/snapshot" => Topic::Snapshot,
            _ => {
                return Inbound::Invalid {
                    reply: error(id, 404, &format!("topic {topic} is not found")),
                };
            }
        };
        let mut replies = Vec::new();
        let mut streams = Vec::new();
        for symbol in list.split(',') {
            match self.listing.index_of(symbol) {
                Some(m) if !streams.contains(&channel.stream(m)) => {
                    streams.push(channel.stream(m));
                }
                Some(_) => {}
                None => replies.push(error(
                    id,
                    404,
                    &format!("topic {}:{symbol} is not found", topic_name(channel)),
                )),
            }
        }
        let wants_ack = req.get("response").and_then(Value::as_bool) == Some(true);
        if wants_ack && !streams.is_empty() {
            replies.push(format!("{{\"id\":{},\"type\":\"ack\"}}", js(id)));
        }
        if kind == "subscribe" {
            // Repeated subscribes are acked again but stream once. The 24 h snapshot is
            // pushed at once, tickers on the next change.
            let add = streams
                .into_iter()
                .filter(|s| !subs.contains(*s))
                .map(|s| (s, channel == Topic::Snapshot))
                .collect();
            Inbound::Subscribe { replies, add }
        } else {
            let remove = streams.into_iter().filter(|s| subs.contains(*s)).collect();
            Inbound::Unsubscribe { replies, remove }
        }
    }
}

fn topic_name(topic: Topic) -> &'static str {
    match topic {
        Topic::Ticker => "/market/ticker",
        Topic::Snapshot => "/market/snapshot",
    }
}

/// An error message; the connection stays open.
fn error(id: &str, code: u16, data: &str) -> String {
    format!(
        "{{\"id\":{},\"type\":\"error\",\"code\":{code},\"data\":{}}}",
        js(id),
        js(data)
    )
}

/// The request `id` as the replies echo it: always a string, whatever the request sent.
fn id_text(req: &Value) -> String {
    match req.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(v @ Value::Number(_)) => v.to_string(),
        _ => String::new(),
    }
}

impl Kucoin {
    fn ticker_frame(m: &KucoinMarket, q: &Quote) -> Template {
        let mut prefix = String::with_capacity(300);
        let _ = write!(
            prefix,
            "{{\"data\":{{\"sequence\":\"{}\",\"bestAsk\":\"{}\",\"size\":\"{}\",\"bestBidSize\":\"{}\",\"price\":\"{}\",\"time\":",
            SEQUENCE_BASE + q.trades,
            q.ask,
            q.last_qty,
            q.bid_qty,
            q.last,
        );
        Template {
            prefix,
            suffix: format!(
                ",\"bestAskSize\":\"{}\",\"bestBid\":\"{}\"}},\"subject\":\"trade.ticker\",\"topic\":\"/market/ticker:{}\",\"type\":\"message\"}}",
                q.ask_qty, q.bid, m.symbol
            ),
        }
    }

    /// 24 h statistics in the recorded snapshot layout. Only the 24 h window is known to
    /// the market, so the 1 h and 4 h `marketChange` objects are left out.
    fn snapshot_frame(m: &KucoinMarket, q: &Quote) -> Template {
        let change_rate = fixed(q.change_pct / Decimal::ONE_HUNDRED, 4);
        let value = q.volume * q.vwap;
        // The 24 h figures print with 20 decimals, as recorded.
        let long = |d: Decimal| fixed(d, 20);
        let change24 = format!(
            "{{\"changePrice\":{},\"changeRate\":{change_rate},\"high\":{},\"low\":{},\"open\":{},\"vol\":{},\"volValue\":{}}}",
            long(q.change),
            long(q.high),
            long(q.low),
            long(q.open),
            long(q.volume),
            long(value)
        );
        let mut prefix = String::with_capacity(900);
        let _ = write!(
            prefix,
            "{{\"type\":\"message\",\"topic\":\"/market/snapshot:{sym}\",\"subject\":\"trade.snapshot\",\"data\":{{\"sequence\":\"{seq}\",\"data\":{{\"averagePrice\":{avg},\"baseCurrency\":\"{base}\",\"board\":1,\"buy\":{bid},\"changePrice\":{chg},\"changeRate\":{change_rate},\"close\":{last},\"datetime\":",
            sym = m.symbol,
            seq = SEQUENCE_BASE + q.trades,
            avg = fixed(q.vwap, 8),
            base = m.base,
            bid = q.bid,
            chg = long(q.change),
            last = q.last,
        );
        let suffix = format!(
            ",\"high\":{high},\"lastTradedPrice\":{last},\"low\":{low},\"makerCoefficient\":1.000000,\"makerFeeRate\":0.001,\"marginTrade\":true,\"mark\":0,\"market\":\"{board}\",\"marketChange24h\":{change24},\"markets\":[\"{board}\"],\"open\":{open},\"quoteCurrency\":\"{quote}\",\"sell\":{ask},\"sort\":100,\"symbol\":\"{sym}\",\"symbolCode\":\"{sym}\",\"takerCoefficient\":1.000000,\"takerFeeRate\":0.001,\"trading\":true,\"vol\":{vol},\"volValue\":{value}}}}}}}",
            high = long(q.high),
            last = q.last,
            low = long(q.low),
            board = m.board,
            open = long(q.open),
            quote = m.quote,
            ask = q.ask,
            sym = m.symbol,
            vol = long(q.volume),
            value = long(value),
        );
        Template { prefix, suffix }
    }
}

impl Venue for Kucoin {
    fn pairs(&self) -> Vec<PairSpec> {
        self.listing.pairs()
    }

    fn is_ws_path(&self, path: &str) -> bool {
        matches!(path, "/" | "/endpoint")
    }

    fn welcome(&self, query: Option<&str>, _online: bool, connection_id: u64) -> Option<String> {
        let id = query_value(query, "connectId")
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| format!("{connection_id:x}"));
        Some(format!("{{\"id\":{},\"type\":\"welcome\"}}", js(&id)))
    }

    fn handle(&self, text: &str, subs: &Subscriptions, _conn: &mut Conn, _now: &str) -> Inbound {
        let Ok(req) = serde_json::from_str::<Value>(text) else {
            return Inbound::Invalid {
                reply: error("", 400, "request is not valid JSON"),
            };
        };
        let id = id_text(&req);
        match req.get("type").and_then(Value::as_str) {
            Some("ping") => Inbound::Ping {
                reply: format!("{{\"id\":{},\"type\":\"pong\"}}", js(&id)),
            },
            Some(kind @ ("subscribe" | "unsubscribe")) => self.request(kind, &req, &id, subs),
            _ => Inbound::Invalid {
                reply: error(&id, 400, "type is invalid"),
            },
        }
    }

    /// `{"id":"7","type":"error","code":404,"data":"topic /market/ticker:A,B is not found"}`:
    /// the whole topic, comma list and all.
    fn refuse(&self, text: &str, _conn: &Conn) -> Option<String> {
        let req: Value = serde_json::from_str(text).ok()?;
        if req.get("type").and_then(Value::as_str) != Some("subscribe") {
            return None;
        }
        let topic = req.get("topic").and_then(Value::as_str)?;
        Some(error(
            &id_text(&req),
            404,
            &format!("topic {topic} is not found"),
        ))
    }

    fn ticker(&self, stream: usize, q: &Quote, _kind: FrameKind) -> Template {
        let Some(m) = self.listing.streamed(self.market_of(stream)) else {
            return Template::default();
        };
        if stream % 2 == 1 {
            Kucoin::snapshot_frame(m, q)
        } else {
            Kucoin::ticker_frame(m, q)
        }
    }

    fn wrong_schema(&self) -> String {
        r#"{"type":"message","topic":"/market/ticker:BTC-USDT","subject":"trade.ticker","data":{"price":[1],"bestBid":"not-a-number","time":"soon"}}"#.to_string()
    }

    fn ws_path(&self) -> &'static str {
        "/"
    }

    fn clock(&self, t: chrono::DateTime<chrono::Utc>) -> String {
        t.timestamp_millis().to_string()
    }

    fn market_of(&self, stream: usize) -> usize {
        stream / 2
    }

    fn stream_period(&self, stream: usize) -> Option<Duration> {
        (stream % 2 == 1).then_some(SNAPSHOT_PERIOD)
    }

    /// `KuCoin` announces nothing on the WebSocket (no `status`): the server closes (1001).
    fn maintenance(&self) -> Maintenance {
        Maintenance::Restart
    }
}
