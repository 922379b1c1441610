//! The simulated market: one seeded random walk per listed pair, with 24 h statistics that
//! stay consistent (low ≤ bid < ask ≤ high, vwap within the range, change = last − open).
//! Shared by every WebSocket session and the REST side, so both report the same prices.
//! Venue-neutral: it knows canonical symbols (`BTC/USD`) and decimals, never wire names.
//! All arithmetic is `rust_decimal`; no price passes through a float.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rust_decimal::{Decimal, RoundingStrategy};
use tokio::time::Instant;

use super::wire::fixed;

/// A listed pair as the market needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairSpec {
    /// Canonical `BASE/QUOTE` (`BTC/USD`, `DOGE/USD`).
    pub symbol: String,
    pub price_decimals: u32,
    pub lot_decimals: u32,
    /// Where the walk starts and what it is pulled back towards.
    pub reference: Decimal,
}

/// One pair's values at one moment, already at the pair's precision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub bid: Decimal,
    pub bid_qty: Decimal,
    pub ask: Decimal,
    pub ask_qty: Decimal,
    pub last: Decimal,
    pub last_qty: Decimal,
    pub volume: Decimal,
    pub vwap: Decimal,
    pub low: Decimal,
    pub high: Decimal,
    pub open: Decimal,
    pub change: Decimal,
    /// Percent, two places (`0.01` = 0.01 %), as Kraken prints it.
    pub change_pct: Decimal,
    pub trades: u64,
}

#[derive(Debug, Clone)]
struct Walk {
    rng: fastrand::Rng,
    mid: Decimal,
    quote: Quote,
    /// Σ price × qty, so vwap = turnover / volume exactly.
    turnover: Decimal,
}

/// Every pair's walk, stepped lazily: asking for a quote first applies the steps that the
/// elapsed time calls for. Lazy stepping needs no background task, and with tokio's paused
/// clock the walk is reproducible.
#[derive(Debug)]
pub struct Market {
    specs: Vec<PairSpec>,
    step: Duration,
    epoch: Instant,
    // A std Mutex: held only for a few decimal operations, never across an await.
    state: Mutex<(u64, Vec<Walk>)>,
}

/// The most steps applied at once after a long idle time; the walk is random anyway.
const MAX_CATCH_UP: u64 = 1_000;

impl Market {
    pub fn new(specs: Vec<PairSpec>, seed: u64, step: Duration) -> Market {
        let walks = specs
            .iter()
            .zip(0u64..)
            .map(|(spec, i)| {
                // Each pair gets its own stream so that one pair's prices do not depend on
                // which other pairs were asked for first.
                let rng =
                    fastrand::Rng::with_seed(seed ^ (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                Walk::start(spec, rng)
            })
            .collect();
        Market {
            specs,
            step: step.max(Duration::from_millis(1)),
            epoch: Instant::now(),
            state: Mutex::new((0, walks)),
        }
    }

    pub fn specs(&self) -> &[PairSpec] {
        &self.specs
    }

    pub fn index_of(&self, symbol: &str) -> Option<usize> {
        self.specs.iter().position(|s| s.symbol == symbol)
    }

    /// The current quote of pair `index` (`None` for an index out of range).
    pub fn quote(&self, index: usize) -> Option<Quote> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.catch_up(&mut state);
        state.1.get(index).map(|w| w.quote.clone())
    }

    /// `count` future quotes of pair `index`, from a copy of its walk: the live market does
    /// not move. The burst scenario pre-encodes these.
    pub fn preview(&self, index: usize, count: usize) -> Vec<Quote> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.catch_up(&mut state);
        let (Some(spec), Some(walk)) = (self.specs.get(index), state.1.get(index)) else {
            return Vec::new();
        };
        let mut walk = walk.clone();
        (0..count)
            .map(|_| {
                walk.step(spec);
                walk.quote.clone()
            })
            .collect()
    }

    fn catch_up(&self, state: &mut (u64, Vec<Walk>)) {
        let due = (self.epoch.elapsed().as_nanos() / self.step.as_nanos()) as u64;
        let steps = due.saturating_sub(state.0).min(MAX_CATCH_UP);
        state.0 = due;
        for _ in 0..steps {
            for (walk, spec) in state.1.iter_mut().zip(&self.specs) {
                walk.step(spec);
            }
        }
    }
}

/// A uniform draw in `[-bound, bound]` as a decimal with `scale` places.
fn jitter(rng: &mut fastrand::Rng, bound: i64, scale: u32) -> Decimal {
    Decimal::new(rng.i64(-bound..=bound), scale)
}

