//! Wiring: config + flags → simulator (for `--demo`) → one feed per exchange → the
//! dashboard or headless output → clean shutdown on quit, Ctrl-C, SIGTERM or SIGHUP.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::cli::Cli;
use crate::config::{self, Config};
use crate::history::RunTag;
use crate::{app, headless, look};
use pricewire_core::exchange;
use pricewire_core::feed::FeedBuilder;
use pricewire_core::feed::command::Feeds;
use pricewire_core::model::ExchangeId;
use pricewire_core::store::{Store, StoreLimits};
use pricewire_relay::consumer::{self, ConsumerSettings, VenueWatch};
use pricewire_sim::{Scenario, SimConfig, SimServer};

/// Resolved settings for one run.
pub struct Settings {
    pub config: Config,
    /// Where the watchlist is saved (`None`: nothing is saved, e.g. in `--demo`).
    pub config_path: Option<PathBuf>,
    pub exchanges: Vec<ExchangeId>,
    /// Typed symbols per exchange: the shown watchlist's.
    pub symbols: BTreeMap<ExchangeId, Vec<String>>,
    /// The named watchlists (`default` first: the config's `symbols`, or this run's
    /// symbols from the command line) and the one shown at start.
    pub lists: crate::watchlist::Lists,
}

/// Read the config file and merge the flags over it. Errors here happen before the
/// terminal is touched.
pub fn settings(cli: &Cli) -> anyhow::Result<Settings> {
    let (path, must_exist) = match &cli.config {
        Some(p) => (Some(p.clone()), true),
        None => (config::default_path(), false),
    };
    let mut config = match &path {
        Some(p) => Config::load(p, must_exist)?,
        None => Config::default(),
    };
    // The flag wins over the config's `log_file` (already expanded when the file was read).
    if let Some(p) = &cli.log_file {
        let p = config::expand_home(p, config::home().as_deref())
            .map_err(|m| anyhow::anyhow!("--log-file {m}"))?;
        config.log_file = Some(p);
    }
    let names = if cli.exchange.is_empty() {
        config.exchanges.clone()
    } else {
        cli.exchange.clone()
    };
    let mut exchanges = Vec::new();
    for name in &names {
        let id: ExchangeId = name.parse().map_err(anyhow::Error::msg)?;
        exchange::adapter_with(id, &config.feed).map_err(anyhow::Error::msg)?;
        if !exchanges.contains(&id) {
            exchanges.push(id);
        }
    }
    anyhow::ensure!(
        !exchanges.is_empty(),
        "no exchange given (--exchange kraken)"
    );
    let default_list = if cli.symbols.is_empty() {
        config.symbols.clone()
    } else {
        cli.symbols.clone()
    };
    let lists: Vec<(String, Vec<String>)> =
        std::iter::once((config::DEFAULT_WATCHLIST.to_string(), default_list))
            .chain(
                config
                    .watchlists
                    .iter()
                    .map(|(name, list)| (name.clone(), list.symbols.clone())),
            )
            .collect();
    let active = match &cli.watchlist {
        None => 0,
        Some(name) => lists.iter().position(|(n, _)| n == name).ok_or_else(|| {
            let names: Vec<&str> = lists.iter().map(|(n, _)| n.as_str()).collect();
            anyhow::anyhow!(
                "--watchlist {name}: no such watchlist (the config file has: {})",
                names.join(", ")
            )
        })?,
    };
    let typed = &lists[active].1;
    let (mut symbols, skipped) = crate::watchlist::per_venue(typed, &exchanges);
    for s in skipped {
        eprintln!("pricewire: skipping {s}: its venue is not among --exchange");
    }
    // No symbol typed and none saved: each venue starts with markets it lists.
    if typed.is_empty() {
        for (venue, list) in &mut symbols {
            list.extend(
                config::default_watchlist(*venue)
                    .iter()
                    .map(ToString::to_string),
            );
        }
    }
    let lists = crate::watchlist::Lists::new(lists, active);
    let config_path = if cli.demo { None } else { path };
    Ok(Settings {
        config,
        config_path,
        exchanges,
        symbols,
        lists,
    })
}

