//! Whole screens, drawn from a real `Store` filled the way feeds fill it, at a fixed `now`,
//! on a `TestBackend`. The `.snap` files under `tests/snapshots/` are the screens.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use tokio::sync::mpsc;

use pricewire::app::keys::Action;
use pricewire::app::state::{HistoryPane, Mode, Status, ViewState};
use pricewire::app::{App, Flow};
use pricewire::config::Config;
use pricewire::feed::command::{Command, FeedHandle, Feeds};
use pricewire::model::{ExchangeId, FeedStatus, Source, Ticker};
use pricewire::store::{RowState, Snapshot, Store, StoreLimits};
use pricewire::symbol::{Instrument, PairList, Symbol};
use pricewire::ui;
use pricewire::ui::theme::{ColorMode, Theme};

const KRAKEN: ExchangeId = ExchangeId::Kraken;
const BINANCE: ExchangeId = ExchangeId::Binance;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn ago(secs: f64) -> DateTime<Utc> {
    now() - TimeDelta::milliseconds((secs * 1000.0) as i64)
}

fn sym(s: &str) -> Symbol {
    Symbol::parse_separated(s).unwrap()
}

/// One ticker, fields as `name=value` pairs of exact decimal text.
fn ticker(ex: ExchangeId, s: &str, source: Source, at: DateTime<Utc>, fields: &str) -> Ticker {
    let mut t = Ticker::empty(ex, sym(s), source, at);
    for pair in fields.split_whitespace() {
        let (k, v) = pair.split_once('=').unwrap();
        let v = Some(v.parse().unwrap());
        match k {
            "last" => t.last = v,
            "bid" => t.bid = v,
            "ask" => t.ask = v,
            "open" => t.open_24h = v,
            "high" => t.high_24h = v,
            "low" => t.low_24h = v,
            "vol" => t.volume_24h = v,
            other => panic!("unknown field {other}"),
        }
    }
    t
}

/// A price series ending `last_secs_ago`: a ticker per price, a second apart.
fn series(
    store: &Store,
    ex: ExchangeId,
    s: &str,
    source: Source,
    last_secs_ago: f64,
    prices: &[&str],
    rest: &str,
) {
    let n = prices.len();
    for (i, p) in prices.iter().enumerate() {
        let at = ago(last_secs_ago + (n - 1 - i) as f64);
        let fields = if i + 1 == n {
            format!("last={p} {rest}")
        } else {
            format!("last={p}")
        };
        store.apply(ticker(ex, s, source, at, &fields));
    }
}

/// Kraken with four watched symbols, live for 12m03s; data `age` seconds old.
fn kraken_market(store: &Store, source: Source, age: f64) {
    store.add_feed(KRAKEN, ago(1300.0));
    store.transition(
        KRAKEN,
        FeedStatus::Connected,
        "subscribed 4 symbols",
        ago(1200.0),
    );
    store.transition(
        KRAKEN,
        FeedStatus::Reconnecting {
            attempt: 1,
            max_attempts: 5,
            next_try: ago(722.0),
        },
        "no data for 10s",
        ago(724.0),
    );
    store.transition(
        KRAKEN,
        FeedStatus::Connected,
        "resubscribed 4 symbols",
        ago(723.0),
    );
    store.with_counters(KRAKEN, |c| c.ping_rtt = Some(Duration::from_millis(42)));
    store.add_symbol(KRAKEN, &sym("BTC/USD"), Some(1));
    store.add_symbol(KRAKEN, &sym("ETH/USD"), Some(2));
    store.add_symbol(KRAKEN, &sym("DOGE/USD"), Some(7));
    store.add_symbol(KRAKEN, &sym("XRP/USD"), Some(5));
    series(
        store,
        KRAKEN,
        "BTC/USD",
        source,
        age,
        &[
            "96900.0", "97010.5", "96950.2", "97100.0", "97050.0", "97123.4",
        ],
        "bid=97123.3 ask=97123.4 open=95888.9 high=97500.0 low=95210.7 vol=1234.56789012",
    );
    series(
        store,
        KRAKEN,
        "ETH/USD",
        source,
        age + 2.0,
        &["3430.10", "3425.50", "3421.07"],
        "bid=3421.06 ask=3421.08 open=3500.00 high=3550.12 low=3390.00 vol=45678.9012",
    );
    series(
        store,
        KRAKEN,
        "DOGE/USD",
        source,
        age + 5.0,
        &["0.1598000", "0.1623451"],
        "bid=0.1623450 ask=0.1623460 open=0.1623451 high=0.1650000 low=0.1580000 vol=987654321.5",
    );
}

fn view_for(snap: &Snapshot) -> ViewState {
    let mut view = ViewState::default();
    view.repair_selection(&[], snap);
    view.rates = BTreeMap::from([(KRAKEN, 15.2), (BINANCE, 0.0)]);
    view
}

fn draw(view: &ViewState, snap: &Snapshot, theme: &Theme, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| ui::draw(f, view, snap, now(), theme))
        .unwrap();
    term
}

