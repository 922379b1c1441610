use std::borrow::Cow;
use std::fs;

use chrono::{DateTime, Utc};

use super::Coinbase;
use crate::exchange::{Event, Exchange, ParseError, WireTicker};
use crate::symbol::SymbolError;

use crate::exchange::testkit::{self, line, text};

fn recorded(file: &str) -> String {
    testkit::recorded("coinbase", file)
}

/// The events of a frame, without the message number every frame carries (see
/// `every_frame_gives_its_message_number_first`).
fn parse(frame: &str) -> Vec<Event<'_>> {
    let mut events = testkit::parse(&Coinbase, frame);
    events.retain(|e| !matches!(e, Event::Sequence(_)));
    events
}

#[test]
fn every_frame_gives_its_message_number_first() {
    let frames = recorded("advanced-trade-ws.frames");
    let numbers: Vec<u64> = frames
        .lines()
        .filter_map(|l| match testkit::parse(&Coinbase, l).first() {
            Some(Event::Sequence(n)) => Some(*n),
            _ => None,
        })
        .collect();
    assert_eq!(numbers.len(), frames.lines().count());
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
}

fn rfc3339(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("valid time")
        .to_utc()
}

fn subscribed(product: &str) -> Event<'_> {
    Event::Subscribed {
        symbol: Some(Cow::Borrowed(product)),
        req_id: None,
    }
}

/// What the events of a recorded file add up to, by kind.
#[derive(Debug, Default, PartialEq, Eq)]
struct Kinds {
    tickers: usize,
    heartbeats: usize,
    subscribed: usize,
    ignored: usize,
    subscribe_errors: usize,
    unknown: usize,
}

#[test]
fn every_recorded_file_gives_exactly_its_known_events() {
    // Advanced Trade (see `advanced_trade_session_yields_the_recorded_mix`) has no frame
    // this adapter does not know; the old Exchange feed is not spoken here, so each of its
    // frames is `Unknown`; the Exchange feed's error frame is a subscribe error.
    let want = [
        (
            "advanced-trade-ws.frames",
            Kinds {
                tickers: 160,
                heartbeats: 25,
                subscribed: 6,
                ignored: 32,
                ..Kinds::default()
            },
        ),
        (
            "exchange-ws-error-excerpt.frames",
            Kinds {
                subscribe_errors: 1,
                ..Kinds::default()
            },
        ),
        (
            "exchange-ws-legacy-pro.frames",
            Kinds {
                unknown: 210,
                ..Kinds::default()
            },
        ),
    ];
    let fixtures = testkit::recorded_dir("coinbase");
    let dir = fs::read_dir(&fixtures).unwrap_or_else(|e| panic!("{fixtures}: {e}"));
    let mut files: Vec<String> = dir
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".frames"))
        .collect();
    files.sort();
    assert_eq!(
        files,
        want.iter().map(|(f, _)| f.to_string()).collect::<Vec<_>>(),
        "a recorded file without expectations, or one missing"
    );
    for (file, want) in want {
        let mut got = Kinds::default();
        for frame in recorded(file).lines() {
            for event in parse(frame) {
                let slot = match event {
                    Event::Ticker(_) => &mut got.tickers,
                    Event::Heartbeat => &mut got.heartbeats,
                    Event::Subscribed { .. } => &mut got.subscribed,
                    Event::Ignored => &mut got.ignored,
                    Event::SubscribeError { .. } => &mut got.subscribe_errors,
                    Event::Unknown => &mut got.unknown,
                    other => panic!("{file}: {frame}: {other:?}"),
                };
                *slot += 1;
            }
        }
        assert_eq!(got, want, "{file}");
    }
}

