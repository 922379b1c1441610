//! Candle history for the simulated venues' chart endpoints: the market has no past, so
//! one is made up backwards from the pair's current price, each candle's move seeded by
//! its pair, length and open time (so two requests agree on a candle's shape), at the
//! pair's precision, with the newest candle still open and closing at the current last
//! price. Venue-neutral: open times are seconds, and every venue file prints them its own
//! way (seconds or milliseconds, its field order, its sort order).

use rust_decimal::Decimal;

use super::market::Market;
use super::wire::fixed;

/// One made-up candle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimCandle {
    /// Start of the interval, seconds since the epoch.
    pub open_time: i64,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
    /// Base-currency volume.
    pub volume: Decimal,
    /// `false` for the newest one, still open.
    pub closed: bool,
}

/// Candles of market `index`, `interval` seconds each, the newest containing `now` (seconds
/// since the epoch), oldest first; at most `count`. Empty for an unknown index.
pub fn history(
    market: &Market,
    index: usize,
    interval: i64,
    count: usize,
    now: i64,
) -> Vec<SimCandle> {
    let (Some(spec), Some(quote)) = (market.specs().get(index), market.quote(index)) else {
        return Vec::new();
    };
    let interval = interval.max(1);
    let dp = spec.price_decimals;
    let lot = spec.lot_decimals;
    // Longer candles move more: a 1-hour candle's range is wider than a 1-minute one's.
    let scale = Decimal::from(match interval {
        ..=60 => 1,
        61..=900 => 4,
        _ => 8,
    });
    let newest = now.div_euclid(interval) * interval;
    let mut close = quote.last;
    let mut out = Vec::with_capacity(count);
    for k in 0..count {
        let open_time = newest - interval * i64::try_from(k).unwrap_or(i64::MAX);
        let mut rng = fastrand::Rng::with_seed(
            (open_time as u64) ^ ((index as u64) << 40) ^ ((interval as u64) << 20),
        );
        // Up to ±10 bp per scale step between open and close, up to 5 bp beyond for the
        // wicks: the same modest moves the live walk makes.
        let drift = Decimal::new(rng.i64(-10..=10), 4) * scale;
        let open = fixed(close * (Decimal::ONE - drift), dp).max(Decimal::new(1, dp));
        let wick = |rng: &mut fastrand::Rng| Decimal::new(rng.i64(0..=5), 4) * scale;
        let high = fixed(open.max(close) * (Decimal::ONE + wick(&mut rng)), dp);
        let low = fixed(open.min(close) * (Decimal::ONE - wick(&mut rng)), dp)
            .min(open.min(close))
            .max(Decimal::ZERO);
        let volume = fixed(Decimal::new(rng.i64(1..=5_000), 2) * scale, lot);
        out.push(SimCandle {
            open_time,
            open,
            high: high.max(open.max(close)),
            low,
            close,
            volume,
            closed: k > 0,
        });
        close = open;
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::market::PairSpec;

    fn market() -> Market {
        Market::new(
            vec![PairSpec {
                symbol: "BTC/USD".into(),
                price_decimals: 1,
                lot_decimals: 8,
                reference: Decimal::from(65_000),
            }],
            3,
            Duration::from_millis(200),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn history_is_consistent_and_ends_at_the_current_price() {
        let m = market();
        let now = 1_700_000_030;
        let candles = history(&m, 0, 60, 60, now);
        assert_eq!(candles.len(), 60);
        assert_eq!(candles[59].open_time, 1_700_000_000 - 20);
        assert_eq!(candles[59].close, m.quote(0).unwrap().last);
        assert!(!candles[59].closed);
        for pair in candles.windows(2) {
            assert_eq!(pair[1].open_time - pair[0].open_time, 60);
            assert_eq!(
                pair[0].close, pair[1].open,
                "each candle opens at the last close"
            );
            assert!(pair[0].closed);
        }
        for c in &candles {
            assert!(
                c.low <= c.open.min(c.close) && c.open.max(c.close) <= c.high,
                "{c:?}"
            );
            assert_eq!(c.close.scale(), 1);
            assert!(c.volume > Decimal::ZERO);
        }
        assert!(history(&m, 7, 60, 60, now).is_empty());
    }
}
