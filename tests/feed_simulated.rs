//! Simulated data is never taken for a real market: every reply of the simulator announces
//! it (`X-Pricewire-Simulator`), in memory and over TCP, and a feed that hears it marks
//! itself simulated in the store, whatever flag started it. A plain WebSocket server that
//! does not announce itself is never marked.

mod common;
mod faults_support;

use std::sync::Arc;
use std::time::Duration;

use common::{Rig, fast_config, memory_for, sim_config, status, updates};
use faults_support::{Step, kraken_ticker, scripted_venue};
use pricewire_core::feed::net::{self, SIMULATOR_HEADER, TcpConnector};
use pricewire_core::model::{ExchangeId, FeedStatus};
use pricewire_sim::{Scenario, SimConnector, SimServer};

const SECOND: Duration = Duration::from_secs(1);

/// One symbol each venue's simulator lists.
fn symbol_of(exchange: ExchangeId) -> &'static str {
    match exchange {
        ExchangeId::Kraken | ExchangeId::Coinbase => "BTC/USD",
        _ => "BTC/USDT",
    }
}

#[tokio::test]
async fn every_reply_of_the_simulator_announces_it() {
    for scenario in [Scenario::Steady, Scenario::Rest429, Scenario::RefuseWs] {
        let sim = Arc::new(SimServer::in_memory(sim_config(
            ExchangeId::Kraken,
            scenario,
        )));
        let connector = SimConnector::new(Arc::clone(&sim));
        let rest = sim.rest_url();
        for (method, path) in [
            (hyper::Method::GET, "/0/public/AssetPairs"),
            (hyper::Method::GET, "/no/such/route"),
            (hyper::Method::PUT, "/0/public/AssetPairs"),
        ] {
            let url = format!("{rest}{path}");
            let reply = net::http(&connector, method.clone(), &url, 1 << 24, SECOND * 5)
                .await
                .unwrap_or_else(|e| panic!("{scenario:?} {method} {path}: {e}"));
            assert!(
                reply.simulated,
                "{scenario:?} {method} {path}: HTTP {}",
                reply.status
            );
        }
        let ws = net::connect_ws(&connector, &sim.ws_url(), 1 << 20, SECOND * 5).await;
        match (scenario, ws) {
            (Scenario::RefuseWs, Err(e)) => assert_eq!(e.to_string(), "HTTP 503"),
            (_, Ok((_, upgrade))) => {
                assert_eq!(upgrade.status(), 101);
                assert_eq!(upgrade.headers()[SIMULATOR_HEADER], "1");
                assert!(net::announces_simulator(upgrade.headers()));
            }
            (s, Err(e)) => panic!("{s:?}: {e}"),
        }
    }
}

/// `--demo` and tests: each venue's simulator, dialled in memory.
#[tokio::test(start_paused = true)]
async fn a_feed_against_any_venue_simulator_is_marked_simulated() {
    for exchange in ExchangeId::ALL {
        let symbol = symbol_of(exchange);
        let rig = memory_for(exchange, Scenario::Steady, fast_config(), &[symbol]);
        let snap = rig
            .until(20, "prices", |s| {
                status(s) == FeedStatus::Connected && updates(s, symbol) > 0
            })
            .await;
        assert!(snap.feeds[0].simulated, "{exchange}");
        assert!(rig.store.is_simulated(exchange), "{exchange}");
        rig.stop().await;
    }
}

/// A feed built as for a real venue, over real TCP, to the given URLs.
fn kraken_feed(ws_url: &str, rest_url: &str) -> Rig {
    common::kraken_over(
        TcpConnector::default(),
        ws_url,
        rest_url,
        fast_config(),
        &["BTC/USD"],
    )
}

fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// `pricewire sim` reached through `--ws-url` alone (REST goes nowhere): the WebSocket
/// upgrade is what tells.
#[tokio::test]
async fn the_simulator_behind_ws_url_is_caught_by_its_upgrade() {
    let sim = SimServer::start(
        "127.0.0.1:0".parse().unwrap(),
        sim_config(ExchangeId::Kraken, Scenario::Steady),
    )
    .await
    .unwrap();
    let rig = kraken_feed(&sim.ws_url(), &closed_port_url());
    let snap = rig
        .until(20, "prices from the simulator", |s| {
            status(s) == FeedStatus::Connected && updates(s, "BTC/USD") > 0
        })
        .await;
    assert_eq!(snap.feeds[0].counters.rest_polls, 0);
    assert!(snap.feeds[0].simulated);
    rig.stop().await;
    sim.shutdown().await;
}

/// A WebSocket server that says nothing about itself is taken as the venue it plays.
#[tokio::test]
async fn a_plain_websocket_venue_is_not_marked() {
    let mut script = Vec::new();
    for i in 1..=20 {
        script.push(Step::Send(kraken_ticker(
            "BTC/USD",
            &format!("100.{i}"),
            &format!("2026-01-01T00:00:{i:02}.000000Z"),
        )));
        script.push(Step::Pause(Duration::from_millis(20)));
    }
    let venue = scripted_venue(vec![script]).await;
    let rest = venue.url.replace("ws://", "http://").replace("/v2", "");
    let rig = kraken_feed(&venue.url, &rest);
    let snap = rig
        .until(20, "prices from the plain venue", |s| {
            status(s) == FeedStatus::Connected && updates(s, "BTC/USD") > 3
        })
        .await;
    assert!(!snap.feeds[0].simulated);
    assert!(!rig.store.is_simulated(ExchangeId::Kraken));
    rig.stop().await;
}
