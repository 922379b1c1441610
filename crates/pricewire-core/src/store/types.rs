//! The store's public data: rows, feeds, counters, snapshots and the events headless mode
//! prints. Plain values, copied out to readers; the locking lives in `store.rs`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::model::{ExchangeId, FeedStatus, Source, Ticker, Transition};
use crate::symbol::Symbol;
use crate::trend::Trend;

/// Bounds that keep memory flat however long the program runs.
#[derive(Debug, Clone, Copy)]
pub struct StoreLimits {
    /// Transitions kept per feed.
    pub history: usize,
    /// The time each row's [`Trend`] covers.
    pub trend_window: Duration,
    /// Buckets it is kept in (one price each: the bound on its memory).
    pub trend_buckets: usize,
}

impl Default for StoreLimits {
    /// 1,000 transitions per feed; a five-minute trend in 60 buckets of 5 s.
    fn default() -> Self {
        StoreLimits {
            history: 1000,
            trend_window: Duration::from_secs(300),
            trend_buckets: 60,
        }
    }
}

/// Direction of the last change of a row's last price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// The last price rose.
    Up,
    /// The last price fell.
    Down,
    /// The last price has not changed since the row began.
    #[default]
    Flat,
}

/// Where a row's subscription stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowState {
    /// Subscribe sent, nothing confirmed yet.
    Pending,
    /// Confirmed by the venue (or data arrived).
    Subscribed,
    /// The venue or the symbol table rejected it; the message says why.
    Invalid(String),
    /// Confirmed but no data arrives; the message says what is being done.
    Silent(String),
}

/// Everything drawn for one (exchange, symbol).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The venue.
    pub exchange: ExchangeId,
    /// The market; for input that names none, the text as typed, cleaned
    /// ([`Symbol::unparsed`]).
    pub symbol: Symbol,
    /// Where the subscription stands.
    pub state: RowState,
    /// The latest values, every update merged in; `None` until the first arrives.
    pub ticker: Option<Ticker>,
    /// The last price before the latest change of last price.
    pub prev_last: Option<Decimal>,
    /// Which way the last price moved at its latest change; `Flat` until it first moves.
    pub direction: Direction,
    /// When the last price last changed (drives the up/down flash).
    pub last_change_at: Option<DateTime<Utc>>,
    /// The last price over the recent time window, for the row's sparkline.
    pub trend: Trend,
    /// Decimal places of the market's price increment, from the venue's pair list; `None`
    /// when the list gave none or could not be fetched.
    pub price_decimals: Option<u32>,
    /// Updates applied to this row.
    pub updates: u64,
}

impl Row {
    /// How current the row's data is: when it arrived; for polled data, the venue's own
    /// time of the quote when the reply carries one (a halted market's REST ticker keeps
    /// its old time, so polling it does not make it look fresh).
    pub fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.ticker
            .as_ref()
            .map(|t| match (t.source, t.exchange_ts) {
                (Source::Rest, Some(at)) => at.min(t.received_ts),
                _ => t.received_ts,
            })
    }

    /// Where the latest update came from; `None` before the first.
    pub fn source(&self) -> Option<Source> {
        self.ticker.as_ref().map(|t| t.source)
    }
}

/// Per-feed counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// WebSocket frames received, of every kind, counted before parsing.
    pub frames_in: u64,
    /// Payload bytes of those frames.
    pub bytes_in: u64,
    /// Text frames sent: subscribe and unsubscribe requests, application pings.
    pub messages_out: u64,
    /// Ticker updates applied to rows, streamed or polled.
    pub tickers: u64,
    /// Outages: times the feed went to [`FeedStatus::Reconnecting`] at attempt 1. Retries,
    /// planned and manual reconnects are not counted.
    pub reconnects: u64,
    /// Frames that could not be parsed; each was skipped and reading went on.
    pub parse_errors: u64,
    /// Gaps in a venue's message numbering (Coinbase `sequence_num`): messages lost on
    /// the way, each answered with a fresh snapshot.
    pub sequence_gaps: u64,
    /// Well-formed frames of a kind the adapter does not know.
    pub unknown_frames: u64,
    /// REST ticker polls that succeeded.
    pub rest_polls: u64,
    /// When the last WebSocket frame arrived (wall clock, UTC).
    pub last_frame_at: Option<DateTime<Utc>>,
    /// When the last successful REST poll ended (wall clock, UTC).
    pub last_poll_at: Option<DateTime<Utc>>,
    /// Round trip of the latest answered ping (application or WebSocket level); `None`
    /// until one is answered.
    pub ping_rtt: Option<Duration>,
    /// The last frame that could not be parsed: the parser's reason and the frame's start.
    pub last_parse_error: Option<Arc<str>>,
    /// Exchange time → receive time of the tickers that carry the venue's time.
    pub lag: LagStats,
    /// The circuit breaker's state.
    pub breaker: BreakerView,
    /// The WebSocket address in use (its query left out: it may carry a token).
    pub endpoint: Option<Arc<str>>,
    /// When the feed was added (wall clock, UTC).
    pub started_at: Option<DateTime<Utc>>,
    /// Time spent connected before the current state began (uptime = this plus the
    /// current state's time when connected, over the time since `started_at`).
    pub live_for: Duration,
}

