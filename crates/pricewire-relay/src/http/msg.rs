//! The front door's wire protocol as text (docs/PROTOCOL.md): what clients send (`op`s,
//! read by [`parse_op`], which never panics and bounds everything it keeps) and what the
//! server sends (`type`s). Each update is built once per relay from the stream line and
//! the same bytes go to every client. Pure functions: no sockets, no Redis.

use serde::Deserialize;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use pricewire_core::ExchangeId;
use pricewire_core::json::{self, Line};
use pricewire_core::sanitize;

/// The protocol's version, in the hello message.
pub const VERSION: u32 = 1;
/// Symbols one request may name at most (a client holds at most
/// [`super::Limits::max_subscriptions`] in all).
pub const MAX_SYMBOLS_PER_OP: usize = 100;
/// The longest symbol text kept (`kraken:BTC/USD`).
const MAX_SYMBOL_TEXT: usize = 64;
/// The longest token or epoch text kept.
const MAX_TOKEN_TEXT: usize = 256;

/// A client's cursor for one venue: resume after `seq` of dataset `epoch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resume {
    /// The venue.
    pub venue: ExchangeId,
    /// The dataset the client read from.
    pub epoch: String,
    /// The last `seq` it applied.
    pub seq: u64,
}

/// What a client asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Subscribe to `symbols` (`venue:BASE/QUOTE`), resuming venues it has cursors for.
    Subscribe {
        /// The request id, echoed in the ack.
        id: Option<u64>,
        /// As typed.
        symbols: Vec<String>,
        /// Cursors per venue.
        resume: Vec<Resume>,
    },
    /// Stop receiving `symbols`.
    Unsubscribe {
        /// The request id.
        id: Option<u64>,
        /// As typed.
        symbols: Vec<String>,
    },
    /// Application-level ping: answered with a pong of the same id.
    Ping {
        /// The request id.
        id: Option<u64>,
    },
    /// Present the streaming token (when the relay requires one).
    Auth {
        /// The request id.
        id: Option<u64>,
        /// The token.
        token: String,
    },
}

/// A message the server could not act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpError {
    /// The request's id, when it could be read.
    pub id: Option<u64>,
    /// A stable code (`bad_json`, `unknown_op`, `bad_request`, `too_many_symbols`).
    pub code: &'static str,
    /// Why, in words.
    pub message: String,
}

#[derive(Deserialize)]
struct RawCursor {
    epoch: String,
    seq: u64,
}

#[derive(Deserialize)]
struct Raw {
    op: String,
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    symbols: Option<Vec<String>>,
    #[serde(default)]
    resume: Option<std::collections::BTreeMap<String, RawCursor>>,
    #[serde(default)]
    token: Option<String>,
}

