//! Recording: what a run received, as it was received, for a replay or a post-mortem.
//!
//! The feed hands every raw frame (in and out, with its connection id and receive time),
//! every REST body it used (pair lists, KuCoin's token reply, polls), each symbol it
//! subscribed with its wire names, row states and every state transition to a [`Tap`]: a
//! bounded queue that never waits. A full queue drops the record and counts it, so the
//! writer can mark the gap. Without a tap the hot path pays one branch per frame.
//!
//! The file is JSON lines, one [`Record`] each (`"rec"` names the kind), first a `header`
//! with the format version, the program and the run's effective config. Times are RFC 3339
//! UTC with every digit the clock gave; a ticker replayed from a frame carries the frame's
//! receive time exactly. Writing the file (zstd, rotation, a full disk) is the caller's;
//! [`encode`] and [`decode`] are the format, and [`crate::replay`] plays it.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};

use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::model::{ExchangeId, Transition};
use crate::store::RowState;
use crate::symbol::{Instrument, Symbol};

mod codec;

pub use codec::{DecodeError, decode, encode};

/// The format's version, in every file's header.
pub const VERSION: u32 = 1;

/// Which way a frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Received from the venue.
    In,
    /// Sent to the venue (subscribe requests, pings).
    Out,
}

/// What a frame carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameBody {
    /// A text frame, as sent or received (shared with the reader: no copy).
    Text(Utf8Bytes),
    /// A WebSocket ping.
    Ping,
    /// A WebSocket pong.
    Pong,
    /// A close frame, with its code and reason in words.
    Close(String),
    /// A binary frame of this many bytes (no venue here sends any; kept as a length).
    Binary(usize),
}

/// What a REST body was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestWhat {
    /// The venue's pair list.
    Pairs,
    /// A WebSocket token (KuCoin's `bullet-public`).
    Token,
    /// A ticker poll.
    Poll,
    /// Candles for a chart (kept for the record; a replay draws no chart from them).
    Candles,
}

impl RestWhat {
    fn name(self) -> &'static str {
        match self {
            RestWhat::Pairs => "pairs",
            RestWhat::Token => "token",
            RestWhat::Poll => "poll",
            RestWhat::Candles => "candles",
        }
    }
}

/// The first line of a recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The format's version ([`VERSION`] when written by this build).
    pub version: u32,
    /// The program and its version that wrote it.
    pub program: String,
    /// When the recording (or this file of a rotated recording) began.
    pub started: DateTime<Utc>,
    /// What kind of run it was (`demo` for the simulator, …).
    pub tags: Vec<String>,
    /// The run's effective config, secrets left out; `feed` holds the engine's settings.
    pub config: serde_json::Value,
}

/// One line of a recording.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Record {
    /// The file's first line.
    Header(Header),
    /// A feed began.
    Feed {
        /// Its venue.
        exchange: ExchangeId,
        /// When.
        at: DateTime<Utc>,
    },
    /// A WebSocket connection opened (the URL with any query left out: it may hold a token).
    Open {
        /// The venue.
        exchange: ExchangeId,
        /// The connection's id, unique in the run.
        conn: u64,
        /// When the handshake ended.
        at: DateTime<Utc>,
        /// Where it goes.
        url: String,
    },
    /// A frame, in or out.
    Frame {
        /// The venue.
        exchange: ExchangeId,
        /// The connection it went over.
        conn: u64,
        /// Receive (or send) time, wall clock.
        at: DateTime<Utc>,
        /// In or out.
        dir: Dir,
        /// What it carried.
        body: FrameBody,
    },
    /// A REST reply the feed used.
    Rest {
        /// The venue.
        exchange: ExchangeId,
        /// When the body had arrived: a polled ticker's receive time.
        at: DateTime<Utc>,
        /// What it was for.
        what: RestWhat,
        /// Path and query (the base URL is the config's).
        path: String,
        /// HTTP status.
        status: u16,
        /// The body as text.
        body: String,
    },
    /// A symbol subscribed, with the names the venue knows it by.
    Sub {
        /// The venue.
        exchange: ExchangeId,
        /// The market and its wire, REST and alias names.
        instrument: Instrument,
    },
    /// A symbol no longer subscribed.
    Unsub {
        /// The venue.
        exchange: ExchangeId,
        /// The market.
        symbol: Symbol,
        /// Its row went too (dropped by the user), or stays (rejected by the venue).
        row_removed: bool,
    },
    /// A row's subscription state changed.
    Row {
        /// The venue.
        exchange: ExchangeId,
        /// The market (or the text as typed, for input that names none).
        symbol: Symbol,
        /// The new state.
        state: RowState,
    },
    /// A feed's state changed.
    Status(Arc<Transition>),
    /// A feed's peer announced itself as the simulator.
    Simulated {
        /// The venue.
        exchange: ExchangeId,
        /// When.
        at: DateTime<Utc>,
    },
    /// The writer's queue overflowed: this many records are missing here.
    Gap {
        /// When the writer noticed.
        at: DateTime<Utc>,
        /// Records lost.
        lost: u64,
    },
}

impl Record {
    /// The record's time, if it has one.
    pub fn at(&self) -> Option<DateTime<Utc>> {
        match self {
            Record::Header(h) => Some(h.started),
            Record::Feed { at, .. }
            | Record::Open { at, .. }
            | Record::Frame { at, .. }
            | Record::Rest { at, .. }
            | Record::Simulated { at, .. }
            | Record::Gap { at, .. } => Some(*at),
            Record::Status(t) => Some(t.at),
            Record::Sub { .. } | Record::Unsub { .. } | Record::Row { .. } => None,
        }
    }
}

/// Where the feed puts what it receives for a recording. See the module docs.
pub struct Tap {
    tx: SyncSender<Record>,
    lost: AtomicU64,
    open: AtomicBool,
}

impl Tap {
    /// A tap holding at most `capacity` records for the writer, and the writer's end (a
    /// blocking receiver: the writer is a thread of its own, off the runtime).
    pub fn new(capacity: usize) -> (Arc<Tap>, Receiver<Record>) {
        let (tx, rx) = std::sync::mpsc::sync_channel(capacity.max(1));
        let tap = Tap {
            tx,
            lost: AtomicU64::new(0),
            open: AtomicBool::new(true),
        };
        (Arc::new(tap), rx)
    }

    /// Queue a record unless the queue is full (then it is counted as lost) or the writer
    /// has stopped. Never waits; `make` runs only when the record can be taken.
    pub fn put(&self, make: impl FnOnce() -> Record) {
        if !self.open.load(Ordering::Relaxed) {
            return;
        }
        match self.tx.try_send(make()) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.lost.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Disconnected(_)) => self.close(),
        }
    }

    /// Records dropped since the last call (the writer marks a gap for them).
    pub fn take_lost(&self) -> u64 {
        self.lost.swap(0, Ordering::Relaxed)
    }

    /// Stop taking records (the writer gave up: a full disk). Frames then cost one load.
    pub fn close(&self) {
        self.open.store(false, Ordering::Relaxed);
    }

    /// Whether records are still taken.
    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::Relaxed)
    }
}

/// A time as the records write it.
pub fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A URL without its query and fragment (which may carry a token).
pub fn strip_query(url: &str) -> Cow<'_, str> {
    match url.find(['?', '#']) {
        Some(i) => Cow::Owned(url[..i].to_string()),
        None => Cow::Borrowed(url),
    }
}

/// The state of a feed, as records carry it: its name and, where it has them, the attempt
/// and when the next try is.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct StatusText {
    state: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    attempt: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    max_attempts: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    next_try: Option<String>,
}
