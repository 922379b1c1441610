//! Command-line arguments. Every flag here can also be set in the config file; the command
//! line wins.

use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::{self, REST_SCHEMES, WS_SCHEMES};

/// Live crypto prices from real exchanges, honest about how fresh they are.
#[derive(Debug, Parser)]
#[command(name = "pricewire", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Exchange(s) to stream from, comma-separated: kraken, binance, coinbase, bybit, okx, kucoin.
    #[arg(long, short = 'e', value_delimiter = ',')]
    pub exchange: Vec<String>,
    /// Config file (default: the platform config dir's pricewire/config.toml).
    #[arg(long, short = 'c', global = true)]
    pub config: Option<PathBuf>,
    /// Print JSON lines instead of drawing the dashboard.
    #[arg(long)]
    pub headless: bool,
    /// Run against the built-in exchange simulator on 127.0.0.1 (no network needed).
    #[arg(long, conflicts_with_all = ["ws_url", "rest_url"])]
    pub demo: bool,
    // The brackets below are --help text (a config table, an optional part), not doc links.
    #[allow(rustdoc::broken_intra_doc_links)]
    /// Read a relay's shared feed from Redis instead of connecting to the venues:
    /// redis://host:port[/db] or rediss://… (password from PRICEWIRE_REDIS_PASSWORD or the
    /// config's [relay] password).
    #[arg(long, value_name = "URL", conflicts_with_all = ["demo", "ws_url", "rest_url"])]
    pub source: Option<String>,
    /// Simulator scenario for --demo (steady, burst, drop-after:N, flapping, ...).
    #[arg(long, default_value = "steady", requires = "demo")]
    pub scenario: String,
    /// WebSocket URL override (first exchange): ws:// or wss://.
    #[arg(long, value_parser = ws_url)]
    pub ws_url: Option<String>,
    /// REST base URL override (first exchange): http:// or https://.
    #[arg(long, value_parser = rest_url)]
    pub rest_url: Option<String>,
    /// Log file (default: the platform data dir's pricewire/pricewire.log; ~/ is expanded).
    #[arg(long)]
    pub log_file: Option<PathBuf>,
    /// Start with this named watchlist from the config file (`[watchlists.NAME]`).
    #[arg(long, value_name = "NAME", conflicts_with = "symbols")]
    pub watchlist: Option<String>,
    /// Record every frame received, the REST bodies used and every state change to FILE
    /// (JSON lines; zstd when FILE ends in .zst), for `pricewire replay`.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Symbols to watch (replace the config's watchlist for this run).
    pub symbols: Vec<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// The process's arguments; `--help` names this machine's config and log file paths.
    pub fn from_env() -> Cli {
        let args = config_after_subcommand(std::env::args_os().collect());
        let matches = Cli::command()
            .after_help(after_help())
            .get_matches_from(args);
        Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }

    /// Why the dashboard cannot be drawn here, given `TERM` and whether stdout is a
    /// terminal; `None` when it can (or when `--headless` needs no terminal).
    pub fn dashboard_refusal(
        &self,
        term: Option<&str>,
        stdout_is_terminal: bool,
    ) -> Option<&'static str> {
        if self.headless || self.command.is_some() {
            None
        } else if term == Some("dumb") {
            Some(
                "TERM=dumb cannot draw the dashboard; use --headless for JSON lines, or a terminal that supports cursor movement",
            )
        } else if !stdout_is_terminal {
            Some("stdout is not a terminal; use --headless for JSON lines")
        } else {
            None
        }
    }
}

/// `pricewire --config FILE relay …` reads as `pricewire relay --config FILE …`: a
/// dashboard flag before a subcommand would otherwise make the subcommand's name read as a
/// symbol. Only a leading `--config`/`-c` moves; anything else is left for clap to judge.
pub fn config_after_subcommand(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let is =
        |i: usize, f: &dyn Fn(&str) -> bool| args.get(i).and_then(|a| a.to_str()).is_some_and(f);
    let taken = if is(1, &|a| a == "--config" || a == "-c") {
        2
    } else if is(1, &|a| {
        a.starts_with("--config=") || (a.starts_with("-c") && a.len() > 2)
    }) {
        1
    } else {
        return args;
    };
    let command = Cli::command();
    let names: Vec<&str> = command
        .get_subcommands()
        .map(clap::Command::get_name)
        .collect();
    if args.len() > 1 + taken && is(1 + taken, &|a| names.contains(&a)) {
        let config: Vec<_> = args.drain(1..=taken).collect();
        args.splice(2..2, config);
    }
    args
}

/// Paths as this machine has them (the documented Linux ones when there is no home).
pub fn after_help() -> String {
    let config = config::default_path().map_or("~/.config/pricewire/config.toml".into(), |p| {
        p.display().to_string()
    });
    let log = crate::logging::default_path()
        .map_or("~/.local/share/pricewire/pricewire.log".into(), |p| {
            p.display().to_string()
        });
    format!(
        "Symbols take any spelling (BTC/USD, btc-usd, XBTUSD) and an optional venue prefix \
(kraken:BTC/USD). Without symbols the config file's watchlist is used.\n\
Config file: {config} (see config.example.toml).\n\
Log file: {log} (RUST_LOG sets the level)."
    )
}

fn ws_url(text: &str) -> Result<String, String> {
    config::check_url(text, WS_SCHEMES).map(|()| text.to_string())
}

