//! A feed with nothing to watch opens no connection and says so; adding a symbol connects,
//! dropping the last one closes the connection again. Paused time, in-memory pipes.

mod common;

use std::time::Duration;

use common::{fast_config, has_reason, history, memory_for, status, updates};
use pricewire_core::feed::command::Command;
use pricewire_core::model::{ExchangeId, FeedStatus};
use pricewire_sim::Scenario;

#[tokio::test(start_paused = true)]
async fn nothing_to_watch_is_idle_without_a_socket_until_a_symbol_is_added() {
    // Binance lists no USD books: both defaults of another venue are invalid here.
    let rig = memory_for(
        ExchangeId::Binance,
        Scenario::Steady,
        fast_config(),
        &["BTC/USD", "ETH/USD"],
    );
    rig.until(30, "idle", |s| status(s) == FeedStatus::Idle)
        .await;
    tokio::time::sleep(Duration::from_mins(2)).await;
    let snap = rig.store.snapshot();
    assert_eq!(status(&snap), FeedStatus::Idle, "{:#?}", history(&snap));
    assert!(
        has_reason(&snap, "nothing to watch"),
        "{:#?}",
        history(&snap)
    );
    assert!(!has_reason(&snap, "no data"), "{:#?}", history(&snap));
    assert_eq!(rig.sim.stats().ws_sessions, 0, "no socket for no one");
    assert_eq!(snap.feeds[0].history.len(), 1, "{:#?}", history(&snap));

    let market = rig
        .handle
        .market("BTC/USDT")
        .expect("binance lists BTC/USDT");
    let symbol = market.symbol.clone();
    rig.handle.send(Command::Add(market)).unwrap();
    rig.until(30, "prices", |s| {
        status(s) == FeedStatus::Connected && updates(s, "BTC/USDT") > 0
    })
    .await;
    assert_eq!(rig.sim.stats().ws_sessions, 1);

    rig.handle.send(Command::Remove(symbol)).unwrap();
    rig.until(30, "idle again", |s| status(s) == FeedStatus::Idle)
        .await;
    tokio::time::sleep(Duration::from_mins(1)).await;
    let snap = rig.store.snapshot();
    assert_eq!(status(&snap), FeedStatus::Idle, "{:#?}", history(&snap));
    assert!(
        has_reason(&snap, "nothing left to watch"),
        "{:#?}",
        history(&snap)
    );
    assert_eq!(
        rig.sim.stats().ws_sessions,
        1,
        "the connection closed, none opened"
    );
    rig.stop().await;
}
