//! Bybit's own: the client pings and Bybit answers (or not), and subscribe requests go in
//! chunks of ten topics, each refused or acked as a whole.

use crate::common::{self, fast_config, has_reason, memory_for, tcp_for, updates};
use pricewire_core::model::ExchangeId;
use pricewire_core::store::Snapshot;
use pricewire_sim::Scenario;

const VENUE: ExchangeId = ExchangeId::Bybit;

#[tokio::test]
async fn unanswered_pings_fire_the_pong_timeout() {
    let rig = tcp_for(VENUE, Scenario::PongNever, fast_config(), &["BTC/USDT"]).await;
    rig.until(8, "the pong timeout", |s| {
        has_reason(s, "pong not received within 1 s")
    })
    .await;
    assert_eq!(rig.sim.stats().pings_answered, 0);
    rig.stop().await;
}

// In memory on paused time: "one session" must not depend on the machine's load.
#[tokio::test(start_paused = true)]
async fn answered_pings_keep_the_connection() {
    let rig = memory_for(VENUE, Scenario::Steady, fast_config(), &["BTC/USDT"]);
    rig.until(8, "pongs", |_| rig.sim.stats().pings_answered >= 2)
        .await;
    assert_eq!(rig.sim.stats().ws_sessions, 1);
    rig.stop().await;
}

#[tokio::test]
async fn a_refused_request_marks_the_rows_of_its_own_chunk() {
    // Seven symbols are fourteen topics: two requests of at most ten. The second
    // (LINK, LTC) is refused as a whole; the first streams.
    let sim_cfg = pricewire_sim::SimConfig {
        refuse: vec!["LTCUSDT".into()],
        ..common::sim_config(VENUE, Scenario::Steady)
    };
    let symbols = [
        "ADA/USDT",
        "BTC/USDT",
        "DOGE/USDT",
        "DOT/USDT",
        "ETH/USDT",
        "LINK/USDT",
        "LTC/USDT",
    ];
    let rig = common::tcp_with(sim_cfg, fast_config(), &symbols).await;
    let invalid = |s: &Snapshot, sym: &str| {
        s.row(VENUE, sym)
            .is_some_and(|r| matches!(r.state, pricewire_core::store::RowState::Invalid(_)))
    };
    let snap = rig
        .until(8, "the refused chunk marked, the other streaming", |s| {
            invalid(s, "LINK/USDT")
                && invalid(s, "LTC/USDT")
                && symbols[..5].iter().all(|sym| updates(s, sym) > 1)
        })
        .await;
    for sym in &symbols[..5] {
        assert!(!invalid(&snap, sym), "{sym}: {:#?}", snap.rows);
    }
    rig.stop().await;
}
