//! Screens with something over or beside the prices: the help overlay, the add prompt
//! with an error, the status line, a scrolled history, and the whole screen with
//! `NO_COLOR`.

mod ui_support;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ratatui::style::Color;

use pricewire::app::keys::Action;
use pricewire::app::{App, Flow};
use pricewire::config::Config;
use pricewire::ui;
use pricewire::ui::theme::{ColorMode, Theme};
use pricewire::view::state::{HistoryPane, Mode, Status};
use ui_support::*;

#[test]
fn help_overlay_80x24() {
    let snap = live();
    let mut view = view_for(&snap);
    view.mode = Mode::Help;
    view.log_file = Some("/home/trader/.local/share/pricewire/pricewire.log".into());
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
    let theme = Theme::new(&BTreeMap::new(), ColorMode::NoColor);
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

#[test]
fn history_scrolls_with_page_keys_80x18() {
    let snap = two_venues();
    let (feeds, _rx) = kraken_feeds();
    let mut app = App::new(feeds, &Config::default(), None);
    app.sync(&snap);
    app.view.rates = view_for(&snap).rates;
    // Six transitions in a four-line pane: PgDn moves a page of the pane's height (four
    // entries), the view stops at the oldest page (scrolled by 2); one line up picks the
    // fourth entry, still in view, and draws it highlighted.
    app.view.history_rows = ui::history_rows(18);
    assert_eq!(app.view.history_rows, 4);
    app.apply(Action::PageHistory(1), &snap);
    assert_eq!(app.view.history_scroll, 2);
    assert_eq!(app.view.history_cursor, Some(4));
    app.apply(Action::ScrollHistory(-1), &snap);
    assert_eq!(app.view.history_cursor, Some(3));
    assert_eq!(app.view.history_scroll, 2);
    // Past the newest entry the view follows the pick.
    app.apply(Action::ScrollHistory(-3), &snap);
    assert_eq!(app.view.history_cursor, Some(0));
    assert_eq!(app.view.history_scroll, 0);
    // The picked entry whose reason is cut off on one line is drawn in full, wrapped.
    app.apply(Action::ScrollHistory(1), &snap);
    assert_eq!(app.view.history_cursor, Some(1));
    let term = draw(&app.view, &snap, &Theme::default(), 80, 18);
    insta::assert_snapshot!(term.backend());
}

#[test]
fn selection_scrolls_the_price_table() {
    let snap = two_venues();
    let (feeds, _rx) = kraken_feeds();
    let mut app = App::new(feeds, &Config::default(), None);
    app.sync(&snap);
    app.apply(Action::Select(isize::MAX), &snap);
    let term = draw(&app.view, &snap, &Theme::default(), 80, 10);
    let buf = term.backend().buffer();
    let lines: Vec<String> = (0..10)
        .map(|y| (0..80).map(|x| buf[(x, y)].symbol()).collect())
        .collect();
    let last = lines
        .iter()
        .position(|l| l.contains("ETH/USDT"))
        .expect("selected row shown");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("↑ ") && l.contains(" more")),
        "{lines:#?}"
    );
    // The selected row is drawn on the theme's selection background across the table.
    let selected = Theme::default()
        .selected
        .bg
        .expect("the dark preset's selection colour");
    let y = u16::try_from(last).unwrap();
    assert_eq!(buf[(1, y)].bg, selected);
    assert_eq!(buf[(78, y)].bg, selected);
}

