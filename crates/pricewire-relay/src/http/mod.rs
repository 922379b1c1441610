//! The relay's front door: one HTTP listener (`--http 127.0.0.1:8080`) on every relay,
//! leader or standby, serving the shared feed it reads from Redis to browsers and tools.
//! TLS is left to a reverse proxy (docs/PROTOCOL.md has an nginx example).
//!
//! ```text
//! accept loop (this file) ── hyper http1, one task per connection, capped
//!   └── router (axum + tower layers)
//!        ├── /v1/stream ── ws.rs   (WebSocket: ops in, updates out)   ┐ each client: outbox.rs
//!        ├── /v1/sse    ── sse.rs  (Server-Sent Events)              ┘ (queue, then coalescing)
//!        ├── /v1/tickers /v1/status /health /ready /metrics ── rest.rs, metrics.rs
//!        ├── /v1/symbols /v1/venues/{venue}/reconnect ── control.rs (bearer token)
//!        └── / /app.js /app.css ── page.rs (embedded, no build step)
//! hubs: one per venue (hub.rs, hub_run.rs): one Redis reader each, fan-out of shared bytes
//! ```
//! Never touches the venue connections: those are the leader's (`relay`).

pub mod clients;
mod control;
pub mod guard;
pub mod hub;
mod hub_run;
pub mod metrics;
pub mod msg;
pub mod outbox;
mod page;
mod pins;
mod rest;
mod sse;
mod ws;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{delete, get, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use pricewire_core::ExchangeId;

use crate::conn::RedisTarget;
use crate::leading::Leading;
use crate::relay::RelaySettings;
use clients::Clients;
use guard::{Origin, Tickets};
use hub::Hub;
use metrics::Metrics;

/// Writes a file whole or not at all (temp file, sync, rename): the binary's saver.
pub type Saver = Arc<dyn Fn(&Path, &str) -> std::io::Result<()> + Send + Sync>;

/// Limits of the front door; every one is in docs/PROTOCOL.md.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Streaming clients (WebSocket and SSE together); the next gets 503.
    pub max_clients: usize,
    /// Client messages per second, sustained.
    pub rate_per_sec: f64,
    /// Client messages at once.
    pub burst: f64,
    /// Messages refused in a row before the connection is closed (1008).
    pub abuse_after: u32,
    /// The largest client message (bytes); larger closes with 1009.
    pub max_message_bytes: usize,
    /// Symbols one client may hold.
    pub max_subscriptions: usize,
    /// A client that has not subscribed (or authenticated) by then is closed.
    pub idle_timeout: Duration,
    /// Server heartbeats (and WebSocket pings) this often.
    pub heartbeat: Duration,
    /// Nothing from a WebSocket client (not even a pong) for this long closes it.
    pub ping_timeout: Duration,
    /// Items queued per client before updates coalesce.
    pub queue: usize,
    /// A write (or an SSE client not taking its data) longer than this closes (1013).
    pub write_timeout: Duration,
    /// Missed updates replayed on resume at most; beyond, a fresh snapshot.
    pub max_replay: u64,
    /// SO_SNDBUF for accepted sockets (`None`: the system's).
    pub send_buffer: Option<usize>,
    /// How long an SSE ticket is valid.
    pub ticket_ttl: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_clients: 5000,
            rate_per_sec: 50.0,
            burst: 100.0,
            abuse_after: 100,
            max_message_bytes: 4096,
            max_subscriptions: 100,
            idle_timeout: Duration::from_secs(30),
            heartbeat: Duration::from_secs(15),
            ping_timeout: Duration::from_secs(45),
            queue: 256,
            write_timeout: Duration::from_secs(5),
            max_replay: 10_000,
            send_buffer: None,
            ticket_ttl: Duration::from_secs(30),
        }
    }
}

