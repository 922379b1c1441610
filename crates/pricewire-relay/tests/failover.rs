//! Relays and readers in one process, on a real redis-server and the simulator: the shared
//! feed reaches a reader's store; a frozen leader's writes are refused in Redis once a
//! standby took over; a released lease is taken at once; Redis restarted under everyone.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use pricewire_core::{ExchangeId, FeedStatus};
use pricewire_relay::testkit::RedisServer;
use pricewire_relay::{Freeze, Keys, reader, relay};
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_draws_the_relays_tickers_state_leader_and_term() {
    let server = RedisServer::start();
    let sim = sim().await;
    let stop = CancellationToken::new();
    let a = tokio::spawn(relay::run(
        relay_settings("relay-a", target(&server), &sim),
        stop.clone(),
    ));
    let store = reader(target(&server), &stop).await;
    let snap = until(&store, 10, "tickers from the relay", |s| {
        updates(s) > 2 && status(s) == Some(FeedStatus::Connected)
    })
    .await;
    assert_eq!((leader(&snap), term(&snap)), ("relay-a".to_string(), 1));
    let feed = snap.feed(ExchangeId::Kraken).unwrap();
    assert!(feed.simulated, "the simulator's prices stay marked as such");
    // ETH/USD was wanted by the reader alone: the leader picked it up.
    until(&store, 10, "ETH/USD carried on demand", |s| {
        s.row(ExchangeId::Kraken, "ETH/USD")
            .is_some_and(|r| r.updates > 0)
    })
    .await;
    stop.cancel();
    a.await.unwrap();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_leaders_writes_are_refused_once_a_standby_took_over() {
    let server = RedisServer::start();
    let sim = sim().await;
    let stop = CancellationToken::new();
    let freeze = Arc::new(Freeze::default());
    let mut sa = relay_settings("relay-a", target(&server), &sim);
    sa.freeze = Some(Arc::clone(&freeze));
    let stats_a = Arc::clone(&sa.stats);
    let a = tokio::spawn(relay::run(sa, stop.clone()));
    let store = reader(target(&server), &stop).await;
    until(&store, 10, "relay-a leads", |s| {
        updates(s) > 0 && leader(s) == "relay-a"
    })
    .await;
    let b = tokio::spawn(relay::run(
        relay_settings("relay-b", target(&server), &sim),
        stop.clone(),
    ));
    // Watch the reader's term: it must never go down.
    let watch_store = Arc::clone(&store);
    let watcher = tokio::spawn(async move {
        let mut highest = 0;
        for _ in 0..400 {
            let t = term(&watch_store.snapshot());
            assert!(
                t >= highest,
                "the reader's term went from {highest} down to {t}"
            );
            highest = t;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    freeze.freeze();
    freeze.parked().await;
    until(&store, 10, "relay-b takes over", |s| {
        leader(s) == "relay-b" && term(s) == 2
    })
    .await;
    let fenced_before = stats_a.fenced.load(Ordering::Relaxed);
    freeze.thaw();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while stats_a.fenced.load(Ordering::Relaxed) == fenced_before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "relay-a's resumed write was refused"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Redis counted the refusal; every entry in the stream is in term order.
    let mut con = target(&server)
        .connect(Duration::from_secs(1), Some(Duration::from_secs(1)))
        .await
        .unwrap();
    let keys = Keys::new(ExchangeId::Kraken);
    let fenced: u64 = redis::cmd("HGET")
        .arg(&keys.stats)
        .arg("fenced")
        .query_async(&mut con)
        .await
        .unwrap();
    assert!(fenced >= 1);
    let entries = reader::range(&mut con, &keys, 1, u64::MAX / 2)
        .await
        .unwrap();
    assert!(
        entries
            .windows(2)
            .all(|w| w[0].seq + 1 == w[1].seq && w[0].term <= w[1].term)
    );
    assert!(entries.iter().any(|e| e.term == 2 && e.leader == "relay-b"));
    watcher.await.unwrap();
    stop.cancel();
    a.await.unwrap();
    b.await.unwrap();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_lease_is_taken_at_once_with_one_failover_line() {
    let server = RedisServer::start();
    let sim = sim().await;
    let stop_a = CancellationToken::new();
    let stop = CancellationToken::new();
    let a = tokio::spawn(relay::run(
        relay_settings("relay-a", target(&server), &sim),
        stop_a.clone(),
    ));
    let store = reader(target(&server), &stop).await;
    until(&store, 10, "relay-a leads", |s| {
        leader(s) == "relay-a" && updates(s) > 0
    })
    .await;
    let mut sb = relay_settings("relay-b", target(&server), &sim);
    // A long lease: only the release can hand over within the wait below.
    sb.lease = pricewire_relay::LeaseTiming::new(Duration::from_secs(30));
    let b = tokio::spawn(relay::run(sb, stop.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop_a.cancel();
    a.await.unwrap();
    let snap = until(&store, 3, "relay-b leads after the release", |s| {
        leader(s) == "relay-b" && term(s) == 2
    })
    .await;
    let history: Vec<String> = snap
        .feed(ExchangeId::Kraken)
        .unwrap()
        .history
        .iter()
        .map(|t| t.reason.clone())
        .collect();
    let lines: Vec<&String> = history
        .iter()
        .filter(|r| r.starts_with("leader relay-b took over"))
        .collect();
    assert_eq!(lines.len(), 1, "{history:#?}");
    assert_eq!(
        lines[0],
        "leader relay-b took over kraken, term 2: relay-a released it"
    );
    stop.cancel();
    b.await.unwrap();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_under_a_relay_and_a_reader_both_come_back_in_a_new_epoch() {
    let mut server = RedisServer::start();
    let sim = sim().await;
    let stop = CancellationToken::new();
    let a = tokio::spawn(relay::run(
        relay_settings("relay-a", target(&server), &sim),
        stop.clone(),
    ));
    let store = reader(target(&server), &stop).await;
    until(&store, 10, "tickers", |s| updates(s) > 0 && term(s) == 1).await;
    let mut con = target(&server)
        .connect(Duration::from_secs(1), Some(Duration::from_secs(1)))
        .await
        .unwrap();
    let keys = Keys::new(ExchangeId::Kraken);
    let epoch = reader::snapshot(&mut con, &keys).await.unwrap().epoch;
    server.kill();
    let snap = until(&store, 10, "the reader says the link is lost", |s| {
        matches!(status(s), Some(FeedStatus::LinkLost { .. }))
    })
    .await;
    let reason = &snap.feed(ExchangeId::Kraken).unwrap().reason;
    assert!(reason.starts_with("relay link lost: "), "{reason}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    server.restart();
    let before = updates(&store.snapshot());
    let snap = until(&store, 20, "tickers again after the restart", |s| {
        updates(s) > before + 2 && status(s) == Some(FeedStatus::Connected)
    })
    .await;
    assert!(
        term(&snap) >= 2,
        "terms never go back after the data was lost"
    );
    let history: Vec<String> = snap
        .feed(ExchangeId::Kraken)
        .unwrap()
        .history
        .iter()
        .map(|t| t.reason.clone())
        .collect();
    assert!(
        history.iter().any(|r| r.contains("new epoch")),
        "{history:#?}"
    );
    let mut con = target(&server)
        .connect(Duration::from_secs(1), Some(Duration::from_secs(1)))
        .await
        .unwrap();
    assert_ne!(
        reader::snapshot(&mut con, &keys).await.unwrap().epoch,
        epoch
    );
    stop.cancel();
    a.await.unwrap();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_leader_replaces_the_latest_hash_with_its_own_picture() {
    let server = RedisServer::start();
    let sim = sim().await;
    let keys = Keys::new(ExchangeId::Kraken);
    let mut con = target(&server)
        .connect(Duration::from_secs(2), Some(Duration::from_secs(2)))
        .await
        .unwrap();
    // What an earlier leader left: a symbol nobody carries now, and an old BTC/USD line.
    let _: () = redis::cmd("HSET")
        .arg(&keys.latest)
        .arg("DOGE/USD")
        .arg("{\"old\":1}")
        .arg("BTC/USD")
        .arg("{\"old\":2}")
        .query_async(&mut con)
        .await
        .unwrap();
    let stop = CancellationToken::new();
    let a = tokio::spawn(relay::run(
        relay_settings("relay-a", target(&server), &sim),
        stop.clone(),
    ));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let fields = loop {
        let fields: Vec<String> = redis::cmd("HKEYS")
            .arg(&keys.latest)
            .query_async(&mut con)
            .await
            .unwrap();
        // Gone, and the leader's own value written (under load its picture may come
        // before the first ticker, and then the ticker adds the field).
        if !fields.iter().any(|f| f == "DOGE/USD") && !fields.is_empty() {
            break fields;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the old picture is still there after 10 s: {fields:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(fields, ["BTC/USD"], "the leader's own symbols only");
    let line: String = redis::cmd("HGET")
        .arg(&keys.latest)
        .arg("BTC/USD")
        .query_async(&mut con)
        .await
        .unwrap();
    assert!(line.starts_with("{\"type\":\"ticker\""), "{line}");
    stop.cancel();
    a.await.unwrap();
    sim.shutdown().await;
}
