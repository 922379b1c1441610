//! One venue's REST budget: every request a feed makes over REST (fallback polls, polls of
//! silent symbols, candles for a chart, the pair list, KuCoin's token) waits its turn here,
//! at the venue's [`RestRate`], and a `Retry-After` the venue sends holds every one of
//! them back, not just the request it answered. A chart opened while the feed polls never
//! doubles the rate the venue sees.
//!
//! The pace is a generic cell rate: a request may go once the schedule allows it, `burst`
//! of them back to back after a quiet spell. A std `Mutex`, held only to book a turn, never
//! across the wait.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::{Instant, sleep_until};

use crate::exchange::RestRate;

/// See the module docs.
#[derive(Debug)]
pub struct RestBudget {
    /// Time between requests at the steady rate.
    step: Duration,
    /// How far ahead of the steady schedule a burst may run.
    slack: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// When the steady schedule is next free (a theoretical arrival time).
    free_at: Option<Instant>,
    /// Nothing goes before this: the venue asked us to wait.
    held_until: Option<Instant>,
}

impl RestBudget {
    /// A budget at `rate` (a rate of zero is read as one request a second).
    pub fn new(rate: RestRate) -> Self {
        let step = Duration::from_secs(1) / rate.per_second.max(1);
        RestBudget {
            step,
            slack: step * rate.burst.max(1).saturating_sub(1),
            state: Mutex::new(State::default()),
        }
    }

    /// Book the next turn at or after `now`; returns when it is.
    pub fn book(&self, now: Instant) -> Instant {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let free_at = s.free_at.unwrap_or(now).max(now);
        let mut at = free_at.checked_sub(self.slack).unwrap_or(now).max(now);
        if let Some(held) = s.held_until {
            at = at.max(held);
        }
        s.free_at = Some(free_at.max(at) + self.step);
        at
    }

    /// Wait for this request's turn.
    pub async fn turn(&self) {
        let at = self.book(Instant::now());
        if at > Instant::now() {
            sleep_until(at).await;
        }
    }

    /// The venue asked for a pause (HTTP 429 `Retry-After`): no request of this feed goes
    /// before `until`.
    pub fn hold(&self, until: Instant) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        s.held_until = Some(s.held_until.map_or(until, |h| h.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets(budget: &RestBudget, start: Instant, n: usize) -> Vec<u128> {
        (0..n)
            .map(|_| (budget.book(start) - start).as_millis())
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_goes_at_once_then_the_steady_rate_applies() {
        let budget = RestBudget::new(RestRate {
            per_second: 2,
            burst: 3,
        });
        let t0 = Instant::now();
        assert_eq!(offsets(&budget, t0, 6), [0, 0, 0, 500, 1000, 1500]);
        // After a quiet spell the burst is back.
        let later = t0 + Duration::from_secs(10);
        assert_eq!(offsets(&budget, later, 4), [0, 0, 0, 500]);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_holds_every_request_back() {
        let budget = RestBudget::new(RestRate {
            per_second: 10,
            burst: 10,
        });
        let t0 = Instant::now();
        budget.hold(t0 + Duration::from_secs(30));
        // A shorter hold does not shorten the longer one.
        budget.hold(t0 + Duration::from_secs(5));
        assert_eq!(offsets(&budget, t0, 2), [30_000, 30_000]);
    }

    #[tokio::test(start_paused = true)]
    async fn turn_waits_on_the_paused_clock() {
        let budget = RestBudget::new(RestRate {
            per_second: 1,
            burst: 1,
        });
        let t0 = Instant::now();
        budget.turn().await;
        budget.turn().await;
        budget.turn().await;
        assert_eq!(t0.elapsed(), Duration::from_secs(2));
    }
}
