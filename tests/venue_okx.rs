//! End to end over real sockets on 127.0.0.1: the OKX feed against the simulator playing
//! OKX v5. Real time, every wait bounded; the pong test, the upgrade notice and adding and
//! removing a symbol run in memory on paused time.

mod common;

use common::{fast_config, has_reason, history, last_of, memory_for, scenarios, status, tcp_for};
use pricewire_core::model::{ExchangeId, FeedStatus, Source};
use pricewire_core::store::{RowState, Snapshot};
use pricewire_sim::Scenario;

const OKX: ExchangeId = ExchangeId::Okx;

fn updates(snap: &Snapshot, symbol: &str) -> u64 {
    snap.row(OKX, symbol).map_or(0, |r| r.updates)
}

#[tokio::test]
async fn tickers_arrive_with_exact_decimals() {
    let rig = tcp_for(
        OKX,
        Scenario::Steady,
        fast_config(),
        &["BTC/USDT", "eth-usdt", "SOL/USDT", "BTC-USDT"],
    )
    .await;
    let snap = rig
        .until(8, "prices for every symbol", |s| {
            ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
                .iter()
                .all(|sym| updates(s, sym) > 2)
        })
        .await;
    assert_eq!(status(&snap), FeedStatus::Connected);
    assert_eq!(snap.rows.len(), 3, "two spellings of BTC-USDT make one row");
    for (symbol, decimals) in [("BTC/USDT", 1), ("ETH/USDT", 2), ("SOL/USDT", 2)] {
        let row = snap.row(OKX, symbol).unwrap();
        assert_eq!(row.price_decimals, Some(decimals), "{symbol}");
        let t = row.ticker.as_ref().unwrap();
        for price in [t.last, t.bid, t.ask, t.high_24h, t.low_24h, t.open_24h] {
            assert_eq!(price.unwrap().scale(), decimals, "{symbol} {t:?}");
        }
        assert!(t.bid.unwrap() < t.ask.unwrap(), "{t:?}");
        assert!(t.exchange_ts.is_some() && t.volume_24h.is_some());
        assert!(t.change_pct_24h.is_some(), "derived from open24h");
        assert_eq!(t.source, Source::Stream);
    }
    let btc = snap.row(OKX, "BTC/USDT").unwrap().ticker.clone().unwrap();
    assert_eq!(
        btc.change_24h,
        Some(btc.last.unwrap() - btc.open_24h.unwrap())
    );
    rig.stop().await;
}

#[tokio::test]
async fn drop_then_reconnect_and_resubscribe() {
    scenarios::drop_then_reconnect(OKX, "BTC/USDT")
        .await
        .stop()
        .await;
}

#[tokio::test]
async fn silence_fires_the_watchdog() {
    scenarios::silence_fires_the_watchdog(OKX, "BTC/USDT").await;
}

#[tokio::test]
async fn refused_websocket_falls_back_to_rest_and_returns() {
    let (on_rest, rig) =
        scenarios::refused_websocket_falls_back_and_returns(OKX, &["BTC/USDT"]).await;
    let t = on_rest
        .row(OKX, "BTC/USDT")
        .unwrap()
        .ticker
        .clone()
        .unwrap();
    assert_eq!(t.last.unwrap().scale(), 1);
    assert!(t.exchange_ts.is_some());
    rig.stop().await;
}

#[tokio::test]
async fn unknown_symbol_is_reported_and_others_stream() {
    let snap =
        scenarios::unknown_symbol_is_reported(OKX, "BTC/USDT", "NOPE/USDT", &["BTC/USX"]).await;
    scenarios::assert_suggests(&snap, OKX, "BTC/USX", None);
}

/// Without the instrument list (REST failing at start) the client subscribes by naming
/// rules, and the venue's own `60018` error marks the unknown row.
#[tokio::test]
async fn venue_rejects_an_unlisted_instrument_on_the_socket() {
    let rig = tcp_for(
        OKX,
        Scenario::Rest500,
        fast_config(),
        &["BTC/USDT", "NOPE/USDT"],
    )
    .await;
    let snap = rig
        .until(8, "the venue's error and prices", |s| {
            updates(s, "BTC/USDT") > 2
                && matches!(
                    s.row(OKX, "NOPE/USDT").map(|r| &r.state),
                    Some(RowState::Invalid(_))
                )
        })
        .await;
    let nope = snap.row(OKX, "NOPE/USDT").unwrap();
    assert!(
        matches!(&nope.state, RowState::Invalid(m) if m.contains("60018") && m.contains("NOPE-USDT")),
        "{:?}",
        nope.state
    );
    assert_eq!(status(&snap), FeedStatus::Connected);
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn add_and_remove_on_the_live_connection() {
    let rig = scenarios::add_and_remove(OKX, "BTC/USDT", "sol-usdt", "SOL/USDT").await;
    assert!(last_of(&rig.store.snapshot(), "BTC/USDT").is_some());
    assert!(rig.handle.resolve("NOPE/USDT").is_err());
    rig.stop().await;
}

/// OKX's maintenance is a service upgrade: the 64008 notice, on which the client
/// reconnects at once without counting a failure. In memory on paused time, so that no
/// scheduler stall fires a watchdog and adds a reconnect of its own.
#[tokio::test(start_paused = true)]
async fn upgrade_notice_is_a_planned_reconnect() {
    let rig = memory_for(OKX, Scenario::Maintenance, fast_config(), &["BTC/USDT"]);
    let snap = rig
        .until(9, "a planned reconnect", |s| {
            has_reason(s, "planned reconnect") && rig.sim.stats().ws_sessions >= 2
        })
        .await;
    assert!(
        has_reason(&snap, "service upgrade"),
        "{:#?}",
        history(&snap)
    );
    assert!(
        updates(&snap, "BTC/USDT") > 0,
        "data flows until the restart"
    );
    assert!(!has_reason(&snap, "reconnecting"), "{:#?}", history(&snap));
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn unanswered_ping_reconnects() {
    scenarios::pong_timeout_reconnects(OKX, "BTC/USDT").await;
}

#[tokio::test]
async fn garbage_frames_are_counted_and_skipped() {
    let rig = tcp_for(OKX, Scenario::Garbage, fast_config(), &["BTC/USDT"]).await;
    let snap = rig
        .until(8, "prices despite garbage", |s| {
            updates(s, "BTC/USDT") > 5 && s.feeds[0].counters.parse_errors > 0
        })
        .await;
    assert_eq!(status(&snap), FeedStatus::Connected);
    rig.stop().await;
}
