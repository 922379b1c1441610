//! `GET /v1/sse?symbols=kraken:BTC/USD,…`: the same stream one way, as Server-Sent
//! Events (works with `curl -N` and `EventSource`). Each event's `id:` holds every venue's
//! position (`kraken:EPOCH:SEQ,binance:EPOCH:SEQ`), so a reconnect with `Last-Event-ID`
//! resumes; comments (`: heartbeat`) keep proxies from closing an idle stream. When the
//! relay requires a streaming token, the stream takes a single-use `ticket` from
//! `POST /v1/sse/ticket` instead (EventSource cannot send headers). A client that does
//! not take its data for the write timeout is cut off.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;

use pricewire_core::ExchangeId;

use super::metrics::label;
use super::msg::{self, Resume};
use super::outbox::{Client, Item, Transport};
use super::rest::{bearer, json_error, origin_refused};
use super::{Conn, Door};

#[derive(Deserialize)]
pub(super) struct Params {
    symbols: Option<String>,
    ticket: Option<String>,
    last_event_id: Option<String>,
}

/// `POST /v1/sse/ticket` with the streaming (or control) token as a bearer: a ticket for
/// one stream, valid a short while.
pub(super) async fn ticket(State(door): State<Arc<Door>>, headers: HeaderMap) -> Response {
    if door.settings.stream_token.is_some() {
        match bearer(&headers) {
            Some(t) if door.stream_token_ok(t) => {}
            _ => {
                return json_error(
                    StatusCode::UNAUTHORIZED,
                    "bad_token",
                    "a valid bearer token is required",
                );
            }
        }
    }
    axum::Json(json!({
        "ticket": door.tickets.issue(),
        "expires_in": door.tickets.ttl().as_secs(),
    }))
    .into_response()
}

/// Read a `Last-Event-ID`: `venue:epoch:seq` per venue, comma-separated.
pub fn read_event_id(text: &str) -> Vec<Resume> {
    text.split(',')
        .filter_map(|part| {
            let mut it = part.trim().splitn(3, ':');
            let venue: ExchangeId = it.next()?.parse().ok()?;
            let epoch = it.next()?.to_string();
            let seq = it.next()?.parse().ok()?;
            Some(Resume { venue, epoch, seq })
        })
        .take(16)
        .collect()
}

