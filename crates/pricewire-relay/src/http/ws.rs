//! `GET /v1/stream`: the WebSocket. The upgrade goes through hyper with the tree's own
//! tungstenite, with small buffers so an idle client stays small. One task per client:
//! it reads ops (rate-limited, 4 KiB at most), writes what its outbox holds (5 s at most,
//! else 1013), pings, and closes clients that stop answering, never subscribe, or abuse.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use pricewire_core::ExchangeId;

use super::guard::same_secret;
use super::hub::HubCmd;
use super::metrics::label;
use super::msg::{self, Op, Resume};
use super::outbox::{Client, Item, Transport};
use super::rest::{json_error, origin_refused};
use super::{Door, Limits};

/// The subprotocol a client may offer; a second one, `bearer.TOKEN`, authenticates.
pub const SUBPROTOCOL: &str = "pricewire.v1";

pub(super) async fn upgrade(State(door): State<Arc<Door>>, mut req: Request) -> Response {
    if let Some(refused) = origin_refused(&door, req.headers(), Transport::WebSocket) {
        return refused;
    }
    let h = req.headers();
    let is_upgrade = h
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let version_ok = h
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_some_and(|v| v.as_bytes() == b"13");
    let Some(key) = h
        .get(header::SEC_WEBSOCKET_KEY)
        .filter(|_| is_upgrade && version_ok)
    else {
        let mut r = json_error(
            StatusCode::UPGRADE_REQUIRED,
            "not_websocket",
            "this is a WebSocket endpoint (version 13); for a plain stream use /v1/sse",
        );
        r.headers_mut().insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        return r;
    };
    let accept = derive_accept_key(key.as_bytes());
    // Subprotocols: `pricewire.v1` and optionally `bearer.TOKEN` (browsers cannot set an
    // Authorization header on a WebSocket).
    let offered: Vec<String> = h
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_string())
        .collect();
    let mut authed = door.settings.stream_token.is_none();
    if let Some(token) = offered.iter().find_map(|p| p.strip_prefix("bearer.")) {
        if door.stream_token_ok(token) {
            authed = true;
        } else {
            return json_error(
                StatusCode::UNAUTHORIZED,
                "bad_token",
                "the token is not valid",
            );
        }
    }
    let Some(client) = door.clients.admit(Transport::WebSocket) else {
        door.metrics
            .refused_full
            .get_or_create(&label(Transport::WebSocket))
            .inc();
        return json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "full",
            "this relay serves its maximum of clients; try another or later",
        );
    };
    let on_upgrade = hyper::upgrade::on(&mut req);
    let limits = door.settings.limits.clone();
    let task_door = Arc::clone(&door);
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else {
            task_door.clients.leave(client.id);
            return;
        };
        let config = WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(4096)
            .max_write_buffer_size(1 << 20)
            .max_message_size(Some(limits.max_message_bytes))
            .max_frame_size(Some(limits.max_message_bytes));
        let ws =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config))
                .await;
        Session::new(task_door, client, authed).run(ws).await;
    });
    let mut resp = Response::new(axum::body::Body::empty());
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = resp.headers_mut();
    h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        h.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    if offered.iter().any(|p| p == SUBPROTOCOL) {
        h.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(SUBPROTOCOL),
        );
    }
    resp
}

impl Door {
    pub(super) fn stream_token_ok(&self, token: &str) -> bool {
        [&self.settings.stream_token, &self.settings.control_token]
            .into_iter()
            .flatten()
            .any(|t| same_secret(t, token))
    }

    /// The hello message: protocol version, limits, heartbeat, venues and their states.
    pub(super) fn hello(&self, auth_required: bool) -> Item {
        let venues: Vec<serde_json::Value> = self
            .hubs
            .values()
            .map(|h| {
                let st = h.lock();
                let mut v = h.state_json(&st);
                v["watched"] = json!(st.watched);
                v["history"] = st
                    .history
                    .iter()
                    .map(|l| json!({"ts": pricewire_core::json::ts(l.at), "message": l.message}))
                    .collect();
                v
            })
            .collect();
        let l = &self.settings.limits;
        Item::control(msg::text(&json!({
            "type": "hello",
            "version": msg::VERSION,
            "server": concat!("pricewire ", env!("CARGO_PKG_VERSION")),
            "relay": self.relay_id,
            "heartbeat_ms": l.heartbeat.as_millis() as u64,
            "auth_required": auth_required,
            "limits": {
                "rate_per_sec": l.rate_per_sec,
                "burst": l.burst,
                "max_message_bytes": l.max_message_bytes,
                "max_subscriptions": l.max_subscriptions,
                "idle_timeout_ms": l.idle_timeout.as_millis() as u64,
                "ping_timeout_ms": l.ping_timeout.as_millis() as u64,
                "queue": l.queue,
            },
            "venues": venues,
        })))
    }

