//! The JSON line of each [`Record`]: `encode` writes one (without the newline), `decode`
//! reads one back. One flat object per line, keys left out where a kind has no such field.

use std::borrow::Cow;
use std::io::Write;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Dir, FrameBody, Header, Record, RestWhat, StatusText, time_text};
use crate::model::{ExchangeId, FeedStatus, Transition};
use crate::store::RowState;
use crate::symbol::{Instrument, Symbol};

/// One line, every kind's fields optional.
#[derive(Serialize, Deserialize, Default)]
struct Line<'a> {
    #[serde(borrow)]
    rec: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    at: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    venue: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    conn: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    dir: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    text: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    op: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    len: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    url: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    what: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    path: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    body: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    symbol: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    wire: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    rest: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    decimals: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    aliases: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    row_removed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    state: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    message: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    from: Option<StatusText>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    to: Option<StatusText>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    reason: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    lost: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    v: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    program: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    config: Option<serde_json::Value>,
}

fn status_text(s: &FeedStatus) -> StatusText {
    let (attempt, max_attempts, next_try) = match s {
        FeedStatus::Reconnecting {
            attempt,
            max_attempts,
            next_try,
        } => (Some(*attempt), Some(*max_attempts), Some(*next_try)),
        FeedStatus::Fallback { next_ws_try } => (None, None, Some(*next_ws_try)),
        FeedStatus::Offline { next_try } => (None, None, Some(*next_try)),
        _ => (None, None, None),
    };
    StatusText {
        state: s.name().to_string(),
        attempt,
        max_attempts,
        next_try: next_try.map(time_text),
    }
}

fn row_text(state: &RowState) -> (&'static str, Option<&str>) {
    match state {
        RowState::Pending => ("pending", None),
        RowState::Subscribed => ("subscribed", None),
        RowState::Invalid(m) => ("invalid", Some(m)),
        RowState::Silent(m) => ("silent", Some(m)),
    }
}

/// An optional field of the line, set.
#[expect(
    clippy::unnecessary_wraps,
    reason = "it fills the line's optional fields"
)]
fn c(s: &str) -> Option<Cow<'_, str>> {
    Some(Cow::Borrowed(s))
}

/// Write one record's line (no newline) to `out`.
pub fn encode(record: &Record, out: &mut impl Write) -> std::io::Result<()> {
    let mut l = Line::default();
    let at_text;
    if let Some(at) = record.at() {
        at_text = time_text(at);
        l.at = c(&at_text);
    }
    match record {
        Record::Header(h) => {
            l.rec = Cow::Borrowed("header");
            l.v = Some(h.version);
            l.program = c(&h.program);
            l.tags = Some(h.tags.clone());
            l.config = Some(h.config.clone());
        }
        Record::Feed { exchange, .. } => {
            l.rec = Cow::Borrowed("feed");
            l.venue = c(exchange.as_str());
        }
        Record::Open {
            exchange,
            conn,
            url,
            ..
        } => {
            l.rec = Cow::Borrowed("open");
            l.venue = c(exchange.as_str());
            l.conn = Some(*conn);
            l.url = c(url);
        }
        Record::Frame {
            exchange,
            conn,
            dir,
            body,
            ..
        } => {
            l.rec = Cow::Borrowed("frame");
            l.venue = c(exchange.as_str());
            l.conn = Some(*conn);
            l.dir = c(if *dir == Dir::In { "in" } else { "out" });
            match body {
                FrameBody::Text(t) => l.text = c(t.as_str()),
                FrameBody::Ping => l.op = c("ping"),
                FrameBody::Pong => l.op = c("pong"),
                FrameBody::Close(why) => {
                    l.op = c("close");
                    l.reason = c(why);
                }
                FrameBody::Binary(n) => {
                    l.op = c("binary");
                    l.len = Some(*n);
                }
            }
        }
        Record::Rest {
            exchange,
            what,
            path,
            status,
            body,
            ..
        } => {
            l.rec = Cow::Borrowed("rest");
            l.venue = c(exchange.as_str());
            l.what = c(what.name());
            l.path = c(path);
            l.status = Some(*status);
            l.body = c(body);
        }
        Record::Sub {
            exchange,
            instrument,
        } => {
            l.rec = Cow::Borrowed("sub");
            l.venue = c(exchange.as_str());
            l.symbol = c(instrument.symbol.as_str());
            l.wire = c(&instrument.wire);
            l.rest = c(&instrument.rest);
            l.decimals = instrument.price_decimals;
            if !instrument.aliases.is_empty() {
                l.aliases = Some(instrument.aliases.clone());
            }
        }
        Record::Unsub {
            exchange,
            symbol,
            row_removed,
        } => {
            l.rec = Cow::Borrowed("unsub");
            l.venue = c(exchange.as_str());
            l.symbol = c(symbol.as_str());
            l.row_removed = Some(*row_removed);
        }
        Record::Row {
            exchange,
            symbol,
            state,
        } => {
            l.rec = Cow::Borrowed("row");
            l.venue = c(exchange.as_str());
            l.symbol = c(symbol.as_str());
            let (name, message) = row_text(state);
            l.state = c(name);
            l.message = message.map(Cow::Borrowed);
        }
        Record::Status(t) => {
            l.rec = Cow::Borrowed("status");
            l.venue = c(t.exchange.as_str());
            l.from = Some(status_text(&t.from));
            l.to = Some(status_text(&t.to));
            l.reason = c(&t.reason);
        }
        Record::Simulated { exchange, .. } => {
            l.rec = Cow::Borrowed("simulated");
            l.venue = c(exchange.as_str());
        }
        Record::Gap { lost, .. } => {
            l.rec = Cow::Borrowed("gap");
            l.lost = Some(*lost);
        }
    }
    serde_json::to_writer(out, &l).map_err(std::io::Error::other)
}

