//! End to end over real sockets on 127.0.0.1: the `KuCoin` feed against the simulator
//! playing `KuCoin` spot, `bullet-public` token request included. Real time, every wait
//! bounded; the pong test and adding and removing a symbol run in memory on paused time.

mod common;

use std::sync::Arc;

use common::{
    fast_config, has_reason, history, memory_for, patient_config, scenarios, sim_config, status,
    tcp_for,
};
use pricewire::exchange::kucoin::Kucoin;
use pricewire::feed::FeedBuilder;
use pricewire::feed::command::Command;
use pricewire::model::{ExchangeId, FeedStatus, Source};
use pricewire::sim::{Scenario, SimServer};
use pricewire::store::{Snapshot, Store, StoreLimits};
use pricewire::symbol::Symbol;
use tokio_util::sync::CancellationToken;

const KUCOIN: ExchangeId = ExchangeId::Kucoin;

fn updates(snap: &Snapshot, symbol: &str) -> u64 {
    snap.row(KUCOIN, symbol).map_or(0, |r| r.updates)
}

fn has_24h(snap: &Snapshot, symbol: &str) -> bool {
    snap.row(KUCOIN, symbol)
        .and_then(|r| r.ticker.as_ref())
        .is_some_and(|t| t.high_24h.is_some() && t.change_pct_24h.is_some())
}

#[tokio::test]
async fn tickers_and_snapshots_arrive_with_exact_decimals() {
    let rig = tcp_for(
        KUCOIN,
        Scenario::Steady,
        fast_config(),
        &["BTC/USDT", "eth-usdt", "BSV-USDT", "BTC/USDC"],
    )
    .await;
    let all = ["BTC/USDT", "ETH/USDT", "BSV/USDT", "BTC/USDC"];
    let snap = rig
        .until(8, "prices and 24 h statistics for every symbol", |s| {
            all.iter().all(|sym| updates(s, sym) > 2 && has_24h(s, sym))
        })
        .await;
    assert_eq!(status(&snap), FeedStatus::Connected);
    assert_eq!(
        snap.rows.len(),
        4,
        "BSV-USDT is the row of wire name BCHSV-USDT"
    );
    for (symbol, decimals) in [
        ("BTC/USDT", 1),
        ("ETH/USDT", 2),
        ("BSV/USDT", 3),
        ("BTC/USDC", 1),
    ] {
        let row = snap.row(KUCOIN, symbol).unwrap();
        assert_eq!(row.price_decimals, Some(decimals), "{symbol}");
        let t = row.ticker.as_ref().unwrap();
        for price in [t.last, t.bid, t.ask] {
            assert_eq!(price.unwrap().scale(), decimals, "{symbol} {t:?}");
        }
        assert!(t.bid.unwrap() < t.ask.unwrap(), "{t:?}");
        assert!(t.low_24h.unwrap() <= t.bid.unwrap() && t.ask.unwrap() <= t.high_24h.unwrap());
        assert!(t.exchange_ts.is_some() && t.volume_24h.is_some() && t.open_24h.is_some());
        assert_eq!(t.source, Source::Stream);
    }
    rig.stop().await;
}

#[tokio::test]
async fn drop_then_reconnect_with_a_new_token_and_resubscribe() {
    let rig = scenarios::drop_then_reconnect(KUCOIN, "BTC/USDT").await;
    let stats = rig.sim.stats();
    // Two topics per connection; a token (REST POST) before each, plus the symbol list.
    assert!(stats.subscribe_requests >= 4, "{stats:?}");
    assert!(stats.rest_requests >= 3, "{stats:?}");
    rig.stop().await;
}

#[tokio::test]
async fn silence_fires_the_watchdog() {
    scenarios::silence_fires_the_watchdog(KUCOIN, "BTC/USDT").await;
}

#[tokio::test]
async fn refused_websocket_falls_back_to_rest_and_returns() {
    let (on_rest, rig) =
        scenarios::refused_websocket_falls_back_and_returns(KUCOIN, &["BSV/USDT"]).await;
    let t = on_rest
        .row(KUCOIN, "BSV/USDT")
        .unwrap()
        .ticker
        .clone()
        .unwrap();
    assert_eq!(t.last.unwrap().scale(), 3);
    assert!(t.high_24h.is_some() && t.exchange_ts.is_some());
    rig.stop().await;
}

#[tokio::test]
async fn unknown_symbol_is_reported_and_others_stream() {
    let snap =
        scenarios::unknown_symbol_is_reported(KUCOIN, "BTC/USDT", "NOPE/USDT", &["BTC/USX"]).await;
    scenarios::assert_suggests(&snap, KUCOIN, "BTC/USX", None);
}

