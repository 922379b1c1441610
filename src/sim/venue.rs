//! [`Venue`]: one exchange's wire protocol as the simulator plays it: the pairs it lists,
//! what a client text frame means, how data frames are encoded, and its REST routes.
//! A venue is pure: it never touches sockets, timers or scenarios (those live in
//! `session.rs` and `http.rs`), so a new exchange is one sibling file (`binance.rs`, ...)
//! plus one arm in [`venue_for`].

use std::sync::Arc;
use std::time::Duration;

use crate::model::ExchangeId;

use super::kraken::Kraken;
use super::kucoin::Kucoin;
use super::market::{Market, PairSpec, Quote};
use super::okx::Okx;

/// Whether a ticker frame is the first one after subscribing or a later one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    Snapshot,
    Update,
}

/// What one client text frame asked for, with the replies to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// A subscribe request. `add` holds the market indices newly subscribed and whether
    /// each wants a snapshot first.
    Subscribe {
        replies: Vec<String>,
        add: Vec<(usize, bool)>,
    },
    Unsubscribe {
        replies: Vec<String>,
        remove: Vec<usize>,
    },
    /// An application-level ping and its pong.
    Ping { reply: String },
    /// Anything else: malformed, unknown method. The connection stays open.
    Invalid { reply: String },
}

/// An HTTP answer from a venue's REST routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestReply {
    pub status: u16,
    pub body: String,
}

/// A ticker frame split around its send-time stamp: `prefix + timestamp + suffix`.
/// Splitting lets the burst scenario encode frames once and stamp them when sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub prefix: String,
    pub suffix: String,
}

impl Template {
    pub fn stamp(&self, timestamp: &str) -> String {
        let mut s = String::with_capacity(self.prefix.len() + timestamp.len() + self.suffix.len());
        s.push_str(&self.prefix);
        s.push_str(timestamp);
        s.push_str(&self.suffix);
        s
    }
}

/// Per-connection state a venue keeps: which markets the client subscribed, so that it can
/// answer "already subscribed" and "not found" like the real venue.
#[derive(Debug, Clone, Default)]
pub struct Subscriptions {
    /// Market indices in subscription order.
    pub active: Vec<usize>,
}

impl Subscriptions {
    pub fn contains(&self, index: usize) -> bool {
        self.active.contains(&index)
    }
}

/// How a venue plays the `maintenance` scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Maintenance {
    /// A status frame says `maintenance` and data is withheld for the first seconds of the
    /// connection, then a status frame says `online` (Kraken's `status` channel).
    Status,
    /// A service restart: data flows, `notice` (when the venue sends one, as OKX's 64008)
    /// is pushed a few seconds in, and the server closes with 1001 a few seconds after it.
    Restart { notice: Option<String> },
}

/// One venue's protocol. Timestamps are passed in already formatted (RFC 3339, µs).
pub trait Venue: Send + Sync + 'static {
    /// The pairs this venue lists, for the shared [`Market`].
    fn pairs(&self) -> Vec<PairSpec>;

    /// Whether `path` (without query) is a WebSocket endpoint.
    fn is_ws_path(&self, path: &str) -> bool;

    /// The frame sent right after the handshake and whenever the venue status changes.
    fn status(&self, online: bool, connection_id: u64) -> Option<String>;

    /// Interpret one client text frame. `subs` is this connection's subscriptions before
    /// the frame; the caller applies `add`/`remove` afterwards.
    fn handle(&self, text: &str, subs: &Subscriptions, market: &Market, now: &str) -> Inbound;

    /// The keep-alive frame, if the venue sends one.
    fn heartbeat(&self) -> Option<&'static str>;

    /// A ticker frame for market index `index`, split around its timestamp.
    fn ticker(&self, market: &Market, index: usize, quote: &Quote, kind: FrameKind) -> Template;

    /// A frame that is valid JSON but not in the venue's schema.
    fn wrong_schema(&self) -> String;

    /// Answer a REST GET. `None` means the path is not a REST route (HTTP 404).
    fn rest(&self, path: &str, query: Option<&str>, market: &Market) -> Option<RestReply>;

    /// The body of a rate-limit (429) or server-error (500) REST answer.
    fn rest_error(&self, status: u16) -> String;

    /// The WebSocket path clients dial, for [`super::SimServer::ws_url`].
    fn ws_path(&self) -> &'static str {
        "/v2"
    }

    /// The first frame of a session whose upgrade request carried `query` (`KuCoin`'s
    /// welcome echoes the client's `connectId`). Default: [`Venue::status`].
    fn welcome(&self, query: Option<&str>, online: bool, connection_id: u64) -> Option<String> {
        let _ = query;
        self.status(online, connection_id)
    }

    /// Send time as this venue prints it in ticker frames; passed to [`Template::stamp`]
    /// and to [`Venue::handle`]. Default: RFC 3339 with microseconds.
    fn stamp(&self, t: chrono::DateTime<chrono::Utc>) -> String {
        timestamp(t)
    }

    /// The market behind a subscription entry. Venues with one stream per market use the
    /// market index itself; `KuCoin` has two (ticker and 24 h snapshot) and encodes both.
    fn market_of(&self, stream: usize) -> usize {
        stream
    }

    /// A fixed push period for a stream (`KuCoin`'s snapshot: every 2 s), or `None` for
    /// one update per tick. Periodic streams are left out of the burst scenario.
    fn stream_period(&self, stream: usize) -> Option<Duration> {
        let _ = stream;
        None
    }

    /// How the `maintenance` scenario looks on this venue.
    fn maintenance(&self) -> Maintenance {
        Maintenance::Status
    }

    /// Answer a REST POST (`KuCoin`'s `bullet-public`). `host` is the request's `Host`
    /// header, for replies that name the simulator's own address. `None`: HTTP 405.
    fn rest_post(&self, path: &str, host: &str) -> Option<RestReply> {
        let _ = (path, host);
        None
    }
}

/// The simulator for `exchange`, or an error naming the venues it can play.
pub fn venue_for(exchange: ExchangeId) -> Result<Arc<dyn Venue>, String> {
    match exchange {
        ExchangeId::Kraken => Ok(Arc::new(Kraken::new()?)),
        ExchangeId::Okx => Ok(Arc::new(Okx::new()?)),
        ExchangeId::Kucoin => Ok(Arc::new(Kucoin::new()?)),
        other => Err(format!(
            "the simulator cannot play {other} yet (supported: kraken, okx, kucoin)"
        )),
    }
}

/// Send time as the venues print it: RFC 3339 in UTC with microseconds.
pub fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}