/// A screen's text, one string per line.
fn screen_lines(term: &ratatui::Terminal<ratatui::backend::TestBackend>) -> Vec<String> {
    let buf = term.backend().buffer();
    (0..buf.area.height)
        .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

/// Down to a single cell, every mode draws a screen of exactly the terminal's size, and
/// what fits is what matters: the table's frame first, then the header, a price row and
/// the footer; the help box over everything; the prompt's input on the last line whatever
/// the height, its error above it when there is room. Titles too long for their border are
/// cut between their parts. The whole screens are in one snapshot.
#[test]
fn tiny_terminals_draw_what_fits() {
    let snap = two_venues();
    let prompt = pricewire::view::state::Prompt {
        input: "a-very-long-symbol-typed-into-the-prompt".into(),
        error: Some("not a market symbol".into()),
    };
    // (mode, width, height, text that must be on screen).
    #[rustfmt::skip]
    let cases: [(Mode, u16, u16, &[&str]); 18] = [
        (Mode::Normal, 1, 1, &["┌"]),
        (Mode::Normal, 2, 2, &["┌┐", "└┘"]),
        (Mode::Normal, 10, 3, &["┌ Prices ┐", "└────────┘"]),
        (Mode::Normal, 20, 5, &["pricewire  kraken ●…", "┌ Prices ↑ 2 more ─┐", "↓ 6 more"]),
        (Mode::Normal, 30, 8, &["pricewire", "┌ Prices · 6 symbols ────────┐", "│BTC/USD  97,123.4 ▲  +1.29% │", "q quit  / filter  ? help"]),
        (Mode::Normal, 80, 6, &["● LIVE kraken · ↻ RECONNECTING 2/5 binance", "│BTC/USD  97,123.4 ▲  +1.29%  97,123.3  97,123.4", "q quit  / filter  c chart  H holdings  a add"]),
        (Mode::Help, 1, 1, &["┌"]),
        (Mode::Help, 2, 2, &["┌┐", "└┘"]),
        (Mode::Help, 10, 3, &["┌ Keys ──┐"]),
        (Mode::Help, 20, 5, &["┌ Keys ────────────┐", "│ ↑  k"]),
        (Mode::Help, 30, 8, &["┌ Keys · ? or Esc to close ──┐", "│ ↑  k"]),
        (Mode::Help, 80, 6, &["┌ Keys · ? or Esc to close ", "│ ↑  k"]),
        (Mode::Adding(prompt.clone()), 1, 1, &["A"]),
        (Mode::Adding(prompt.clone()), 2, 2, &["┌┐", "Ad"]),
        (Mode::Adding(prompt.clone()), 10, 3, &["┌ Prices ┐", "Add symbol"]),
        (Mode::Adding(prompt.clone()), 20, 5, &["pricewire  kraken ●…", "┌ Prices ↑ 2 more ─┐", "Add symbol › a-very-"]),
        (Mode::Adding(prompt.clone()), 30, 8, &["┌ Prices ───────── ↑ 1 more ─┐", "✕ not a market symbol", "Add symbol › a-very-long-symbo"]),
        (Mode::Adding(prompt), 80, 6, &["✕ not a market symbol", "Add symbol › a-very-long-symbol-typed-into-the-prompt  Enter add · Esc cancel"]),
    ];
    let mut all = String::new();
    for (mode, w, h, wanted) in cases {
        let name = format!("{mode:?}").split('(').next().unwrap().to_string();
        let mut view = view_for(&snap);
        view.mode = mode;
        let term = draw(&view, &snap, &Theme::default(), w, h);
        assert_eq!(
            term.backend().buffer().area,
            ratatui::layout::Rect::new(0, 0, w, h),
            "{name} {w}x{h}"
        );
        let lines = screen_lines(&term);
        // The line being typed on is always the last one, whatever else gave way.
        if matches!(view.mode, Mode::Adding(_)) {
            let last = lines.last().unwrap();
            let label: String = "Add symbol › ".chars().take(usize::from(w)).collect();
            assert!(
                last.starts_with(&label),
                "{name} {w}x{h}: prompt not on the last line:\n{}",
                lines.join("\n")
            );
        }
        // A cut title ends between its parts: no letter left against the corner.
        for line in lines.iter().filter(|l| l.starts_with('┌')) {
            let cut = line
                .chars()
                .zip(line.chars().skip(1))
                .any(|(a, b)| a.is_alphanumeric() && b == '┐');
            assert!(!cut, "{name} {w}x{h}: title cut inside a word: {line:?}");
        }
        for text in wanted {
            assert!(
                lines.iter().any(|l| l.contains(text)),
                "{name} {w}x{h}: {text:?} not on screen:\n{}",
                lines.join("\n")
            );
        }
        writeln!(all, "{name} {w}x{h}\n{}\n", lines.join("\n")).unwrap();
    }
    insta::assert_snapshot!(all);
}
