//! End to end over real sockets on 127.0.0.1: the Kraken feed against the simulator.
//! Real time, every wait bounded. Tests that count sessions either run in memory on paused
//! time (adding and removing a symbol) or give the watchdogs 30 s (garbage frames).

mod common;

use common::{
    fast_config, has_reason, history, last_of, patient_config, scenarios, status, tcp, updates,
};
use pricewire_core::config::FeedConfig;
use pricewire_core::feed::command::Command;
use pricewire_core::model::{ExchangeId, FeedStatus, Source};
use pricewire_core::store::RowState;
use pricewire_sim::Scenario;

#[tokio::test]
async fn tickers_arrive_with_exact_decimals() {
    let rig = tcp(
        Scenario::Steady,
        fast_config(),
        &["BTC/USD", "xbt-usd", "ETH/USD"],
    )
    .await;
    let snap = rig
        .until(10, "prices for both symbols", |s| {
            updates(s, "BTC/USD") > 2 && updates(s, "ETH/USD") > 2
        })
        .await;
    assert_eq!(status(&snap), FeedStatus::Connected);
    // Two spellings of one market make one row.
    assert_eq!(snap.rows.len(), 2);
    let row = snap.row(ExchangeId::Kraken, "BTC/USD").unwrap();
    let t = row.ticker.as_ref().unwrap();
    // BTC/USD is quoted with one decimal: the scale survives from the wire.
    assert_eq!(t.last.unwrap().scale(), 1, "{:?}", t.last);
    assert_eq!(t.bid.unwrap().scale(), 1);
    assert!(t.bid.unwrap() < t.ask.unwrap());
    assert_eq!(t.source, Source::Stream);
    assert!(t.exchange_ts.is_some());
    assert_eq!(row.price_decimals, Some(1));
    assert!(last_of(&snap, "ETH/USD").is_some());
    rig.stop().await;
}

#[tokio::test]
async fn drop_then_reconnect_and_resubscribe() {
    scenarios::drop_then_reconnect(ExchangeId::Kraken, "BTC/USD")
        .await
        .stop()
        .await;
}

#[tokio::test]
async fn silence_fires_the_watchdog() {
    scenarios::silence_fires_the_watchdog(ExchangeId::Kraken, "BTC/USD").await;
}

#[tokio::test]
async fn refused_websocket_falls_back_to_rest_and_returns() {
    let rig = tcp(Scenario::RefuseWs, fast_config(), &["BTC/USD"]).await;
    let snap = rig
        .until(10, "REST fallback with prices", |s| {
            matches!(status(s), FeedStatus::Fallback { .. })
                && scenarios::source(s, ExchangeId::Kraken, "BTC/USD") == Some(Source::Rest)
        })
        .await;
    assert!(has_reason(&snap, "HTTP 503"), "{:#?}", history(&snap));
    assert!(last_of(&snap, "BTC/USD").is_some());
    rig.sim.set_scenario(Scenario::Steady);
    let snap = rig
        .until(10, "the WebSocket again", |s| {
            status(s) == FeedStatus::Connected
                && scenarios::source(s, ExchangeId::Kraken, "BTC/USD") == Some(Source::Stream)
        })
        .await;
    assert!(has_reason(&snap, "leaving REST fallback"));
    rig.stop().await;
}

#[tokio::test]
async fn both_down_is_offline_then_recovers() {
    let rig = tcp(Scenario::Steady, fast_config(), &["BTC/USD"]).await;
    rig.until(10, "connected", |s| updates(s, "BTC/USD") > 0)
        .await;
    rig.sim.set_scenario(Scenario::Down);
    let offline = rig
        .until(10, "offline", |s| {
            matches!(status(s), FeedStatus::Offline { .. })
        })
        .await;
    assert!(
        has_reason(&offline, "connection refused"),
        "{:#?}",
        history(&offline)
    );
    assert!(
        has_reason(&offline, "WebSocket and REST both failing"),
        "{:#?}",
        history(&offline)
    );
    let sessions = rig.sim.stats().ws_sessions;
    rig.sim.set_scenario(Scenario::Steady);
    rig.recovered(10, &offline, "BTC/USD", 2).await;
    assert!(rig.sim.stats().ws_sessions > sessions, "a new session");
    rig.stop().await;
}