/// Read one client message. Errors name what is wrong; nothing here panics or keeps more
/// than [`MAX_SYMBOLS_PER_OP`] symbols of [`MAX_SYMBOL_TEXT`] bytes.
pub fn parse_op(text: &str) -> Result<Op, OpError> {
    let raw: Raw = serde_json::from_str(text).map_err(|e| OpError {
        id: None,
        code: "bad_json",
        message: format!(
            "not a JSON object with an \"op\": {}",
            sanitize::clean(&e.to_string())
        ),
    })?;
    let id = match raw.id {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64(),
        Some(_) => {
            return Err(OpError {
                id: None,
                code: "bad_request",
                message: "\"id\" must be a whole number".into(),
            });
        }
    };
    let bad = |code: &'static str, message: String| OpError { id, code, message };
    let symbols = |raw: Option<Vec<String>>| -> Result<Vec<String>, OpError> {
        let list = raw.ok_or_else(|| bad("bad_request", "\"symbols\" is missing".into()))?;
        if list.len() > MAX_SYMBOLS_PER_OP {
            return Err(bad(
                "too_many_symbols",
                format!(
                    "{} symbols in one request; at most {MAX_SYMBOLS_PER_OP}",
                    list.len()
                ),
            ));
        }
        Ok(list
            .into_iter()
            .map(|s| clip(&sanitize::clean(s.trim()), MAX_SYMBOL_TEXT))
            .collect())
    };
    match raw.op.as_str() {
        "subscribe" => {
            let symbols = symbols(raw.symbols)?;
            let mut resume = Vec::new();
            for (venue, c) in raw.resume.unwrap_or_default() {
                let venue: ExchangeId = venue.parse().map_err(|_| {
                    bad(
                        "bad_request",
                        format!("unknown venue {:?} in \"resume\"", clip(&venue, 32)),
                    )
                })?;
                resume.push(Resume {
                    venue,
                    epoch: clip(&c.epoch, MAX_TOKEN_TEXT),
                    seq: c.seq,
                });
            }
            Ok(Op::Subscribe {
                id,
                symbols,
                resume,
            })
        }
        "unsubscribe" => Ok(Op::Unsubscribe {
            id,
            symbols: symbols(raw.symbols)?,
        }),
        "ping" => Ok(Op::Ping { id }),
        "auth" => Ok(Op::Auth {
            id,
            token: raw
                .token
                .map(|t| clip(&t, MAX_TOKEN_TEXT))
                .ok_or_else(|| bad("bad_request", "\"token\" is missing".into()))?,
        }),
        other => Err(bad(
            "unknown_op",
            format!(
                "unknown op {:?}; the ops are subscribe, unsubscribe, ping and auth",
                clip(&sanitize::clean(other), 32)
            ),
        )),
    }
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn clip(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// `kraken:BTC/USD` → the venue and the symbol as typed.
pub fn split_symbol(text: &str) -> Result<(ExchangeId, &str), String> {
    let Some((venue, symbol)) = text.split_once(':') else {
        return Err(format!(
            "{text:?} names no venue: write venue:SYMBOL (kraken:BTC/USD)"
        ));
    };
    let venue: ExchangeId = venue
        .parse()
        .map_err(|_| format!("unknown venue {venue:?} in {text:?}"))?;
    Ok((venue, symbol))
}

/// Append `extra` (a JSON object's members, starting with a comma) to the object `line`.
fn splice(line: &str, extra: &str) -> String {
    let body = line.trim_end().strip_suffix('}').unwrap_or(line);
    let mut out = String::with_capacity(body.len() + extra.len() + 1);
    out.push_str(body);
    out.push_str(extra);
    out.push('}');
    out
}

/// What a stream line becomes for clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// A ticker of `symbol`: the headless line with `epoch` and `seq`.
    Ticker {
        /// Its canonical symbol.
        symbol: String,
        /// The message.
        text: Utf8Bytes,
    },
    /// A symbol error line.
    Error {
        /// The symbol.
        symbol: String,
        /// The message.
        text: Utf8Bytes,
    },
    /// Updates of the venue lost on the way (every subscriber of the venue gets it).
    Gap {
        /// The message.
        text: Utf8Bytes,
    },
}

/// Rebuild a stream line for clients: read (and cleaned) with the engine's reader, written
/// again with its writer, plus `epoch` and `seq`; `None` for a line that cannot be read.
pub fn update(venue: ExchangeId, line: &str, epoch: &str, seq: u64) -> Option<Update> {
    let extra = format!(",\"epoch\":{},\"seq\":{seq}", quote(epoch));
    match json::read_line(line).ok()? {
        Line::Ticker { ticker, simulated } if ticker.exchange == venue => Some(Update::Ticker {
            symbol: ticker.symbol.to_string(),
            text: splice(&json::ticker_line(&ticker, simulated), &extra).into(),
        }),
        Line::Error {
            symbol,
            message,
            simulated,
            ..
        } => Some(Update::Error {
            text: splice(
                &json::error_line(venue, &symbol, &message, simulated),
                &extra,
            )
            .into(),
            symbol,
        }),
        Line::Gap {
            skipped, reason, ..
        } => Some(Update::Gap {
            text: splice(&json::venue_gap_line(venue, skipped, &reason), &extra).into(),
        }),
        _ => None,
    }
}

/// The same update marked as standing for `n` more that were coalesced into it.
pub fn coalesced(text: &str, n: u64) -> Utf8Bytes {
    splice(text, &format!(",\"coalesced\":{n}")).into()
}

/// A JSON string literal.
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A message from a `json!` value.
pub fn text(v: &Value) -> Utf8Bytes {
    v.to_string().into()
}

/// An error frame.
pub fn error(id: Option<u64>, code: &str, message: &str) -> Utf8Bytes {
    text(&json!({"type": "error", "id": id, "code": code, "message": message}))
}

/// The answer to an app-level ping.
pub fn pong(id: Option<u64>) -> Utf8Bytes {
    text(&json!({"type": "pong", "id": id}))
}

/// The server's heartbeat.
pub fn heartbeat(now: chrono::DateTime<chrono::Utc>) -> Utf8Bytes {
    text(&json!({"type": "heartbeat", "ts": json::ts(now)}))
}

/// The start of a venue's snapshot (the latest ticker of each symbol follows, or the
/// missed updates when `recovered`).
pub fn snapshot(
    venue: ExchangeId,
    epoch: &str,
    seq: u64,
    recovered: bool,
    symbols: &[String],
    replayed: usize,
) -> Utf8Bytes {
    text(&json!({
        "type": "snapshot",
        "exchange": venue.as_str(),
        "epoch": epoch,
        "seq": seq,
        "recovered": recovered,
        "symbols": symbols,
        "replayed": replayed,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_parse_and_bad_ones_say_why() {
        assert_eq!(
            parse_op(
                r#"{"op":"subscribe","id":1,"symbols":["kraken:BTC/USD"],"resume":{"kraken":{"epoch":"e1","seq":7}}}"#
            ),
            Ok(Op::Subscribe {
                id: Some(1),
                symbols: vec!["kraken:BTC/USD".into()],
                resume: vec![Resume {
                    venue: ExchangeId::Kraken,
                    epoch: "e1".into(),
                    seq: 7
                }],
            })
        );
        assert_eq!(parse_op(r#"{"op":"ping"}"#), Ok(Op::Ping { id: None }));
        assert_eq!(parse_op("nope").unwrap_err().code, "bad_json");
        assert_eq!(
            parse_op(r#"{"op":"dance","id":4}"#).unwrap_err().id,
            Some(4)
        );
        assert_eq!(
            parse_op(r#"{"op":"dance"}"#).unwrap_err().code,
            "unknown_op"
        );
        assert_eq!(
            parse_op(r#"{"op":"subscribe"}"#).unwrap_err().code,
            "bad_request"
        );
        assert_eq!(
            parse_op(r#"{"op":"ping","id":"x"}"#).unwrap_err().code,
            "bad_request"
        );
        let many = format!(
            r#"{{"op":"subscribe","symbols":[{}]}}"#,
            vec!["\"kraken:A/B\""; 101].join(",")
        );
        assert_eq!(parse_op(&many).unwrap_err().code, "too_many_symbols");
        assert!(
            split_symbol("BTC/USD")
                .unwrap_err()
                .contains("names no venue")
        );
        assert!(
            split_symbol("mars:BTC/USD")
                .unwrap_err()
                .contains("unknown venue")
        );
        assert_eq!(
            split_symbol("kraken:BTC/USD"),
            Ok((ExchangeId::Kraken, "BTC/USD"))
        );
    }

    #[test]
    fn an_update_is_the_headless_line_with_epoch_and_seq() {
        let line = r#"{"type":"ticker","exchange":"kraken","simulated":true,"symbol":"BTC/USD","last":"65000.10","bid":null,"ask":null,"open_24h":null,"change_24h":null,"change_pct_24h":null,"high_24h":null,"low_24h":null,"volume_24h":null,"vwap_24h":null,"source":"stream","exchange_ts":null,"received_ts":"2026-11-21T10:00:00.123456Z"}"#;
        let Some(Update::Ticker { symbol, text }) = update(ExchangeId::Kraken, line, "e\"1", 42)
        else {
            panic!("not a ticker");
        };
        assert_eq!(symbol, "BTC/USD");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["last"], "65000.10");
        assert_eq!(v["simulated"], true);
        assert_eq!(v["epoch"], "e\"1");
        assert_eq!(v["seq"], 42);
        let c: Value = serde_json::from_str(&coalesced(&text, 3)).unwrap();
        assert_eq!(c["coalesced"], 3);
        assert_eq!(update(ExchangeId::Kraken, "garbage", "e", 1), None);
        // A line of another venue is not passed off as this one's.
        assert_eq!(update(ExchangeId::Binance, line, "e", 1), None);
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Any text: an op or an error, never a panic, and never more than the bounds kept.
        #[test]
        fn any_text_is_an_op_or_a_clear_error(text in ".{0,300}") {
            match parse_op(&text) {
                Ok(Op::Subscribe { symbols, .. } | Op::Unsubscribe { symbols, .. }) => {
                    prop_assert!(symbols.len() <= MAX_SYMBOLS_PER_OP);
                    prop_assert!(symbols.iter().all(|s| s.len() <= MAX_SYMBOL_TEXT));
                }
                Ok(_) => {}
                Err(e) => prop_assert!(!e.message.is_empty()),
            }
        }

        /// Shaped like ops, with hostile values.
        #[test]
        fn hostile_ops_are_bounded(
            op in prop::sample::select(vec!["subscribe", "unsubscribe", "ping", "auth", "x"]),
            id in prop::option::of(any::<i64>()),
            symbols in prop::collection::vec(".{0,100}", 0..120),
            token in ".{0,400}",
        ) {
            let text = serde_json::json!({"op": op, "id": id, "symbols": symbols, "token": token}).to_string();
            match parse_op(&text) {
                Ok(Op::Subscribe { symbols, .. } | Op::Unsubscribe { symbols, .. }) => {
                    prop_assert!(symbols.len() <= MAX_SYMBOLS_PER_OP);
                    prop_assert!(symbols.iter().all(|s| s.len() <= MAX_SYMBOL_TEXT && !s.chars().any(char::is_control)));
                }
                Ok(Op::Auth { token, .. }) => prop_assert!(token.len() <= MAX_TOKEN_TEXT),
                Ok(Op::Ping { .. }) => {}
                Err(e) => prop_assert!(!e.message.is_empty()),
            }
        }
    }
}
