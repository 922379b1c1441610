//! The shared state: latest ticker per (exchange, symbol), each feed's status with its
//! bounded transition history, and counters. Feed tasks write through short methods; readers
//! take a [`Snapshot`] copy. Never touches sockets or the screen.
//!
//! A `std::sync::Mutex`, not tokio's: every critical section is a few field writes and is
//! never held across an `.await`, so a blocking lock is cheaper and cannot deadlock a task.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use chrono::{DateTime, Utc};
use foldhash::HashMap;
use tokio::sync::{broadcast, watch};

use crate::model::{ExchangeId, FeedStatus, Ticker, Transition};
use crate::record::{Record, Tap};
use crate::sanitize;
use crate::symbol::Symbol;
use crate::trend::Trend;

mod types;

pub use types::{
    BreakerView, Counters, Direction, Feed, LagStats, RelayInfo, Row, RowState, Snapshot,
    StoreEvent, StoreLimits,
};

#[derive(Default)]
struct Inner {
    feeds: Vec<Feed>,
    rows: Vec<Row>,
    index: HashMap<(ExchangeId, Symbol), usize>,
}

/// See the module docs.
pub struct Store {
    inner: Mutex<Inner>,
    limits: StoreLimits,
    version: AtomicU64,
    /// The version, for readers that wait for the next change (any number of them).
    changed: watch::Sender<u64>,
    tap: OnceLock<broadcast::Sender<StoreEvent>>,
    /// Transitions alone, for readers that want nothing else (a history file): a small
    /// channel, so they do not make the store keep every ticker for them.
    transitions: OnceLock<broadcast::Sender<Arc<Transition>>>,
    /// One bit per exchange whose feed is [`Feed::simulated`], readable without the lock
    /// (headless asks for every line it prints).
    simulated: AtomicU32,
    /// Times the process was about to be stopped (Ctrl-Z): see [`Store::note_suspend`].
    suspends: AtomicU64,
    /// Where a recording takes what the feeds receive; unset when nothing is recorded.
    recorder: OnceLock<Arc<Tap>>,
    /// Feeds stop reading while the event tap holds this many events not yet received
    /// (0: never; see [`Store::hold_feeds_at`]).
    hold_at: AtomicUsize,
}

/// Events buffered for a slow headless reader before it is told how many it missed.
/// The channel takes room for all of them when the first reader subscribes (about 5 MB)
/// and holds up to that many tickers for a reader that lags: only readers that want every
/// ticker subscribe to it.
const TAP_CAPACITY: usize = 65_536;

/// Transitions buffered for a slow [`Store::transitions`] reader.
const TRANSITIONS_CAPACITY: usize = 256;

impl Store {
    /// An empty store that keeps within `limits`.
    pub fn new(limits: StoreLimits) -> Arc<Self> {
        Arc::new(Store {
            inner: Mutex::new(Inner::default()),
            limits,
            version: AtomicU64::new(0),
            changed: watch::Sender::new(0),
            tap: OnceLock::new(),
            transitions: OnceLock::new(),
            simulated: AtomicU32::new(0),
            suspends: AtomicU64::new(0),
            recorder: OnceLock::new(),
            hold_at: AtomicUsize::new(0),
        })
    }

    /// Record what the feeds receive, and every transition and row change, into `tap`
    /// (set once, before the feeds start). Returns false when one was set already.
    pub fn set_recorder(&self, tap: Arc<Tap>) -> bool {
        self.recorder.set(tap).is_ok()
    }

    /// The recording's tap, while it takes records.
    pub fn recorder(&self) -> Option<&Arc<Tap>> {
        self.recorder.get().filter(|t| t.is_open())
    }

    fn record(&self, make: impl FnOnce() -> Record) {
        if let Some(tap) = self.recorder() {
            tap.put(make);
        }
    }

    /// The program is about to stop the whole process (Ctrl-Z, until the shell resumes
    /// it). Every clock keeps running while it is stopped, so to a feed the time away would
    /// look like a connection that went silent; a feed that sees this count change gives
    /// its connection and its symbols their patience afresh instead of reconnecting.
    pub fn note_suspend(&self) {
        self.suspends.fetch_add(1, Ordering::SeqCst);
    }

