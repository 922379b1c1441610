//! Whole screens of what traders reach for beside the prices: the chart pane (candles, a
//! line, a failed fetch with the live part still drawn), the holdings columns with their
//! totals (and hidden for screen sharing), the filter, and the footer and help drawn from
//! a remapped keymap. Drawn from a real `Store` at a fixed `now` on a `TestBackend`; the
//! `.snap` files under `tests/snapshots/` are the screens.

mod ui_support;

use std::sync::Arc;

use chrono::TimeDelta;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rust_decimal::Decimal;

use pricewire::keymap::{KeyEntry, Keymap};
use pricewire::ui;
use pricewire::ui::theme::Theme;
use pricewire::view::ViewModel;
use pricewire::view::state::{ChartData, ChartStyle, ChartView, Fetch, Mode, ViewState};
use pricewire_core::candle::{Candle, CandleSeries, ChartWindow};
use pricewire_core::holdings::{Holding, Lot};
use pricewire_core::store::{Store, StoreLimits};
use pricewire_core::symbol::Symbol;
use ui_support::*;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// An hour of one-minute BTC/USD candles ending at `now()`: a rise, a dip, a recovery.
fn hour() -> CandleSeries {
    let start = now() - TimeDelta::minutes(59);
    let start = start - TimeDelta::seconds(start.timestamp() % 60);
    let mut price = d("96900.0");
    let candles = (0..60)
        .map(|i| {
            // Up twenty minutes, down fifteen, up again: no randomness in a snapshot.
            let step = match i {
                0..20 => d("12.5"),
                20..35 => d("-21.0"),
                _ => d("9.5"),
            };
            let open = price;
            let close = open + step;
            price = close;
            Candle {
                open_time: start + TimeDelta::minutes(i),
                open,
                high: open.max(close) + d("4.0"),
                low: open.min(close) - d("3.0"),
                close,
                volume: Some(d("1.5")),
                closed: i < 59,
            }
        })
        .collect();
    CandleSeries::new(ChartWindow::Hour, candles)
}

fn chart_view(style: ChartStyle) -> ChartView {
    ChartView {
        row: (KRAKEN, Symbol::new("BTC", "USD")),
        window: ChartWindow::Hour,
        style,
    }
}

/// The live screen at 100x32 with the BTC/USD chart pane open in `style`, drawn from `data`.
fn chart_screen(style: ChartStyle, data: &ChartData) -> Terminal<TestBackend> {
    let snap = live();
    let mut view = view_for(&snap);
    view.chart = Some(chart_view(style));
    let mut term = Terminal::new(TestBackend::new(100, 32)).unwrap();
    term.draw(|f| {
        let model = ViewModel::new(&view, &snap).with_chart(Some(data));
        ui::draw(f, &model, now(), &Theme::default());
    })
    .unwrap();
    term
}

/// The hour of candles, fetched.
fn fetched_hour() -> ChartData {
    ChartData {
        series: hour(),
        fetch: Fetch::Done,
    }
}

#[test]
fn chart_pane_candles_100x32() {
    let term = chart_screen(ChartStyle::Candles, &fetched_hour());
    insta::assert_snapshot!(term.backend());
}

#[test]
fn chart_pane_line_100x32() {
    let term = chart_screen(ChartStyle::Line, &fetched_hour());
    insta::assert_snapshot!(term.backend());
}

#[test]
fn a_failed_candle_fetch_says_why_and_the_live_part_still_draws_100x32() {
    // Only the ticks since the chart opened: the last three minutes.
    let mut live_part = CandleSeries::new(ChartWindow::Hour, Vec::new());
    for (ago, p) in [
        (150, "97010.5"),
        (100, "97100.0"),
        (50, "97050.0"),
        (0, "97123.4"),
    ] {
        live_part.push_tick(d(p), now() - TimeDelta::seconds(ago));
    }
    let data = ChartData {
        series: live_part,
        fetch: Fetch::Failed("REST: HTTP 429 (retry after 2s)".into()),
    };
    let term = chart_screen(ChartStyle::Candles, &data);
    insta::assert_snapshot!(term.backend());
}

fn holdings() -> Vec<Holding> {
    let lot = |a: &str, p: &str| Lot {
        amount: d(a),
        price: d(p),
    };
    vec![
        // 0.3 BTC bought in two lots, 0.5 BTC held: P&L on the lots only.
        Holding::new(
            Symbol::new("BTC", "USD"),
            None,
            Some(d("0.5")),
            vec![lot("0.25", "30000"), lot("0.05", "61250.50")],
        )
        .unwrap(),
        Holding::new(
            Symbol::new("ETH", "USD"),
            Some(KRAKEN),
            None,
            vec![lot("2", "3600")],
        )
        .unwrap(),
        Holding::new(Symbol::new("ETH", "USDT"), None, Some(d("1.25")), vec![]).unwrap(),
        // Not watched: counted as without a price.
        Holding::new(Symbol::new("SOL", "USD"), None, Some(d("10")), vec![]).unwrap(),
    ]
}