/// The circuit breaker, as readers see it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BreakerView {
    /// Connections are tried.
    #[default]
    Closed,
    /// No connection is tried until this time (wall clock, UTC).
    Open {
        /// When one probe connection is allowed.
        until: DateTime<Utc>,
    },
    /// One probe connection is allowed.
    HalfOpen,
}

/// Buckets of [`LagStats`]: four per doubling of the lag in microseconds, up to ~2 min.
const LAG_BUCKETS: usize = 112;
/// Seconds of one [`LagStats`] window; quantiles cover the current and the previous one.
const LAG_WINDOW_SECS: i64 = 60;

/// A histogram of exchange → receive lag over the last one to two minutes: four buckets
/// per doubling (each within 25 % of its values), counted per ticker at a handful of
/// instructions, read as quantiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LagStats {
    window_start: i64,
    current: [u32; LAG_BUCKETS],
    previous: [u32; LAG_BUCKETS],
    /// Tickers stamped later than they arrived (the venue's clock runs ahead of ours).
    pub ahead: u64,
}

impl Default for LagStats {
    fn default() -> Self {
        LagStats {
            window_start: 0,
            current: [0; LAG_BUCKETS],
            previous: [0; LAG_BUCKETS],
            ahead: 0,
        }
    }
}

impl LagStats {
    fn bucket(micros: u64) -> usize {
        if micros < 4 {
            return micros as usize;
        }
        let octave = 63 - micros.leading_zeros() as usize;
        let sub = ((micros >> (octave - 2)) & 3) as usize;
        (4 * (octave - 1) + sub).min(LAG_BUCKETS - 1)
    }

    /// The largest lag a bucket holds, in microseconds.
    fn bucket_top(b: usize) -> u64 {
        if b < 4 {
            return b as u64;
        }
        let octave = b / 4 + 1;
        let sub = (b % 4) as u64;
        ((4 + sub + 1) << (octave - 2)) - 1
    }

    /// Count one ticker received at `received` that the venue stamped `stamped`.
    pub fn record(&mut self, received: DateTime<Utc>, stamped: DateTime<Utc>) {
        let secs = received.timestamp();
        if secs - self.window_start >= LAG_WINDOW_SECS {
            self.previous = if secs - self.window_start < 2 * LAG_WINDOW_SECS {
                self.current
            } else {
                [0; LAG_BUCKETS]
            };
            self.current = [0; LAG_BUCKETS];
            self.window_start = secs;
        }
        // Whole seconds and microseconds apart: cheaper than a `TimeDelta` per ticker.
        let us = (secs - stamped.timestamp()).saturating_mul(1_000_000)
            + i64::from(received.timestamp_subsec_micros())
            - i64::from(stamped.timestamp_subsec_micros());
        if us >= 0 {
            let b = Self::bucket(us.unsigned_abs());
            self.current[b] = self.current[b].saturating_add(1);
        } else {
            self.ahead += 1;
        }
    }

    /// The lag below which a fraction `q` of the recent tickers fall (`0.5`, `0.99`), as
    /// the top of its bucket; `None` without tickers.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        let total: u64 = self
            .current
            .iter()
            .chain(self.previous.iter())
            .map(|n| u64::from(*n))
            .sum();
        if total == 0 {
            return None;
        }
        let want = ((total as f64) * q.clamp(0.0, 1.0)).ceil().max(1.0) as u64;
        let mut seen = 0;
        for b in 0..LAG_BUCKETS {
            seen += u64::from(self.current[b]) + u64::from(self.previous[b]);
            if seen >= want {
                return Some(Duration::from_micros(Self::bucket_top(b)));
            }
        }
        None
    }
}