/// Everything the front door runs with.
#[derive(Clone)]
pub struct HttpSettings {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Browser origins allowed besides the page's own.
    pub allowed_origins: Vec<Origin>,
    /// Bearer token of the control endpoints (`None`: they answer 403).
    pub control_token: Option<String>,
    /// Token streams must present (`None`: streams are open).
    pub stream_token: Option<String>,
    /// Clients may subscribe to symbols nobody watches (leased as wants for them).
    pub allow_client_wants: bool,
    /// Symbols per venue clients may add that way.
    pub max_client_wants: usize,
    /// The limits.
    pub limits: Limits,
    /// Where pinned symbols are mirrored (restored after Redis loses its data).
    pub state_file: Option<PathBuf>,
    /// How the state file is written.
    pub saver: Option<Saver>,
}

impl std::fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSettings")
            .field("listen", &self.listen)
            .field("allowed_origins", &self.allowed_origins)
            .field("control_token", &self.control_token.as_ref().map(|_| "***"))
            .field("stream_token", &self.stream_token.as_ref().map(|_| "***"))
            .field("allow_client_wants", &self.allow_client_wants)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl HttpSettings {
    /// Defaults, listening on `listen`.
    pub fn new(listen: SocketAddr) -> Self {
        HttpSettings {
            listen,
            allowed_origins: Vec::new(),
            control_token: None,
            stream_token: None,
            allow_client_wants: false,
            max_client_wants: 50,
            limits: Limits::default(),
            state_file: None,
            saver: None,
        }
    }
}

/// What every handler shares.
pub(crate) struct Door {
    pub settings: HttpSettings,
    pub relay_id: String,
    pub target: RedisTarget,
    pub connect_timeout: Duration,
    pub hubs: BTreeMap<ExchangeId, Arc<Hub>>,
    pub clients: Arc<Clients>,
    pub metrics: Arc<Metrics>,
    pub leading: Arc<Leading>,
    pub tickets: Tickets,
    pub control: tokio::sync::Mutex<Option<redis::aio::MultiplexedConnection>>,
    pub pins: pins::Pins,
    pub quote_aliases: BTreeMap<ExchangeId, Vec<(String, String)>>,
    pub shutdown: CancellationToken,
}

/// Per connection: a token that drops the connection (a stuck SSE client).
#[derive(Clone)]
pub(crate) struct Conn {
    pub drop: CancellationToken,
}