/// The `id:` for these positions.
fn event_id(positions: &BTreeMap<ExchangeId, (Arc<str>, u64)>) -> String {
    positions
        .iter()
        .filter(|(_, (e, _))| {
            e.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(|(v, (e, s))| format!("{v}:{e}:{s}"))
        .collect::<Vec<_>>()
        .join(",")
}

pub(super) async fn stream(
    State(door): State<Arc<Door>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    if let Some(refused) = origin_refused(&door, &headers, Transport::Sse) {
        return refused;
    }
    if door.settings.stream_token.is_some()
        && !params
            .ticket
            .as_deref()
            .is_some_and(|t| door.tickets.redeem(t))
    {
        return json_error(
            StatusCode::UNAUTHORIZED,
            "ticket_required",
            "this relay requires a ticket: POST /v1/sse/ticket with the token, then ?ticket=…",
        );
    }
    let typed: Vec<String> = match &params.symbols {
        Some(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        // Everything watched, for `curl -N …/v1/sse`.
        None => door
            .hubs
            .iter()
            .flat_map(|(v, h)| {
                h.lock()
                    .watched
                    .iter()
                    .map(|s| format!("{v}:{s}"))
                    .collect::<Vec<_>>()
            })
            .take(door.settings.limits.max_subscriptions)
            .collect(),
    };
    if typed.len() > door.settings.limits.max_subscriptions {
        return json_error(
            StatusCode::BAD_REQUEST,
            "too_many_symbols",
            &format!(
                "at most {} symbols per stream",
                door.settings.limits.max_subscriptions
            ),
        );
    }
    let Some(client) = door.clients.admit(Transport::Sse) else {
        door.metrics
            .refused_full
            .get_or_create(&label(Transport::Sse))
            .inc();
        return json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "full",
            "this relay serves its maximum of clients; try another or later",
        );
    };
    door.metrics
        .clients
        .get_or_create(&label(Transport::Sse))
        .inc();
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .or(params.last_event_id.as_deref())
        .map(read_event_id)
        .unwrap_or_default();
    client.push(None, door.hello(false));
    let mut held = BTreeMap::new();
    door.subscribe(&client, &mut held, None, &typed, &resume)
        .await;
    if held.is_empty() {
        // Nothing could be subscribed: the ack says why, as the answer.
        let ack = client
            .drain()
            .pop()
            .map(|(i, _)| i.text.to_string())
            .unwrap_or_default();
        door.leave(&client);
        let mut r = (StatusCode::BAD_REQUEST, ack).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return r;
    }
    let guard = Guard {
        door: Arc::clone(&door),
        client: Arc::clone(&client),
    };
    tokio::spawn(watchdog(Arc::clone(&door), Arc::clone(&client), conn));
    let state = Feed {
        guard,
        positions: BTreeMap::new(),
        beat: tokio::time::interval_at(
            tokio::time::Instant::now() + door.settings.limits.heartbeat,
            door.settings.limits.heartbeat,
        ),
        held: held.values().map(BTreeSet::len).sum(),
    };
    let body = futures_util::stream::unfold(state, |mut s| async move {
        let chunk = s.next().await?;
        Some((Ok::<Bytes, std::convert::Infallible>(chunk), s))
    });
    let mut resp = axum::body::Body::from_stream(body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    resp
}

/// Takes the client off everything when the stream ends (the body was dropped).
struct Guard {
    door: Arc<Door>,
    client: Arc<Client>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.door.leave(&self.client);
    }
}

struct Feed {
    guard: Guard,
    positions: BTreeMap<ExchangeId, (Arc<str>, u64)>,
    beat: tokio::time::Interval,
    held: usize,
}

impl Feed {
    /// The next chunk of events; `None` ends the stream.
    async fn next(&mut self) -> Option<Bytes> {
        let client = Arc::clone(&self.guard.client);
        loop {
            let items = client.drain();
            if !items.is_empty() {
                client.touch();
                return Some(self.events(items));
            }
            tokio::select! {
                () = client.gone.cancelled() => return None,
                () = client.wake.notified() => {}
                _ = self.beat.tick() => {
                    client.touch();
                    if self.held == 0 {
                        // Nothing to stream: say so and end, rather than hold a socket.
                        return None;
                    }
                    return Some(Bytes::from(format!(": heartbeat {}\n\n", pricewire_core::json::ts(chrono::Utc::now()))));
                }
            }
        }
    }

    fn events(&mut self, items: Vec<(Item, u64)>) -> Bytes {
        let mut out = String::new();
        let n = items.len() as u64;
        for (item, coalesced) in items {
            if let Some(p) = &item.position {
                let slot = self
                    .positions
                    .entry(p.venue)
                    .or_insert((Arc::clone(&p.epoch), 0));
                if slot.0 != p.epoch || p.seq > slot.1 {
                    *slot = (Arc::clone(&p.epoch), p.seq);
                }
                out.push_str("id: ");
                out.push_str(&event_id(&self.positions));
                out.push('\n');
            }
            out.push_str("data: ");
            if coalesced > 0 {
                out.push_str(&msg::coalesced(&item.text, coalesced));
            } else {
                out.push_str(&item.text);
            }
            out.push_str("\n\n");
        }
        self.guard
            .door
            .metrics
            .messages_out
            .get_or_create(&label(Transport::Sse))
            .inc_by(n);
        Bytes::from(out)
    }
}

/// Cut off a client that has had data waiting longer than the write timeout (its socket
/// is full: it does not read).
async fn watchdog(door: Arc<Door>, client: Arc<Client>, conn: Conn) {
    let limit = door.settings.limits.write_timeout;
    let step = (limit / 5).max(Duration::from_millis(50));
    loop {
        tokio::select! {
            () = client.gone.cancelled() => break,
            () = tokio::time::sleep(step) => {}
        }
        if client.pending() > 0 && client.since_touch() > limit {
            client.drop_as_slow();
            break;
        }
    }
    conn.drop.cancel();
}
