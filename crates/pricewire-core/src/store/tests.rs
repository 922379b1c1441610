use super::*;
use crate::model::Source;

fn t(last: &str, secs: i64) -> Ticker {
    let mut t = Ticker::empty(
        ExchangeId::Kraken,
        Symbol::new("BTC", "USD"),
        Source::Stream,
        DateTime::from_timestamp(secs, 0).unwrap(),
    );
    t.last = Some(last.parse().unwrap());
    t
}

#[test]
fn ticks_record_direction_and_previous_price() {
    let store = Store::new(StoreLimits::default());
    let btc = Symbol::new("BTC", "USD");
    store.add_symbol(ExchangeId::Kraken, &btc, Some(1));
    store.apply(t("100.0", 1));
    store.apply(t("101.5", 2));
    let snap = store.snapshot();
    let row = snap.row(ExchangeId::Kraken, "BTC/USD").unwrap();
    assert_eq!(row.direction, Direction::Up);
    assert_eq!(row.prev_last.unwrap().to_string(), "100.0");
    assert_eq!(
        row.ticker.as_ref().unwrap().last.unwrap().to_string(),
        "101.5"
    );
    store.apply(t("99.0", 3));
    let snap = store.snapshot();
    let row = snap.row(ExchangeId::Kraken, "BTC/USD").unwrap();
    assert_eq!(row.direction, Direction::Down);
    assert!(!row.trend.is_empty());
    assert_eq!(row.state, RowState::Subscribed);
}

#[test]
fn updates_for_removed_rows_are_dropped() {
    let store = Store::new(StoreLimits::default());
    let btc = Symbol::new("BTC", "USD");
    store.add_symbol(ExchangeId::Kraken, &btc, None);
    assert!(store.remove_symbol(ExchangeId::Kraken, &btc));
    store.apply(t("1", 1));
    assert!(store.snapshot().rows.is_empty());
}

#[test]
fn history_and_trend_are_bounded() {
    let store = Store::new(StoreLimits {
        history: 5,
        trend_window: std::time::Duration::from_secs(20),
        trend_buckets: 4,
    });
    let now = DateTime::UNIX_EPOCH;
    for i in 0..20 {
        store.transition(
            ExchangeId::Kraken,
            FeedStatus::Connected,
            &format!("r{i}"),
            now,
        );
    }
    store.add_symbol(ExchangeId::Kraken, &Symbol::new("BTC", "USD"), None);
    for i in 0..50 {
        store.apply(t(&i.to_string(), i));
    }
    let snap = store.snapshot();
    assert_eq!(snap.feeds[0].history.len(), 5);
    assert_eq!(snap.feeds[0].history.back().unwrap().reason, "r19");
    // Four buckets of 5 s: ticks every second fill each, and the window's first bucket
    // needs no point before it.
    assert_eq!(snap.rows[0].trend.len(), 4);
}

#[test]
fn network_text_is_sanitised_on_entry() {
    let store = Store::new(StoreLimits::default());
    let sym = Symbol::new("NOPE", "USD");
    store.set_row_state(
        ExchangeId::Kraken,
        &sym,
        RowState::Invalid("bad \u{1b}[2Jpair".into()),
    );
    store.transition(
        ExchangeId::Kraken,
        FeedStatus::Connected,
        "\u{1b}]0;x\u{7}ok",
        DateTime::UNIX_EPOCH,
    );
    let snap = store.snapshot();
    assert_eq!(snap.rows[0].state, RowState::Invalid("bad pair".into()));
    assert_eq!(snap.feeds[0].reason, "ok");
}

#[tokio::test]
async fn readers_are_woken_and_tap_sees_every_event() {
    let store = Store::new(StoreLimits::default());
    let mut events = store.events();
    let (mut first, mut second) = (store.watch(), store.watch());
    store.add_symbol(ExchangeId::Kraken, &Symbol::new("BTC", "USD"), None);
    // Every reader is woken, each waiting after the change happened.
    for reader in [&mut first, &mut second] {
        tokio::time::timeout(std::time::Duration::from_secs(5), reader.changed())
            .await
            .expect("woken")
            .unwrap();
        assert_eq!(*reader.borrow_and_update(), store.version());
    }
    store.apply(t("1", 1));
    store.apply(t("2", 2));
    for want in ["1", "2"] {
        match events.recv().await.unwrap() {
            StoreEvent::Ticker(t) => assert_eq!(t.last.unwrap().to_string(), want),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn polled_data_is_as_old_as_the_venue_says() {
    let store = Store::new(StoreLimits::default());
    let btc = Symbol::new("BTC", "USD");
    store.add_symbol(ExchangeId::Kraken, &btc, Some(1));
    // A halted market answers REST now with a quote from ten minutes ago.
    let mut polled = t("100.0", 1_000);
    polled.source = Source::Rest;
    polled.exchange_ts = DateTime::from_timestamp(400, 0);
    store.apply(polled);
    let snap = store.snapshot();
    let row = snap.row(ExchangeId::Kraken, "BTC/USD").unwrap();
    assert_eq!(row.updated_at(), DateTime::from_timestamp(400, 0));
    // Streamed data is as old as its arrival: venue clocks are not trusted for that.
    let mut streamed = t("101.0", 1_001);
    streamed.exchange_ts = DateTime::from_timestamp(900, 0);
    store.apply(streamed);
    let snap = store.snapshot();
    let row = snap.row(ExchangeId::Kraken, "BTC/USD").unwrap();
    assert_eq!(row.updated_at(), DateTime::from_timestamp(1_001, 0));
}
