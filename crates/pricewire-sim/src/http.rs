//! One accepted connection through hyper's HTTP/1 server: a GET with `Upgrade: websocket`
//! on a venue WebSocket path becomes a session (`session.rs`), every other request is
//! REST, answered by the venue's routes. Applies the handshake and REST scenarios
//! (`refuse-ws`, `slow-connect`, `rest-429`, `rest-500`); never reads or writes frames.
//! Every reply carries `X-Pricewire-Simulator: 1` ([`SIMULATOR_HEADER`]).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_util::sync::CancellationToken;

use super::scenario::Scenario;
use super::session;
use super::shared::{Shared, bump};
use super::venue::Venue;
use pricewire_core::feed::net::SIMULATOR_HEADER;

/// How long `slow-connect` holds the upgrade response.
pub(super) const SLOW_CONNECT: Duration = Duration::from_mins(1);

/// Largest client message the simulator reads; clients only send small requests.
const MAX_CLIENT_MESSAGE: usize = 1 << 20;

type Body = Full<Bytes>;

/// Serve one accepted byte stream (TCP or in-memory) on a tracked task.
pub(super) fn serve<I>(shared: &Arc<Shared>, venue: Arc<dyn Venue>, io: I)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    bump(&shared.counters.connections, 1);
    let token = shared.http_token();
    let task = Arc::clone(shared);
    shared
        .tracker
        .spawn(async move { serve_connection(task, venue, io, token).await });
}

async fn serve_connection<I>(
    shared: Arc<Shared>,
    venue: Arc<dyn Venue>,
    io: I,
    token: CancellationToken,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req| {
        let shared = Arc::clone(&shared);
        let venue = Arc::clone(&venue);
        async move {
            let mut resp = handle(shared, venue, req).await;
            announce(&mut resp);
            Ok::<_, Infallible>(resp)
        }
    });
    let conn = http1::Builder::new()
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    // Cancelling drops the connection (and any held slow-connect response) abruptly.
    tokio::select! {
        _ = conn => {}
        () = token.cancelled() => {}
    }
}

/// Every reply, REST or upgrade, error or not, says that it comes from the simulator, so
/// no client can take its prices for a real market's.
fn announce(resp: &mut Response<Body>) {
    resp.headers_mut().insert(
        HeaderName::from_static(SIMULATOR_HEADER),
        HeaderValue::from_static("1"),
    );
}

fn reply(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Response<Body> {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

fn wants_websocket(req: &Request<Incoming>) -> bool {
    req.headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|p| p.trim().eq_ignore_ascii_case("websocket"))
        })
}

async fn handle(
    shared: Arc<Shared>,
    venue: Arc<dyn Venue>,
    req: Request<Incoming>,
) -> Response<Body> {
    let scenario = shared.scenario();
    if wants_websocket(&req) {
        return upgrade(shared, venue, req, scenario).await;
    }
    bump(&shared.counters.rest, 1);
    // POST routes are pure and cheap, so they are answered first and dropped again when a
    // REST scenario overrides them; a venue without the route keeps the plain 405.
    let posted = if req.method() == Method::POST {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        match venue.rest_post(req.uri().path(), host, shared.cfg.prescribed_ping) {
            Some(r) => Some(r),
            None => return reply(StatusCode::METHOD_NOT_ALLOWED, "text/plain", "GET only"),
        }
    } else if req.method() != Method::GET {
        return reply(StatusCode::METHOD_NOT_ALLOWED, "text/plain", "GET only");
    } else {
        None
    };
    match scenario {
        Scenario::Rest429 => {
            let mut resp = reply(
                StatusCode::TOO_MANY_REQUESTS,
                "application/json",
                venue.rest_error(429),
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
            return resp;
        }
        Scenario::Rest500 => {
            return reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                "application/json",
                venue.rest_error(500),
            );
        }
        _ => {}
    }
    let answer = posted.or_else(|| venue.rest(req.uri().path(), req.uri().query(), &shared.market));
    match answer {
        Some(r) => reply(
            StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK),
            "application/json",
            r.body,
        ),
        None => reply(
            StatusCode::NOT_FOUND,
            "application/json",
            "{\"error\":[\"EGeneral:Unknown method\"]}",
        ),
    }
}

async fn upgrade(
    shared: Arc<Shared>,
    venue: Arc<dyn Venue>,
    mut req: Request<Incoming>,
    scenario: Scenario,
) -> Response<Body> {
    if req.method() != Method::GET || !venue.is_ws_path(req.uri().path()) {
        return reply(
            StatusCode::NOT_FOUND,
            "text/plain",
            "no WebSocket endpoint here",
        );
    }
    if scenario == Scenario::RefuseWs {
        return reply(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain",
            "Service Unavailable",
        );
    }
    let version_ok = req
        .headers()
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_some_and(|v| v.as_bytes() == b"13");
    let Some(key) = req
        .headers()
        .get(header::SEC_WEBSOCKET_KEY)
        .filter(|_| version_ok)
    else {
        let mut resp = reply(
            StatusCode::BAD_REQUEST,
            "text/plain",
            "WebSocket version 13 with a key required",
        );
        resp.headers_mut().insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        return resp;
    };
    let accept = derive_accept_key(key.as_bytes());
    if scenario == Scenario::SlowConnect {
        // Dropped with the connection if the simulator shuts down meanwhile.
        tokio::time::sleep(SLOW_CONNECT).await;
    }
    let query = req.uri().query().map(str::to_owned);
    let on_upgrade = hyper::upgrade::on(&mut req);
    let token = shared.ws_token();
    let task_shared = Arc::clone(&shared);
    shared.tracker.spawn(async move {
        let upgraded = tokio::select! {
            r = on_upgrade => r,
            () = token.cancelled() => return,
        };
        let Ok(upgraded) = upgraded else { return };
        bump(&task_shared.counters.ws_sessions, 1);
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_CLIENT_MESSAGE))
            .max_frame_size(Some(MAX_CLIENT_MESSAGE));
        let ws =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config))
                .await;
        session::run(task_shared, venue, ws, scenario, query, token).await;
    });
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = resp.headers_mut();
    h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        h.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    resp
}
