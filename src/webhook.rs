//! The alert webhook: each alert's JSON line POSTed to a URL from the config (or
//! `PRICEWIRE_WEBHOOK_URL`), over the engine's HTTP client and connector. A task of its
//! own sends them one at a time, each attempt bounded by a timeout, retried with a
//! doubling pause on a failure the server may get over (no answer, 5xx, 429); nothing
//! ever waits for it (a full queue drops the alert and counts it). The URL is a secret
//! (it often carries a token): logs and messages name only its scheme and host.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use pricewire_core::feed::net::{self, Connector};

/// Where and how alerts are posted.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// The URL (`http://` or `https://`).
    pub url: String,
    /// Each attempt, connect to the end of the reply, within this.
    pub timeout: Duration,
    /// Attempts after the first.
    pub retries: u32,
    /// The pause before the first retry; it doubles with each one.
    pub backoff: Duration,
}

/// Alerts waiting to be posted before new ones are dropped.
const QUEUE: usize = 64;

/// Largest reply body read (the reply is only looked at for its status).
const MAX_REPLY: usize = 64 * 1024;

/// Posts alerts; cheap to clone.
#[derive(Clone)]
pub struct Webhook {
    tx: mpsc::Sender<String>,
    dropped: Arc<AtomicU64>,
    shown: Arc<str>,
}

/// `https://hooks.example.com/…`: what logs may say of a webhook URL.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!("{}://{}/…", u.scheme(), u.host_str().unwrap_or("?")),
        Err(_) => "(an unreadable URL)".into(),
    }
}

impl Webhook {
    /// Queue one alert's JSON body. Never waits: returns false when the queue is full (the
    /// alert is dropped and counted) or the task has ended.
    pub fn send(&self, body: String) -> bool {
        if self.tx.try_send(body).is_ok() {
            return true;
        }
        let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::warn!(webhook = %self.shown, dropped = n, "webhook queue full; alert dropped");
        false
    }

    /// Alerts dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// Start the webhook task; it ends on `shutdown`.
pub fn spawn(
    settings: WebhookSettings,
    connector: Arc<dyn Connector>,
    shutdown: CancellationToken,
) -> (Webhook, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<String>(QUEUE);
    let shown: Arc<str> = redact(&settings.url).into();
    let hook = Webhook {
        tx,
        dropped: Arc::new(AtomicU64::new(0)),
        shown: Arc::clone(&shown),
    };
    let task = tokio::spawn(async move {
        loop {
            let body = tokio::select! {
                () = shutdown.cancelled() => return,
                body = rx.recv() => match body {
                    Some(b) => b,
                    None => return,
                },
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = deliver(&settings, connector.as_ref(), &shown, body) => {}
            }
        }
    });
    (hook, task)
}

/// Post one body, with its retries. Logs the outcome, never the URL.
async fn deliver(settings: &WebhookSettings, connector: &dyn Connector, shown: &str, body: String) {
    let mut pause = settings.backoff;
    for attempt in 0..=settings.retries {
        let reply = net::post_json(
            connector,
            &settings.url,
            body.clone(),
            MAX_REPLY,
            settings.timeout,
        )
        .await;
        let (retry, why) = match reply {
            Ok(r) if (200..300).contains(&r.status) => {
                tracing::info!(webhook = %shown, status = r.status, attempt, "alert posted");
                return;
            }
            Ok(r) => (
                r.status >= 500 || r.status == 429,
                format!("HTTP {}", r.status),
            ),
            Err(e) => (true, e.to_string()),
        };
        if !retry || attempt == settings.retries {
            tracing::warn!(webhook = %shown, reason = %why, attempts = attempt + 1, "alert not posted; giving up");
            return;
        }
        tracing::warn!(webhook = %shown, reason = %why, attempt, "alert not posted; retrying");
        tokio::time::sleep(pause).await;
        pause = pause.saturating_mul(2);
    }
}