/// Why a line is not a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

fn need<T>(v: Option<T>, rec: &str, key: &str) -> Result<T, DecodeError> {
    v.ok_or_else(|| DecodeError(format!("a {rec} record without \"{key}\"")))
}

fn time(text: Option<Cow<'_, str>>, rec: &str) -> Result<DateTime<Utc>, DecodeError> {
    let text = need(text, rec, "at")?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| DecodeError(format!("bad time \"{text}\": {e}")))
}

fn status_of(s: &StatusText) -> Result<FeedStatus, DecodeError> {
    let next = || -> Result<DateTime<Utc>, DecodeError> {
        time(s.next_try.clone().map(Cow::Owned), "status")
    };
    Ok(match s.state.as_str() {
        "connecting" => FeedStatus::Connecting,
        "connected" => FeedStatus::Connected,
        "quiet" => FeedStatus::Quiet,
        "maintenance" => FeedStatus::Maintenance,
        "reconnecting" => FeedStatus::Reconnecting {
            attempt: s.attempt.unwrap_or(1),
            max_attempts: s.max_attempts.unwrap_or(1),
            next_try: next()?,
        },
        "fallback" => FeedStatus::Fallback {
            next_ws_try: next()?,
        },
        "offline" => FeedStatus::Offline { next_try: next()? },
        "idle" => FeedStatus::Idle,
        "stopped" => FeedStatus::Stopped,
        other => return Err(DecodeError(format!("unknown feed state \"{other}\""))),
    })
}

fn symbol_of(text: &str) -> Symbol {
    Symbol::parse_separated(text).unwrap_or_else(|| Symbol::unparsed(text))
}

