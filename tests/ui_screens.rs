//! Whole screens for each connection state, at 80×24, 160×40 and narrower, drawn from a
//! real `Store` at a fixed `now` on a `TestBackend`. The `.snap` files under
//! `tests/snapshots/` are the screens.

mod ui_support;

use chrono::TimeDelta;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};

use pricewire::model::{FeedStatus, Source};
use pricewire::store::{RowState, Store, StoreLimits};
use pricewire::ui;
use pricewire::ui::theme::Theme;
use ui_support::*;

#[test]
fn live_80x24() {
    let snap = live();
    let term = draw(&view_for(&snap), &snap, &Theme::default(), 80, 24);
    insta::assert_snapshot!(term.backend());
}

#[test]
fn live_colours_flash_and_states() {
    let snap = live();
    let term = draw(&view_for(&snap), &snap, &Theme::default(), 120, 24);
    let buf = term.backend().buffer();
    let find = |text: &str| -> (u16, u16) {
        for y in 0..buf.area.height {
            let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
            if let Some(i) = line.find(text) {
                let x = line[..i].chars().count();
                return (u16::try_from(x).unwrap(), y);
            }
        }
        panic!("{text} not on screen");
    };
    let (x, y) = find("● LIVE");
    assert_eq!(buf[(x, y)].fg, Color::Green);
    // BTC ticked up 0.4 s ago: flashing green, reverse video.
    let (x, y) = find("97,123.4 ▲");
    assert_eq!(buf[(x, y)].fg, Color::Green);
    assert!(buf[(x, y)].modifier.contains(Modifier::REVERSED));
    // ETH ticked down 2.4 s ago: flash over, arrow and change stay red.
    let (x, y) = find("3,421.07 ▼");
    assert_eq!(buf[(x, y)].fg, Color::LightRed);
    assert!(!buf[(x, y)].modifier.contains(Modifier::REVERSED));
    let (x, y) = find("-2.26%");
    assert_eq!(buf[(x, y)].fg, Color::LightRed);
    let (x, y) = find("+1.29%");
    assert_eq!(buf[(x, y)].fg, Color::Green);
}

#[test]
fn connecting_80x24() {
    let store = Store::new(StoreLimits::default());
    store.add_feed(KRAKEN, ago(3.0));
    store.add_symbol(KRAKEN, &sym("BTC/USD"), None);
    store.add_symbol(KRAKEN, &sym("ETH/USD"), None);
    let snap = store.snapshot();
    let term = draw(&view_for(&snap), &snap, &Theme::default(), 80, 24);
    insta::assert_snapshot!(term.backend());
}

#[test]
fn reconnecting_2_of_5_80x24() {
    let store = Store::new(StoreLimits::default());
    kraken_market(&store, Source::Stream, 8.0);
    store.transition(
        KRAKEN,
        FeedStatus::Reconnecting {
            attempt: 1,
            max_attempts: 5,
            next_try: ago(5.0),
        },
        "connection reset by peer",
        ago(7.0),
    );
    store.transition(
        KRAKEN,
        FeedStatus::Reconnecting {
            attempt: 2,
            max_attempts: 5,
            next_try: now() + TimeDelta::milliseconds(3200),
        },
        "connect failed: timed out after 10s",
        ago(1.0),
    );
    let snap = store.snapshot();
    let term = draw(&view_for(&snap), &snap, &Theme::default(), 80, 24);
    insta::assert_snapshot!(term.backend());
}

#[test]
fn fallback_80x24() {
    let store = Store::new(StoreLimits::default());
    kraken_market(&store, Source::Rest, 3.0);
    store.transition(
        KRAKEN,
        FeedStatus::Fallback {
            next_ws_try: now() + TimeDelta::seconds(40),
        },
        "5 connects failed; polling REST",
        ago(30.0),
    );
    store.with_counters(KRAKEN, |c| c.last_poll_at = Some(ago(3.0)));
    let snap = store.snapshot();
    let term = draw(&view_for(&snap), &snap, &Theme::default(), 80, 24);
    insta::assert_snapshot!(term.backend());
}

#[test]
fn offline_with_stale_rows_80x24() {
    let store = Store::new(StoreLimits::default());
    kraken_market(&store, Source::Rest, 95.0);
    store.transition(
        KRAKEN,
        FeedStatus::Offline {
            next_try: now() + TimeDelta::seconds(20),
        },
        "REST: connection refused",
        ago(60.0),
    );
    let snap = store.snapshot();
    let theme = Theme::default();
    let term = draw(&view_for(&snap), &snap, &theme, 80, 24);
    insta::assert_snapshot!(term.backend());
    // Stale rows are dimmed across the line, not only marked.
    let buf = term.backend().buffer();
    let eth_y = (0..24)
        .find(|&y| {
            (0..80)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                .contains("ETH/USD")
        })
        .unwrap();
    assert!(buf[(1, eth_y)].modifier.contains(Modifier::DIM));
}

#[test]
fn stale_row_among_live_ones_80x24() {
    let store = Store::new(StoreLimits::default());
    kraken_market(&store, Source::Stream, 0.4);
    // XRP last updated 45 s ago (ui.stale_secs is 30).
    store.apply(ticker(
        KRAKEN,
        "XRP/USD",
        Source::Stream,
        ago(45.0),
        "last=0.52110 bid=0.52100 ask=0.52120",
    ));
    let snap = store.snapshot();
    let term = draw(&view_for(&snap), &snap, &Theme::default(), 80, 24);
    insta::assert_snapshot!(term.backend());
}

#[test]
fn invalid_and_silent_symbols_80x24() {
    let store = Store::new(StoreLimits::default());
    kraken_market(&store, Source::Stream, 0.4);
    store.set_row_state(
        KRAKEN,
        &sym("NOPE/USD"),
        RowState::Invalid("Currency pair not supported NOPE/USD".into()),
    );
    store.set_row_state(
        KRAKEN,
        &sym("XRP/USD"),
        RowState::Silent("subscribed 15s ago, no data; resubscribing".into()),
    );
    let snap = store.snapshot();
    let term = draw(&view_for(&snap), &snap, &Theme::default(), 80, 24);
    insta::assert_snapshot!(term.backend());
}

#[test]
fn two_venues_160x40() {
    let snap = two_venues();
    let term = draw(&view_for(&snap), &snap, &Theme::default(), 160, 40);
    insta::assert_snapshot!(term.backend());
}

#[test]
fn narrow_terminal_drops_columns_without_wrapping() {
    let snap = two_venues();
    let term = draw(&view_for(&snap), &snap, &Theme::default(), 60, 20);
    insta::assert_snapshot!(term.backend());
}

#[test]
fn resize_redraws_the_whole_screen() {
    let snap = two_venues();
    let view = view_for(&snap);
    let theme = Theme::default();
    let mut term = Terminal::new(TestBackend::new(160, 40)).unwrap();
    term.draw(|f| ui::draw(f, &view, &snap, now(), &theme))
        .unwrap();
    term.backend_mut().resize(80, 24);
    term.draw(|f| ui::draw(f, &view, &snap, now(), &theme))
        .unwrap();
    let fresh = draw(&view, &snap, &theme, 80, 24);
    assert_eq!(term.backend().buffer(), fresh.backend().buffer());
}
