//! Coinbase's own: the heartbeats channel keeps a quiet connection alive, and a gap in
//! `sequence_num` is answered with a fresh snapshot.

use crate::common::{self, fast_config, history, memory_for, status, updates};
use pricewire_core::model::{ExchangeId, FeedStatus};
use pricewire_sim::Scenario;

const VENUE: ExchangeId = ExchangeId::Coinbase;

// In memory on paused time: the 3.5 s are simulated, so a loaded machine cannot stretch a
// heartbeat gap past the watchdog.
#[tokio::test(start_paused = true)]
async fn heartbeats_keep_a_quiet_connection_alive() {
    // Acked but no ticker data: only the heartbeats channel speaks, once a second, which
    // keeps a 1.5 s silence watchdog quiet.
    let cfg = pricewire_core::config::FeedConfig {
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
    let sim_cfg = pricewire_sim::SimConfig {
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
