//! `pricewire relay`: the config's `[relay]` table, flags over it and the environment over
//! both (so it runs under systemd or in a container with no file), logging to stderr as
//! text or JSON lines, and a clean exit on SIGTERM/SIGINT that releases every lease at
//! once. The work itself is `pricewire_relay::relay`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use tokio_util::sync::CancellationToken;

use crate::config::{self, Config, secs};
use pricewire_core::model::ExchangeId;
use pricewire_relay::relay::{self, RelaySettings, VenueSettings};
use pricewire_relay::{LeaseTiming, RedisTarget};

/// Flags of `pricewire relay`; each also from the environment.
#[derive(Debug, Clone, Args)]
pub struct RelayArgs {
    // The brackets below are --help text (optional parts of the URL), not doc links.
    #[allow(rustdoc::broken_intra_doc_links)]
    /// Redis: redis://[user@]host:port[/db] or rediss://… (a password belongs in
    /// PRICEWIRE_REDIS_PASSWORD or the config, not here: `ps` shows the command line).
    #[arg(long, env = "PRICEWIRE_REDIS_URL", hide_env_values = true)]
    pub redis: Option<String>,
    /// This relay's id, unique among the relays of one Redis.
    #[arg(long, env = "PRICEWIRE_RELAY_ID")]
    pub id: Option<String>,
    /// Venues to serve, comma-separated.
    #[arg(
        long,
        short = 'e',
        value_delimiter = ',',
        env = "PRICEWIRE_RELAY_EXCHANGES"
    )]
    pub exchange: Vec<String>,
    /// Lease length in seconds (a standby takes over this long after a leader dies).
    #[arg(long, env = "PRICEWIRE_RELAY_LEASE_SECS")]
    pub lease_secs: Option<f64>,
    /// CA certificate (PEM) for rediss://.
    #[arg(long, env = "PRICEWIRE_REDIS_CA")]
    pub tls_ca: Option<PathBuf>,
    /// Log format on stderr: text or json.
    #[arg(long, env = "PRICEWIRE_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Config file (default: the platform config dir's pricewire/config.toml).
    #[arg(long, short = 'c')]
    pub config: Option<PathBuf>,
    /// WebSocket URL override for the first venue (a simulator).
    #[arg(long)]
    pub ws_url: Option<String>,
    /// REST base override for the first venue.
    #[arg(long)]
    pub rest_url: Option<String>,
    /// Symbols the relay carries on its own, whatever readers want (comma-separated in
    /// the environment).
    #[arg(env = "PRICEWIRE_RELAY_SYMBOLS", value_delimiter = ',')]
    pub symbols: Vec<String>,
    /// Serve the front door here (WebSocket, SSE, the web page, /health, /metrics):
    /// 127.0.0.1:8080; port 0 picks a free one (the log says which).
    #[arg(long, env = "PRICEWIRE_HTTP")]
    pub http: Option<String>,
}

