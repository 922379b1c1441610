//! The supervisor's state machine on tokio's paused time: the WebSocket and REST run over
//! in-memory pipes to the simulator, so backoff, timeouts and watchdogs take no real time.

mod common;

use common::{fast_config, has_reason, history, memory, status, updates};
use pricewire_core::config::FeedConfig;
use pricewire_core::model::{ExchangeId, FeedStatus};
use pricewire_core::store::RowState;
use pricewire_sim::Scenario;
use pricewire_sim::SimStats;

#[tokio::test(start_paused = true)]
async fn backoff_counts_attempts_then_goes_offline() {
    let rig = memory(Scenario::Down, fast_config(), &["BTC/USD"]);
    let offline = rig
        .until(120, "offline", |s| {
            matches!(status(s), FeedStatus::Offline { .. })
        })
        .await;
    let snap = offline.clone();
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
    assert_eq!(rig.sim.stats().ws_sessions, 0);
    assert!(
        !history(&snap)
            .iter()
            .any(|l| l.starts_with("offline → offline")),
        "{:#?}",
        history(&snap)
    );
    rig.sim.set_scenario(Scenario::Steady);
    rig.recovered(120, &offline, "BTC/USD", 2).await;
    assert_eq!(rig.sim.stats().ws_sessions, 1, "{:#?}", history(&snap));
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn unanswered_ping_reconnects() {
    // The venue keeps ignoring pings: each session streams until its pong timeout, so the
    // reconnect itself is what brings prices back.
    let rig = memory(Scenario::PongNever, fast_config(), &["BTC/USD"]);
    let fault = rig.fault(60, "pong not received within 1 s").await;
    assert!(updates(&fault, "BTC/USD") > 0, "data flows without pongs");
    let snap = rig.recovered(2, &fault, "BTC/USD", 2).await;
    let stats = rig.sim.stats();
    assert!(stats.ws_sessions >= 2, "a second session: {stats:?}");
    assert!(stats.subscribe_requests >= 2, "resubscribed: {stats:?}");
    assert_eq!(stats.pings_answered, 0, "{:#?}", history(&snap));
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn slow_handshake_hits_the_connect_timeout() {
    let rig = memory(Scenario::SlowConnect, fast_config(), &["BTC/USD"]);
    let fault = rig.fault(60, "connect timeout").await;
    assert_eq!(rig.sim.stats().ws_sessions, 0, "no handshake completed");
    assert_eq!(updates(&fault, "BTC/USD"), 0);
    rig.sim.set_scenario(Scenario::Steady);
    // The attempt in flight still waits out its 2 s timeout; the next one connects.
    let snap = rig.recovered(4, &fault, "BTC/USD", 2).await;
    let stats = rig.sim.stats();
    assert_eq!(stats.ws_sessions, 1, "{stats:?} {:#?}", history(&snap));
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn acked_but_silent_subscription_is_resubscribed() {
    // Heartbeats come every second: the watchdog must allow for that.
    let cfg = FeedConfig {
        silence: Some(std::time::Duration::from_secs(3)),
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
    // Heartbeats keep the connection up, but nothing is live: the header must not say LIVE.
    assert_eq!(status(&snap), FeedStatus::Quiet, "{:#?}", history(&snap));
    assert!(
        has_reason(
            &snap,
            "connected → quiet: connected, but no data from any symbol for"
        ),
        "{:#?}",
        history(&snap)
    );
    // The resubscribe reaches the venue on the first connection.
    rig.until(5, "the resubscribe at the simulator", |_| {
        rig.sim.stats().subscribe_requests == 2
    })
    .await;
    assert_eq!(
        rig.sim.stats().ws_sessions,
        1,
        "resubscribed, not reconnected"
    );
    // From here the venue sends data to new connections: the one reconnect recovers.
    rig.sim.set_scenario(Scenario::Steady);
    let fault = rig
        .fault(60, "BTC/USD: subscription acked but no data; reconnecting")
        .await;
    let snap = rig.recovered(2, &fault, "BTC/USD", 2).await;
    let one_reconnect = |stats: SimStats| (stats.ws_sessions, stats.subscribe_requests) == (2, 3);
    assert!(one_reconnect(rig.sim.stats()), "{:?}", rig.sim.stats());
    assert_eq!(
        snap.row(ExchangeId::Kraken, "BTC/USD").map(|r| &r.state),
        Some(&RowState::Subscribed),
        "{:#?}",
        history(&snap)
    );
    tokio::time::sleep(std::time::Duration::from_secs(10)).await;
    assert!(one_reconnect(rig.sim.stats()), "{:?}", rig.sim.stats());
    assert_eq!(status(&rig.store.snapshot()), FeedStatus::Connected);
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn oversized_frame_drops_the_connection() {
    let cfg = FeedConfig {
        max_frame_bytes: 1 << 20,
        ..fast_config()
    };
    let rig = memory(Scenario::Oversized, cfg, &["BTC/USD"]);
    let fault = rig
        .fault(
            60,
            "frame larger than the 1048576-byte limit; connection dropped",
        )
        .await;
    rig.sim.set_scenario(Scenario::Steady);
    let snap = rig.recovered(2, &fault, "BTC/USD", 2).await;
    let stats = rig.sim.stats();
    assert_eq!(stats.ws_sessions, 2, "{stats:?} {:#?}", history(&snap));
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn venue_maintenance_is_shown_then_cleared() {
    let cfg = FeedConfig {
        silence: Some(std::time::Duration::from_secs(30)),
        ..fast_config()
    };
    let rig = memory(Scenario::Maintenance, cfg, &["BTC/USD"]);
    let fault = rig.fault(60, "exchange status: maintenance").await;
    assert_eq!(
        updates(&fault, "BTC/USD"),
        0,
        "no prices during maintenance"
    );
    // The simulator's maintenance lasts 5 s from the connection.
    let snap = rig.recovered(6, &fault, "BTC/USD", 2).await;
    assert!(
        has_reason(&snap, "exchange status: online"),
        "{:#?}",
        history(&snap)
    );
    assert!(
        !history(&snap).iter().any(|l| l.contains("→ reconnecting")),
        "{:#?}",
        history(&snap)
    );
    assert_eq!(rig.sim.stats().ws_sessions, 1, "{:#?}", history(&snap));
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn flapping_opens_the_circuit_breaker() {
    let cfg = FeedConfig {
        breaker_threshold: 3,
        breaker_cooldown: std::time::Duration::from_secs(5),
        max_attempts: 10,
        ..fast_config()
    };
    let rig = memory(Scenario::Flapping, cfg, &["BTC/USD"]);
    rig.until(120, "breaker open, probe, open again", |s| {
        has_reason(s, "circuit breaker open: 3 failures in a row")
            && has_reason(s, "circuit breaker half-open")
    })
    .await;
    let flapping = rig.store.snapshot();
    let sessions = rig.sim.stats().ws_sessions;
    rig.sim.set_scenario(Scenario::Steady);
    rig.recovered(120, &flapping, "BTC/USD", 20).await;
    assert!(rig.sim.stats().ws_sessions > sessions);
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn clean_close_is_reported_with_its_code() {
    let rig = memory(Scenario::CloseAfter(3), fast_config(), &["BTC/USD"]);
    let fault = rig.fault(60, "closed by server (1001 going away").await;
    rig.sim.set_scenario(Scenario::Steady);
    let snap = rig.recovered(2, &fault, "BTC/USD", 2).await;
    let stats = rig.sim.stats();
    assert_eq!(stats.ws_sessions, 2, "{stats:?} {:#?}", history(&snap));
    assert_eq!(stats.subscribe_requests, 2, "{stats:?}");
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