    /// How many times [`Store::note_suspend`] was called.
    pub fn suspends(&self) -> u64 {
        self.suspends.load(Ordering::SeqCst)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind, still consistent enough
        // to draw; recover it rather than poison every reader.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn bump(&self) {
        let v = self.version.fetch_add(1, Ordering::Release) + 1;
        self.changed.send_replace(v);
    }

    fn emit(&self, event: impl FnOnce() -> StoreEvent) {
        if let Some(tap) = self.tap.get()
            && tap.receiver_count() > 0
        {
            let _ = tap.send(event());
        }
    }

    /// Every ticker, transition and symbol error from now on, in order. A reader that falls
    /// more than 65,536 events behind is told how many it missed (`RecvError::Lagged`).
    pub fn events(&self) -> broadcast::Receiver<StoreEvent> {
        self.tap
            .get_or_init(|| broadcast::channel(TAP_CAPACITY).0)
            .subscribe()
    }

    /// For a reader of [`Store::events`] that must see every event (a relay publishing
    /// each ticker): while the tap holds `backlog` events that its slowest reader has not
    /// received yet, feeds stop reading their sockets, so the venue (or the simulator flat
    /// out) is slowed by TCP instead of the tap overwriting what the reader had not read.
    /// Every receiver counts, so only a store whose receivers all keep up should use it
    /// (a relay's has one: the publisher's, taken with `RunningFeed::events`). Off by
    /// default: a dashboard's slow headless reader is told what it missed instead.
    /// `backlog` is kept below the tap's capacity (65,536).
    pub fn hold_feeds_at(&self, backlog: usize) {
        self.hold_at
            .store(backlog.min(TAP_CAPACITY / 2), Ordering::Relaxed);
    }

    /// Whether feeds should stop reading now (see [`Store::hold_feeds_at`]).
    pub fn feeds_held(&self) -> bool {
        let at = self.hold_at.load(Ordering::Relaxed);
        at > 0 && self.tap.get().is_some_and(|t| t.len() >= at)
    }

