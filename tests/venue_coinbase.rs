//! End to end over real sockets on 127.0.0.1: the Coinbase feed against the simulator playing
//! Coinbase Advanced Trade (`/`, `ticker` + `heartbeats`, public products). Real time, every
//! wait bounded; the tests that count one session (add and remove, heartbeats) run in memory
//! on paused time.

mod common;

use common::{fast_config, history, memory_for, scenarios, status, tcp_for};
use pricewire::model::{ExchangeId, FeedStatus, Source};
use pricewire::sim::Scenario;
use pricewire::store::Snapshot;

const VENUE: ExchangeId = ExchangeId::Coinbase;

fn updates(snap: &Snapshot, symbol: &str) -> u64 {
    snap.row(VENUE, symbol).map_or(0, |r| r.updates)
}

#[tokio::test]
async fn tickers_arrive_with_exact_decimals() {
    let rig = tcp_for(
        VENUE,
        Scenario::Steady,
        fast_config(),
        &["BTC/USD", "BTC-USDC", "ETH/BTC"],
    )
    .await;
    let addr = rig.sim.addr().unwrap();
    assert_eq!(rig.sim.ws_url(), format!("ws://{addr}/"));
    let snap = rig
        .until(8, "prices for both symbols", |s| {
            updates(s, "BTC/USD") > 2 && updates(s, "ETH/BTC") > 2
        })
        .await;
    assert_eq!(status(&snap), FeedStatus::Connected);
    assert_eq!(
        snap.rows.len(),
        2,
        "two spellings of one market make one row"
    );
    for (symbol, decimals) in [("BTC/USD", 2), ("ETH/BTC", 5)] {
        let row = snap.row(VENUE, symbol).unwrap();
        assert_eq!(
            row.price_decimals,
            Some(decimals),
            "{symbol}: from tickSize"
        );
        let t = row.ticker.as_ref().unwrap();
        for price in [t.last, t.bid, t.ask, t.high_24h, t.low_24h] {
            let price = price.unwrap();
            // Coinbase drops trailing zeros; the value sits on the market's tick.
            assert_eq!(price, price.normalize(), "{symbol}: {price}");
            assert!(price.scale() <= decimals, "{symbol}: {price}");
        }
        assert!(t.bid.unwrap() < t.ask.unwrap());
        assert_eq!(t.source, Source::Stream);
        let age = t.received_ts - t.exchange_ts.expect("the envelope timestamp");
        assert!(age.num_seconds().abs() < 5, "{age:?}");
    }
    rig.stop().await;
}

#[tokio::test]
async fn drop_then_reconnect_and_resubscribe() {
    scenarios::drop_then_reconnect(VENUE, "BTC/USD")
        .await
        .stop()
        .await;
}

#[tokio::test]
async fn silence_fires_the_watchdog() {
    scenarios::silence_fires_the_watchdog(VENUE, "BTC/USD").await;
}

#[tokio::test]
async fn refused_websocket_falls_back_to_rest_and_returns() {
    let (on_rest, rig) =
        scenarios::refused_websocket_falls_back_and_returns(VENUE, &["BTC/USD", "SOL/USD"]).await;
    // The products list carries last and 24 h figures but empty best bid/ask.
    let t = on_rest
        .row(VENUE, "BTC/USD")
        .unwrap()
        .ticker
        .clone()
        .unwrap();
    assert!(t.last.is_some() && t.high_24h.is_some());
    assert_eq!((t.bid, t.ask), (None, None));
    rig.stop().await;
}

#[tokio::test]
async fn unknown_symbol_is_reported_and_others_stream() {
    let snap =
        scenarios::unknown_symbol_is_reported(VENUE, "BTC/USD", "NOPE/USD", &["BTC/USX"]).await;
    scenarios::assert_suggests(&snap, VENUE, "BTC/USX", Some("BTC/USD"));
}

#[tokio::test(start_paused = true)]
async fn add_and_remove_on_the_live_connection() {
    scenarios::add_and_remove(VENUE, "BTC/USD", "sol-usd", "SOL/USD")
        .await
        .stop()
        .await;
}

#[tokio::test]
async fn maintenance_closes_with_going_away() {
    scenarios::maintenance_closes_with_going_away(VENUE, "BTC/USD").await;
}

// In memory on paused time: the 3.5 s are simulated, so a loaded machine cannot stretch a
// heartbeat gap past the watchdog.
#[tokio::test(start_paused = true)]
async fn heartbeats_keep_a_quiet_connection_alive() {
    // Acked but no ticker data: only the heartbeats channel speaks, once a second, which
    // keeps a 1.5 s silence watchdog quiet.
    let cfg = pricewire::config::FeedConfig {
        silence: Some(std::time::Duration::from_millis(1500)),
        symbol_silence: std::time::Duration::from_secs(30),
        ..fast_config()
    };
    let rig = memory_for(VENUE, Scenario::AckedButSilent, cfg, &["BTC/USD"]);
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    let snap = rig.store.snapshot();
    assert_eq!(
        status(&snap),
        FeedStatus::Connected,
        "{:#?}",
        history(&snap)
    );
    assert_eq!(rig.sim.stats().ws_sessions, 1, "{:#?}", history(&snap));
    assert_eq!(updates(&snap, "BTC/USD"), 0);
    rig.stop().await;
}

#[tokio::test]
async fn a_lost_message_is_counted_and_answered_with_a_fresh_snapshot() {
    // Message 12 of every connection never arrives: a gap in `sequence_num`.
    let sim_cfg = pricewire::sim::SimConfig {
        lose_sequence: vec![12],
        ..common::sim_config(VENUE, Scenario::Steady)
    };
    let rig = common::tcp_with(sim_cfg, fast_config(), &["BTC/USD", "ETH/USD"]).await;
    let snap = rig
        .until(8, "the gap counted", |s| {
            s.feeds[0].counters.sequence_gaps == 1
        })
        .await;
    assert_eq!(status(&snap), FeedStatus::Connected);
    // Recovered by resubscribing the ticker channel, whose first message is a snapshot.
    let before = updates(&snap, "BTC/USD");
    rig.until(8, "prices again", |s| updates(s, "BTC/USD") > before + 2)
        .await;
    let frames = rig.sim.client_frames();
    let ticker_subscribes = frames
        .iter()
        .filter(|f| f.contains(r#""type":"subscribe""#) && f.contains(r#""channel":"ticker""#))
        .count();
    assert!(
        frames.iter().any(|f| f.contains(r#""type":"unsubscribe""#)) && ticker_subscribes == 2,
        "{frames:#?}"
    );
    rig.stop().await;
}