#[tokio::test]
async fn unknown_symbol_is_reported_and_others_stream() {
    let rig = tcp(
        Scenario::Steady,
        fast_config(),
        &[
            "BTC/USD",
            "NOPE/USD",
            "BTC/USX",
            "💩/USD",
            "\u{1b}[31mETH\u{7}",
        ],
    )
    .await;
    let snap = rig
        .until(10, "prices and errors", |s| updates(s, "BTC/USD") > 2)
        .await;
    let nope = snap.row(ExchangeId::Kraken, "NOPE/USD").unwrap();
    assert!(
        matches!(&nope.state, RowState::Invalid(m) if m.contains("does not list NOPE/USD")),
        "{:?}",
        nope.state
    );
    let usx = snap.row(ExchangeId::Kraken, "BTC/USX").unwrap();
    assert!(
        matches!(&usx.state, RowState::Invalid(m) if m.contains("did you mean BTC/USD")),
        "{:?}",
        usx.state
    );
    // Input that names no market keeps an error row under the text as typed, escape
    // sequences and control characters removed, so the dashboard shows it too.
    for typed in ["💩/USD", "ETH"] {
        let row = snap
            .row(ExchangeId::Kraken, typed)
            .unwrap_or_else(|| panic!("no row for {typed}: {:?}", snap.rows));
        assert!(
            matches!(&row.state, RowState::Invalid(m)
                if m.contains("not a market symbol") || m.contains("does not list")),
            "{typed}: {:?}",
            row.state
        );
    }
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn add_and_remove_on_the_live_connection() {
    let rig = scenarios::add_and_remove(ExchangeId::Kraken, "BTC/USD", "sol-usd", "SOL/USD").await;
    assert!(rig.handle.resolve("NOPE/USD").is_err());
    rig.stop().await;
}

// Over a real socket, with 30 s watchdogs: "one connection, no transition" then fails only
// when a bad frame really cost the connection.
#[tokio::test]
async fn garbage_frames_are_counted_and_skipped() {
    let rig = tcp(Scenario::Garbage, patient_config(), &["BTC/USD"]).await;
    let first = rig
        .until(10, "a bad frame", |s| s.feeds[0].counters.parse_errors > 0)
        .await;
    let errors = first.feeds[0].counters.parse_errors;
    let before = updates(&first, "BTC/USD");
    let snap = rig
        .until(10, "prices and more bad frames after the first", |s| {
            updates(s, "BTC/USD") > before + 5 && s.feeds[0].counters.parse_errors > errors
        })
        .await;
    assert_eq!(status(&snap), FeedStatus::Connected);
    assert_eq!(
        history(&snap),
        ["connecting → connected: subscribing 1 symbol"],
        "no transition"
    );
    assert_eq!(rig.sim.stats().ws_sessions, 1, "the same connection");
    rig.stop().await;
}

#[tokio::test]
async fn manual_reconnect_is_recorded() {
    let rig = tcp(Scenario::Steady, fast_config(), &["BTC/USD"]).await;
    rig.until(10, "prices", |s| updates(s, "BTC/USD") > 0).await;
    rig.handle.send(Command::Reconnect).unwrap();
    let snap = rig
        .until(10, "manual reconnect", |s| {
            has_reason(s, "manual reconnect") && status(s) == FeedStatus::Connected
        })
        .await;
    assert!(
        history(&snap)
            .iter()
            .any(|l| l == "connected → connecting: manual reconnect")
    );
    rig.stop().await;
}

#[tokio::test]
async fn the_configured_event_trigger_is_sent() {
    let cfg = FeedConfig {
        event_trigger: pricewire_core::config::EventTrigger::Trades,
        ..fast_config()
    };
    let rig = tcp(Scenario::Steady, cfg, &["BTC/USD"]).await;
    rig.until(10, "a price", |s| last_of(s, "BTC/USD").is_some())
        .await;
    let frames = rig.sim.client_frames();
    let subscribe = frames
        .iter()
        .find(|f| f.contains(r#""method":"subscribe""#))
        .expect("a subscribe frame was sent");
    assert!(
        subscribe.contains(r#""event_trigger":"trades""#),
        "{subscribe}"
    );
    rig.stop().await;
}