    /// Resolve and register `symbols` for `client`, resuming where cursors are given;
    /// the ack (queued first) says what was taken and why the rest was not.
    pub(super) async fn subscribe(
        &self,
        client: &Arc<Client>,
        held: &mut BTreeMap<ExchangeId, BTreeSet<String>>,
        id: Option<u64>,
        typed: &[String],
        resume: &[Resume],
    ) {
        let held_now: usize = held.values().map(BTreeSet::len).sum();
        let mut room = self
            .settings
            .limits
            .max_subscriptions
            .saturating_sub(held_now);
        let mut accepted: Vec<String> = Vec::new();
        let mut rejected = Vec::new();
        let mut per_venue: BTreeMap<ExchangeId, Vec<String>> = BTreeMap::new();
        let wants = self
            .settings
            .allow_client_wants
            .then_some(self.settings.max_client_wants);
        for t in typed {
            let outcome = msg::split_symbol(t).and_then(|(venue, sym)| {
                let hub = self.hubs.get(&venue).ok_or_else(|| {
                    format!(
                        "this relay does not serve {venue} (it serves {})",
                        self.venue_names()
                    )
                })?;
                hub.resolve(sym, wants).map(|s| (venue, s)).map_err(|r| {
                    if r.suggestions.is_empty() {
                        r.error
                    } else {
                        format!("{} (suggestions: {})", r.error, r.suggestions.join(", "))
                    }
                })
            });
            match outcome {
                Ok((venue, sym)) if held.get(&venue).is_some_and(|s| s.contains(&sym)) => {
                    accepted.push(format!("{venue}:{sym}"));
                }
                Ok(_) if room == 0 => rejected.push(json!({
                    "symbol": t,
                    "error": format!("at most {} subscriptions per client", self.settings.limits.max_subscriptions),
                })),
                Ok((venue, sym)) => {
                    room -= 1;
                    accepted.push(format!("{venue}:{sym}"));
                    held.entry(venue).or_default().insert(sym.clone());
                    per_venue.entry(venue).or_default().push(sym);
                }
                Err(e) => rejected.push(json!({"symbol": t, "error": e})),
            }
        }
        client.push(
            None,
            Item::control(msg::text(&json!({
                "type": "ack", "id": id, "op": "subscribe",
                "accepted": accepted, "rejected": rejected,
            }))),
        );
        for (venue, symbols) in per_venue {
            let Some(hub) = self.hubs.get(&venue) else {
                continue;
            };
            let resume = resume
                .iter()
                .find(|r| r.venue == venue)
                .map(|r| (r.epoch.clone(), r.seq));
            hub.send(HubCmd::Subscribe {
                client: Arc::clone(client),
                symbols,
                resume,
            })
            .await;
        }
    }

    pub(super) fn venue_names(&self) -> String {
        self.hubs
            .keys()
            .map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The client went: off every hub and out of the registry.
    pub(super) fn leave(&self, client: &Client) {
        client.gone.cancel();
        for hub in self.hubs.values() {
            super::hub::Hub::unregister(&mut hub.lock(), client.id, None);
        }
        self.clients.leave(client.id);
        let t = label(client.transport);
        self.metrics.clients.get_or_create(&t).dec();
        if client.is_slow() {
            self.metrics.dropped_slow.get_or_create(&t).inc();
        }
    }
}

/// A token bucket: `rate` per second, up to `burst`.
pub(super) struct Bucket {
    tokens: f64,
    at: Instant,
    rate: f64,
    burst: f64,
}

impl Bucket {
    pub(super) fn new(limits: &Limits) -> Self {
        Bucket {
            tokens: limits.burst,
            at: Instant::now(),
            rate: limits.rate_per_sec,
            burst: limits.burst,
        }
    }

