//! `KuCoin` spot public market data: the `bullet-public` handshake that names the WebSocket
//! host, `/market/ticker` (best bid/ask + last) and `/market/snapshot` (24 h statistics)
//! topics, the symbol list and the 24 h REST stats. Owns `KuCoin`'s frames and symbol
//! mapping (wire types in `wire`); never touches sockets, HTTP, the store or the UI.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::Duration;

use self::wire::{
    KucoinBullet, KucoinFrame, KucoinRequest, KucoinSnapshot, KucoinSnapshotEnvelope, KucoinStats,
    KucoinSymbol, KucoinTicker, rest_data,
};

use super::{
    Bootstrap, Event, Exchange, ParseError, Request, RequestIds, RestRate, WireTicker,
    parse_decimal,
};
use crate::model::ExchangeId;
use crate::symbol::{Instrument, PairList, Symbol};

#[cfg(test)]
mod tests;
mod wire;

/// The `KuCoin` spot public API, stateless.
#[derive(Debug, Clone, Copy, Default)]
pub struct Kucoin;

/// The venue refuses more than 100 topics in one subscribe request.
const MAX_TOPICS_PER_REQUEST: usize = 100;

/// Decimal places of a price step such as `"0.001"` (→ 3).
fn decimals_of_step(step: &str) -> Option<u32> {
    parse_decimal(step)
        .filter(|d| d.is_sign_positive() && !d.is_zero())
        .map(|d| d.normalize().scale())
}

/// The symbol in an error text such as `"topic /market/match:ETH-UrSDT is not found"`;
/// `None` when the topic names several.
fn symbol_in_error(text: &str) -> Option<&str> {
    let topic = text.split_whitespace().find(|w| w.starts_with('/'))?;
    let (_, symbols) = topic.split_once(':')?;
    (!symbols.is_empty() && !symbols.contains(',')).then_some(symbols)
}