impl Walk {
    fn start(spec: &PairSpec, mut rng: fastrand::Rng) -> Walk {
        let dp = spec.price_decimals;
        let reference = spec.reference.max(tick(dp));
        let mid = fixed(reference, dp);
        // Never zero: change_pct divides by it.
        let open = fixed(reference * (Decimal::ONE + jitter(&mut rng, 300, 4)), dp).max(tick(dp));
        let high = fixed(
            mid.max(open) * (Decimal::ONE + Decimal::new(rng.i64(10..=200), 4)),
            dp,
        );
        let low = fixed(
            mid.min(open) * (Decimal::ONE - Decimal::new(rng.i64(10..=200), 4)),
            dp,
        );
        // 5 to 50 million in quote currency over the day, expressed in base units.
        let notional = Decimal::from(rng.i64(5_000_000..=50_000_000));
        let volume = fixed(notional / mid, spec.lot_decimals);
        let vwap = fixed((low + high) / Decimal::TWO, dp);
        let mut walk = Walk {
            turnover: vwap * volume,
            mid,
            quote: Quote {
                bid: mid,
                bid_qty: Decimal::ZERO,
                ask: mid,
                ask_qty: Decimal::ZERO,
                last: mid,
                last_qty: Decimal::ZERO,
                volume,
                vwap,
                low,
                high,
                open,
                change: Decimal::ZERO,
                change_pct: Decimal::ZERO,
                trades: rng.u64(5_000..=50_000),
            },
            rng,
        };
        walk.step(spec);
        walk
    }

    /// One step: move the mid, re-quote the book around it, print one trade.
    fn step(&mut self, spec: &PairSpec) {
        let dp = spec.price_decimals;
        let one_tick = tick(dp);
        // A zero or sub-tick reference would divide by zero or invert the clamp below.
        let reference = spec.reference.max(one_tick);
        let rng = &mut self.rng;
        // Two uniform draws of ±2.5 bp sum to a hump-shaped move of at most 5 bp, plus a
        // 0.2 % pull back to the reference so that a long demo does not drift away.
        let shock = jitter(rng, 25, 5) + jitter(rng, 25, 5);
        let pull = (reference - self.mid) / reference * Decimal::new(2, 3);
        let mut mid = fixed(self.mid * (Decimal::ONE + shock + pull), dp);
        if mid == self.mid && rng.u8(0..3) == 0 {
            // Coarse pairs (few decimals) would otherwise sit still for long stretches.
            mid += if rng.bool() { one_tick } else { -one_tick };
        }
        // Half spread: one basis point, at least one tick, so bid < ask always.
        let half = (mid * Decimal::new(1, 4))
            .round_dp_with_strategy(dp, RoundingStrategy::AwayFromZero)
            .max(one_tick);
        let floor = (reference / Decimal::TEN).max(half + one_tick);
        let ceiling = (reference * Decimal::TEN).max(floor);
        self.mid = fixed(mid.clamp(floor, ceiling), dp);

        let lot = spec.lot_decimals;
        // Typical order sizes worth a few thousand in quote currency.
        let size = |rng: &mut fastrand::Rng| {
            let units = Decimal::new(rng.i64(1..=20_000), 1) / reference;
            fixed(units, lot).max(Decimal::new(1, lot))
        };
        let q = &mut self.quote;
        q.bid = fixed(self.mid - half, dp);
        q.ask = fixed(self.mid + half, dp);
        q.bid_qty = size(rng);
        q.ask_qty = size(rng);
        q.last = if rng.bool() { q.ask } else { q.bid };
        q.last_qty = size(rng);
        q.volume += q.last_qty;
        self.turnover += q.last * q.last_qty;
        q.vwap = fixed(self.turnover / q.volume, dp);
        q.high = q.high.max(q.ask);
        q.low = q.low.min(q.bid);
        q.change = fixed(q.last - q.open, dp);
        q.change_pct = fixed(q.change / q.open * Decimal::ONE_HUNDRED, 2);
        q.trades += 1;
    }
}

/// The smallest price step at `dp` decimals.
fn tick(dp: u32) -> Decimal {
    Decimal::new(1, dp)
}

