//! KuCoin's own: a symbol added streams both of its topics, maintenance is a 1001 close
//! without notice, the token reply names the WebSocket endpoint, and a refused comma-list
//! topic marks every symbol it names.

use std::sync::Arc;

use crate::common::{
    self, fast_config, has_reason, history, memory_for, patient_config, sim_config, tcp_for,
    updates,
};
use pricewire_core::exchange::kucoin::Kucoin;
use pricewire_core::feed::FeedBuilder;
use pricewire_core::feed::command::Command;
use pricewire_core::model::ExchangeId;
use pricewire_core::store::{Snapshot, Store, StoreLimits};
use pricewire_core::symbol::Symbol;
use pricewire_sim::{Scenario, SimServer};
use tokio_util::sync::CancellationToken;

const KUCOIN: ExchangeId = ExchangeId::Kucoin;

fn has_24h(snap: &Snapshot, symbol: &str) -> bool {
    super::has_24h(snap, KUCOIN, symbol)
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
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_mins(1);
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

#[tokio::test]
async fn a_refused_comma_list_topic_marks_every_symbol_it_names() {
    let sim_cfg = pricewire_sim::SimConfig {
        refuse: vec!["ETH-USDT".into()],
        ..sim_config(KUCOIN, Scenario::Steady)
    };
    let rig = common::tcp_with(sim_cfg, fast_config(), &["BTC/USDT", "ETH/USDT"]).await;
    let invalid = |s: &Snapshot, sym: &str| {
        s.row(KUCOIN, sym)
            .is_some_and(|r| matches!(&r.state, pricewire_core::store::RowState::Invalid(m) if m.contains("/market/ticker:BTC-USDT,ETH-USDT")))
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
