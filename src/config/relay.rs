//! The config file's `[relay]` table: where Redis is and how a relay runs (`pricewire
//! relay`), and the credentials a reader (`pricewire --source redis://…`) uses. Read here
//! and handed to `pricewire-relay` as typed settings; every key is in
//! `config.example.toml` and docs/RELAY.md. The password is never echoed.

use std::path::PathBuf;

use serde::Deserialize;

use pricewire_relay::RedisTarget;

/// Everything `[relay]` can set. Seconds may be fractional.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct RelayConfig {
    /// Redis for `pricewire relay` (`PRICEWIRE_REDIS_URL`, `--redis` win).
    pub redis_url: Option<String>,
    /// ACL user name (the URL's wins when it names one).
    pub username: Option<String>,
    /// Password (`PRICEWIRE_REDIS_PASSWORD` wins); for relays and readers alike.
    pub password: Option<String>,
    /// PEM file of the CA that signs the server's certificate, for `rediss://`.
    pub tls_ca: Option<PathBuf>,
    /// This relay's id (default: `relay-` and the host name).
    pub id: Option<String>,
    /// Venues the relay serves (default: the top-level `exchanges`).
    pub exchanges: Vec<String>,
    /// Symbols the relay carries on its own, whatever the readers want.
    pub symbols: Vec<String>,
    /// Lease length: a standby takes over this long after a leader dies.
    pub lease_secs: f64,
    /// Entries kept in each venue's ticks stream (approximately).
    pub ticks_maxlen: u64,
    /// Entries kept in each venue's state stream (approximately).
    pub states_maxlen: u64,
    /// Symbols carried per venue at most.
    pub max_symbols: usize,
    /// How long a symbol stays after its last reader went.
    pub linger_secs: f64,
    /// Log lines on stderr: "text" or "json".
    pub log_format: String,
}

impl std::fmt::Debug for RelayConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayConfig")
            .field(
                "redis_url",
                &self.redis_url.as_deref().map(pricewire_relay::conn::redact),
            )
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("id", &self.id)
            .field("exchanges", &self.exchanges)
            .field("symbols", &self.symbols)
            .field("lease_secs", &self.lease_secs)
            .finish_non_exhaustive()
    }
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            redis_url: None,
            username: None,
            password: None,
            tls_ca: None,
            id: None,
            exchanges: Vec::new(),
            symbols: Vec::new(),
            lease_secs: 5.0,
            ticks_maxlen: 100_000,
            states_maxlen: 10_000,
            max_symbols: 500,
            linger_secs: 60.0,
            log_format: "text".into(),
        }
    }
}

impl RelayConfig {
    /// Every problem with its dotted key.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut bad = |k: &str, why: String| out.push((format!("relay.{k}"), why));
        if let Some(url) = &self.redis_url
            && let Err(e) = RedisTarget::parse(url, None)
        {
            bad("redis_url", e.to_string());
        }
        if !(1.0..=3600.0).contains(&self.lease_secs) {
            bad("lease_secs", "must be between 1 and 3600".into());
        }
        if self.ticks_maxlen < 100 || self.states_maxlen < 100 {
            let key = if self.ticks_maxlen < 100 {
                "ticks_maxlen"
            } else {
                "states_maxlen"
            };
            bad(key, "must be at least 100".into());
        }
        if self.max_symbols == 0 {
            bad("max_symbols", "must be at least 1".into());
        }
        if !(0.0..=86_400.0).contains(&self.linger_secs) {
            bad("linger_secs", "must be between 0 and 86400".into());
        }
        if !["text", "json"].contains(&self.log_format.as_str()) {
            bad("log_format", "must be \"text\" or \"json\"".into());
        }
        for e in &self.exchanges {
            if let Err(m) = e.parse::<pricewire_core::model::ExchangeId>() {
                bad("exchanges", m);
            }
        }
        out
    }
}
