//! The fault matrix, WebSocket side, on tokio's paused time over in-memory pipes to the
//! simulator: each fault is followed by the transition it must cause (with its reason), a
//! recovery within a bound, and prices flowing again. Rows already proven elsewhere are
//! listed in docs/RELIABILITY.md; the REST rows are in faults_fallback.rs.

mod common;
mod faults_support;

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use common::start;
use common::{fast_config, has_reason, history, memory, status, updates};
use faults_support::{PanickyKraken, ctx, sim, store};
use pricewire_core::config::FeedConfig;
use pricewire_core::exchange::kraken::Kraken;
use pricewire_core::model::{ExchangeId, FeedStatus};
use pricewire_core::store::RowState;
use pricewire_sim::{Scenario, SimStats};
use tokio::time::Instant;

/// Start on `scenario`, wait for `reason`, switch the simulator to steady and require a
/// connected feed with new prices within `bound` of the failure being recorded. Returns
/// what the simulator counted, for the row's own claims about sessions and subscribes.
async fn fails_then_recovers(
    scenario: Scenario,
    cfg: FeedConfig,
    reason: &str,
    bound: Duration,
) -> SimStats {
    let rig = memory(scenario, cfg, &["BTC/USD"]);
    let snap = rig
        .until(120, reason, |s| {
            history(s)
                .iter()
                .any(|l| l.contains(reason) && !l.contains("→ connected"))
        })
        .await;
    let failed_at = Instant::now();
    rig.sim.set_scenario(Scenario::Steady);
    let before = updates(&snap, "BTC/USD");
    let marks = snap.feeds[0].history.len();
    rig.until(bound.as_secs() + 1, "recovery with prices", |s| {
        let f = &s.feeds[0];
        f.history.len() > marks
            && status(s) == FeedStatus::Connected
            && updates(s, "BTC/USD") > before + 2
    })
    .await;
    let took = failed_at.elapsed();
    assert!(
        took <= bound,
        "{reason}: recovery took {took:?} > {bound:?}"
    );
    let stats = rig.sim.stats();
    rig.stop().await;
    stats
}

/// A fault that ends a WebSocket session: recovery is a second session, resubscribed.
fn reconnected(stats: SimStats) {
    assert!(
        stats.ws_sessions >= 2 && stats.subscribe_requests >= 2,
        "a new session, resubscribed: {stats:?}"
    );
}

// Row 1: clean close 1001 (1000 is in faults_endpoints.rs, against a scripted venue).
#[tokio::test(start_paused = true)]
async fn clean_close_recovers() {
    let stats = fails_then_recovers(
        Scenario::CloseAfter(3),
        fast_config(),
        "closed by server (1001 going away",
        Duration::from_secs(2),
    )
    .await;
    reconnected(stats);
}

// Row 2: abrupt close, no close frame (1006).
#[tokio::test(start_paused = true)]
async fn abrupt_close_recovers() {
    let stats = fails_then_recovers(
        Scenario::DropAfter(3),
        fast_config(),
        "connection lost (1006)",
        Duration::from_secs(2),
    )
    .await;
    reconnected(stats);
}

// Row 3: half-open socket: nothing arrives, not even heartbeats.
#[tokio::test(start_paused = true)]
async fn half_open_socket_recovers() {
    let stats = fails_then_recovers(
        Scenario::SilentAfter(3),
        fast_config(),
        "no data for 1 s",
        Duration::from_secs(2),
    )
    .await;
    reconnected(stats);
}

// Row 4: subscription acked, heartbeats flowing, never data: resubscribed, then one
// reconnect for it; prices once the venue sends them.
#[tokio::test(start_paused = true)]
async fn acked_but_silent_recovers() {
    let cfg = FeedConfig {
        silence: Some(Duration::from_secs(3)),
        ..fast_config()
    };
    let stats = fails_then_recovers(
        Scenario::AckedButSilent,
        cfg,
        "BTC/USD: subscription acked but no data; reconnecting",
        Duration::from_secs(2),
    )
    .await;
    // Subscribed, resubscribed on the same connection, then one reconnect, subscribed again.
    assert_eq!(
        (stats.ws_sessions, stats.subscribe_requests),
        (2, 3),
        "{stats:?}"
    );
}

// Row 5: pong never arrives.
#[tokio::test(start_paused = true)]
async fn missing_pong_recovers() {
    let stats = fails_then_recovers(
        Scenario::PongNever,
        fast_config(),
        "pong not received within 1 s",
        Duration::from_secs(2),
    )
    .await;
    reconnected(stats);
}

