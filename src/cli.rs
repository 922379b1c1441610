//! Command-line arguments. Every flag here can also be set in the config file; the command
//! line wins.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Live crypto prices from real exchanges, honest about how fresh they are.
#[derive(Debug, Parser)]
#[command(name = "pricewire", version, args_conflicts_with_subcommands = true)]
#[command(
    after_help = "Symbols take any spelling (BTC/USD, btc-usd, XBTUSD) and an optional \
venue prefix (kraken:BTC/USD). Without symbols the config file's watchlist is used.\n\
Config file: ~/.config/pricewire/config.toml (see config.example.toml)."
)]
pub struct Cli {
    /// Exchange(s) to stream from, comma-separated: kraken, binance, coinbase, bybit, okx, kucoin.
    #[arg(long, short = 'e', value_delimiter = ',')]
    pub exchange: Vec<String>,
    /// Config file (default: the platform config dir's pricewire/config.toml).
    #[arg(long, short = 'c')]
    pub config: Option<PathBuf>,
    /// Print JSON lines instead of drawing the dashboard.
    #[arg(long)]
    pub headless: bool,
    /// Run against the built-in exchange simulator on 127.0.0.1 (no network needed).
    #[arg(long)]
    pub demo: bool,
    /// Simulator scenario for --demo (steady, burst, drop-after:N, flapping, ...).
    #[arg(long, default_value = "steady", requires = "demo")]
    pub scenario: String,
    /// WebSocket URL override (first exchange).
    #[arg(long)]
    pub ws_url: Option<String>,
    /// REST base URL override (first exchange).
    #[arg(long)]
    pub rest_url: Option<String>,
    /// Log file (default: the platform data dir's pricewire/pricewire.log).
    #[arg(long)]
    pub log_file: Option<PathBuf>,
    /// Symbols to watch (replace the config's watchlist for this run).
    pub symbols: Vec<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Play an exchange on 127.0.0.1 (prints `listening on ADDR` first).
    Sim(crate::sim::SimArgs),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse() {
        let cli = Cli::try_parse_from([
            "pricewire",
            "--exchange",
            "kraken,binance",
            "--headless",
            "BTC/USD",
            "eth-usd",
        ])
        .unwrap();
        assert_eq!(cli.exchange, vec!["kraken", "binance"]);
        assert!(cli.headless);
        assert_eq!(cli.symbols, vec!["BTC/USD", "eth-usd"]);
        assert!(cli.command.is_none());
        let cli = Cli::try_parse_from(["pricewire", "sim", "--listen", "127.0.0.1:0"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Sim(_))));
        assert!(Cli::try_parse_from(["pricewire", "--scenario", "burst"]).is_err());
    }
}
