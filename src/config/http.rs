//! The config file's `[http]` table: the relay's front door (`pricewire relay --http`):
//! where it listens, which browser origins may use it, its tokens (never echoed) and its
//! limits. Read here and handed to `pricewire_relay::http` as typed settings; every key is
//! in `config.example.toml` and docs/PROTOCOL.md.

use std::path::PathBuf;

use serde::Deserialize;

use pricewire_relay::http::guard::Origin;
use pricewire_relay::http::{HttpSettings, Limits};

use super::secs;

/// Everything `[http]` can set. Seconds may be fractional.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct HttpConfig {
    /// Where to listen (`127.0.0.1:8080`); `--http` and `PRICEWIRE_HTTP` win. None: off.
    pub listen: Option<String>,
    /// Browser origins allowed besides the page's own (`https://desk.example.com`).
    pub allowed_origins: Vec<String>,
    /// Bearer token of the control endpoints (`PRICEWIRE_HTTP_TOKEN` wins).
    pub control_token: Option<String>,
    /// Token every stream must present (`PRICEWIRE_STREAM_TOKEN` wins); none: open.
    pub stream_token: Option<String>,
    /// Clients may subscribe to symbols nobody watches (leased as wants for them).
    pub allow_client_wants: bool,
    /// Symbols per venue clients may add that way.
    pub max_client_wants: usize,
    /// Streaming clients at most (the next gets 503).
    pub max_clients: usize,
    /// Client messages per second (sustained) and at once.
    pub rate_per_sec: f64,
    /// Client messages at once.
    pub burst: f64,
    /// Symbols one client may hold.
    pub max_subscriptions: usize,
    /// A client that never subscribes is closed after this.
    pub idle_timeout_secs: f64,
    /// Heartbeats and pings this often.
    pub heartbeat_secs: f64,
    /// A client silent this long (not even a pong) is closed.
    pub ping_timeout_secs: f64,
    /// Messages queued per client before updates coalesce.
    pub queue: usize,
    /// Where symbols pinned through `POST /v1/symbols` are mirrored (default: the data
    /// directory's `relay-<id>-pins.json`).
    pub state_file: Option<PathBuf>,
}

impl std::fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpConfig")
            .field("listen", &self.listen)
            .field("allowed_origins", &self.allowed_origins)
            .field("control_token", &self.control_token.as_ref().map(|_| "***"))
            .field("stream_token", &self.stream_token.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        let l = Limits::default();
        HttpConfig {
            listen: None,
            allowed_origins: Vec::new(),
            control_token: None,
            stream_token: None,
            allow_client_wants: false,
            max_client_wants: 50,
            max_clients: l.max_clients,
            rate_per_sec: l.rate_per_sec,
            burst: l.burst,
            max_subscriptions: l.max_subscriptions,
            idle_timeout_secs: l.idle_timeout.as_secs_f64(),
            heartbeat_secs: l.heartbeat.as_secs_f64(),
            ping_timeout_secs: l.ping_timeout.as_secs_f64(),
            queue: l.queue,
            state_file: None,
        }
    }
}

impl HttpConfig {
    /// Every problem with its dotted key.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut bad = |k: &str, why: String| out.push((format!("http.{k}"), why));
        if let Some(l) = &self.listen
            && l.parse::<std::net::SocketAddr>().is_err()
        {
            bad(
                "listen",
                format!("{l:?} is not an address with a port (127.0.0.1:8080)"),
            );
        }
        for o in &self.allowed_origins {
            if Origin::parse(o).is_none() {
                bad(
                    "allowed_origins",
                    format!("{o:?} is not an origin (scheme://host[:port], nothing after it)"),
                );
            }
        }
        if self.max_clients == 0 || self.max_subscriptions == 0 || self.queue == 0 {
            bad(
                "max_clients",
                "max_clients, max_subscriptions and queue must be at least 1".into(),
            );
        }
        if !(self.rate_per_sec > 0.0 && self.burst >= 1.0) {
            bad(
                "rate_per_sec",
                "rate_per_sec must be above 0 and burst at least 1".into(),
            );
        }
        for (k, v) in [
            ("idle_timeout_secs", self.idle_timeout_secs),
            ("heartbeat_secs", self.heartbeat_secs),
            ("ping_timeout_secs", self.ping_timeout_secs),
        ] {
            if !(0.1..=86_400.0).contains(&v) {
                bad(k, "must be between 0.1 and 86400".into());
            }
        }
        out
    }

    /// The front door's settings, listening on `listen`.
    pub fn settings(&self, listen: std::net::SocketAddr) -> HttpSettings {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let mut s = HttpSettings::new(listen);
        s.allowed_origins = self
            .allowed_origins
            .iter()
            .filter_map(|o| Origin::parse(o))
            .collect();
        s.control_token = env("PRICEWIRE_HTTP_TOKEN").or_else(|| self.control_token.clone());
        s.stream_token = env("PRICEWIRE_STREAM_TOKEN").or_else(|| self.stream_token.clone());
        s.allow_client_wants = self.allow_client_wants;
        s.max_client_wants = self.max_client_wants;
        s.limits = Limits {
            max_clients: self.max_clients,
            rate_per_sec: self.rate_per_sec,
            burst: self.burst,
            max_subscriptions: self.max_subscriptions,
            idle_timeout: secs(self.idle_timeout_secs),
            heartbeat: secs(self.heartbeat_secs),
            ping_timeout: secs(self.ping_timeout_secs),
            queue: self.queue,
            ..Limits::default()
        };
        s.state_file.clone_from(&self.state_file);
        s
    }
}
