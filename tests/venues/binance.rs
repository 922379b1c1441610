//! Binance's own: maintenance is announced as a server shutdown, then a planned reconnect.

use crate::common::{fast_config, has_reason, status, tcp_for, updates};
use pricewire_core::model::{ExchangeId, FeedStatus};
use pricewire_sim::Scenario;

const VENUE: ExchangeId = ExchangeId::Binance;

#[tokio::test]
async fn maintenance_is_a_server_shutdown_notice_then_a_planned_reconnect() {
    let rig = tcp_for(VENUE, Scenario::Maintenance, fast_config(), &["BTC/USDT"]).await;
    let snap = rig
        .until(60, "a planned reconnect (a hang guard)", |s| {
            has_reason(s, "planned reconnect: binance announced a server shutdown")
        })
        .await;
    assert!(
        updates(&snap, "BTC/USDT") > 0,
        "data flows until the restart"
    );
    rig.until(60, "connected again (a hang guard)", |s| {
        status(s) == FeedStatus::Connected
    })
    .await;
    rig.stop().await;
}
