//! The table's drawing: venue headings or a venue column, the volume heading, missing
//! figures.
use super::*;
use crate::view::Table;
use crate::view::state::ViewState;
use pricewire_core::model::{FeedStatus, Ticker};
use pricewire_core::store::{Store, StoreLimits};

fn screen(rows: &[&Row], snap: &Snapshot, w: u16) -> Vec<String> {
    use ratatui::{Terminal, backend::TestBackend};
    let mut term = Terminal::new(TestBackend::new(w, 6)).unwrap();
    let view = ViewState::default();
    let now = DateTime::UNIX_EPOCH + TimeDelta::seconds(1);
    let model = ViewModel::with_table(&view, snap, Table::from_order(rows.to_vec(), snap));
    term.draw(|f| {
        draw(f, f.area(), &model, now, &Theme::default());
    })
    .unwrap();
    let buf = term.backend().buffer();
    (0..6)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

fn market(rows: &[(ExchangeId, &str, &str)]) -> Snapshot {
    let store = Store::new(StoreLimits::default());
    for (ex, name, fields) in rows {
        store.add_feed(*ex, DateTime::UNIX_EPOCH);
        store.transition(*ex, FeedStatus::Connected, "", DateTime::UNIX_EPOCH);
        let (base, quote) = name.split_once('/').unwrap();
        let symbol = Symbol::new(base, quote);
        store.add_symbol(*ex, &symbol, Some(2));
        let mut ticker = Ticker::empty(*ex, symbol, Source::Stream, DateTime::UNIX_EPOCH);
        for pair in fields.split_whitespace() {
            let (field, value) = pair.split_once('=').unwrap();
            let value = Some(value.parse().unwrap());
            match field {
                "last" => ticker.last = value,
                "vol" => ticker.volume_24h = value,
                _ => ticker.change_pct_24h = value,
            }
        }
        store.apply(ticker);
    }
    store.snapshot()
}

#[test]
fn interleaved_venues_get_a_venue_column_instead_of_headings() {
    let snap = market(&[
        (ExchangeId::Kraken, "BTC/USD", "last=100 pct=5"),
        (ExchangeId::Kraken, "ETH/USD", "last=10 pct=1"),
        (ExchangeId::Binance, "BTC/USDT", "last=101 pct=3"),
    ]);
    // Sorted by change across venues: kraken, binance, kraken.
    let mut across: Vec<&Row> = snap.rows.iter().collect();
    across.sort_by_key(|r| std::cmp::Reverse(r.ticker.as_ref().unwrap().change_pct_24h));
    let lines = screen(&across, &snap, 60);
    assert!(lines[1].starts_with("│Symbol    Venue"), "{}", lines[1]);
    assert!(lines[2].starts_with("│BTC/USD   kraken"), "{}", lines[2]);
    assert!(lines[3].starts_with("│BTC/USDT  binance"), "{}", lines[3]);
    assert!(lines[4].starts_with("│ETH/USD   kraken"), "{}", lines[4]);
    assert!(!lines.iter().any(|l| l.contains("● LIVE")), "no headings");

    // Grouped by venue: headings, and no venue column.
    let grouped: Vec<&Row> = snap.rows.iter().collect();
    let lines = screen(&grouped, &snap, 60);
    assert!(!lines[1].contains("Venue"), "{}", lines[1]);
    assert!(lines[2].starts_with("│kraken ● LIVE"), "{}", lines[2]);
}

#[test]
fn volume_heading_names_its_unit_and_shortens_when_tight() {
    let snap = market(&[(ExchangeId::Kraken, "BTC/USD", "last=1 vol=5")]);
    let all: Vec<&Row> = snap.rows.iter().collect();
    let wide = screen(&all, &snap, 62);
    assert!(wide[1].contains("Vol 24h (base)"), "{}", wide[1]);
    let narrow = screen(&all, &snap, 54);
    assert!(narrow[1].contains("Vol (base)"), "{}", narrow[1]);
    assert!(narrow[2].contains("5.00"), "{}", narrow[2]);
}

#[test]
fn a_missing_figure_reads_as_a_dash() {
    // A Kraken row polled over REST before it ever streamed: no 24 h change (REST `o` is
    // today's open, not the price 24 h ago), and here no bid either (an empty book side).
    let snap = market(&[(ExchangeId::Kraken, "BTC/USD", "last=100")]);
    let row = snap.row(ExchangeId::Kraken, "BTC/USD").unwrap();
    let cells = cells(row, Mark::Fresh, DateTime::UNIX_EPOCH, &Theme::default());
    let text = |c: Col| -> String {
        cells[c as usize]
            .iter()
            .map(|s| s.content.as_ref())
            .collect()
    };
    for col in [Col::Change, Col::Pct, Col::Bid, Col::Ask, Col::Spread] {
        assert_eq!(text(col), "—", "{col:?}");
    }
    assert_eq!(text(Col::Last).trim(), "100.00");
}
