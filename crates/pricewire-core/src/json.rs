//! The JSON encoding of the store's events: one object per line, as `pricewire --headless`
//! prints them and as the relay stores them. Decimals are strings carrying the venue's exact
//! digits (never a float); times are RFC 3339 UTC with microseconds; a field the venue does
//! not give is `null`.
//!
//! Every line of a feed whose peer announced itself as the simulator
//! ([`crate::store::Feed::simulated`]) carries `"simulated":true` right after `exchange`;
//! lines of real venues carry no such key, so a reader can test for the key alone.
//!
//! Line types: `ticker` ([`ticker_line`], [`write_ticker`]), `status` ([`status_line`]),
//! `error` ([`error_line`]), `alert` ([`alert_line`]: a rule fired or recovered) and `gap`
//! ([`gap_line`]: a reader too slow to keep up skipped that many events; [`venue_gap_line`]:
//! updates of one venue lost on the way from a relay). [`read_line`] reads ticker, error and
//! gap lines back (a relay's readers do).
//!
//! Lines of a replayed recording carry `"replay":true` after `exchange` (and `simulated`):
//! [`write_replayed_event`].

use std::io::{self, Write};

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::model::{ExchangeId, Ticker, Transition};
use crate::store::StoreEvent;

mod alert;

pub use alert::alert_line;

/// A time as the lines write it: RFC 3339 UTC with microseconds (`2026-11-21T10:00:00.123456Z`).
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The text of [`ts`] without building a `String`: `YYYY-MM-DDTHH:MM:SS.ffffffZ`, or `None`
/// where [`ts`] must decide (years outside 0..=9999, leap seconds).
fn ts_ascii(t: DateTime<Utc>) -> Option<[u8; 27]> {
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    let nanos = t.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    let mut out = *b"0000-00-00T00:00:00.000000Z";
    let mut put = |at: usize, digits: usize, mut v: u32| {
        for i in (at..at + digits).rev() {
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, year);
    put(5, 2, t.month());
    put(8, 2, t.day());
    put(11, 2, t.hour());
    put(14, 2, t.minute());
    put(17, 2, t.second());
    put(20, 6, nanos / 1000);
    Some(out)
}

/// A decimal's text as `Display` writes it (`-0.00500`: every digit of its scale), for
/// nonzero mantissas that fit a `u64`; `None` sends the rest to `Display`. The digits come
/// from one `u64` instead of `Decimal`'s 96-bit division, several times faster.
fn plain_text(d: &Decimal, out: &mut [u8; 64]) -> Option<usize> {
    let mut m = u64::try_from(d.mantissa().unsigned_abs()).ok()?;
    if m == 0 {
        return None;
    }
    let mut digits = [0u8; 20];
    let mut n = 0;
    while m > 0 {
        digits[n] = b'0' + (m % 10) as u8;
        m /= 10;
        n += 1;
    }
    let scale = usize::try_from(d.scale()).ok()?;
    let mut len = 0;
    let mut push = |b: u8| {
        out[len] = b;
        len += 1;
    };
    if d.is_sign_negative() {
        push(b'-');
    }
    if n <= scale {
        push(b'0');
        push(b'.');
        for _ in n..scale {
            push(b'0');
        }
        for i in (0..n).rev() {
            push(digits[i]);
        }
    } else {
        for i in (0..n).rev() {
            push(digits[i]);
            if i == scale && i > 0 {
                push(b'.');
            }
        }
    }
    Some(len)
}

/// How every line about one venue begins: its type, the venue, then `simulated` and
/// `replay`, each only when true.
#[derive(Serialize)]
struct Head {
    r#type: &'static str,
    exchange: &'static str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    simulated: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    replay: bool,
}

impl Head {
    fn new(r#type: &'static str, exchange: ExchangeId, simulated: bool, replay: bool) -> Head {
        Head {
            r#type,
            exchange: exchange.as_str(),
            simulated,
            replay,
        }
    }
}

#[derive(Serialize)]
struct StatusLine<'a> {
    #[serde(flatten)]
    head: Head,
    from: &'static str,
    to: &'static str,
    reason: &'a str,
    attempt: u32,
    ts: String,
}

#[derive(Serialize)]
struct ErrorLine<'a> {
    #[serde(flatten)]
    head: Head,
    symbol: &'a str,
    message: &'a str,
}

mod read;
pub use read::{Line, ReadError, read_line};

#[derive(Serialize)]
struct GapLine {
    r#type: &'static str,
    skipped: u64,
}

