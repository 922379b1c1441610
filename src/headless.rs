//! `--headless`: the store's events as JSON lines on stdout, one object per line. Decimals
//! are strings carrying the venue's exact digits; times are RFC 3339 UTC. Ends cleanly when
//! stdout is closed (`| head -5`) or on shutdown. Never draws anything.

use std::fmt;
use std::io::{self, Write};

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::model::{Source, Ticker, Transition};
use crate::store::StoreEvent;

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// RFC 3339 UTC with microseconds, written straight into the line: the text of [`ts`]
/// without building a `String` (years outside 0..=9999 and leap seconds take [`ts`]).
#[derive(Clone, Copy)]
struct Ts(DateTime<Utc>);

impl Ts {
    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, or `None` where [`ts`] must decide.
    fn ascii(self) -> Option<[u8; 27]> {
        let t = self.0;
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
}

impl fmt::Display for Ts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ascii() {
            Some(text) => f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?),
            None => f.write_str(&ts(self.0)),
        }
    }
}

impl Serialize for Ts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.ascii() {
            Some(text) => s.serialize_str(std::str::from_utf8(&text).unwrap_or_default()),
            None => s.serialize_str(&ts(self.0)),
        }
    }
}

/// A small text buffer on the stack, for formatting without allocating.
struct StackText {
    bytes: [u8; 64],
    len: usize,
}

impl fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// A decimal as a JSON string of its exact digits (`null` when absent), written straight
/// into the line.
#[derive(Clone, Copy)]
struct Dec(Option<Decimal>);

impl Serialize for Dec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use fmt::Write as _;
        let Some(d) = &self.0 else {
            return s.serialize_none();
        };
        let mut text = StackText {
            bytes: [0; 64],
            len: 0,
        };
        if let Some(len) = plain_text(d, &mut text.bytes) {
            return s.serialize_str(std::str::from_utf8(&text.bytes[..len]).unwrap_or_default());
        }
        match write!(text, "{d}") {
            Ok(()) => {
                s.serialize_str(std::str::from_utf8(&text.bytes[..text.len]).unwrap_or_default())
            }
            // Longer than any decimal prints; kept correct all the same.
            Err(_) => s.collect_str(d),
        }
    }
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

#[derive(Serialize)]
struct TickerLine<'a> {
    r#type: &'static str,
    exchange: &'static str,
    symbol: &'a str,
    last: Dec,
    bid: Dec,
    ask: Dec,
    open_24h: Dec,
    change_24h: Dec,
    change_pct_24h: Dec,
    high_24h: Dec,
    low_24h: Dec,
    volume_24h: Dec,
    vwap_24h: Dec,
    source: Source,
    exchange_ts: Option<Ts>,
    received_ts: Ts,
}

#[derive(Serialize)]
struct StatusLine<'a> {
    r#type: &'static str,
    exchange: &'static str,
    from: &'static str,
    to: &'static str,
    reason: &'a str,
    attempt: u32,
    ts: String,
}

#[derive(Serialize)]
struct ErrorLine<'a> {
    r#type: &'static str,
    exchange: &'static str,
    symbol: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct GapLine {
    r#type: &'static str,
    skipped: u64,
}

fn dec(d: Option<Decimal>) -> Dec {
    Dec(d)
}

fn ticker(t: &Ticker) -> TickerLine<'_> {
    TickerLine {
        r#type: "ticker",
        exchange: t.exchange.as_str(),
        symbol: t.symbol.as_str(),
        last: dec(t.last),
        bid: dec(t.bid),
        ask: dec(t.ask),
        open_24h: dec(t.open_24h),
        change_24h: dec(t.change_24h),
        change_pct_24h: dec(t.change_pct_24h),
        high_24h: dec(t.high_24h),
        low_24h: dec(t.low_24h),
        volume_24h: dec(t.volume_24h),
        vwap_24h: dec(t.vwap_24h),
        source: t.source,
        exchange_ts: t.exchange_ts.map(Ts),
        received_ts: Ts(t.received_ts),
    }
}

/// One JSON line for a ticker.
pub fn ticker_line(t: &Ticker) -> String {
    serde_json::to_string(&ticker(t)).unwrap_or_default()
}

