//! Shared parts of the relay's end-to-end tests: a simulated Kraken, relay settings with a
//! 1 s lease, a reader writing into a store, and waiting for a condition with a deadline.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use pricewire_core::store::Snapshot;
use pricewire_core::{ExchangeId, FeedStatus, Store, StoreLimits};
use pricewire_relay::consumer::{self, ConsumerSettings, VenueWatch};
use pricewire_relay::relay::{RelaySettings, VenueSettings};
use pricewire_relay::testkit::RedisServer;
use pricewire_relay::{LeaseTiming, RedisTarget};
use pricewire_sim::{SimConfig, SimServer};
use tokio_util::sync::CancellationToken;

pub async fn sim() -> SimServer {
    SimServer::start(
        "127.0.0.1:0".parse().unwrap(),
        SimConfig {
            exchange: ExchangeId::Kraken,
            tick_interval: Duration::from_millis(50),
            ..SimConfig::default()
        },
    )
    .await
    .unwrap()
}

pub fn target(server: &RedisServer) -> RedisTarget {
    RedisTarget::parse(&server.url(), None).unwrap()
}

/// A relay for Kraken on the simulator, carrying BTC/USD itself, with a 1 s lease.
pub fn relay_settings(id: &str, target: RedisTarget, sim: &SimServer) -> RelaySettings {
    let mut s = RelaySettings::new(
        id,
        target,
        vec![VenueSettings {
            exchange: ExchangeId::Kraken,
            symbols: vec!["BTC/USD".into()],
            ws_url: Some(sim.ws_url()),
            rest_url: Some(sim.rest_url()),
            quote_aliases: Vec::new(),
        }],
    );
    s.lease = LeaseTiming::new(Duration::from_secs(1));
    s.connect_timeout = Duration::from_secs(1);
    s
}

/// A reader of Kraken's BTC/USD and ETH/USD writing into a fresh store.
pub async fn reader(target: RedisTarget, stop: &CancellationToken) -> Arc<Store> {
    let store = Store::new(StoreLimits::default());
    consumer::start(
        ConsumerSettings {
            target,
            id: consumer::new_id(),
            venues: vec![VenueWatch {
                exchange: ExchangeId::Kraken,
                symbols: vec!["BTC/USD".into(), "ETH/USD".into()],
                quote_aliases: Vec::new(),
            }],
            connect_timeout: Duration::from_secs(1),
        },
        Arc::clone(&store),
        stop.clone(),
    )
    .await
    .unwrap();
    store
}

/// Wait until `f` holds for a snapshot of `store`, at most `secs`.
pub async fn until(
    store: &Store,
    secs: u64,
    what: &str,
    f: impl Fn(&Snapshot) -> bool,
) -> Snapshot {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let snap = store.snapshot();
        if f(&snap) {
            return snap;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} within {secs} s; the store: {:#?}",
            snap.feeds
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn status(snap: &Snapshot) -> Option<FeedStatus> {
    snap.feed(ExchangeId::Kraken).map(|f| f.status.clone())
}

pub fn term(snap: &Snapshot) -> u64 {
    snap.feed(ExchangeId::Kraken)
        .and_then(|f| f.relay.as_ref())
        .map_or(0, |r| r.term)
}

pub fn leader(snap: &Snapshot) -> String {
    snap.feed(ExchangeId::Kraken)
        .and_then(|f| f.relay.as_ref())
        .map(|r| r.leader.clone())
        .unwrap_or_default()
}

/// The BTC/USD row's number of updates.
pub fn updates(snap: &Snapshot) -> u64 {
    snap.row(ExchangeId::Kraken, "BTC/USD")
        .map_or(0, |r| r.updates)
}
