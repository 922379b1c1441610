use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::*;
use crate::model::{ExchangeId, FeedStatus, Source, Ticker, Transition};
use crate::store::{Snapshot, Store, StoreEvent, StoreLimits};
use crate::symbol::Symbol;

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
}

fn tick(last: &str, secs: i64) -> StoreEvent {
    quote(ExchangeId::Kraken, last, None, secs)
}

fn quote(exchange: ExchangeId, last: &str, book: Option<(&str, &str)>, secs: i64) -> StoreEvent {
    let mut t = Ticker::empty(
        exchange,
        Symbol::new("BTC", "USD"),
        Source::Stream,
        at(secs),
    );
    t.last = Some(last.parse().unwrap());
    if let Some((bid, ask)) = book {
        t.bid = Some(bid.parse().unwrap());
        t.ask = Some(ask.parse().unwrap());
    }
    StoreEvent::Ticker(Box::new(t))
}

fn status(to: FeedStatus, secs: i64) -> StoreEvent {
    StoreEvent::Status(Arc::new(Transition {
        exchange: ExchangeId::Kraken,
        from: FeedStatus::Connected,
        to,
        at: at(secs),
        reason: "test".into(),
    }))
}

fn eval_with(rule: &str, opts: EvalOptions) -> Evaluator {
    let mut e = Evaluator::new(opts);
    e.add(rule.parse().unwrap(), &Snapshot::default(), at(0));
    e
}

fn eval(rule: &str) -> Evaluator {
    eval_with(rule, EvalOptions::default())
}

/// Feed `events` in order; the messages of what fired, with "+" for a firing and "-" for
/// a recovery.
fn run(e: &mut Evaluator, events: &[StoreEvent]) -> Vec<String> {
    let mut out = Vec::new();
    for ev in events {
        let now = match ev {
            StoreEvent::Ticker(t) => t.received_ts,
            StoreEvent::Status(t) => t.at,
            _ => at(0),
        };
        for a in e.on_event(ev, false, now) {
            let sign = if a.kind == AlertKind::Fired { "+" } else { "-" };
            out.push(format!("{sign}{}", a.message));
        }
    }
    out
}

#[test]
fn the_grammar_reads_and_writes_one_spelling() {
    for (typed, canonical) in [
        (
            "kraken:btc-usd last above 70000",
            "kraken:BTC/USD last above 70000",
        ),
        ("BTC/USD mid<60,000.50", "BTC/USD mid below 60000.5"),
        ("eth/usd move 2% in 5m", "ETH/USD move 2% 5m"),
        ("ETH/USD bid move -1.5% 90s", "ETH/USD bid move -1.5% 90s"),
        ("okx:BTC-USDT spread > 5 bps", "okx:BTC/USDT spread > 5bps"),
        (
            "kraken:BTC/USD spread > 12.5 every",
            "kraken:BTC/USD spread > 12.5 every",
        ),
        ("kraken state fallback for 30s", "kraken state fallback 30s"),
        ("state offline 1h once", "state offline 1h once"),
        ("BTC/USD stale 60s", "BTC/USD stale 1m"),
        (
            "BTC/USD last above 100 rearm 0.5% every",
            "BTC/USD last above 100 rearm 0.5% every",
        ),
        (
            "BTC/USD last below 100 rearm 2",
            "BTC/USD last below 100 rearm 2",
        ),
    ] {
        let rule: AlertRule = typed.parse().unwrap_or_else(|e| panic!("{typed}: {e}"));
        assert_eq!(rule.to_string(), canonical, "{typed}");
        assert_eq!(canonical.parse::<AlertRule>().unwrap(), rule, "{canonical}");
    }
}

#[test]
fn a_bad_rule_says_what_is_wrong() {
    for (typed, says) in [
        ("", "empty rule"),
        (
            "BTC/USD last sideways 5",
            "'sideways': expected above, below",
        ),
        (
            "BTC/USD last above lots",
            "'lots' is not a positive price level",
        ),
        ("BTC/USD move 2 5m", "a move is a percentage with %"),
        ("BTC/USD move 2% soon", "'soon' is not a duration"),
        ("kraken last above 5", "a price alert needs a symbol"),
        ("stale 30s", "stale needs a symbol"),
        ("BTC/USD state fallback 30s", "is a venue's"),
        ("nope:BTC/USD last above 1", "unknown exchange 'nope'"),
        (
            "BTC/USD last above 1 loudly",
            "'loudly': expected rearm, once or every",
        ),
        (
            "kraken state fallback 30s rearm 1",
            "re-arms when the feed recovers",
        ),
    ] {
        let e = typed.parse::<AlertRule>().unwrap_err().to_string();
        assert!(e.contains(says), "{typed}: {e}");
    }
}