/// The Redis password from the environment, else the config.
pub fn password(config: &Config) -> Option<String> {
    std::env::var("PRICEWIRE_REDIS_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .or_else(|| config.relay.password.clone())
}

/// The target for `url`, with the config's user, password and CA.
pub fn target(url: &str, config: &Config, ca: Option<&PathBuf>) -> anyhow::Result<RedisTarget> {
    let mut t =
        RedisTarget::parse(url, password(config))?.with_username(config.relay.username.clone());
    if let Some(path) = ca.or(config.relay.tls_ca.as_ref()) {
        let pem = std::fs::read(path)
            .with_context(|| format!("cannot read the CA file {}", path.display()))?;
        t = t.with_ca(pem);
    }
    Ok(t)
}

fn settings(args: &RelayArgs) -> anyhow::Result<(RelaySettings, String, Config)> {
    let (path, must_exist) = match &args.config {
        Some(p) => (Some(p.clone()), true),
        None => (config::default_path(), false),
    };
    let config = match &path {
        Some(p) => Config::load(p, must_exist)?,
        None => Config::default(),
    };
    let rc = &config.relay;
    let url = args
        .redis
        .clone()
        .or_else(|| rc.redis_url.clone())
        .unwrap_or_else(|| "redis://127.0.0.1:6379".into());
    if args.redis.is_some()
        && RedisTarget::url_has_password(&url)
        && std::env::var("PRICEWIRE_REDIS_URL").is_err()
    {
        eprintln!(
            "pricewire: warning: a password on the command line is visible to every user through `ps`; use PRICEWIRE_REDIS_PASSWORD or the config's [relay] password"
        );
    }
    let target = target(&url, &config, args.tls_ca.as_ref())?;
    let names = if !args.exchange.is_empty() {
        args.exchange.clone()
    } else if !rc.exchanges.is_empty() {
        rc.exchanges.clone()
    } else {
        config.exchanges.clone()
    };
    let typed = if args.symbols.is_empty() {
        rc.symbols.clone()
    } else {
        args.symbols.clone()
    };
    let mut venues = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let exchange: ExchangeId = name.parse().map_err(anyhow::Error::msg)?;
        let endpoint = config.endpoints.get(exchange.as_str());
        let mut ws_url = endpoint.and_then(|e| e.ws_url.clone());
        let mut rest_url = endpoint.and_then(|e| e.rest_url.clone());
        if i == 0 {
            ws_url = args.ws_url.clone().or(ws_url);
            rest_url = args.rest_url.clone().or(rest_url);
        }
        let symbols = typed
            .iter()
            .filter_map(|s| match s.split_once(':') {
                Some((v, rest)) if v.parse::<ExchangeId>().is_ok() => {
                    (v.parse::<ExchangeId>().ok() == Some(exchange)).then(|| rest.to_string())
                }
                _ => Some(s.clone()),
            })
            .collect();
        venues.push(VenueSettings {
            exchange,
            symbols,
            ws_url,
            rest_url,
            quote_aliases: config
                .quote_aliases
                .get(exchange.as_str())
                .into_iter()
                .flatten()
                .map(|(a, b)| (a.clone(), b.clone()))
                .collect(),
        });
    }
    anyhow::ensure!(!venues.is_empty(), "no exchange given (--exchange kraken)");
    let lease = args.lease_secs.unwrap_or(rc.lease_secs);
    anyhow::ensure!(
        (1.0..=3600.0).contains(&lease),
        "--lease-secs must be between 1 and 3600"
    );
    let id = args
        .id
        .clone()
        .or_else(|| rc.id.clone())
        .unwrap_or_else(default_id);
    let mut s = RelaySettings::new(pricewire_core::sanitize::clean(&id), target, venues);
    s.feed = config.feed.clone();
    s.lease = LeaseTiming::new(secs(lease));
    s.ticks_maxlen = rc.ticks_maxlen;
    s.states_maxlen = rc.states_maxlen;
    s.max_symbols = rc.max_symbols;
    s.linger = secs(rc.linger_secs);
    let format = args
        .log_format
        .clone()
        .unwrap_or_else(|| rc.log_format.clone());
    anyhow::ensure!(
        ["text", "json"].contains(&format.as_str()),
        "--log-format must be text or json"
    );
    Ok((s, format, config))
}

/// `relay-` and the host name (or the process id).
fn default_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| std::process::id().to_string());
    format!("relay-{host}")
}

fn start_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Run the relay until SIGTERM or SIGINT.
pub async fn run(args: RelayArgs) -> anyhow::Result<ExitCode> {
    let (settings, format, config) = settings(&args)?;
    start_logging(&format);
    let venues: Vec<&str> = settings
        .venues
        .iter()
        .map(|v| v.exchange.as_str())
        .collect();
    tracing::info!(
        id = %settings.id,
        redis = %settings.target,
        venues = %venues.join(","),
        lease_ms = settings.lease.lease.as_millis() as u64,
        "starting pricewire relay {}",
        env!("CARGO_PKG_VERSION")
    );
    relay::check(&settings)
        .await
        .with_context(|| format!("cannot use Redis at {}", settings.target))?;
    let shutdown = CancellationToken::new();
    watch_signals(shutdown.clone());
    let door = crate::relay_http::start(&args, &config, &settings, &shutdown).await?;
    let stats = Arc::clone(&settings.stats);
    let report = tokio::spawn(report_stats(stats, shutdown.clone()));
    relay::run(settings, shutdown.clone()).await;
    report.abort();
    if let Some(door) = door {
        door.stopped().await;
    }
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// One log line a minute with the write counters.
async fn report_stats(stats: Arc<pricewire_relay::publish::Stats>, stop: CancellationToken) {
    use std::sync::atomic::Ordering::Relaxed;
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(60)) => {}
            () = stop.cancelled() => return,
        }
        tracing::info!(
            written = stats.written.load(Relaxed),
            batches = stats.batches.load(Relaxed),
            fenced = stats.fenced.load(Relaxed),
            dropped = stats.dropped.load(Relaxed),
            "writes so far"
        );
    }
}

fn watch_signals(shutdown: CancellationToken) {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            if let Ok(mut term) = signal(SignalKind::terminate()) {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
                tracing::info!("shutting down: releasing leadership");
                shutdown.cancel();
                return;
            }
        }
        let _ = tokio::signal::ctrl_c().await;
        shutdown.cancel();
    });
}
