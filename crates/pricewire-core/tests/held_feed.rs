//! A reader of the event tap that must see every event holds the feed back instead of
//! losing events: with `Store::hold_feeds_at`, a feed under a burst larger than the tap
//! stops reading its socket while the reader is behind, and the reader gets every event.

use std::sync::Arc;
use std::time::Duration;

use pricewire_core::{ExchangeId, FeedBuilder, Store, StoreEvent, StoreLimits};
use pricewire_sim::{Scenario, SimConfig, SimServer};
use tokio::sync::broadcast::error::RecvError;

/// More than the tap holds (65,536): without the hold, a reader that waits loses some.
const BURST: u64 = 70_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_feed_waits_for_its_reader_and_nothing_is_lost() {
    let sim = SimServer::start(
        "127.0.0.1:0".parse().unwrap(),
        SimConfig {
            exchange: ExchangeId::Kraken,
            scenario: Scenario::BurstOf(BURST),
            ..SimConfig::default()
        },
    )
    .await
    .expect("the simulator starts");
    let store = Store::new(StoreLimits::default());
    store.hold_feeds_at(1000);
    let feed = FeedBuilder::new(ExchangeId::Kraken)
        .store(Arc::clone(&store))
        .ws_url(sim.ws_url())
        .rest_url(sim.rest_url())
        .symbols(["BTC/USD", "ETH/USD"])
        .spawn()
        .expect("the feed builds");
    // The only reader of the tap: the hold waits for the slowest one.
    let mut events = feed.events();

    // The reader does not read: the feed reads up to the mark and stops there.
    let guard = tokio::time::Instant::now() + Duration::from_secs(60);
    while !store.feeds_held() {
        assert!(
            tokio::time::Instant::now() < guard,
            "hang guard: never held"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let waiting = events.len();
    assert!(
        (1000..1000 + 64 * 4).contains(&waiting),
        "the feed stopped at the mark: {waiting} events wait"
    );

    // Then it reads on as the reader catches up, and every ticker of the burst arrives.
    let mut tickers = 0u64;
    while tickers < BURST {
        match tokio::time::timeout(Duration::from_secs(30), events.recv()).await {
            Ok(Ok(StoreEvent::Ticker(_))) => tickers += 1,
            Ok(Ok(_)) => {}
            Ok(Err(RecvError::Lagged(n))) => panic!("{n} events lost after {tickers} tickers"),
            Ok(Err(RecvError::Closed)) => panic!("the tap closed after {tickers} tickers"),
            Err(elapsed) => panic!("hang guard: {tickers} of {BURST} tickers, then {elapsed}"),
        }
    }
    let snap = store.snapshot();
    let feed_state = snap.feed(ExchangeId::Kraken).map(|f| f.status.clone());
    assert_eq!(
        feed_state,
        Some(pricewire_core::FeedStatus::Connected),
        "held, the feed was not taken for silent"
    );
    feed.shutdown().await;
    sim.shutdown().await;
}