#[derive(Serialize)]
struct VenueGapLine<'a> {
    r#type: &'static str,
    exchange: &'static str,
    skipped: u64,
    reason: &'a str,
}

/// The line for `skipped` updates of `exchange` that never arrived, and why:
/// `{"type":"gap","exchange":"kraken","skipped":N,"reason":"…"}`.
pub fn venue_gap_line(exchange: ExchangeId, skipped: u64, reason: &str) -> String {
    serde_json::to_string(&VenueGapLine {
        r#type: "gap",
        exchange: exchange.as_str(),
        skipped,
        reason,
    })
    .unwrap_or_default()
}

/// The line that stands for `skipped` events a slow reader missed:
/// `{"type":"gap","skipped":N}`.
pub fn gap_line(skipped: u64) -> String {
    serde_json::to_string(&GapLine {
        r#type: "gap",
        skipped,
    })
    .unwrap_or_default()
}

/// One JSON line for a symbol error on `exchange` (`simulated`: its feed is the simulator's).
pub fn error_line(exchange: ExchangeId, symbol: &str, message: &str, simulated: bool) -> String {
    error_line_marked(exchange, symbol, message, simulated, false)
}

fn error_line_marked(
    exchange: ExchangeId,
    symbol: &str,
    message: &str,
    simulated: bool,
    replay: bool,
) -> String {
    serde_json::to_string(&ErrorLine {
        head: Head::new("error", exchange, simulated, replay),
        symbol,
        message,
    })
    .unwrap_or_default()
}

/// One ticker's JSON line (without the newline) written to `out` piece by piece: the keys are
/// constants; the values are constants, decimal digits, timestamps, or the symbol, which
/// is escaped. `type` comes first, as in every other line type, and `simulated` (only when
/// true) right after `exchange`.
pub fn write_ticker(out: &mut impl Write, t: &Ticker, simulated: bool) -> io::Result<()> {
    write_ticker_marked(out, t, simulated, false)
}

fn write_ticker_marked(
    out: &mut impl Write,
    t: &Ticker,
    simulated: bool,
    replay: bool,
) -> io::Result<()> {
    out.write_all(b"{\"type\":\"ticker\",\"exchange\":")?;
    serde_json::to_writer(&mut *out, t.exchange.as_str())?;
    if simulated {
        out.write_all(SIMULATED)?;
    }
    if replay {
        out.write_all(REPLAY)?;
    }
    out.write_all(b",\"symbol\":")?;
    serde_json::to_writer(&mut *out, t.symbol.as_str())?;
    let decimals: [(&[u8], Option<Decimal>); 10] = [
        (b",\"last\":", t.last),
        (b",\"bid\":", t.bid),
        (b",\"ask\":", t.ask),
        (b",\"open_24h\":", t.open_24h),
        (b",\"change_24h\":", t.change_24h),
        (b",\"change_pct_24h\":", t.change_pct_24h),
        (b",\"high_24h\":", t.high_24h),
        (b",\"low_24h\":", t.low_24h),
        (b",\"volume_24h\":", t.volume_24h),
        (b",\"vwap_24h\":", t.vwap_24h),
    ];
    for (key, value) in decimals {
        out.write_all(key)?;
        write_decimal(out, value)?;
    }
    out.write_all(b",\"source\":")?;
    serde_json::to_writer(&mut *out, &t.source)?;
    out.write_all(b",\"exchange_ts\":")?;
    write_time(out, t.exchange_ts)?;
    out.write_all(b",\"received_ts\":")?;
    write_time(out, Some(t.received_ts))?;
    out.write_all(b"}")
}

/// A decimal as a JSON string of its exact digits, `null` when absent.
fn write_decimal(out: &mut impl Write, d: Option<Decimal>) -> io::Result<()> {
    let Some(d) = d else {
        return out.write_all(b"null");
    };
    let mut text = [0u8; 64];
    out.write_all(b"\"")?;
    match plain_text(&d, &mut text) {
        Some(len) => out.write_all(&text[..len])?,
        None => write!(out, "{d}")?,
    }
    out.write_all(b"\"")
}

/// A time as a JSON string in RFC 3339 UTC with microseconds, `null` when absent.
fn write_time(out: &mut impl Write, t: Option<DateTime<Utc>>) -> io::Result<()> {
    let Some(t) = t else {
        return out.write_all(b"null");
    };
    out.write_all(b"\"")?;
    match ts_ascii(t) {
        Some(text) => out.write_all(&text)?,
        None => out.write_all(ts(t).as_bytes())?,
    }
    out.write_all(b"\"")
}