// Row 6: the handshake hangs beyond the connect timeout.
#[tokio::test(start_paused = true)]
async fn slow_connect_recovers() {
    // The attempt in flight still waits out its 2 s timeout after the switch.
    let stats = fails_then_recovers(
        Scenario::SlowConnect,
        fast_config(),
        "connect timeout",
        Duration::from_secs(4),
    )
    .await;
    // No handshake completed before the switch: the first session is the recovery.
    assert_eq!(stats.ws_sessions, 1, "{stats:?}");
}

// Row 7: connection refused.
#[tokio::test(start_paused = true)]
async fn refused_connection_recovers() {
    let stats = fails_then_recovers(
        Scenario::Down,
        fast_config(),
        "connection refused",
        Duration::from_secs(2),
    )
    .await;
    assert_eq!(stats.ws_sessions, 1, "{stats:?}");
}

// Row 10: malformed frames are counted and skipped; the connection stays up throughout.
#[tokio::test(start_paused = true)]
async fn malformed_frames_are_skipped_without_a_reconnect() {
    let rig = memory(Scenario::Garbage, fast_config(), &["BTC/USD", "ETH/USD"]);
    let snap = rig
        .until(60, "prices between bad frames", |s| {
            s.feeds[0].counters.parse_errors >= 10
                && updates(s, "BTC/USD") > 30
                && updates(s, "ETH/USD") > 30
        })
        .await;
    assert_eq!(status(&snap), FeedStatus::Connected);
    assert_eq!(rig.sim.stats().ws_sessions, 1, "{:#?}", history(&snap));
    assert_eq!(history(&snap).len(), 1, "{:#?}", history(&snap));
    rig.stop().await;
}

// Row 11: oversized frame.
#[tokio::test(start_paused = true)]
async fn oversized_frame_recovers() {
    let stats = fails_then_recovers(
        Scenario::Oversized,
        fast_config(),
        "frame larger than the 1048576-byte limit; connection dropped",
        Duration::from_secs(2),
    )
    .await;
    reconnected(stats);
}

// Row 12: the venue rejects one symbol (the pair list could not be fetched, so nothing
// stopped it before the subscribe); the others stream on the same connection.
#[tokio::test(start_paused = true)]
async fn rejected_symbol_leaves_the_others_streaming() {
    let rig = memory(Scenario::Rest500, fast_config(), &["BTC/USD", "NOPE/USD"]);
    let snap = rig
        .until(30, "rejection and prices", |s| {
            updates(s, "BTC/USD") > 3
                && matches!(
                    s.row(ExchangeId::Kraken, "NOPE/USD").map(|r| &r.state),
                    Some(RowState::Invalid(_))
                )
        })
        .await;
    let nope = snap.row(ExchangeId::Kraken, "NOPE/USD").unwrap();
    assert!(
        matches!(&nope.state, RowState::Invalid(m) if m.contains("Currency pair not supported NOPE/USD")),
        "{:?}",
        nope.state
    );
    assert!(nope.ticker.is_none());
    assert_eq!(status(&snap), FeedStatus::Connected);
    assert_eq!(rig.sim.stats().ws_sessions, 1, "{:#?}", history(&snap));
    rig.stop().await;
}

// Row 13: venue status maintenance is shown while no data flows, then cleared, and prices
// follow.
#[tokio::test(start_paused = true)]
async fn maintenance_is_shown_then_prices_follow() {
    let cfg = FeedConfig {
        silence: Some(Duration::from_secs(30)),
        ..fast_config()
    };
    let rig = memory(Scenario::Maintenance, cfg, &["BTC/USD"]);
    let snap = rig
        .until(30, "maintenance shown", |s| {
            s.feeds[0].reason == "exchange status: maintenance"
        })
        .await;
    assert_eq!(updates(&snap, "BTC/USD"), 0, "no prices during maintenance");
    let shown = Instant::now();
    let snap = rig
        .until(30, "online and prices", |s| {
            has_reason(s, "exchange status: online") && updates(s, "BTC/USD") > 2
        })
        .await;
    // The simulator's maintenance lasts 5 s from the connection.
    assert!(
        shown.elapsed() <= Duration::from_secs(6),
        "{:?} {:#?}",
        shown.elapsed(),
        history(&snap)
    );
    assert_eq!(status(&snap), FeedStatus::Connected);
    assert_eq!(rig.sim.stats().ws_sessions, 1, "{:#?}", history(&snap));
    rig.stop().await;
}

