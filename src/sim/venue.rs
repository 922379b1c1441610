//! [`Venue`]: one exchange's wire protocol as the simulator plays it: the pairs it lists,
//! what a client text frame means, how data frames are encoded, and its REST routes.
//! A venue is pure: it never touches sockets, timers or scenarios (those live in
//! `session.rs` and `http.rs`), so a new exchange is one sibling file (`binance.rs`, ...)
//! plus one arm in [`venue_for`].

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::ExchangeId;

use super::binance::Binance;
use super::bybit::Bybit;
use super::coinbase::Coinbase;
use super::kraken::Kraken;
use super::market::{Market, PairSpec, Quote};

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

/// Per-connection state beyond subscriptions, for venues that number their messages or
/// have a keep-alive channel (Coinbase). The session owns one per connection.
#[derive(Debug, Clone, Default)]
pub struct Conn {
    /// The connection's id (the same one the status frame reports).
    pub id: u64,
    /// Messages numbered so far on this connection.
    pub sequence: u64,
    /// Keep-alive frames sent so far on this connection.
    pub keep_alives: u64,
    /// Whether the client subscribed the venue's keep-alive channel.
    pub keep_alive_subscribed: bool,
}

impl Conn {
    /// The next message number on this connection.
    pub fn next_sequence(&mut self) -> u64 {
        let n = self.sequence;
        self.sequence += 1;
        n
    }
}

/// What a server sends on its own to keep a connection alive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeepAlive {
    /// A text frame (Kraken's heartbeat, Coinbase's `heartbeats` channel).
    Text(String),
    /// A WebSocket Ping frame with this payload (Binance).
    Ping(Vec<u8>),
}

/// How a venue plays the `maintenance` scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Maintenance {
    /// `status(false)` at connect, no ticker data for the window, then `status(true)`.
    Status,
    /// Serve normally for the window, then send `status(false)` (a restart notice such as
    /// Binance's `serverShutdown`) and close with 1001.
    RestartAfter,
    /// Close with 1001 right after the handshake.
    Close,
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

    /// The path clients dial for the WebSocket.
    fn ws_path(&self) -> &'static str {
        "/v2"
    }

    /// Send time as this venue prints it in frames (default: RFC 3339 with microseconds).
    fn clock(&self, t: DateTime<Utc>) -> String {
        timestamp(t)
    }

    /// [`Venue::handle`] with this connection's extra state.
    fn handle_in(
        &self,
        text: &str,
        subs: &Subscriptions,
        _conn: &mut Conn,
        market: &Market,
        now: &str,
    ) -> Inbound {
        self.handle(text, subs, market, now)
    }

    /// Every frame one ticker step of market `index` sends (Bybit spot: ticker and book).
    fn tickers(
        &self,
        market: &Market,
        index: usize,
        quote: &Quote,
        kind: FrameKind,
    ) -> Vec<Template> {
        vec![self.ticker(market, index, quote, kind)]
    }

    /// A ticker template made ready to send on one connection at time `now`.
    fn stamp_in(&self, template: &Template, now: &str, _conn: &mut Conn) -> String {
        template.stamp(now)
    }

    /// How often the session asks for [`Venue::keep_alive`], given the configured heartbeat.
    fn keep_alive_every(&self, heartbeat: Duration) -> Duration {
        heartbeat
    }

    /// The keep-alive to send now, if any. Default: the heartbeat while anything is subscribed.
    fn keep_alive(
        &self,
        subs: &Subscriptions,
        _conn: &mut Conn,
        _now: DateTime<Utc>,
    ) -> Option<KeepAlive> {
        if subs.active.is_empty() {
            return None;
        }
        self.heartbeat().map(|h| KeepAlive::Text(h.to_string()))
    }

    /// How this venue plays the `maintenance` scenario.
    fn maintenance(&self) -> Maintenance {
        Maintenance::Status
    }
}

/// The simulator for `exchange`, or an error naming the venues it can play.
pub fn venue_for(exchange: ExchangeId) -> Result<Arc<dyn Venue>, String> {
    match exchange {
        ExchangeId::Kraken => Ok(Arc::new(Kraken::new()?)),
        ExchangeId::Binance => Ok(Arc::new(Binance::new()?)),
        ExchangeId::Coinbase => Ok(Arc::new(Coinbase::new()?)),
        ExchangeId::Bybit => Ok(Arc::new(Bybit::new()?)),
        other => Err(format!(
            "the simulator cannot play {other} yet (supported: kraken, binance, coinbase, bybit)"
        )),
    }
}

/// Send time as the venues print it: RFC 3339 in UTC with microseconds.
pub fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}
