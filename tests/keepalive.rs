//! Keep-alive as each venue defines it, on tokio's paused time over in-memory pipes: a
//! quiet market is not a dead connection, and a venue's prescribed ping period is followed.
//! docs/KEEPALIVE.md has the table these tests hold the feed to.

mod common;

use std::time::Duration;

use common::{Rig, has_reason, history, status, updates};
use pricewire_core::config::FeedConfig;
use pricewire_core::model::{ExchangeId, FeedStatus};
use pricewire_sim::{Scenario, SimConfig};

/// A feed with the given watchdogs against `sim` over in-memory pipes.
fn rig(sim: SimConfig, cfg: FeedConfig, symbols: &[&str]) -> Rig {
    common::memory_with(sim, cfg, symbols)
}

fn connects(snap: &pricewire_core::store::Snapshot) -> usize {
    snap.feeds[0]
        .history
        .iter()
        .filter(|t| t.to == FeedStatus::Connected && t.from != FeedStatus::Connected)
        .count()
}

/// OKX sends nothing between updates of an illiquid pair (it has no heartbeat): the answers
/// to our `ping` every 20 s are all that arrives. Ten minutes with an update every 45 s stay
/// on one connection.
#[tokio::test(start_paused = true)]
async fn okx_quiet_market_keeps_one_connection() {
    let sim = SimConfig {
        exchange: ExchangeId::Okx,
        scenario: Scenario::Steady,
        tick_interval: Duration::from_secs(45),
        ..SimConfig::default()
    };
    let rig = rig(sim, FeedConfig::default(), &["BTC/USDT"]);
    rig.until(60, "connected", |s| {
        status(s) == FeedStatus::Connected && updates(s, "BTC/USDT") > 0
    })
    .await;
    tokio::time::sleep(Duration::from_mins(10)).await;
    let snap = rig.store.snapshot();
    let stats = rig.sim.stats();
    assert_eq!(stats.ws_sessions, 1, "{:#?}", history(&snap));
    assert_eq!(connects(&snap), 1, "{:#?}", history(&snap));
    assert!(!has_reason(&snap, "no data for"), "{:#?}", history(&snap));
    assert!(
        !has_reason(&snap, "→ reconnecting"),
        "{:#?}",
        history(&snap)
    );
    assert_eq!(status(&snap), FeedStatus::Connected);
    // One ping every 20 s, each answered: the pongs are what keeps the connection.
    assert!(
        (28..=32).contains(&stats.pings_answered),
        "{} pings answered",
        stats.pings_answered
    );
    assert!(updates(&snap, "BTC/USDT") >= 12, "the pair still updates");
    rig.stop().await;
}

/// The same holds for every venue whose keep-alive is a client ping: Bybit and KuCoin.
#[tokio::test(start_paused = true)]
async fn bybit_and_kucoin_quiet_markets_keep_one_connection() {
    for (exchange, symbol) in [
        (ExchangeId::Bybit, "BTC/USDT"),
        (ExchangeId::Kucoin, "BTC/USDT"),
    ] {
        let sim = SimConfig {
            exchange,
            scenario: Scenario::Steady,
            tick_interval: Duration::from_mins(1),
            ..SimConfig::default()
        };
        let rig = rig(sim, FeedConfig::default(), &[symbol]);
        rig.until(60, "connected", |s| status(s) == FeedStatus::Connected)
            .await;
        tokio::time::sleep(Duration::from_mins(5)).await;
        let snap = rig.store.snapshot();
        assert_eq!(
            rig.sim.stats().ws_sessions,
            1,
            "{exchange}: {:#?}",
            history(&snap)
        );
        assert!(
            !has_reason(&snap, "no data"),
            "{exchange}: {:#?}",
            history(&snap)
        );
        rig.stop().await;
    }
}

/// KuCoin's token reply names the ping period; the feed pings at that pace, not at the
/// documented 18 s.
#[tokio::test(start_paused = true)]
async fn kucoin_pings_at_the_pace_its_token_reply_prescribes() {
    let sim = SimConfig {
        exchange: ExchangeId::Kucoin,
        scenario: Scenario::Steady,
        tick_interval: Duration::from_secs(1),
        prescribed_ping: Duration::from_secs(3),
        ..SimConfig::default()
    };
    let rig = rig(sim, FeedConfig::default(), &["BTC/USDT"]);
    rig.until(60, "connected", |s| status(s) == FeedStatus::Connected)
        .await;
    let before = rig.sim.stats().pings_answered;
    tokio::time::sleep(Duration::from_mins(1)).await;
    let pings = rig.sim.stats().pings_answered - before;
    assert!((19..=21).contains(&pings), "{pings} pings in 60 s");
    assert_eq!(rig.sim.stats().ws_sessions, 1);
    rig.stop().await;
}

/// KuCoin asks clients to wait for the `welcome` before subscribing: a venue slow to say it
/// gets no request before it, and the symbols stream once it came.
#[tokio::test(start_paused = true)]
async fn kucoin_subscribes_only_after_the_welcome() {
    let sim = SimConfig {
        exchange: ExchangeId::Kucoin,
        scenario: Scenario::Steady,
        tick_interval: Duration::from_millis(200),
        welcome_delay: Duration::from_secs(2),
        ..SimConfig::default()
    };
    let rig = rig(sim, FeedConfig::default(), &["BTC/USDT", "ETH/USDT"]);
    let snap = rig
        .until(30, "both streaming", |s| {
            updates(s, "BTC/USDT") > 3 && updates(s, "ETH/USDT") > 3
        })
        .await;
    let stats = rig.sim.stats();
    assert_eq!(stats.early_requests, 0, "{stats:?} {:#?}", history(&snap));
    assert_eq!(stats.ws_sessions, 1);
    rig.stop().await;
}