/// Read one line back into a record.
pub fn decode(line: &str) -> Result<Record, DecodeError> {
    let l: Line<'_> =
        serde_json::from_str(line).map_err(|e| DecodeError(format!("not a record: {e}")))?;
    let rec = l.rec.clone();
    let rec = rec.as_ref();
    let venue = |v: Option<Cow<'_, str>>| -> Result<ExchangeId, DecodeError> {
        need(v, rec, "venue")?.parse().map_err(DecodeError)
    };
    Ok(match rec {
        "header" => Record::Header(Header {
            version: need(l.v, rec, "v")?,
            program: need(l.program, rec, "program")?.into_owned(),
            started: time(l.at, rec)?,
            tags: l.tags.unwrap_or_default(),
            config: l.config.unwrap_or(serde_json::Value::Null),
        }),
        "feed" => Record::Feed {
            exchange: venue(l.venue)?,
            at: time(l.at, rec)?,
        },
        "open" => Record::Open {
            exchange: venue(l.venue)?,
            conn: need(l.conn, rec, "conn")?,
            at: time(l.at, rec)?,
            url: need(l.url, rec, "url")?.into_owned(),
        },
        "frame" => {
            let body = match (l.text, l.op.as_deref()) {
                (Some(t), _) => FrameBody::Text(t.into_owned().into()),
                (None, Some("ping")) => FrameBody::Ping,
                (None, Some("pong")) => FrameBody::Pong,
                (None, Some("close")) => {
                    FrameBody::Close(l.reason.map(Cow::into_owned).unwrap_or_default())
                }
                (None, Some("binary")) => FrameBody::Binary(l.len.unwrap_or(0)),
                _ => return Err(DecodeError("a frame record without text or op".into())),
            };
            Record::Frame {
                exchange: venue(l.venue)?,
                conn: need(l.conn, rec, "conn")?,
                at: time(l.at, rec)?,
                dir: match need(l.dir, rec, "dir")?.as_ref() {
                    "in" => Dir::In,
                    "out" => Dir::Out,
                    other => return Err(DecodeError(format!("unknown direction \"{other}\""))),
                },
                body,
            }
        }
        "rest" => Record::Rest {
            exchange: venue(l.venue)?,
            at: time(l.at, rec)?,
            what: match need(l.what, rec, "what")?.as_ref() {
                "pairs" => RestWhat::Pairs,
                "token" => RestWhat::Token,
                "poll" => RestWhat::Poll,
                "candles" => RestWhat::Candles,
                other => return Err(DecodeError(format!("unknown REST kind \"{other}\""))),
            },
            path: need(l.path, rec, "path")?.into_owned(),
            status: need(l.status, rec, "status")?,
            body: need(l.body, rec, "body")?.into_owned(),
        },
        "sub" => Record::Sub {
            exchange: venue(l.venue)?,
            instrument: Instrument {
                symbol: symbol_of(&need(l.symbol, rec, "symbol")?),
                wire: need(l.wire, rec, "wire")?.into_owned(),
                rest: need(l.rest, rec, "rest")?.into_owned(),
                price_decimals: l.decimals,
                aliases: l.aliases.unwrap_or_default(),
            },
        },
        "unsub" => Record::Unsub {
            exchange: venue(l.venue)?,
            symbol: symbol_of(&need(l.symbol, rec, "symbol")?),
            row_removed: l.row_removed.unwrap_or(true),
        },
        "row" => {
            let message = l.message.map(Cow::into_owned).unwrap_or_default();
            Record::Row {
                exchange: venue(l.venue)?,
                symbol: symbol_of(&need(l.symbol, rec, "symbol")?),
                state: match need(l.state, rec, "state")?.as_ref() {
                    "pending" => RowState::Pending,
                    "subscribed" => RowState::Subscribed,
                    "invalid" => RowState::Invalid(message),
                    "silent" => RowState::Silent(message),
                    other => return Err(DecodeError(format!("unknown row state \"{other}\""))),
                },
            }
        }
        "status" => Record::Status(Arc::new(Transition {
            exchange: venue(l.venue)?,
            at: time(l.at, rec)?,
            from: status_of(&need(l.from, rec, "from")?)?,
            to: status_of(&need(l.to, rec, "to")?)?,
            reason: need(l.reason, rec, "reason")?.into_owned(),
        })),
        "simulated" => Record::Simulated {
            exchange: venue(l.venue)?,
            at: time(l.at, rec)?,
        },
        "gap" => Record::Gap {
            at: time(l.at, rec)?,
            lost: need(l.lost, rec, "lost")?,
        },
        other => return Err(DecodeError(format!("unknown record kind \"{other}\""))),
    })
}
