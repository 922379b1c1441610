//! Reconnect delays: exponential growth from an initial delay, capped, with full jitter
//! (a uniform draw between a small floor and the ceiling) so that many clients dropped at
//! once do not return at once. Seeded, so tests can assert exact schedules.

use std::time::Duration;

/// The shortest delay ever returned: a zero draw must not turn into a tight loop.
pub const FLOOR: Duration = Duration::from_millis(100);

#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    rng: fastrand::Rng,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration, seed: u64) -> Self {
        Backoff {
            initial: initial.max(FLOOR),
            max: max.max(initial).max(FLOOR),
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// The upper bound for attempt `n` (1-based): initial × 2^(n−1), capped at max.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let shift = attempt.saturating_sub(1).min(31);
        self.initial
            .checked_mul(1u32 << shift)
            .map_or(self.max, |d| d.min(self.max))
    }

    /// A jittered delay for attempt `n`, uniform in [FLOOR, ceiling(n)].
    pub fn delay(&mut self, attempt: u32) -> Duration {
        let ceiling = self.ceiling(attempt);
        let span = ceiling.saturating_sub(FLOOR).as_micros() as u64;
        FLOOR + Duration::from_micros(self.rng.u64(0..=span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ceilings_double_then_cap() {
        let b = Backoff::new(Duration::from_secs(1), Duration::from_secs(30), 1);
        let got: Vec<u64> = (1..=7).map(|n| b.ceiling(n).as_secs()).collect();
        assert_eq!(got, vec![1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(b.ceiling(1000), Duration::from_secs(30));
    }

    #[test]
    fn same_seed_same_schedule() {
        let mut a = Backoff::new(Duration::from_secs(1), Duration::from_secs(30), 42);
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(30), 42);
        let xs: Vec<Duration> = (1..10).map(|n| a.delay(n)).collect();
        let ys: Vec<Duration> = (1..10).map(|n| b.delay(n)).collect();
        assert_eq!(xs, ys);
        // Jitter actually varies.
        let mut c = Backoff::new(Duration::from_secs(1), Duration::from_secs(30), 42);
        let zs: Vec<Duration> = (0..20).map(|_| c.delay(6)).collect();
        assert!(zs.windows(2).any(|w| w[0] != w[1]));
    }

    proptest! {
        #[test]
        fn delays_stay_within_bounds(
            initial_ms in 1u64..5_000,
            max_ms in 1u64..120_000,
            attempt in 0u32..200,
            seed in any::<u64>(),
        ) {
            let mut b = Backoff::new(
                Duration::from_millis(initial_ms),
                Duration::from_millis(max_ms),
                seed,
            );
            let ceiling = b.ceiling(attempt);
            let cap = Duration::from_millis(max_ms.max(initial_ms)).max(FLOOR);
            prop_assert!(ceiling <= cap);
            let d = b.delay(attempt);
            prop_assert!(d >= FLOOR && d <= ceiling, "{d:?} outside [{FLOOR:?}, {ceiling:?}]");
            prop_assert!(b.ceiling(attempt + 1) >= ceiling);
        }
    }
}
