//! What the venues' candle adapters share: a candle sent as a JSON array of numbers or
//! strings, read by a [`Layout`] that says where each field sits and whether the open time
//! is in seconds or milliseconds. Each venue's own layout lives in its `candles.rs`.

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;

use super::{ParseError, parse_decimal};
use crate::candle::WireCandle;

/// The unit of a candle's open time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Seconds since the epoch (Kraken, Coinbase, KuCoin).
    Seconds,
    /// Milliseconds since the epoch (Binance, Bybit, OKX).
    Millis,
}

/// Where a venue puts each field in its candle array.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub time: usize,
    pub unit: TimeUnit,
    pub open: usize,
    pub high: usize,
    pub low: usize,
    pub close: usize,
    pub volume: Option<usize>,
}

impl Layout {
    /// The usual order: open time, open, high, low, close, and the volume at `volume`.
    pub const fn ohlc(unit: TimeUnit, volume: usize) -> Layout {
        Layout {
            time: 0,
            unit,
            open: 1,
            high: 2,
            low: 3,
            close: 4,
            volume: Some(volume),
        }
    }
}

/// A time from a JSON number or string in `unit`.
pub fn time(text: &str, unit: TimeUnit) -> Option<DateTime<Utc>> {
    let n = text.trim().trim_matches('"').parse::<i64>().ok()?;
    match unit {
        TimeUnit::Seconds => DateTime::from_timestamp(n, 0),
        TimeUnit::Millis => DateTime::from_timestamp_millis(n),
    }
}

/// One candle array read by `layout`; `closed` as the venue marks it (`None`: it does not).
pub fn read(
    row: &[&RawValue],
    layout: &Layout,
    closed: Option<bool>,
) -> Result<WireCandle, ParseError> {
    let field = |i: usize, what: &str| {
        row.get(i)
            .map(|v| v.get())
            .ok_or_else(|| ParseError::Schema(format!("candle without {what} (field {i})")))
    };
    let price = |i: usize, what: &str| {
        let text = field(i, what)?;
        parse_decimal(text)
            .ok_or_else(|| ParseError::Schema(format!("candle {what} is not a decimal: {text}")))
    };
    let at = field(layout.time, "open time")?;
    Ok(WireCandle {
        open_time: time(at, layout.unit)
            .ok_or_else(|| ParseError::Schema(format!("candle open time unreadable: {at}")))?,
        open: price(layout.open, "open")?,
        high: price(layout.high, "high")?,
        low: price(layout.low, "low")?,
        close: price(layout.close, "close")?,
        volume: match layout.volume {
            Some(i) => Some(price(i, "volume")?),
            None => None,
        },
        closed,
    })
}

/// Every array of `rows` read by `layout`, none of them marked by the venue.
pub fn read_all(rows: &[Vec<&RawValue>], layout: &Layout) -> Result<Vec<WireCandle>, ParseError> {
    rows.iter().map(|r| read(r, layout, None)).collect()
}

/// The three candles every venue's documented body holds, read at 19:22:30 UTC.
#[cfg(test)]
pub mod documented {
    use chrono::{DateTime, Utc};

    use crate::candle::{Candle, ChartWindow, WireCandle, normalise};

    /// 2023-07-06 19:22:30 UTC: the third candle is still open.
    pub fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_688_671_350, 0).expect("a time")
    }

    /// `open_time open high low close volume closed` per candle, as the screen will see it.
    pub fn lines(candles: &[Candle]) -> Vec<String> {
        candles
            .iter()
            .map(|c| {
                format!(
                    "{} {} {} {} {} {} {}",
                    c.open_time.format("%H:%M:%S"),
                    c.open.normalize(),
                    c.high.normalize(),
                    c.low.normalize(),
                    c.close.normalize(),
                    c.volume.map_or("-".into(), |v| v.normalize().to_string()),
                    if c.closed { "closed" } else { "open" }
                )
            })
            .collect()
    }

    /// A candles parser, as each venue module has one.
    pub type Parse = fn(&str) -> Result<Vec<WireCandle>, crate::exchange::ParseError>;

    /// `venue`'s documented candles body `file`, read by `parse` (which must take it).
    pub fn parsed(venue: &str, file: &str, parse: Parse) -> Vec<WireCandle> {
        let body = crate::exchange::testkit::documented(venue, file);
        parse(&body).unwrap_or_else(|e| panic!("{venue} {file}: {e}"))
    }

    /// `parse` refuses the error `body` with the message `want`.
    pub fn refuses(parse: Parse, body: &str, want: &str) {
        let err = parse(body).expect_err(body);
        assert_eq!(err.to_string(), want);
    }

    /// Normalise what an adapter read from its documented body and check it is the three
    /// candles, oldest first, the last one open.
    pub fn check(venue: &str, wire: Vec<WireCandle>) {
        let candles = normalise(wire, ChartWindow::Hour, now());
        assert_eq!(
            lines(&candles),
            [
                "19:20:00 30306.1 30306.2 30305.7 30305.7 3.39243896 closed",
                "19:21:00 30305.7 30305.7 30300.3 30300.3 0.42549584 closed",
                "19:22:00 30300.3 30304 30298.1 30301.5 0.52 open",
            ],
            "{venue}"
        );
    }
}
