//! The engine as trading code uses it: only the crate's public API, against the simulator
//! on 127.0.0.1 over a real socket. Stream, add a symbol, drop it, force a reconnect, and
//! read the transitions and ticker events.

use std::sync::Arc;
use std::time::Duration;

use pricewire_core::config::FeedConfig;
use pricewire_core::exchange;
use pricewire_core::feed::command::Command;
use pricewire_core::feed::{self, FeedCtx};
use pricewire_core::model::{ExchangeId, FeedStatus};
use pricewire_core::store::{Snapshot, Store, StoreEvent, StoreLimits};
use pricewire_sim::{Scenario, SimConfig, SimServer};
use tokio_util::sync::CancellationToken;

/// Wait until `pred` holds; a generous bound that only guards against a hang.
async fn until(store: &Store, what: &str, pred: impl Fn(&Snapshot) -> bool) -> Snapshot {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let snap = store.snapshot();
        if pred(&snap) {
            return snap;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "hang guard: no {what} in 30 s; feeds: {:#?}",
            snap.feeds
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn updates(snap: &Snapshot, symbol: &str) -> u64 {
    snap.row(ExchangeId::Kraken, symbol)
        .map_or(0, |r| r.updates)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_add_drop_reconnect_through_the_public_api() {
    let sim = SimServer::start(
        "127.0.0.1:0".parse().unwrap(),
        SimConfig {
            exchange: ExchangeId::Kraken,
            scenario: Scenario::Steady,
            tick_interval: Duration::from_millis(50),
            ..SimConfig::default()
        },
    )
    .await
    .expect("the simulator starts");
    let store = Store::new(StoreLimits::default());
    let mut events = store.events();
    let adapter = exchange::adapter_with(ExchangeId::Kraken, &FeedConfig::default())
        .expect("a Kraken adapter");
    let ctx = FeedCtx::new(
        Arc::from(adapter),
        Arc::clone(&store),
        FeedConfig::default(),
        Some(sim.ws_url()),
        Some(sim.rest_url()),
    );
    let shutdown = CancellationToken::new();
    let (handle, task) = feed::spawn(ctx, vec!["BTC/USD".into()], shutdown.clone());

    // Stream.
    until(&store, "BTC/USD prices", |s| updates(s, "BTC/USD") > 3).await;
    let mut tickers = 0;
    while let Ok(event) = events.try_recv() {
        if let StoreEvent::Ticker(t) = event {
            assert_eq!(t.symbol.as_str(), "BTC/USD");
            assert!(t.last.is_some(), "exact decimals: {t:?}");
            tickers += 1;
        }
    }
    assert!(tickers > 3, "{tickers} ticker events");

    // Add a symbol on the live connection, resolved against the venue's pair list.
    let eth = handle.resolve("eth-usd").expect("Kraken lists ETH/USD");
    handle.send(Command::Add(eth.clone())).unwrap();
    until(&store, "ETH/USD prices", |s| updates(s, "ETH/USD") > 3).await;
    assert!(
        handle.resolve("NOPE/USD").is_err(),
        "unknown symbols are refused"
    );

    // Drop it: its row goes, the other streams on.
    handle.send(Command::Remove(eth)).unwrap();
    let snap = until(&store, "ETH/USD gone", |s| {
        s.row(ExchangeId::Kraken, "ETH/USD").is_none()
    })
    .await;
    let before = updates(&snap, "BTC/USD");
    until(&store, "BTC/USD still streaming", |s| {
        updates(s, "BTC/USD") > before + 3
    })
    .await;

    // Force a reconnect and read it back from the transitions.
    handle.send(Command::Reconnect).unwrap();
    let snap = until(&store, "a manual reconnect, then connected", |s| {
        let h = &s.feeds[0].history;
        h.iter().any(|t| t.reason == "manual reconnect")
            && h.back().is_some_and(|t| t.to == FeedStatus::Connected)
    })
    .await;
    let names: Vec<&str> = snap.feeds[0].history.iter().map(|t| t.to.name()).collect();
    assert_eq!(names.first(), Some(&"connected"), "{names:?}");
    assert_eq!(sim.stats().ws_sessions, 2, "{names:?}");

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the feed ends on shutdown")
        .unwrap();
    assert_eq!(store.snapshot().feeds[0].status, FeedStatus::Stopped);
    sim.shutdown().await;
}

/// A malformed WebSocket address is fatal: the feed stops with why, and does not retry.
#[tokio::test(start_paused = true)]
async fn a_garbage_ws_url_stops_without_retrying() {
    let store = Store::new(StoreLimits::default());
    let adapter = exchange::adapter_with(ExchangeId::Kraken, &FeedConfig::default())
        .expect("a Kraken adapter");
    let ctx = FeedCtx::new(
        Arc::from(adapter),
        Arc::clone(&store),
        FeedConfig::default(),
        Some("ws://exa mple/v2".into()),
        Some("http://127.0.0.1:1".into()),
    );
    let shutdown = CancellationToken::new();
    let (_handle, task) = feed::spawn(ctx, vec!["BTC/USD".into()], shutdown.clone());
    until(&store, "stopped", |s| {
        s.feeds[0].status == FeedStatus::Stopped
    })
    .await;
    tokio::time::sleep(Duration::from_secs(300)).await;
    let snap = store.snapshot();
    let history: Vec<String> = snap.feeds[0]
        .history
        .iter()
        .map(|t| format!("{} → {}: {}", t.from.name(), t.to.name(), t.reason))
        .collect();
    assert_eq!(
        history,
        ["connecting → stopped: bad URL ws://exa mple/v2: not retried; fix the address"],
        "no retry in 5 minutes"
    );
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the feed ends on shutdown")
        .unwrap();
}
