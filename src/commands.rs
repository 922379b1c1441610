//! The `replay` and `history` subcommands.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use tokio_util::sync::CancellationToken;

use crate::cli::{Cli, HistoryArgs, ReplayArgs};
use crate::config::{self, Config};
use crate::history::{self, RunTag};
use crate::{headless, look, recorder};
use pricewire_core::record::{self, Record};
use pricewire_core::replay::{self, ReplayClock, ReplayOptions};
use pricewire_core::store::{Store, StoreLimits};

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    Ok(match &cli.config {
        Some(p) => Config::load(p, true)?,
        None => match config::default_path() {
            Some(p) => Config::load(&p, false)?,
            None => Config::default(),
        },
    })
}

/// The recording's header: its first line.
fn header(path: &Path) -> anyhow::Result<record::Header> {
    let mut first = String::new();
    std::io::BufRead::read_line(&mut recorder::open(path)?, &mut first)
        .with_context(|| format!("reading {}", path.display()))?;
    match record::decode(first.trim_end()) {
        Ok(Record::Header(h)) => Ok(h),
        _ => anyhow::bail!("{} is not a pricewire recording", path.display()),
    }
}

/// `--from`/`--until`: RFC 3339, or a time of day (UTC) on the recording's first day.
fn when(text: &str, start: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let time = NaiveTime::parse_from_str(text, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M"))
        .map_err(|_| anyhow::anyhow!("'{text}': a time is RFC 3339 or HH:MM[:SS] (UTC)"))?;
    Ok(start.date_naive().and_time(time).and_utc())
}

/// `pricewire replay FILE`: the recording through the parsers and the store, drawn by the
/// dashboard on the replay clock (or, `--headless`, printed as JSON lines); alerts fire on
/// the replay clock and go to the history tagged as a replay.
pub async fn replay(cli: &Cli, args: &ReplayArgs) -> anyhow::Result<ExitCode> {
    if !args.headless {
        let term = std::env::var("TERM").ok();
        if term.as_deref() == Some("dumb") || !std::io::IsTerminal::is_terminal(&std::io::stdout())
        {
            anyhow::bail!(
                "the dashboard needs a terminal: use `pricewire replay --headless {}` for JSON lines",
                args.file.display()
            );
        }
    }
    let cfg = load_config(cli)?;
    let head = header(&args.file)?;
    let opts = ReplayOptions {
        speed: args.speed,
        from: args
            .from
            .as_deref()
            .map(|t| when(t, head.started))
            .transpose()?,
        until: args
            .until
            .as_deref()
            .map(|t| when(t, head.started))
            .transpose()?,
        ..ReplayOptions::default()
    };
    let lines = replay::read_lines(recorder::open(&args.file)?);
    let store = Store::new(StoreLimits {
        history: cfg.feed.history.max(10),
        ..StoreLimits::default()
    });
    let events = args.headless.then(|| store.events());
    let stop = CancellationToken::new();
    let clock = ReplayClock::default();
    let history = look::start_history(&cfg, &store, RunTag::Replay, stop.clone());
    let (alert_task, fired) =
        look::start_alerts(&cfg, &store, RunTag::Replay, clock.as_clock(), stop.clone());
    // A replay's own entries go to the history tagged as such; the pane shows what the
    // recording did, not the previous run.
    let log = history.clone();
    let delivery = look::Delivery::new(&cfg, history, !args.headless, true, &stop);
    let (end_tx, end_rx) = tokio::sync::watch::channel(None);
    let player = {
        let (store, stop, clock) = (Arc::clone(&store), stop.clone(), clock.clone());
        let headless = args.headless;
        tokio::spawn(async move {
            let report = replay::play(lines, store, opts, clock, stop.clone()).await;
            let _ = end_tx.send(Some(crate::view::state::ReplayEnd::of(&report)));
            if headless {
                // What the last records caused (lines, alerts) is printed before the end.
                tokio::time::sleep(Duration::from_millis(200)).await;
                stop.cancel();
            }
            report
        })
    };
    if let Some(events) = events {
        let alerts = headless::Alerts {
            fired: Some(fired),
            delivery: Some(delivery),
            replay: true,
        };
        let printed = headless::run(events, &store, stop.clone(), alerts).await;
        stop.cancel();
        let report = player.await.context("the replay task")?;
        printed.context("writing to stdout")?;
        eprintln!("pricewire: {}", summary(&report));
        return Ok(exit_code(&report));
    }
    let alerts = look::dashboard_alerts(&cfg, alert_task, fired, delivery);
    let view = crate::view::state::ReplayView {
        file: args.file.display().to_string(),
        speed: match args.speed {
            replay::Speed::Max => "max".to_string(),
            replay::Speed::Times(x) => format!("{x}×"),
        },
        ended: None,
    };
    // No feed runs: the rows are the recording's, and nothing is dialled or saved.
    let feeds = pricewire_core::feed::command::Feeds::new(Vec::new());
    let drawn = crate::app::run(
        Arc::clone(&store),
        (
            pricewire_core::Watchlist::from(feeds),
            crate::watchlist::Lists::new(
                vec![(config::DEFAULT_WATCHLIST.to_string(), Vec::new())],
                0,
            ),
        ),
        &cfg,
        None,
        Some("a replay shows a recording".to_string()),
        crate::app::Extras {
            log_file: None,
            replay: Some((view, clock.as_clock(), end_rx)),
            alerts: Some(alerts),
            history: Some((log, Vec::new())),
        },
        stop.clone(),
    )
    .await;
    stop.cancel();
    let report = player.await.context("the replay task")?;
    drawn?;
    eprintln!("pricewire: {}", summary(&report));
    Ok(exit_code(&report))
}

/// The line printed after a replay.
fn summary(report: &replay::ReplayReport) -> String {
    let span = match (report.first_at, report.last_at) {
        (Some(a), Some(b)) => format!(
            " from {} to {}",
            a.format("%Y-%m-%d %H:%M:%S"),
            b.format("%H:%M:%S")
        ),
        _ => String::new(),
    };
    format!(
        "replay {}: {} records, {} frames{span}{}",
        report.ended.describe(),
        report.records,
        report.frames,
        if report.lost > 0 {
            format!("; the recording had lost {} records", report.lost)
        } else {
            String::new()
        }
    )
}

fn exit_code(report: &replay::ReplayReport) -> ExitCode {
    match report.ended {
        replay::Ended::Damaged { .. } => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

/// `90s`, `15m`, `1h`, `2d`.
fn age(text: &str) -> anyhow::Result<TimeDelta> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (n, unit) = text.split_at(split);
    let n: i64 = n
        .parse()
        .map_err(|_| anyhow::anyhow!("--since '{text}': try 90s, 15m, 1h or 2d"))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => anyhow::bail!("--since '{text}': try 90s, 15m, 1h or 2d"),
    };
    Ok(TimeDelta::seconds(n.saturating_mul(secs)))
}

/// `pricewire history`: the kept entries, oldest first.
pub fn history(cli: &Cli, args: &HistoryArgs) -> anyhow::Result<ExitCode> {
    let cfg = load_config(cli)?;
    let Some(settings) = look::history_settings(&cfg) else {
        anyhow::bail!("no history is kept (history.enabled = false, or no state directory)");
    };
    let since = args
        .since
        .as_deref()
        .map(age)
        .transpose()?
        .map(|d| Utc::now() - d);
    let venue = args
        .exchange
        .as_deref()
        .map(str::parse::<pricewire_core::model::ExchangeId>)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let mut out = std::io::stdout().lock();
    for e in history::read_all(&settings.path, settings.keep) {
        if since.is_some_and(|s| e.ts < s)
            || venue.is_some_and(|v| e.exchange.as_deref() != Some(v.as_str()))
        {
            continue;
        }
        let line = if args.json {
            serde_json::to_string(&e).unwrap_or_default()
        } else {
            history::line(&e)
        };
        if std::io::Write::write_all(&mut out, format!("{line}\n").as_bytes()).is_err() {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}
