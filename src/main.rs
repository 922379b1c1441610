use std::process::ExitCode;

use clap::Parser;
use pricewire::cli::{Cli, Command};
use pricewire::{logging, run, sim};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Sim(args)) = cli.command {
        return report(sim::run_cli(args).await.map(|()| ExitCode::SUCCESS));
    }
    // Config problems are reported before the terminal is touched.
    let settings = match run::settings(&cli) {
        Ok(s) => s,
        Err(e) => return report(Err(e)),
    };
    let log_path = cli
        .log_file
        .clone()
        .or_else(|| settings.config.log_file.clone());
    let log_path = log_path.or_else(logging::default_path);
    let guard = logging::init(log_path.as_deref())
        .map_err(|e| eprintln!("pricewire: logging disabled: {e}"))
        .ok();
    let log_path = log_path.filter(|_| guard.is_some());
    report(run::run(cli, settings, log_path).await)
}

fn report(result: anyhow::Result<ExitCode>) -> ExitCode {
    result.unwrap_or_else(|e| {
        eprintln!("pricewire: {e:#}");
        ExitCode::from(2)
    })
}
