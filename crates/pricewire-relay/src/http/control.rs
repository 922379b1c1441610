//! The control endpoints, behind a bearer token (compared in constant time, never
//! logged): `POST /v1/symbols` pins symbols in Redis for every relay (mirrored to this
//! relay's state file), each checked against the venue's pair list with suggestions and
//! reported one by one; `DELETE /v1/symbols/{venue}/{symbol}` unpins; `POST
//! /v1/venues/{venue}/reconnect` asks the venue's leader, through Redis, to reconnect
//! (202 with the request's id). Without a configured token they answer 403.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use redis::aio::MultiplexedConnection;
use serde::Deserialize;
use serde_json::json;

use pricewire_core::ExchangeId;

use super::Door;
use super::guard::same_secret;
use super::msg;
use super::rest::{bearer, json_error};
use crate::conn::LinkError;
use crate::control;
use crate::keys::Keys;

/// `None` when the request carries the control token; else the answer.
fn refused(door: &Door, headers: &HeaderMap) -> Option<Response> {
    let Some(token) = &door.settings.control_token else {
        return Some(json_error(
            StatusCode::FORBIDDEN,
            "control_off",
            "control endpoints are off: set [http] control_token (or PRICEWIRE_HTTP_TOKEN)",
        ));
    };
    match bearer(headers) {
        Some(t) if same_secret(t, token) => None,
        Some(_) => Some(json_error(
            StatusCode::UNAUTHORIZED,
            "bad_token",
            "the token is not valid",
        )),
        None => Some(json_error(
            StatusCode::UNAUTHORIZED,
            "token_required",
            "send the control token: Authorization: Bearer …",
        )),
    }
}

/// Run `f` on the shared control connection, connecting first when needed.
async fn with_redis<T>(
    door: &Door,
    f: impl AsyncFnOnce(&mut MultiplexedConnection) -> Result<T, LinkError>,
) -> Result<T, LinkError> {
    let mut slot = door.control.lock().await;
    if slot.is_none() {
        *slot = Some(
            door.target
                .connect(door.connect_timeout, Some(door.connect_timeout))
                .await?,
        );
    }
    let Some(con) = slot.as_mut() else {
        return Err(LinkError::Io("no connection".into()));
    };
    let r = f(con).await;
    if r.as_ref().is_err_and(LinkError::is_link) {
        *slot = None;
    }
    r
}

fn redis_error(e: &LinkError) -> Response {
    json_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "redis",
        &format!("Redis: {e}"),
    )
}

#[derive(Deserialize)]
pub(super) struct AddBody {
    symbols: Vec<String>,
}

pub(super) async fn add_symbols(
    State(door): State<Arc<Door>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(r) = refused(&door, &headers) {
        return r;
    }
    // The body is read as JSON whatever its Content-Type says (`curl -d` sends a form
    // type), so a tool's default does not turn a good request into a refusal.
    let body: AddBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "bad_json",
                &format!(
                    "send {{\"symbols\": [\"kraken:BTC/USD\", …]}} ({})",
                    pricewire_core::sanitize::clean(&e.to_string())
                ),
            );
        }
    };
    if body.symbols.len() > msg::MAX_SYMBOLS_PER_OP {
        return json_error(
            StatusCode::BAD_REQUEST,
            "too_many_symbols",
            &format!("at most {} symbols per request", msg::MAX_SYMBOLS_PER_OP),
        );
    }
    let mut results = Vec::new();
    let mut any = false;
    for typed in &body.symbols {
        let typed = pricewire_core::sanitize::clean(typed.trim());
        let resolved = msg::split_symbol(&typed).and_then(|(venue, sym)| {
            let hub = door.hubs.get(&venue).ok_or_else(|| {
                format!(
                    "this relay does not serve {venue} (it serves {})",
                    door.venue_names()
                )
            })?;
            hub.resolve(sym, Some(usize::MAX))
                .map(|s| (venue, s))
                .map_err(|r| {
                    if r.suggestions.is_empty() {
                        r.error
                    } else {
                        format!(
                            "{}; did you mean {}?",
                            r.error.split("; did you mean").next().unwrap_or_default(),
                            r.suggestions.join(", ")
                        )
                    }
                })
        });
        let (venue, sym) = match resolved {
            Ok(v) => v,
            Err(e) => {
                results.push(json!({"symbol": typed, "ok": false, "error": e}));
                continue;
            }
        };
        let keys = Keys::new(venue);
        match with_redis(&door, async |c| control::pin(c, &keys, &sym).await).await {
            Ok(new) => {
                any = true;
                let saved = door.pins.change(venue.as_str(), &sym, true);
                results.push(json!({
                    "symbol": typed, "ok": true, "pinned": format!("{venue}:{sym}"), "new": new,
                    "state_file": saved.err(),
                }));
            }
            Err(e) => {
                results.push(json!({"symbol": typed, "ok": false, "error": format!("Redis: {e}")}));
            }
        }
    }
    let status = if any || body.symbols.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    (status, Json(json!({"results": results}))).into_response()
}

