//! End to end over real sockets on 127.0.0.1: the Bybit feed against the simulator playing
//! Bybit v5 spot (`/v5/public/spot`, `instruments-info`, `tickers`). Real time, every wait
//! bounded; the tests that count one session (add and remove, answered pings) run in memory
//! on paused time.

mod common;

use common::{fast_config, has_reason, memory_for, scenarios, status, tcp_for};
use pricewire_core::model::{ExchangeId, FeedStatus, Source};
use pricewire_core::store::Snapshot;
use pricewire_sim::Scenario;

const VENUE: ExchangeId = ExchangeId::Bybit;

fn updates(snap: &Snapshot, symbol: &str) -> u64 {
    snap.row(VENUE, symbol).map_or(0, |r| r.updates)
}

#[tokio::test]
async fn tickers_arrive_with_exact_decimals() {
    let rig = tcp_for(
        VENUE,
        Scenario::Steady,
        fast_config(),
        &["BTC/USDT", "btcusdt", "ETH/USDC"],
    )
    .await;
    assert!(
        rig.sim.ws_url().ends_with("/v5/public/spot"),
        "{}",
        rig.sim.ws_url()
    );
    let snap = rig
        .until(8, "prices for both symbols", |s| {
            updates(s, "BTC/USDT") > 2 && updates(s, "ETH/USDC") > 2
        })
        .await;
    assert_eq!(status(&snap), FeedStatus::Connected);
    assert_eq!(
        snap.rows.len(),
        2,
        "two spellings of one market make one row"
    );
    for (symbol, decimals) in [("BTC/USDT", 1), ("ETH/USDC", 2)] {
        let row = snap.row(VENUE, symbol).unwrap();
        assert_eq!(
            row.price_decimals,
            Some(decimals),
            "{symbol}: from tickSize"
        );
        let t = row.ticker.as_ref().unwrap();
        for price in [t.last, t.bid, t.ask, t.open_24h, t.high_24h, t.low_24h] {
            let price = price.unwrap();
            // Bybit drops trailing zeros; the value sits on the market's tick.
            assert_eq!(price, price.normalize(), "{symbol}: {price}");
            assert!(price.scale() <= decimals, "{symbol}: {price}");
        }
        assert!(t.bid.unwrap() < t.ask.unwrap());
        assert_eq!(t.source, Source::Stream);
        let age = t.received_ts - t.exchange_ts.expect("ts is the push time");
        assert!(age.num_seconds().abs() < 5, "{age:?}");
    }
    rig.stop().await;
}

#[tokio::test]
async fn drop_then_reconnect_and_resubscribe() {
    scenarios::drop_then_reconnect(VENUE, "BTC/USDT")
        .await
        .stop()
        .await;
}

#[tokio::test]
async fn silence_fires_the_watchdog() {
    scenarios::silence_fires_the_watchdog(VENUE, "BTC/USDT").await;
}

#[tokio::test]
async fn refused_websocket_falls_back_to_rest_and_returns() {
    let (on_rest, rig) =
        scenarios::refused_websocket_falls_back_and_returns(VENUE, &["BTC/USDT", "SOL/USDT"]).await;
    // The venue's REST ticker carries the best bid and ask.
    let t = on_rest
        .row(VENUE, "BTC/USDT")
        .unwrap()
        .ticker
        .clone()
        .unwrap();
    assert!(t.bid.unwrap() < t.ask.unwrap());
    rig.stop().await;
}

#[tokio::test]
async fn unknown_symbol_is_reported_and_others_stream() {
    let snap =
        scenarios::unknown_symbol_is_reported(VENUE, "BTC/USDT", "NOPE/USDT", &["BTC/USD"]).await;
    // No USD book: not swapped for USDT, but named among the suggestions.
    scenarios::assert_suggests(&snap, VENUE, "BTC/USD", Some("BTC/USDT"));
}

#[tokio::test(start_paused = true)]
async fn add_and_remove_on_the_live_connection() {
    scenarios::add_and_remove(VENUE, "BTC/USDT", "sol-usdt", "SOL/USDT")
        .await
        .stop()
        .await;
}

#[tokio::test]
async fn maintenance_closes_with_going_away() {
    scenarios::maintenance_closes_with_going_away(VENUE, "BTC/USDT").await;
}

#[tokio::test]
async fn unanswered_pings_fire_the_pong_timeout() {
    let rig = tcp_for(VENUE, Scenario::PongNever, fast_config(), &["BTC/USDT"]).await;
    rig.until(8, "the pong timeout", |s| {
        has_reason(s, "pong not received within 1 s")
    })
    .await;
    assert_eq!(rig.sim.stats().pings_answered, 0);
    rig.stop().await;
}

// In memory on paused time: "one session" must not depend on the machine's load.
#[tokio::test(start_paused = true)]
async fn answered_pings_keep_the_connection() {
    let rig = memory_for(VENUE, Scenario::Steady, fast_config(), &["BTC/USDT"]);
    rig.until(8, "pongs", |_| rig.sim.stats().pings_answered >= 2)
        .await;
    assert_eq!(rig.sim.stats().ws_sessions, 1);
    rig.stop().await;
}

#[tokio::test]
async fn a_refused_request_marks_the_rows_of_its_own_chunk() {
    // Seven symbols are fourteen topics: two requests of at most ten. The second
    // (LINK, LTC) is refused as a whole; the first streams.
    let sim_cfg = pricewire_sim::SimConfig {
        refuse: vec!["LTCUSDT".into()],
        ..common::sim_config(VENUE, Scenario::Steady)
    };
    let symbols = [
        "ADA/USDT",
        "BTC/USDT",
        "DOGE/USDT",
        "DOT/USDT",
        "ETH/USDT",
        "LINK/USDT",
        "LTC/USDT",
    ];
    let rig = common::tcp_with(sim_cfg, fast_config(), &symbols).await;
    let invalid = |s: &Snapshot, sym: &str| {
        s.row(VENUE, sym)
            .is_some_and(|r| matches!(r.state, pricewire_core::store::RowState::Invalid(_)))
    };
    let snap = rig
        .until(8, "the refused chunk marked, the other streaming", |s| {
            invalid(s, "LINK/USDT")
                && invalid(s, "LTC/USDT")
                && symbols[..5].iter().all(|sym| updates(s, sym) > 1)
        })
        .await;
    for sym in &symbols[..5] {
        assert!(!invalid(&snap, sym), "{sym}: {:#?}", snap.rows);
    }
    rig.stop().await;
}
