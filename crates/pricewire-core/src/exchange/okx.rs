//! OKX v5 public market data: the `tickers` channel on `/ws/v5/public`, the SPOT instrument
//! list and the single-instrument REST ticker. Owns OKX's frames and symbol mapping (wire
//! types in `wire`); never touches sockets, HTTP, the store or the UI.

use std::borrow::Cow;
use std::time::Duration;

use self::wire::{OkxArg, OkxFrame, OkxInstrument, OkxRequest, OkxTicker, rest_body};

use super::{
    Event, Exchange, ParseError, Request, RequestIds, RestRate, WireTicker, parse_decimal,
};
use crate::model::ExchangeId;
use crate::symbol::{Instrument, PairList, Symbol};

#[cfg(test)]
mod tests;
mod wire;

/// OKX's v5 public API, stateless.
#[derive(Debug, Clone, Copy, Default)]
pub struct Okx;

/// Several args share one request: OKX counts 480 subscribe/unsubscribe requests per hour
/// per connection, whatever the number of args. The docs have capped one request at
/// 4096 bytes (newer copies say 64 KB); staying under the older cap still fits about 90
/// instruments in one request, more than a watchlist holds.
const MAX_REQUEST_BYTES: usize = 4096;
const REQUEST_OVERHEAD: usize = r#"{"op":"unsubscribe","args":[]}"#.len();
const ARG_OVERHEAD: usize = r#"{"channel":"tickers","instId":""},"#.len();

/// Code of the notice OKX pushes about 30 s before closing connections for an upgrade.
const NOTICE_SERVICE_UPGRADE: &str = "64008";

/// Decimal places of a tick size such as `"0.001"` (→ 3).
fn decimals_of_step(step: &str) -> Option<u32> {
    parse_decimal(step)
        .filter(|d| d.is_sign_positive() && !d.is_zero())
        .map(|d| d.normalize().scale())
}

