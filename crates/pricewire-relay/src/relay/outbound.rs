//! A leader's outbound path: what its feed sees, batch after batch, into Redis while the
//! lease holds.
//!
//! The queue is the store's event tap itself. The next batch is whatever arrived while
//! the previous write was in flight (no linger timer), at most [`MAX_BATCH`] entries.
//! While the tap holds [`HOLD_AT`] events not yet taken, the feed stops reading its socket
//! (`Store::hold_feeds_at`): the sender is slowed by TCP rather than the relay dropping, so
//! a burst lands whole. That hold lasts only while a write is answered promptly: once one
//! has been in flight for [`STALL`], or Redis cannot be reached at all, what arrives is
//! dropped, counted and written later as one `gap` entry, and the feed reads on (its lease
//! runs out within the lease time if Redis stays away, which ends the leadership).
//!
//! The first batch after the feed has a value for every carried symbol (or after
//! [`SNAPSHOT_WAIT`]) also replaces the `latest` hash with the leader's whole picture, so
//! lines an earlier leader left there (symbols no longer carried, older values) go; after
//! it, each batch sets the fields of the symbols it carries.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;

use pricewire_core::feed::command::FeedHandle;
use pricewire_core::json;
use pricewire_core::store::RowState;
use pricewire_core::{ExchangeId, Store, StoreEvent};

use super::RelaySettings;
use crate::conn::LinkError;
use crate::lease::Held;
use crate::publish::{Batch, MAX_BATCH, Outcome, Stats, Writer};
use crate::wire::{self, VenueState};

/// Events the tap may hold before the feed stops reading: about eight batches.
pub(super) const HOLD_AT: usize = 16_384;
/// A write in flight this long no longer holds the feed: what arrives is dropped.
const STALL: Duration = Duration::from_millis(500);
/// The longest a new leader waits for a value of every symbol before its snapshot.
const SNAPSHOT_WAIT: Duration = Duration::from_secs(3);
/// Drops are logged at most this often (each time with the count since the last line).
const DROP_LOG_EVERY: Duration = Duration::from_secs(10);

/// Updates that did not reach Redis: counted in the relay's stats, reported to readers in
/// one gap entry and to the log at most every [`DROP_LOG_EVERY`].
struct Drops {
    stats: Arc<Stats>,
    /// Not yet reported in a gap entry.
    unreported: u64,
    /// Not yet logged.
    unlogged: u64,
    logged_at: Option<Instant>,
}

impl Drops {
    fn new(stats: Arc<Stats>) -> Self {
        Drops {
            stats,
            unreported: 0,
            unlogged: 0,
            logged_at: None,
        }
    }

    fn add(&mut self, n: u64) {
        self.stats.dropped.fetch_add(n, Ordering::Relaxed);
        self.unreported += n;
        self.unlogged += n;
    }

    /// Drops counted before whose gap entry was not written: report them again.
    fn carry(&mut self, n: u64) {
        self.unreported += n;
    }

    /// Log the drops since the last line, unless one was logged lately (or `quiet`:
    /// the outage's own lines say it).
    fn log(&mut self, ex: ExchangeId, quiet: bool) {
        if self.unlogged == 0 || quiet {
            return;
        }
        let now = Instant::now();
        if self
            .logged_at
            .is_some_and(|at| now.duration_since(at) < DROP_LOG_EVERY)
        {
            return;
        }
        tracing::warn!(venue = %ex, dropped = self.unlogged, "updates dropped on the way to Redis (readers get a gap entry)");
        self.unlogged = 0;
        self.logged_at = Some(now);
    }
}

/// Redis out of reach: said once when it starts, summed up when it ends.
struct Outage {
    since: Instant,
    tries: u32,
    dropped: u64,
}