/// The key a simulated feed's lines carry after `exchange`.
const SIMULATED: &[u8] = b",\"simulated\":true";
/// The key a replayed recording's lines carry after `exchange` (and `simulated`).
const REPLAY: &[u8] = b",\"replay\":true";

/// One JSON line for a ticker (`simulated`: its feed is the simulator's).
pub fn ticker_line(t: &Ticker, simulated: bool) -> String {
    let mut line = Vec::with_capacity(512);
    // Writing to a `Vec` cannot fail, and every piece is UTF-8.
    let _ = write_ticker(&mut line, t, simulated);
    String::from_utf8(line).unwrap_or_default()
}

/// One JSON line for a state change (`simulated`: its feed is the simulator's).
pub fn status_line(t: &Transition, simulated: bool) -> String {
    status_line_marked(t, simulated, false)
}

fn status_line_marked(t: &Transition, simulated: bool, replay: bool) -> String {
    serde_json::to_string(&StatusLine {
        head: Head::new("status", t.exchange, simulated, replay),
        from: t.from.name(),
        to: t.to.name(),
        reason: &t.reason,
        attempt: t.to.attempt(),
        ts: ts(t.at),
    })
    .unwrap_or_default()
}

/// Write one event's JSON line (with its newline) to `out`; `simulated` says whether the
/// event's feed is the simulator's.
pub fn write_event(out: &mut impl Write, event: &StoreEvent, simulated: bool) -> io::Result<()> {
    write_event_marked(out, event, simulated, false)
}

/// [`write_event`] for an event of a replayed recording: the line says `"replay":true`.
pub fn write_replayed_event(
    out: &mut impl Write,
    event: &StoreEvent,
    simulated: bool,
) -> io::Result<()> {
    write_event_marked(out, event, simulated, true)
}