    /// Take one token if there is one.
    pub(super) fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.at = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

struct Session {
    door: Arc<Door>,
    client: Arc<Client>,
    authed: bool,
    held: BTreeMap<ExchangeId, BTreeSet<String>>,
    bucket: Bucket,
    refused: u32,
    last_heard: Instant,
    started: Instant,
}

/// How a write went.
enum Wrote {
    /// Everything queued went out.
    All,
    /// The socket did not take it within the write timeout (or its buffer is full).
    Slow,
    /// The connection is gone.
    Broken,
}

/// Why a session ends, and the close frame to send.
type Close = Option<(CloseCode, &'static str)>;

impl Session {
    fn new(door: Arc<Door>, client: Arc<Client>, authed: bool) -> Self {
        let bucket = Bucket::new(&door.settings.limits);
        Session {
            door,
            client,
            authed,
            held: BTreeMap::new(),
            bucket,
            refused: 0,
            last_heard: Instant::now(),
            started: Instant::now(),
        }
    }

    async fn run<S>(mut self, mut ws: WebSocketStream<S>)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let d = Arc::clone(&self.door);
        d.metrics
            .clients
            .get_or_create(&label(Transport::WebSocket))
            .inc();
        self.client.push(None, d.hello(!self.authed));
        let limits = d.settings.limits.clone();
        let mut beat = tokio::time::interval(limits.heartbeat);
        beat.tick().await;
        let close: Close = loop {
            tokio::select! {
                biased;
                () = self.client.gone.cancelled() => break Some((CloseCode::Again, if self.client.is_slow() { "too slow: the queue is full" } else { "the relay is going away" })),
                m = ws.next() => match m {
                    Some(Ok(m)) => {
                        self.last_heard = Instant::now();
                        if let Some(c) = self.inbound(m).await { break c; }
                    }
                    Some(Err(WsError::Capacity(_))) => break Some((CloseCode::Size, "message too big (4 KiB at most)")),
                    Some(Err(_)) | None => break None,
                },
                () = self.client.wake.notified() => match self.write(&mut ws, limits.write_timeout).await {
                    Wrote::All => {}
                    Wrote::Slow => {
                        self.client.drop_as_slow();
                        break Some((CloseCode::Again, "too slow: the client does not take its data"));
                    }
                    Wrote::Broken => break None,
                },
                _ = beat.tick() => {
                    let now = Instant::now();
                    if now.duration_since(self.last_heard) > limits.ping_timeout {
                        break None;
                    }
                    if self.held.is_empty() && now.duration_since(self.started) > limits.idle_timeout {
                        break Some((CloseCode::Policy, "idle: no subscription"));
                    }
                    self.client.push(None, Item::control(msg::heartbeat(chrono::Utc::now())));
                    let _ = tokio::time::timeout(limits.write_timeout, ws.send(Message::Ping(bytes::Bytes::new()))).await;
                }
            }
        };
        if let Some((code, reason)) = close {
            // Whatever is queued (an error frame) goes out first, briefly.
            let _ = self
                .write(&mut ws, std::time::Duration::from_millis(200))
                .await;
            let frame = CloseFrame {
                code,
                reason: reason.into(),
            };
            // The closing handshake: send ours, then read until the client's (or 1 s), so
            // the socket is not closed with unread data (which would reset it and lose
            // the close frame on the way).
            let _ = tokio::time::timeout(std::time::Duration::from_secs(1), async {
                if ws.close(Some(frame)).await.is_ok() {
                    while let Some(Ok(_)) = ws.next().await {}
                }
            })
            .await;
            // A lingering close: after a refused message (too big, unparsable) its unread
            // rest is still in the kernel's buffer, and closing over unread data resets the
            // connection, which can discard the close frame before the client reads it.
            // Half-close, then drain until the client hangs up (1 s at most).
            let _ = tokio::time::timeout(std::time::Duration::from_secs(1), async {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let raw = ws.get_mut();
                let _ = raw.shutdown().await;
                let mut sink = [0u8; 4096];
                while matches!(raw.read(&mut sink).await, Ok(n) if n > 0) {}
            })
            .await;
        }
        d.leave(&self.client);
    }

    /// Write everything queued; false when it took longer than `limit`.
    async fn write<S>(&mut self, ws: &mut WebSocketStream<S>, limit: std::time::Duration) -> Wrote
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let items = self.client.drain();
        if items.is_empty() {
            return Wrote::All;
        }
        let n = items.len() as u64;
        let send = async {
            for (item, coalesced) in items {
                let text = if coalesced > 0 {
                    msg::coalesced(&item.text, coalesced)
                } else {
                    item.text
                };
                ws.feed(Message::Text(text)).await?;
            }
            ws.flush().await
        };
        match tokio::time::timeout(limit, send).await {
            Ok(Ok(())) => {
                self.door
                    .metrics
                    .messages_out
                    .get_or_create(&label(Transport::WebSocket))
                    .inc_by(n);
                Wrote::All
            }
            // Its write buffer is full: the socket has not taken data for a while.
            Ok(Err(WsError::WriteBufferFull(_))) | Err(_) => Wrote::Slow,
            Ok(Err(_)) => Wrote::Broken,
        }
    }

