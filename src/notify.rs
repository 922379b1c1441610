//! Desktop notifications for alerts, over D-Bus in pure Rust (`notify-rust` with its zbus
//! backend on tokio), behind the default-on `desktop-notify` cargo feature. A task of its
//! own shows them one at a time, each call bounded by a timeout, so a missing or hung
//! notification service never holds anything up. Where none answers (no session bus: a
//! server, a container, ssh), it says so once in the log and stops trying.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Notifications waiting before new ones are dropped.
const QUEUE: usize = 16;

/// Each call to the notification service is given this long.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(3);

/// Shows desktop notifications; cheap to clone.
#[derive(Clone)]
pub struct Desktop {
    tx: mpsc::Sender<(String, String)>,
}

impl Desktop {
    /// Queue a notification (a title and a line). Never waits; false when it was dropped.
    pub fn show(&self, summary: String, body: String) -> bool {
        self.tx.try_send((summary, body)).is_ok()
    }
}

/// Start the notification task; it ends when every [`Desktop`] is dropped or on the first
/// failure of the service.
pub fn spawn() -> (Desktop, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<(String, String)>(QUEUE);
    let task = tokio::spawn(async move {
        while let Some((summary, body)) = rx.recv().await {
            match tokio::time::timeout(CALL_TIMEOUT, show(&summary, &body)).await {
                Ok(Ok(())) => {}
                Ok(Err(why)) => {
                    tracing::warn!("desktop notifications off for this run: {why}");
                    return;
                }
                Err(_) => {
                    tracing::warn!(
                        "desktop notifications off for this run: the notification service did not answer within {} s",
                        CALL_TIMEOUT.as_secs()
                    );
                    return;
                }
            }
        }
    });
    (Desktop { tx }, task)
}

#[cfg(feature = "desktop-notify")]
async fn show(summary: &str, body: &str) -> Result<(), String> {
    notify_rust::Notification::new()
        .appname("pricewire")
        .summary(summary)
        .body(body)
        .show_async()
        .await
        .map(drop)
        .map_err(|e| format!("no notification service ({e})"))
}

#[cfg(not(feature = "desktop-notify"))]
async fn show(_summary: &str, _body: &str) -> Result<(), String> {
    Err("built without the desktop-notify feature".into())
}
