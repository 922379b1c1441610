//! Candles: a market's price over a [`ChartWindow`] (1 h, 24 h or 7 d), in time buckets of
//! one interval each, open, high, low and close as exact decimals. Owns the normalised
//! [`Candle`], the [`CandleSeries`] a chart draws (live ticks appended as they come) and
//! the rules every venue's candles are brought to ([`normalise`]); each venue's own wire
//! shape lives beside its adapter (`exchange/<venue>/candles.rs`). No I/O here.
//!
//! Venues differ in ways that are easy to get wrong, and the adapters' tests pin each one:
//! newest first (Coinbase, Bybit, OKX, KuCoin) or oldest first (Kraken, Binance); open
//! times in seconds (Kraken, Coinbase, KuCoin) or milliseconds (Binance, Bybit, OKX);
//! KuCoin's open-close-high-low field order; and the last candle, still open, whose close
//! is the latest price and which the venue may or may not flag (Kraken: always the last
//! entry; Binance: its close time lies ahead; OKX: `confirm` = `"0"`; the others: its
//! interval has not ended).

use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::Decimal;

/// How much history a chart shows, and in what buckets: 60 one-minute candles, 96
/// fifteen-minute candles or 168 one-hour candles (within every venue's per-request cap:
/// Coinbase 350, OKX 300, the others more).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum ChartWindow {
    /// The last hour in 1-minute candles.
    #[default]
    Hour,
    /// The last 24 hours in 15-minute candles.
    Day,
    /// The last 7 days in 1-hour candles.
    Week,
}

impl ChartWindow {
    /// Every window, shortest first.
    pub const ALL: [ChartWindow; 3] = [ChartWindow::Hour, ChartWindow::Day, ChartWindow::Week];

    /// Seconds per candle.
    pub fn interval_secs(self) -> i64 {
        match self {
            ChartWindow::Hour => 60,
            ChartWindow::Day => 15 * 60,
            ChartWindow::Week => 60 * 60,
        }
    }

    /// One candle's length.
    pub fn interval(self) -> TimeDelta {
        TimeDelta::seconds(self.interval_secs())
    }

    /// Candles the window holds.
    pub fn count(self) -> usize {
        match self {
            ChartWindow::Hour => 60,
            ChartWindow::Day => 96,
            ChartWindow::Week => 168,
        }
    }

    /// The time the window covers (`count` intervals).
    pub fn span(self) -> TimeDelta {
        self.interval() * i32::try_from(self.count()).unwrap_or(i32::MAX)
    }

    /// `1h`, `24h`, `7d`: how the screen names it.
    pub fn label(self) -> &'static str {
        match self {
            ChartWindow::Hour => "1h",
            ChartWindow::Day => "24h",
            ChartWindow::Week => "7d",
        }
    }

    /// `1m`, `15m`, `1h`: the candle length, as the screen names it.
    pub fn interval_label(self) -> &'static str {
        match self {
            ChartWindow::Hour => "1m",
            ChartWindow::Day => "15m",
            ChartWindow::Week => "1h",
        }
    }

    /// The next longer window, after the longest the shortest.
    #[must_use]
    pub fn next(self) -> Self {
        match self {
            ChartWindow::Hour => ChartWindow::Day,
            ChartWindow::Day => ChartWindow::Week,
            ChartWindow::Week => ChartWindow::Hour,
        }
    }

    /// The start of the candle `at` falls in (candles start on whole intervals of UTC).
    pub fn bucket_start(self, at: DateTime<Utc>) -> DateTime<Utc> {
        let step = self.interval_secs();
        let start = at.timestamp().div_euclid(step) * step;
        DateTime::from_timestamp(start, 0).unwrap_or(at)
    }
}

impl std::fmt::Display for ChartWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// One candle as a venue sent it, before [`normalise`]: `closed` is `None` where the venue
/// does not say whether the candle is final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireCandle {
    /// Start of the candle's interval.
    pub open_time: DateTime<Utc>,
    /// First traded price in the interval.
    pub open: Decimal,
    /// Highest traded price in the interval.
    pub high: Decimal,
    /// Lowest traded price in the interval.
    pub low: Decimal,
    /// Last traded price in the interval (for the open candle: the latest price).
    pub close: Decimal,
    /// Volume in the base currency, where the venue gives it.
    pub volume: Option<Decimal>,
    /// Whether the venue marks the candle final (`Some(false)`: still open).
    pub closed: Option<bool>,
}

