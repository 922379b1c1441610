//! Reading lines back: a ticker line becomes the [`Ticker`] it was written from (every
//! decimal with its exact digits), an error line the symbol error, a gap line the count.
//! What came over a network is cleaned ([`crate::sanitize`]) on the way in.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::model::{ExchangeId, Source, Ticker};
use crate::sanitize;
use crate::symbol::Symbol;

/// One line, read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Line {
    /// A ticker line: the merged ticker, and whether its feed was the simulator's. A
    /// `null` bid, ask or last is marked cleared, so merging it empties the field.
    Ticker {
        /// The ticker.
        ticker: Box<Ticker>,
        /// `"simulated":true` was on the line.
        simulated: bool,
    },
    /// A symbol error line.
    Error {
        /// The venue.
        exchange: ExchangeId,
        /// The symbol as written (cleaned).
        symbol: String,
        /// Why (cleaned).
        message: String,
        /// `"simulated":true` was on the line.
        simulated: bool,
    },
    /// A gap line: updates that never arrived.
    Gap {
        /// The venue, when the line names one.
        exchange: Option<ExchangeId>,
        /// How many.
        skipped: u64,
        /// Why, when the line says (cleaned).
        reason: String,
    },
}

/// Why a line could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable line: {0}")]
pub struct ReadError(pub String);

#[derive(Deserialize)]
struct Raw<'a> {
    r#type: Cow<'a, str>,
    #[serde(default)]
    exchange: Option<Cow<'a, str>>,
    #[serde(default)]
    simulated: bool,
    #[serde(default)]
    symbol: Option<Cow<'a, str>>,
    #[serde(default)]
    message: Option<Cow<'a, str>>,
    #[serde(default)]
    skipped: Option<u64>,
    #[serde(default)]
    reason: Option<Cow<'a, str>>,
    #[serde(default)]
    last: Option<Cow<'a, str>>,
    #[serde(default)]
    bid: Option<Cow<'a, str>>,
    #[serde(default)]
    ask: Option<Cow<'a, str>>,
    #[serde(default)]
    open_24h: Option<Cow<'a, str>>,
    #[serde(default)]
    change_24h: Option<Cow<'a, str>>,
    #[serde(default)]
    change_pct_24h: Option<Cow<'a, str>>,
    #[serde(default)]
    high_24h: Option<Cow<'a, str>>,
    #[serde(default)]
    low_24h: Option<Cow<'a, str>>,
    #[serde(default)]
    volume_24h: Option<Cow<'a, str>>,
    #[serde(default)]
    vwap_24h: Option<Cow<'a, str>>,
    #[serde(default)]
    source: Option<Cow<'a, str>>,
    #[serde(default)]
    exchange_ts: Option<Cow<'a, str>>,
    #[serde(default)]
    received_ts: Option<Cow<'a, str>>,
}

/// Read one line (without its newline).
pub fn read_line(text: &str) -> Result<Line, ReadError> {
    let raw: Raw = serde_json::from_str(text).map_err(|e| ReadError(e.to_string()))?;
    let exchange = raw
        .exchange
        .as_deref()
        .map(str::parse::<ExchangeId>)
        .transpose()
        .map_err(ReadError)?;
    let need_exchange = || exchange.ok_or_else(|| ReadError("no exchange".into()));
    match &*raw.r#type {
        "ticker" => {
            let exchange = need_exchange()?;
            let symbol = symbol(raw.symbol.as_deref())?;
            let received = time(raw.received_ts.as_deref())?
                .ok_or_else(|| ReadError("no received_ts".into()))?;
            let source = match raw.source.as_deref() {
                Some("rest") => Source::Rest,
                Some("stream") | None => Source::Stream,
                Some(other) => return Err(ReadError(format!("unknown source {other:?}"))),
            };
            let mut t = Ticker::empty(exchange, symbol, source, received);
            t.last = decimal(raw.last.as_deref())?;
            t.bid = decimal(raw.bid.as_deref())?;
            t.ask = decimal(raw.ask.as_deref())?;
            t.open_24h = decimal(raw.open_24h.as_deref())?;
            t.change_24h = decimal(raw.change_24h.as_deref())?;
            t.change_pct_24h = decimal(raw.change_pct_24h.as_deref())?;
            t.high_24h = decimal(raw.high_24h.as_deref())?;
            t.low_24h = decimal(raw.low_24h.as_deref())?;
            t.volume_24h = decimal(raw.volume_24h.as_deref())?;
            t.vwap_24h = decimal(raw.vwap_24h.as_deref())?;
            t.exchange_ts = time(raw.exchange_ts.as_deref())?;
            // The line is a row's whole view: an empty quote field is empty now.
            t.cleared.last = t.last.is_none();
            t.cleared.bid = t.bid.is_none();
            t.cleared.ask = t.ask.is_none();
            Ok(Line::Ticker {
                ticker: Box::new(t),
                simulated: raw.simulated,
            })
        }
        "error" => Ok(Line::Error {
            exchange: need_exchange()?,
            symbol: sanitize::clean(raw.symbol.as_deref().unwrap_or_default()),
            message: sanitize::clean(raw.message.as_deref().unwrap_or_default()),
            simulated: raw.simulated,
        }),
        "gap" => Ok(Line::Gap {
            exchange,
            skipped: raw.skipped.unwrap_or(0),
            reason: sanitize::clean(raw.reason.as_deref().unwrap_or_default()),
        }),
        other => Err(ReadError(format!("unknown line type {other:?}"))),
    }
}