fn live() -> Snapshot {
    let store = Store::new(StoreLimits::default());
    kraken_market(&store, Source::Stream, 0.4);
    store.snapshot()
}

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
    assert_eq!(buf[(x, y)].fg, Color::Red);
    assert!(!buf[(x, y)].modifier.contains(Modifier::REVERSED));
    let (x, y) = find("-2.26%");
    assert_eq!(buf[(x, y)].fg, Color::Red);
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
    // DOGE stopped updating 45 s ago (ui.stale_secs is 30).
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

/// Two venues, grouped, on a wide terminal: every column shows.
fn two_venues() -> Snapshot {
    let store = Store::new(StoreLimits::default());
    kraken_market(&store, Source::Stream, 0.4);
    store.add_feed(BINANCE, ago(600.0));
    store.transition(
        BINANCE,
        FeedStatus::Connected,
        "subscribed 2 symbols",
        ago(590.0),
    );
    store.add_symbol(BINANCE, &sym("BTC/USDT"), Some(2));
    store.add_symbol(BINANCE, &sym("ETH/USDT"), Some(2));
    series(
        &store,
        BINANCE,
        "BTC/USDT",
        Source::Stream,
        9.0,
        &["97150.00", "97140.01", "97138.55"],
        "bid=97138.54 ask=97138.55 open=95901.20 high=97512.00 low=95200.01 vol=18234.50631",
    );
    series(
        &store,
        BINANCE,
        "ETH/USDT",
        Source::Stream,
        9.0,
        &["3419.99", "3420.51"],
        "bid=3420.50 ask=3420.51 open=3498.00 high=3551.00 low=3389.50 vol=301234.7781",
    );
    store.transition(
        BINANCE,
        FeedStatus::Reconnecting {
            attempt: 1,
            max_attempts: 5,
            next_try: ago(6.0),
        },
        "server closed the connection (1001 going away)",
        ago(8.0),
    );
    store.transition(
        BINANCE,
        FeedStatus::Reconnecting {
            attempt: 2,
            max_attempts: 5,
            next_try: now() + TimeDelta::seconds(4),
        },
        "connect failed: connection refused",
        ago(2.0),
    );
    store.snapshot()
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

#[test]
fn help_overlay_80x24() {
    let snap = live();
    let mut view = view_for(&snap);
    view.mode = Mode::Help;
    let term = draw(&view, &snap, &Theme::default(), 80, 24);
    insta::assert_snapshot!(term.backend());
}

#[test]
fn history_hidden_and_status_error_80x24() {
    let snap = live();
    let mut view = view_for(&snap);
    view.history = HistoryPane::Hidden;
    view.status = Some(Status::Error(
        "added kraken:SOL/USD, but the watchlist was not saved: disk full".into(),
    ));
    let term = draw(&view, &snap, &Theme::default(), 80, 24);
    insta::assert_snapshot!(term.backend());
}

fn kraken_feeds() -> (Feeds, mpsc::Receiver<Command>) {
    let (tx, rx) = mpsc::channel(8);
    let inst = |s: &str, wire: &str| Instrument {
        symbol: sym(s),
        wire: s.to_string(),
        rest: wire.to_string(),
        price_decimals: Some(2),
        aliases: Vec::new(),
    };
    let list = PairList::new(
        "kraken",
        vec![
            inst("BTC/USD", "XBTUSD"),
            inst("ETH/USD", "ETHUSD"),
            inst("SOL/USD", "SOLUSD"),
        ],
        &[("XBT", "BTC")],
    );
    let handle = FeedHandle::new(KRAKEN, tx, Arc::new(RwLock::new(Some(list))));
    (Feeds::new(vec![handle]), rx)
}

#[test]
fn add_prompt_with_error_80x24() {
    let snap = live();
    let (feeds, mut rx) = kraken_feeds();
    let mut app = App::new(feeds, &Config::default(), None);
    app.sync(&snap);
    app.view.rates = view_for(&snap).rates;
    for action in [
        Action::OpenAdd,
        Action::Type('s'),
        Action::Type('o'),
        Action::Type('l'),
        Action::Type('l'),
    ] {
        assert_eq!(app.apply(action, &snap), Flow::Continue);
    }
    for c in "-usd".chars() {
        app.apply(Action::Type(c), &snap);
    }
    app.apply(Action::Submit, &snap);
    let Mode::Adding(prompt) = &app.view.mode else {
        panic!("the prompt closed on an error");
    };
    assert!(prompt.error.is_some());
    assert!(rx.try_recv().is_err(), "nothing was sent");
    let term = draw(&app.view, &snap, &Theme::default(), 80, 24);
    insta::assert_snapshot!(term.backend());
}

#[test]
fn no_color_80x24() {
    let snap = live();
    let theme = Theme::new(&BTreeMap::new(), ColorMode::NoColor).0;
    let term = draw(&view_for(&snap), &snap, &theme, 80, 24);
    let buf = term.backend().buffer();
    assert!(
        buf.content()
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
        "a colour was drawn with NO_COLOR"
    );
    // The text is the same screen; the styles left are bold, dim and reverse video.
    insta::assert_debug_snapshot!(buf);
}