fn rest_url(text: &str) -> Result<String, String> {
    config::check_url(text, REST_SCHEMES).map(|()| text.to_string())
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Play an exchange on 127.0.0.1 (prints `listening on ADDR` first).
    Sim(pricewire_sim::SimArgs),
    /// Hold the venue connections for a whole desk and publish them through Redis, with
    /// leader leases so that standby relays take over (see docs/RELAY.md).
    Relay(crate::relay_cmd::RelayArgs),
    /// Play a recording (from --record) through the parsers and the store as live data.
    Replay(ReplayArgs),
    /// Print the history kept across runs (state changes, symbol edits, alerts).
    History(HistoryArgs),
}

/// `pricewire replay FILE`.
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The recording (plain or zstd).
    pub file: PathBuf,
    /// Speed: 10 plays ten times as fast as recorded; max as fast as it reads.
    #[arg(long, default_value = "1")]
    pub speed: pricewire_core::replay::Speed,
    /// Print JSON lines (each with "replay":true) instead of drawing the dashboard.
    #[arg(long)]
    pub headless: bool,
    /// Play with timing from this time on (RFC 3339, or HH:MM or HH:MM:SS UTC on the recording's
    /// first day); what comes before is applied at once.
    #[arg(long)]
    pub from: Option<String>,
    /// Stop at this time (same forms as --from).
    #[arg(long)]
    pub until: Option<String>,
}

/// `pricewire history`.
#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// Only entries this recent: 90s, 15m, 1h, 2d.
    #[arg(long)]
    pub since: Option<String>,
    /// Only this venue's entries.
    #[arg(long)]
    pub exchange: Option<String>,
    /// Print the entries as JSON lines.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--config` may come before a subcommand as well as after it.
    #[test]
    fn config_before_a_subcommand_belongs_to_it() {
        let parse = |args: &[&str]| {
            let args = config_after_subcommand(args.iter().map(Into::into).collect());
            Cli::try_parse_from(args)
        };
        for args in [
            &[
                "pricewire",
                "--config",
                "c.toml",
                "relay",
                "--redis",
                "redis://127.0.0.1:1",
            ][..],
            &[
                "pricewire",
                "-c",
                "c.toml",
                "relay",
                "--redis",
                "redis://127.0.0.1:1",
            ],
            &[
                "pricewire",
                "--config=c.toml",
                "relay",
                "--redis",
                "redis://127.0.0.1:1",
            ],
            &[
                "pricewire",
                "relay",
                "--config",
                "c.toml",
                "--redis",
                "redis://127.0.0.1:1",
            ],
        ] {
            let cli = parse(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            assert!(matches!(cli.command, Some(Command::Relay(_))), "{args:?}");
            assert_eq!(cli.config.as_deref(), Some(std::path::Path::new("c.toml")));
        }
        let cli = parse(&["pricewire", "--config", "c.toml", "replay", "r.jsonl"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Replay(_))));
        // Symbols after --config stay symbols.
        let cli = parse(&["pricewire", "--config", "c.toml", "BTC/USD"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.symbols, ["BTC/USD"]);
    }

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

    #[test]
    fn malformed_urls_are_refused() {
        for args in [
            ["pricewire", "--ws-url", "notaurl"],
            ["pricewire", "--ws-url", "https://ws.kraken.com"],
            ["pricewire", "--rest-url", "ws://127.0.0.1:1"],
            ["pricewire", "--rest-url", "http://"],
        ] {
            let err = Cli::try_parse_from(args).unwrap_err();
            assert_eq!(
                err.kind(),
                clap::error::ErrorKind::ValueValidation,
                "{args:?}"
            );
            assert_eq!(err.exit_code(), 2);
        }
        let cli = Cli::try_parse_from([
            "pricewire",
            "--ws-url",
            "ws://127.0.0.1:9000/v2",
            "--rest-url",
            "http://127.0.0.1:9000",
        ])
        .unwrap();
        assert_eq!(cli.ws_url.as_deref(), Some("ws://127.0.0.1:9000/v2"));
    }

    #[test]
    fn demo_refuses_url_overrides() {
        for flag in [
            "--ws-url=ws://127.0.0.1:1/v2",
            "--rest-url=http://127.0.0.1:1",
        ] {
            let err = Cli::try_parse_from(["pricewire", "--demo", flag]).unwrap_err();
            assert_eq!(
                err.kind(),
                clap::error::ErrorKind::ArgumentConflict,
                "{flag}"
            );
        }
    }

    #[test]
    fn dashboard_needs_a_capable_terminal() {
        let cli = Cli::try_parse_from(["pricewire", "--demo"]).unwrap();
        assert_eq!(cli.dashboard_refusal(Some("xterm-256color"), true), None);
        assert!(
            cli.dashboard_refusal(Some("xterm"), false)
                .unwrap()
                .contains("not a terminal")
        );
        assert!(
            cli.dashboard_refusal(Some("dumb"), true)
                .unwrap()
                .contains("--headless")
        );
        let cli = Cli::try_parse_from(["pricewire", "--demo", "--headless"]).unwrap();
        assert_eq!(cli.dashboard_refusal(Some("dumb"), false), None);
    }

    #[test]
    fn help_names_the_log_file() {
        let help = Cli::command()
            .after_help(after_help())
            .render_long_help()
            .to_string();
        let log = crate::logging::default_path().expect("a home directory for the tests");
        assert!(help.contains(&log.display().to_string()), "{help}");
        assert!(help.contains("Config file: "), "{help}");
    }
}
