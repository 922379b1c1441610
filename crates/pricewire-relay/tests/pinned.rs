//! A watchlist kept in the relays' pinned sets, on a real redis-server and the simulator:
//! each save replaces every venue's set, the leader carries what is pinned at once, and a
//! save made while Redis is away lands once it is back.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use pricewire_core::{ExchangeId, WatchlistStore};
use pricewire_relay::control::{self, PinnedSet};
use pricewire_relay::testkit::RedisServer;
use pricewire_relay::{Keys, relay};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Wait (at most 10 s) until save `n` reached Redis.
async fn saved(set: &PinnedSet, n: u64) {
    let mut rx = set.saved();
    tokio::time::timeout(Duration::from_secs(10), rx.wait_for(|s| *s >= n))
        .await
        .unwrap_or_else(|_| panic!("hang guard: save {n} not written in 10 s"))
        .unwrap();
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watchlist_saved_to_the_pinned_sets_is_carried_by_the_leader() {
    let mut server = RedisServer::start();
    let sim = sim().await;
    let kraken = Keys::new(ExchangeId::Kraken);
    let binance = Keys::new(ExchangeId::Binance);
    let mut con = target(&server)
        .connect(Duration::from_secs(2), Some(Duration::from_secs(2)))
        .await
        .unwrap();
    // Pinned earlier by someone else: a save replaces it.
    control::pin(&mut con, &binance, "DOGE/USDT").await.unwrap();
    let stop = CancellationToken::new();
    let a = tokio::spawn(relay::run(
        relay_settings("relay-a", target(&server), &sim),
        stop.clone(),
    ));

    let mut pinned = PinnedSet::spawn(
        target(&server),
        vec![ExchangeId::Kraken, ExchangeId::Binance],
    );
    pinned.save(&[
        (ExchangeId::Kraken, "BTC/USD".into()),
        (ExchangeId::Kraken, "ETH/USD".into()),
    ]);
    saved(&pinned, 1).await;
    assert_eq!(
        control::pinned(&mut con, &kraken).await.unwrap(),
        set(&["BTC/USD", "ETH/USD"])
    );
    assert_eq!(
        control::pinned(&mut con, &binance).await.unwrap(),
        set(&[]),
        "a venue with nothing in the list is emptied"
    );

    // The leader carries ETH/USD, which only the pinned set asks for.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let line: Option<String> = redis::cmd("HGET")
            .arg(&kraken.latest)
            .arg("ETH/USD")
            .query_async(&mut con)
            .await
            .unwrap();
        if line.is_some_and(|l| l.starts_with("{\"type\":\"ticker\"")) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "hang guard: no ETH/USD ticker in 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.cancel();
    a.await.unwrap();

    // Saved while Redis is away: written once it is back (empty, so only this save).
    server.kill();
    pinned.save(&[(ExchangeId::Kraken, "SOL/USD".into())]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        *pinned.saved().borrow(),
        1,
        "nothing written while Redis is away"
    );
    server.restart();
    saved(&pinned, 2).await;
    let mut con = target(&server)
        .connect(Duration::from_secs(2), Some(Duration::from_secs(2)))
        .await
        .unwrap();
    assert_eq!(
        control::pinned(&mut con, &kraken).await.unwrap(),
        set(&["SOL/USD"])
    );
    sim.shutdown().await;
}