/// One normalised candle: a time bucket of one interval with its prices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candle {
    /// Start of the candle's interval.
    pub open_time: DateTime<Utc>,
    /// First price in the interval.
    pub open: Decimal,
    /// Highest price in the interval.
    pub high: Decimal,
    /// Lowest price in the interval.
    pub low: Decimal,
    /// Last price in the interval; for the open candle, the latest price so far.
    pub close: Decimal,
    /// Base-currency volume, where the venue gives it (live ticks add none).
    pub volume: Option<Decimal>,
    /// `false` for the candle still open: its high, low and close may still move.
    pub closed: bool,
}

/// Bring a venue's candles to one shape: oldest first, one candle per open time (a repeated
/// one keeps the later entry), the newest `window.count()` of them, each marked closed or
/// open (the venue's own mark where it gives one, else whether its interval has ended at
/// `now`). A candle whose prices contradict each other (high below low, open or close
/// outside them) is dropped: it would draw as something that did not happen.
pub fn normalise(
    mut wire: Vec<WireCandle>,
    window: ChartWindow,
    now: DateTime<Utc>,
) -> Vec<Candle> {
    wire.sort_by_key(|c| c.open_time);
    let mut out: Vec<Candle> = Vec::with_capacity(wire.len());
    for w in wire {
        let sane = w.low <= w.high
            && (w.low..=w.high).contains(&w.open)
            && (w.low..=w.high).contains(&w.close);
        if !sane {
            continue;
        }
        let candle = Candle {
            closed: w.closed.unwrap_or(w.open_time + window.interval() <= now),
            open_time: w.open_time,
            open: w.open,
            high: w.high,
            low: w.low,
            close: w.close,
            volume: w.volume,
        };
        match out.last_mut() {
            Some(last) if last.open_time == candle.open_time => *last = candle,
            _ => out.push(candle),
        }
    }
    let extra = out.len().saturating_sub(window.count());
    out.drain(..extra);
    out
}

/// The candles a chart draws: the venue's history for one window, then the live ticks
/// folded in as they arrive ([`CandleSeries::push_tick`]), so the newest candle follows the
/// price without another request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandleSeries {
    /// The window the candles cover.
    pub window: ChartWindow,
    /// Oldest first, at most `window.count()`.
    pub candles: Vec<Candle>,
}

impl CandleSeries {
    /// A series from normalised candles (see [`normalise`]).
    pub fn new(window: ChartWindow, candles: Vec<Candle>) -> Self {
        CandleSeries { window, candles }
    }

    /// Fold a live price in: it moves the candle of its interval (high, low, close), or
    /// closes the newest candle and opens the next one at that price. A tick older than the
    /// newest candle changes nothing (the venue's candles already hold it).
    pub fn push_tick(&mut self, price: Decimal, at: DateTime<Utc>) {
        let start = self.window.bucket_start(at);
        match self.candles.last_mut() {
            Some(last) if last.open_time == start => {
                last.high = last.high.max(price);
                last.low = last.low.min(price);
                last.close = price;
            }
            Some(last) if last.open_time > start => {}
            last => {
                if let Some(last) = last {
                    last.closed = true;
                }
                self.candles.push(Candle {
                    open_time: start,
                    open: price,
                    high: price,
                    low: price,
                    close: price,
                    volume: None,
                    closed: false,
                });
                let extra = self.candles.len().saturating_sub(self.window.count());
                self.candles.drain(..extra);
            }
        }
    }

    /// The lowest low and highest high, `None` without candles.
    pub fn range(&self) -> Option<(Decimal, Decimal)> {
        let low = self.candles.iter().map(|c| c.low).min()?;
        let high = self.candles.iter().map(|c| c.high).max()?;
        Some((low, high))
    }

    /// The newest close: the latest price the series knows.
    pub fn last_close(&self) -> Option<Decimal> {
        self.candles.last().map(|c| c.close)
    }
}

#[cfg(test)]
mod tests;
