//! Shared set-up for end-to-end tests: a simulator, a store, and a feed pointed at it.
#![allow(dead_code)]

pub mod scenarios;

use std::sync::Arc;
use std::time::Duration;

use pricewire_core::config::FeedConfig;
use pricewire_core::exchange::kraken::Kraken;
use pricewire_core::feed::FeedBuilder;
use pricewire_core::feed::command::FeedHandle;
use pricewire_core::feed::net::TcpConnector;
use pricewire_core::model::{ExchangeId, FeedStatus};
use pricewire_core::store::{Snapshot, Store};
use pricewire_sim::{Scenario, SimConfig, SimConnector, SimServer};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Timings short enough for tests, long enough to be unambiguous.
pub fn fast_config() -> FeedConfig {
    FeedConfig {
        connect_timeout: Duration::from_secs(2),
        silence: Some(Duration::from_secs(1)),
        pong_timeout: Some(Duration::from_secs(1)),
        ping_interval: Some(Duration::from_millis(500)),
        backoff_initial: Duration::from_millis(100),
        backoff_max: Duration::from_millis(400),
        max_attempts: 3,
        stable: Duration::from_secs(30),
        rest_poll: Duration::from_millis(300),
        rest_timeout: Duration::from_secs(2),
        symbol_silence: Duration::from_millis(1500),
        breaker_threshold: 50,
        ..FeedConfig::default()
    }
}

/// For tests over real sockets that count sessions: watchdogs (silence, pong, per-symbol
/// silence, connect timeout) of 30 s, far beyond any scheduler stall on a loaded machine, so
/// that "exactly one session" fails only when the feed really reconnected. Such tests end
/// on events, never on a sleep.
pub fn patient_config() -> FeedConfig {
    FeedConfig {
        connect_timeout: Duration::from_secs(30),
        silence: Some(Duration::from_secs(30)),
        pong_timeout: Some(Duration::from_secs(30)),
        symbol_silence: Duration::from_secs(30),
        ..fast_config()
    }
}

pub struct Rig {
    pub sim: Arc<SimServer>,
    pub store: Arc<Store>,
    pub handle: FeedHandle,
    pub task: JoinHandle<()>,
    pub shutdown: CancellationToken,
}

pub fn sim_config(exchange: ExchangeId, scenario: Scenario) -> SimConfig {
    SimConfig {
        exchange,
        scenario,
        tick_interval: Duration::from_millis(50),
        ..SimConfig::default()
    }
}

fn feed(
    exchange: ExchangeId,
    sim: Arc<SimServer>,
    cfg: FeedConfig,
    symbols: &[&str],
    in_memory: bool,
) -> Rig {
    let mut builder = FeedBuilder::new(exchange)
        .config(cfg)
        .ws_url(sim.ws_url())
        .rest_url(sim.rest_url())
        .seed(7);
    if in_memory {
        builder = builder.connector(Arc::new(SimConnector::new(Arc::clone(&sim))));
    }
    start(sim, builder, symbols)
}

/// Spawn the feed `builder` describes, watching `symbols`, and wrap it in a rig with `sim`.
pub fn start(sim: Arc<SimServer>, builder: FeedBuilder, symbols: &[&str]) -> Rig {
    let shutdown = CancellationToken::new();
    let feed = builder
        .symbols(symbols.iter().copied())
        .shutdown_on(shutdown.clone())
        .spawn()
        .expect("the feed builds");
    let store = Arc::clone(feed.store());
    let (handle, task) = feed.into_parts();
    Rig {
        sim,
        store,
        handle,
        task,
        shutdown,
    }
}

/// A Kraken feed dialling `ws_url` and `rest_url` through `connector` (real TCP), for
/// venues the test stands up itself; the rig's simulator is an idle one.
pub fn kraken_over(
    connector: TcpConnector,
    ws_url: &str,
    rest_url: &str,
    cfg: FeedConfig,
    symbols: &[&str],
) -> Rig {
    let builder = FeedBuilder::new(ExchangeId::Kraken)
        .adapter(Arc::new(Kraken::default()))
        .config(cfg)
        .ws_url(ws_url)
        .rest_url(rest_url)
        .seed(7)
        .connector(Arc::new(connector));
    let idle = SimServer::in_memory(sim_config(ExchangeId::Kraken, Scenario::Down));
    start(Arc::new(idle), builder, symbols)
}

/// A Kraken feed over real sockets on 127.0.0.1.
pub async fn tcp(scenario: Scenario, cfg: FeedConfig, symbols: &[&str]) -> Rig {
    tcp_for(ExchangeId::Kraken, scenario, cfg, symbols).await
}

