//! [`SimServer`]: one running simulator. Picks the venue, owns the TCP listener (closed
//! while the scenario is `Down`, bound again after), opens in-memory connections, switches
//! scenarios, stalls or drops sessions on request, reports [`SimStats`], and shuts every
//! task down. Each accepted connection goes to `http.rs`.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rust_decimal::Decimal;
use tokio::net::TcpListener;
use tokio::sync::watch;

use pricewire_core::model::ExchangeId;

use super::binance::Binance;
use super::bybit::Bybit;
use super::coinbase::Coinbase;
use super::config::SimConfig;
use super::http;
use super::kraken::Kraken;
use super::kucoin::Kucoin;
use super::okx::Okx;
use super::scenario::Scenario;
use super::shared::Shared;
use super::venue::Venue;

/// The simulator for `exchange`, or why its bundled listing could not be loaded.
fn venue_for(exchange: ExchangeId) -> Result<Arc<dyn Venue>, String> {
    Ok(match exchange {
        ExchangeId::Kraken => Arc::new(Kraken::new()?),
        ExchangeId::Binance => Arc::new(Binance::new()?),
        ExchangeId::Coinbase => Arc::new(Coinbase::new()?),
        ExchangeId::Bybit => Arc::new(Bybit::new()?),
        ExchangeId::Okx => Arc::new(Okx::new()?),
        ExchangeId::Kucoin => Arc::new(Kucoin::new()?),
    })
}

/// Counters since start, for tests and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimStats {
    /// TCP connections accepted plus in-memory connections opened.
    pub connections_accepted: u64,
    /// Completed WebSocket upgrades.
    pub ws_sessions: u64,
    /// Subscribe requests (one per request frame, however many symbols).
    pub subscribe_requests: u64,
    /// Ticker frames (snapshots and updates) handed to sockets.
    pub ticker_frames: u64,
    /// Application-level pings answered.
    pub pings_answered: u64,
    pub rest_requests: u64,
    /// Requests that arrived before the connection's welcome, and were refused.
    pub early_requests: u64,
}

/// A running simulator. Dropping it cancels every task; [`SimServer::shutdown`] also waits.
pub struct SimServer {
    shared: Arc<Shared>,
    addr: Option<SocketAddr>,
    /// `true` while a TCP listener is bound (always `false` in memory).
    listening: watch::Receiver<bool>,
}

/// Buffer of each in-memory connection's pipe: large enough that the burst scenario is
/// not throttled by the pipe itself.
const DUPLEX_BUFFER: usize = 256 * 1024;

impl SimServer {
    /// Bind `listen` (port 0 picks a free port) and serve until shutdown.
    pub async fn start(listen: SocketAddr, cfg: SimConfig) -> io::Result<SimServer> {
        let venue = venue_for(cfg.exchange).map_err(io::Error::other)?;
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let shared = Shared::new(cfg, Some(venue.clone()));
        let (tx, listening) = watch::channel(false);
        let task = Arc::clone(&shared);
        shared
            .tracker
            .spawn(async move { listen_loop(task, venue, addr, Some(listener), tx).await });
        Ok(SimServer {
            shared,
            addr: Some(addr),
            listening,
        })
    }

    /// A simulator with no listener: clients connect through [`SimServer::connect_in_memory`].
    /// A venue whose bundled listing fails to load makes every connect fail with
    /// `Unsupported`.
    pub fn in_memory(cfg: SimConfig) -> SimServer {
        let venue = venue_for(cfg.exchange).ok();
        let (_, listening) = watch::channel(false);
        SimServer {
            shared: Shared::new(cfg, venue),
            addr: None,
            listening,
        }
    }

