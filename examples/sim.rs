//! The simulator as a standalone process, the same entry point `pricewire sim` uses:
//! `cargo run --example sim -- --scenario burst --tick-ms 100`.
//! Prints `listening on 127.0.0.1:PORT` first, then serves until Ctrl-C or SIGTERM.

use clap::Parser;
use pricewire_sim::{SimArgs, run_cli};

#[derive(Parser)]
#[command(about = "Kraken-compatible exchange simulator on 127.0.0.1")]
struct Cli {
    #[command(flatten)]
    sim: SimArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    run_cli(Cli::parse().sim).await
}