#[test]
fn a_crossing_fires_once_and_re_arms_past_its_band() {
    // Band 0.1 % of 100 = 0.1: re-armed below 99.9.
    let mut e = eval("BTC/USD last above 100 every");
    let fired = run(
        &mut e,
        &[
            tick("99", 1),
            tick("100.5", 2), // crosses: fires
            tick("101", 3),   // still above: nothing
            tick("99.95", 4), // back, but inside the band: not re-armed
            tick("100.2", 5), // nothing
            tick("99.8", 6),  // past the band: re-armed
            tick("100", 7),   // at the level: fires again
        ],
    );
    assert_eq!(
        fired,
        [
            "+kraken BTC/USD: last 100.5 crossed above 100",
            "+kraken BTC/USD: last 100 crossed above 100"
        ]
    );
    assert_eq!(e.statuses()[0].fired, 2);
    assert_eq!(e.statuses()[0].state, RuleState::Rearming);
}

#[test]
fn a_one_shot_fires_once_ever() {
    let mut e = eval("kraken:BTC/USD last below 50");
    let fired = run(
        &mut e,
        &[tick("60", 1), tick("49", 2), tick("60", 3), tick("40", 4)],
    );
    assert_eq!(fired, ["+kraken BTC/USD: last 49 crossed below 50"]);
    assert_eq!(e.statuses()[0].state, RuleState::Done);
}

#[test]
fn a_rule_true_when_added_waits_to_re_arm() {
    let mut e = eval("BTC/USD last above 100");
    let fired = run(&mut e, &[tick("150", 1), tick("160", 2)]);
    assert!(fired.is_empty(), "{fired:?}");
    assert_eq!(e.statuses()[0].state, RuleState::Rearming);
    let fired = run(&mut e, &[tick("90", 3), tick("101", 4)]);
    assert_eq!(fired, ["+kraken BTC/USD: last 101 crossed above 100"]);
}

#[test]
fn a_rule_added_on_a_row_already_past_it_does_not_fire() {
    let store = Store::new(StoreLimits::default());
    let btc = Symbol::new("BTC", "USD");
    store.add_symbol(ExchangeId::Kraken, &btc, None);
    let StoreEvent::Ticker(t) = tick("150", 1) else {
        unreachable!()
    };
    store.apply(*t);
    let mut e = Evaluator::new(EvalOptions::default());
    e.add(
        "BTC/USD last above 100".parse().unwrap(),
        &store.snapshot(),
        at(2),
    );
    assert!(run(&mut e, &[tick("151", 3)]).is_empty());
}

#[test]
fn a_one_shot_fired_in_an_earlier_run_stays_fired() {
    let mut e = eval("BTC/USD last above 100");
    e.restore_fired("BTC/USD last above 100", at(-100));
    assert!(run(&mut e, &[tick("90", 1), tick("110", 2)]).is_empty());
    let s = &e.statuses()[0];
    assert_eq!(
        (s.state.clone(), s.last_fired),
        (RuleState::Done, Some(at(-100)))
    );
}

#[test]
fn a_move_compares_now_with_the_price_one_window_ago() {
    let mut e = eval("BTC/USD move 2% 5m every");
    let fired = run(
        &mut e,
        &[
            tick("100", 0),
            tick("101", 60),
            tick("101.9", 299), // no baseline a whole window back yet
            tick("102", 300),   // +2 % against t=0: fires
            tick("102", 330),   // against 100 still (sample at 0 until t=360 is past)
            tick("100.5", 420), // against 101 (t=60… at 360 → sample at 60): -0.5 %: re-armed
            tick("98.9", 425),  // -2.08 % against 101: fires (either way)
        ],
    );
    assert_eq!(
        fired,
        [
            "+kraken BTC/USD: last moved +2.00% in 5 min (100 → 102)",
            "+kraken BTC/USD: last moved -2.08% in 6 min 5 s (101 → 98.9)"
        ]
    );
}