/// A feed for `exchange` over real sockets on 127.0.0.1, against that venue's simulator.
pub async fn tcp_for(
    exchange: ExchangeId,
    scenario: Scenario,
    cfg: FeedConfig,
    symbols: &[&str],
) -> Rig {
    let sim = SimServer::start(
        "127.0.0.1:0".parse().unwrap(),
        sim_config(exchange, scenario),
    )
    .await
    .expect("simulator starts");
    feed(exchange, Arc::new(sim), cfg, symbols, false)
}

/// A feed over real sockets on 127.0.0.1 against a simulator set up as `sim_cfg` says.
pub async fn tcp_with(sim_cfg: SimConfig, cfg: FeedConfig, symbols: &[&str]) -> Rig {
    let exchange = sim_cfg.exchange;
    let sim = SimServer::start("127.0.0.1:0".parse().unwrap(), sim_cfg)
        .await
        .expect("simulator starts");
    feed(exchange, Arc::new(sim), cfg, symbols, false)
}

/// A Kraken feed over in-memory pipes (for tests on paused time).
pub fn memory(scenario: Scenario, cfg: FeedConfig, symbols: &[&str]) -> Rig {
    memory_for(ExchangeId::Kraken, scenario, cfg, symbols)
}

/// A feed for `exchange` over in-memory pipes (for tests on paused time).
pub fn memory_for(
    exchange: ExchangeId,
    scenario: Scenario,
    cfg: FeedConfig,
    symbols: &[&str],
) -> Rig {
    let sim = SimServer::in_memory(sim_config(exchange, scenario));
    feed(exchange, Arc::new(sim), cfg, symbols, true)
}

/// A feed against a simulator set up as `sim` says, over in-memory pipes (paused time).
pub fn memory_with(sim: SimConfig, cfg: FeedConfig, symbols: &[&str]) -> Rig {
    let exchange = sim.exchange;
    feed(
        exchange,
        Arc::new(SimServer::in_memory(sim)),
        cfg,
        symbols,
        true,
    )
}

impl Rig {
    /// Wait (bounded) until `pred` holds for a snapshot; panic with the last one if not.
    pub async fn until(&self, secs: u64, what: &str, pred: impl Fn(&Snapshot) -> bool) -> Snapshot {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let snap = self.store.snapshot();
            if pred(&snap) {
                return snap;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}; history: {:#?}\nrows: {:#?}",
                history(&snap),
                snap.rows
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Wait (bounded) for the fault: a transition whose reason contains `reason`. The snapshot returned marks the fault point for
    /// [`Rig::recovered`].
    pub async fn fault(&self, secs: u64, reason: &str) -> Snapshot {
        self.until(secs, reason, |s| fault_at(s, reason).is_some())
            .await
    }

    /// Wait (bounded) for recovery from the fault marked by `fault` (see [`Rig::fault`]): a
    /// transition into `connected` recorded after the fault, the feed connected now, and
    /// more than `more` price updates on `symbol` counted from the fault point.
    pub async fn recovered(
        &self,
        secs: u64,
        fault: &Snapshot,
        symbol: &str,
        more: u64,
    ) -> Snapshot {
        let marks = fault.feeds[0].history.len();
        let before = updates(fault, symbol);
        self.until(secs, "connected again with new prices", |s| {
            status(s) == FeedStatus::Connected
                && s.feeds[0]
                    .history
                    .iter()
                    .skip(marks)
                    .any(|t| t.to == FeedStatus::Connected)
                && updates(s, symbol) > before + more
        })
        .await
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }
}

/// `from → to: reason` lines, oldest first.
pub fn history(snap: &Snapshot) -> Vec<String> {
    snap.feeds
        .iter()
        .flat_map(|f| f.history.iter())
        .map(|t| format!("{} → {}: {}", t.from.name(), t.to.name(), t.reason))
        .collect()
}

pub fn status(snap: &Snapshot) -> FeedStatus {
    snap.feeds[0].status.clone()
}

/// Index in the history of the first transition whose reason contains `reason` (the fault
/// itself: a later "reconnected after …" may repeat the reason).
pub fn fault_at(snap: &Snapshot, reason: &str) -> Option<usize> {
    snap.feeds[0]
        .history
        .iter()
        .position(|t| t.reason.contains(reason))
}

pub fn has_reason(snap: &Snapshot, needle: &str) -> bool {
    history(snap).iter().any(|l| l.contains(needle))
}

fn any_row<'a>(snap: &'a Snapshot, symbol: &str) -> Option<&'a pricewire_core::store::Row> {
    snap.rows.iter().find(|r| r.symbol.as_str() == symbol)
}

pub fn last_of(snap: &Snapshot, symbol: &str) -> Option<String> {
    any_row(snap, symbol)
        .and_then(|r| r.ticker.as_ref())
        .and_then(|t| t.last)
        .map(|d| d.to_string())
}

pub fn updates(snap: &Snapshot, symbol: &str) -> u64 {
    any_row(snap, symbol).map_or(0, |r| r.updates)
}
