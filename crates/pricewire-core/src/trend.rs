//! A row's recent price as a time window (the last five minutes by default), in equal
//! time buckets each holding the last price received in it: a sparkline drawn from it is
//! a picture of time, so a quiet pair draws flat and a busy one does not squeeze an hour
//! into the same width as a minute. Filled by the live ticks (receive time) and, at start,
//! from the venue's one-minute candles ([`Trend::seed`]) so that it is not empty for the
//! first minutes. Pure and bounded: at most one point per bucket, plus the one before the
//! window that the first bucket carries on from.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::candle::Candle;

/// See the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trend {
    /// Bucket length in milliseconds.
    bucket_ms: i64,
    /// Buckets in the window.
    buckets: usize,
    /// `(bucket number, last price in it)`, oldest first, bucket numbers strictly rising.
    points: VecDeque<(i64, Decimal)>,
}

impl Default for Trend {
    /// Five minutes in 60 buckets of 5 s.
    fn default() -> Self {
        Trend::new(Duration::from_secs(300), 60)
    }
}

impl Trend {
    /// A window of `window`, in `buckets` equal buckets (at least one, each at least 1 ms).
    pub fn new(window: Duration, buckets: usize) -> Self {
        let buckets = buckets.max(1);
        let ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
        Trend {
            bucket_ms: (ms / i64::try_from(buckets).unwrap_or(i64::MAX)).max(1),
            buckets,
            points: VecDeque::new(),
        }
    }

    /// The time the window covers.
    pub fn window(&self) -> Duration {
        let ms = self
            .bucket_ms
            .saturating_mul(i64::try_from(self.buckets).unwrap_or(0));
        Duration::from_millis(u64::try_from(ms).unwrap_or(0))
    }

    /// `5m`, `90s`, `1h`: the window as a column heading names it.
    pub fn label(&self) -> String {
        let secs = self.window().as_secs();
        match secs {
            s if s >= 3600 && s % 3600 == 0 => format!("{}h", s / 3600),
            s if s >= 60 && s % 60 == 0 => format!("{}m", s / 60),
            s => format!("{s}s"),
        }
    }

