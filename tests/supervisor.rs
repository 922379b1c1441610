//! The supervisor's state machine on tokio's paused time: the WebSocket and REST run over
//! in-memory pipes to the simulator, so backoff, timeouts and watchdogs take no real time.

mod common;

use common::{fast_config, has_reason, history, memory, status, updates};
use pricewire::config::FeedConfig;
use pricewire::model::{ExchangeId, FeedStatus};
use pricewire::sim::Scenario;
use pricewire::store::RowState;

#[tokio::test(start_paused = true)]
async fn backoff_counts_attempts_then_goes_offline() {
    let rig = memory(Scenario::Down, fast_config(), &["BTC/USD"]);
    let snap = rig
        .until(120, "offline", |s| {
            matches!(status(s), FeedStatus::Offline { .. })
        })
        .await;
    let feed = &snap.feeds[0];
    let attempts: Vec<(u32, u32)> = feed
        .history
        .iter()
        .filter_map(|t| match t.to {
            FeedStatus::Reconnecting {
                attempt,
                max_attempts,
                ..
            } => Some((attempt, max_attempts)),
            _ => None,
        })
        .collect();
    assert_eq!(attempts, vec![(1, 3), (2, 3)], "{:#?}", history(&snap));
    for t in &feed.history {
        if let FeedStatus::Reconnecting { next_try, .. } = t.to {
            // Backoff ceiling is 0.4 s in the fast config.
            assert!(next_try - t.at <= chrono::Duration::milliseconds(450));
        }
    }
    assert!(has_reason(&snap, "connection refused"));
    assert!(has_reason(&snap, "WebSocket and REST both failing"));
    // Further failed retries while offline refresh the countdown; they are not new states.
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    let snap = rig.store.snapshot();
    assert!(
        !history(&snap)
            .iter()
            .any(|l| l.starts_with("offline → offline")),
        "{:#?}",
        history(&snap)
    );
    rig.sim.set_scenario(Scenario::Steady);
    rig.until(120, "recovery", |s| updates(s, "BTC/USD") > 0)
        .await;
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn unanswered_ping_reconnects() {
    let rig = memory(Scenario::PongNever, fast_config(), &["BTC/USD"]);
    let snap = rig
        .until(60, "pong timeout", |s| {
            has_reason(s, "pong not received within 1 s")
        })
        .await;
    assert!(updates(&snap, "BTC/USD") > 0);
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn slow_handshake_hits_the_connect_timeout() {
    let rig = memory(Scenario::SlowConnect, fast_config(), &["BTC/USD"]);
    rig.until(60, "connect timeout", |s| has_reason(s, "connect timeout"))
        .await;
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn acked_but_silent_subscription_is_resubscribed() {
    // Heartbeats come every second: the watchdog must allow for that.
    let cfg = FeedConfig {
        silence_secs: 3.0,
        ..fast_config()
    };
    let rig = memory(Scenario::AckedButSilent, cfg, &["BTC/USD"]);
    let snap = rig
        .until(60, "silent row", |s| {
            matches!(
                s.row(ExchangeId::Kraken, "BTC/USD").map(|r| &r.state),
                Some(RowState::Silent(_))
            )
        })
        .await;
    assert_eq!(
        status(&snap),
        FeedStatus::Connected,
        "heartbeats keep it up"
    );
    rig.until(60, "reconnect for the silent symbol", |s| {
        has_reason(s, "BTC/USD: subscription acked but no data")
    })
    .await;
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn oversized_frame_drops_the_connection() {
    let cfg = FeedConfig {
        max_frame_bytes: 1 << 20,
        ..fast_config()
    };
    let rig = memory(Scenario::Oversized, cfg, &["BTC/USD"]);
    rig.until(60, "oversized frame", |s| {
        has_reason(s, "frame larger than")
    })
    .await;
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn venue_maintenance_is_shown_then_cleared() {
    let cfg = FeedConfig {
        silence_secs: 30.0,
        ..fast_config()
    };
    let rig = memory(Scenario::Maintenance, cfg, &["BTC/USD"]);
    let snap = rig
        .until(60, "maintenance and back", |s| {
            has_reason(s, "exchange status: maintenance")
                && has_reason(s, "exchange status: online")
        })
        .await;
    assert_eq!(status(&snap), FeedStatus::Connected);
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn flapping_opens_the_circuit_breaker() {
    let cfg = FeedConfig {
        breaker_threshold: 3,
        breaker_cooldown_secs: 5.0,
        max_attempts: 10,
        ..fast_config()
    };
    let rig = memory(Scenario::Flapping, cfg, &["BTC/USD"]);
    rig.until(120, "breaker open, probe, open again", |s| {
        has_reason(s, "circuit breaker open: 3 failures in a row")
            && has_reason(s, "circuit breaker half-open")
    })
    .await;
    rig.sim.set_scenario(Scenario::Steady);
    rig.until(120, "streaming again", |s| {
        status(s) == FeedStatus::Connected && updates(s, "BTC/USD") > 20
    })
    .await;
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn clean_close_is_reported_with_its_code() {
    let rig = memory(Scenario::CloseAfter(3), fast_config(), &["BTC/USD"]);
    rig.until(60, "close code", |s| {
        has_reason(s, "closed by server (1001")
    })
    .await;
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn pair_list_missing_at_start_is_fetched_once_the_venue_answers() {
    let rig = memory(Scenario::Down, fast_config(), &["BTC/USD"]);
    rig.until(60, "offline", |s| {
        matches!(status(s), FeedStatus::Offline { .. })
    })
    .await;
    // Without the list, spelling alone decides.
    assert_eq!(rig.handle.resolve("xbt-usd").unwrap().as_str(), "XBT/USD");
    rig.sim.set_scenario(Scenario::Steady);
    rig.until(120, "streaming", |s| updates(s, "BTC/USD") > 0)
        .await;
    assert_eq!(rig.handle.resolve("xbt-usd").unwrap().as_str(), "BTC/USD");
    assert!(rig.handle.resolve("NOPE/USD").is_err());
    rig.stop().await;
}
