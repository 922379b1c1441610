//! `--headless`: the store's events as JSON lines on stdout, one object per line, in the
//! engine's encoding ([`pricewire_core::json`]). Ends cleanly when stdout is closed
//! (`| head -5`) or on shutdown. Never draws anything.

use std::io::{self, Write};

use tokio::sync::{broadcast, mpsc};

use pricewire_core::alert::AlertEvent;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use pricewire_core::json;
use pricewire_core::model::FeedStatus;
use pricewire_core::store::{Store, StoreEvent};

/// Print events until shutdown or until stdout is closed. A reader that falls behind is
/// told how many events it missed (`{"type":"gap","skipped":N}`) instead of blocking feeds.
/// Take `events` from [`pricewire_core::store::Store::events`] before the feeds start, so the first state
/// changes and symbol errors are printed too.
///
/// Ends with [`Ended::NothingToWatch`] once every feed is idle with nothing to watch (every
/// symbol unknown, or none given): the errors have been printed by then, and waiting would
/// print nothing more.
pub async fn run(
    mut events: broadcast::Receiver<StoreEvent>,
    store: &Store,
    shutdown: CancellationToken,
    mut alerts: Alerts,
) -> io::Result<Ended> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let replay = alerts.replay;
    loop {
        let event = tokio::select! {
            () = shutdown.cancelled() => break,
            e = events.recv() => e,
            Some(a) = recv(&mut alerts.fired) => {
                // An alert line, then its other deliveries (never a bell here).
                let line = json::alert_line(&a, replay);
                let written = writeln!(out, "{line}").and_then(|()| out.flush());
                if let Some(d) = &alerts.delivery {
                    d.deliver(&a);
                }
                match written {
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(Ended::Done),
                    Err(e) => return Err(e),
                    Ok(()) => continue,
                }
            }
        };
        let went_idle = matches!(&event, Ok(StoreEvent::Status(t)) if t.to == FeedStatus::Idle);
        let written = match event {
            // One atomic load per line: the store keeps the simulated feeds as bits.
            Ok(e) if replay => {
                json::write_replayed_event(&mut out, &e, store.is_simulated(e.exchange()))
            }
            Ok(e) => json::write_event(&mut out, &e, store.is_simulated(e.exchange())),
            Err(RecvError::Lagged(n)) => writeln!(out, "{}", json::gap_line(n)),
            Err(RecvError::Closed) => break,
        };
        let written = written.and_then(|()| {
            // Flush when nothing else is queued, so a quiet feed is not held back.
            if events.is_empty() {
                out.flush()
            } else {
                Ok(())
            }
        });
        match written {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(Ended::Done),
            Err(e) => return Err(e),
        }
        if went_idle {
            let snap = store.snapshot();
            if snap.feeds.iter().all(|f| f.status == FeedStatus::Idle) {
                return match out.flush() {
                    Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e),
                    _ => Ok(Ended::NothingToWatch),
                };
            }
        }
    }
    match out.flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(Ended::Done),
    }
}

/// Alerts to print beside the store's events: `{"type":"alert",…}` lines (`replay`: they
/// say `"replay":true`, as every line of a replay does), then the other deliveries.
#[derive(Default)]
pub struct Alerts {
    /// What the alert task fired.
    pub fired: Option<mpsc::Receiver<AlertEvent>>,
    /// History, webhook (a headless run has no bell and no desktop notification).
    pub delivery: Option<crate::look::Delivery>,
    /// The run replays a recording.
    pub replay: bool,
}

async fn recv(rx: &mut Option<mpsc::Receiver<AlertEvent>>) -> Option<AlertEvent> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// How a headless run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Shut down, or the reader hung up.
    Done,
    /// Every feed is idle: no venue has a symbol to watch.
    NothingToWatch,
}