fn venue_of(door: &Door, venue: &str) -> Result<ExchangeId, Box<Response>> {
    venue
        .parse::<ExchangeId>()
        .ok()
        .filter(|v| door.hubs.contains_key(v))
        .ok_or_else(|| {
            Box::new(json_error(
                StatusCode::NOT_FOUND,
                "unknown_venue",
                &format!(
                    "this relay does not serve {:?} (it serves {})",
                    pricewire_core::sanitize::clean(venue),
                    door.venue_names()
                ),
            ))
        })
}

pub(super) async fn remove_symbol(
    State(door): State<Arc<Door>>,
    headers: HeaderMap,
    Path((venue, symbol)): Path<(String, String)>,
) -> Response {
    if let Some(r) = refused(&door, &headers) {
        return r;
    }
    let venue = match venue_of(&door, &venue) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let typed = pricewire_core::sanitize::clean(symbol.trim_start_matches('/'));
    let sym = door.hubs[&venue]
        .resolve(&typed, Some(usize::MAX))
        .unwrap_or(typed);
    let keys = Keys::new(venue);
    match with_redis(&door, async |c| control::unpin(c, &keys, &sym).await).await {
        Ok(removed) => {
            let saved = door.pins.change(venue.as_str(), &sym, false);
            Json(json!({"symbol": format!("{venue}:{sym}"), "removed": removed, "state_file": saved.err()})).into_response()
        }
        Err(e) => redis_error(&e),
    }
}

pub(super) async fn reconnect(
    State(door): State<Arc<Door>>,
    headers: HeaderMap,
    Path(venue): Path<String>,
) -> Response {
    if let Some(r) = refused(&door, &headers) {
        return r;
    }
    let venue = match venue_of(&door, &venue) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let keys = Keys::new(venue);
    let by = format!("{} (http)", door.relay_id);
    match with_redis(&door, async |c| control::request_reconnect(c, &keys, &by).await).await {
        Ok(id) => (
            StatusCode::ACCEPTED,
            Json(json!({"venue": venue.as_str(), "request_id": id, "message": format!("asked {venue}'s leader to reconnect")})),
        )
            .into_response(),
        Err(e) => redis_error(&e),
    }
}

/// Write the state file's pins back into Redis (at start, and after Redis lost its data).
pub(super) async fn restore_pins(door: &Door) {
    let pins = door.pins.all();
    if pins.is_empty() {
        return;
    }
    for attempt in 0..30u32 {
        let mut failed = None;
        for (venue, sym) in &pins {
            let Ok(ex) = venue.parse::<ExchangeId>() else {
                continue;
            };
            let keys = Keys::new(ex);
            if let Err(e) = with_redis(door, async |c| control::pin(c, &keys, sym).await).await {
                failed = Some(e);
                break;
            }
        }
        match failed {
            None => {
                tracing::info!(
                    pins = pins.len(),
                    "pinned symbols restored from the state file"
                );
                return;
            }
            Some(e) => {
                tracing::warn!(error = %e, "pins not restored yet; retrying");
                let wait = crate::relay::backoff(attempt + 2, std::time::Duration::from_secs(10));
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = door.shutdown.cancelled() => return,
                }
            }
        }
    }
}
