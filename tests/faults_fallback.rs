//! The fault matrix, REST side, on paused time over in-memory pipes: rows 14 (429 with
//! Retry-After, 5xx) and 15 (WebSocket down, REST up, and back, with every tick in order).
//! The WebSocket endpoint is taken down by a connector that refuses its host name while
//! REST, on another name, reaches the same simulator.

mod common;
mod faults_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::start;
use common::{fast_config, has_reason, history, scenarios, status, updates};
use faults_support::{SplitConnector, ctx, sim, store};
use pricewire_core::config::FeedConfig;
use pricewire_core::exchange::kraken::Kraken;
use pricewire_core::model::{ExchangeId, FeedStatus, Source};
use pricewire_core::store::StoreEvent;
use pricewire_sim::{Scenario, SimConnector};
use tokio::time::Instant;

fn split_rig(scenario: Scenario, cfg: FeedConfig, ws_down: bool) -> (common::Rig, Arc<AtomicBool>) {
    let sim = sim(scenario);
    let store = store();
    let flag = Arc::new(AtomicBool::new(ws_down));
    let c =
        ctx(&sim, &store, Arc::new(Kraken::default()), cfg).connector(Arc::new(SplitConnector {
            inner: SimConnector::new(Arc::clone(&sim)),
            ws_down: Arc::clone(&flag),
        }));
    (start(sim, c, &["BTC/USD"]), flag)
}

/// REST requests the simulator answers during `window` of paused time.
async fn rest_requests_during(rig: &common::Rig, window: Duration) -> u64 {
    let before = rig.sim.stats().rest_requests;
    tokio::time::sleep(window).await;
    rig.sim.stats().rest_requests - before
}

// Row 14: REST 429 stretches the poll interval to Retry-After (2 s, against a 0.3 s poll
// interval and WebSocket retries every 0.4 s at most); 5xx is retried at the normal pace:
// the poll interval, within the venue's REST budget (Kraken: one request a second).
#[tokio::test(start_paused = true)]
async fn rest_429_honours_retry_after_and_5xx_is_retried() {
    // The WebSocket stays refused for ~20 s: keep the breaker out of this test.
    let cfg = FeedConfig {
        breaker_threshold: 1000,
        ..fast_config()
    };
    let (rig, ws_down) = split_rig(Scenario::Rest429, cfg, true);
    let snap = rig
        .until(30, "offline on 429", |s| {
            matches!(status(s), FeedStatus::Offline { .. })
        })
        .await;
    assert!(
        has_reason(&snap, "HTTP 429 (retry after 2s)"),
        "{:#?}",
        history(&snap)
    );
    let n = rest_requests_during(&rig, Duration::from_secs(10)).await;
    assert!(
        (4..=6).contains(&n),
        "{n} REST requests in 10 s under Retry-After: 2"
    );

    rig.sim.set_scenario(Scenario::Rest500);
    // Let the last 429's two seconds run out.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let n = rest_requests_during(&rig, Duration::from_secs(3)).await;
    assert!(
        (3..=4).contains(&n),
        "5xx must be retried at the budget's pace, one a second: {n} requests in 3 s"
    );

    rig.sim.set_scenario(Scenario::Steady);
    rig.until(30, "REST fallback with prices", |s| {
        matches!(status(s), FeedStatus::Fallback { .. })
            && scenarios::source(s, ExchangeId::Kraken, "BTC/USD") == Some(Source::Rest)
    })
    .await;
    ws_down.store(false, Ordering::SeqCst);
    let snap = rig
        .until(30, "the WebSocket back", |s| {
            status(s) == FeedStatus::Connected
                && scenarios::source(s, ExchangeId::Kraken, "BTC/USD") == Some(Source::Stream)
        })
        .await;
    assert!(has_reason(&snap, "leaving REST fallback"));
    rig.stop().await;
}

// Row 15: stream → REST fallback → stream, with every tick in order: sources switch
// stream→rest→stream exactly once each and exchange timestamps never go backwards.
#[tokio::test(start_paused = true)]
async fn fallback_and_back_keeps_ticks_in_order() {
    let (rig, ws_down) = split_rig(Scenario::Steady, fast_config(), false);
    let mut events = rig.store.events();
    rig.until(30, "streaming", |s| updates(s, "BTC/USD") > 5)
        .await;
    ws_down.store(true, Ordering::SeqCst);
    rig.sim.drop_connections();
    rig.until(30, "REST prices", |s| {
        matches!(status(s), FeedStatus::Fallback { .. }) && s.feeds[0].counters.rest_polls >= 3
    })
    .await;
    let switched = Instant::now();
    ws_down.store(false, Ordering::SeqCst);
    let before = rig.store.snapshot();
    rig.until(30, "streaming again", |s| {
        status(s) == FeedStatus::Connected
            && updates(s, "BTC/USD") > updates(&before, "BTC/USD") + 5
    })
    .await;
    // Back within one WebSocket backoff (0.4 s) plus a poll in flight.
    assert!(switched.elapsed() < Duration::from_secs(2));
    rig.stop().await;

    let mut sources = Vec::new();
    let mut last_ts: Option<DateTime<Utc>> = None;
    let mut last_tick = None;
    while let Ok(event) = events.try_recv() {
        let StoreEvent::Ticker(t) = event else {
            continue;
        };
        if sources.last() != Some(&t.source) {
            sources.push(t.source);
        }
        if t.source == Source::Stream {
            let ts = t
                .exchange_ts
                .expect("streamed ticks carry the exchange time");
            if let Some(prev) = last_ts {
                assert!(ts >= prev, "exchange time went back: {prev} then {ts}");
            }
            last_ts = Some(ts);
            let key = (ts, t.last, t.bid, t.ask);
            assert_ne!(last_tick, Some(key), "duplicate tick {key:?}");
            last_tick = Some(key);
        }
    }
    assert_eq!(
        sources,
        vec![Source::Stream, Source::Rest, Source::Stream],
        "tick sources across the switch"
    );
}