/// One JSON line for a state change.
pub fn status_line(t: &Transition) -> String {
    serde_json::to_string(&StatusLine {
        r#type: "status",
        exchange: t.exchange.as_str(),
        from: t.from.name(),
        to: t.to.name(),
        reason: &t.reason,
        attempt: t.to.attempt(),
        ts: ts(t.at),
    })
    .unwrap_or_default()
}

/// Write one event's JSON line (with its newline) to `out`.
fn write_event(out: &mut impl Write, event: &StoreEvent) -> io::Result<()> {
    match event {
        // Serialised straight into the buffer: no line `String`, no decimal `String`s.
        StoreEvent::Ticker(t) => serde_json::to_writer(&mut *out, &ticker(t))?,
        StoreEvent::Status(t) => out.write_all(status_line(t).as_bytes())?,
        StoreEvent::Error {
            exchange,
            symbol,
            message,
        } => serde_json::to_writer(
            &mut *out,
            &ErrorLine {
                r#type: "error",
                exchange: exchange.as_str(),
                symbol,
                message,
            },
        )?,
    }
    out.write_all(b"\n")
}

/// Print events until shutdown or until stdout is closed. A reader that falls behind is
/// told how many events it missed (`{"type":"gap","skipped":N}`) instead of blocking feeds.
/// Take `events` from [`crate::store::Store::events`] before the feeds start, so the first state
/// changes and symbol errors are printed too.
pub async fn run(
    mut events: broadcast::Receiver<StoreEvent>,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    loop {
        let event = tokio::select! {
            () = shutdown.cancelled() => break,
            e = events.recv() => e,
        };
        let written = match event {
            Ok(e) => write_event(&mut out, &e),
            Err(RecvError::Lagged(n)) => serde_json::to_writer(
                &mut out,
                &GapLine {
                    r#type: "gap",
                    skipped: n,
                },
            )
            .map_err(io::Error::from)
            .and_then(|()| out.write_all(b"\n")),
            Err(RecvError::Closed) => break,
        };
        let written = written.and_then(|()| {
            // Flush when nothing else is queued, so a quiet feed is not held back.
            if events.is_empty() {
                out.flush()
            } else {
                Ok(())
            }
        });
        match written {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    match out.flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ExchangeId, FeedStatus};
    use crate::symbol::Symbol;

    #[test]
    fn ticker_lines_carry_exact_digits_and_nulls() {
        let mut t = Ticker::empty(
            ExchangeId::Kraken,
            Symbol::new("BTC", "USD"),
            Source::Stream,
            DateTime::from_timestamp(1_700_000_000, 5_000).unwrap(),
        );
        t.last = Some("65000.10".parse().unwrap());
        t.bid = Some("0.99980".parse().unwrap());
        let v: serde_json::Value = serde_json::from_str(&ticker_line(&t)).unwrap();
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
        let times = [
            (0, 0),
            (1_700_000_000, 5_000),
            (1_700_000_000, 999_999_999),
            (1_700_000_000, 1_999_999),
            (-62_167_219_200, 0),
            (253_402_300_799, 999_999_000),
            (253_402_300_800, 0),
            (-62_167_219_201, 123_456_789),
        ];
        for (secs, nanos) in times {
            let t = DateTime::from_timestamp(secs, nanos).unwrap();
            assert_eq!(Ts(t).to_string(), ts(t), "{secs} {nanos}");
        }
    }

    #[test]
    fn written_events_are_the_lines() {
        let mut t = Ticker::empty(
            ExchangeId::Kraken,
            Symbol::new("BTC", "USD"),
            Source::Stream,
            DateTime::from_timestamp(1_700_000_000, 5_000).unwrap(),
        );
        t.last = Some("65000.10".parse().unwrap());
        t.exchange_ts = Some(DateTime::from_timestamp(1_700_000_000, 0).unwrap());
        let mut out = Vec::new();
        write_event(&mut out, &StoreEvent::Ticker(Box::new(t.clone()))).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("{}\n", ticker_line(&t))
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
            status_line(&t),
            r#"{"type":"status","exchange":"kraken","from":"connected","to":"reconnecting","reason":"no data for 10 s","attempt":2,"ts":"1970-01-01T00:00:00.000000Z"}"#
        );
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
}
