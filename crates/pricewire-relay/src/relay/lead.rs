//! One leadership of one venue: the feed, the publisher, the wants and control followers
//! and the lease keeper, from the lease taken to the lease lost or released.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use redis::aio::MultiplexedConnection;
use tokio::sync::{Notify, broadcast, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use pricewire_core::feed::FeedBuilder;
use pricewire_core::feed::command::{Command, FeedHandle};
use pricewire_core::json;
use pricewire_core::symbol::PairList;
use pricewire_core::{ExchangeId, Store, StoreEvent};

use super::{RelaySettings, VenueSettings, notifications, sleep_or};
use crate::conn::LinkError;
use crate::control;
use crate::keys::Keys;
use crate::lease::{Elector, Held};
use crate::publish::{Batch, MAX_BATCH, Outcome, Writer};
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
    let events = store.events();
    let feed = match b.spawn() {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(venue = %ex, error = %e, "cannot start the feed; giving the lease up");
            let _ = elector.release(&mut renew, &held).await;
            return;
        }
    };
    let handle = feed.handle().clone();
    settings.leading.began(ex, &store, held.term);
    let now = Utc::now();
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
    let _ = now;
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
    let publisher = tokio::spawn(publish_loop(
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

/// Write what the feed sees, batch after batch, while the lease holds.
#[allow(clippy::too_many_arguments)]
async fn publish_loop(
    settings: RelaySettings,
    ex: ExchangeId,
    writer: Writer,
    held: Arc<Held>,
    store: Arc<Store>,
    handle: FeedHandle,
    mut events: broadcast::Receiver<StoreEvent>,
    mut extra: mpsc::Receiver<(String, String)>,
    first: Batch,
) {
    let connect = || {
        settings
            .target
            .connect(settings.connect_timeout, Some(Duration::from_secs(5)))
    };
    let mut con = None;
    let mut pending = first;
    let mut dropped = 0u64;
    let mut last_heartbeat = Instant::now();
    let mut pairs_at: Option<Instant> = pending.pairs.is_some().then(Instant::now);
    let heartbeat_every = Duration::from_secs(1);
    // Events wait here while a write is in flight (bounded: past it they are dropped and
    // counted), so a burst is absorbed instead of overflowing the feed's event buffer.
    let mut queue: VecDeque<StoreEvent> = VecDeque::new();
    loop {
        if pending.is_empty() && queue.is_empty() {
            tokio::select! {
                e = events.recv() => match e {
                    Ok(e) => queue.push_back(e),
                    Err(broadcast::error::RecvError::Lagged(n)) => dropped += n,
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                Some(x) = extra.recv() => pending.ticks.push(x),
                () = tokio::time::sleep_until(last_heartbeat + heartbeat_every) => {}
                () = held.lost().cancelled() => return,
            }
        }
        if drain(&mut events, &mut queue, &mut dropped) {
            return;
        }
        while pending.ticks.len() < MAX_BATCH {
            let Some(e) = queue.pop_front() else { break };
            push(&mut pending, &e, ex, &store);
        }
        while let Ok(x) = extra.try_recv() {
            pending.ticks.push(x);
        }
        if dropped > 0 {
            settings
                .stats
                .dropped
                .fetch_add(dropped, std::sync::atomic::Ordering::Relaxed);
            tracing::warn!(venue = %ex, dropped, "updates dropped on the way to Redis");
            pending.ticks.push((
                String::new(),
                json::venue_gap_line(
                    ex,
                    dropped,
                    "the relay could not write them to Redis in time",
                ),
            ));
            dropped = 0;
        }
        let now = Instant::now();
        if now >= last_heartbeat + heartbeat_every {
            pending.heartbeat = true;
        }
        if pairs_at.is_none_or(|at| now.duration_since(at) > Duration::from_secs(600))
            && let Some(list) = handle.pair_list()
        {
            pending.pairs = Some(wire::pairs_json(&list));
            pairs_at = Some(now);
        }
        if con.is_none() {
            match connect().await {
                Ok(c) => con = Some(c),
                Err(e) => {
                    tracing::warn!(venue = %ex, error = %e, "cannot reach Redis to publish");
                    dropped += pending.ticks.len() as u64;
                    pending = Batch {
                        state: std::mem::take(&mut pending.state),
                        ..Batch::default()
                    };
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_millis(200)) => {}
                        () = held.lost().cancelled() => return,
                    }
                    continue;
                }
            }
        }
        // The deadline check: past it, nothing more is sent under this lease.
        if !held.may_publish(Instant::now()) {
            tracing::warn!(venue = %ex, term = held.term, "lease time is up: publishing stops");
            held.lose();
            return;
        }
        if let Some(freeze) = &settings.freeze {
            freeze.wait_if_frozen().await;
        }
        let Some(c) = con.as_mut() else { continue };
        let written = {
            let write = writer.write(c, &held, &pending);
            tokio::pin!(write);
            let mut open = true;
            loop {
                tokio::select! {
                    r = &mut write => break r,
                    e = events.recv(), if open => match e {
                        Ok(e) if queue.len() < QUEUE_MAX => queue.push_back(e),
                        Ok(_) => dropped += 1,
                        Err(broadcast::error::RecvError::Lagged(n)) => dropped += n,
                        Err(broadcast::error::RecvError::Closed) => open = false,
                    },
                }
            }
        };
        match written {
            Ok(Outcome::Written(_)) => {
                settings.leading.published(
                    ex,
                    pending.ticks.iter().map(|(_, line)| line.as_str()),
                    Utc::now(),
                );
                if pending.heartbeat {
                    last_heartbeat = now;
                }
                pending = Batch::default();
            }
            Ok(Outcome::Fenced(holder)) => {
                tracing::warn!(venue = %ex, term = held.term, holder = %holder, "Redis refused the write: the lease is not ours any more");
                held.lose();
                return;
            }
            Ok(Outcome::WrongEpoch(epoch)) => {
                tracing::warn!(venue = %ex, epoch = %epoch, "Redis lost its data (new epoch): leading again from scratch");
                held.lose();
                return;
            }
            Err(e) => {
                // Not retried: a write that landed must not land twice.
                tracing::warn!(venue = %ex, error = %e, entries = pending.ticks.len(), "write failed; its entries are dropped");
                dropped += pending.ticks.len() as u64;
                pending = Batch {
                    state: std::mem::take(&mut pending.state),
                    pairs: pending.pairs.take(),
                    ..Batch::default()
                };
                if e.is_link() {
                    con = None;
                } else if matches!(e, LinkError::Data(_) | LinkError::Server(_)) {
                    // A key holds what we did not write: say so and stop leading rather
                    // than retry in a loop.
                    tracing::error!(venue = %ex, error = %e, "Redis holds data the relay cannot write to; giving up the lease");
                    held.lose();
                    return;
                }
            }
        }
    }
}

/// Events held at most while writes are in flight: a 100,000-ticker burst fits.
const QUEUE_MAX: usize = 250_000;

/// Move what the feed sent meanwhile into the queue; true when the feed is gone.
fn drain(
    events: &mut broadcast::Receiver<StoreEvent>,
    queue: &mut VecDeque<StoreEvent>,
    dropped: &mut u64,
) -> bool {
    loop {
        match events.try_recv() {
            Ok(e) if queue.len() < QUEUE_MAX => queue.push_back(e),
            Ok(_) => *dropped += 1,
            Err(broadcast::error::TryRecvError::Lagged(n)) => *dropped += n,
            Err(broadcast::error::TryRecvError::Closed) => return true,
            Err(broadcast::error::TryRecvError::Empty) => return false,
        }
    }
}

/// Add an event of the feed to the batch.
fn push(batch: &mut Batch, event: &StoreEvent, ex: ExchangeId, store: &Store) {
    let simulated = store.is_simulated(ex);
    match event {
        StoreEvent::Ticker(t) => batch
            .ticks
            .push((t.symbol.to_string(), json::ticker_line(t, simulated))),
        StoreEvent::Error {
            symbol, message, ..
        } => batch.ticks.push((
            symbol.clone(),
            json::error_line(ex, symbol, message, simulated),
        )),
        StoreEvent::Status(t) => {
            batch.states.push(json::status_line(t, simulated));
            batch.state = wire::state_fields(&VenueState {
                status: t.to.clone(),
                since: t.at,
                reason: t.reason.clone(),
                simulated,
            });
        }
        _ => {}
    }
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