/// A running front door.
pub struct FrontDoor {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl FrontDoor {
    /// Where it listens (with the port the system chose for `:0`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Wait until it has stopped (after the shutdown token was cancelled).
    pub async fn stopped(self) {
        let _ = self.task.await;
    }
}

/// Bind and serve until `shutdown`: a hub per venue of `relay`, then the listener.
pub async fn start(
    settings: HttpSettings,
    relay: &RelaySettings,
    shutdown: CancellationToken,
) -> std::io::Result<FrontDoor> {
    let listener = TcpListener::bind(settings.listen).await?;
    let addr = listener.local_addr()?;
    let limits = settings.limits.clone();
    let clients = Arc::new(Clients::new(limits.max_clients, limits.queue));
    let mut hubs = BTreeMap::new();
    let mut receivers = Vec::new();
    for v in &relay.venues {
        let (hub, rx) = Hub::new(v.exchange, Arc::clone(&clients));
        hubs.insert(v.exchange, Arc::clone(&hub));
        receivers.push((hub, rx));
    }
    let metrics = Arc::new(Metrics::new(
        hubs.values().cloned().collect(),
        Arc::clone(&relay.leading),
        Arc::clone(&relay.stats),
    ));
    let pins = pins::Pins::load(settings.state_file.clone(), settings.saver.clone());
    let door = Arc::new(Door {
        tickets: Tickets::new(limits.ticket_ttl),
        relay_id: relay.id.clone(),
        target: relay.target.clone(),
        connect_timeout: relay.connect_timeout,
        hubs,
        clients,
        metrics: Arc::clone(&metrics),
        leading: Arc::clone(&relay.leading),
        control: tokio::sync::Mutex::new(None),
        pins,
        quote_aliases: relay
            .venues
            .iter()
            .map(|v| (v.exchange, v.quote_aliases.clone()))
            .collect(),
        shutdown: shutdown.clone(),
        settings,
    });
    for (hub, rx) in receivers {
        let restore_door = Arc::clone(&door);
        let env = hub_run::HubEnv {
            target: relay.target.clone(),
            connect_timeout: relay.connect_timeout,
            wants_id: format!("{}-web", relay.id),
            quote_aliases: door
                .quote_aliases
                .get(&hub.venue)
                .cloned()
                .unwrap_or_default(),
            max_replay: limits.max_replay,
            on_push: {
                let m = Arc::clone(&metrics);
                Arc::new(move |t, p| m.pushed(t, p))
            },
            leading: Arc::clone(&relay.leading),
            on_new_epoch: Arc::new(move || {
                let d = Arc::clone(&restore_door);
                tokio::spawn(async move { control::restore_pins(&d).await });
            }),
        };
        tokio::spawn(hub_run::run(hub, env, rx, shutdown.clone()));
    }
    {
        let d = Arc::clone(&door);
        tokio::spawn(async move { control::restore_pins(&d).await });
    }
    let task = tokio::spawn(accept(listener, door, shutdown));
    tracing::info!(%addr, "front door listening");
    Ok(FrontDoor { addr, task })
}

fn router(door: Arc<Door>) -> Router {
    use tower_http::limit::RequestBodyLimitLayer;
    use tower_http::timeout::TimeoutLayer;
    let plain = Router::new()
        .route("/", get(page::index))
        .route("/app.js", get(page::script))
        .route("/app.css", get(page::style))
        .route("/health", get(rest::health))
        .route("/ready", get(rest::ready))
        .route("/metrics", get(rest::metrics))
        .route("/v1/tickers", get(rest::tickers))
        .route("/v1/status", get(rest::status))
        .route("/v1/sse/ticket", post(sse::ticket))
        .route("/v1/symbols", post(control::add_symbols))
        .route(
            "/v1/symbols/{venue}/{*symbol}",
            delete(control::remove_symbol),
        )
        .route("/v1/venues/{venue}/reconnect", post(control::reconnect))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(10),
        ));
    let streams = Router::new()
        .route("/v1/stream", get(ws::upgrade))
        .route("/v1/sse", get(sse::stream));
    plain
        .merge(streams)
        .fallback(rest::not_found)
        .layer(RequestBodyLimitLayer::new(64 * 1024))
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                // The path only: a query may hold a ticket, and tokens are never logged.
                |req: &axum::http::Request<_>| {
                    tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
                },
            ),
        )
        .with_state(door)
}

async fn accept(listener: TcpListener, door: Arc<Door>, shutdown: CancellationToken) {
    let app = router(Arc::clone(&door));
    // HTTP connections at most: every streaming client, and room to tell the next ones 503.
    let permits = Arc::new(tokio::sync::Semaphore::new(
        door.settings.limits.max_clients + 256,
    ));
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        if let Some(n) = door.settings.limits.send_buffer {
            let _ = socket2::SockRef::from(&stream).set_send_buffer_size(n);
        }
        tracing::trace!(%peer, "connection");
        let conn = Conn {
            drop: CancellationToken::new(),
        };
        let app = app.clone();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let dropper = conn.drop.clone();
            let svc = hyper::service::service_fn(
                move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(conn.clone());
                    app.clone().oneshot(req)
                },
            );
            let served = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(stream), svc)
                .with_upgrades();
            tokio::pin!(served);
            tokio::select! {
                _ = &mut served => {}
                () = dropper.cancelled() => {}
                () = stop.cancelled() => {
                    served.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(2), served).await;
                }
            }
        });
    }
    // Tell streaming clients the relay is going away.
    for c in door.clients.all() {
        c.gone.cancel();
    }
}

/// The address to print for people: `http://127.0.0.1:8080/`.
pub fn page_url(addr: SocketAddr) -> String {
    format!("http://{addr}/")
}

/// Every TCP listener's port the system picked, for tests (`:0`).
pub fn listen_any() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}