/// Write what the feed sees, batch after batch, while the lease holds.
#[allow(clippy::too_many_arguments)]
pub(super) async fn publish_loop(
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
    let started = Instant::now();
    let mut con = None;
    let mut pending = first;
    let mut drops = Drops::new(Arc::clone(&settings.stats));
    let mut outage: Option<Outage> = None;
    let mut snapshot_due = true;
    let mut last_heartbeat = Instant::now();
    let mut pairs_at: Option<Instant> = pending.pairs.is_some().then(Instant::now);
    let heartbeat_every = Duration::from_secs(1);
    loop {
        if pending.is_empty() && events.is_empty() {
            let snapshot_at = started + SNAPSHOT_WAIT;
            tokio::select! {
                e = events.recv() => match e {
                    Ok(e) => push(&mut pending, &e, ex, &store),
                    Err(broadcast::error::RecvError::Lagged(n)) => drops.add(n),
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                Some(x) = extra.recv() => pending.ticks.push(x),
                () = tokio::time::sleep_until(last_heartbeat + heartbeat_every) => {}
                () = tokio::time::sleep_until(snapshot_at), if snapshot_due => {}
                () = held.lost().cancelled() => return end(ex, outage.as_ref(), &drops),
            }
        }
        while pending.ticks.len() < MAX_BATCH {
            match events.try_recv() {
                Ok(e) => push(&mut pending, &e, ex, &store),
                Err(broadcast::error::TryRecvError::Lagged(n)) => drops.add(n),
                Err(broadcast::error::TryRecvError::Closed) => return,
                Err(broadcast::error::TryRecvError::Empty) => break,
            }
        }
        while let Ok(x) = extra.try_recv() {
            pending.ticks.push(x);
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
        if snapshot_due && let Some(all) = picture(&store, ex, now >= started + SNAPSHOT_WAIT) {
            pending.latest = Some(all);
            snapshot_due = false;
        }
        if con.is_none() {
            match connect().await {
                Ok(c) => {
                    if let Some(o) = outage.take() {
                        tracing::info!(venue = %ex, tries = o.tries, after = ?o.since.elapsed(), dropped = o.dropped + drops.unlogged, "Redis answers again: publishing");
                        drops.unlogged = 0;
                    }
                    con = Some(c);
                }
                Err(e) => {
                    let o = outage.get_or_insert_with(|| {
                        tracing::warn!(venue = %ex, error = %e, "cannot reach Redis to publish; dropping updates until it answers (counted, and readers get a gap entry)");
                        Outage {
                            since: Instant::now(),
                            tries: 0,
                            dropped: 0,
                        }
                    });
                    o.tries += 1;
                    drops.carry(pending.gap);
                    let mut lost = pending.updates();
                    if pending.latest.is_some() {
                        snapshot_due = true;
                    }
                    if pending.pairs.is_some() {
                        pairs_at = None;
                    }
                    pending = pending.keep_state();
                    while let Ok(e) = events.try_recv() {
                        lost += discard(&mut pending, &e, ex, &store);
                    }
                    drops.add(lost);
                    o.dropped += lost;
                    // Quick tries while the lease lasts, unless Redis refuses who we are.
                    let wait = if e.is_fatal_at_start() {
                        super::retry_wait(&e, o.tries, Duration::from_secs(5))
                    } else {
                        Duration::from_millis(200)
                    };
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {}
                        () = held.lost().cancelled() => return end(ex, outage.as_ref(), &drops),
                    }
                    continue;
                }
            }
        }
        if drops.unreported > 0 {
            pending.gap = drops.unreported;
            pending.ticks.push((
                String::new(),
                json::venue_gap_line(
                    ex,
                    drops.unreported,
                    "the relay could not write them to Redis in time",
                ),
            ));
            drops.unreported = 0;
        }
        drops.log(ex, outage.is_some());
        // The deadline check: past it, nothing more is sent under this lease.
        if !held.may_publish(Instant::now()) {
            tracing::warn!(venue = %ex, term = held.term, "lease time is up: publishing stops");
            held.lose();
            return end(ex, outage.as_ref(), &drops);
        }
        if let Some(freeze) = &settings.freeze {
            freeze.wait_if_frozen().await;
        }
        let Some(c) = con.as_mut() else { continue };
        let mut later = Batch::default();
        let written = {
            let write = writer.write(c, &held, &pending);
            tokio::pin!(write);
            let stall = tokio::time::sleep(STALL);
            tokio::pin!(stall);
            let mut stalled = false;
            loop {
                tokio::select! {
                    r = &mut write => break r,
                    () = &mut stall, if !stalled => stalled = true,
                    // A stalled write no longer holds the feed: drop what arrives.
                    e = events.recv(), if stalled => match e {
                        Ok(e) => drops.add(discard(&mut later, &e, ex, &store)),
                        Err(broadcast::error::RecvError::Lagged(n)) => drops.add(n),
                        Err(broadcast::error::RecvError::Closed) => stalled = false,
                    },
                }
            }
        };
        match written {
            Ok(Outcome::Written(_)) => {
                settings.leading.published(
                    ex,
                    pending.ticks.iter().map(|(_, line)| line.as_str()),
                    chrono::Utc::now(),
                );
                if pending.heartbeat {
                    last_heartbeat = now;
                }
                pending = later;
            }
            Ok(Outcome::Fenced(holder)) => {
                tracing::warn!(venue = %ex, term = held.term, holder = %holder, "Redis refused the write: the lease is not ours any more");
                held.lose();
                return end(ex, outage.as_ref(), &drops);
            }
            Ok(Outcome::WrongEpoch(epoch)) => {
                tracing::warn!(venue = %ex, epoch = %epoch, "Redis lost its data (new epoch): leading again from scratch");
                held.lose();
                return end(ex, outage.as_ref(), &drops);
            }
            Err(e) => {
                // Not retried: a write that landed must not land twice.
                drops.carry(pending.gap);
                let lost = pending.updates();
                if pending.latest.is_some() {
                    snapshot_due = true;
                }
                pending = pending.keep_state().merge_state(later);
                pending.pairs = None;
                pairs_at = None;
                if e.is_link() {
                    con = None;
                    drops.add(lost);
                    outage.get_or_insert_with(|| {
                        tracing::warn!(venue = %ex, error = %e, entries = lost, "write failed; its updates are dropped until Redis answers again");
                        Outage { since: Instant::now(), tries: 0, dropped: 0 }
                    }).dropped += lost;
                } else if matches!(e, LinkError::Data(_) | LinkError::Server(_)) {
                    // A key holds what we did not write: say so and stop leading rather
                    // than retry in a loop.
                    tracing::error!(venue = %ex, error = %e, "Redis holds data the relay cannot write to; giving up the lease");
                    held.lose();
                    return;
                } else {
                    tracing::warn!(venue = %ex, error = %e, entries = lost, "write failed; its updates are dropped");
                    drops.add(lost);
                }
            }
        }
    }
}

/// The summary when publishing ends in an outage.
fn end(ex: ExchangeId, outage: Option<&Outage>, drops: &Drops) {
    if let Some(o) = outage {
        tracing::warn!(venue = %ex, tries = o.tries, after = ?o.since.elapsed(), dropped = o.dropped + drops.unlogged, "stopped publishing: Redis did not answer before the lease ran out");
    } else if drops.unlogged > 0 {
        tracing::warn!(venue = %ex, dropped = drops.unlogged, "updates dropped on the way to Redis (readers get a gap entry)");
    }
}

/// The leader's whole picture for the `latest` hash: a line per carried symbol, once
/// every symbol has a value (or, `anyway`, with what there is).
fn picture(store: &Store, ex: ExchangeId, anyway: bool) -> Option<Vec<(String, String)>> {
    let snap = store.snapshot();
    let simulated = store.is_simulated(ex);
    let mut all = Vec::new();
    // No row yet: the feed has not made its rows, so nothing is known to be complete.
    let mut waiting = !snap.rows.iter().any(|r| r.exchange == ex);
    for row in snap.rows.iter().filter(|r| r.exchange == ex) {
        match (&row.ticker, &row.state) {
            (Some(t), _) => all.push((row.symbol.to_string(), json::ticker_line(t, simulated))),
            (None, RowState::Invalid(message)) => all.push((
                row.symbol.to_string(),
                json::error_line(ex, row.symbol.as_str(), message, simulated),
            )),
            (None, _) => waiting = true,
        }
    }
    (!waiting || anyway).then_some(all)
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

/// An event that cannot be written now: a state change is kept for the next batch,
/// anything else is dropped. Returns how many updates were dropped (0 or 1).
fn discard(batch: &mut Batch, event: &StoreEvent, ex: ExchangeId, store: &Store) -> u64 {
    match event {
        StoreEvent::Status(_) => {
            push(batch, event, ex, store);
            0
        }
        StoreEvent::Ticker(_) | StoreEvent::Error { .. } => 1,
        _ => 0,
    }
}
