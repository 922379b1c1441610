//! Whole screens for each connection state, at 80×24, 160×40 and narrower, drawn from a
//! real `Store` at a fixed `now` on a `TestBackend`. The `.snap` files under
//! `tests/snapshots/` are the screens.

mod ui_support;

use chrono::TimeDelta;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::style::Modifier;

use pricewire::ui;
use pricewire::ui::theme::Theme;
use pricewire::view::ViewModel;
use pricewire_core::model::{ExchangeId, FeedStatus, Source};
use pricewire_core::store::{RowState, Store, StoreLimits};
use pricewire_core::symbol::SymbolError;
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
    let theme = Theme::default();
    let (green, red) = (theme.up.fg.unwrap(), theme.down.fg.unwrap());
    let (x, y) = find("● LIVE");
    assert_eq!(Some(buf[(x, y)].fg), theme.live.fg);
    // BTC ticked up 0.4 s ago: flashing green, reverse video.
    let (x, y) = find("97,123.4 ▲");
    assert_eq!(buf[(x, y)].fg, green);
    assert!(buf[(x, y)].modifier.contains(Modifier::REVERSED));
    // ETH ticked down 2.4 s ago: flash over, arrow and change stay red.
    let (x, y) = find("3,421.07 ▼");
    assert_eq!(buf[(x, y)].fg, red);
    assert!(!buf[(x, y)].modifier.contains(Modifier::REVERSED));
    let (x, y) = find("-2.26%");
    assert_eq!(buf[(x, y)].fg, red);
    let (x, y) = find("+1.29%");
    assert_eq!(buf[(x, y)].fg, green);
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
    // Stale rows take the stale colour (never dim text, which can be unreadable).
    assert_eq!(Some(buf[(1, eth_y)].fg), Theme::default().stale.fg);
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
fn offline_venue_rows_dimmed_and_no_phantom_cross_80x30() {
    let snap = kraken_live_binance_offline(2.0);
    let term = draw(&view_for(&snap), &snap, &Theme::default(), 80, 30);
    insta::assert_snapshot!(term.backend());
    let buf = term.backend().buffer();
    let line = |y: u16| (0..80).map(|x| buf[(x, y)].symbol()).collect::<String>();
    let screen: Vec<String> = (0..30).map(line).collect();
    assert!(
        !screen.iter().any(|l| l.contains("crossed")),
        "an offline venue's last bid makes no cross"
    );
    let heading = screen
        .iter()
        .position(|l| l.contains("│binance ✕ OFFLINE"))
        .unwrap();
    for y in heading + 1..heading + 3 {
        let y = u16::try_from(y).unwrap();
        assert!(line(y).contains("offline 2s"), "{}", line(y));
        for x in 1..79 {
            let cell = &buf[(x, y)];
            let theme = Theme::default();
            assert!(
                Some(cell.fg) != theme.up.fg && Some(cell.fg) != theme.down.fg,
                "no up/down colour on a dead venue's row: {}",
                line(y)
            );
            assert_eq!(Some(cell.fg), theme.stale.fg, "{}", line(y));
        }
    }
}

/// Price rows (not venue headings, not borders) on a drawn screen.
fn price_rows(term: &Terminal<TestBackend>) -> usize {
    let buf = term.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .filter(|l| (l.starts_with("│BTC/USD") || l.starts_with("│ETH/USD")) && l.contains('%'))
        .count()
}

#[test]
fn six_venues_keep_ten_price_rows_80x24() {
    let snap = six_venues();
    let term = draw(&view_for(&snap), &snap, &Theme::default(), 80, 24);
    insta::assert_snapshot!(term.backend());
    assert!(price_rows(&term) >= 10, "{} price rows", price_rows(&term));
    assert_eq!(
        ui::history_rows_for(
            Rect::new(0, 0, 80, 24),
            &ViewModel::new(&view_for(&snap), &snap)
        ),
        0,
        "the history gives way to the prices"
    );
}

