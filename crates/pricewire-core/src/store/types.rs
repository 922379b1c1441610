//! The store's public data: rows, feeds, counters, snapshots and the events headless mode
//! prints. Plain values, copied out to readers; the locking lives in `store.rs`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::model::{ExchangeId, FeedStatus, Source, Ticker, Transition};
use crate::symbol::Symbol;

/// Bounds that keep memory flat however long the program runs.
#[derive(Debug, Clone, Copy)]
pub struct StoreLimits {
    /// Transitions kept per feed.
    pub history: usize,
    /// Last prices kept per row for the sparkline.
    pub sparkline: usize,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits {
            history: 1000,
            sparkline: 60,
        }
    }
}

/// Direction of the last change of a row's last price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    Up,
    Down,
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
    pub exchange: ExchangeId,
    pub symbol: Symbol,
    pub state: RowState,
    pub ticker: Option<Ticker>,
    /// The last price before the latest change of last price.
    pub prev_last: Option<Decimal>,
    pub direction: Direction,
    /// When the last price last changed (drives the up/down flash).
    pub last_change_at: Option<DateTime<Utc>>,
    /// Recent distinct last prices, oldest first.
    pub sparkline: VecDeque<Decimal>,
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

    pub fn source(&self) -> Option<Source> {
        self.ticker.as_ref().map(|t| t.source)
    }
}

/// Per-feed counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    pub frames_in: u64,
    pub bytes_in: u64,
    pub messages_out: u64,
    pub tickers: u64,
    pub reconnects: u64,
    pub parse_errors: u64,
    /// Gaps in a venue's message numbering (Coinbase `sequence_num`): messages lost on
    /// the way, each answered with a fresh snapshot.
    pub sequence_gaps: u64,
    pub unknown_frames: u64,
    pub rest_polls: u64,
    pub last_frame_at: Option<DateTime<Utc>>,
    pub last_poll_at: Option<DateTime<Utc>>,
    pub ping_rtt: Option<Duration>,
}

/// One exchange connection as readers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    pub exchange: ExchangeId,
    pub status: FeedStatus,
    pub status_since: DateTime<Utc>,
    /// Last reason given for a transition (shown next to the state).
    pub reason: String,
    /// Newest last.
    pub history: VecDeque<Arc<Transition>>,
    pub counters: Counters,
    /// The peer announced itself as the built-in simulator (on a WebSocket upgrade or a
    /// REST reply): the prices are made up. Set by what answered, never by a flag, and
    /// kept for the rest of the run, since the rows may still hold its prices.
    pub simulated: bool,
}

/// A consistent copy of the whole store, taken under one lock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub version: u64,
    pub feeds: Vec<Feed>,
    pub rows: Vec<Row>,
}

impl Snapshot {
    pub fn feed(&self, exchange: ExchangeId) -> Option<&Feed> {
        self.feeds.iter().find(|f| f.exchange == exchange)
    }

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
    Ticker(Box<Ticker>),
    Status(Arc<Transition>),
    Error {
        exchange: ExchangeId,
        symbol: String,
        message: String,
    },
}

impl StoreEvent {
    /// The feed the event belongs to.
    pub fn exchange(&self) -> ExchangeId {
        match self {
            StoreEvent::Ticker(t) => t.exchange,
            StoreEvent::Status(t) => t.exchange,
            StoreEvent::Error { exchange, .. } => *exchange,
        }
    }
}
