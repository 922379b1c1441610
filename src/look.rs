//! Looking away safely, wired for one run: the alert task on the run's store and clock,
//! the history file fed by the store's transitions and by alerts, the recording
//! (`--record`), and where an alert goes (the terminal bell and desktop notifications in
//! the dashboard, the webhook, the history; headless prints it as a JSON line instead).

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::history::{self, HistoryLog, HistorySettings, RunTag};
use crate::recorder::{RecordSettings, Recorder};
use crate::{notify, webhook};
use pricewire_core::alert::{self, AlertEvent, AlertHandle, AlertKind, AlertSetup, EvalOptions};
use pricewire_core::feed::Clock;
use pricewire_core::record::{Header, VERSION};
use pricewire_core::store::Store;

/// The history settings the config asks for; `None` when history is off or there is no
/// directory for it.
pub fn history_settings(cfg: &Config) -> Option<HistorySettings> {
    if !cfg.history.enabled {
        return None;
    }
    Some(HistorySettings {
        path: history::default_path()?,
        max_bytes: cfg.history.max_kb.saturating_mul(1024),
        keep: cfg.history.keep,
    })
}

/// Start the history log and a task writing the store's transitions into it.
pub fn start_history(
    cfg: &Config,
    store: &Store,
    tag: RunTag,
    stop: CancellationToken,
) -> HistoryLog {
    let Some(settings) = history_settings(cfg) else {
        return HistoryLog::off(tag);
    };
    let log = HistoryLog::start(settings, tag);
    let mut transitions = store.transitions();
    let writer = log.clone();
    tokio::spawn(async move {
        loop {
            let event = tokio::select! {
                () = stop.cancelled() => return,
                e = transitions.recv() => e,
            };
            match event {
                Ok(t) => writer.transition(&t),
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "history: transitions came faster than written");
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
    log
}

/// The previous run's last entries (as many as `history.earlier` says), for the history
/// pane at start.
pub fn earlier(cfg: &Config, log: &HistoryLog) -> Vec<history::Entry> {
    let Some(settings) = history_settings(cfg) else {
        return Vec::new();
    };
    if cfg.history.earlier == 0 || log.run().is_empty() {
        return Vec::new();
    }
    let all = history::read_all(&settings.path, settings.keep);
    history::previous_run(&all, log.run(), cfg.history.earlier)
}

/// One-shot rules that fired in earlier runs of the same kind (live, demo or replay).
fn fired_before(cfg: &Config, tag: RunTag) -> Vec<(String, DateTime<Utc>)> {
    let Some(settings) = history_settings(cfg) else {
        return Vec::new();
    };
    history::read_all(&settings.path, settings.keep)
        .into_iter()
        .filter(|e| e.kind == "alert" && e.tag == tag)
        .filter_map(|e| Some((e.rule?, e.ts)))
        .collect()
}

/// Start the alert task on `store` with the config's rules. Simulated data may fire
/// only where it is expected (`--demo`, a replay).
pub fn start_alerts(
    cfg: &Config,
    store: &Arc<Store>,
    tag: RunTag,
    clock: Clock,
    stop: CancellationToken,
) -> (AlertHandle, mpsc::Receiver<AlertEvent>) {
    let setup = AlertSetup {
        rules: cfg.alert_rules.clone(),
        fired: fired_before(cfg, tag),
        options: EvalOptions {
            stale_after: crate::config::secs(cfg.ui.stale_secs),
            allow_simulated: tag != RunTag::Live,
        },
        clock,
    };
    let (handle, fired, _task) = alert::spawn(Arc::clone(store), setup, stop);
    (handle, fired)
}

/// Start recording to `path` when asked; the header carries the run's config, the webhook
/// URL left out.
pub fn start_recorder(
    path: Option<&Path>,
    cfg: &Config,
    store: &Store,
    tags: &[&str],
    exchanges: &[String],
) -> anyhow::Result<Option<Recorder>> {
    let Some(path) = path else { return Ok(None) };
    let header = Header {
        version: VERSION,
        program: concat!("pricewire ", env!("CARGO_PKG_VERSION")).into(),
        started: Utc::now(),
        tags: tags.iter().map(|t| (*t).to_string()).collect(),
        config: serde_json::json!({
            "exchanges": exchanges,
            "symbols": cfg.symbols,
            "ui": { "stale_secs": cfg.ui.stale_secs },
            "alerts": cfg.alerts.iter().map(|a| a.rule.clone()).collect::<Vec<_>>(),
        }),
    };
    let settings = RecordSettings {
        path: path.to_path_buf(),
        max_bytes: cfg.record.max_mb.saturating_mul(1 << 20),
        keep: cfg.record.keep,
        flush_every: crate::config::secs(cfg.record.flush_secs),
        queue: cfg.record.queue,
    };
    let rec = Recorder::start(store, settings, header)
        .map_err(|e| anyhow::anyhow!("--record: cannot write {e}"))?;
    Ok(Some(rec))
}

/// Where alerts go besides the screen and headless output.
pub struct Delivery {
    history: HistoryLog,
    webhook: Option<webhook::Webhook>,
    desktop: Option<notify::Desktop>,
    bell: bool,
    replay: bool,
}

impl Delivery {
    /// The webhook, desktop notifications and the bell as the config says; `dashboard`:
    /// the bell and desktop notifications only there (headless writes JSON lines only).
    pub fn new(
        cfg: &Config,
        history: HistoryLog,
        dashboard: bool,
        replay: bool,
        stop: &CancellationToken,
    ) -> Delivery {
        let webhook = cfg.notify.webhook().map(|url| {
            let settings = webhook::WebhookSettings {
                url,
                timeout: cfg.notify.timeout(),
                retries: cfg.notify.webhook_retries,
                backoff: std::time::Duration::from_secs(1),
            };
            let connector = Arc::new(pricewire_core::feed::net::TcpConnector::default());
            webhook::spawn(settings, connector, stop.clone()).0
        });
        let desktop = (dashboard && cfg.notify.desktop).then(|| notify::spawn().0);
        Delivery {
            history,
            webhook,
            desktop,
            bell: dashboard && cfg.notify.bell,
            replay,
        }
    }

    /// Deliver one alert: history, webhook, desktop, bell. Never waits.
    pub fn deliver(&self, a: &AlertEvent) {
        self.history.alert(a);
        if let Some(w) = &self.webhook {
            w.send(pricewire_core::json::alert_line(a, self.replay));
        }
        if let Some(d) = &self.desktop {
            let title = match a.kind {
                AlertKind::Fired => format!("pricewire alert: {}", a.rule),
                AlertKind::Recovered => format!("pricewire: recovered: {}", a.rule),
            };
            d.show(title, pricewire_core::sanitize::clean(&a.message));
        }
        if self.bell && a.kind == AlertKind::Fired {
            use std::io::Write;
            // BEL alone: terminals act on it anywhere in the output, so it cannot spoil
            // what the dashboard draws.
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(b"\x07").and_then(|()| out.flush());
        }
    }
}

/// Deliver every alert from `fired` until it ends (the dashboard's way; headless prints
/// them itself and then delivers), then hand it on to the screen.
pub fn spawn_delivery(
    mut fired: mpsc::Receiver<AlertEvent>,
    delivery: Delivery,
    screen: mpsc::UnboundedSender<AlertEvent>,
) {
    tokio::spawn(async move {
        while let Some(a) = fired.recv().await {
            delivery.deliver(&a);
            let _ = screen.send(a);
        }
    });
}

/// The dashboard's side of the alert task: its handle, the alerts delivered, and the
/// config's rules as written.
pub fn dashboard_alerts(
    cfg: &Config,
    handle: AlertHandle,
    fired: mpsc::Receiver<AlertEvent>,
    delivery: Delivery,
) -> crate::app::Alerts {
    let (tx, rx) = mpsc::unbounded_channel();
    spawn_delivery(fired, delivery, tx);
    let saved = cfg
        .alerts
        .iter()
        .filter(|a| !a.rule.trim().is_empty())
        .map(|a| a.rule.clone())
        .collect();
    crate::app::Alerts::new(handle, rx, saved)
}