    /// Resolves once feeds may read again. Polled every millisecond: the tap tells no one
    /// when a reader catches up, and a held feed costs nothing meanwhile.
    pub async fn feeds_released(&self) {
        while self.feeds_held() {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }

    /// How many readers follow [`Store::events`] now.
    pub fn event_readers(&self) -> usize {
        self.tap.get().map_or(0, broadcast::Sender::receiver_count)
    }

    /// Every feed transition from now on, in order, and nothing else. A reader that falls
    /// more than 256 transitions behind is told how many it missed (`RecvError::Lagged`).
    pub fn transitions(&self) -> broadcast::Receiver<Arc<Transition>> {
        self.transitions
            .get_or_init(|| broadcast::channel(TRANSITIONS_CAPACITY).0)
            .subscribe()
    }

    /// Bumped on every change.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// A receiver of the store's version for one reader: its `changed()` resolves once the
    /// store changed after what that reader last saw, so a reader that starts waiting
    /// after a change still sees it, and every reader is woken, however many there are.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// A copy of every feed and row, taken under one lock, so all of it is from one moment.
    pub fn snapshot(&self) -> Snapshot {
        let inner = self.lock();
        Snapshot {
            version: self.version(),
            feeds: inner.feeds.clone(),
            rows: inner.rows.clone(),
        }
    }

    /// Make sure a feed exists (state `connecting`).
    pub fn add_feed(&self, exchange: ExchangeId, now: DateTime<Utc>) {
        let mut inner = self.lock();
        if inner.feeds.iter().any(|f| f.exchange == exchange) {
            return;
        }
        inner.feeds.push(Feed {
            exchange,
            status: FeedStatus::Connecting,
            status_since: now,
            reason: "starting".to_string(),
            history: VecDeque::new(),
            counters: Counters {
                started_at: Some(now),
                ..Counters::default()
            },
            simulated: false,
            relay: None,
        });
        drop(inner);
        self.record(|| Record::Feed { exchange, at: now });
        self.bump();
    }

    /// Mark a feed as fed by the simulator (its peer announced itself so). Kept for the
    /// rest of the run.
    pub fn mark_simulated(&self, exchange: ExchangeId, now: DateTime<Utc>) {
        let bit = simulated_bit(exchange);
        if self.simulated.fetch_or(bit, Ordering::AcqRel) & bit != 0 {
            return;
        }
        feed_mut(&mut self.lock(), exchange, now).simulated = true;
        self.record(|| Record::Simulated { exchange, at: now });
        tracing::warn!(%exchange, "the peer is the pricewire simulator: prices are made up");
        self.bump();
    }

    /// Whether a feed is [`Feed::simulated`], without taking the lock.
    pub fn is_simulated(&self, exchange: ExchangeId) -> bool {
        self.simulated.load(Ordering::Acquire) & simulated_bit(exchange) != 0
    }

    /// Record a status change with its reason. Returns the transition recorded.
    pub fn transition(
        &self,
        exchange: ExchangeId,
        to: FeedStatus,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Arc<Transition> {
        let reason = sanitize::clean(reason);
        let mut inner = self.lock();
        let limit = self.limits.history;
        let feed = feed_mut(&mut inner, exchange, now);
        let transition = Arc::new(Transition {
            exchange,
            from: feed.status.clone(),
            to: to.clone(),
            at: now,
            reason: reason.clone(),
        });
        if matches!(to, FeedStatus::Reconnecting { attempt: 1, .. }) {
            feed.counters.reconnects += 1;
        }
        if feed.status == FeedStatus::Connected {
            feed.counters.live_for += (now - feed.status_since).to_std().unwrap_or_default();
        }
        feed.status = to;
        feed.status_since = now;
        feed.reason = reason;
        feed.history.push_back(Arc::clone(&transition));
        while feed.history.len() > limit {
            feed.history.pop_front();
        }
        drop(inner);
        tracing::info!(
            exchange = %exchange,
            from = transition.from.name(),
            to = transition.to.name(),
            reason = %transition.reason,
            "feed state"
        );
        self.emit(|| StoreEvent::Status(Arc::clone(&transition)));
        if let Some(tx) = self.transitions.get()
            && tx.receiver_count() > 0
        {
            let _ = tx.send(Arc::clone(&transition));
        }
        self.record(|| Record::Status(Arc::clone(&transition)));
        self.bump();
        transition
    }

    /// A feed's current state, without copying the rest of the store.
    pub fn feed_status(&self, exchange: ExchangeId) -> Option<FeedStatus> {
        self.lock()
            .feeds
            .iter()
            .find(|f| f.exchange == exchange)
            .map(|f| f.status.clone())
    }

    /// Refresh the current state's details (a new retry time) without recording a
    /// transition: the state itself did not change.
    pub fn refresh_status(&self, exchange: ExchangeId, status: FeedStatus) {
        let mut inner = self.lock();
        if let Some(feed) = inner.feeds.iter_mut().find(|f| f.exchange == exchange) {
            feed.status = status;
        }
        drop(inner);
        self.bump();
    }

    /// Add a row for a symbol about to be subscribed (no-op if present; an invalid row
    /// becomes pending again).
    pub fn add_symbol(&self, exchange: ExchangeId, symbol: &Symbol, price_decimals: Option<u32>) {
        let mut inner = self.lock();
        let key = (exchange, symbol.clone());
        if let Some(&i) = inner.index.get(&key) {
            let row = &mut inner.rows[i];
            if matches!(row.state, RowState::Invalid(_)) {
                row.state = RowState::Pending;
            }
            row.price_decimals = price_decimals.or(row.price_decimals);
        } else {
            let i = inner.rows.len();
            inner.rows.push(Row {
                exchange,
                symbol: symbol.clone(),
                state: RowState::Pending,
                ticker: None,
                prev_last: None,
                direction: Direction::Flat,
                last_change_at: None,
                trend: Trend::new(self.limits.trend_window, self.limits.trend_buckets),
                price_decimals,
                updates: 0,
            });
            inner.index.insert(key, i);
        }
        drop(inner);
        self.bump();
    }

    /// Remove a row. Returns whether it existed.
    pub fn remove_symbol(&self, exchange: ExchangeId, symbol: &Symbol) -> bool {
        let mut inner = self.lock();
        let Some(i) = inner.index.remove(&(exchange, symbol.clone())) else {
            return false;
        };
        inner.rows.remove(i);
        for v in inner.index.values_mut() {
            if *v > i {
                *v -= 1;
            }
        }
        drop(inner);
        self.bump();
        true
    }

    /// Set a row's subscription state, creating the row if needed (invalid symbols typed
    /// by the user get a row so the error stays visible).
    pub fn set_row_state(&self, exchange: ExchangeId, symbol: &Symbol, state: RowState) {
        let state = match state {
            RowState::Invalid(m) => RowState::Invalid(sanitize::clean(&m)),
            RowState::Silent(m) => RowState::Silent(sanitize::clean(&m)),
            s => s,
        };
        if let RowState::Invalid(message) = &state {
            self.emit(|| StoreEvent::Error {
                exchange,
                symbol: symbol.to_string(),
                message: message.clone(),
            });
        }
        let mut inner = self.lock();
        let key = (exchange, symbol.clone());
        let i = if let Some(&i) = inner.index.get(&key) {
            i
        } else {
            drop(inner);
            self.add_symbol(exchange, symbol, None);
            inner = self.lock();
            match inner.index.get(&key) {
                Some(&i) => i,
                None => return,
            }
        };
        let changed = inner.rows[i].state != state;
        if changed {
            inner.rows[i].state = state.clone();
        }
        drop(inner);
        // An invalid row is announced each time it is set: so it is recorded each time.
        if changed || matches!(state, RowState::Invalid(_)) {
            self.record(|| Record::Row {
                exchange,
                symbol: symbol.clone(),
                state,
            });
        }
        if changed {
            self.bump();
        }
    }

    /// Apply one ticker (full or partial). Ignored if the row was removed.
    pub fn apply(&self, ticker: Ticker) {
        self.apply_all(std::iter::once(ticker));
    }

    /// Apply several tickers under one lock (all events of one frame).
    pub fn apply_all(&self, tickers: impl IntoIterator<Item = Ticker>) {
        let tap = self.tap.get().filter(|t| t.receiver_count() > 0);
        let mut inner = self.lock();
        let applied = Self::apply_locked(&mut inner, tickers, tap);
        drop(inner);
        if applied > 0 {
            self.bump();
        }
    }

    /// Count a received frame and apply its tickers under one lock: what
    /// [`Store::count_frame`] then [`Store::apply_all`] do, with one lock instead of two.
    pub fn apply_frame(
        &self,
        exchange: ExchangeId,
        bytes: usize,
        now: DateTime<Utc>,
        tickers: impl IntoIterator<Item = Ticker>,
    ) {
        let tap = self.tap.get().filter(|t| t.receiver_count() > 0);
        let mut inner = self.lock();
        if let Some(feed) = inner.feeds.iter_mut().find(|f| f.exchange == exchange) {
            count(&mut feed.counters, bytes, now);
        }
        let applied = Self::apply_locked(&mut inner, tickers, tap);
        drop(inner);
        if applied > 0 {
            self.bump();
        }
    }

    fn apply_locked(
        inner: &mut Inner,
        tickers: impl IntoIterator<Item = Ticker>,
        tap: Option<&broadcast::Sender<StoreEvent>>,
    ) -> u64 {
        let mut applied = 0u64;
        for ticker in tickers {
            let Some(&i) = inner.index.get(&(ticker.exchange, ticker.symbol.clone())) else {
                continue;
            };
            let exchange = ticker.exchange;
            let (received, stamped) = (ticker.received_ts, ticker.exchange_ts);
            let row = &mut inner.rows[i];
            apply_row(row, &ticker);
            applied += 1;
            if let Some(tap) = tap {
                // Headless prints the row's merged view, so partial updates print whole.
                let merged = row.ticker.clone().unwrap_or(ticker);
                let _ = tap.send(StoreEvent::Ticker(Box::new(merged)));
            }
            if let Some(feed) = inner.feeds.iter_mut().find(|f| f.exchange == exchange) {
                feed.counters.tickers += 1;
                if let Some(stamped) = stamped {
                    feed.counters.lag.record(received, stamped);
                }
            }
        }
        applied
    }

    /// Say which relay leads a feed read through Redis (`None`: the feed is this
    /// process's own). For a reader that writes a relay's data into this store.
    pub fn set_relay(&self, exchange: ExchangeId, relay: Option<RelayInfo>, now: DateTime<Utc>) {
        let relay = relay.map(|r| RelayInfo {
            leader: sanitize::clean(&r.leader),
            ..r
        });
        let mut inner = self.lock();
        let feed = feed_mut(&mut inner, exchange, now);
        if feed.relay == relay {
            return;
        }
        feed.relay = relay;
        drop(inner);
        self.bump();
    }

    /// Record that `skipped` updates never reached this store (a relay's history moved on
    /// without this reader): a line in the feed's history, without a change of state, and
    /// a [`StoreEvent::Gap`] for event readers.
    pub fn record_gap(&self, exchange: ExchangeId, skipped: u64, reason: &str, now: DateTime<Utc>) {
        let reason = sanitize::clean(reason);
        let mut inner = self.lock();
        let limit = self.limits.history;
        let feed = feed_mut(&mut inner, exchange, now);
        let line = Arc::new(Transition {
            exchange,
            from: feed.status.clone(),
            to: feed.status.clone(),
            at: now,
            reason: format!(
                "gap: {} missed: {reason}",
                crate::model::plural(skipped, "update")
            ),
        });
        feed.history.push_back(line);
        while feed.history.len() > limit {
            feed.history.pop_front();
        }
        drop(inner);
        tracing::warn!(%exchange, skipped, %reason, "gap");
        self.emit(|| StoreEvent::Gap {
            exchange,
            skipped,
            reason,
        });
        self.bump();
    }

    /// Count a received frame (before parsing).
    pub fn count_frame(&self, exchange: ExchangeId, bytes: usize, now: DateTime<Utc>) {
        self.with_counters(exchange, |c| count(c, bytes, now));
    }

    /// Update a feed's counters with `f`.
    pub fn with_counters(&self, exchange: ExchangeId, f: impl FnOnce(&mut Counters)) {
        let mut inner = self.lock();
        if let Some(feed) = inner.feeds.iter_mut().find(|f| f.exchange == exchange) {
            f(&mut feed.counters);
        }
    }

    /// Fill the part of a row's trend window before its first live price from the venue's
    /// candles of `interval` (see [`Trend::seed`]). Ignored if the row is gone.
    pub fn seed_trend(
        &self,
        exchange: ExchangeId,
        symbol: &Symbol,
        candles: &[crate::candle::Candle],
        interval: chrono::TimeDelta,
        now: DateTime<Utc>,
    ) {
        let mut inner = self.lock();
        let Some(&i) = inner.index.get(&(exchange, symbol.clone())) else {
            return;
        };
        inner.rows[i].trend.seed(candles, interval, now);
        drop(inner);
        self.bump();
    }

    /// Symbols currently held for an exchange (rows of any state).
    pub fn symbols(&self, exchange: ExchangeId) -> Vec<Symbol> {
        self.lock()
            .rows
            .iter()
            .filter(|r| r.exchange == exchange)
            .map(|r| r.symbol.clone())
            .collect()
    }
}

fn simulated_bit(exchange: ExchangeId) -> u32 {
    1 << (exchange as u32)
}

fn count(c: &mut Counters, bytes: usize, now: DateTime<Utc>) {
    c.frames_in += 1;
    c.bytes_in += bytes as u64;
    c.last_frame_at = Some(now);
}

fn feed_mut(inner: &mut Inner, exchange: ExchangeId, now: DateTime<Utc>) -> &mut Feed {
    let i = if let Some(i) = inner.feeds.iter().position(|f| f.exchange == exchange) {
        i
    } else {
        inner.feeds.push(Feed {
            exchange,
            status: FeedStatus::Connecting,
            status_since: now,
            reason: String::new(),
            history: VecDeque::new(),
            counters: Counters::default(),
            simulated: false,
            relay: None,
        });
        inner.feeds.len() - 1
    };
    &mut inner.feeds[i]
}

fn apply_row(row: &mut Row, ticker: &Ticker) {
    let new_last = ticker.last;
    let old_last = row.ticker.as_ref().and_then(|t| t.last);
    match &mut row.ticker {
        Some(t) => t.merge(ticker),
        None => row.ticker = Some(ticker.clone()),
    }
    if let Some(t) = &mut row.ticker {
        t.derive_24h(row.price_decimals);
    }
    if let Some(new) = new_last {
        if let Some(old) = old_last
            && new != old
        {
            row.prev_last = Some(old);
            row.direction = if new > old {
                Direction::Up
            } else {
                Direction::Down
            };
            row.last_change_at = Some(ticker.received_ts);
        }
        row.trend.push(new, ticker.received_ts);
    }
    if !matches!(row.state, RowState::Subscribed) {
        row.state = RowState::Subscribed;
    }
    row.updates += 1;
}

#[cfg(test)]
mod tests;