    /// One message from the client; `Some` ends the session.
    async fn inbound(&mut self, m: Message) -> Option<Close> {
        let text = match m {
            Message::Text(t) => t,
            Message::Binary(_) => {
                return self.refuse_or(
                    None,
                    "binary",
                    "binary frames are not accepted: send JSON text",
                );
            }
            Message::Close(_) => return Some(None),
            _ => return None,
        };
        if !self.bucket.take(Instant::now()) {
            self.door
                .metrics
                .rate_limited
                .get_or_create(&label(Transport::WebSocket))
                .inc();
            self.refused += 1;
            if self.refused >= self.door.settings.limits.abuse_after {
                return Some(Some((
                    CloseCode::Policy,
                    "rate limit exceeded again and again",
                )));
            }
            let l = &self.door.settings.limits;
            self.client.push(
                None,
                Item::control(msg::error(
                    None,
                    "rate_limited",
                    &format!(
                        "over {} messages/s (burst {}): this message was ignored",
                        l.rate_per_sec, l.burst
                    ),
                )),
            );
            return None;
        }
        self.refused = 0;
        match msg::parse_op(&text) {
            Err(e) => self.refuse_or(e.id, e.code, &e.message),
            Ok(Op::Ping { id }) => {
                self.client.push(None, Item::control(msg::pong(id)));
                None
            }
            Ok(Op::Auth { id, token }) => {
                if self.door.stream_token_ok(&token) {
                    self.authed = true;
                    self.client.push(
                        None,
                        Item::control(msg::text(&json!({"type": "ack", "id": id, "op": "auth"}))),
                    );
                    None
                } else {
                    self.client.push(
                        None,
                        Item::control(msg::error(id, "bad_token", "the token is not valid")),
                    );
                    Some(Some((CloseCode::Policy, "bad token")))
                }
            }
            Ok(_) if !self.authed => self.refuse_or(
                None,
                "auth_required",
                "send {\"op\":\"auth\",\"token\":\"…\"} first",
            ),
            Ok(Op::Subscribe {
                id,
                symbols,
                resume,
            }) => {
                let d = Arc::clone(&self.door);
                d.subscribe(&self.client, &mut self.held, id, &symbols, &resume)
                    .await;
                None
            }
            Ok(Op::Unsubscribe { id, symbols }) => {
                let mut done = Vec::new();
                let mut per_venue: BTreeMap<ExchangeId, Vec<String>> = BTreeMap::new();
                for t in &symbols {
                    let Ok((venue, sym)) = msg::split_symbol(t) else {
                        continue;
                    };
                    let Some(hub) = self.door.hubs.get(&venue) else {
                        continue;
                    };
                    let canonical = hub
                        .resolve(sym, Some(usize::MAX))
                        .unwrap_or_else(|_| sym.to_string());
                    if self
                        .held
                        .get_mut(&venue)
                        .is_some_and(|s| s.remove(&canonical))
                    {
                        done.push(format!("{venue}:{canonical}"));
                        per_venue.entry(venue).or_default().push(canonical);
                    }
                }
                self.held.retain(|_, s| !s.is_empty());
                for (venue, symbols) in per_venue {
                    if let Some(hub) = self.door.hubs.get(&venue) {
                        hub.send(HubCmd::Unsubscribe {
                            client: Arc::clone(&self.client),
                            symbols,
                        })
                        .await;
                    }
                }
                self.client.push(
                    None,
                    Item::control(msg::text(
                        &json!({"type": "ack", "id": id, "op": "unsubscribe", "accepted": done}),
                    )),
                );
                None
            }
        }
    }

    /// Answer a bad message with an error frame (the session goes on).
    fn refuse_or(&mut self, id: Option<u64>, code: &str, message: &str) -> Option<Close> {
        self.client
            .push(None, Item::control(msg::error(id, code, message)));
        None
    }
}
