//! The engine as trading code uses it: only the crate's public API, against the simulator
//! on 127.0.0.1 over a real socket. Stream, add a symbol, drop it, force a reconnect, and
//! read the transitions and ticker events.

use std::sync::Arc;
use std::time::Duration;

use pricewire_core::{
    BuildError, ExchangeId, FeedBuilder, FeedStatus, Snapshot, Store, StoreEvent, StoreLimits,
    SubscribeError,
};
use pricewire_sim::{Scenario, SimConfig, SimServer};

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
    // A store made first and handed over, so no event is missed.
    let store = Store::new(StoreLimits::default());
    let mut events = store.events();
    let feed = FeedBuilder::new(ExchangeId::Kraken)
        .store(Arc::clone(&store))
        .ws_url(sim.ws_url())
        .rest_url(sim.rest_url())
        .symbols(["BTC/USD"])
        .spawn()
        .expect("the feed builds");

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
    let eth = feed.subscribe("eth-usd").expect("Kraken lists ETH/USD");
    assert_eq!(eth.as_str(), "ETH/USD");
    until(&store, "ETH/USD prices", |s| updates(s, "ETH/USD") > 3).await;
    let err = feed
        .subscribe("NOPE/USD")
        .expect_err("unknown symbols are refused");
    assert!(matches!(err, SubscribeError::Symbol(_)), "{err}");

    // Drop it: its row goes, the other streams on.
    feed.unsubscribe("ETH/USD").unwrap();
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
    feed.reconnect().unwrap();
    let snap = until(&store, "a manual reconnect, then connected", |s| {
        let h = &s.feeds[0].history;
        h.iter().any(|t| t.reason == "manual reconnect")
            && h.back().is_some_and(|t| t.to == FeedStatus::Connected)
    })
    .await;
    let names: Vec<&str> = snap.feeds[0].history.iter().map(|t| t.to.name()).collect();
    assert_eq!(names.first(), Some(&"connected"), "{names:?}");
    assert_eq!(sim.stats().ws_sessions, 2, "{names:?}");

    tokio::time::timeout(Duration::from_secs(10), feed.shutdown())
        .await
        .expect("the feed ends on shutdown");
    assert_eq!(store.snapshot().feeds[0].status, FeedStatus::Stopped);
    sim.shutdown().await;
}

/// A malformed address is the caller's to fix: refused before anything connects.
#[test]
fn a_garbage_ws_url_is_refused_when_the_feed_is_built() {
    for url in ["ws://exa mple/v2", "ws//nowhere", "http://example.com/v2"] {
        let err = FeedBuilder::new(ExchangeId::Kraken)
            .ws_url(url)
            .spawn()
            .err()
            .unwrap_or_else(|| panic!("{url} was taken"));
        assert!(
            matches!(
                &err,
                BuildError::BadUrl {
                    which: "WebSocket",
                    ..
                }
            ),
            "{url}: {err}"
        );
        assert!(err.to_string().contains(url), "{err}");
    }
}