#[tokio::test(start_paused = true)]
async fn add_and_remove_on_the_live_connection() {
    let rig = memory_for(KUCOIN, Scenario::Steady, fast_config(), &["BTC/USDT"]);
    rig.until(8, "first prices", |s| updates(s, "BTC/USDT") > 0)
        .await;
    let market = rig.handle.market("sol-usdt").unwrap();
    let sol = market.symbol.clone();
    assert_eq!(sol, Symbol::new("SOL", "USDT"));
    rig.handle.send(Command::Add(market)).unwrap();
    rig.until(8, "SOL/USDT prices and statistics", |s| {
        updates(s, "SOL/USDT") > 1 && has_24h(s, "SOL/USDT")
    })
    .await;
    rig.handle.send(Command::Remove(sol)).unwrap();
    let snap = rig
        .until(8, "SOL/USDT gone", |s| s.row(KUCOIN, "SOL/USDT").is_none())
        .await;
    let before = updates(&snap, "BTC/USDT");
    rig.until(8, "BTC/USDT still streaming", |s| {
        updates(s, "BTC/USDT") > before + 2
    })
    .await;
    assert_eq!(rig.sim.stats().ws_sessions, 1, "{:#?}", history(&snap));
    rig.stop().await;
}

/// `KuCoin` announces no maintenance on the WebSocket: the server closes with 1001.
#[tokio::test]
async fn maintenance_closes_with_going_away() {
    let rig = tcp_for(KUCOIN, Scenario::Maintenance, fast_config(), &["BTC/USDT"]).await;
    let snap = rig
        .until(9, "the restart close", |s| {
            has_reason(s, "closed by server (1001 going away: service restart)")
        })
        .await;
    assert!(
        updates(&snap, "BTC/USDT") > 0,
        "data flows until the restart"
    );
    rig.stop().await;
}

/// Without `--ws-url` the client dials the endpoint the token reply names: the simulator
/// must name itself there. Real sockets are the point here, so the watchdogs are patient
/// (30 s) and "one session" cannot be broken by a stalled scheduler.
#[tokio::test]
async fn token_endpoint_leads_back_to_the_simulator() {
    let sim = SimServer::start(
        "127.0.0.1:0".parse().unwrap(),
        sim_config(KUCOIN, Scenario::Steady),
    )
    .await
    .unwrap();
    let store = Store::new(StoreLimits::default());
    let shutdown = CancellationToken::new();
    // No WebSocket URL: the token reply names it.
    let (_handle, task) = FeedBuilder::new(KUCOIN)
        .adapter(Arc::new(Kucoin))
        .store(Arc::clone(&store))
        .config(patient_config())
        .rest_url(sim.rest_url())
        .symbols(["ETH/USDT"])
        .shutdown_on(shutdown.clone())
        .spawn()
        .expect("the feed builds")
        .into_parts();
    // Real time: the bound only guards against a hang.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    while updates(&store.snapshot(), "ETH/USDT") < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "hang guard: no prices in 60 s: {:#?}",
            history(&store.snapshot())
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(sim.stats().ws_sessions, 1);
    shutdown.cancel();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), task).await;
    sim.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn unanswered_ping_reconnects() {
    scenarios::pong_timeout_reconnects(KUCOIN, "BTC/USDT").await;
}

#[tokio::test]
async fn garbage_frames_are_counted_and_skipped() {
    let rig = tcp_for(KUCOIN, Scenario::Garbage, fast_config(), &["BTC/USDT"]).await;
    let snap = rig
        .until(8, "prices despite garbage", |s| {
            updates(s, "BTC/USDT") > 5 && s.feeds[0].counters.parse_errors > 0
        })
        .await;
    assert_eq!(status(&snap), FeedStatus::Connected);
    rig.stop().await;
}

#[tokio::test]
async fn a_refused_comma_list_topic_marks_every_symbol_it_names() {
    let sim_cfg = pricewire::sim::SimConfig {
        refuse: vec!["ETH-USDT".into()],
        ..sim_config(KUCOIN, Scenario::Steady)
    };
    let rig = common::tcp_with(sim_cfg, fast_config(), &["BTC/USDT", "ETH/USDT"]).await;
    let invalid = |s: &Snapshot, sym: &str| {
        s.row(KUCOIN, sym)
            .is_some_and(|r| matches!(&r.state, pricewire::store::RowState::Invalid(m) if m.contains("/market/ticker:BTC-USDT,ETH-USDT")))
    };
    rig.until(8, "both symbols of the refused topic marked", |s| {
        invalid(s, "BTC/USDT") && invalid(s, "ETH/USDT")
    })
    .await;
    // A later request has an id of its own: its ack and data land on its row only.
    let sol = rig.handle.market("sol-usdt").unwrap();
    rig.handle.send(Command::Add(sol)).unwrap();
    let snap = rig
        .until(8, "SOL/USDT streaming", |s| updates(s, "SOL/USDT") > 1)
        .await;
    assert!(
        invalid(&snap, "BTC/USDT") && invalid(&snap, "ETH/USDT"),
        "{:#?}",
        snap.rows
    );
    rig.stop().await;
}
