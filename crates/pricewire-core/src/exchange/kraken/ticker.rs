//! Kraken's ticker frames on the hot path: `{"channel":"ticker","type":…,"data":[{…}]}`
//! read by the scanner in one pass, with no intermediate values.
//!
//! The scanner reads the form Kraken sends (escape-free strings, plain numbers, scalar
//! fields) and declines anything else, so the general reader in `envelope.rs` sees those
//! frames: it gives the same tickers or the error message. A frame either reader accepts
//! gives the same events; `tests.rs` checks that on generated frames, and that every
//! generated frame in Kraken's own form is read by the scanner rather than declined.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::exchange::scan::{Json, Scalar};
use crate::exchange::{Event, WireTicker, rfc3339};

/// Reads a ticker frame into `out`, or declines with `None` (`out` may then hold part of
/// the frame: the caller truncates it).
pub(super) fn frame<'a>(text: &'a str, out: &mut Vec<Event<'a>>) -> Option<()> {
    let mut j = Json::new(text);
    j.expect(b'{')?;
    if j.key()? != "channel" || j.string()? != "ticker" {
        return None;
    }
    let mut data = false;
    while j.more(b'}')? {
        match j.key()? {
            "data" if !data => {
                data = true;
                tickers(&mut j, out)?;
            }
            // Fields the general reader types or rejects when repeated.
            "data" | "channel" | "method" | "success" | "error" | "symbol" | "result"
            | "req_id" => return None,
            // `type` (snapshot or update) and anything new: no meaning for a ticker.
            _ => {
                j.scalar()?;
            }
        }
    }
    j.end()?;
    data.then_some(())
}

fn tickers<'a>(j: &mut Json<'a>, out: &mut Vec<Event<'a>>) -> Option<()> {
    j.expect(b'[')?;
    if j.peek()? == b']' {
        return j.expect(b']');
    }
    loop {
        out.push(Event::Ticker(ticker(j)?));
        if !j.more(b']')? {
            return Some(());
        }
    }
}

/// One ticker object. Keys may come in any order; a repeated known key declines.
fn ticker<'a>(j: &mut Json<'a>) -> Option<WireTicker<'a>> {
    j.expect(b'{')?;
    let mut t = WireTicker::default();
    let mut symbol = None;
    let mut seen = 0u16;
    loop {
        let key = j.key()?;
        let value = j.scalar()?;
        let bit = match key {
            "symbol" => {
                symbol = Some(string(value)?);
                0
            }
            "timestamp" => {
                time(value, &mut t.exchange_ts)?;
                1
            }
            "bid" => {
                quote(value, &mut t.bid, &mut t.cleared.bid)?;
                2
            }
            "ask" => {
                quote(value, &mut t.ask, &mut t.cleared.ask)?;
                3
            }
            "last" => {
                quote(value, &mut t.last, &mut t.cleared.last)?;
                4
            }
            "volume" => {
                decimal(value, &mut t.volume_24h)?;
                5
            }
            "vwap" => {
                decimal(value, &mut t.vwap_24h)?;
                6
            }
            "low" => {
                decimal(value, &mut t.low_24h)?;
                7
            }
            "high" => {
                decimal(value, &mut t.high_24h)?;
                8
            }
            "change" => {
                decimal(value, &mut t.change_24h)?;
                9
            }
            "change_pct" => {
                decimal(value, &mut t.change_pct_24h)?;
                10
            }
            // `bid_qty`, `trades` and anything new: not shown.
            _ => 15,
        };
        if bit != 15 {
            if seen & (1 << bit) != 0 {
                return None;
            }
            seen |= 1 << bit;
        }
        if !j.more(b'}')? {
            break;
        }
    }
    t.symbol = Cow::Borrowed(symbol?);
    Some(t)
}

fn string(value: Scalar<'_>) -> Option<&str> {
    match value {
        Scalar::Str(s) => Some(s),
        _ => None,
    }
}

/// A number field into `slot`: `null` is absent; quoted numbers, `""` and the like are
/// left to the general reader's rules.
fn decimal(value: Scalar<'_>, slot: &mut Option<Decimal>) -> Option<()> {
    *slot = match value {
        Scalar::Null => None,
        Scalar::Number(n) => Some(n.decimal()?),
        _ => return None,
    };
    Some(())
}

/// A quote field: `null` says there is none now (an empty book side), which clears the
/// row's value, as the general reader's `Field` does.
fn quote(value: Scalar<'_>, slot: &mut Option<Decimal>, cleared: &mut bool) -> Option<()> {
    decimal(value, slot)?;
    *cleared = slot.is_none();
    Some(())
}

fn time(value: Scalar<'_>, slot: &mut Option<DateTime<Utc>>) -> Option<()> {
    *slot = match value {
        Scalar::Null => None,
        Scalar::Str(s) => Some(rfc3339(s).ok()?),
        _ => return None,
    };
    Some(())
}

#[cfg(test)]
mod tests;