/// Plausible USD prices (mantissa, scale) of the assets the simulated venues list.
const REFERENCE_USD: &[(&str, i64, u32)] = &[
    ("BTC", 65_000, 0),
    ("ETH", 3_200, 0),
    ("SOL", 150, 0),
    ("DOGE", 15, 2),
    ("USD", 1, 0),
    ("USDT", 1, 0),
    ("USDC", 1, 0),
    ("EUR", 108, 2),
    ("GBP", 127, 2),
    ("ADA", 45, 2),
    ("DOT", 65, 1),
    ("LTC", 80, 0),
    ("XRP", 55, 2),
    ("LINK", 14, 0),
    ("AVAX", 30, 0),
    ("MATIC", 50, 2),
    ("ATOM", 8, 0),
    ("AAVE", 95, 0),
    ("ALGO", 18, 2),
    ("APE", 12, 1),
    ("ARB", 8, 1),
    ("BCH", 380, 0),
    ("COMP", 55, 0),
    ("CRV", 45, 2),
    ("ETC", 25, 0),
    ("FIL", 5, 0),
    ("GRT", 2, 1),
    ("ICP", 9, 0),
    ("LDO", 2, 0),
    ("MANA", 4, 1),
    ("MKR", 2400, 0),
    ("NEAR", 5, 0),
    ("OP", 2, 0),
    ("SAND", 45, 2),
    ("SNX", 25, 1),
    ("SUSHI", 1, 0),
    ("TRX", 12, 2),
    ("UNI", 8, 0),
    ("XLM", 11, 2),
    ("XMR", 160, 0),
    ("XTZ", 9, 1),
    ("ZEC", 28, 0),
    ("INJ", 25, 0),
    ("FET", 15, 1),
    ("KSM", 30, 0),
    ("ENJ", 3, 1),
    ("BAT", 2, 1),
    ("BSV", 50, 0),
];

/// A plausible USD price for a canonical asset code, for starting the walk.
fn reference_usd(asset: &str) -> Option<Decimal> {
    REFERENCE_USD
        .iter()
        .find(|(code, _, _)| *code == asset)
        .map(|&(_, mantissa, scale)| Decimal::new(mantissa, scale))
}

/// Where the walk of `base/quote` starts: the ratio of both assets' USD references, 1
/// when either is unknown.
pub fn reference(base: &str, quote: &str) -> Decimal {
    match (reference_usd(base), reference_usd(quote)) {
        (Some(b), Some(q)) if !q.is_zero() => b / q,
        _ => Decimal::ONE,
    }
}

impl PairSpec {
    /// The pair `base/quote` at the venue's precision, starting at [`reference()`].
    pub fn new(base: &str, quote: &str, price_decimals: u32, lot_decimals: u32) -> PairSpec {
        PairSpec {
            symbol: format!("{base}/{quote}"),
            price_decimals,
            lot_decimals,
            reference: reference(base, quote),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs() -> Vec<PairSpec> {
        vec![
            PairSpec {
                symbol: "BTC/USD".into(),
                price_decimals: 1,
                lot_decimals: 8,
                reference: Decimal::from(65_000),
            },
            PairSpec {
                symbol: "USDT/USD".into(),
                price_decimals: 5,
                lot_decimals: 8,
                reference: Decimal::ONE,
            },
        ]
    }

    #[test]
    fn quotes_stay_consistent_over_many_steps() {
        let market = Market::new(specs(), 7, Duration::from_millis(200));
        for (i, spec) in market.specs().iter().enumerate() {
            for q in market.preview(i, 5_000) {
                assert!(q.bid < q.ask, "{spec:?} {q:?}");
                assert!(q.low <= q.bid && q.ask <= q.high, "{q:?}");
                assert!(q.low <= q.vwap && q.vwap <= q.high, "{q:?}");
                assert!(q.last == q.bid || q.last == q.ask);
                assert_eq!(q.change, q.last - q.open);
                for price in [q.bid, q.ask, q.last, q.vwap, q.low, q.high, q.open] {
                    assert_eq!(price.scale(), spec.price_decimals);
                }
                assert_eq!(q.volume.scale(), spec.lot_decimals);
                assert_eq!(q.change_pct.scale(), 2);
                assert!(q.bid_qty > Decimal::ZERO && q.last_qty > Decimal::ZERO);
            }
        }
    }

    #[test]
    fn same_seed_same_walk_and_preview_does_not_move_the_market() {
        let a = Market::new(specs(), 42, Duration::from_millis(200));
        let b = Market::new(specs(), 42, Duration::from_millis(200));
        assert_eq!(a.preview(0, 50), b.preview(0, 50));
        assert_eq!(a.quote(0), b.quote(0));
        let c = Market::new(specs(), 43, Duration::from_millis(200));
        assert_ne!(a.preview(0, 50), c.preview(0, 50));
        assert_eq!(a.quote(5), None);
        assert!(a.preview(5, 3).is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn the_walk_moves_with_time() {
        let market = Market::new(specs(), 1, Duration::from_millis(200));
        let first = market.quote(0).unwrap();
        assert_eq!(market.quote(0).unwrap(), first, "no time passed");
        tokio::time::advance(Duration::from_secs(1)).await;
        let later = market.quote(0).unwrap();
        assert_eq!(later.trades, first.trades + 5);
        assert_eq!(market.index_of("USDT/USD"), Some(1));
    }
}
