//! The config file: where it lives, what it may say (every key is documented in
//! `config.example.toml`), how a broken one is reported, and how the watchlist is saved
//! back without losing the user's comments or an intact file. Never touches the terminal.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

mod save;
pub use save::save_watchlist;

/// A config file that could not be used. The message names the file, line and key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}:\n{message}")]
    Invalid { path: PathBuf, message: String },
    #[error("cannot save watchlist to {path}: {message} (the previous file is unchanged)")]
    Save { path: PathBuf, message: String },
}

/// Everything the config file can set. Missing keys take the defaults shown in
/// `config.example.toml`; unknown keys are an error (a typo should not pass silently).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Venues to stream from.
    pub exchanges: Vec<String>,
    /// The watchlist: symbols in any spelling, optionally `venue:SYMBOL`.
    pub symbols: Vec<String>,
    pub log_file: Option<PathBuf>,
    pub feed: FeedConfig,
    pub ui: UiConfig,
    pub theme: BTreeMap<String, String>,
    /// Per-venue URL overrides.
    pub endpoints: BTreeMap<String, Endpoint>,
    /// Per-venue quote mapping, e.g. `binance = { USD = "USDT" }`.
    pub quote_aliases: BTreeMap<String, BTreeMap<String, String>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            exchanges: vec!["kraken".into()],
            symbols: vec!["BTC/USD".into(), "ETH/USD".into()],
            log_file: None,
            feed: FeedConfig::default(),
            ui: UiConfig::default(),
            theme: BTreeMap::new(),
            endpoints: BTreeMap::new(),
            quote_aliases: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Endpoint {
    pub ws_url: Option<String>,
    pub rest_url: Option<String>,
}

/// Every timing and limit of a feed. Seconds may be fractional.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FeedConfig {
    pub connect_timeout_secs: f64,
    /// No data frame (heartbeats count) for this long → reconnect.
    pub silence_secs: f64,
    /// Application-level ping period (0 = the venue's own default).
    pub ping_interval_secs: f64,
    pub pong_timeout_secs: f64,
    pub backoff_initial_secs: f64,
    pub backoff_max_secs: f64,
    /// Failed connects before falling back to REST polling.
    pub max_attempts: u32,
    /// A connection must stay healthy this long before the attempt counter resets.
    pub stable_secs: f64,
    pub rest_poll_secs: f64,
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
            silence_secs: 10.0,
            ping_interval_secs: 0.0,
            pong_timeout_secs: 10.0,
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

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct UiConfig {
    /// Frame cap.
    pub fps: u32,
    /// A row with no update for this long is marked stale.
    pub stale_secs: f64,
    /// Initial sort: "symbol", "change" or "volume".
    pub sort: String,
    /// Show the state-history pane at start.
    pub history_pane: bool,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            fps: 30,
            stale_secs: 30.0,
            sort: "symbol".into(),
            history_pane: true,
        }
    }
}