/// Everything after argument parsing and logging; `log_file` is where the log goes (`None`:
/// logging is off), for the help overlay.
pub async fn run(
    cli: Cli,
    settings: Settings,
    log_file: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let shutdown = CancellationToken::new();
    watch_signals(shutdown.clone());
    let cfg = &settings.config;
    let store = Store::new(StoreLimits {
        history: cfg.feed.history.max(10),
        ..StoreLimits::default()
    });

    // Subscribed before any feed starts, so headless output misses nothing.
    let events = cli.headless.then(|| store.events());
    let tag = if cli.demo { RunTag::Demo } else { RunTag::Live };
    let names: Vec<String> = settings.exchanges.iter().map(ToString::to_string).collect();
    let recorder = look::start_recorder(cli.record.as_deref(), cfg, &store, &[tag.name()], &names)?;
    if let Some(rec) = &recorder {
        watch_recording(rec, cli.headless);
    }
    let history = look::start_history(cfg, &store, tag, shutdown.clone());
    let (alert_task, fired) = look::start_alerts(
        cfg,
        &store,
        tag,
        Arc::new(chrono::Utc::now),
        shutdown.clone(),
    );
    let earlier = (!cli.headless).then(|| (history.clone(), look::earlier(cfg, &history)));
    let delivery = look::Delivery::new(cfg, history, !cli.headless, false, &shutdown);
    let (feeds, tasks, sims) = if let Some(url) = &cli.source {
        let (feeds, tasks) = read_relay(url, &settings, &store, &shutdown).await?;
        (feeds, tasks, Vec::new())
    } else {
        start_feeds(&cli, &settings, &store, &shutdown).await?
    };

    let result = if let Some(events) = events {
        let alerts = headless::Alerts {
            fired: Some(fired),
            delivery: Some(delivery),
            replay: false,
        };
        match headless::run(events, &store, shutdown.clone(), alerts).await {
            Ok(headless::Ended::Done) => Ok(ExitCode::SUCCESS),
            Ok(headless::Ended::NothingToWatch) => {
                eprintln!(
                    "pricewire: nothing to watch: no venue lists any of the symbols asked for \
                     (the errors above say why)"
                );
                Ok(ExitCode::from(2))
            }
            Err(e) => Err(e).context("writing to stdout"),
        }
    } else {
        let alerts = look::dashboard_alerts(cfg, alert_task, fired, delivery);
        app::run(
            Arc::clone(&store),
            (
                crate::watchlist::from_settings(feeds, &settings.symbols),
                settings.lists.clone(),
            ),
            cfg,
            settings.config_path.clone(),
            // Symbols typed for this run are not the saved watchlist: edits to them must
            // not overwrite it.
            (!cli.symbols.is_empty())
                .then(|| "this run's symbols came from the command line".to_string()),
            app::Extras {
                log_file,
                alerts: Some(alerts),
                history: earlier,
                ..app::Extras::default()
            },
            shutdown.clone(),
        )
        .await
        .map(|()| ExitCode::SUCCESS)
    };
    shutdown.cancel();
    // Feeds close their sockets politely; don't hang on a venue that does not answer.
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        for t in tasks {
            let _ = t.await;
        }
    })
    .await;
    for sim in sims {
        sim.shutdown().await;
    }
    if let Some(rec) = recorder {
        rec.finish();
    }
    result
}

