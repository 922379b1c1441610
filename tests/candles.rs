//! Candles end to end: each venue's candle request, answered by the simulator playing that
//! venue on 127.0.0.1, read by the venue's adapter into the window the chart draws; and the
//! REST budget the candles share with the fallback poller, on tokio's paused clock.

mod common;

use std::sync::Arc;
use std::time::Duration;

use pricewire_core::candle::ChartWindow;
use pricewire_core::model::ExchangeId;
use pricewire_core::symbol::Symbol;
use pricewire_sim::Scenario;

use common::{memory_for, patient_config, tcp_for};

/// A market each simulated venue lists.
fn market(venue: ExchangeId) -> Symbol {
    match venue {
        ExchangeId::Kraken | ExchangeId::Coinbase => Symbol::new("BTC", "USD"),
        _ => Symbol::new("BTC", "USDT"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_venue_serves_each_window_and_the_adapter_reads_it() {
    for venue in ExchangeId::ALL {
        let rig = tcp_for(venue, Scenario::Steady, patient_config(), &[]).await;
        for window in ChartWindow::ALL {
            let series = rig
                .handle
                .candles(&market(venue), window)
                .await
                .unwrap_or_else(|e| panic!("{venue} {window}: {e}"));
            let candles = &series.candles;
            assert_eq!(candles.len(), window.count(), "{venue} {window}");
            for pair in candles.windows(2) {
                assert_eq!(
                    pair[1].open_time - pair[0].open_time,
                    window.interval(),
                    "{venue} {window}: oldest first, one interval apart"
                );
                assert!(pair[0].closed, "{venue} {window}");
            }
            let newest = candles.last().expect("candles");
            assert!(!newest.closed, "{venue} {window}: the newest is still open");
            for c in candles {
                assert!(c.low <= c.open.min(c.close), "{venue} {window}: {c:?}");
                assert!(c.high >= c.open.max(c.close), "{venue} {window}: {c:?}");
            }
        }
        // The reply came from the simulator, and says so.
        assert!(rig.store.is_simulated(venue), "{venue}");
        rig.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_candle_fetch_says_why() {
    let rig = tcp_for(ExchangeId::Okx, Scenario::Steady, patient_config(), &[]).await;
    let err = rig
        .handle
        .candles(&Symbol::new("NOPE", "USDT"), ChartWindow::Hour)
        .await
        .expect_err("OKX lists no NOPE-USDT");
    assert_eq!(
        err.to_string(),
        "candles: unexpected shape: okx error 51001: Instrument ID does not exist"
    );
    rig.stop().await;
}

/// Charts ask for candles while the feed polls REST in fallback: together they never go
/// faster than the venue's pace (Kraken: three at once, then one a second).
#[tokio::test(start_paused = true)]
async fn candles_and_the_fallback_poller_share_one_budget() {
    let cfg = pricewire_core::config::FeedConfig {
        max_attempts: 1,
        rest_poll: Duration::from_millis(500),
        ..common::fast_config()
    };
    let rig = memory_for(ExchangeId::Kraken, Scenario::RefuseWs, cfg, &["BTC/USD"]);
    let handle = Arc::new(rig.handle.clone());
    let start = tokio::time::Instant::now();
    let charts: Vec<_> = (0..8)
        .map(|_| {
            let h = Arc::clone(&handle);
            tokio::spawn(async move {
                h.candles(&Symbol::new("BTC", "USD"), ChartWindow::Hour)
                    .await
                    .map(|s| s.candles.len())
            })
        })
        .collect();
    for chart in charts {
        assert_eq!(chart.await.unwrap(), Ok(60));
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let elapsed = start.elapsed().as_secs_f64();
    let requests = rig.sim.stats().rest_requests;
    // Burst of 3, then one a second.
    assert!(
        requests as f64 <= 3.0 + elapsed.ceil(),
        "{requests} REST requests in {elapsed} s"
    );
    // The poller was not starved: it polled in between.
    assert!(
        rig.store.snapshot().feeds[0].counters.rest_polls >= 1,
        "no poll"
    );
    rig.stop().await;
}

/// A `Retry-After` answered to one request holds back the others too.
#[tokio::test(start_paused = true)]
async fn retry_after_holds_back_the_charts_too() {
    let rig = memory_for(
        ExchangeId::Kraken,
        Scenario::Rest429,
        common::fast_config(),
        &[],
    );
    let symbol = Symbol::new("BTC", "USD");
    let err = rig
        .handle
        .candles(&symbol, ChartWindow::Hour)
        .await
        .expect_err("429");
    assert!(err.to_string().contains("HTTP 429"), "{err}");
    let asked = tokio::time::Instant::now();
    let _ = rig.handle.candles(&symbol, ChartWindow::Hour).await;
    // The simulator asks for 2 s.
    assert!(
        asked.elapsed() >= Duration::from_secs(2),
        "{:?}",
        asked.elapsed()
    );
    rig.stop().await;
}

/// The hour's one-minute candles fill a row's trend before any live price arrives, so its
/// sparkline is whole from the start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hour_candles_fill_the_trend_before_the_first_price() {
    let rig = tcp_for(
        ExchangeId::Kraken,
        Scenario::AckedButSilent,
        patient_config(),
        &["BTC/USD"],
    )
    .await;
    let row = |rig: &common::Rig| {
        rig.store
            .snapshot()
            .row(ExchangeId::Kraken, "BTC/USD")
            .cloned()
    };
    rig.until(30, "the row", |s| {
        s.row(ExchangeId::Kraken, "BTC/USD").is_some()
    })
    .await;
    assert!(row(&rig).unwrap().trend.is_empty());
    rig.handle
        .candles(&Symbol::new("BTC", "USD"), ChartWindow::Hour)
        .await
        .expect("candles");
    let row = row(&rig).unwrap();
    assert!(row.ticker.is_none(), "no live price: {row:?}");
    let columns = row.trend.columns(chrono::Utc::now(), 20);
    assert!(columns.iter().all(Option::is_some), "{columns:?}");
    rig.stop().await;
}
