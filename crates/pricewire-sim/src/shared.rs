//! [`Shared`]: the state every task of one simulator shares (venue, market, config, the
//! scenario in force, counters, cancellation groups, the task tracker) and the short
//! operations on it. Plain state: it starts no task and serves no connection.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::config::SimConfig;
use super::market::Market;
use super::scenario::Scenario;
use super::venue::Venue;

/// What [`SimStats`](super::SimStats) reports, counted as it happens.
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub connections: AtomicU64,
    pub ws_sessions: AtomicU64,
    pub subscribes: AtomicU64,
    pub ticker_frames: AtomicU64,
    pub pongs: AtomicU64,
    pub rest: AtomicU64,
    pub early_requests: AtomicU64,
}

pub(super) fn bump(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

/// Cancellation groups. `drop_connections` replaces `ws`; `down` replaces both.
struct Generations {
    ws: CancellationToken,
    http: CancellationToken,
}

/// State every task of one simulator shares.
pub(super) struct Shared {
    pub venue: Option<Arc<dyn Venue>>,
    pub market: Market,
    pub cfg: SimConfig,
    pub scenario: watch::Sender<Scenario>,
    pub counters: Counters,
    pub root: CancellationToken,
    // A std Mutex: only swapped or cloned, never held across an await.
    generations: Mutex<Generations>,
    pub tracker: TaskTracker,
    pub next_connection: AtomicU64,
    /// The newest text frames clients sent, oldest first, for tests to read back.
    pub client_frames: Mutex<std::collections::VecDeque<String>>,
    /// Bumped by [`SimServer::stall_streams`](super::SimServer::stall_streams): open sessions stop updating what they stream.
    pub stalls: AtomicU64,
    /// Whether the last stall survives a resubscribe.
    pub stall_sticky: AtomicBool,
}

/// Client frames kept by [`SimServer::client_frames`](super::SimServer::client_frames).
const CLIENT_FRAMES_KEPT: usize = 256;

impl Shared {
    pub(super) fn new(cfg: SimConfig, venue: Option<Arc<dyn Venue>>) -> Arc<Shared> {
        let pairs = venue.as_ref().map(|v| v.pairs()).unwrap_or_default();
        let root = CancellationToken::new();
        Arc::new(Shared {
            market: Market::new(pairs, cfg.seed, cfg.tick_interval),
            scenario: watch::Sender::new(cfg.scenario),
            generations: Mutex::new(Generations {
                ws: root.child_token(),
                http: root.child_token(),
            }),
            root,
            venue,
            cfg,
            counters: Counters::default(),
            tracker: TaskTracker::new(),
            next_connection: AtomicU64::new(0),
            client_frames: Mutex::new(std::collections::VecDeque::new()),
            stalls: AtomicU64::new(0),
            stall_sticky: AtomicBool::new(false),
        })
    }

    /// Keep a text frame a client sent (the newest [`CLIENT_FRAMES_KEPT`]).
    pub(super) fn record_client_frame(&self, text: &str) {
        let mut frames = self
            .client_frames
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if frames.len() == CLIENT_FRAMES_KEPT {
            frames.pop_front();
        }
        frames.push_back(text.to_string());
    }

    pub(super) fn scenario(&self) -> Scenario {
        *self.scenario.borrow()
    }

    fn generations(&self) -> std::sync::MutexGuard<'_, Generations> {
        self.generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A token for a new WebSocket session.
    pub(super) fn ws_token(&self) -> CancellationToken {
        self.generations().ws.child_token()
    }

    /// A token for a new HTTP connection.
    pub(super) fn http_token(&self) -> CancellationToken {
        self.generations().http.child_token()
    }

    pub(super) fn drop_ws(&self) {
        let mut g = self.generations();
        g.ws.cancel();
        g.ws = self.root.child_token();
    }

    pub(super) fn drop_all(&self) {
        let mut g = self.generations();
        g.ws.cancel();
        g.http.cancel();
        g.ws = self.root.child_token();
        g.http = self.root.child_token();
    }
}
