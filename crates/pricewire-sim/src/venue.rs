//! [`Venue`]: one exchange's wire protocol as the simulator plays it: the pairs it lists,
//! what a client text frame means and how data frames are encoded; its REST routes are
//! the separate [`RestRoutes`], implemented in the venue's `_rest.rs` file, which the
//! WebSocket side never calls. A venue is pure: it never touches sockets, timers or
//! scenarios (those live in `session.rs` and `http.rs`), so a new exchange is two sibling
//! files (`binance.rs`, `binance_rest.rs`) plus one arm in `venue_for` (`server.rs`).

use std::time::Duration;

use chrono::{DateTime, Utc};

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
/// Splitting lets the burst scenario encode frames once and stamp them when sent. The
/// empty template (`Template::default()`) stands for a stream the venue does not list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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

    /// `prefix + now + suffix`, each [`MARKER`] in the suffix replaced by `fill(n)` in
    /// order: for values that follow from the send time or the connection (Binance's 24 h
    /// window, Coinbase's `sequence_num`, Bybit's `cts`).
    pub fn stamp_with(&self, now: &str, mut fill: impl FnMut(usize) -> String) -> String {
        let mut out = String::with_capacity(self.prefix.len() + self.suffix.len() + 64);
        out.push_str(&self.prefix);
        out.push_str(now);
        for (n, part) in self.suffix.split(MARKER).enumerate() {
            if n > 0 {
                out.push_str(&fill(n - 1));
            }
            out.push_str(part);
        }
        out
    }
}

/// Where a value [`Template::stamp_with`] fills in goes in a template's suffix.
pub const MARKER: char = '\0';

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

/// Per-connection state a venue keeps beyond subscriptions: its id, message numbers, its
/// keep-alive channel (Coinbase). The session owns one per connection and hands it to
/// [`Venue::handle`], [`Venue::stamp`] and [`Venue::keep_alive`].
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
    /// Message numbers skipped, as if the message was lost: each one in this list
    /// (`SimConfig::lose_sequence`).
    pub lose: Vec<u64>,
}

impl Conn {
    /// The next message number on this connection.
    pub fn next_sequence(&mut self) -> u64 {
        while self.lose.contains(&self.sequence) {
            self.sequence += 1;
        }
        let n = self.sequence;
        self.sequence += 1;
        n
    }
}

/// What a server sends on its own to keep a connection alive. Client pings (OKX's text
/// `ping`, the JSON pings of Bybit and `KuCoin`) are requests: [`Inbound::Ping`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeepAlive {
    /// A text frame (Kraken's heartbeat, Coinbase's `heartbeats` channel).
    Text(String),
    /// A WebSocket Ping frame with this payload (Binance).
    Ping(Vec<u8>),
}

/// How a venue plays the `maintenance` scenario. What it says meanwhile is
/// [`Venue::status`]: `status(false)` is the maintenance status or the restart notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Maintenance {
    /// `status(false)` at connect, no ticker data for the first seconds, then `status(true)`
    /// (Kraken's `status` channel).
    Status,
    /// A service restart: data flows; a few seconds in, the notice `status(false)` (OKX's
    /// 64008, Binance's `serverShutdown`) and the server closes with 1001 a few seconds
    /// later; without a notice (`KuCoin`) it closes at once.
    Restart,
    /// Close with 1001 right after the handshake (Coinbase, Bybit).
    Close,
}

/// A venue's REST side, answered from the same market its WebSocket side streams.
pub trait RestRoutes {
    /// Answer a REST GET. `None` means the path is not a REST route (HTTP 404).
    fn rest(&self, path: &str, query: Option<&str>, market: &Market) -> Option<RestReply>;

    /// The body of a rate-limit (429) or server-error (500) REST answer.
    fn rest_error(&self, status: u16) -> String;

    /// Answer a REST POST (`KuCoin`'s `bullet-public`). `host` is the request's `Host`
    /// header, for replies that name the simulator's own address; `ping` the ping period
    /// the reply prescribes. `None`: HTTP 405.
    fn rest_post(&self, path: &str, host: &str, ping: Duration) -> Option<RestReply> {
        let _ = (path, host, ping);
        None
    }
}

/// One venue's protocol. Times are passed in already formatted by [`Venue::clock`].
pub trait Venue: RestRoutes + Send + Sync + 'static {
    /// The pairs this venue lists, for the shared [`Market`].
    fn pairs(&self) -> Vec<PairSpec>;

    /// Whether `path` (without query) is a WebSocket endpoint.
    fn is_ws_path(&self, path: &str) -> bool;

    /// The frame sent right after the handshake and whenever the venue status changes;
    /// `online == false` is also the restart notice (see [`Maintenance`]). Default: none,
    /// for venues that say nothing on connect and announce no restart.
    fn status(&self, online: bool, connection_id: u64) -> Option<String> {
        let _ = (online, connection_id);
        None
    }

    /// Interpret one client text frame. `subs` is this connection's subscriptions before
    /// the frame; the caller applies `add`/`remove` afterwards. `conn` is the venue's own
    /// state for this connection.
    fn handle(&self, text: &str, subs: &Subscriptions, conn: &mut Conn, now: &str) -> Inbound;

    /// One ticker frame for stream `stream`, split around its timestamp.
    fn ticker(&self, stream: usize, quote: &Quote, kind: FrameKind) -> Template;

    /// The error this venue answers a subscribe request `text` with when it refuses the
    /// whole request (see `SimConfig::refuse`); `None` for other requests, or when the
    /// venue has no such answer.
    fn refuse(&self, text: &str, conn: &Conn) -> Option<String> {
        let _ = (text, conn);
        None
    }

    /// A frame that is valid JSON but not in the venue's schema.
    fn wrong_schema(&self) -> String;

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

    /// Send time as this venue prints it, for [`Venue::stamp`] and [`Venue::handle`].
    /// Default: RFC 3339 with microseconds.
    fn clock(&self, t: DateTime<Utc>) -> String {
        timestamp(t)
    }

    /// A ticker template made ready to send on one connection at time `now` (from
    /// [`Venue::clock`]). Default: `now` between prefix and suffix.
    fn stamp(&self, template: &Template, now: &str, conn: &mut Conn) -> String {
        let _ = conn;
        template.stamp(now)
    }

    /// Every frame one ticker step of stream `stream` sends (Bybit spot: ticker and book).
    fn tickers(&self, stream: usize, quote: &Quote, kind: FrameKind) -> Vec<Template> {
        vec![self.ticker(stream, quote, kind)]
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

    /// How often the session asks for [`Venue::keep_alive`], given the configured heartbeat.
    fn keep_alive_every(&self, heartbeat: Duration) -> Duration {
        heartbeat
    }

    /// The keep-alive the server sends now, if any. Default: none (the venue's clients
    /// keep the connection alive with their own pings).
    fn keep_alive(
        &self,
        subs: &Subscriptions,
        conn: &mut Conn,
        now: DateTime<Utc>,
    ) -> Option<KeepAlive> {
        let _ = (subs, conn, now);
        None
    }

    /// How the `maintenance` scenario looks on this venue.
    fn maintenance(&self) -> Maintenance {
        Maintenance::Status
    }
}

/// Send time as most venues print it: RFC 3339 in UTC with microseconds.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}
