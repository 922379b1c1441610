//! One WebSocket session: welcome or status frame, client requests, ticker snapshots and
//! updates, and the per-connection scenarios (steady, burst, burst of N, drop/close/silent after N,
//! acked-but-silent, garbage, oversized, pong-never, flapping). Keep-alives and the
//! maintenance scenario are timed in `session_upkeep.rs`.
//! Frames come from the venue (`venue.rs`); prices from the shared market. Owns only its
//! own socket; a client frame never ends the session except by closing it.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::time::{Instant, MissedTickBehavior, interval_at, sleep_until};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{Bytes, Error as WsError, Message};
use tokio_util::sync::CancellationToken;

use super::scenario::Scenario;
use super::session_upkeep::{End, Step, Upkeep, finish, go_away, keep_alive};
use super::shared::{Shared, bump};
use super::venue::{Conn, FrameKind, Inbound, Maintenance, Subscriptions, Template, Venue};

type Ws = WebSocketStream<TokioIo<Upgraded>>;

/// Ticker frames sent before `oversized` sends its big frame.
const OVERSIZED_AFTER: u64 = 3;
const OVERSIZED_BYTES: usize = 4 * 1024 * 1024;
/// Pre-encoded update frames per burst ring, and frames per write batch.
const BURST_RING: usize = 1024;
const BURST_BATCH: usize = 64;

type Flow = Result<Option<End>, WsError>;

struct Session {
    shared: Arc<Shared>,
    venue: Arc<dyn Venue>,
    ws: Ws,
    scenario: Scenario,
    subs: Subscriptions,
    conn: Conn,
    online: bool,
    /// Ticker frames sent on this connection.
    sent: u64,
    rng: fastrand::Rng,
    ring: Vec<Template>,
    ring_pos: usize,
    oversized_sent: bool,
    /// Steady ticks so far, for streams with their own period.
    ticks: u64,
    /// Stalls seen ([`super::SimServer::stall_streams`]) and the streams they silenced.
    stalls_seen: u64,
    stalled: Vec<usize>,
}

pub(super) async fn run(
    shared: Arc<Shared>,
    venue: Arc<dyn Venue>,
    ws: Ws,
    scenario: Scenario,
    query: Option<String>,
    token: CancellationToken,
) {
    let n = shared
        .next_connection
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let rng = fastrand::Rng::with_seed(shared.cfg.seed ^ n.wrapping_mul(0xA076_1D64_78BD_642F));
    let conn = Conn {
        lose: shared.cfg.lose_sequence.clone(),
        ..Conn::default()
    };
    // Stalls before this connection opened do not touch it.
    let stalls_seen = shared.stalls.load(std::sync::atomic::Ordering::SeqCst);
    let mut s = Session {
        shared,
        venue,
        ws,
        scenario,
        subs: Subscriptions::default(),
        conn,
        online: true,
        sent: 0,
        rng,
        ring: Vec::new(),
        ring_pos: 0,
        oversized_sent: false,
        ticks: 0,
        stalls_seen,
        stalled: Vec::new(),
    };
    let end = tokio::select! {
        r = s.serve(query.as_deref()) => r.unwrap_or(End::Drop),
        () = token.cancelled() => End::Drop,
    };
    finish(&mut s.ws, end, &token).await;
}

/// What woke the session loop.
enum Wake {
    Message(Option<Result<Message, WsError>>),
    Online,
    Restart,
    KeepAlive,
    Tick,
    Burst,
}

impl Session {
    fn now(&self) -> String {
        self.venue.clock(chrono::Utc::now())
    }

    /// Wait out [`super::SimConfig::welcome_delay`], refusing every request meanwhile.
    async fn before_welcome(&mut self) -> Result<(), WsError> {
        let delay = self.shared.cfg.welcome_delay;
        if delay.is_zero() {
            return Ok(());
        }
        let until = Instant::now() + delay;
        loop {
            let msg = tokio::select! {
                biased;
                () = sleep_until(until) => return Ok(()),
                msg = self.ws.next() => msg,
            };
            let Some(msg) = msg else {
                return Ok(());
            };
            if let Message::Text(text) = msg? {
                self.shared.record_client_frame(text.as_str());
                bump(&self.shared.counters.early_requests, 1);
                if let Some(reply) = self.venue.refuse(text.as_str(), &self.conn) {
                    self.ws.send(Message::text(reply)).await?;
                }
            }
        }
    }

