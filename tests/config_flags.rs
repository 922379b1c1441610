//! `--log-file` and the config's `log_file` both go through `run::settings`, which expands
//! a leading `~/` to `$HOME` and refuses `~user/`.

use std::fs;
use std::path::PathBuf;

use clap::Parser;
use pricewire::cli::Cli;
use pricewire::run;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pricewire-flags-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .expect("HOME is set for the tests")
}

#[test]
fn home_is_expanded_from_the_config_and_the_flag() {
    let dir = scratch("home");
    let config = dir.join("config.toml");
    fs::write(&config, "log_file = \"~/pw.log\"\n").unwrap();
    let config = config.to_str().unwrap();

    let cli = Cli::try_parse_from(["pricewire", "--config", config]).unwrap();
    let s = run::settings(&cli).unwrap();
    assert_eq!(s.config.log_file, Some(home().join("pw.log")));

    let cli = Cli::try_parse_from(["pricewire", "--config", config, "--log-file", "~/x"]).unwrap();
    let s = run::settings(&cli).unwrap();
    assert_eq!(s.config.log_file, Some(home().join("x")));

    let cli = Cli::try_parse_from(["pricewire", "--config", config, "--log-file", "~"]).unwrap();
    assert_eq!(run::settings(&cli).unwrap().config.log_file, Some(home()));

    let cli =
        Cli::try_parse_from(["pricewire", "--config", config, "--log-file", "~bob/x"]).unwrap();
    let err = run::settings(&cli)
        .err()
        .expect("~bob is refused")
        .to_string();
    assert!(
        err.contains("--log-file") && err.contains("only ~/"),
        "{err}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn without_symbols_each_venue_watches_pairs_it_lists() {
    let dir = scratch("defaults");
    let config = dir.join("config.toml");
    fs::write(&config, "[ui]\nfps = 20\n").unwrap();
    let config = config.to_str().unwrap();
    let venues = "kraken,binance,coinbase,bybit,okx,kucoin";
    let cli = Cli::try_parse_from(["pricewire", "--config", config, "-e", venues]).unwrap();
    let s = run::settings(&cli).unwrap();
    let got: Vec<(String, Vec<String>)> = s
        .symbols
        .iter()
        .map(|(id, list)| (id.to_string(), list.clone()))
        .collect();
    let usd = vec!["BTC/USD".to_string(), "ETH/USD".to_string()];
    let usdt = vec!["BTC/USDT".to_string(), "ETH/USDT".to_string()];
    assert_eq!(
        got,
        vec![
            ("kraken".into(), usd.clone()),
            ("binance".into(), usdt.clone()),
            ("coinbase".into(), usd),
            ("bybit".into(), usdt.clone()),
            ("okx".into(), usdt.clone()),
            ("kucoin".into(), usdt),
        ]
    );
    // A saved watchlist or typed symbols replace the defaults.
    let cli = Cli::try_parse_from(["pricewire", "--config", config, "-e", "binance", "SOL/USDT"])
        .unwrap();
    let s = run::settings(&cli).unwrap();
    assert_eq!(
        s.symbols.values().collect::<Vec<_>>(),
        vec![&vec!["SOL/USDT".to_string()]]
    );
}
