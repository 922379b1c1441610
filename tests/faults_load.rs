//! Row 24 of the fault matrix: a burst of over 100,000 frames. Nothing queues without
//! bound (rows, trends, history and the event tap are capped; a reader that never reads
//! is told what it missed), resident memory stays flat, and the store ends on the latest
//! tick. In memory, real time, bounded.

mod common;
mod faults_support;

use std::collections::HashMap;
use std::time::Duration;

use common::{fast_config, memory};
use faults_support::rss_kb;
use pricewire_core::model::{FeedStatus, Ticker};
use pricewire_core::store::{StoreEvent, StoreLimits};
use pricewire_sim::Scenario;
use tokio::sync::broadcast::error::TryRecvError;

fn tickers(rig: &common::Rig) -> u64 {
    rig.store.snapshot().feeds[0].counters.tickers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_of_frames_stays_bounded_and_ends_on_the_latest() {
    let rig = memory(Scenario::Burst, fast_config(), &["BTC/USD", "ETH/USD"]);
    // A reader that never reads, and one that keeps up and remembers the last tick.
    let mut stalled = rig.store.events();
    let mut reader = rig.store.events();
    let last = tokio::spawn(async move {
        let mut last: HashMap<String, Ticker> = HashMap::new();
        loop {
            match reader.recv().await {
                Ok(StoreEvent::Ticker(t)) => {
                    last.insert(t.symbol.to_string(), *t);
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return last,
            }
        }
    });
    rig.until(120, "50,000 tickers", |s| {
        s.feeds[0].counters.tickers >= 50_000
    })
    .await;
    let mid_rss = rss_kb();
    let mid = tickers(&rig);
    rig.until(120, "60,000 more", |s| {
        s.feeds[0].counters.tickers >= mid + 60_000
    })
    .await;
    let end_rss = rss_kb();
    let snap = rig.store.snapshot();
    let limits = StoreLimits::default();
    assert_eq!(snap.rows.len(), 2);
    for row in &snap.rows {
        assert!(row.trend.len() <= limits.trend_buckets + 1);
        assert!(row.updates > 10_000, "{}: {}", row.symbol, row.updates);
    }
    assert!(snap.feeds[0].history.len() <= limits.history);
    assert!(snap.feeds[0].counters.frames_in >= 100_000);
    // The tap keeps at most its capacity (65,536 events); the stalled reader is told how
    // many it missed rather than holding them all.
    assert!(matches!(stalled.try_recv(), Err(TryRecvError::Lagged(n)) if n > 100_000 - 65_536));
    if let (Some(a), Some(b)) = (mid_rss, end_rss) {
        // The later 60,000 ticks add no lasting memory (allocator noise aside).
        assert!(b < a + 16 * 1024, "RSS grew from {a} kB to {b} kB");
        eprintln!("RSS {a} kB after 50k tickers, {b} kB after 110k");
    }

    // Stop the source, then the feed: the rows hold the last tick delivered.
    // The feed applies every frame it read before it records the lost connection, so once
    // it is no longer connected no tick can follow the snapshot.
    rig.sim.set_scenario(Scenario::Down);
    let snap = rig
        .until(60, "the lost connection (a hang guard)", |s| {
            common::status(s) != FeedStatus::Connected
        })
        .await;
    rig.stop().await;
    let last = tokio::time::timeout(Duration::from_secs(10), last)
        .await
        .expect("the reader ends with the store")
        .unwrap();
    for row in &snap.rows {
        let shown = row.ticker.as_ref().unwrap();
        let seen = &last[row.symbol.as_str()];
        assert_eq!(
            (shown.last, shown.bid, shown.ask, shown.exchange_ts),
            (seen.last, seen.bid, seen.ask, seen.exchange_ts),
            "{}",
            row.symbol
        );
    }
}