#[test]
fn six_venues_tall_terminal_keeps_every_pane_160x50() {
    let snap = six_venues();
    let term = draw(&view_for(&snap), &snap, &Theme::default(), 160, 50);
    insta::assert_snapshot!(term.backend());
    assert_eq!(price_rows(&term), 12);
    assert_eq!(
        ui::history_rows_for(
            Rect::new(0, 0, 160, 50),
            &ViewModel::new(&view_for(&snap), &snap)
        ),
        ui::history_rows(50)
    );
}

#[test]
fn symbol_several_venues_do_not_list_is_one_line_80x30() {
    let store = Store::new(StoreLimits::default());
    kraken_market(&store, Source::Stream, 0.4);
    let unknown = |venue: &str, input: &str, suggestions: &[&str]| {
        RowState::Invalid(
            SymbolError::Unknown {
                input: input.into(),
                venue: venue.into(),
                suggestions: suggestions.iter().map(ToString::to_string).collect(),
            }
            .to_string(),
        )
    };
    for ex in [
        BINANCE,
        ExchangeId::Bybit,
        ExchangeId::Okx,
        ExchangeId::Kucoin,
    ] {
        store.add_feed(ex, ago(600.0));
        store.transition(ex, FeedStatus::Connected, "subscribed", ago(590.0));
        store.set_row_state(ex, &sym("BTC/USD"), unknown(ex.as_str(), "BTC/USD", &[]));
    }
    store.add_symbol(BINANCE, &sym("ETH/USDT"), Some(2));
    store.apply(ticker(
        BINANCE,
        "ETH/USDT",
        Source::Stream,
        ago(1.0),
        "last=3420.51 bid=3420.50 ask=3420.52",
    ));
    // One venue only: its own row, with the suggestion.
    store.set_row_state(
        KRAKEN,
        &sym("XBT/EUR"),
        unknown("kraken", "XBT/EUR", &["BTC/EUR"]),
    );
    // Another reason than "not listed" keeps its row on every venue.
    store.set_row_state(
        ExchangeId::Okx,
        &sym("LUNA/USD"),
        RowState::Invalid("instrument suspended".into()),
    );
    let snap = store.snapshot();
    let term = draw(&view_for(&snap), &snap, &Theme::default(), 80, 30);
    insta::assert_snapshot!(term.backend());
    let buf = term.backend().buffer();
    let screen: Vec<String> = (0..30)
        .map(|y| (0..80).map(|x| buf[(x, y)].symbol()).collect())
        .collect();
    let btc: Vec<&String> = screen.iter().filter(|l| l.contains("│BTC/USD ")).collect();
    assert_eq!(
        btc.len(),
        2,
        "kraken's row and one line for the rest: {btc:?}"
    );
    assert!(
        btc[1].contains("not listed on binance, bybit, okx, kucoin"),
        "{}",
        btc[1]
    );
}

#[test]
fn two_venues_160x40() {
    let snap = two_venues();
    let term = draw(&view_for(&snap), &snap, &Theme::default(), 160, 40);
    insta::assert_snapshot!(term.backend());
}

#[test]
fn spread_of_a_reconnecting_venue_is_dimmed_with_its_row() {
    let snap = two_venues();
    let term = draw(&view_for(&snap), &snap, &Theme::default(), 160, 40);
    let buf = term.backend().buffer();
    let line = |y: u16| (0..160).map(|x| buf[(x, y)].symbol()).collect::<String>();
    let heading = (0..40).find(|&y| line(y).contains("Spread")).unwrap();
    let spread_end = line(heading).find("Spread").unwrap() + "Spread".len();
    let x = u16::try_from(line(heading)[..spread_end].chars().count() - 1).unwrap();
    let kraken = (0..40).find(|&y| line(y).contains("ETH/USD ")).unwrap();
    let binance = (0..40).find(|&y| line(y).contains("ETH/USDT")).unwrap();
    assert_eq!(buf[(x, binance)].symbol(), "1", "{}", line(binance));
    let stale = Theme::default().stale.fg;
    assert_eq!(Some(buf[(x, binance)].fg), stale);
    assert_ne!(Some(buf[(x, kraken)].fg), stale);
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
    term.draw(|f| {
        ui::draw(f, &ViewModel::new(&view, &snap), now(), &theme);
    })
    .unwrap();
    term.backend_mut().resize(80, 24);
    term.draw(|f| {
        ui::draw(f, &ViewModel::new(&view, &snap), now(), &theme);
    })
    .unwrap();
    let fresh = draw(&view, &snap, &theme, 80, 24);
    assert_eq!(term.backend().buffer(), fresh.backend().buffer());
}