fn symbol(text: Option<&str>) -> Result<Symbol, ReadError> {
    let text = text.ok_or_else(|| ReadError("no symbol".into()))?;
    match text.split_once('/') {
        Some((base, quote)) if !base.is_empty() && !quote.is_empty() => {
            Ok(Symbol::new(base, quote))
        }
        _ => Err(ReadError(format!("bad symbol {:?}", sanitize::clean(text)))),
    }
}

fn decimal(text: Option<&str>) -> Result<Option<Decimal>, ReadError> {
    text.map(|t| {
        Decimal::from_str_exact(t).map_err(|e| ReadError(format!("bad decimal {t:?}: {e}")))
    })
    .transpose()
}

fn time(text: Option<&str>) -> Result<Option<DateTime<Utc>>, ReadError> {
    text.map(|t| {
        DateTime::parse_from_rfc3339(t)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| ReadError(format!("bad time {t:?}: {e}")))
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{error_line, ticker_line, venue_gap_line};

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn a_ticker_line_reads_back_to_its_ticker() {
        let mut t = Ticker::empty(
            ExchangeId::Okx,
            Symbol::new("BTC", "USDT"),
            Source::Rest,
            DateTime::from_timestamp(1_700_000_000, 123_456_000).unwrap(),
        );
        t.last = Some(d("65000.10"));
        t.ask = Some(d("65000.20"));
        t.volume_24h = Some(d("1.00000"));
        t.exchange_ts = DateTime::from_timestamp(1_699_999_999, 0);
        let Line::Ticker { ticker, simulated } = read_line(&ticker_line(&t, true)).unwrap() else {
            panic!("not a ticker")
        };
        assert!(simulated);
        assert_eq!(ticker.last.unwrap().to_string(), "65000.10");
        assert_eq!(ticker.volume_24h.unwrap().to_string(), "1.00000");
        assert_eq!(ticker.bid, None);
        assert!(ticker.cleared.bid && !ticker.cleared.ask);
        assert_eq!(
            (ticker.exchange_ts, ticker.received_ts),
            (t.exchange_ts, t.received_ts)
        );
        assert_eq!(ticker.source, Source::Rest);
        // Written again, it is the same line.
        assert_eq!(ticker_line(&ticker, true), ticker_line(&t, true));
    }

    #[test]
    fn errors_and_gaps_read_back_cleaned() {
        let line = error_line(
            ExchangeId::Kraken,
            "NOPE/USD",
            "no such\u{1b}[31m market",
            false,
        );
        assert_eq!(
            read_line(&line).unwrap(),
            Line::Error {
                exchange: ExchangeId::Kraken,
                symbol: "NOPE/USD".into(),
                message: "no such market".into(),
                simulated: false
            }
        );
        let gap = venue_gap_line(ExchangeId::Kraken, 12, "stream trimmed");
        assert_eq!(
            read_line(&gap).unwrap(),
            Line::Gap {
                exchange: Some(ExchangeId::Kraken),
                skipped: 12,
                reason: "stream trimmed".into()
            }
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [
            "",
            "nonsense",
            "{}",
            r#"{"type":"ticker"}"#,
            r#"{"type":"ticker","exchange":"nope"}"#,
            r#"{"type":"ticker","exchange":"kraken","symbol":"BTCUSD","received_ts":"2020-01-01T00:00:00Z"}"#,
            r#"{"type":"ticker","exchange":"kraken","symbol":"BTC/USD","received_ts":"2020-01-01T00:00:00Z","last":"1e999999"}"#,
            r#"{"type":"ticker","exchange":"kraken","symbol":"BTC/USD","received_ts":"yesterday"}"#,
            r#"{"type":"status"}"#,
        ] {
            assert!(read_line(bad).is_err(), "{bad}");
        }
    }
}