    /// A client end of a fresh in-memory connection, served by the same HTTP/WebSocket
    /// code as TCP ones. Must be called inside a tokio runtime.
    pub fn connect_in_memory(&self) -> io::Result<tokio::io::DuplexStream> {
        let Some(venue) = self.shared.venue.clone() else {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("the simulator cannot play {}", self.shared.cfg.exchange),
            ));
        };
        if self.shared.scenario() == Scenario::Down || self.shared.root.is_cancelled() {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionRefused,
                "simulator is down",
            ));
        }
        tokio::runtime::Handle::try_current().map_err(io::Error::other)?;
        let (client, server) = tokio::io::duplex(DUPLEX_BUFFER);
        http::serve(&self.shared, venue, server);
        Ok(client)
    }

    pub fn addr(&self) -> Option<SocketAddr> {
        self.addr
    }

    /// The venue's WebSocket URL on this simulator, with the path its clients dial (`/v2`
    /// for Kraken, `/ws` for Binance, `/ws/v5/public` for OKX, `/` for `KuCoin`, whose
    /// clients add the token from `bullet-public`).
    pub fn ws_url(&self) -> String {
        let path = self.shared.venue.as_ref().map_or("/v2", |v| v.ws_path());
        match self.addr {
            Some(a) => format!("ws://{a}{path}"),
            None => format!("ws://sim.invalid{path}"),
        }
    }

    pub fn rest_url(&self) -> String {
        match self.addr {
            Some(a) => format!("http://{a}"),
            None => "http://sim.invalid".to_string(),
        }
    }

    pub fn scenario(&self) -> Scenario {
        self.shared.scenario()
    }

    /// Every open session stops sending updates for the symbols it streams, keeping its
    /// heartbeats and pong answers: a subscription that dies while the connection lives.
    /// A symbol resumes on that session when the client subscribes it again.
    pub fn stall_streams(&self) {
        self.shared.stall_sticky.store(false, Ordering::SeqCst);
        self.shared.stalls.fetch_add(1, Ordering::SeqCst);
    }

    /// As [`SimServer::stall_streams`], but subscribing again does not help: only a new
    /// connection streams again.
    pub fn stall_streams_until_reconnect(&self) {
        self.shared.stall_sticky.store(true, Ordering::SeqCst);
        self.shared.stalls.fetch_add(1, Ordering::SeqCst);
    }

    /// Switch scenario for new connections. Entering `Down` closes the listener and every
    /// connection; leaving it binds the same port again. The listener follows on its own
    /// task: await [`SimServer::settled`] before relying on it.
    pub fn set_scenario(&self, s: Scenario) {
        self.shared.scenario.send_replace(s);
        if s == Scenario::Down {
            self.shared.drop_all();
        }
    }

    /// Wait until the listener matches the scenario: closed when `Down`, bound otherwise.
    /// Returns at once in memory.
    pub async fn settled(&self) {
        if self.addr.is_none() {
            return;
        }
        let mut listening = self.listening.clone();
        let mut scenario = self.shared.scenario.subscribe();
        loop {
            let want = *scenario.borrow_and_update() != Scenario::Down;
            if *listening.borrow_and_update() == want {
                return;
            }
            tokio::select! {
                r = listening.changed() => if r.is_err() { return },
                _ = scenario.changed() => {}
            }
        }
    }

    /// Abruptly close every open WebSocket connection (no close frame: clients see 1006).
    pub fn drop_connections(&self) {
        self.shared.drop_ws();
    }

    pub fn stats(&self) -> SimStats {
        let c = &self.shared.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        SimStats {
            connections_accepted: get(&c.connections),
            ws_sessions: get(&c.ws_sessions),
            subscribe_requests: get(&c.subscribes),
            ticker_frames: get(&c.ticker_frames),
            pings_answered: get(&c.pongs),
            rest_requests: get(&c.rest),
            early_requests: get(&c.early_requests),
        }
    }

    /// The current last-trade price of `symbol` (canonical `BTC/USD` form).
    pub fn price_of(&self, symbol: &str) -> Option<Decimal> {
        let market = &self.shared.market;
        market
            .index_of(symbol)
            .and_then(|i| market.quote(i))
            .map(|q| q.last)
    }

    /// The newest text frames clients sent on any connection (up to 256), oldest first:
    /// what a feed really put on the wire.
    pub fn client_frames(&self) -> Vec<String> {
        self.shared
            .client_frames
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    /// Canonical symbols this simulator streams.
    pub fn symbols(&self) -> Vec<String> {
        self.shared
            .market
            .specs()
            .iter()
            .map(|s| s.symbol.clone())
            .collect()
    }

    /// Cancel every task and wait for all of them to finish.
    pub async fn shutdown(self) {
        self.shared.root.cancel();
        self.shared.tracker.close();
        self.shared.tracker.wait().await;
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.shared.root.cancel();
        self.shared.tracker.close();
    }
}

/// Owns the TCP listener: accepts while the scenario is not `Down`, closes it on `Down`,
/// binds the same address again when `Down` ends.
async fn listen_loop(
    shared: Arc<Shared>,
    venue: Arc<dyn Venue>,
    addr: SocketAddr,
    mut first: Option<TcpListener>,
    listening: watch::Sender<bool>,
) {
    let mut scenario = shared.scenario.subscribe();
    let cancel = shared.root.clone();
    loop {
        if *scenario.borrow_and_update() == Scenario::Down {
            drop(first.take());
            listening.send_replace(false);
            tokio::select! {
                () = cancel.cancelled() => return,
                r = scenario.changed() => if r.is_err() { return },
            }
            continue;
        }
        let listener = match first.take() {
            Some(l) => l,
            None => match TcpListener::bind(addr).await {
                Ok(l) => l,
                Err(e) => {
                    // The port may be briefly held by someone else; keep trying.
                    tracing::warn!("simulator: re-binding {addr} failed: {e}");
                    tokio::select! {
                        () = cancel.cancelled() => return,
                        () = tokio::time::sleep(Duration::from_millis(100)) => continue,
                    }
                }
            },
        };
        listening.send_replace(true);
        loop {
            tokio::select! {
                biased;
                () = cancel.cancelled() => return,
                r = scenario.changed() => {
                    if r.is_err() { return }
                    if *scenario.borrow() == Scenario::Down { break }
                }
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        let _ = stream.set_nodelay(true);
                        http::serve(&shared, venue.clone(), stream);
                    }
                    Err(e) => {
                        // Out of descriptors and the like: back off instead of spinning.
                        tracing::warn!("simulator: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
            }
        }
        drop(listener);
        listening.send_replace(false);
    }
}
