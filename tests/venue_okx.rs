//! End to end over real sockets on 127.0.0.1: the OKX feed against the simulator playing
//! OKX v5. Real time, every wait bounded; the pong test runs in memory on paused time.

mod common;

use common::{fast_config, has_reason, history, last_of, memory_for, status, tcp_for};
use pricewire::feed::command::Command;
use pricewire::model::{ExchangeId, FeedStatus, Source};
use pricewire::sim::Scenario;
use pricewire::store::{Row, RowState, Snapshot};
use pricewire::symbol::Symbol;

const OKX: ExchangeId = ExchangeId::Okx;

fn updates(snap: &Snapshot, symbol: &str) -> u64 {
    snap.row(OKX, symbol).map_or(0, |r| r.updates)
}

fn source(snap: &Snapshot, symbol: &str) -> Option<Source> {
    snap.row(OKX, symbol).and_then(Row::source)
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
    let rig = tcp_for(OKX, Scenario::DropAfter(5), fast_config(), &["BTC/USDT"]).await;
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
    let stats = rig.sim.stats();
    assert!(
        stats.ws_sessions >= 2 && stats.subscribe_requests >= 2,
        "{stats:?}"
    );
    rig.stop().await;
}

#[tokio::test]
async fn silence_fires_the_watchdog() {
    let rig = tcp_for(OKX, Scenario::SilentAfter(3), fast_config(), &["BTC/USDT"]).await;
    let snap = rig
        .until(8, "the silence watchdog", |s| {
            has_reason(s, "no data for 1 s")
        })
        .await;
    assert!(
        history(&snap)
            .iter()
            .any(|l| l.starts_with("connected → reconnecting")),
        "{:#?}",
        history(&snap)
    );
    rig.stop().await;
}

#[tokio::test]
async fn refused_websocket_falls_back_to_rest_and_returns() {
    let rig = tcp_for(OKX, Scenario::RefuseWs, fast_config(), &["BTC/USDT"]).await;
    let snap = rig
        .until(8, "REST fallback with prices", |s| {
            matches!(status(s), FeedStatus::Fallback { .. })
                && source(s, "BTC/USDT") == Some(Source::Rest)
        })
        .await;
    assert!(has_reason(&snap, "HTTP 503"), "{:#?}", history(&snap));
    let t = snap.row(OKX, "BTC/USDT").unwrap().ticker.clone().unwrap();
    assert_eq!(t.last.unwrap().scale(), 1);
    assert!(t.exchange_ts.is_some());
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
        OKX,
        Scenario::Steady,
        fast_config(),
        &["BTC/USDT", "NOPE/USDT", "BTC/USX"],
    )
    .await;
    let snap = rig
        .until(8, "prices and errors", |s| updates(s, "BTC/USDT") > 2)
        .await;
    let nope = snap.row(OKX, "NOPE/USDT").unwrap();
    assert!(
        matches!(&nope.state, RowState::Invalid(m) if m.contains("does not list NOPE/USDT")),
        "{:?}",
        nope.state
    );
    let usx = snap.row(OKX, "BTC/USX").unwrap();
    assert!(
        matches!(&usx.state, RowState::Invalid(m) if m.contains("did you mean")),
        "{:?}",
        usx.state
    );
    rig.stop().await;
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

#[tokio::test]
async fn add_and_remove_on_the_live_connection() {
    let rig = tcp_for(OKX, Scenario::Steady, fast_config(), &["BTC/USDT"]).await;
    rig.until(8, "first prices", |s| updates(s, "BTC/USDT") > 0)
        .await;
    let sol = rig.handle.resolve("sol-usdt").unwrap();
    assert_eq!(sol, Symbol::new("SOL", "USDT"));
    rig.handle.send(Command::Add(sol.clone())).unwrap();
    rig.until(8, "SOL/USDT prices", |s| updates(s, "SOL/USDT") > 1)
        .await;
    rig.handle.send(Command::Remove(sol)).unwrap();
    let snap = rig
        .until(8, "SOL/USDT gone", |s| s.row(OKX, "SOL/USDT").is_none())
        .await;
    let before = updates(&snap, "BTC/USDT");
    rig.until(8, "BTC/USDT still streaming", |s| {
        updates(s, "BTC/USDT") > before + 2
    })
    .await;
    assert_eq!(rig.sim.stats().ws_sessions, 1, "{:#?}", history(&snap));
    assert!(last_of(&snap, "BTC/USDT").is_some());
    assert!(rig.handle.resolve("NOPE/USDT").is_err());
    rig.stop().await;
}

/// OKX's maintenance is a service upgrade: the 64008 notice, on which the client
/// reconnects at once without counting a failure.
#[tokio::test]
async fn upgrade_notice_is_a_planned_reconnect() {
    let rig = tcp_for(OKX, Scenario::Maintenance, fast_config(), &["BTC/USDT"]).await;
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
    let rig = memory_for(OKX, Scenario::PongNever, fast_config(), &["BTC/USDT"]);
    let snap = rig
        .until(60, "pong timeout", |s| {
            has_reason(s, "pong not received within 1 s")
        })
        .await;
    assert!(updates(&snap, "BTC/USDT") > 0);
    rig.stop().await;
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
