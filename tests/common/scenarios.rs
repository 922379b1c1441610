//! The end-to-end checks every venue passes, written once: each takes the venue and its
//! symbols, asserts what all venues share, and hands back the rig or snapshot so a venue's
//! own test file can add what is particular to it.

use pricewire_core::feed::command::Command;
use pricewire_core::model::{ExchangeId, FeedStatus, Source};
use pricewire_core::store::{Row, RowState, Snapshot};
use pricewire_sim::Scenario;

use super::{Rig, fast_config, has_reason, history, memory_for, status, tcp_for, updates};

/// Where `venue`'s row of `symbol` got its latest data: stream or REST.
pub fn source(snap: &Snapshot, venue: ExchangeId, symbol: &str) -> Option<Source> {
    snap.row(venue, symbol).and_then(Row::source)
}

/// An abrupt drop (1006): reconnected, resubscribed, prices resume. The rig is still running.
pub async fn drop_then_reconnect(venue: ExchangeId, main: &str) -> Rig {
    let rig = tcp_for(venue, Scenario::DropAfter(5), fast_config(), &[main]).await;
    let snap = rig
        .until(8, "a reconnect after an abrupt drop", |s| {
            has_reason(s, "1006") && has_reason(s, "reconnected after")
        })
        .await;
    let before = updates(&snap, main);
    rig.until(8, "prices after the reconnect", |s| {
        updates(s, main) > before + 2
    })
    .await;
    let stats = rig.sim.stats();
    assert!(
        stats.ws_sessions >= 2 && stats.subscribe_requests >= 2,
        "reconnected and resubscribed: {stats:?}"
    );
    rig
}

/// Nothing arrives on an open socket: the silence watchdog reconnects, and once the venue
/// speaks again a new session streams.
pub async fn silence_fires_the_watchdog(venue: ExchangeId, main: &str) {
    let rig = tcp_for(venue, Scenario::SilentAfter(3), fast_config(), &[main]).await;
    let fault = rig.fault(8, "no data for 1 s").await;
    assert!(
        history(&fault)
            .iter()
            .any(|l| l.starts_with("connected → reconnecting: no data for 1 s")),
        "{:#?}",
        history(&fault)
    );
    rig.sim.set_scenario(Scenario::Steady);
    rig.recovered(8, &fault, main, 2).await;
    assert!(rig.sim.stats().ws_sessions >= 2, "{:?}", rig.sim.stats());
    rig.stop().await;
}

/// The venue never answers application pings (in memory, on paused time): the pong
/// timeout ends the session, and the reconnect brings a connected feed with new prices.
/// Each session streams until its own pong timeout, so recovery needs no change of scenario.
pub async fn pong_timeout_reconnects(venue: ExchangeId, main: &str) {
    let rig = memory_for(venue, Scenario::PongNever, fast_config(), &[main]);
    let fault = rig.fault(60, "pong not received within 1 s").await;
    assert!(updates(&fault, main) > 0, "data flows without pongs");
    let snap = rig.recovered(2, &fault, main, 2).await;
    let stats = rig.sim.stats();
    assert!(stats.ws_sessions >= 2, "a second session: {stats:?}");
    assert_eq!(stats.pings_answered, 0, "{:#?}", history(&snap));
    rig.stop().await;
}

/// The WebSocket upgrade is refused (HTTP 503) while REST works: fallback with REST prices
/// for every symbol, then back to streaming once the WebSocket returns. Returns the
/// snapshot taken on REST (for venue-specific checks of polled values) and the rig.
pub async fn refused_websocket_falls_back_and_returns(
    venue: ExchangeId,
    symbols: &[&str],
) -> (Snapshot, Rig) {
    let rig = tcp_for(venue, Scenario::RefuseWs, fast_config(), symbols).await;
    let on_rest = rig
        .until(8, "REST fallback with prices", |s| {
            matches!(status(s), FeedStatus::Fallback { .. })
                && symbols
                    .iter()
                    .all(|sym| source(s, venue, sym) == Some(Source::Rest))
        })
        .await;
    assert!(has_reason(&on_rest, "HTTP 503"), "{:#?}", history(&on_rest));
    for sym in symbols {
        let t = on_rest.row(venue, sym).and_then(|r| r.ticker.clone());
        assert!(t.is_some_and(|t| t.last.is_some()), "{sym}: a polled price");
    }
    rig.sim.set_scenario(Scenario::Steady);
    let back = rig
        .until(8, "the WebSocket again", |s| {
            status(s) == FeedStatus::Connected
                && source(s, venue, symbols[0]) == Some(Source::Stream)
        })
        .await;
    assert!(has_reason(&back, "leaving REST fallback"));
    (on_rest, rig)
}