#[test]
fn advanced_trade_session_yields_the_recorded_mix() {
    let body = recorded("advanced-trade-ws.frames");
    let (mut tickers, mut heartbeats, mut acks, mut ignored) = (0, 0, 0, 0);
    for frame in body.lines() {
        for event in parse(frame) {
            match event {
                Event::Ticker(t) => {
                    assert!(t.last.is_some() && t.bid.is_some() && t.exchange_ts.is_some());
                    tickers += 1;
                }
                Event::Heartbeat => heartbeats += 1,
                Event::Subscribed { .. } => acks += 1,
                Event::Ignored => ignored += 1,
                other => panic!("{frame}: {other:?}"),
            }
        }
    }
    // README: 160 ticker and 25 heartbeats frames; 15 market_trades + 3 candles + 12
    // l2_data ignored, and 2 of the 5 subscription lists come before the ticker channel.
    // The other 3 each confirm BTC-USD and ETH-USD.
    assert_eq!((tickers, heartbeats, acks, ignored), (160, 25, 6, 32));
}

#[test]
fn ticker_lines_keep_exact_decimals_and_nanosecond_time() {
    let body = recorded("advanced-trade-ws.frames");
    #[rustfmt::skip]
    let cases = [
        (3, "BTC-USD", ["65086.18", "65083.66", "65083.67", "0.09601107287722", "65252.99", "64675.22", "2867.54532609"], "2026-08-09T21:05:48.229198328Z"),
        (4, "ETH-USD", ["1919.41", "1919.42", "1919.49", "0.02501394006035", "1925", "1911.04", "19975.95927439"], "2026-08-09T21:05:48.229217756Z"),
        (148, "BTC-USD", ["65083.67", "65083.66", "65083.67", "0.08368541848476", "65252.99", "64675.22", "2865.64950189"], "2026-08-09T21:06:02.580649653Z"),
        (219, "ETH-USD", ["1919.38", "1919.28", "1919.38", "0.01667483038571", "1925", "1911.04", "19989.3959153"], "2026-08-09T21:06:12.798752726Z"),
    ];
    for (n, product, want, ts) in cases {
        let events = parse(line(&body, n));
        let [Event::Ticker(t)] = events.as_slice() else {
            panic!("line {n}: {events:?}");
        };
        let got = [
            t.last,
            t.bid,
            t.ask,
            t.change_pct_24h,
            t.high_24h,
            t.low_24h,
            t.volume_24h,
        ]
        .map(text);
        assert_eq!(got, want.map(String::from), "line {n}");
        assert_eq!(t.symbol, product, "line {n}");
        assert_eq!(t.exchange_ts, Some(rfc3339(ts)), "line {n}");
        assert_eq!(
            t.exchange_ts.map(|t| t.timestamp_subsec_nanos() % 1000 > 0),
            Some(true)
        );
        assert_eq!((t.open_24h, t.change_24h), (None, None), "derived later");
    }
}

#[test]
fn acks_heartbeats_and_other_channels() {
    let body = recorded("advanced-trade-ws.frames");
    let cases: [(usize, Vec<Event>); 4] = [
        (1, vec![Event::Ignored]),
        (5, vec![subscribed("BTC-USD"), subscribed("ETH-USD")]),
        (26, vec![Event::Heartbeat]),
        (21, vec![subscribed("BTC-USD"), subscribed("ETH-USD")]),
    ];
    for (n, want) in cases {
        assert_eq!(parse(line(&body, n)), want, "line {n}");
    }
}

#[test]
fn error_frames_become_subscribe_errors() {
    // No request id on Coinbase: the reason names the product.
    let want = Event::SubscribeError {
        symbol: Some("LOOM-USDC".into()),
        req_id: None,
        message: "Failed to subscribe: LOOM-USDC is delisted".into(),
    };
    let body = recorded("exchange-ws-error-excerpt.frames");
    assert_eq!(parse(line(&body, 1)), vec![want.clone()]);
    let cases = [
        (
            r#"{"type":"error","message":"Failed to subscribe","reason":"LOOM-USDC is delisted"}"#,
            want,
        ),
        (
            r#"{"type":"error","message":"failure to subscribe"}"#,
            Event::SubscribeError {
                symbol: None,
                req_id: None,
                message: "failure to subscribe".into(),
            },
        ),
    ];
    for (frame, want) in cases {
        assert_eq!(parse(frame), vec![want], "{frame}");
    }
}