/// Both venues with the holdings columns shown, changed by `tweak`, drawn at `w`x`h`.
fn holdings_screen(tweak: impl FnOnce(&mut ViewState), w: u16, h: u16) -> Terminal<TestBackend> {
    let snap = two_venues();
    let mut view = view_for(&snap);
    view.holdings = Arc::new(holdings());
    view.holdings_view.shown = true;
    tweak(&mut view);
    draw(&view, &snap, &Theme::default(), w, h)
}

#[test]
fn holdings_columns_and_totals_per_quote_160x40() {
    let term = holdings_screen(|_| {}, 160, 40);
    insta::assert_snapshot!(term.backend());
}

#[test]
fn holdings_hidden_for_screen_sharing_160x40() {
    let term = holdings_screen(|view| view.holdings_view.hide_amounts = true, 160, 40);
    let text = format!("{:?}", term.backend());
    for secret in ["48,561", "0.5 ", "9,500"] {
        assert!(!text.contains(secret), "{secret} on a shared screen");
    }
    insta::assert_snapshot!(term.backend());
}

#[test]
fn holdings_sorted_by_pnl_across_venues_100x24() {
    let term = holdings_screen(
        |view| view.sort = pricewire::view::state::Sort::from_config("pnl", None),
        100,
        24,
    );
    insta::assert_snapshot!(term.backend());
}

#[test]
fn typing_a_filter_narrows_the_rows_80x24() {
    let snap = two_venues();
    let mut view = view_for(&snap);
    view.mode = Mode::Filtering;
    view.filter = "eth".into();
    let term = draw(&view, &snap, &Theme::default(), 80, 24);
    insta::assert_snapshot!(term.backend());
}

#[test]
fn footer_and_help_follow_a_remapped_keymap_80x24() {
    let snap = live();
    let mut view = view_for(&snap);
    let (keymap, problems) = Keymap::from_entries(&[
        KeyEntry {
            name: "chart".into(),
            keys: vec!["C".into(), "f2".into()],
            line: Some(2),
        },
        KeyEntry {
            name: "quit".into(),
            keys: vec!["ctrl-q".into()],
            line: Some(3),
        },
        KeyEntry {
            name: "help".into(),
            keys: vec!["f1".into()],
            line: Some(4),
        },
    ]);
    assert!(problems.is_empty(), "{problems:?}");
    view.keymap = Arc::new(keymap);
    let term = draw(&view, &snap, &Theme::default(), 80, 24);
    let last: String = (0..80)
        .map(|x| term.backend().buffer()[(x, 23)].symbol().to_string())
        .collect();
    assert!(last.starts_with("Ctrl-Q quit  / filter  C chart"), "{last}");
    assert!(last.trim_end().ends_with("F1 help"), "{last}");
    insta::assert_snapshot!("remapped_footer_80x24", term.backend());
    view.mode = Mode::Help;
    let term = draw(&view, &snap, &Theme::default(), 80, 24);
    insta::assert_snapshot!("remapped_help_80x24", term.backend());
}

/// The trend column is a time window: a pair that moved once five minutes ago draws flat
/// since, and the heading says how long the window is.
#[test]
fn the_trend_is_a_time_window() {
    let store = Store::new(StoreLimits::default());
    store.add_feed(KRAKEN, ago(600.0));
    store.transition(
        KRAKEN,
        pricewire_core::model::FeedStatus::Connected,
        "",
        ago(600.0),
    );
    store.add_symbol(KRAKEN, &sym("BTC/USD"), Some(1));
    store.apply(ticker(
        KRAKEN,
        "BTC/USD",
        pricewire_core::model::Source::Stream,
        ago(280.0),
        "last=100.0",
    ));
    store.apply(ticker(
        KRAKEN,
        "BTC/USD",
        pricewire_core::model::Source::Stream,
        ago(200.0),
        "last=110.0",
    ));
    let snap = store.snapshot();
    let view = view_for(&snap);
    let term = draw(&view, &snap, &Theme::default(), 80, 8);
    let buf = term.backend().buffer();
    let line = |y: u16| (0..80).map(|x| buf[(x, y)].symbol()).collect::<String>();
    assert!(line(2).contains("Trend 5m"), "{}", line(2));
    // Blank before the first price, low for a minute, then high to now.
    let row = line(3);
    assert!(row.contains(" ▁▁"), "{row}");
    assert!(row.contains("███"), "{row}");
}
