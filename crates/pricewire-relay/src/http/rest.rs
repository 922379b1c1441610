//! The read-only endpoints: `/v1/tickers`, `/v1/status`, `/ready` (what a load balancer
//! asks: Redis link up and a snapshot loaded for every venue), `/health` (every venue has
//! a leader with a recent heartbeat and a live connection: 200, else 503 with reasons;
//! quiet markets are healthy, since it is the connection that must be fresh, not every
//! row) and `/metrics`; and the helpers every handler shares (JSON errors, the origin
//! check, the bearer token).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Door;
use super::guard::origin_allowed;
use super::hub::Link;
use super::metrics::label;
use super::outbox::Transport;

/// A JSON error: `{"error": message, "code": code}`.
pub(super) fn json_error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"error": message, "code": code}))).into_response()
}

/// 403 (counted) when the request's `Origin` is not allowed.
pub(super) fn origin_refused(door: &Door, headers: &HeaderMap, t: Transport) -> Option<Response> {
    let get = |h: header::HeaderName| headers.get(h).and_then(|v| v.to_str().ok());
    if origin_allowed(
        get(header::ORIGIN),
        get(header::HOST),
        &door.settings.allowed_origins,
    ) {
        return None;
    }
    door.metrics.origins_rejected.get_or_create(&label(t)).inc();
    Some(json_error(
        StatusCode::FORBIDDEN,
        "origin",
        "this origin may not use the relay (allowed: the page's own and [http] allowed_origins)",
    ))
}

/// The bearer token of a request, if any.
pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

pub(super) async fn not_found() -> Response {
    json_error(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint (see docs/PROTOCOL.md)",
    )
}

pub(super) async fn metrics(State(door): State<Arc<Door>>) -> Response {
    let mut r = door.metrics.render().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    r
}

pub(super) async fn ready(State(door): State<Arc<Door>>) -> Response {
    let reasons: Vec<String> = door
        .hubs
        .values()
        .filter_map(|h| {
            let st = h.lock();
            match (&st.link, st.loaded) {
                (Link::Up, true) => None,
                (Link::Lost { reason, .. }, _) => {
                    Some(format!("{}: relay link lost: {reason}", h.venue))
                }
                _ => Some(format!("{}: no snapshot loaded yet", h.venue)),
            }
        })
        .collect();
    verdict(&reasons, json!({"relay": door.relay_id}))
}

fn verdict(reasons: &[String], mut body: Value) -> Response {
    let ok = reasons.is_empty();
    body["ok"] = json!(ok);
    body["reasons"] = json!(reasons);
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

pub(super) async fn health(State(door): State<Arc<Door>>) -> Response {
    let mut reasons = Vec::new();
    let mut venues = serde_json::Map::new();
    for h in door.hubs.values() {
        let st = h.lock();
        let v = h.state_json(&st);
        let state = v["state"].as_str().unwrap_or_default().to_string();
        if !matches!(state.as_str(), "connected" | "quiet") {
            reasons.push(format!(
                "{}: {state}: {}",
                h.venue,
                v["reason"].as_str().unwrap_or_default()
            ));
        }
        venues.insert(h.venue.as_str().into(), v);
    }
    verdict(&reasons, json!({"relay": door.relay_id, "venues": venues}))
}

#[derive(Deserialize)]
pub(super) struct TickerQuery {
    symbols: Option<String>,
}

pub(super) async fn tickers(
    State(door): State<Arc<Door>>,
    Query(q): Query<TickerQuery>,
) -> Response {
    let only: Option<Vec<String>> = q
        .symbols
        .map(|s| s.split(',').map(|x| x.trim().to_string()).collect());
    // The messages as streamed (same bytes, same key order), in one array.
    let mut out: Vec<String> = Vec::new();
    for (venue, h) in &door.hubs {
        let st = h.lock();
        let mut symbols: Vec<_> = st.latest.keys().cloned().collect();
        symbols.sort();
        for s in symbols {
            if only
                .as_ref()
                .is_some_and(|o| !o.contains(&format!("{venue}:{s}")))
            {
                continue;
            }
            if let Some(text) = st.latest.get(&s) {
                out.push(text.to_string());
            }
        }
    }
    let mut r = format!("{{\"tickers\":[{}]}}", out.join(",")).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

pub(super) async fn status(State(door): State<Arc<Door>>) -> Response {
    let mut venues = Vec::new();
    for (venue, h) in &door.hubs {
        let st = h.lock();
        let mut v = h.state_json(&st);
        let led = door.leading.leads(*venue);
        v["leading"] = json!(led.is_some());
        v["watched"] = json!(st.watched);
        v["client_wants"] = json!(st.client_wants.keys().collect::<Vec<_>>());
        v["counters"] = json!({
            "entries_read": st.entries,
            "gaps": st.gaps,
            "symbols": st.latest.len(),
        });
        if led.is_some() {
            let c = door.leading.counters(*venue);
            v["feed"] = json!({
                "frames_in": c.frames_in,
                "tickers": c.tickers,
                "reconnects": c.reconnects,
                "parse_errors": c.parse_errors,
                "rest_polls": c.rest_polls,
            });
        }
        v["history"] = st
            .history
            .iter()
            .map(|l| json!({"ts": pricewire_core::json::ts(l.at), "message": l.message}))
            .collect();
        venues.push(v);
    }
    Json(json!({
        "relay": door.relay_id,
        "clients": {
            "websocket": door.clients.count(Transport::WebSocket),
            "sse": door.clients.count(Transport::Sse),
        },
        "venues": venues,
    }))
    .into_response()
}