/// The instrument named in an error text such as `"...channel:tickers,instId:NMR-USDT
/// doesn't exist..."`.
fn inst_id_in(msg: &str) -> Option<&str> {
    let start = msg.find("instId:")? + "instId:".len();
    let rest = &msg[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// `tickers` args for every name, as few requests as the size cap allows. OKX acks and
/// refuses each arg by its `instId`, so the requests carry no id.
fn requests(op: &'static str, wire: &[&str]) -> Vec<Request> {
    let mut frames = Vec::new();
    let mut args: Vec<OkxArg<'_>> = Vec::new();
    let mut size = REQUEST_OVERHEAD;
    let mut start = 0;
    for (i, w) in wire.iter().enumerate() {
        let arg_size = ARG_OVERHEAD + w.len();
        if !args.is_empty() && size + arg_size > MAX_REQUEST_BYTES {
            let text = request_text(op, std::mem::take(&mut args));
            frames.push(Request::new(None, &wire[start..i], text));
            start = i;
            size = REQUEST_OVERHEAD;
        }
        size += arg_size;
        args.push(OkxArg {
            channel: Cow::Borrowed("tickers"),
            inst_id: Some(Cow::Borrowed(w)),
        });
    }
    if !args.is_empty() {
        frames.push(Request::new(None, &wire[start..], request_text(op, args)));
    }
    frames
}

fn request_text(op: &'static str, args: Vec<OkxArg<'_>>) -> String {
    // Serialising plain strings into a String cannot fail.
    serde_json::to_string(&OkxRequest { op, args }).unwrap_or_default()
}

impl Exchange for Okx {
    super::venue_endpoints! { ExchangeId::Okx, ws: "wss://ws.okx.com:8443/ws/v5/public",
    rest: "https://www.okx.com", pairs: "/api/v5/public/instruments?instType=SPOT",
    candles: |rest, window, _| candles::path(rest, window) }

    fn parse_pair_list(&self, body: &str) -> Result<PairList, ParseError> {
        let rows: Vec<OkxInstrument<'_>> = rest_body(body)?;
        let instruments = rows
            .into_iter()
            .filter(|r| r.state == "live")
            .map(|r| Instrument {
                symbol: Symbol::new(&r.base_ccy, &r.quote_ccy),
                wire: r.inst_id.to_string(),
                rest: r.inst_id.to_string(),
                price_decimals: decimals_of_step(&r.tick_sz),
                aliases: Vec::new(),
            })
            .collect();
        Ok(self.pair_list(instruments))
    }

    fn instrument_for(&self, symbol: &Symbol) -> Instrument {
        super::dashed_instrument(symbol)
    }

    fn subscribe_requests(&self, wire: &[&str], _ids: &mut RequestIds) -> Vec<Request> {
        requests("subscribe", wire)
    }

    fn unsubscribe_requests(&self, wire: &[&str], _ids: &mut RequestIds) -> Vec<Request> {
        requests("unsubscribe", wire)
    }

    /// The literal text `ping`: OKX closes a connection after 30 s without traffic.
    fn ping(&self, _req_id: u64) -> Option<String> {
        Some("ping".to_string())
    }

    fn ping_interval(&self) -> Duration {
        Duration::from_secs(20)
    }

    fn parse<'a>(&self, frame: &'a str, out: &mut Vec<Event<'a>>) -> Result<(), ParseError> {
        if frame.trim() == "pong" {
            out.push(Event::Pong { req_id: None });
            return Ok(());
        }
        let f: OkxFrame<'a> = serde_json::from_str(frame)?;
        let inst_id = |arg: Option<OkxArg<'a>>| arg.and_then(|a| a.inst_id);
        let event = match f.event.as_deref() {
            None => {
                match (f.arg, f.data) {
                    (Some(arg), Some(data)) if arg.channel == "tickers" => {
                        let rows: Vec<OkxTicker<'a>> = serde_json::from_str(data.get())?;
                        out.extend(rows.into_iter().map(|t| Event::Ticker(t.into_wire())));
                        return Ok(());
                    }
                    // trades, books, candles...: nothing for a ticker row.
                    (Some(_), Some(_)) => Event::Ignored,
                    _ => Event::Unknown,
                }
            }
            Some("subscribe") => Event::Subscribed {
                symbol: inst_id(f.arg),
                req_id: None,
            },
            Some("unsubscribe") => Event::Unsubscribed {
                symbol: inst_id(f.arg),
                req_id: None,
            },
            Some("error") => {
                let msg = f.msg.unwrap_or_default();
                let symbol =
                    inst_id(f.arg).or_else(|| inst_id_in(&msg).map(|s| Cow::Owned(s.to_string())));
                Event::SubscribeError {
                    symbol,
                    req_id: None,
                    message: format!("okx error {}: {msg}", f.code.unwrap_or_default()),
                }
            }
            Some("notice") if f.code.as_deref() == Some(NOTICE_SERVICE_UPGRADE) => {
                Event::ReconnectSoon {
                    reason: f.msg.map_or_else(String::new, Cow::into_owned),
                }
            }
            Some("channel-conn-count") => Event::Ignored,
            Some("channel-conn-count-error") => Event::SubscribeError {
                symbol: None,
                req_id: None,
                message: format!(
                    "okx connection limit reached for channel {}",
                    f.channel.unwrap_or_default()
                ),
            },
            Some(_) => Event::Unknown,
        };
        out.push(event);
        Ok(())
    }

    /// One `GET /api/v5/market/ticker?instId=` per instrument rather than the ~700-row
    /// `/market/tickers?instType=SPOT`: a few small bodies per poll, well inside the
    /// 20 requests / 2 s limit, and the feed never sees markets nobody watches.
    fn rest_ticker_paths(&self, rest: &[&str]) -> Vec<String> {
        rest.iter()
            .map(|r| format!("/api/v5/market/ticker?instId={r}"))
            .collect()
    }

    fn parse_rest_ticker<'a>(&self, body: &'a str) -> Result<Vec<WireTicker<'a>>, ParseError> {
        let rows: Vec<OkxTicker<'a>> = rest_body(body)?;
        Ok(rows.into_iter().map(OkxTicker::into_wire).collect())
    }

    /// 20 requests per 2 s per endpoint and IP.
    fn rest_rate(&self) -> RestRate {
        RestRate::new(8, 8)
    }
}

mod candles;