    /// Whether ticker data may flow now.
    fn data_allowed(&self) -> bool {
        self.online && self.scenario != Scenario::AckedButSilent
    }

    async fn serve(&mut self, query: Option<&str>) -> Result<End, WsError> {
        let connection_id = self.rng.u64((1 << 63)..);
        self.conn.id = connection_id;
        let maintenance =
            (self.scenario == Scenario::Maintenance).then(|| self.venue.maintenance());
        if maintenance == Some(Maintenance::Close) {
            return go_away(&mut self.ws, "maintenance").await;
        }
        // Venues that restart keep streaming until then; only status-style maintenance
        // withholds data.
        self.online = maintenance != Some(Maintenance::Status);
        if let Some(welcome) = self.venue.welcome(query, self.online, connection_id) {
            self.before_welcome().await?;
            self.ws.send(Message::text(welcome)).await?;
        }
        let start = Instant::now();
        let mut upkeep = Upkeep::new(
            &*self.venue,
            maintenance,
            start,
            self.shared.cfg.heartbeat_interval,
        );
        let tick_every = self.shared.cfg.tick_interval.max(Duration::from_millis(1));
        let mut tick = interval_at(start + tick_every, tick_every);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            let subscribed = !self.subs.active.is_empty();
            let streaming = subscribed && self.data_allowed();
            let bursts = self.scenario.bursts();
            let burst = streaming && bursts && !self.limit_reached();
            let online_at = upkeep.online_at();
            let restart_at = upkeep.restart_at();
            let wake = tokio::select! {
                biased;
                m = self.ws.next() => Wake::Message(m),
                () = sleep_until(online_at), if !self.online => Wake::Online,
                () = sleep_until(restart_at.unwrap_or(start)), if restart_at.is_some() => Wake::Restart,
                () = upkeep.keep_alive_due() => Wake::KeepAlive,
                _ = tick.tick(), if streaming && !bursts => Wake::Tick,
                () = std::future::ready(()), if burst => Wake::Burst,
            };
            let flow = match wake {
                Wake::Message(None | Some(Err(_))) => return Ok(End::Drop),
                Wake::Message(Some(Ok(msg))) => self.on_message(msg).await?,
                Wake::Online => {
                    self.online = true;
                    if let Some(status) = self.venue.status(true, connection_id) {
                        self.ws.feed(Message::text(status)).await?;
                    }
                    let all: Vec<(usize, bool)> =
                        self.subs.active.iter().map(|&i| (i, true)).collect();
                    self.snapshots(&all).await?
                }
                Wake::Restart => match upkeep.restart_step(&*self.venue, connection_id) {
                    Step::Notice(notice) => {
                        self.ws.send(Message::text(notice)).await?;
                        None
                    }
                    Step::Close => Some(go_away(&mut self.ws, "service restart").await?),
                },
                Wake::KeepAlive => {
                    if let Some(frame) = keep_alive(&*self.venue, &self.subs, &mut self.conn) {
                        self.ws.send(frame).await?;
                    }
                    None
                }
                Wake::Tick => {
                    let tick = self.ticks;
                    self.ticks += 1;
                    let stalls = self.shared.stalls.load(std::sync::atomic::Ordering::SeqCst);
                    if stalls != self.stalls_seen {
                        self.stalls_seen = stalls;
                        self.stalled.clone_from(&self.subs.active);
                    }
                    let due: Vec<usize> = self
                        .subs
                        .active
                        .iter()
                        .copied()
                        .filter(|&i| self.due(i, tick, tick_every) && !self.stalled.contains(&i))
                        .collect();
                    let mut templates = Vec::with_capacity(due.len());
                    for i in due {
                        templates.extend(self.templates(i, FrameKind::Update));
                    }
                    self.send_live(templates).await?
                }
                Wake::Burst => self.burst_batch().await?,
            };
            if let Some(end) = flow {
                return Ok(end);
            }
        }
    }

    /// The frames of one ticker step of stream `stream`, ready to send.
    fn frame(&mut self, stream: usize, kind: FrameKind, ts: &str) -> Vec<String> {
        self.templates(stream, kind)
            .iter()
            .map(|t| self.venue.stamp(t, ts, &mut self.conn))
            .collect()
    }

    /// The same frames before they are stamped with a time.
    fn templates(&self, stream: usize, kind: FrameKind) -> Vec<Template> {
        let market = &self.shared.market;
        let Some(quote) = market.quote(self.venue.market_of(stream)) else {
            return Vec::new();
        };
        self.venue.tickers(stream, &quote, kind)
    }

    /// Whether `stream` sends on steady tick number `tick` (periodic streams skip ticks).
    fn due(&self, stream: usize, tick: u64, tick_every: Duration) -> bool {
        self.venue.stream_period(stream).is_none_or(|period| {
            let every = (period.as_nanos() / tick_every.as_nanos().max(1)).max(1);
            u128::from(tick) % every == 0
        })
    }

    async fn on_message(&mut self, msg: Message) -> Flow {
        // Binary frames mean nothing to a JSON venue; protocol pings are answered by the
        // WebSocket layer; a close is answered there too and ends the stream.
        let Message::Text(text) = msg else {
            return Ok(None);
        };
        self.shared.record_client_frame(text.as_str());
        let refused = self
            .shared
            .cfg
            .refuse
            .iter()
            .any(|name| text.as_str().contains(name.as_str()))
            .then(|| self.venue.refuse(text.as_str(), &self.conn))
            .flatten();
        if let Some(reply) = refused {
            self.ws.send(Message::text(reply)).await?;
            return Ok(None);
        }
        let now = self.now();
        let inbound = self
            .venue
            .handle(text.as_str(), &self.subs, &mut self.conn, &now);
        match inbound {
            Inbound::Subscribe { replies, add } => {
                bump(&self.shared.counters.subscribes, 1);
                for r in replies {
                    self.ws.feed(Message::text(r)).await?;
                }
                self.subs.active.extend(add.iter().map(|(i, _)| *i));
                let sticky = self
                    .shared
                    .stall_sticky
                    .load(std::sync::atomic::Ordering::SeqCst);
                if !sticky {
                    self.stalled.retain(|i| add.iter().all(|(a, _)| a != i));
                }
                self.ring.clear();
                // A stream stalled for good sends no snapshot either.
                let add: Vec<(usize, bool)> = add
                    .into_iter()
                    .filter(|(i, _)| !self.stalled.contains(i))
                    .collect();
                self.snapshots(&add).await
            }
            Inbound::Unsubscribe { replies, remove } => {
                for r in replies {
                    self.ws.feed(Message::text(r)).await?;
                }
                self.ws.flush().await?;
                self.subs.active.retain(|i| !remove.contains(i));
                self.ring.clear();
                Ok(None)
            }
            Inbound::Ping { reply } => {
                if self.scenario != Scenario::PongNever {
                    self.ws.send(Message::text(reply)).await?;
                    bump(&self.shared.counters.pongs, 1);
                }
                Ok(None)
            }
            Inbound::Invalid { reply } => {
                self.ws.send(Message::text(reply)).await?;
                Ok(None)
            }
        }
    }

    /// Snapshot frames for newly subscribed markets that asked for one (when data may flow).
    async fn snapshots(&mut self, add: &[(usize, bool)]) -> Flow {
        if !self.data_allowed() {
            self.ws.flush().await?;
            return Ok(None);
        }
        let ts = self.now();
        let mut frames = Vec::new();
        for &(i, snap) in add {
            if snap {
                frames.extend(self.frame(i, FrameKind::Snapshot, &ts));
            }
        }
        self.send_tickers(frames).await
    }

    /// Send ticker frames stamped together (snapshots, bursts) in one flush, applying the
    /// frame-count limit, garbage and oversized scenarios.
    async fn send_tickers(&mut self, frames: Vec<String>) -> Flow {
        for frame in frames {
            if self.limit_reached() {
                break;
            }
            self.write_ticker(frame).await?;
        }
        self.ws.flush().await?;
        self.after_tickers().await
    }

    /// Steady updates: each frame is stamped with the clock as it is written and sent on
    /// its own, as a venue publishes events as they happen; the stamp is then the send time
    /// to within the encoding of one timestamp (latency benchmarks rely on it).
    async fn send_live(&mut self, templates: Vec<Template>) -> Flow {
        for template in templates {
            if self.limit_reached() {
                break;
            }
            let now = self.now();
            let frame = self.venue.stamp(&template, &now, &mut self.conn);
            self.write_ticker(frame).await?;
            self.ws.flush().await?;
        }
        self.after_tickers().await
    }

    fn limit_reached(&self) -> bool {
        self.scenario.frame_limit().is_some_and(|n| self.sent >= n)
    }

    /// Queues one ticker frame (and any junk the scenario puts before it).
    async fn write_ticker(&mut self, frame: String) -> Result<(), WsError> {
        if self.scenario == Scenario::Garbage && self.rng.u8(0..5) == 0 {
            let junk = self.garbage(&frame);
            self.ws.feed(junk).await?;
        }
        if self.scenario == Scenario::Oversized
            && !self.oversized_sent
            && self.sent >= OVERSIZED_AFTER
        {
            self.oversized_sent = true;
            self.ws.feed(Message::text(oversized())).await?;
        }
        self.ws.feed(Message::text(frame)).await?;
        self.sent += 1;
        bump(&self.shared.counters.ticker_frames, 1);
        Ok(())
    }

    /// Ends the connection when the scenario's frame limit is reached.
    async fn after_tickers(&mut self) -> Flow {
        if !self.limit_reached() {
            return Ok(None);
        }
        Ok(match self.scenario {
            // The burst is over; heartbeats and requests carry on.
            Scenario::BurstOf(_) => None,
            Scenario::CloseAfter(_) => Some(go_away(&mut self.ws, "going away").await?),
            Scenario::SilentAfter(_) => Some(End::Silent),
            _ => Some(End::Drop),
        })
    }

    /// One malformed frame, of a kind picked at random.
    fn garbage(&mut self, real: &str) -> Message {
        match self.rng.u8(0..4) {
            0 => Message::text("this is not JSON {"),
            1 => Message::text(self.venue.wrong_schema()),
            2 => Message::text(real.get(..real.len() / 2).unwrap_or("{")),
            _ => Message::binary(Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef, 0x00, 0xff])),
        }
    }

    /// One batch of pre-encoded burst frames, stamped with the send time. The ring is
    /// encoded once per subscription set; a batch only copies bytes.
    async fn burst_batch(&mut self) -> Flow {
        if self.ring.is_empty() {
            self.ring = self.build_ring();
            self.ring_pos = 0;
            if self.ring.is_empty() {
                return Ok(None);
            }
        }
        let ts = self.now();
        let len = self.ring.len();
        let frames = (0..BURST_BATCH)
            .map(|k| {
                let t = &self.ring[(self.ring_pos + k) % len];
                self.venue.stamp(t, &ts, &mut self.conn)
            })
            .collect();
        self.ring_pos = (self.ring_pos + BURST_BATCH) % len;
        self.send_tickers(frames).await
    }

    fn build_ring(&self) -> Vec<Template> {
        let market = &self.shared.market;
        let streams: Vec<usize> = self
            .subs
            .active
            .iter()
            .copied()
            .filter(|&i| self.venue.stream_period(i).is_none())
            .collect();
        let n = streams.len().max(1);
        let per = BURST_RING.div_ceil(n);
        let previews: Vec<(usize, Vec<_>)> = streams
            .iter()
            .map(|&i| (i, market.preview(self.venue.market_of(i), per)))
            .collect();
        let mut ring = Vec::with_capacity(per * n);
        for step in 0..per {
            for (i, quotes) in &previews {
                if let Some(q) = quotes.get(step) {
                    ring.extend(self.venue.tickers(*i, q, FrameKind::Update));
                }
            }
        }
        ring
    }
}

/// A 4 MiB text frame that is valid JSON.
fn oversized() -> String {
    let head = "{\"channel\":\"ticker\",\"type\":\"update\",\"data\":[],\"padding\":\"";
    let tail = "\"}";
    let mut s = String::with_capacity(OVERSIZED_BYTES);
    s.push_str(head);
    s.extend(std::iter::repeat_n(
        'x',
        OVERSIZED_BYTES - head.len() - tail.len(),
    ));
    s.push_str(tail);
    s
}
