//! Engine settings: every timing and limit of a feed, as the engine uses them (durations as
//! [`Duration`]s, choices as enums), with the checks that make them usable. Where they come
//! from (a config file's seconds, flags, code) is the caller's business: nothing here reads
//! a file, and a file's spelling of them is converted where the file is read.

use std::time::Duration;

pub use crate::exchange::kraken::EventTrigger;

/// Every timing and limit of a feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedConfig {
    /// Dial, TLS and WebSocket handshake must finish within this; it also bounds the wait
    /// for a venue's welcome frame.
    pub connect_timeout: Duration,
    /// No frame at all (data, heartbeats and pongs all count) for this long → reconnect
    /// (`None`: one ping period plus the pong timeout).
    pub silence: Option<Duration>,
    /// Ping period (`None`: what the venue prescribes or documents).
    pub ping_interval: Option<Duration>,
    /// A ping unanswered this long → reconnect (`None`: the venue's own limit, else 10 s).
    pub pong_timeout: Option<Duration>,
    /// Longest wait before the first reconnect; it doubles with each failure in a row.
    /// Each wait is drawn at random below it, and is never under 0.1 s.
    pub backoff_initial: Duration,
    /// Cap on that doubling.
    pub backoff_max: Duration,
    /// Failed connects before falling back to REST polling.
    pub max_attempts: u32,
    /// A connection must stay healthy this long before the attempt counter resets.
    pub stable: Duration,
    /// Pause between REST polls, in fallback or for symbols silent on the WebSocket (longer
    /// when the venue's `Retry-After` asks).
    pub rest_poll: Duration,
    /// A REST request (pair list, ticker poll, WebSocket token) must finish, body
    /// included, within this.
    pub rest_timeout: Duration,
    /// A subscription acked but silent this long is resubscribed.
    pub symbol_silence: Duration,
    /// Consecutive failed sessions that open the circuit breaker.
    pub breaker_threshold: u32,
    /// How long an open breaker waits before a half-open probe.
    pub breaker_cooldown: Duration,
    /// Larger frames drop the connection (bytes).
    pub max_frame_bytes: usize,
    /// Which Kraken event publishes a ticker update.
    pub event_trigger: EventTrigger,
    /// Transitions kept per feed.
    pub history: usize,
}

impl Default for FeedConfig {
    fn default() -> Self {
        FeedConfig {
            connect_timeout: Duration::from_secs(10),
            silence: None,
            ping_interval: None,
            pong_timeout: None,
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
            max_attempts: 5,
            stable: Duration::from_secs(30),
            rest_poll: Duration::from_secs(5),
            rest_timeout: Duration::from_secs(10),
            symbol_silence: Duration::from_secs(15),
            breaker_threshold: 10,
            breaker_cooldown: Duration::from_mins(1),
            max_frame_bytes: 1 << 20,
            event_trigger: EventTrigger::Bbo,
            history: 1000,
        }
    }
}

/// Seconds as a duration, clamped to something a timer can hold (0 … a year); not a number
/// is 0.
pub fn secs(v: f64) -> Duration {
    if v.is_nan() {
        return Duration::ZERO;
    }
    Duration::from_secs_f64(v.clamp(0.0, 86_400.0 * 365.0))
}

impl FeedConfig {
    /// Every setting that cannot be used, as (field name, why), in field order.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        for (field, v) in [
            ("silence", self.silence),
            ("ping_interval", self.ping_interval),
            ("pong_timeout", self.pong_timeout),
        ] {
            if v.is_some_and(|d| d.is_zero()) {
                problems.push((
                    field,
                    "must be longer than zero (or unset: the venue's own)".into(),
                ));
            }
        }
        for (field, v) in [
            ("connect_timeout", self.connect_timeout),
            ("backoff_initial", self.backoff_initial),
            ("backoff_max", self.backoff_max),
            ("rest_poll", self.rest_poll),
            ("rest_timeout", self.rest_timeout),
        ] {
            if v.is_zero() {
                problems.push((field, "must be longer than zero".into()));
            }
        }
        if self.max_attempts == 0 {
            problems.push(("max_attempts", "must be at least 1".into()));
        }
        if self.max_frame_bytes < 1024 {
            problems.push(("max_frame_bytes", "must be at least 1024".into()));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_usable() {
        assert!(FeedConfig::default().problems().is_empty());
    }

    #[test]
    fn each_unusable_setting_is_named() {
        let f = FeedConfig {
            silence: Some(Duration::ZERO),
            connect_timeout: Duration::ZERO,
            max_attempts: 0,
            max_frame_bytes: 10,
            ..FeedConfig::default()
        };
        let keys: Vec<_> = f.problems().into_iter().map(|p| p.0).collect();
        assert_eq!(
            keys,
            [
                "silence",
                "connect_timeout",
                "max_attempts",
                "max_frame_bytes",
            ]
        );
    }

    #[test]
    fn seconds_are_clamped_for_timers() {
        assert_eq!(secs(-3.0), Duration::ZERO);
        assert_eq!(secs(1.5), Duration::from_millis(1500));
        assert_eq!(secs(f64::INFINITY), Duration::from_hours(24 * 365));
        assert_eq!(secs(f64::NAN), Duration::ZERO);
    }
}