    /// Prices held: at most one per bucket of the window, plus the one it carries on from.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether no price is held.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    fn bucket(&self, at: DateTime<Utc>) -> i64 {
        at.timestamp_millis().div_euclid(self.bucket_ms)
    }

    /// A price received at `at`: the last price of its bucket. A time older than the newest
    /// bucket held (a clock step back) changes nothing.
    pub fn push(&mut self, price: Decimal, at: DateTime<Utc>) {
        let b = self.bucket(at);
        match self.points.back_mut() {
            Some((last, p)) if *last == b => *p = price,
            Some((last, _)) if *last > b => return,
            _ => self.points.push_back((b, price)),
        }
        self.trim(b);
    }

    /// Keep the window ending in bucket `newest`, plus the one point before it that its
    /// first bucket carries on from.
    fn trim(&mut self, newest: i64) {
        let first = newest - i64::try_from(self.buckets).unwrap_or(i64::MAX) + 1;
        while self.points.len() > 1 && self.points[1].0 <= first {
            self.points.pop_front();
        }
    }

    /// Fill the part of the window before the first live price from the venue's candles
    /// (oldest first): each candle puts its open at its start and its close at its end (or
    /// at `now` for the one still open). Live prices always win over candles.
    pub fn seed(&mut self, candles: &[Candle], interval: chrono::TimeDelta, now: DateTime<Utc>) {
        let live_from = self.points.front().map_or(i64::MAX, |p| p.0);
        let mut seeded: VecDeque<(i64, Decimal)> = VecDeque::new();
        let mut put = |b: i64, price: Decimal| {
            if b >= live_from {
                return;
            }
            match seeded.back_mut() {
                Some((last, p)) if *last == b => *p = price,
                Some((last, _)) if *last > b => {}
                _ => seeded.push_back((b, price)),
            }
        };
        for c in candles {
            let end = (c.open_time + interval).min(now) - chrono::TimeDelta::milliseconds(1);
            put(self.bucket(c.open_time), c.open);
            put(self.bucket(end.max(c.open_time)), c.close);
        }
        seeded.extend(self.points.drain(..));
        self.points = seeded;
        self.trim(self.bucket(now).max(self.points.back().map_or(0, |p| p.0)));
    }

    /// The window ending at `now` in `width` columns, oldest first: each column the last
    /// price at or before its end (carried on through quiet stretches), `None` before the
    /// first price known.
    pub fn columns(&self, now: DateTime<Utc>, width: usize) -> Vec<Option<Decimal>> {
        if width == 0 {
            return Vec::new();
        }
        let span = self.bucket_ms * i64::try_from(self.buckets).unwrap_or(0);
        let end = now.timestamp_millis();
        let start = end - span;
        let w = i64::try_from(width).unwrap_or(i64::MAX);
        let mut out = Vec::with_capacity(width);
        let mut points = self.points.iter().peekable();
        let mut current = None;
        for i in 1..=w {
            let column_end = start + span * i / w;
            // A bucket shows from the column its start falls in; the last column shows
            // everything up to `now`, the bucket still filling included.
            while let Some((b, p)) = points.peek() {
                let from = b * self.bucket_ms;
                if from < column_end || (i == w && from <= end) {
                    current = Some(*p);
                    points.next();
                } else {
                    break;
                }
            }
            out.push(current);
        }
        out
    }

    /// The first and last price of the window drawn at `now` (for rising or falling).
    pub fn ends(&self, now: DateTime<Utc>, width: usize) -> Option<(Decimal, Decimal)> {
        let cols = self.columns(now, width);
        let first = cols.iter().flatten().next()?;
        let last = cols.iter().flatten().last()?;
        Some((*first, *last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn d(n: i64) -> Decimal {
        Decimal::from(n)
    }

    fn shown(cols: &[Option<Decimal>]) -> String {
        cols.iter()
            .map(|c| c.map_or("-".into(), |d| d.to_string()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn buckets_keep_the_last_price_and_columns_carry_it_on() {
        // One minute in 6 buckets of 10 s.
        let mut t = Trend::new(Duration::from_secs(60), 6);
        assert_eq!(t.label(), "1m");
        assert!(t.is_empty());
        t.push(d(1), at("2026-01-01T00:00:01Z"));
        t.push(d(2), at("2026-01-01T00:00:09Z"));
        t.push(d(5), at("2026-01-01T00:00:31Z"));
        let now = at("2026-01-01T00:01:00Z");
        assert_eq!(shown(&t.columns(now, 6)), "2 2 2 5 5 5");
        // Before the first price, nothing; three columns of 20 s each.
        let early = at("2026-01-01T00:00:20Z");
        assert_eq!(shown(&t.columns(early, 3)), "- - 2");
        assert_eq!(t.ends(now, 6), Some((d(2), d(5))));
    }

    #[test]
    fn the_window_slides_and_keeps_one_point_to_carry_on_from() {
        let mut t = Trend::new(Duration::from_secs(60), 6);
        t.push(d(1), at("2026-01-01T00:00:00Z"));
        t.push(d(2), at("2026-01-01T00:00:10Z"));
        t.push(d(3), at("2026-01-01T00:05:00Z"));
        // The 00:00:10 point is before the window but carries into its first columns.
        assert_eq!(t.points.len(), 2);
        let now = at("2026-01-01T00:05:05Z");
        assert_eq!(shown(&t.columns(now, 6)), "2 2 2 2 2 3");
        // A tick from the past is ignored.
        t.push(d(9), at("2026-01-01T00:00:00Z"));
        assert_eq!(t.points.back().map(|p| p.1), Some(d(3)));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn candles_fill_the_window_before_the_first_live_price() {
        let candle = |open_time: &str, open: i64, close: i64, closed: bool| Candle {
            open_time: at(open_time),
            open: d(open),
            high: d(open.max(close)),
            low: d(open.min(close)),
            close: d(close),
            volume: None,
            closed,
        };
        let mut t = Trend::new(Duration::from_secs(300), 60);
        let now = at("2026-01-01T00:05:30Z");
        // A live price came first, for the current minute.
        t.push(d(108), at("2026-01-01T00:05:20Z"));
        let candles = [
            candle("2026-01-01T00:00:00Z", 90, 95, true),
            candle("2026-01-01T00:01:00Z", 95, 100, true),
            candle("2026-01-01T00:04:00Z", 100, 104, true),
            candle("2026-01-01T00:05:00Z", 104, 106, false),
        ];
        t.seed(&candles, chrono::TimeDelta::minutes(1), now);
        let cols = t.columns(now, 11);
        // Every column of the window has a price; the last is the live one, not the
        // candle's close.
        assert!(cols.iter().all(Option::is_some), "{}", shown(&cols));
        assert_eq!(cols.last(), Some(&Some(d(108))));
        // The first column (00:00:30 to 00:00:57) ends with the first candle's close.
        assert_eq!(cols[0], Some(d(95)), "{}", shown(&cols));
        assert!(t.points.len() <= 61);
    }
}