// Row 17: flapping opens the breaker, the probe half-opens it, and a connection that stays
// up for the stable period closes it.
#[tokio::test(start_paused = true)]
async fn breaker_closes_after_a_stable_probe() {
    let cfg = FeedConfig {
        breaker_threshold: 3,
        breaker_cooldown: Duration::from_secs(5),
        max_attempts: 10,
        stable: Duration::from_secs(5),
        ..fast_config()
    };
    let rig = memory(Scenario::Flapping, cfg, &["BTC/USD"]);
    rig.until(60, "breaker open", |s| {
        has_reason(s, "circuit breaker open: 3 failures in a row")
    })
    .await;
    rig.sim.set_scenario(Scenario::Steady);
    rig.until(60, "half-open probe streaming", |s| {
        has_reason(s, "circuit breaker half-open") && status(s) == FeedStatus::Connected
    })
    .await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    rig.sim.drop_connections();
    let snap = rig
        .until(60, "breaker closed and streaming", |s| {
            has_reason(s, "circuit breaker closed: probe succeeded")
                && status(s) == FeedStatus::Connected
        })
        .await;
    let before = updates(&snap, "BTC/USD");
    rig.until(10, "prices", |s| updates(s, "BTC/USD") > before + 2)
        .await;
    rig.stop().await;
}

// Row 18: the wall clock jumps (laptop sleep): reconnect at once, count no failure.
#[tokio::test(start_paused = true)]
async fn wall_clock_jump_reconnects_at_once() {
    let sim = sim(Scenario::Steady);
    let store = store();
    let c = ctx(&sim, &store, Arc::new(Kraken::default()), fast_config());
    // Wall time follows the paused monotonic clock plus an offset the test moves.
    let offset = Arc::new(AtomicI64::new(0));
    let base = (Utc::now(), Instant::now());
    let jump = Arc::clone(&offset);
    let c = c.clock(Arc::new(move || {
        base.0
            + chrono::Duration::from_std(base.1.elapsed()).unwrap()
            + chrono::Duration::seconds(jump.load(Ordering::SeqCst))
    }));
    let rig = start(sim, c, &["BTC/USD"]);
    rig.until(10, "streaming", |s| updates(s, "BTC/USD") > 3)
        .await;
    offset.store(3600, Ordering::SeqCst);
    let jumped = Instant::now();
    let snap = rig
        .until(10, "the jump noticed and streaming again", |s| {
            has_reason(s, "clock jumped 3600 s (sleep or resume); reconnecting")
                && status(s) == FeedStatus::Connected
        })
        .await;
    // Checked once a second; the reconnect itself takes no backoff.
    assert!(jumped.elapsed() <= Duration::from_millis(1500));
    assert!(
        !history(&snap).iter().any(|l| l.contains("→ reconnecting")),
        "a clock jump is not a failure: {:#?}",
        history(&snap)
    );
    let before = updates(&snap, "BTC/USD");
    rig.until(10, "prices", |s| updates(s, "BTC/USD") > before + 2)
        .await;
    assert_eq!(rig.sim.stats().ws_sessions, 2);
    rig.stop().await;
}

// Row 19: a panic inside the feed task: restarted, recorded, prices resume.
#[tokio::test(start_paused = true)]
async fn panicking_feed_task_is_restarted() {
    let sim = sim(Scenario::Steady);
    let store = store();
    let adapter = Arc::new(PanickyKraken {
        inner: Kraken::default(),
        frames: AtomicU64::new(0),
        panic_at: 10,
    });
    let c = ctx(&sim, &store, adapter, fast_config());
    let rig = start(sim, c, &["BTC/USD", "ETH/USD"]);
    let panicked = Arc::new(Mutex::new(None));
    let at = Arc::clone(&panicked);
    let snap = rig
        .until(30, "restart recorded", move |s| {
            let hit = has_reason(
                s,
                "feed task panicked (injected parse failure at frame 10); restarted",
            );
            if hit {
                at.lock().unwrap().get_or_insert_with(Instant::now);
            }
            hit
        })
        .await;
    let before = updates(&snap, "BTC/USD");
    rig.until(10, "prices after the restart", |s| {
        status(s) == FeedStatus::Connected && updates(s, "BTC/USD") > before + 2
    })
    .await;
    let took = panicked.lock().unwrap().unwrap().elapsed();
    assert!(took < Duration::from_secs(2), "restart took {took:?}");
    // Both symbols survive the restart.
    assert_eq!(rig.store.snapshot().rows.len(), 2);
    assert!(rig.sim.stats().ws_sessions >= 2);
    assert!(!rig.task.is_finished());
    rig.stop().await;
}
