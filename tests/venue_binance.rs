//! End to end over real sockets on 127.0.0.1: the Binance feed against the simulator playing
//! Binance (`/ws` raw streams, `exchangeInfo`, `ticker/24hr`). Real time, every wait bounded;
//! adding and removing a symbol (one session throughout) runs in memory on paused time.

mod common;

use common::{fast_config, has_reason, scenarios, status, tcp_for};
use pricewire_core::model::{ExchangeId, FeedStatus, Source};
use pricewire_core::store::Snapshot;
use pricewire_sim::Scenario;

const VENUE: ExchangeId = ExchangeId::Binance;

fn updates(snap: &Snapshot, symbol: &str) -> u64 {
    snap.row(VENUE, symbol).map_or(0, |r| r.updates)
}

#[tokio::test]
async fn tickers_arrive_with_exact_decimals() {
    let rig = tcp_for(
        VENUE,
        Scenario::Steady,
        fast_config(),
        &["BTC/USDT", "btcusdt", "ETH/BTC"],
    )
    .await;
    assert!(rig.sim.ws_url().ends_with("/ws"), "{}", rig.sim.ws_url());
    let snap = rig
        .until(8, "prices for both symbols", |s| {
            updates(s, "BTC/USDT") > 2 && updates(s, "ETH/BTC") > 2
        })
        .await;
    assert_eq!(status(&snap), FeedStatus::Connected);
    assert_eq!(
        snap.rows.len(),
        2,
        "two spellings of one market make one row"
    );
    for (symbol, decimals) in [("BTC/USDT", 2), ("ETH/BTC", 5)] {
        let row = snap.row(VENUE, symbol).unwrap();
        assert_eq!(
            row.price_decimals,
            Some(decimals),
            "{symbol}: from tickSize"
        );
        let t = row.ticker.as_ref().unwrap();
        for price in [t.last, t.bid, t.ask, t.open_24h, t.high_24h, t.low_24h] {
            let price = price.unwrap();
            // Binance prints eight places; the value sits on the market's tick.
            assert_eq!(price.scale(), 8, "{symbol}: {price}");
            assert!(price.normalize().scale() <= decimals, "{symbol}: {price}");
        }
        assert!(t.bid.unwrap() < t.ask.unwrap());
        assert_eq!(t.source, Source::Stream);
        let age = t.received_ts - t.exchange_ts.expect("E is the event time");
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
async fn maintenance_is_a_server_shutdown_notice_then_a_planned_reconnect() {
    let rig = tcp_for(VENUE, Scenario::Maintenance, fast_config(), &["BTC/USDT"]).await;
    let snap = rig
        .until(60, "a planned reconnect (a hang guard)", |s| {
            has_reason(s, "planned reconnect: binance announced a server shutdown")
        })
        .await;
    assert!(
        updates(&snap, "BTC/USDT") > 0,
        "data flows until the restart"
    );
    rig.until(60, "connected again (a hang guard)", |s| {
        status(s) == FeedStatus::Connected
    })
    .await;
    rig.stop().await;
}
