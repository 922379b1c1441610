//! Engine settings: every timing and limit of a feed, in plain numbers a config file or a
//! caller fills in, with the checks that make them usable. Where those numbers come from
//! (a TOML file, flags, code) is the caller's business: nothing here reads a file.

use std::time::Duration;

use serde::Deserialize;

/// Every timing and limit of a feed. Seconds may be fractional. Fields a caller's file
/// has that this version lacks are read past: reporting them is the caller's business
/// (the dashboard warns with the closest known key).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct FeedConfig {
    /// Dial, TLS and WebSocket handshake must finish within this; it also bounds the wait
    /// for a venue's welcome frame.
    pub connect_timeout_secs: f64,
    /// No frame at all (data, heartbeats and pongs all count) for this long → reconnect
    /// (0 = one ping period plus the pong timeout).
    pub silence_secs: f64,
    /// Ping period (0 = what the venue prescribes or documents).
    pub ping_interval_secs: f64,
    /// A ping unanswered this long → reconnect (0 = the venue's own limit, else 10 s).
    pub pong_timeout_secs: f64,
    /// Longest wait before the first reconnect; it doubles with each failure in a row.
    /// Each wait is drawn at random below it, and is never under 0.1 s.
    pub backoff_initial_secs: f64,
    /// Cap on that doubling.
    pub backoff_max_secs: f64,
    /// Failed connects before falling back to REST polling.
    pub max_attempts: u32,
    /// A connection must stay healthy this long before the attempt counter resets.
    pub stable_secs: f64,
    /// Pause between REST polls, in fallback or for symbols silent on the WebSocket (longer
    /// when the venue's `Retry-After` asks).
    pub rest_poll_secs: f64,
    /// A REST request (pair list, ticker poll, WebSocket token) must finish, body
    /// included, within this.
    pub rest_timeout_secs: f64,
    /// A subscription acked but silent this long is resubscribed.
    pub symbol_silence_secs: f64,
    /// Consecutive failed sessions that open the circuit breaker.
    pub breaker_threshold: u32,
    /// How long an open breaker waits before a half-open probe.
    pub breaker_cooldown_secs: f64,
    /// Larger frames drop the connection (bytes).
    pub max_frame_bytes: usize,
    /// Kraken ticker trigger: "bbo" (every best bid/offer change) or "trades".
    pub event_trigger: String,
    /// Transitions kept per feed.
    pub history: usize,
}

impl Default for FeedConfig {
    fn default() -> Self {
        FeedConfig {
            connect_timeout_secs: 10.0,
            silence_secs: 0.0,
            ping_interval_secs: 0.0,
            pong_timeout_secs: 0.0,
            backoff_initial_secs: 1.0,
            backoff_max_secs: 30.0,
            max_attempts: 5,
            stable_secs: 30.0,
            rest_poll_secs: 5.0,
            rest_timeout_secs: 10.0,
            symbol_silence_secs: 15.0,
            breaker_threshold: 10,
            breaker_cooldown_secs: 60.0,
            max_frame_bytes: 1 << 20,
            event_trigger: "bbo".into(),
            history: 1000,
        }
    }
}

/// Seconds from config, clamped to something a timer can hold.
pub fn secs(v: f64) -> Duration {
    Duration::from_secs_f64(v.clamp(0.0, 86_400.0 * 365.0))
}

impl FeedConfig {
    /// Every setting that cannot be used, as (dotted config key, why), in field order.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if let Err(m) = self
            .event_trigger
            .parse::<crate::exchange::kraken::EventTrigger>()
        {
            problems.push(("feed.event_trigger", m));
        }
        for (key, v) in [
            ("feed.silence_secs", self.silence_secs),
            ("feed.ping_interval_secs", self.ping_interval_secs),
            ("feed.pong_timeout_secs", self.pong_timeout_secs),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                problems.push((
                    key,
                    "must be 0 (the venue's own) or a positive number of seconds".into(),
                ));
            }
        }
        for (key, v) in [
            ("feed.connect_timeout_secs", self.connect_timeout_secs),
            ("feed.backoff_initial_secs", self.backoff_initial_secs),
            ("feed.backoff_max_secs", self.backoff_max_secs),
            ("feed.rest_poll_secs", self.rest_poll_secs),
            ("feed.rest_timeout_secs", self.rest_timeout_secs),
        ] {
            if !(v.is_finite() && v > 0.0) {
                problems.push((key, "must be a positive number of seconds".into()));
            }
        }
        if self.max_attempts == 0 {
            problems.push(("feed.max_attempts", "must be at least 1".into()));
        }
        if self.max_frame_bytes < 1024 {
            problems.push(("feed.max_frame_bytes", "must be at least 1024".into()));
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
            event_trigger: "sometimes".into(),
            silence_secs: -1.0,
            connect_timeout_secs: 0.0,
            max_attempts: 0,
            max_frame_bytes: 10,
            ..FeedConfig::default()
        };
        let keys: Vec<_> = f.problems().into_iter().map(|p| p.0).collect();
        assert_eq!(
            keys,
            [
                "feed.event_trigger",
                "feed.silence_secs",
                "feed.connect_timeout_secs",
                "feed.max_attempts",
                "feed.max_frame_bytes",
            ]
        );
    }

    #[test]
    fn seconds_are_clamped_for_timers() {
        assert_eq!(secs(-3.0), Duration::ZERO);
        assert_eq!(secs(1.5), Duration::from_millis(1500));
        assert_eq!(secs(f64::INFINITY), Duration::from_secs(86_400 * 365));
    }
}