#[test]
fn legacy_exchange_feed_frames_are_unknown_not_errors() {
    let body = recorded("exchange-ws-legacy-pro.frames");
    for frame in body.lines() {
        assert_eq!(parse(frame), vec![Event::Unknown], "{frame}");
    }
}

#[test]
fn edge_frames() {
    let cases: [(&str, Vec<Event>); 4] = [
        (
            r#"{"channel":"ticker","timestamp":"2026-08-09T21:05:48Z","sequence_num":1,"events":[]}"#,
            vec![Event::Ignored],
        ),
        (
            r#"{"channel":"subscriptions","timestamp":"2026-08-09T21:05:48Z","sequence_num":1,"events":[{"subscriptions":{}}]}"#,
            vec![Event::Ignored],
        ),
        (
            r#"{"channel":"futures_new_thing","timestamp":"2026-08-09T21:05:48Z","events":[]}"#,
            vec![Event::Unknown],
        ),
        ("42", vec![Event::Unknown]),
    ];
    for (frame, want) in cases {
        assert_eq!(parse(frame), want, "{frame}");
    }
    let batch = r#"{"channel":"ticker_batch","timestamp":"2026-08-09T21:05:48.1Z","sequence_num":3,"events":[{"type":"update","tickers":[{"type":"ticker","product_id":"SOL-USD","price":"77.12","price_percent_chg_24_h":"-1.5"},{"type":"ticker","product_id":"BTC-EUR","price":"56306.27"}]}]}"#;
    let got: Vec<(String, String, String)> = parse(batch)
        .into_iter()
        .map(|e| match e {
            Event::Ticker(WireTicker {
                symbol,
                last,
                change_pct_24h,
                ..
            }) => (symbol.into_owned(), text(last), text(change_pct_24h)),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        got,
        [
            ("SOL-USD".into(), "77.12".into(), "-1.5".into()),
            ("BTC-EUR".into(), "56306.27".into(), "-".into())
        ]
    );
}

#[test]
fn malformed_frames_are_errors() {
    for frame in [
        r#"{"channel":"ticker","events":[{"tickers":[{"product_id":"BTC-USD","price":"x"}]}]}"#,
        r#"{"channel":"ticker","timestamp":"yesterday","events":[]}"#,
        r#"{"channel":"ticker"}"#,
        r#"{"channel":"heartbeats""#,
    ] {
        let mut out = Vec::new();
        assert!(Coinbase.parse(frame, &mut out).is_err(), "{frame}");
    }
    let mut out = Vec::new();
    assert!(matches!(
        Coinbase.parse(r#"{"channel":"ticker"}"#, &mut out),
        Err(ParseError::Schema(_))
    ));
}

#[test]
fn subscribe_pairs_ticker_with_heartbeats() {
    assert_eq!(
        Coinbase.subscribe(&["BTC-USD", "ETH-USD"], 1),
        vec![
            r#"{"type":"subscribe","product_ids":["BTC-USD","ETH-USD"],"channel":"ticker"}"#,
            r#"{"type":"subscribe","product_ids":["BTC-USD","ETH-USD"],"channel":"heartbeats"}"#,
        ]
    );
    assert_eq!(
        Coinbase.unsubscribe(&["ETH-USD"], 2),
        vec![r#"{"type":"unsubscribe","product_ids":["ETH-USD"],"channel":"ticker"}"#]
    );
    assert!(Coinbase.subscribe(&[], 3).is_empty());
    assert_eq!(Coinbase.ping(1), None);
    assert_eq!(
        (Coinbase.default_ws_url(), Coinbase.default_rest_url()),
        (
            "wss://advanced-trade-ws.coinbase.com",
            "https://api.coinbase.com"
        )
    );
}

#[test]
fn pair_list_skips_delisted_and_folds_usdc_aliases() {
    let body = recorded("rest-advanced-trade-market-products.subset.json");
    let list = Coinbase.parse_pair_list(&body).expect("pair list parses");
    // 7 products: DAI-USD is delisted, BTC-USDC is an alias of BTC-USD.
    assert_eq!(list.len(), 5);
    let cases = [
        ("BTC/USD", "BTC/USD", "BTC-USD", Some(2)),
        ("btc-usd", "BTC/USD", "BTC-USD", Some(2)),
        ("BTC/USDC", "BTC/USD", "BTC-USD", Some(2)),
        ("ETH/BTC", "ETH/BTC", "ETH-BTC", Some(6)),
        ("SOLUSD", "SOL/USD", "SOL-USD", Some(2)),
        ("BTC/EUR", "BTC/EUR", "BTC-EUR", Some(2)),
    ];
    testkit::assert_resolves(&list, &cases);
    assert_eq!(
        list.resolve("BTC/USD").map(|i| i.aliases.clone()),
        Ok(vec!["BTC-USDC".to_string()])
    );
    assert!(matches!(
        list.resolve("DAI/USD"),
        Err(SymbolError::Unknown { .. })
    ));
}

#[test]
fn rest_ticker_paths_and_bodies() {
    assert_eq!(
        Coinbase.rest_ticker_paths(&["BTC-USD", "ETH-USD"]),
        vec!["/api/v3/brokerage/market/products?product_ids=BTC-USD&product_ids=ETH-USD"]
    );
    let ids: Vec<String> = (0..120).map(|i| format!("C{i}-USD")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    assert_eq!(Coinbase.rest_ticker_paths(&refs).len(), 3);

    let body = recorded("rest-advanced-trade-market-products.subset.json");
    let tickers = Coinbase.parse_rest_ticker(&body).expect("products body");
    let got: Vec<[String; 6]> = tickers
        .iter()
        .filter(|t| ["BTC-USD", "DAI-USD"].contains(&t.symbol.as_ref()))
        .map(|t| {
            [
                t.symbol.to_string(),
                text(t.last),
                text(t.change_pct_24h),
                text(t.volume_24h),
                text(t.high_24h),
                text(t.bid),
            ]
        })
        .collect();
    let want = [
        [
            "BTC-USD",
            "65086.18",
            "0.09601107287722",
            "2867.54532609",
            "65252.99",
            "-",
        ],
        ["DAI-USD", "0.9985", "-", "-", "-", "-"],
    ];
    assert_eq!(got, want.map(|row| row.map(String::from)));
    assert!(
        Coinbase
            .parse_rest_ticker(r#"{"error":"NOT_FOUND"}"#)
            .is_err()
    );
}

#[test]
fn derived_open_keeps_the_products_price_increment() {
    // Coinbase drops trailing zeros (`97010`, not `97010.00`): the open derived from the
    // percentage is rounded to the product's price increment (0.01), not to the last
    // price's digits.
    let frame = r#"{"channel":"ticker","timestamp":"2026-08-09T21:05:48.229198328Z","sequence_num":6,"events":[{"type":"update","tickers":[{"type":"ticker","product_id":"BTC-USD","price":"97010","price_percent_chg_24_h":"-1.23711684","best_bid":"97009.99","best_ask":"97010.00"}]}]}"#;
    let btc = crate::symbol::Symbol::new("BTC", "USD");
    let (t, line) = crate::exchange::testkit::merged_with(&Coinbase, &btc, Some(2), &[frame]);
    assert_eq!(text(t.open_24h), "98225.16");
    assert_eq!(text(t.change_24h), "-1215.16");
    assert_eq!(line["open_24h"], "98225.16");
}