#[test]
fn a_move_one_way_ignores_the_other() {
    let mut e = eval("BTC/USD move -2% 1m");
    let fired = run(&mut e, &[tick("100", 0), tick("103", 60), tick("103", 61)]);
    assert!(fired.is_empty(), "{fired:?}");
    let fired = run(&mut e, &[tick("100.9", 121)]);
    assert_eq!(
        fired,
        ["+kraken BTC/USD: last moved -2.04% in 60 s (103 → 100.9)"]
    );
}

#[test]
fn a_spread_in_bps_of_the_mid() {
    let mut e = eval("BTC/USD spread > 10bps every");
    let q = |bid, ask, s| quote(ExchangeId::Kraken, "100", Some((bid, ask)), s);
    let fired = run(
        &mut e,
        &[
            q("99.99", "100.01", 1), // 2 bps
            q("99.9", "100.1", 2),   // 20 bps: fires
            q("99.95", "100.05", 3), // 10 bps: not wider, inside the band (8 bps)
            q("99.9", "100.1", 4),   // nothing: not re-armed
            q("99.98", "100.02", 5), // 4 bps: re-armed
            q("99.9", "100.1", 6),   // fires
        ],
    );
    assert_eq!(fired.len(), 2, "{fired:?}");
    assert_eq!(
        fired[0],
        "+kraken BTC/USD: spread 20.00 bps wider than 10 bps"
    );
}

#[test]
fn a_held_state_fires_after_its_time_and_reports_the_recovery() {
    let mut e = eval("kraken state fallback 30s");
    let fallback = || FeedStatus::Fallback { next_ws_try: at(0) };
    run(&mut e, &[status(fallback(), 10)]);
    assert!(e.on_tick(at(39)).is_empty());
    let fired = e.on_tick(at(40));
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].message, "kraken: fallback for 30 s");
    assert!(e.on_tick(at(41)).is_empty(), "once per episode");
    assert_eq!(e.statuses()[0].state, RuleState::Fired);
    let recovered = run(&mut e, &[status(FeedStatus::Connected, 50)]);
    assert_eq!(recovered, ["-kraken: connected again"]);
    // Recurring by default: the next episode fires again; a short one does not.
    run(
        &mut e,
        &[status(fallback(), 60), status(FeedStatus::Connected, 70)],
    );
    assert!(e.on_tick(at(100)).is_empty());
    run(&mut e, &[status(fallback(), 200)]);
    assert_eq!(e.on_tick(at(231)).len(), 1);
}

#[test]
fn down_spans_every_failing_state() {
    let mut e = eval("state down 20s");
    let reconnecting = FeedStatus::Reconnecting {
        attempt: 1,
        max_attempts: 5,
        next_try: at(0),
    };
    run(
        &mut e,
        &[
            status(reconnecting, 0),
            status(FeedStatus::Offline { next_try: at(0) }, 15),
        ],
    );
    assert_eq!(
        e.on_tick(at(20)).len(),
        1,
        "held since 0 across both states"
    );
}

#[test]
fn a_stale_row_fires_and_recovers_with_its_next_update() {
    let mut e = eval("kraken:BTC/USD stale 1m");
    run(&mut e, &[tick("100", 0)]);
    assert!(e.on_tick(at(59)).is_empty());
    assert_eq!(
        e.on_tick(at(60))[0].message,
        "kraken BTC/USD: no update for 60 s"
    );
    assert_eq!(
        run(&mut e, &[tick("100", 70)]),
        ["-kraken BTC/USD: updating again"]
    );
}

#[test]
fn stale_and_simulated_quotes_fire_nothing() {
    let mut e = eval("BTC/USD last above 100");
    run(&mut e, &[tick("90", 0)]);
    // A REST poll whose venue time is a minute old: stale.
    let mut t = Ticker::empty(
        ExchangeId::Kraken,
        Symbol::new("BTC", "USD"),
        Source::Rest,
        at(100),
    );
    t.last = Some("150".parse().unwrap());
    t.exchange_ts = Some(at(40));
    let polled = StoreEvent::Ticker(Box::new(t));
    assert!(e.on_event(&polled, false, at(100)).is_empty());
    // The simulator's quote in a run that does not expect it.
    assert!(e.on_event(&tick("150", 101), true, at(101)).is_empty());
    // Expected (a demo run): it fires, marked.
    let mut e = eval_with(
        "BTC/USD last above 100",
        EvalOptions {
            allow_simulated: true,
            ..EvalOptions::default()
        },
    );
    e.on_event(&tick("90", 0), true, at(0));
    let fired = e.on_event(&tick("150", 1), true, at(1));
    assert!(fired[0].simulated);
}

