use std::io::IsTerminal;
use std::process::ExitCode;

use pricewire::cli::{Cli, Command};
use pricewire::{logging, relay_cmd, run};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::from_env();
    match &cli.command {
        Some(Command::Sim(args)) => {
            return report(
                pricewire_sim::run_cli(args.clone())
                    .await
                    .map(|()| ExitCode::SUCCESS),
            );
        }
        Some(Command::Relay(args)) => return report(relay_cmd::run(args.clone()).await),
        Some(Command::Replay(args)) => {
            return report(pricewire::commands::replay(&cli, args).await);
        }
        Some(Command::History(args)) => return report(pricewire::commands::history(&cli, args)),
        None => {}
    }
    // Config problems are reported before the terminal is touched.
    let settings = match run::settings(&cli) {
        Ok(s) => s,
        Err(e) => return report(Err(e)),
    };
    // Said before the terminal is taken (then logged, and shown once on the dashboard).
    let warn = |w: &pricewire::config::ConfigWarning| eprintln!("pricewire: warning: config {w}");
    settings.config.warnings.iter().for_each(warn);
    let term = std::env::var("TERM").ok();
    if let Some(why) = cli.dashboard_refusal(term.as_deref(), std::io::stdout().is_terminal()) {
        eprintln!("pricewire: {why}");
        return ExitCode::from(2);
    }
    let guard = logging::start(&cli, &settings);
    let log_path = guard
        .is_some()
        .then(|| {
            settings
                .config
                .log_file
                .clone()
                .or_else(logging::default_path)
        })
        .flatten();
    report(run::run(cli, settings, log_path).await)
}

fn report(result: anyhow::Result<ExitCode>) -> ExitCode {
    result.unwrap_or_else(|e| {
        eprintln!("pricewire: {e:#}");
        ExitCode::from(2)
    })
}
