//! Fixtures shared by the dashboard tests: a real `Store` filled the way feeds fill it
//! (transitions with reasons, rows, tickers with exact decimals), a fixed `now`, and a
//! helper that draws a whole screen on a `TestBackend`.

// Each test binary uses part of this module.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rust_decimal::Decimal;
use tokio::sync::mpsc;

use pricewire::ui;
use pricewire::ui::theme::Theme;
use pricewire::view::state::ViewState;
use pricewire::view::{Table, ViewModel};
use pricewire_core::feed::command::{Command, FeedHandle, Feeds};
use pricewire_core::model::{ExchangeId, FeedStatus, Source, Ticker};
use pricewire_core::store::{Snapshot, Store, StoreLimits};
use pricewire_core::symbol::{Instrument, PairList, Symbol};

pub const KRAKEN: ExchangeId = ExchangeId::Kraken;
pub const BINANCE: ExchangeId = ExchangeId::Binance;

pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

pub fn ago(secs: f64) -> DateTime<Utc> {
    now() - TimeDelta::milliseconds((secs * 1000.0) as i64)
}

pub fn sym(s: &str) -> Symbol {
    Symbol::parse_separated(s).unwrap()
}

/// One ticker, fields as `name=value` pairs of exact decimal text.
pub fn ticker(ex: ExchangeId, s: &str, source: Source, at: DateTime<Utc>, fields: &str) -> Ticker {
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

/// A price series ending `last_secs_ago`: a ticker per price, 50 s apart, so that the
/// series spreads over the five-minute trend window.
pub fn series(
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
        let at = ago(last_secs_ago + 50.0 * (n - 1 - i) as f64);
        let fields = if i + 1 == n {
            format!("last={p} {rest}")
        } else {
            format!("last={p}")
        };
        store.apply(ticker(ex, s, source, at, &fields));
    }
}

/// Kraken with four watched symbols, live for 12m03s; data `age` seconds old.
pub fn kraken_market(store: &Store, source: Source, age: f64) {
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

pub fn view_for(snap: &Snapshot) -> ViewState {
    let mut view = ViewState::default();
    let order = Table::new(snap, &view).order;
    view.repair_selection(&[], &order);
    view.rates = BTreeMap::from([(KRAKEN, 15.2), (BINANCE, 0.0)]);
    view
}

pub fn draw(
    view: &ViewState,
    snap: &Snapshot,
    theme: &Theme,
    w: u16,
    h: u16,
) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| {
        ui::draw(f, &ViewModel::new(view, snap), now(), theme);
    })
    .unwrap();
    term
}

pub fn live() -> Snapshot {
    let store = Store::new(StoreLimits::default());
    kraken_market(&store, Source::Stream, 0.4);
    store.snapshot()
}

/// Binance connected since ten minutes ago, watching `symbols`.
fn binance_watching(store: &Store, symbols: &[&str]) {
    store.add_feed(BINANCE, ago(600.0));
    let why = format!("subscribed {} symbols", symbols.len());
    store.transition(BINANCE, FeedStatus::Connected, &why, ago(590.0));
    for s in symbols {
        store.add_symbol(BINANCE, &sym(s), Some(2));
    }
}

/// Two venues, grouped, on a wide terminal: every column shows.
pub fn two_venues() -> Snapshot {
    let store = Store::new(StoreLimits::default());
    kraken_market(&store, Source::Stream, 0.4);
    binance_watching(&store, &["BTC/USDT", "ETH/USDT"]);
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

pub fn kraken_feeds() -> (Feeds, mpsc::Receiver<Command>) {
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

/// Kraken live as in [`live`], and binance quoting BTC/USD and ETH/USD until it went
/// offline `offline_secs` ago. Its last BTC/USD bid is above kraken's ask: a cross that
/// is not there.
pub fn kraken_live_binance_offline(offline_secs: f64) -> Snapshot {
    let store = Store::new(StoreLimits::default());
    kraken_market(&store, Source::Stream, 0.4);
    binance_watching(&store, &["BTC/USD", "ETH/USD"]);
    series(
        &store,
        BINANCE,
        "BTC/USD",
        Source::Stream,
        offline_secs + 0.5,
        &["97150.00", "97200.05"],
        "bid=97200.00 ask=97200.10 open=95901.20 vol=18234.50631",
    );
    series(
        &store,
        BINANCE,
        "ETH/USD",
        Source::Stream,
        offline_secs + 0.5,
        &["3430.00", "3420.51"],
        "bid=3420.50 ask=3420.52 open=3498.00 vol=301234.7781",
    );
    store.transition(
        BINANCE,
        FeedStatus::Offline {
            next_try: now() + TimeDelta::seconds(20),
        },
        "REST: connection refused",
        ago(offline_secs),
    );
    store.snapshot()
}

/// Six venues quoting BTC/USD and ETH/USD: four live, okx reconnecting (attempt 2 of 5),
/// kucoin offline with 40 s old data.
pub fn six_venues() -> Snapshot {
    let store = Store::new(StoreLimits::default());
    for (i, ex) in ExchangeId::ALL.into_iter().enumerate() {
        let offset = Decimal::from(i64::try_from(i).unwrap());
        store.add_feed(ex, ago(900.0));
        store.transition(
            ex,
            FeedStatus::Connected,
            "subscribed 2 symbols",
            ago(800.0),
        );
        store.with_counters(ex, |c| c.ping_rtt = Some(Duration::from_millis(40)));
        let age = if ex == ExchangeId::Kucoin { 40.0 } else { 1.0 };
        for (s, base) in [("BTC/USD", "97100.00"), ("ETH/USD", "3420.00")] {
            store.add_symbol(ex, &sym(s), Some(2));
            let mid = base.parse::<Decimal>().unwrap() + offset;
            let fields = format!(
                "bid={} ask={} open={base} vol=1234.5",
                mid - Decimal::new(5, 2),
                mid + Decimal::new(5, 2)
            );
            series(
                &store,
                ex,
                s,
                Source::Stream,
                age,
                &[base, &mid.to_string()],
                &fields,
            );
        }
    }
    store.transition(
        ExchangeId::Okx,
        FeedStatus::Reconnecting {
            attempt: 2,
            max_attempts: 5,
            next_try: now() + TimeDelta::seconds(4),
        },
        "connect failed: connection refused",
        ago(3.0),
    );
    store.transition(
        ExchangeId::Kucoin,
        FeedStatus::Offline {
            next_try: now() + TimeDelta::seconds(20),
        },
        "REST: connection refused",
        ago(30.0),
    );
    store.snapshot()
}
