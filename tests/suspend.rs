//! A stop of the whole process (Ctrl-Z) is no silence of the venue's: once the program has
//! said so (`Store::note_suspend`), the connection's watchdogs and every symbol's patience
//! start afresh when it resumes, so a long stop costs no reconnect and no resubscribe; a
//! venue that really is silent is still caught. Paused time, in-memory pipes: the clock
//! jumping over the stop is what a resumed process sees.

mod common;

use std::time::Duration;

use common::{Rig, fast_config, has_reason, history, memory_for, updates};
use pricewire_core::model::ExchangeId;
use pricewire_sim::Scenario;

/// Every frame of the silent connection is already read: the clock jumps over a stop.
async fn stopped_for(d: Duration) {
    tokio::time::advance(d).await;
    // Let every task that woke run before looking.
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
}

/// Kraken's BTC/USD over in-memory pipes, its 20 frames read; the server sends nothing
/// after them.
async fn streaming_then_silent() -> Rig {
    let rig = memory_for(
        ExchangeId::Kraken,
        Scenario::SilentAfter(20),
        fast_config(),
        &["BTC/USD"],
    );
    rig.until(30, "streaming", |s| updates(s, "BTC/USD") >= 20)
        .await;
    rig
}

#[tokio::test(start_paused = true)]
async fn a_noted_stop_costs_no_reconnect_and_real_silence_still_does() {
    // Silence is given up after 1 s of no frame; after 20 frames the server sends nothing.
    let rig = streaming_then_silent().await;
    let sessions = rig.sim.stats().ws_sessions;
    // The process is stopped for a minute, having said so first.
    rig.store.note_suspend();
    stopped_for(Duration::from_secs(60)).await;
    let snap = rig.store.snapshot();
    assert!(
        !has_reason(&snap, "no data for"),
        "a reconnect for the time stopped: {:#?}",
        history(&snap)
    );
    assert_eq!(rig.sim.stats().ws_sessions, sessions);
    // The venue really is silent: the watchdog, started afresh, still fires.
    rig.until(10, "the silence caught", |s| has_reason(s, "no data for"))
        .await;
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_unnoted_stop_looks_like_silence() {
    // The same stop without a word: the watchdog takes it for a silent venue. This is
    // what the note is for.
    let rig = streaming_then_silent().await;
    stopped_for(Duration::from_secs(60)).await;
    let snap = rig.store.snapshot();
    assert!(has_reason(&snap, "no data for"), "{:#?}", history(&snap));
    rig.stop().await;
}