/// A symbol the venue does not list gets an error row while `main` streams. `also` are
/// further symbols to watch (e.g. misspellings whose suggestions the caller checks).
pub async fn unknown_symbol_is_reported(
    venue: ExchangeId,
    main: &str,
    unknown: &str,
    also: &[&str],
) -> Snapshot {
    let mut symbols = vec![main, unknown];
    symbols.extend_from_slice(also);
    let rig = tcp_for(venue, Scenario::Steady, fast_config(), &symbols).await;
    let snap = rig
        .until(8, "prices and errors", |s| updates(s, main) > 2)
        .await;
    let row = snap
        .row(venue, unknown)
        .expect("a row for the unknown symbol");
    let listed = format!("does not list {unknown}");
    assert!(
        matches!(&row.state, RowState::Invalid(m) if m.contains(&listed)),
        "{:?}",
        row.state
    );
    rig.stop().await;
    snap
}

/// Add a symbol typed as `typed` (canonical `added`) on the live connection, see it stream,
/// remove it, and see `main` keep streaming, all on one connection. In memory: call it
/// from a test on paused time, where no scheduler stall can fire a watchdog. The rig still
/// runs.
pub async fn add_and_remove(venue: ExchangeId, main: &str, typed: &str, added: &str) -> Rig {
    let rig = memory_for(venue, Scenario::Steady, fast_config(), &[main]);
    rig.until(8, "first prices", |s| updates(s, main) > 0).await;
    let market = rig.handle.market(typed).expect("a listed market");
    let symbol = market.symbol.clone();
    assert_eq!(symbol.as_str(), added);
    rig.handle.send(Command::Add(market)).expect("feed runs");
    rig.until(8, "prices for the added symbol", |s| updates(s, added) > 1)
        .await;
    rig.handle.send(Command::Remove(symbol)).expect("feed runs");
    let snap = rig
        .until(8, "the added symbol gone", |s| {
            s.row(venue, added).is_none()
        })
        .await;
    let before = updates(&snap, main);
    rig.until(8, "the first symbol still streaming", |s| {
        updates(s, main) > before + 2
    })
    .await;
    assert_eq!(rig.sim.stats().ws_sessions, 1, "{:#?}", history(&snap));
    rig
}

/// The row for `symbol` is an error that suggests listed markets, naming `suggested` when
/// given.
pub fn assert_suggests(snap: &Snapshot, venue: ExchangeId, symbol: &str, suggested: Option<&str>) {
    let row = snap.row(venue, symbol).expect("a row for the typed symbol");
    assert!(
        matches!(&row.state, RowState::Invalid(m)
            if m.contains("did you mean") && suggested.is_none_or(|s| m.contains(s))),
        "{symbol}: {:?}",
        row.state
    );
}

/// Maintenance announced by closing (1001 "maintenance") before any data: the feed falls
/// back to REST for `main`.
pub async fn maintenance_closes_with_going_away(venue: ExchangeId, main: &str) {
    let rig = tcp_for(venue, Scenario::Maintenance, fast_config(), &[main]).await;
    let snap = rig
        .until(8, "a close and REST fallback", |s| {
            has_reason(s, "1001 going away: maintenance")
                && source(s, venue, main) == Some(Source::Rest)
        })
        .await;
    assert_eq!(rig.sim.stats().ticker_frames, 0, "{:#?}", history(&snap));
    rig.stop().await;
}
