//! What the new keys and clicks do to the dashboard, through `App::apply` and `App::click`
//! on a fixed snapshot: the filter as it is typed, the chart (opened on the selected row,
//! following the selection, its window and style, a fetch that fails saying why), the
//! holdings toggles, a switch of named watchlist (markets added before the old ones go),
//! and Ctrl-Z where no terminal can be given back.

mod ui_support;

use std::collections::BTreeMap;

use pricewire::app::keys::Action;
use pricewire::app::mouse::Click;
use pricewire::app::{App, Flow};
use pricewire::config::{Config, NamedWatchlist};
use pricewire::view::state::{ChartStyle, Fetch, Mode, Status};
use pricewire_core::Watchlist;
use pricewire_core::candle::ChartWindow;
use pricewire_core::feed::command::Command;
use pricewire_core::holdings::Holding;
use pricewire_core::symbol::Symbol;
use ui_support::{KRAKEN, kraken_feeds, live};

fn app() -> App {
    let (feeds, _rx) = kraken_feeds();
    App::new(feeds, &Config::default(), None)
}

#[test]
fn the_filter_narrows_as_it_is_typed_enter_keeps_it_and_esc_clears_it() {
    let snap = live();
    let mut app = app();
    app.sync(&snap);
    app.apply(Action::OpenFilter, &snap);
    assert_eq!(app.view.mode, Mode::Filtering);
    for c in "eth".chars() {
        app.apply(Action::Type(c), &snap);
    }
    assert_eq!(app.view.filter, "eth");
    let shown: Vec<String> = app
        .sync(&snap)
        .order
        .iter()
        .map(|r| r.symbol.to_string())
        .collect();
    assert_eq!(shown, ["ETH/USD"]);
    // The selection moved onto a row the filter shows.
    assert_eq!(app.view.selected.as_ref().unwrap().1.as_str(), "ETH/USD");
    app.apply(Action::Submit, &snap);
    assert_eq!(app.view.mode, Mode::Normal);
    assert_eq!(app.view.filter, "eth", "Enter keeps it");
    app.apply(Action::Back, &snap);
    assert_eq!(app.view.filter, "", "Esc clears it");
    // Esc while typing clears it too.
    app.apply(Action::OpenFilter, &snap);
    app.apply(Action::Type('x'), &snap);
    app.apply(Action::Cancel, &snap);
    assert_eq!(
        (app.view.mode.clone(), app.view.filter.as_str()),
        (Mode::Normal, "")
    );
}

#[tokio::test]
async fn the_chart_opens_on_the_selected_row_and_says_why_it_has_no_candles() {
    let snap = live();
    let mut app = app();
    let mut fetches = app.take_fetches().expect("the channel");
    app.sync(&snap);
    app.apply(Action::ToggleChart, &snap);
    let chart = app.view.chart.clone().expect("open");
    assert_eq!(chart.row, (KRAKEN, Symbol::new("BTC", "USD")));
    assert_eq!(
        (chart.window, chart.style),
        (ChartWindow::Hour, ChartStyle::Candles)
    );
    assert_eq!(app.chart_data().unwrap().fetch, Fetch::Loading);
    // These feeds have no REST side: the fetch fails, and says why.
    let fetched = fetches.recv().await.unwrap();
    app.on_fetched(fetched);
    assert_eq!(
        app.chart_data().unwrap().fetch,
        Fetch::Failed("no candles: this view has no connection to kraken's REST API".into())
    );
    app.apply(Action::ChartWindow, &snap);
    app.apply(Action::ChartStyle, &snap);
    let chart = app.view.chart.clone().unwrap();
    assert_eq!(
        (chart.window, chart.style),
        (ChartWindow::Day, ChartStyle::Line)
    );
    // The chart follows the selection.
    app.apply(Action::Select(1), &snap);
    assert_eq!(
        app.view.chart.as_ref().unwrap().row,
        app.view.selected.clone().unwrap()
    );
    // A click on its title closes it; so does the chart key on the same row.
    app.click(Click::CloseChart, &snap);
    assert!(app.view.chart.is_none());
    app.apply(Action::ToggleChart, &snap);
    app.apply(Action::ToggleChart, &snap);
    assert!(app.view.chart.is_none());
}

#[test]
fn holdings_toggle_and_hide_and_say_so_when_there_are_none() {
    let snap = live();
    let mut app = app();
    app.apply(Action::ToggleHoldings, &snap);
    assert!(matches!(&app.view.status, Some(Status::Info(s)) if s.starts_with("no holdings")));
    let config = Config {
        holdings: vec![
            Holding::new(
                Symbol::new("BTC", "USD"),
                None,
                Some("1".parse().unwrap()),
                vec![],
            )
            .unwrap(),
        ],
        ..Config::default()
    };
    let (feeds, _rx) = kraken_feeds();
    let mut app = App::new(feeds, &config, None);
    assert!(
        app.view.holdings_view.shown,
        "shown when there are holdings"
    );
    app.view.sort = pricewire::view::state::Sort::from_config("value", None);
    app.apply(Action::ToggleHoldings, &snap);
    assert!(!app.view.holdings_view.shown);
    assert_eq!(
        app.view.sort.column,
        pricewire::view::columns::Column::Symbol,
        "a sort by a hidden column gives way"
    );
    app.apply(Action::HideAmounts, &snap);
    assert!(app.view.holdings_view.hide_amounts);
}

#[test]
fn a_watchlist_switch_adds_the_new_markets_before_dropping_the_old() {
    let snap = live();
    let (feeds, mut rx) = kraken_feeds();
    let config = Config {
        symbols: vec!["BTC/USD".into(), "ETH/USD".into()],
        watchlists: BTreeMap::from([(
            "alts".to_string(),
            NamedWatchlist {
                symbols: vec!["SOL/USD".into(), "ETH/USD".into()],
            },
        )]),
        ..Config::default()
    };
    let typed = [
        (KRAKEN, "BTC/USD".to_string()),
        (KRAKEN, "ETH/USD".to_string()),
    ];
    let mut app = App::new(Watchlist::new(feeds, typed), &config, None);
    app.apply(Action::NextWatchlist, &snap);
    assert_eq!(app.view.watchlist, "alts");
    let mut sent = Vec::new();
    while let Ok(cmd) = rx.try_recv() {
        sent.push(match cmd {
            Command::Add(m) => format!("+{}", m.symbol),
            Command::Remove(s) => format!("-{s}"),
            other => format!("{other:?}"),
        });
    }
    assert_eq!(sent, ["+SOL/USD", "-BTC/USD"], "ETH/USD stays as it is");
    assert!(matches!(&app.view.status, Some(Status::Info(s)) if s == "watchlist alts: 2 markets"));
    // And back.
    app.apply(Action::NextWatchlist, &snap);
    assert_eq!(app.view.watchlist, "default");
}

#[test]
fn clicks_select_rows_and_ctrl_z_needs_a_terminal() {
    let snap = live();
    let mut app = app();
    app.sync(&snap);
    let eth = (KRAKEN, Symbol::new("ETH", "USD"));
    app.click(Click::SelectRow(eth.clone()), &snap);
    assert_eq!(app.view.selected, Some(eth));
    app.click(Click::Move(1), &snap);
    assert_eq!(app.view.selected.as_ref().unwrap().1.as_str(), "XRP/USD");
    assert_eq!(app.apply(Action::Suspend, &snap), Flow::Suspend);
    // No terminal here: nothing stops, and the status line says why.
    assert!(!app.suspend().unwrap());
    assert!(matches!(&app.view.status, Some(Status::Info(s)) if s.contains("only in a terminal")));
}
