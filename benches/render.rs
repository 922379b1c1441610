//! Drawing cost: `cargo bench --bench render`. One whole dashboard frame (header, prices,
//! history, footer) of 100 and of 1,000 live rows into a `TestBackend`, written to the
//! buffer and diffed against the previous frame, as the run loop draws. Two screens: one as
//! tall as the rows (every row drawn) and 200x60 (rows beyond the screen are laid out but
//! not formatted).

use std::hint::black_box;

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use pricewire::ui;
use pricewire::ui::theme::{ColorMode, Theme};
use pricewire::view::ViewModel;
use pricewire::view::state::ViewState;
use pricewire_core::model::{ExchangeId, FeedStatus, Source, Ticker};
use pricewire_core::store::{Snapshot, Store, StoreLimits};
use pricewire_core::symbol::Symbol;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rust_decimal::Decimal;

/// A live Kraken feed with `rows` symbols, each with a full ticker and a 60-point sparkline.
fn market(rows: usize, now: DateTime<Utc>, shift: i64) -> Snapshot {
    let store = Store::new(StoreLimits::default());
    store.add_feed(ExchangeId::Kraken, now - TimeDelta::seconds(600));
    store.transition(
        ExchangeId::Kraken,
        FeedStatus::Connected,
        "subscribed",
        now - TimeDelta::seconds(590),
    );
    for r in 0..rows {
        let ri = i64::try_from(r).expect("row");
        let symbol = Symbol::new(&format!("C{r:04}"), "USD");
        store.add_symbol(ExchangeId::Kraken, &symbol, Some(2));
        for k in 0..60i64 {
            let at = now - TimeDelta::milliseconds(60_000 - k * 1000 + ri);
            let mut t = Ticker::empty(ExchangeId::Kraken, symbol.clone(), Source::Stream, at);
            let last = Decimal::new(9_712_340 + (k * 37 + ri + shift) % 500 - 250, 2);
            t.last = Some(last);
            t.bid = Some(last - Decimal::new(1, 2));
            t.ask = Some(last + Decimal::new(1, 2));
            t.open_24h = Some(Decimal::new(9_588_890, 2));
            t.high_24h = Some(Decimal::new(9_750_000, 2));
            t.low_24h = Some(Decimal::new(9_521_070, 2));
            t.volume_24h = Some(Decimal::new(123_456_789_012, 8));
            t.exchange_ts = Some(at);
            store.apply(t);
        }
    }
    store.snapshot()
}

fn render(c: &mut Criterion) {
    let now = Utc::now();
    let theme = Theme::new(&std::collections::BTreeMap::new(), ColorMode::Color);
    let view = ViewState::default();
    let mut group = c.benchmark_group("render");
    for rows in [100usize, 1000] {
        // Two markets whose prices differ in every row, drawn in turn: each frame changes
        // every price cell, as under a steady stream of updates.
        let snapshots = [market(rows, now, 0), market(rows, now, 1)];
        let mut turn = 0usize;
        // Every row on screen (borders, header, history pane and footer on top), and the
        // 200x60 terminal of the footprint runs.
        let tall = u16::try_from(rows + 24).expect("height");
        for (name, height) in [("all_visible", tall), ("200x60", 60)] {
            let mut terminal = Terminal::new(TestBackend::new(200, height)).expect("terminal");
            group.bench_function(format!("frame_{rows}_rows_{name}"), |b| {
                b.iter(|| {
                    let snapshot = &snapshots[turn % 2];
                    turn = turn.wrapping_add(1);
                    // The view model is built once per frame, as the loop does.
                    let model = ViewModel::new(&view, black_box(snapshot));
                    let drawn = terminal
                        .draw(|f| {
                            ui::draw(f, &model, now, &theme);
                        })
                        .expect("draw");
                    black_box(drawn.area);
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