#[test]
fn a_long_save_error_reads_in_full_80x24() {
    let snap = live();
    let mut view = view_for(&snap);
    let why = "dropped kraken:ETH/USD, but the watchlist was not saved: cannot save watchlist \
               to /home/trader/.config/pricewire/config.toml: Permission denied (os error 13) \
               (the previous file is unchanged)";
    view.status = Some(pricewire::view::state::Status::Error(why.into()));
    let term = draw(&view, &snap, &Theme::default(), 80, 24);
    let buf = term.backend().buffer();
    let lines: Vec<String> = (0..24)
        .map(|y| (0..80).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect();
    // The message sits over the footer, wrapped, every word of it on screen.
    let message = lines[20..23].join(" ");
    for word in why.split(' ') {
        assert!(message.contains(word), "{word:?} missing from {lines:#?}");
    }
    assert!(!message.contains('…'), "{lines:#?}");
    insta::assert_snapshot!(term.backend());
}

/// The simulator's kraken feed: `◇ SIMULATED` after the venue in the header, in a colour
/// that is not LIVE's green.
#[test]
fn simulated_feed_80x24() {
    let store = Store::new(StoreLimits::default());
    kraken_market(&store, Source::Stream, 0.4);
    store.mark_simulated(KRAKEN, ago(600.0));
    let snap = store.snapshot();
    let term = draw(&view_for(&snap), &snap, &Theme::default(), 80, 24);
    insta::assert_snapshot!(term.backend());
    let buf = term.backend().buffer();
    let top: String = (0..80).map(|x| buf[(x, 0)].symbol()).collect();
    let x = top.find("◇ SIMULATED").expect("the mark in the header");
    let x = u16::try_from(top[..x].chars().count()).unwrap();
    assert_eq!(Some(buf[(x, 0)].fg), Theme::default().simulated.fg);
    assert!(
        top.starts_with("pricewire  kraken ◇ SIMULATED ● LIVE"),
        "{top}"
    );
}

/// A simulated venue beside a real one: the header marks only the simulated one, and the
/// across-venues figure built on its quote is marked too.
#[test]
fn simulated_beside_real_venue_100x30() {
    let store = Store::new(StoreLimits::default());
    kraken_market(&store, Source::Stream, 0.4);
    store.mark_simulated(KRAKEN, ago(600.0));
    store.add_feed(BINANCE, ago(600.0));
    store.transition(
        BINANCE,
        FeedStatus::Connected,
        "subscribed 1 symbol",
        ago(590.0),
    );
    store.add_symbol(BINANCE, &sym("BTC/USD"), Some(2));
    series(
        &store,
        BINANCE,
        "BTC/USD",
        Source::Stream,
        1.0,
        &["97100.00", "97122.95"],
        "bid=97122.90 ask=97123.95 open=95901.20 vol=18234.50631",
    );
    let snap = store.snapshot();
    let term = draw(&view_for(&snap), &snap, &Theme::default(), 100, 30);
    insta::assert_snapshot!(term.backend());
    let buf = term.backend().buffer();
    let screen: Vec<String> = (0..30)
        .map(|y| (0..100).map(|x| buf[(x, y)].symbol()).collect())
        .collect();
    assert!(
        screen[0].contains("kraken ◇ SIMULATED ● LIVE"),
        "{}",
        screen[0]
    );
    assert!(
        screen[1].contains("binance ● LIVE") && !screen[1].contains("SIMULATED"),
        "{}",
        screen[1]
    );
    assert!(
        screen
            .iter()
            .any(|l| l.contains("│BTC/USD   ◇ SIMULATED best bid")),
        "{screen:#?}"
    );
}
