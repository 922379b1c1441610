//! One leadership of one venue: the feed, the publisher, the wants and control followers
//! and the lease keeper, from the lease taken to the lease lost or released.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use redis::aio::MultiplexedConnection;
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use pricewire_core::feed::FeedBuilder;
use pricewire_core::feed::command::{Command, FeedHandle};
use pricewire_core::json;
use pricewire_core::symbol::PairList;
use pricewire_core::{ExchangeId, Store};

use super::{RelaySettings, VenueSettings, notifications, sleep_or};
use crate::control;
use crate::keys::Keys;
use crate::lease::{Elector, Held};
use crate::publish::{Batch, Writer};
use crate::wants::{self, Carried};
use crate::wire::{self, Handover, VenueState};

/// Lead until the lease is lost or `shutdown`; then stop the feed (and on shutdown
/// release the lease first).
#[allow(clippy::too_many_arguments)]
pub(super) async fn lead(
    settings: &RelaySettings,
    venue: &VenueSettings,
    keys: &Keys,
    builder: &FeedBuilder,
    warm: &Arc<Mutex<Option<PairList>>>,
    own: &Arc<Mutex<Vec<String>>>,
    elector: &Elector,
    mut renew: MultiplexedConnection,
    held: Held,
    shutdown: &CancellationToken,
) {
    let ex = venue.exchange;
    let held = Arc::new(held);
    let handover = match &held.previous {
        None => Handover::First,
        Some(p) if p.released => Handover::Released(p.id.clone()),
        Some(p) => Handover::Expired(p.id.clone()),
    };
    let failover = wire::failover_line(ex, &settings.id, held.term, &handover, Utc::now());
    tracing::info!(venue = %ex, term = held.term, epoch = %held.epoch, "leading: {}", failover_words(&failover));

    // What to carry first: every live want, the pinned set and our own symbols.
    let mut carried = Carried::new(settings.max_symbols, settings.linger);
    let mut initial = BTreeSet::new();
    if let Ok(mut c) = settings
        .target
        .connect(settings.connect_timeout, Some(settings.connect_timeout))
        .await
        && let Ok((live, pinned)) = wants::wanted(&mut c, keys).await
    {
        initial.extend(live);
        initial.extend(pinned);
    }
    initial.extend(
        own.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .cloned(),
    );
    let first_changes = carried.update(&initial, Instant::now());
    let store = Store::new(pricewire_core::StoreLimits {
        history: settings.feed.history.max(10),
        ..pricewire_core::StoreLimits::default()
    });
    let stop = CancellationToken::new();
    let mut b = builder
        .clone()
        .store(Arc::clone(&store))
        .symbols(carried.carried().to_vec())
        .shutdown_on(stop.clone());
    let pairs = warm
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    if let Some(list) = &pairs {
        b = b.pairs(list.clone());
    }
    store.hold_feeds_at(super::outbound::HOLD_AT);
    let feed = match b.spawn() {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(venue = %ex, error = %e, "cannot start the feed; giving the lease up");
            let _ = elector.release(&mut renew, &held).await;
            return;
        }
    };
    // The tap's only reader (the hold waits for it), with every event since the spawn.
    let events = feed.events();
    let handle = feed.handle().clone();
    settings.leading.began(ex, &store, held.term);
    let snapshot = store.snapshot();
    let state = snapshot.feed(ex).map(|f| VenueState {
        status: f.status.clone(),
        since: f.status_since,
        reason: format!("leader {} took over", settings.id),
        simulated: f.simulated,
    });
    let first = Batch {
        states: vec![failover],
        state: state.map(|s| wire::state_fields(&s)).unwrap_or_default(),
        heartbeat: true,
        pairs: pairs.as_ref().map(wire::pairs_json),
        ..Batch::default()
    };
    let (extra_tx, extra_rx) = mpsc::channel::<(String, String)>(1024);
    for s in first_changes.refused {
        let _ = extra_tx.try_send(over_cap(ex, &s, settings.max_symbols));
    }
    let writer = Writer::new(
        keys.clone(),
        settings.id.clone(),
        settings.ticks_maxlen,
        settings.states_maxlen,
        Arc::clone(&settings.stats),
    );
    let publisher = tokio::spawn(super::outbound::publish_loop(
        settings.clone(),
        ex,
        writer,
        Arc::clone(&held),
        Arc::clone(&store),
        handle.clone(),
        events,
        extra_rx,
        first,
    ));
    let wants_task = tokio::spawn(follow_wants(
        settings.clone(),
        keys.clone(),
        carried,
        Arc::clone(own),
        handle.clone(),
        extra_tx,
        Arc::clone(&held),
    ));
    let control_task = tokio::spawn(follow_control(
        settings.clone(),
        keys.clone(),
        handle.clone(),
        Arc::clone(&held),
    ));
    let keep_stop = CancellationToken::new();
    {
        let keeper = elector.keep(&mut renew, &held, &keep_stop, settings.freeze.as_deref());
        tokio::select! {
            () = keeper => {}
            () = held.lost().cancelled() => {}
            () = shutdown.cancelled() => {}
        }
    }
    if shutdown.is_cancelled() && !held.lost().is_cancelled() {
        match tokio::time::timeout(Duration::from_secs(1), elector.release(&mut renew, &held)).await
        {
            Ok(Ok(true)) => tracing::info!(venue = %ex, term = held.term, "released leadership"),
            Ok(Ok(false)) => tracing::info!(venue = %ex, "the lease was no longer ours to release"),
            Ok(Err(e)) => {
                tracing::warn!(venue = %ex, error = %e, "could not release the lease; it expires on its own");
            }
            Err(_) => {
                tracing::warn!(venue = %ex, "releasing the lease timed out; it expires on its own");
            }
        }
    } else {
        tracing::warn!(venue = %ex, term = held.term, "no longer leading");
    }
    held.lose();
    settings.leading.ended(ex);
    stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(2), feed.shutdown()).await;
    for t in [publisher, wants_task, control_task] {
        t.abort();
        let _ = t.await;
    }
}

