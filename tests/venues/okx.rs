//! OKX's own: its `60018` error for an unlisted instrument, and the 64008 service-upgrade
//! notice.

use crate::common::{fast_config, has_reason, history, memory_for, status, tcp_for, updates};
use pricewire_core::model::{ExchangeId, FeedStatus};
use pricewire_core::store::RowState;
use pricewire_sim::Scenario;

const OKX: ExchangeId = ExchangeId::Okx;

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