/// One exchange connection as readers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    /// The venue.
    pub exchange: ExchangeId,
    /// The connection's state now: what the screen says about how live the rows are.
    pub status: FeedStatus,
    /// When the latest transition was recorded (wall clock, UTC); a refreshed retry time
    /// does not move it.
    pub status_since: DateTime<Utc>,
    /// Last reason given for a transition (shown next to the state).
    pub reason: String,
    /// Newest last.
    pub history: VecDeque<Arc<Transition>>,
    /// Traffic and error counts since the feed was added.
    pub counters: Counters,
    /// The peer announced itself as the built-in simulator (on a WebSocket upgrade or a
    /// REST reply): the prices are made up. Set by what answered, never by a flag, and
    /// kept for the rest of the run, since the rows may still hold its prices.
    pub simulated: bool,
    /// Set when the feed is read from a relay rather than from the venue: who leads the
    /// venue there and in which term. `None` for a feed of this process's own.
    pub relay: Option<RelayInfo>,
}

/// Which relay leads a venue read through Redis, as the reader last saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayInfo {
    /// The leading relay's id (`relay-a`), made printable; empty when no relay has led
    /// since the data began.
    pub leader: String,
    /// The leadership term: it grows by one at every change of leader.
    pub term: u64,
}

/// A consistent copy of the whole store, taken under one lock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The store's [`version`](crate::store::Store::version) when the copy was taken.
    pub version: u64,
    /// Every feed, in the order added.
    pub feeds: Vec<Feed>,
    /// Every row, in the order added.
    pub rows: Vec<Row>,
}

impl Feed {
    /// The share of the time since the feed was added that it spent connected (LIVE),
    /// from 0 to 1; `None` before any time has passed.
    pub fn uptime(&self, now: DateTime<Utc>) -> Option<f64> {
        let total = (now - self.counters.started_at?).to_std().ok()?;
        if total.is_zero() {
            return None;
        }
        let mut live = self.counters.live_for;
        if self.status == FeedStatus::Connected {
            live += (now - self.status_since).to_std().unwrap_or_default();
        }
        Some((live.as_secs_f64() / total.as_secs_f64()).min(1.0))
    }

    /// Transitions kept since `since` that match `which`: reconnects or fallbacks today.
    pub fn count_since(&self, since: DateTime<Utc>, which: impl Fn(&Transition) -> bool) -> usize {
        self.history
            .iter()
            .filter(|t| t.at >= since && which(t))
            .count()
    }
}

impl Snapshot {
    /// The feed for `exchange`, if there is one.
    pub fn feed(&self, exchange: ExchangeId) -> Option<&Feed> {
        self.feeds.iter().find(|f| f.exchange == exchange)
    }

    /// The row for `exchange` and a symbol spelled exactly as [`Symbol::as_str`] gives it
    /// (`BTC/USD`).
    pub fn row(&self, exchange: ExchangeId, symbol: &str) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.exchange == exchange && r.symbol.as_str() == symbol)
    }
}

/// What headless mode prints: every ticker, status change and symbol error, in order.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum StoreEvent {
    /// A ticker update was applied: the row's merged values, so a partial update is whole.
    Ticker(Box<Ticker>),
    /// A feed recorded a transition.
    Status(Arc<Transition>),
    /// Updates were lost on the way to this reader (a relay's stream moved past it, or a
    /// relay dropped them): the rows were reloaded, but what happened in between is gone.
    Gap {
        /// The venue.
        exchange: ExchangeId,
        /// How many updates were missed.
        skipped: u64,
        /// Why, in words.
        reason: String,
    },
    /// A row was marked [`RowState::Invalid`]: the venue or the symbol table rejected it.
    Error {
        /// The venue.
        exchange: ExchangeId,
        /// The row's symbol, as [`Symbol`] prints it.
        symbol: String,
        /// Why, made printable; may name the closest listed markets.
        message: String,
    },
}

impl StoreEvent {
    /// The feed the event belongs to.
    pub fn exchange(&self) -> ExchangeId {
        match self {
            StoreEvent::Ticker(t) => t.exchange,
            StoreEvent::Status(t) => t.exchange,
            StoreEvent::Error { exchange, .. } | StoreEvent::Gap { exchange, .. } => *exchange,
        }
    }
}