fn write_event_marked(
    out: &mut impl Write,
    event: &StoreEvent,
    simulated: bool,
    replay: bool,
) -> io::Result<()> {
    match event {
        // Written straight into the buffer: no line `String`, no decimal `String`s.
        StoreEvent::Ticker(t) => write_ticker_marked(out, t, simulated, replay)?,
        StoreEvent::Status(t) => {
            out.write_all(status_line_marked(t, simulated, replay).as_bytes())?;
        }
        StoreEvent::Error {
            exchange,
            symbol,
            message,
        } => out.write_all(
            error_line_marked(*exchange, symbol, message, simulated, replay).as_bytes(),
        )?,
        StoreEvent::Gap {
            exchange,
            skipped,
            reason,
        } => out.write_all(venue_gap_line(*exchange, *skipped, reason).as_bytes())?,
    }
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FeedStatus, Source};
    use crate::symbol::Symbol;

    /// BTC/USD on Kraken, streamed, last 65000.10.
    fn btc_ticker() -> Ticker {
        let mut t = Ticker::empty(
            ExchangeId::Kraken,
            Symbol::new("BTC", "USD"),
            Source::Stream,
            DateTime::from_timestamp(1_700_000_000, 5_000).unwrap(),
        );
        t.last = Some("65000.10".parse().unwrap());
        t
    }

    #[test]
    fn ticker_lines_carry_exact_digits_and_nulls() {
        let mut t = btc_ticker();
        t.bid = Some("0.99980".parse().unwrap());
        let v: serde_json::Value = serde_json::from_str(&ticker_line(&t, false)).unwrap();
        assert_eq!(v["type"], "ticker");
        assert_eq!(v["exchange"], "kraken");
        assert_eq!(v["symbol"], "BTC/USD");
        assert_eq!(v["last"], "65000.10");
        assert_eq!(v["bid"], "0.99980");
        assert_eq!(v["ask"], serde_json::Value::Null);
        assert_eq!(v["source"], "stream");
        assert_eq!(v["exchange_ts"], serde_json::Value::Null);
        assert_eq!(v["received_ts"], "2023-11-14T22:13:20.000005Z");
    }

    #[test]
    fn timestamps_match_rfc3339_micros() {
        // (seconds, nanoseconds, the RFC 3339 text, whether the digit writer takes it).
        let times = [
            (0, 0, "1970-01-01T00:00:00.000000Z", true),
            (1_700_000_000, 5_000, "2023-11-14T22:13:20.000005Z", true),
            (
                1_700_000_000,
                999_999_999,
                "2023-11-14T22:13:20.999999Z",
                true,
            ),
            (
                1_700_000_000,
                1_999_999,
                "2023-11-14T22:13:20.001999Z",
                true,
            ),
            (-62_167_219_200, 0, "0000-01-01T00:00:00.000000Z", true),
            (
                253_402_300_799,
                999_999_000,
                "9999-12-31T23:59:59.999999Z",
                true,
            ),
            // Outside 0..=9999 and a leap second: left to the RFC 3339 formatter.
            (253_402_300_800, 0, "+10000-01-01T00:00:00.000000Z", false),
            (
                -62_167_219_201,
                123_456_789,
                "-0001-12-31T23:59:59.123456Z",
                false,
            ),
            (
                1_483_228_799,
                1_000_000_000,
                "2016-12-31T23:59:60.000000Z",
                false,
            ),
        ];
        for (secs, nanos, want, digits) in times {
            let t = DateTime::from_timestamp(secs, nanos).unwrap();
            let fast = ts_ascii(t).map(|b| String::from_utf8(b.to_vec()).unwrap());
            assert_eq!(fast.is_some(), digits, "{secs} {nanos}");
            assert_eq!(fast.unwrap_or_else(|| ts(t)), want, "{secs} {nanos}");
            assert_eq!(ts(t), want, "{secs} {nanos}");
        }
    }

    #[test]
    fn written_events_are_the_lines() {
        let mut t = btc_ticker();
        t.exchange_ts = Some(DateTime::from_timestamp(1_700_000_000, 0).unwrap());
        let mut out = Vec::new();
        write_event(&mut out, &StoreEvent::Ticker(Box::new(t.clone())), false).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("{}\n", ticker_line(&t, false))
        );
    }

    #[test]
    fn replayed_lines_say_so_after_the_exchange() {
        let t = btc_ticker();
        let mut out = Vec::new();
        write_replayed_event(&mut out, &StoreEvent::Ticker(Box::new(t)), true).unwrap();
        let line = String::from_utf8(out).unwrap();
        assert!(
            line.starts_with(r#"{"type":"ticker","exchange":"kraken","simulated":true,"replay":true,"symbol":"BTC/USD""#),
            "{line}"
        );
        let mut out = Vec::new();
        let e = StoreEvent::Error {
            exchange: ExchangeId::Okx,
            symbol: "NOPE/USDT".into(),
            message: "no".into(),
        };
        write_replayed_event(&mut out, &e, false).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"type\":\"error\",\"exchange\":\"okx\",\"replay\":true,\"symbol\":\"NOPE/USDT\",\"message\":\"no\"}\n"
        );
    }

    #[test]
    fn status_lines() {
        let t = Transition {
            exchange: ExchangeId::Kraken,
            from: FeedStatus::Connected,
            to: FeedStatus::Reconnecting {
                attempt: 2,
                max_attempts: 5,
                next_try: DateTime::UNIX_EPOCH,
            },
            at: DateTime::UNIX_EPOCH,
            reason: "no data for 10 s".into(),
        };
        assert_eq!(
            status_line(&t, false),
            r#"{"type":"status","exchange":"kraken","from":"connected","to":"reconnecting","reason":"no data for 10 s","attempt":2,"ts":"1970-01-01T00:00:00.000000Z"}"#
        );
    }

    #[test]
    fn lines_of_a_simulated_feed_say_so_right_after_the_exchange() {
        let t = btc_ticker();
        let real = ticker_line(&t, false);
        let sim = ticker_line(&t, true);
        assert!(!real.contains("simulated"), "{real}");
        assert!(
            sim.starts_with(r#"{"type":"ticker","exchange":"kraken","simulated":true,"symbol":"#),
            "{sim}"
        );
        let v: serde_json::Value = serde_json::from_str(&sim).unwrap();
        assert_eq!(v["simulated"], true);
        assert_eq!(sim.replace(r#","simulated":true"#, ""), real);

        let change = Transition {
            exchange: ExchangeId::Kraken,
            from: FeedStatus::Connecting,
            to: FeedStatus::Connected,
            at: DateTime::UNIX_EPOCH,
            reason: "subscribing 1 symbol".into(),
        };
        assert_eq!(
            status_line(&change, true),
            r#"{"type":"status","exchange":"kraken","simulated":true,"from":"connecting","to":"connected","reason":"subscribing 1 symbol","attempt":0,"ts":"1970-01-01T00:00:00.000000Z"}"#
        );
        let error = StoreEvent::Error {
            exchange: ExchangeId::Kraken,
            symbol: "NOPE/USD".into(),
            message: "unknown symbol".into(),
        };
        for (simulated, want) in [
            (
                true,
                r#"{"type":"error","exchange":"kraken","simulated":true,"symbol":"NOPE/USD","message":"unknown symbol"}"#,
            ),
            (
                false,
                r#"{"type":"error","exchange":"kraken","symbol":"NOPE/USD","message":"unknown symbol"}"#,
            ),
        ] {
            let mut out = Vec::new();
            write_event(&mut out, &error, simulated).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), format!("{want}\n"));
        }
    }

    #[test]
    fn decimal_text_is_what_display_writes() {
        for (m, scale) in [
            (100_000i64, 5u32),
            (-5, 3),
            (1, 0),
            (-12_345, 2),
            (7, 28),
            (i64::MAX, 10),
        ] {
            let d = Decimal::new(m, scale);
            let mut buf = [0u8; 64];
            let len = plain_text(&d, &mut buf).expect("fits a u64");
            assert_eq!(std::str::from_utf8(&buf[..len]).unwrap(), d.to_string());
        }
        // Zero and mantissas past a u64 are left to `Display`.
        let mut buf = [0u8; 64];
        assert_eq!(plain_text(&Decimal::new(0, 3), &mut buf), None);
        let big = Decimal::from_i128_with_scale(i128::from(u64::MAX) + 1, 4);
        assert_eq!(plain_text(&big, &mut buf), None);
    }

    proptest::proptest! {
        #[test]
        fn decimal_text_agrees_with_display(m in proptest::num::i64::ANY, scale in 0u32..=28) {
            let d = Decimal::new(m, scale);
            let mut buf = [0u8; 64];
            if let Some(len) = plain_text(&d, &mut buf) {
                proptest::prop_assert_eq!(std::str::from_utf8(&buf[..len]).unwrap(), d.to_string());
            } else {
                proptest::prop_assert_eq!(m, 0);
            }
        }
    }

    fn any_decimal() -> impl proptest::strategy::Strategy<Value = Option<Decimal>> {
        use proptest::prelude::*;
        prop_oneof![
            1 => Just(None),
            4 => (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Some(Decimal::new(m, s))),
            1 => (any::<i128>(), 0u32..=28).prop_map(|(m, s)| {
                Decimal::try_from_i128_with_scale(m >> 32, s).ok()
            }),
        ]
    }

    proptest::proptest! {
        /// The hand-written ticker line is valid JSON with every field as `Display` and
        /// the RFC 3339 formatter write it.
        #[test]
        fn ticker_lines_hold_every_field(
            base in "[A-Z0-9]{1,6}",
            decimals in proptest::collection::vec(any_decimal(), 10),
            exchange_ts in proptest::option::of(-62_167_219_200i64..253_402_300_799),
            received in 0i64..4_000_000_000,
            rest in proptest::bool::ANY,
        ) {
            let source = if rest { Source::Rest } else { Source::Stream };
            let received = DateTime::from_timestamp(received, 123_456_789).unwrap();
            let mut t = Ticker::empty(ExchangeId::Okx, Symbol::new(&base, "USDT"), source, received);
            let fields = [
                &mut t.last, &mut t.bid, &mut t.ask, &mut t.open_24h, &mut t.change_24h,
                &mut t.change_pct_24h, &mut t.high_24h, &mut t.low_24h, &mut t.volume_24h,
                &mut t.vwap_24h,
            ];
            for (slot, d) in fields.into_iter().zip(&decimals) {
                *slot = *d;
            }
            t.exchange_ts = exchange_ts.and_then(|s| DateTime::from_timestamp(s, 0));
            let line = ticker_line(&t, false);
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            let text = |d: Option<Decimal>| d.map_or(serde_json::Value::Null, |d| d.to_string().into());
            let keys = [
                "last", "bid", "ask", "open_24h", "change_24h", "change_pct_24h", "high_24h",
                "low_24h", "volume_24h", "vwap_24h",
            ];
            for (key, d) in keys.iter().zip(&decimals) {
                proptest::prop_assert_eq!(&v[*key], &text(*d), "{}", key);
            }
            proptest::prop_assert_eq!(&v["type"], "ticker");
            proptest::prop_assert_eq!(&v["exchange"], "okx");
            proptest::prop_assert_eq!(v["symbol"].as_str(), Some(t.symbol.as_str()));
            proptest::prop_assert_eq!(&v["source"], if rest { "rest" } else { "stream" });
            let time = |t: Option<DateTime<Utc>>| t.map_or(serde_json::Value::Null, |t| ts(t).into());
            proptest::prop_assert_eq!(&v["exchange_ts"], &time(t.exchange_ts));
            proptest::prop_assert_eq!(&v["received_ts"], &time(Some(received)));
            proptest::prop_assert_eq!(v.as_object().map(serde_json::Map::len), Some(16));
        }
    }
}