#[test]
fn a_symbol_on_every_venue_watches_each_on_its_own() {
    let mut e = eval("BTC/USD last above 100 every");
    let fired = run(
        &mut e,
        &[
            quote(ExchangeId::Kraken, "90", None, 1),
            quote(ExchangeId::Coinbase, "110", None, 1), // true when first seen there
            quote(ExchangeId::Kraken, "101", None, 2),
        ],
    );
    assert_eq!(fired, ["+kraken BTC/USD: last 101 crossed above 100"]);
}

/// The task on paused time: a feed held in fallback fires after 30 s of the clock, a
/// price crossing fires at once, each exactly once.
#[tokio::test(start_paused = true)]
async fn the_alert_task_fires_from_store_events_and_its_clock() {
    let store = Store::new(StoreLimits::default());
    let start = tokio::time::Instant::now();
    let clock: crate::feed::Clock =
        Arc::new(move || at(0) + TimeDelta::from_std(start.elapsed()).unwrap());
    store.add_feed(ExchangeId::Kraken, at(0));
    let btc = Symbol::new("BTC", "USD");
    store.add_symbol(ExchangeId::Kraken, &btc, None);
    let shutdown = tokio_util::sync::CancellationToken::new();
    let (handle, mut fired, task) = spawn(
        Arc::clone(&store),
        AlertSetup {
            rules: vec![
                "kraken state fallback 30s".parse().unwrap(),
                "BTC/USD last above 100".parse().unwrap(),
            ],
            fired: Vec::new(),
            options: EvalOptions::default(),
            clock: Arc::clone(&clock),
        },
        shutdown.clone(),
    );
    let StoreEvent::Ticker(t) = tick("90", 0) else {
        unreachable!()
    };
    store.apply(*t);
    store.transition(
        ExchangeId::Kraken,
        FeedStatus::Fallback { next_ws_try: at(0) },
        "test",
        clock(),
    );
    tokio::time::sleep(Duration::from_secs(29)).await;
    assert!(fired.try_recv().is_err(), "not before 30 s");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let a = fired.try_recv().expect("fired after 30 s");
    assert_eq!(a.message, "kraken: fallback for 30 s");
    let StoreEvent::Ticker(t) = tick("101", 31) else {
        unreachable!()
    };
    store.apply(*t);
    let a = fired.recv().await.unwrap();
    assert_eq!(a.message, "kraken BTC/USD: last 101 crossed above 100");
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(fired.try_recv().is_err(), "each fired once");
    handle.remove("BTC/USD last above 100");
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(handle.statuses().len(), 1);
    shutdown.cancel();
    task.await.unwrap();
}

/// Without rules the task follows no store events, so the store keeps no tickers for it;
/// a rule added from the screen subscribes and fires; removing the last one lets go.
#[tokio::test(start_paused = true)]
async fn the_alert_task_follows_the_store_only_while_it_has_rules() {
    let store = Store::new(StoreLimits::default());
    store.add_feed(ExchangeId::Kraken, at(0));
    let btc = Symbol::new("BTC", "USD");
    store.add_symbol(ExchangeId::Kraken, &btc, None);
    let shutdown = tokio_util::sync::CancellationToken::new();
    let (handle, mut fired, task) = spawn(
        Arc::clone(&store),
        AlertSetup {
            rules: Vec::new(),
            fired: Vec::new(),
            options: EvalOptions::default(),
            clock: Arc::new(|| at(0)),
        },
        shutdown.clone(),
    );
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(store.event_readers(), 0, "no rule, no subscription");
    let StoreEvent::Ticker(t) = tick("90", 0) else {
        unreachable!()
    };
    store.apply(*t);
    assert!(handle.add("BTC/USD last above 100".parse().unwrap()));
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(store.event_readers(), 1);
    let StoreEvent::Ticker(t) = tick("101", 1) else {
        unreachable!()
    };
    store.apply(*t);
    let a = fired.recv().await.unwrap();
    assert_eq!(a.message, "kraken BTC/USD: last 101 crossed above 100");
    assert!(handle.remove("BTC/USD last above 100"));
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(
        store.event_readers(),
        0,
        "the last rule removed, the subscription too"
    );
    shutdown.cancel();
    task.await.unwrap();
}