impl Config {
    /// Parse config text; errors name the file, line and key.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        config.validate(text, path)?;
        Ok(config)
    }

    fn validate(&self, text: &str, path: &Path) -> Result<(), ConfigError> {
        let bad = |key: &str, why: &str| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: match line_of(text, key) {
                Some(line) => format!("line {line}, key `{key}`: {why}"),
                None => format!("key `{key}`: {why}"),
            },
        };
        for e in &self.exchanges {
            e.parse::<crate::model::ExchangeId>()
                .map_err(|m| bad("exchanges", &m))?;
        }
        for venue in self.endpoints.keys() {
            venue
                .parse::<crate::model::ExchangeId>()
                .map_err(|m| bad(&format!("endpoints.{venue}"), &m))?;
        }
        for venue in self.quote_aliases.keys() {
            venue
                .parse::<crate::model::ExchangeId>()
                .map_err(|m| bad(&format!("quote_aliases.{venue}"), &m))?;
        }
        if self.ui.fps == 0 || self.ui.fps > 240 {
            return Err(bad("ui.fps", "must be between 1 and 240"));
        }
        if !["symbol", "change", "volume"].contains(&self.ui.sort.as_str()) {
            return Err(bad(
                "ui.sort",
                "must be \"symbol\", \"change\" or \"volume\"",
            ));
        }
        if !["bbo", "trades"].contains(&self.feed.event_trigger.as_str()) {
            return Err(bad("feed.event_trigger", "must be \"bbo\" or \"trades\""));
        }
        let f = &self.feed;
        for (key, v) in [
            ("feed.connect_timeout_secs", f.connect_timeout_secs),
            ("feed.silence_secs", f.silence_secs),
            ("feed.pong_timeout_secs", f.pong_timeout_secs),
            ("feed.backoff_initial_secs", f.backoff_initial_secs),
            ("feed.backoff_max_secs", f.backoff_max_secs),
            ("feed.rest_poll_secs", f.rest_poll_secs),
            ("feed.rest_timeout_secs", f.rest_timeout_secs),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(bad(key, "must be a positive number of seconds"));
            }
        }
        if f.max_attempts == 0 {
            return Err(bad("feed.max_attempts", "must be at least 1"));
        }
        if f.max_frame_bytes < 1024 {
            return Err(bad("feed.max_frame_bytes", "must be at least 1024"));
        }
        Ok(())
    }

    /// Load from `path`; a missing file at the default location is not an error.
    pub fn load(path: &Path, must_exist: bool) -> Result<Config, ConfigError> {
        match fs::read_to_string(path) {
            Ok(text) => Config::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                Ok(Config::default())
            }
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }
}

/// The 1-based line where the value of a dotted `key` is written, when it is written.
fn line_of(text: &str, key: &str) -> Option<usize> {
    let doc = toml_edit::Document::parse(text).ok()?;
    let mut item = doc.as_item();
    for part in key.split('.') {
        item = item.get(part)?;
    }
    let start = item.span()?.start;
    Some(text.get(..start)?.matches('\n').count() + 1)
}

/// `~/.config/pricewire/config.toml` on Linux (the platform's config dir elsewhere).
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "pricewire").map(|d| d.config_dir().join("config.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        let c = Config::parse("", Path::new("c.toml")).unwrap();
        assert_eq!(c, Config::default());
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let err = Config::parse(
            "symbols = [\"BTC/USD\"]\n[feed]\nsilence_sec = 3\n",
            Path::new("/x/c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("/x/c.toml"), "{err}");
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("silence_sec"), "{err}");
        let err = Config::parse(
            "[quote_aliases]\nbinanse = { USD = \"USDT\" }\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("quote_aliases.binanse"), "{err}");
        let err = Config::parse("[ui]\nfps = 0\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2, key `ui.fps`"), "{err}");
    }

    #[test]
    fn save_keeps_comments_and_other_keys() {
        let dir = std::env::temp_dir().join(format!("pricewire-cfg-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.toml");
        fs::write(
            &path,
            "# my prices\nsymbols = [\"BTC/USD\"] # watch these\n\n[ui]\nfps = 20 # slow box\n",
        )
        .unwrap();
        save_watchlist(&path, &["BTC/USD".into(), "SOL/USD".into()]).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# my prices\n"), "{text}");
        assert!(text.contains("\"SOL/USD\""), "{text}");
        assert!(text.contains("# watch these"), "{text}");
        assert!(text.contains("fps = 20 # slow box"), "{text}");
        let c = Config::parse(&text, &path).unwrap();
        assert_eq!(c.symbols, vec!["BTC/USD", "SOL/USD"]);
        assert_eq!(c.ui.fps, 20);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn example_config_is_valid_and_complete() {
        let text = include_str!("../config.example.toml");
        let c = Config::parse(text, Path::new("config.example.toml")).unwrap();
        assert_eq!(c.feed, FeedConfig::default());
        assert_eq!(c.ui, UiConfig::default());
    }
}
