//! End to end over real sockets on 127.0.0.1: the Binance feed against the simulator playing
//! Binance (`/ws` raw streams, `exchangeInfo`, `ticker/24hr`). Real time, every wait bounded.

mod common;

use common::{fast_config, has_reason, history, status, tcp_for};
use pricewire::feed::command::Command;
use pricewire::model::{ExchangeId, FeedStatus, Source};
use pricewire::sim::Scenario;
use pricewire::store::{Row, RowState, Snapshot};
use pricewire::symbol::Symbol;

const VENUE: ExchangeId = ExchangeId::Binance;

fn updates(snap: &Snapshot, symbol: &str) -> u64 {
    snap.row(VENUE, symbol).map_or(0, |r| r.updates)
}

fn source(snap: &Snapshot, symbol: &str) -> Option<Source> {
    snap.row(VENUE, symbol).and_then(Row::source)
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
    let rig = tcp_for(VENUE, Scenario::DropAfter(5), fast_config(), &["BTC/USDT"]).await;
    let snap = rig
        .until(8, "a reconnect after an abrupt drop", |s| {
            has_reason(s, "1006") && has_reason(s, "reconnected after")
        })
        .await;
    let before = updates(&snap, "BTC/USDT");
    rig.until(8, "prices after the reconnect", |s| {
        updates(s, "BTC/USDT") > before + 2
    })
    .await;
    assert!(rig.sim.stats().ws_sessions >= 2);
    assert!(rig.sim.stats().subscribe_requests >= 2, "resubscribed");
    rig.stop().await;
}

#[tokio::test]
async fn silence_fires_the_watchdog() {
    let rig = tcp_for(
        VENUE,
        Scenario::SilentAfter(3),
        fast_config(),
        &["BTC/USDT"],
    )
    .await;
    let snap = rig
        .until(8, "the silence watchdog", |s| {
            has_reason(s, "no data for 1 s")
        })
        .await;
    assert!(
        history(&snap)
            .iter()
            .any(|l| l.starts_with("connected → reconnecting"))
    );
    rig.stop().await;
}

#[tokio::test]
async fn refused_websocket_falls_back_to_rest_and_returns() {
    let rig = tcp_for(
        VENUE,
        Scenario::RefuseWs,
        fast_config(),
        &["BTC/USDT", "SOL/USDT"],
    )
    .await;
    let snap = rig
        .until(8, "REST fallback with prices", |s| {
            matches!(status(s), FeedStatus::Fallback { .. })
                && source(s, "BTC/USDT") == Some(Source::Rest)
                && source(s, "SOL/USDT") == Some(Source::Rest)
        })
        .await;
    assert!(has_reason(&snap, "HTTP 503"), "{:#?}", history(&snap));
    let t = snap.row(VENUE, "BTC/USDT").unwrap().ticker.clone().unwrap();
    assert!(t.bid.unwrap() < t.ask.unwrap() && t.last.is_some());
    rig.sim.set_scenario(Scenario::Steady);
    let snap = rig
        .until(8, "the WebSocket again", |s| {
            status(s) == FeedStatus::Connected && source(s, "BTC/USDT") == Some(Source::Stream)
        })
        .await;
    assert!(has_reason(&snap, "leaving REST fallback"));
    rig.stop().await;
}

#[tokio::test]
async fn unknown_symbol_is_reported_and_others_stream() {
    let rig = tcp_for(
        VENUE,
        Scenario::Steady,
        fast_config(),
        &["BTC/USDT", "NOPE/USDT", "BTC/USD"],
    )
    .await;
    let snap = rig
        .until(8, "prices and errors", |s| updates(s, "BTC/USDT") > 2)
        .await;
    let nope = snap.row(VENUE, "NOPE/USDT").unwrap();
    assert!(
        matches!(&nope.state, RowState::Invalid(m) if m.contains("does not list NOPE/USDT")),
        "{:?}",
        nope.state
    );
    let usd = snap.row(VENUE, "BTC/USD").unwrap();
    assert!(
        matches!(&usd.state, RowState::Invalid(m) if m.contains("did you mean") && m.contains("BTC/USDT")),
        "{:?}",
        usd.state
    );
    rig.stop().await;
}

#[tokio::test]
async fn add_and_remove_on_the_live_connection() {
    let rig = tcp_for(VENUE, Scenario::Steady, fast_config(), &["BTC/USDT"]).await;
    rig.until(8, "first prices", |s| updates(s, "BTC/USDT") > 0)
        .await;
    let sol = rig.handle.resolve("sol-usdt").unwrap();
    assert_eq!(sol, Symbol::new("SOL", "USDT"));
    rig.handle.send(Command::Add(sol.clone())).unwrap();
    rig.until(8, "SOL/USDT prices", |s| updates(s, "SOL/USDT") > 1)
        .await;
    rig.handle.send(Command::Remove(sol)).unwrap();
    let snap = rig
        .until(8, "SOL/USDT gone", |s| s.row(VENUE, "SOL/USDT").is_none())
        .await;
    let before = updates(&snap, "BTC/USDT");
    rig.until(8, "BTC/USDT still streaming", |s| {
        updates(s, "BTC/USDT") > before + 2
    })
    .await;
    assert_eq!(rig.sim.stats().ws_sessions, 1, "{:#?}", history(&snap));
    rig.stop().await;
}

#[tokio::test]
async fn maintenance_is_a_server_shutdown_notice_then_a_planned_reconnect() {
    let rig = tcp_for(VENUE, Scenario::Maintenance, fast_config(), &["BTC/USDT"]).await;
    let snap = rig
        .until(9, "a planned reconnect", |s| {
            has_reason(s, "planned reconnect: binance announced a server shutdown")
        })
        .await;
    assert!(
        updates(&snap, "BTC/USDT") > 0,
        "data flows until the restart"
    );
    rig.until(4, "connected again", |s| status(s) == FeedStatus::Connected)
        .await;
    rig.stop().await;
}
