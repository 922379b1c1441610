//! A symbol that streamed and then stopped while the connection lives (heartbeats go on):
//! found by its own pace, resubscribed on the same connection, marked meanwhile; a slow
//! pair is never churned. Paused time, in-memory pipes.

mod common;

use std::time::Duration;

use common::{Rig, history, status, updates};
use pricewire_core::config::FeedConfig;
use pricewire_core::model::{ExchangeId, FeedStatus};
use pricewire_core::store::{RowState, Snapshot};
use pricewire_sim::{Scenario, SimConfig};

fn rig(tick: Duration, symbols: &[&str]) -> Rig {
    let sim = SimConfig {
        exchange: ExchangeId::Kraken,
        scenario: Scenario::Steady,
        tick_interval: tick,
        ..SimConfig::default()
    };
    common::memory_with(sim, FeedConfig::default(), symbols)
}

fn row_state(snap: &Snapshot, symbol: &str) -> RowState {
    snap.row(ExchangeId::Kraken, symbol).unwrap().state.clone()
}

#[tokio::test(start_paused = true)]
async fn a_stalled_symbol_is_resubscribed_and_back_on_the_same_connection() {
    let symbols = ["BTC/USD", "ETH/USD"];
    let rig = rig(Duration::from_millis(500), &symbols);
    let snap = rig
        .until(30, "streaming", |s| {
            symbols.iter().all(|sym| updates(s, sym) > 20)
        })
        .await;
    let subscribes = rig.sim.stats().subscribe_requests;
    rig.sim.stall_streams();
    let stalled_at = tokio::time::Instant::now();
    // Each pair ticked twice a second: after 15 s of silence it is resubscribed.
    rig.until(30, "resubscribed", |_| {
        rig.sim.stats().subscribe_requests >= subscribes + 2
    })
    .await;
    let waited = stalled_at.elapsed();
    assert!(
        (Duration::from_secs(15)..=Duration::from_secs(17)).contains(&waited),
        "{waited:?}"
    );
    let before: Vec<u64> = symbols.iter().map(|s| updates(&snap, s)).collect();
    let snap = rig
        .until(60, "data back", |s| {
            symbols.iter().zip(&before).all(|(sym, n)| {
                updates(s, sym) > n + 5 && row_state(s, sym) == RowState::Subscribed
            }) && status(s) == FeedStatus::Connected
        })
        .await;
    assert!(stalled_at.elapsed() <= Duration::from_mins(1));
    assert_eq!(
        rig.sim.stats().ws_sessions,
        1,
        "no reconnect: {:#?}",
        history(&snap)
    );
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_symbol_a_resubscribe_does_not_bring_back_is_marked_then_reconnected() {
    let symbols = ["BTC/USD", "ETH/USD"];
    let rig = rig(Duration::from_millis(500), &symbols);
    rig.until(30, "streaming", |s| {
        symbols.iter().all(|sym| updates(s, sym) > 20)
    })
    .await;
    rig.sim.stall_streams_until_reconnect();
    let stalled_at = tokio::time::Instant::now();
    // Marked within 30 s, with why, while the resubscribe is awaited.
    let snap = rig
        .until(30, "rows marked", |s| {
            symbols
                .iter()
                .all(|sym| matches!(row_state(s, sym), RowState::Silent(_)))
        })
        .await;
    let RowState::Silent(why) = row_state(&snap, "BTC/USD") else {
        unreachable!()
    };
    assert_eq!(
        why,
        "no update for 15 s (usually every 0.5 s); resubscribing"
    );
    // Connected, heartbeats flowing, but nothing live: the header must not say LIVE.
    let snap = rig
        .until(5, "quiet", |s| status(s) == FeedStatus::Quiet)
        .await;
    assert_eq!(rig.sim.stats().ws_sessions, 1, "{:#?}", history(&snap));
    // The resubscribe did not help: one reconnect, and the new connection streams.
    let fault = rig
        .fault(30, "not even after a resubscribe; reconnecting")
        .await;
    let before = updates(&fault, "BTC/USD");
    let snap = rig
        .until(10, "the new connection streams", |s| {
            status(s) == FeedStatus::Connected
                && updates(s, "BTC/USD") > before + 2
                && rig.sim.stats().ws_sessions == 2
        })
        .await;
    assert!(stalled_at.elapsed() <= Duration::from_mins(1));
    assert_eq!(rig.sim.stats().ws_sessions, 2, "{:#?}", history(&snap));
    assert_eq!(row_state(&snap, "ETH/USD"), RowState::Subscribed);
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_pair_ticking_every_two_minutes_is_never_resubscribed() {
    let rig = rig(Duration::from_mins(2), &["BTC/USD"]);
    rig.until(30, "first data", |s| updates(s, "BTC/USD") > 0)
        .await;
    tokio::time::sleep(Duration::from_mins(15)).await;
    let snap = rig.store.snapshot();
    let stats = rig.sim.stats();
    assert_eq!(stats.subscribe_requests, 1, "{:#?}", history(&snap));
    assert_eq!(stats.ws_sessions, 1, "{:#?}", history(&snap));
    assert_eq!(row_state(&snap, "BTC/USD"), RowState::Subscribed);
    assert!(updates(&snap, "BTC/USD") >= 7);
    assert_eq!(
        snap.feeds[0].history.len(),
        1,
        "no flapping: {:#?}",
        history(&snap)
    );
    rig.stop().await;
}

/// Acked, never fed, not even after a resubscribe and a reconnect: the symbols are polled
/// over REST on the open connection, marked `rest`, and the history says so; the requests
/// are paced (one a second here, however often the config would poll).
#[tokio::test(start_paused = true)]
async fn symbols_the_socket_never_feeds_are_polled_over_rest() {
    let rig = common::memory(
        Scenario::AckedButSilent,
        common::fast_config(),
        &["BTC/USD", "ETH/USD"],
    );
    let snap = rig
        .until(60, "polled prices", |s| {
            ["BTC/USD", "ETH/USD"].iter().all(|sym| {
                s.row(ExchangeId::Kraken, sym)
                    .and_then(pricewire_core::store::Row::source)
                    .is_some_and(|src| src == pricewire_core::model::Source::Rest)
            })
        })
        .await;
    assert!(
        common::has_reason(
            &snap,
            "BTC/USD, ETH/USD: no data on the WebSocket; polling over REST every 0.3 s"
        ),
        "{:#?}",
        history(&snap)
    );
    assert_eq!(
        rig.sim.stats().ws_sessions,
        2,
        "one reconnect, then polling"
    );
    assert_eq!(status(&snap), FeedStatus::Quiet, "polled is not live");
    let before = rig.sim.stats().rest_requests;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let polls = rig.sim.stats().rest_requests - before;
    assert!((9..=11).contains(&polls), "{polls} requests in 10 s");
    let snap = rig.store.snapshot();
    assert_eq!(rig.sim.stats().ws_sessions, 2, "{:#?}", history(&snap));
    assert!(updates(&snap, "BTC/USD") >= 9);
    rig.stop().await;
}