fn failover_words(line: &str) -> String {
    match wire::read_state_line(line) {
        Some(wire::StateLine::Leader { message, .. }) => message,
        _ => String::new(),
    }
}

/// The error line for a wanted symbol over the cap.
fn over_cap(ex: ExchangeId, symbol: &str, cap: usize) -> (String, String) {
    (
        symbol.to_string(),
        json::error_line(
            ex,
            symbol,
            &format!(
                "the relay carries at most {cap} symbols for {ex}; {symbol} is not subscribed (drop or unpin others)"
            ),
            false,
        ),
    )
}

/// Carry what is wanted: read the wants every 5 s and when told a new one arrived.
async fn follow_wants(
    settings: RelaySettings,
    keys: Keys,
    mut carried: Carried,
    own: Arc<Mutex<Vec<String>>>,
    handle: FeedHandle,
    extra: mpsc::Sender<(String, String)>,
    held: Arc<Held>,
) {
    let ex = keys.venue;
    let wake = Arc::new(Notify::new());
    let stop = held.lost().clone();
    tokio::spawn(notifications(
        settings.target.clone(),
        keys.wants_channel.clone(),
        Arc::clone(&wake),
        stop.clone(),
    ));
    let mut con = None;
    while !stop.is_cancelled() {
        tokio::select! {
            () = tokio::time::sleep(wants::REFRESH) => {}
            () = wake.notified() => {}
            () = stop.cancelled() => return,
        }
        if con.is_none() {
            con = settings
                .target
                .connect(settings.connect_timeout, Some(settings.connect_timeout))
                .await
                .ok();
        }
        let Some(c) = con.as_mut() else { continue };
        let (live, pinned) = match wants::wanted(c, &keys).await {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(venue = %ex, error = %e, "cannot read the wants");
                con = None;
                continue;
            }
        };
        let mut all: BTreeSet<String> = live;
        all.extend(pinned);
        all.extend(
            own.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .iter()
                .cloned(),
        );
        let changes = carried.update(&all, Instant::now());
        for s in changes.add {
            match handle.market(&s) {
                Ok(inst) => {
                    tracing::info!(venue = %ex, symbol = %inst.symbol, "carrying");
                    let _ = handle.send(Command::Add(inst));
                }
                Err(e) => {
                    let _ = extra
                        .try_send((s.clone(), json::error_line(ex, &s, &e.to_string(), false)));
                }
            }
        }
        for s in changes.remove {
            if let Ok(sym) = handle.resolve(&s) {
                tracing::info!(venue = %ex, symbol = %sym, "no longer wanted; dropped");
                let _ = handle.send(Command::Remove(sym));
            }
        }
        for s in changes.refused {
            tracing::warn!(venue = %ex, symbol = %s, cap = carried.cap(), "over the symbol cap");
            let _ = extra.try_send(over_cap(ex, &s, carried.cap()));
        }
    }
}

/// Obey requests made through the control stream after we took over.
async fn follow_control(settings: RelaySettings, keys: Keys, handle: FeedHandle, held: Arc<Held>) {
    let stop = held.lost().clone();
    let mut con = None;
    let mut last: Option<String> = None;
    while !stop.is_cancelled() {
        if con.is_none() {
            con = settings
                .target
                .connect(settings.connect_timeout, None)
                .await
                .ok();
            if con.is_none() {
                sleep_or(Duration::from_secs(1), &stop).await;
                continue;
            }
        }
        let Some(c) = con.as_mut() else { continue };
        if last.is_none() {
            if let Ok(id) = control::last_id(c, &keys).await {
                last = Some(id);
            } else {
                con = None;
                continue;
            }
        }
        let after = last.clone().unwrap_or_else(|| "0-0".into());
        let read = tokio::select! {
            r = control::read(c, &keys, &after, 1000) => r,
            () = stop.cancelled() => return,
        };
        match read {
            Ok(requests) => {
                for r in requests {
                    if r.op == "reconnect" {
                        tracing::info!(venue = %keys.venue, by = %r.by, "reconnect requested");
                        let _ = handle.send(Command::Reconnect);
                    }
                    last = Some(r.id);
                }
            }
            Err(_) => con = None,
        }
    }
}