/// Stable per token, so each bootstrap (a new token) gets a new connection id.
fn connect_id(token: &str) -> String {
    let hash = token.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// Percent-encode everything outside RFC 3986's unreserved set.
fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn requests(kind: &'static str, wire: &[&str], ids: &mut RequestIds) -> Vec<Request> {
    let mut frames = Vec::new();
    for chunk in wire.chunks(MAX_TOPICS_PER_REQUEST) {
        let symbols = chunk.join(",");
        for channel in ["/market/ticker", "/market/snapshot"] {
            let id = ids.next_id();
            let topic = format!("{channel}:{symbols}");
            let request = KucoinRequest {
                id,
                kind,
                topic: &topic,
                private_channel: false,
                response: true,
            };
            // Serialising plain strings and numbers into a String cannot fail.
            let text = serde_json::to_string(&request).unwrap_or_default();
            frames.push(Request::new(Some(id), chunk, text));
        }
    }
    frames
}

impl<'a> KucoinFrame<'a> {
    fn message(self, out: &mut Vec<Event<'a>>) -> Result<(), ParseError> {
        let (Some(topic), Some(data)) = (self.topic, self.data) else {
            out.push(Event::Unknown);
            return Ok(());
        };
        let channel = topic.split_once(':').map_or(topic.as_ref(), |(c, _)| c);
        match channel {
            "/market/ticker" => {
                let t: KucoinTicker = serde_json::from_str(data.get())?;
                out.push(Event::Ticker(
                    WireTicker {
                        symbol: ticker_symbol(topic, self.subject),
                        exchange_ts: t.time,
                        ..WireTicker::default()
                    }
                    .quotes(t.price, t.best_bid, t.best_ask),
                ));
            }
            "/market/snapshot" => {
                // The symbol is inside: `/market/snapshot:BTC` pushes every BTC market.
                let env: KucoinSnapshotEnvelope<'a> = serde_json::from_str(data.get())?;
                let inner = env.data.get();
                if inner.trim_start().starts_with('[') {
                    let rows: Vec<KucoinSnapshot<'a>> = serde_json::from_str(inner)?;
                    out.extend(rows.into_iter().map(|s| Event::Ticker(s.into_wire())));
                } else {
                    let row: KucoinSnapshot<'a> = serde_json::from_str(inner)?;
                    out.push(Event::Ticker(row.into_wire()));
                }
            }
            "/market/match"
            | "/market/level2"
            | "/market/level3"
            | "/market/candles"
            | "/spotMarket/level2Depth5"
            | "/spotMarket/level2Depth50" => out.push(Event::Ignored),
            _ => out.push(Event::Unknown),
        }
        Ok(())
    }
}

/// `/market/ticker:BTC-USDT` → `BTC-USDT`; `/market/ticker:all` names it in `subject`.
fn ticker_symbol<'a>(topic: Cow<'a, str>, subject: Option<Cow<'a, str>>) -> Cow<'a, str> {
    let after = |t: &str| t.split_once(':').map_or(0, |(c, _)| c.len() + 1);
    match topic {
        Cow::Borrowed(t) if &t[after(t)..] == "all" => subject.unwrap_or_default(),
        Cow::Borrowed(t) => Cow::Borrowed(&t[after(t)..]),
        Cow::Owned(t) if &t[after(&t)..] == "all" => subject.unwrap_or_default(),
        Cow::Owned(t) => Cow::Owned(t[after(&t)..].to_string()),
    }
}

impl Exchange for Kucoin {
    // The documented WebSocket host; the host actually dialled comes from `bullet-public`.
    super::venue_endpoints! { ExchangeId::Kucoin, ws: "wss://ws-api-spot.kucoin.com/",
    rest: "https://api.kucoin.com", pairs: "/api/v2/symbols",
    candles: candles::path }

    fn parse_pair_list(&self, body: &str) -> Result<PairList, ParseError> {
        let rows: Vec<KucoinSymbol<'_>> = rest_data(body)?;
        let instruments = rows
            .into_iter()
            .filter(|r| r.enable_trading)
            .map(|r| Instrument {
                // The currencies are the current names (`BSV`), the symbol may be an older
                // one (`BCHSV-USDT`); both spellings resolve through `aliases`.
                symbol: Symbol::new(&r.base_currency, &r.quote_currency),
                wire: r.symbol.to_string(),
                rest: r.symbol.to_string(),
                price_decimals: decimals_of_step(&r.price_increment),
                aliases: r
                    .name
                    .filter(|n| *n != r.symbol)
                    .map(|n| vec![n.into_owned()])
                    .unwrap_or_default(),
            })
            .collect();
        Ok(self.pair_list(instruments))
    }

    fn instrument_for(&self, symbol: &Symbol) -> Instrument {
        super::dashed_instrument(symbol)
    }

    /// Each chunk of up to 100 symbols takes two requests, ticker and snapshot, each with
    /// an id of its own: acks and errors carry only the id, and an error for a comma-list
    /// topic concerns every symbol of that chunk. The venue allows 300 topics per
    /// connection (2023 docs), so one connection carries up to 150 symbols.
    fn subscribe_requests(&self, wire: &[&str], ids: &mut RequestIds) -> Vec<Request> {
        requests("subscribe", wire, ids)
    }

    fn unsubscribe_requests(&self, wire: &[&str], ids: &mut RequestIds) -> Vec<Request> {
        requests("unsubscribe", wire, ids)
    }

    /// The venue ignores WebSocket-level pings: only this JSON ping keeps a connection alive.
    fn ping(&self, req_id: u64) -> Option<String> {
        Some(format!(r#"{{"id":"{req_id}","type":"ping"}}"#))
    }

    /// The documented default; `bullet-public` prescribes the real one.
    fn ping_interval(&self) -> Duration {
        Duration::from_secs(18)
    }

    fn waits_for_welcome(&self) -> bool {
        true
    }

    fn ws_bootstrap_path(&self) -> Option<&'static str> {
        Some("/api/v1/bullet-public")
    }

    fn ws_url_from_bootstrap(
        &self,
        body: &str,
        ws_override: Option<&str>,
    ) -> Result<Bootstrap, ParseError> {
        let bullet: KucoinBullet<'_> = rest_data(body)?;
        let server = bullet
            .instance_servers
            .first()
            .ok_or_else(|| ParseError::Schema("kucoin bullet-public lists no server".into()))?;
        let host = ws_override.unwrap_or(&server.endpoint);
        let sep = if host.contains('?') { '&' } else { '?' };
        let url = format!(
            "{host}{sep}token={}&connectId={}",
            url_encode(&bullet.token),
            connect_id(&bullet.token)
        );
        Ok(Bootstrap {
            url,
            ping_interval: server.ping_interval.map(Duration::from_millis),
            pong_timeout: server.ping_timeout.map(Duration::from_millis),
        })
    }

    fn parse<'a>(&self, frame: &'a str, out: &mut Vec<Event<'a>>) -> Result<(), ParseError> {
        let f: KucoinFrame<'a> = serde_json::from_str(frame)?;
        // Acks and errors echo the request id, as a string.
        let req_id = f.id.and_then(|id| id.get().trim_matches('"').parse().ok());
        match f.kind.as_deref() {
            Some("message") => f.message(out)?,
            // The connection is usable from the welcome on.
            Some("welcome") => out.push(Event::Status {
                status: "online".to_string(),
                healthy: true,
            }),
            // Acks echo the request id only; subscribe and unsubscribe acks look the same.
            Some("ack") => out.push(Event::Subscribed {
                symbol: None,
                req_id,
            }),
            Some("pong") => out.push(Event::Pong { req_id }),
            Some("error") => {
                let text: Cow<'a, str> = match f.data {
                    Some(raw) => serde_json::from_str(raw.get()).unwrap_or(Cow::Borrowed("")),
                    None => Cow::Borrowed(""),
                };
                let code = f.code.map_or("", |c| c.get().trim_matches('"'));
                out.push(Event::SubscribeError {
                    symbol: symbol_in_error(&text).map(|s| Cow::Owned(s.to_string())),
                    req_id,
                    message: format!("kucoin error {code}: {text}"),
                });
            }
            _ => out.push(Event::Unknown),
        }
        Ok(())
    }

    fn rest_ticker_paths(&self, rest: &[&str]) -> Vec<String> {
        rest.iter()
            .map(|r| format!("/api/v1/market/stats?symbol={r}"))
            .collect()
    }

    fn parse_rest_ticker<'a>(&self, body: &'a str) -> Result<Vec<WireTicker<'a>>, ParseError> {
        let s: KucoinStats<'a> = rest_data(body)?;
        // An unknown symbol answers 200000 with every figure null: no ticker, not an error.
        if !(s.last.is_value() || s.buy.is_value() || s.sell.is_value()) {
            return Ok(Vec::new());
        }
        Ok(vec![s.into_wire()])
    }

    /// 500 public requests per 10 s per IP (2023 docs).
    fn rest_rate(&self) -> RestRate {
        RestRate::new(8, 8)
    }
}

mod candles;
