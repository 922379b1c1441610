//! `pricewire sim ...`: the simulator as a standalone process. Prints
//! `listening on ADDR` as its first stdout line (scripts and benchmarks read the port from
//! it), then serves until Ctrl-C or SIGTERM. Owns only argument parsing and the wait.

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;

use super::config::SimConfig;
use super::scenario::Scenario;
use super::server::SimServer;
use pricewire_core::model::ExchangeId;

/// Arguments of `pricewire sim`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// Venue to play.
    #[arg(long, default_value = "kraken")]
    pub exchange: ExchangeId,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Scenario: steady, burst, burst:N, drop-after:N, close-after:N, silent-after:N,
    /// acked-but-silent, refuse-ws, down, garbage, slow-connect, maintenance, oversized,
    /// pong-never, flapping, rest-429, rest-500.
    #[arg(long, default_value = "steady")]
    pub scenario: Scenario,
    /// Per-symbol update period in milliseconds (steady scenario).
    #[arg(long, default_value_t = 200)]
    pub tick_ms: u64,
    /// Seed of the random walk: same seed, same prices.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

impl SimArgs {
    pub fn config(&self) -> SimConfig {
        SimConfig {
            exchange: self.exchange,
            scenario: self.scenario,
            tick_interval: Duration::from_millis(self.tick_ms.max(1)),
            seed: self.seed,
            ..SimConfig::default()
        }
    }
}

pub async fn run_cli(args: SimArgs) -> anyhow::Result<()> {
    let server = SimServer::start(args.listen, args.config())
        .await
        .with_context(|| format!("starting the simulator on {}", args.listen))?;
    let addr = server.addr().context("simulator has no address")?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {addr}")?;
        out.flush()?;
    }
    wait_for_signal().await?;
    server.shutdown().await;
    Ok(())
}

#[cfg(unix)]
async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.context("waiting for Ctrl-C")?,
        _ = term.recv() => {}
    }
    Ok(())
}

#[cfg(not(unix))]
async fn wait_for_signal() -> anyhow::Result<()> {
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        sim: SimArgs,
    }

    #[test]
    fn defaults_and_overrides() {
        let d = Cli::parse_from(["sim"]).sim;
        assert_eq!(d.exchange, ExchangeId::Kraken);
        assert_eq!(d.listen.to_string(), "127.0.0.1:0");
        assert_eq!(d.scenario, Scenario::Steady);
        assert_eq!(d.config().tick_interval, Duration::from_millis(200));
        let a = Cli::parse_from([
            "sim",
            "--scenario",
            "drop-after:4",
            "--tick-ms",
            "50",
            "--seed",
            "9",
        ])
        .sim;
        assert_eq!(a.scenario, Scenario::DropAfter(4));
        assert_eq!(a.config().tick_interval, Duration::from_millis(50));
        assert_eq!(a.config().seed, 9);
        assert!(Cli::try_parse_from(["sim", "--scenario", "nope"]).is_err());
    }
}