/// One feed per venue, each with its own connection (and, for `--demo`, its own simulator).
async fn start_feeds(
    cli: &Cli,
    settings: &Settings,
    store: &Arc<Store>,
    shutdown: &CancellationToken,
) -> anyhow::Result<(Feeds, Vec<tokio::task::JoinHandle<()>>, Vec<SimServer>)> {
    let cfg = &settings.config;
    let mut sims = Vec::new();
    let mut handles = Vec::new();
    let mut tasks = Vec::new();
    for (i, &id) in settings.exchanges.iter().enumerate() {
        let endpoint = cfg.endpoints.get(id.as_str());
        let mut ws_url = endpoint.and_then(|e| e.ws_url.clone());
        let mut rest_url = endpoint.and_then(|e| e.rest_url.clone());
        if i == 0 {
            ws_url = cli.ws_url.clone().or(ws_url);
            rest_url = cli.rest_url.clone().or(rest_url);
        }
        if cli.demo {
            let scenario: Scenario = cli.scenario.parse().map_err(anyhow::Error::msg)?;
            let sim = SimServer::start(
                "127.0.0.1:0".parse()?,
                SimConfig {
                    exchange: id,
                    scenario,
                    // Each venue walks its own way, as real venues do.
                    seed: u64::try_from(i).unwrap_or(0) + 1,
                    ..SimConfig::default()
                },
            )
            .await
            .with_context(|| format!("starting the {id} simulator"))?;
            ws_url = Some(sim.ws_url());
            rest_url = Some(sim.rest_url());
            sims.push(sim);
        }
        let mut builder = FeedBuilder::new(id)
            .config(cfg.feed.clone())
            .store(Arc::clone(store))
            .symbols(settings.symbols.get(&id).cloned().unwrap_or_default())
            .shutdown_on(shutdown.clone());
        if let Some(url) = ws_url {
            builder = builder.ws_url(url);
        }
        if let Some(url) = rest_url {
            builder = builder.rest_url(url);
        }
        for (from, to) in cfg.quote_aliases.get(id.as_str()).into_iter().flatten() {
            builder = builder.quote_alias(from, to);
        }
        let (handle, task) = builder
            .spawn_parts()
            .with_context(|| format!("starting the {id} feed"))?;
        handles.push(handle);
        tasks.push(task);
    }
    let feeds = Feeds::new(handles);
    Ok((feeds, tasks, sims))
}

/// `--source redis://…`: the venues read from a relay's shared feed instead. Refused
/// credentials, a bad URL or a missing permission stop the program now, with why.
async fn read_relay(
    url: &str,
    settings: &Settings,
    store: &Arc<Store>,
    shutdown: &CancellationToken,
) -> anyhow::Result<(Feeds, Vec<tokio::task::JoinHandle<()>>)> {
    let cfg = &settings.config;
    let target = crate::relay_cmd::target(url, cfg, None)?;
    let venues = settings
        .exchanges
        .iter()
        .map(|&id| VenueWatch {
            exchange: id,
            symbols: settings.symbols.get(&id).cloned().unwrap_or_default(),
            quote_aliases: cfg
                .quote_aliases
                .get(id.as_str())
                .into_iter()
                .flatten()
                .map(|(a, b)| (a.clone(), b.clone()))
                .collect(),
        })
        .collect();
    let reader = ConsumerSettings {
        id: consumer::new_id(),
        target: target.clone(),
        venues,
        connect_timeout: Duration::from_secs(5),
    };
    consumer::start(reader, Arc::clone(store), shutdown.clone())
        .await
        .with_context(|| format!("cannot read from {target}"))
}

/// A recording that stops (a full disk) says so: on stderr in headless mode, in the log
/// always; the feeds go on.
fn watch_recording(rec: &crate::recorder::Recorder, headless: bool) {
    let mut state = rec.state();
    tokio::spawn(async move {
        while state.changed().await.is_ok() {
            let stopped = match &*state.borrow_and_update() {
                crate::recorder::RecordState::Stopped(why) => Some(why.clone()),
                _ => None,
            };
            if let Some(why) = stopped {
                if headless {
                    eprintln!("pricewire: {why}");
                }
                return;
            }
        }
    });
}

/// Ctrl-C, SIGTERM and SIGHUP all end the program cleanly (terminal restored, config
/// untouched).
fn watch_signals(shutdown: CancellationToken) {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let term = signal(SignalKind::terminate());
            let hup = signal(SignalKind::hangup());
            if let (Ok(mut term), Ok(mut hup)) = (term, hup) {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                    _ = hup.recv() => {}
                    () = shutdown.cancelled() => {}
                }
                shutdown.cancel();
                return;
            }
        }
        let _ = tokio::signal::ctrl_c().await;
        shutdown.cancel();
    });
}
