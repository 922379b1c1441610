//! A circuit breaker per exchange: after `threshold` failed sessions in a row it opens and
//! no connection is attempted for `cooldown`; then one half-open probe is allowed, which
//! closes it on success or reopens it on failure. Keeps a dead venue from being hammered.

use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open { until: Instant },
    HalfOpen,
}

/// A state change worth recording in the history, with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakerChange {
    pub state: BreakerState,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    failures: u32,
    state: BreakerState,
}

impl Breaker {
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Breaker {
            threshold: threshold.max(1),
            cooldown,
            failures: 0,
            state: BreakerState::Closed,
        }
    }

    /// When a connection may be tried: `None` now, else the instant the breaker half-opens.
    /// Moving from open to half-open is reported.
    pub fn poll(&mut self, now: Instant) -> (Option<Instant>, Option<BreakerChange>) {
        match self.state {
            BreakerState::Open { until } if now < until => (Some(until), None),
            BreakerState::Open { .. } => {
                self.state = BreakerState::HalfOpen;
                (
                    None,
                    Some(BreakerChange {
                        state: self.state,
                        reason: "circuit breaker half-open: one probe connection".into(),
                    }),
                )
            }
            _ => (None, None),
        }
    }

    pub fn on_failure(&mut self, now: Instant) -> Option<BreakerChange> {
        self.failures = self.failures.saturating_add(1);
        let open = match self.state {
            BreakerState::HalfOpen => true,
            BreakerState::Closed => self.failures >= self.threshold,
            BreakerState::Open { .. } => false,
        };
        if !open {
            return None;
        }
        let was_probe = self.state == BreakerState::HalfOpen;
        self.state = BreakerState::Open {
            until: now + self.cooldown,
        };
        Some(BreakerChange {
            state: self.state,
            reason: if was_probe {
                format!(
                    "circuit breaker open again: probe failed; next probe in {}s",
                    self.cooldown.as_secs()
                )
            } else {
                format!(
                    "circuit breaker open: {} failures in a row; next probe in {}s",
                    self.failures,
                    self.cooldown.as_secs()
                )
            },
        })
    }

    pub fn on_success(&mut self) -> Option<BreakerChange> {
        self.failures = 0;
        if self.state == BreakerState::Closed {
            return None;
        }
        self.state = BreakerState::Closed;
        Some(BreakerChange {
            state: self.state,
            reason: "circuit breaker closed: probe succeeded".into(),
        })
    }

    /// A manual reconnect overrides the breaker: the user asked for a try now.
    pub fn state(&self) -> BreakerState {
        self.state
    }

    pub fn reset(&mut self) {
        self.failures = 0;
        self.state = BreakerState::Closed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_probes_and_closes() {
        let t0 = Instant::now();
        let mut b = Breaker::new(3, Duration::from_mins(1));
        assert_eq!(b.on_failure(t0), None);
        assert_eq!(b.on_failure(t0), None);
        let opened = b.on_failure(t0).unwrap();
        assert!(opened.reason.contains("3 failures"), "{}", opened.reason);
        assert_eq!(
            b.poll(t0 + Duration::from_secs(59)).0,
            Some(t0 + Duration::from_mins(1))
        );
        let (wait, change) = b.poll(t0 + Duration::from_mins(1));
        assert_eq!(
            (wait, change.unwrap().state),
            (None, BreakerState::HalfOpen)
        );
        // Failed probe: open again at once.
        let again = b.on_failure(t0 + Duration::from_secs(61)).unwrap();
        assert!(again.reason.contains("probe failed"));
        let (_, change) = b.poll(t0 + Duration::from_secs(121));
        assert!(change.is_some());
        assert_eq!(b.on_success().unwrap().state, BreakerState::Closed);
        assert_eq!(b.on_success(), None);
    }
}
