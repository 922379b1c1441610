//! The config file's `[feed]` table as it is written (timings in seconds, the Kraken
//! trigger as text) and its conversion, where the file is read, into the engine's
//! [`FeedConfig`] (durations and enums). The file keeps its `_secs` keys; nothing past
//! this module sees them.

use serde::Deserialize;

use super::keys::fields_of;
use pricewire_core::config::{EventTrigger, FeedConfig, secs};

/// `[feed]` as written. See `config.example.toml` for every key.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct FeedFile {
    pub connect_timeout_secs: f64,
    pub silence_secs: f64,
    pub ping_interval_secs: f64,
    pub pong_timeout_secs: f64,
    pub backoff_initial_secs: f64,
    pub backoff_max_secs: f64,
    pub max_attempts: u32,
    pub stable_secs: f64,
    pub rest_poll_secs: f64,
    pub rest_timeout_secs: f64,
    pub symbol_silence_secs: f64,
    pub breaker_threshold: u32,
    pub breaker_cooldown_secs: f64,
    pub max_frame_bytes: usize,
    pub event_trigger: String,
    pub history: usize,
}

impl Default for FeedFile {
    /// The engine's defaults, in the file's units.
    fn default() -> Self {
        let d = FeedConfig::default();
        let s = |v: std::time::Duration| v.as_secs_f64();
        let venue = |v: Option<std::time::Duration>| v.map_or(0.0, s);
        FeedFile {
            connect_timeout_secs: s(d.connect_timeout),
            silence_secs: venue(d.silence),
            ping_interval_secs: venue(d.ping_interval),
            pong_timeout_secs: venue(d.pong_timeout),
            backoff_initial_secs: s(d.backoff_initial),
            backoff_max_secs: s(d.backoff_max),
            max_attempts: d.max_attempts,
            stable_secs: s(d.stable),
            rest_poll_secs: s(d.rest_poll),
            rest_timeout_secs: s(d.rest_timeout),
            symbol_silence_secs: s(d.symbol_silence),
            breaker_threshold: d.breaker_threshold,
            breaker_cooldown_secs: s(d.breaker_cooldown),
            max_frame_bytes: d.max_frame_bytes,
            event_trigger: trigger_name(d.event_trigger).to_string(),
            history: d.history,
        }
    }
}

/// The file's spelling of a trigger.
fn trigger_name(t: EventTrigger) -> &'static str {
    match t {
        EventTrigger::Bbo => "bbo",
        EventTrigger::Trades => "trades",
    }
}

/// Problems found converting, as (dotted file key, why).
pub type Problems = Vec<(String, String)>;

impl FeedFile {
    /// What the table means to the engine, and every key that cannot be used, named as
    /// the file spells it (`feed.silence_secs`), in field order.
    pub fn to_config(&self) -> (FeedConfig, Problems) {
        let mut problems: Problems = Vec::new();
        let mut bad = |key: &str, why: &str| problems.push((format!("feed.{key}"), why.into()));
        // 0 means the venue's own; otherwise a number of seconds.
        let mut venue = |key: &str, v: f64| {
            if !(v.is_finite() && v >= 0.0) {
                bad(
                    key,
                    "must be 0 (the venue's own) or a positive number of seconds",
                );
            }
            (v > 0.0).then(|| secs(v))
        };
        let silence = venue("silence_secs", self.silence_secs);
        let ping_interval = venue("ping_interval_secs", self.ping_interval_secs);
        let pong_timeout = venue("pong_timeout_secs", self.pong_timeout_secs);
        let mut positive = |key: &str, v: f64| {
            if !(v.is_finite() && v > 0.0) {
                bad(key, "must be a positive number of seconds");
            }
            secs(v)
        };
        let connect_timeout = positive("connect_timeout_secs", self.connect_timeout_secs);
        let backoff_initial = positive("backoff_initial_secs", self.backoff_initial_secs);
        let backoff_max = positive("backoff_max_secs", self.backoff_max_secs);
        let rest_poll = positive("rest_poll_secs", self.rest_poll_secs);
        let rest_timeout = positive("rest_timeout_secs", self.rest_timeout_secs);
        let event_trigger = self.event_trigger.parse().unwrap_or_else(|why: String| {
            bad("event_trigger", &why);
            EventTrigger::Bbo
        });
        let config = FeedConfig {
            connect_timeout,
            silence,
            ping_interval,
            pong_timeout,
            backoff_initial,
            backoff_max,
            max_attempts: self.max_attempts,
            stable: secs(self.stable_secs),
            rest_poll,
            rest_timeout,
            symbol_silence: secs(self.symbol_silence_secs),
            breaker_threshold: self.breaker_threshold,
            breaker_cooldown: secs(self.breaker_cooldown_secs),
            max_frame_bytes: self.max_frame_bytes,
            event_trigger,
            history: self.history,
        };
        // What the engine refuses besides, under the file's name for the field.
        for (field, why) in config.problems() {
            let key = file_key(field);
            if !problems.iter().any(|(k, _)| *k == key) {
                problems.push((key, why));
            }
        }
        (config, problems)
    }
}

/// `feed.<field>`, or `feed.<field>_secs` where the file gives it in seconds.
fn file_key(field: &str) -> String {
    let in_secs = format!("{field}_secs");
    if fields_of::<FeedFile>().contains(&in_secs.as_str()) {
        format!("feed.{in_secs}")
    } else {
        format!("feed.{field}")
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_file_defaults_are_the_engines() {
        let (config, problems) = FeedFile::default().to_config();
        assert_eq!(config, FeedConfig::default());
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn seconds_become_durations_and_zero_means_the_venues_own() {
        let file = FeedFile {
            silence_secs: 0.0,
            ping_interval_secs: 2.5,
            rest_poll_secs: 0.3,
            event_trigger: "trades".into(),
            ..FeedFile::default()
        };
        let (c, problems) = file.to_config();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(c.silence, None);
        assert_eq!(c.ping_interval, Some(Duration::from_millis(2500)));
        assert_eq!(c.rest_poll, Duration::from_millis(300));
        assert_eq!(c.event_trigger, EventTrigger::Trades);
    }

    #[test]
    fn each_unusable_key_is_named_as_the_file_spells_it() {
        let file = FeedFile {
            event_trigger: "sometimes".into(),
            silence_secs: -1.0,
            connect_timeout_secs: 0.0,
            max_attempts: 0,
            max_frame_bytes: 10,
            ..FeedFile::default()
        };
        let keys: Vec<String> = file.to_config().1.into_iter().map(|p| p.0).collect();
        assert_eq!(
            keys,
            [
                "feed.silence_secs",
                "feed.connect_timeout_secs",
                "feed.event_trigger",
                "feed.max_attempts",
                "feed.max_frame_bytes",
            ]
        );
    }
}
