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

/// A transitions reader sees every transition in order and no ticker, and does not make
/// the store keep tickers for anyone.
#[tokio::test]
async fn transitions_readers_see_transitions_alone() {
    let store = Store::new(StoreLimits::default());
    let mut transitions = store.transitions();
    store.add_symbol(ExchangeId::Kraken, &Symbol::new("BTC", "USD"), None);
    let at = |s: i64| DateTime::from_timestamp(s, 0).unwrap();
    store.transition(ExchangeId::Kraken, FeedStatus::Connected, "up", at(1));
    store.apply(t("1", 2));
    store.transition(ExchangeId::Kraken, FeedStatus::Connecting, "down", at(3));
    assert_eq!(store.event_readers(), 0);
    let first = transitions.recv().await.unwrap();
    assert_eq!(
        (first.to.name(), first.reason.as_str()),
        ("connected", "up")
    );
    let second = transitions.recv().await.unwrap();
    assert_eq!(second.reason, "down");
    assert!(matches!(
        transitions.try_recv(),
        Err(broadcast::error::TryRecvError::Empty)
    ));
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

#[test]
fn lag_quantiles_come_from_the_last_minute_or_two() {
    let mut lag = LagStats::default();
    assert_eq!(lag.quantile(0.5), None);
    let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
    let ms = |n: i64| chrono::TimeDelta::milliseconds(n);
    // 98 tickers 2 ms late, 2 tickers 300 ms late.
    for i in 0..100 {
        let late = if i < 98 { ms(2) } else { ms(300) };
        lag.record(t0 + ms(i), t0 + ms(i) - late);
    }
    let p50 = lag.quantile(0.5).unwrap();
    let p99 = lag.quantile(0.99).unwrap();
    assert!(p50 >= std::time::Duration::from_millis(2), "{p50:?}");
    assert!(p50 < std::time::Duration::from_micros(2_500), "{p50:?}");
    assert!(p99 >= std::time::Duration::from_millis(300), "{p99:?}");
    assert!(p99 < std::time::Duration::from_millis(375), "{p99:?}");
    // A stamp from the future is counted apart.
    lag.record(t0, t0 + ms(5));
    assert_eq!(lag.ahead, 1);
    // Two windows later the old tickers are gone.
    lag.record(
        t0 + chrono::TimeDelta::seconds(150),
        t0 + chrono::TimeDelta::seconds(150) - ms(1),
    );
    let p99 = lag.quantile(0.99).unwrap();
    assert!(p99 < std::time::Duration::from_micros(1_250), "{p99:?}");
}

#[test]
fn uptime_counts_connected_time_only() {
    let store = Store::new(StoreLimits::default());
    let t = |s: i64| DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap();
    store.add_feed(ExchangeId::Kraken, t(0));
    store.transition(ExchangeId::Kraken, FeedStatus::Connected, "up", t(10));
    let down = FeedStatus::Reconnecting {
        attempt: 1,
        max_attempts: 5,
        next_try: t(70),
    };
    store.transition(ExchangeId::Kraken, down, "lost", t(70));
    store.transition(ExchangeId::Kraken, FeedStatus::Connected, "back", t(80));
    let snap = store.snapshot();
    let feed = snap.feed(ExchangeId::Kraken).unwrap();
    // Connected 10..70 and 80..100 of 0..100.
    let up = feed.uptime(t(100)).unwrap();
    assert!((up - 0.8).abs() < 1e-9, "{up}");
    let reconnects = feed.count_since(t(0), |tr| {
        matches!(tr.to, FeedStatus::Reconnecting { attempt: 1, .. })
    });
    assert_eq!(reconnects, 1);
}
