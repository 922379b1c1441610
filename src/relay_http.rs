//! `pricewire relay --http ADDR`: the front door's settings from the config's `[http]`
//! table, the flag and the environment (`PRICEWIRE_HTTP`, `PRICEWIRE_HTTP_TOKEN`,
//! `PRICEWIRE_STREAM_TOKEN`), its state file written by the config saver (whole or not at
//! all), and the start. The server itself is `pricewire_relay::http`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::relay_cmd::RelayArgs;
use pricewire_relay::http::{self, FrontDoor};
use pricewire_relay::relay::RelaySettings;

/// The state file's default place: the data directory's `relay-<id>-pins.json`.
fn default_state_file(id: &str) -> Option<PathBuf> {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    directories::ProjectDirs::from("", "", "pricewire")
        .map(|d| d.data_dir().join(format!("relay-{safe}-pins.json")))
}

/// Start the front door when `--http`, `PRICEWIRE_HTTP` or `[http] listen` asks for it.
pub async fn start(
    args: &RelayArgs,
    config: &Config,
    relay: &RelaySettings,
    shutdown: &CancellationToken,
) -> anyhow::Result<Option<FrontDoor>> {
    let Some(listen) = args.http.clone().or_else(|| config.http.listen.clone()) else {
        return Ok(None);
    };
    let addr: std::net::SocketAddr = listen.parse().with_context(|| {
        format!("--http {listen:?}: not an address with a port (127.0.0.1:8080)")
    })?;
    let mut settings = config.http.settings(addr);
    if let Ok(o) = std::env::var("PRICEWIRE_HTTP_ORIGINS") {
        for text in o.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let origin = http::guard::Origin::parse(text).with_context(|| {
                format!("PRICEWIRE_HTTP_ORIGINS: {text:?} is not an origin (scheme://host[:port])")
            })?;
            settings.allowed_origins.push(origin);
        }
    }
    if settings.state_file.is_none() {
        settings.state_file = default_state_file(&relay.id);
    }
    settings.saver = Some(Arc::new(|path, text| {
        crate::config::write_replacing(path, text)
    }));
    if settings.control_token.is_none() {
        tracing::info!(
            "control endpoints are off: no [http] control_token or PRICEWIRE_HTTP_TOKEN"
        );
    }
    let door = http::start(settings, relay, shutdown.clone())
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!(url = %http::page_url(door.addr()), "front door listening on {}", door.addr());
    Ok(Some(door))
}
