//! OKX adapter tests: every recorded frame in `tests/fixtures/recorded/okx` (a missing file
//! fails the test), plus hand-written frames in the real formats for what was never
//! recorded (pong, notices, newer error texts, REST bodies).

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{MAX_REQUEST_BYTES, Okx};
use crate::exchange::{Event, Exchange, ParseError, WireTicker, parse_decimal};

use crate::exchange::testkit::{self, text};

fn fixture(file: &str) -> String {
    testkit::recorded("okx", file)
}

fn parse(frame: &str) -> Vec<Event<'_>> {
    testkit::parse(&Okx, frame)
}

fn ms(t: Option<DateTime<Utc>>) -> i64 {
    t.map_or(0, |t| t.timestamp_millis())
}

#[test]
fn recorded_session_yields_expected_events() {
    let frames = fixture("ws-v5-public.frames");
    let (mut tickers, mut acks, mut ignored, mut other) = (0, 0, 0, 0);
    for line in frames.lines() {
        for ev in parse(line) {
            match ev {
                Event::Ticker(t) => {
                    assert!(t.last.is_some() && t.bid.is_some() && t.ask.is_some());
                    assert!(t.open_24h.is_some() && t.exchange_ts.is_some());
                    tickers += 1;
                }
                Event::Subscribed {
                    symbol: Some(_),
                    req_id: None,
                } => acks += 1,
                Event::Ignored => ignored += 1,
                _ => other += 1,
            }
        }
    }
    // README: 18 subscribe events, 28 tickers, 74 trades + 12 books.
    assert_eq!((tickers, acks, ignored, other), (28, 18, 86, 0));
}

#[test]
fn recorded_tickers_keep_exact_decimals() {
    let frames = fixture("ws-v5-public.frames");
    let lines: Vec<&str> = frames.lines().collect();
    // line, instId, last, bid, ask, open24h, high, low, base volume, ts
    #[rustfmt::skip]
    let cases = [
        (19, "BTC-USD-220527", "30218.8", "30210.4", "30220.1", "29571.4", "31003.3", "27930.8",
             "2620.289", 1_652_459_223_003),
        (20, "UNI-USD-SWAP", "5.123", "5.134", "5.142", "4.799", "5.458", "4.537", "577730.7823",
             1_652_459_223_143),
        (21, "BTC-USDT", "30236", "30228.6", "30228.7", "29700.4", "31073", "28020.3",
             "17602.13085371", 1_652_459_224_956),
        (40, "BTC-USDT", "30243.5", "30228.6", "30228.7", "29700.4", "31073", "28020.3",
             "17602.13889433", 1_652_459_226_124),
    ];
    for (line, inst, last, bid, ask, open, high, low, vol, ts) in cases {
        let events = parse(lines[line - 1]);
        let [Event::Ticker(t)] = events.as_slice() else {
            panic!("line {line}: {events:?}");
        };
        let got = (
            t.symbol.as_ref(),
            text(t.last),
            text(t.bid),
            text(t.ask),
            text(t.open_24h),
            text(t.high_24h),
            text(t.low_24h),
            text(t.volume_24h),
            ms(t.exchange_ts),
        );
        let want = (
            inst,
            last.into(),
            bid.into(),
            ask.into(),
            open.into(),
            high.into(),
            low.into(),
            vol.into(),
            ts,
        );
        assert_eq!(got, want, "line {line}");
        assert_eq!(
            (t.change_24h, t.change_pct_24h),
            (None, None),
            "left to derive_24h"
        );
    }
}

#[test]
fn recorded_acks_and_error() {
    let frames = fixture("ws-v5-public.frames");
    let lines: Vec<&str> = frames.lines().collect();
    assert_eq!(
        parse(lines[2]),
        [Event::Subscribed {
            symbol: Some("BTC-USDT".into()),
            req_id: None,
        }]
    );
    assert_eq!(parse(lines[21]), [Event::Ignored], "trades");
    assert_eq!(parse(lines[24]), [Event::Ignored], "books");
    let error = fixture("ws-error-excerpt.frames");
    let events = parse(error.trim_end());
    let [
        Event::SubscribeError {
            symbol, message, ..
        },
    ] = events.as_slice()
    else {
        panic!("{events:?}");
    };
    assert_eq!(symbol.as_deref(), Some("NMR-USDT"));
    assert!(
        message.starts_with("okx error 60018: Wrong URL"),
        "{message}"
    );
}

#[test]
fn control_frames() {
    let upgrade = r#"{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade. Please reconnect.","connId":"a4d3ae55"}"#;
    let cases: [(&str, Event<'_>); 9] = [
        ("pong", Event::Pong { req_id: None }),
        (upgrade, Event::ReconnectSoon {
            reason: "The connection will soon be closed for a service upgrade. Please reconnect."
                .into(),
        }),
        (r#"{"event":"error","code":"60018","msg":"Subscribe failed, Wrong URL or channel:tickers,instId:FOO-USDT doesn't exist.","connId":"a4d3ae55"}"#,
         Event::SubscribeError {
            symbol: Some("FOO-USDT".into()),
            req_id: None,
            message: "okx error 60018: Subscribe failed, Wrong URL or channel:tickers,instId:FOO-USDT doesn't exist.".into(),
        }),
        (r#"{"event":"error","code":"60012","msg":"Invalid request: {\"op\": \"subscribe\"}","connId":"a4d3ae55"}"#,
         Event::SubscribeError {
            symbol: None,
            req_id: None,
            message: r#"okx error 60012: Invalid request: {"op": "subscribe"}"#.into(),
        }),
        (r#"{"connId":"a4d3ae55","event":"unsubscribe","arg":{"instId":"ETH-USDT","channel":"tickers"}}"#,
         Event::Unsubscribed { symbol: Some("ETH-USDT".into()), req_id: None, }),
        (r#"{"event":"channel-conn-count","channel":"tickers","connCount":"2","connId":"a4d3ae55"}"#,
         Event::Ignored),
        (r#"{"event":"channel-conn-count-error","channel":"tickers","connCount":"30","connId":"a4d3ae55"}"#,
         Event::SubscribeError {
            symbol: None,
            req_id: None,
            message: "okx connection limit reached for channel tickers".into(),
        }),
        (r#"{"event":"notice","code":"64009","msg":"something new"}"#, Event::Unknown),
        (r#"{"id":"7","op":"order","data":[]}"#, Event::Unknown),
    ];
    for (frame, want) in cases {
        assert_eq!(parse(frame), [want], "{frame}");
    }
    let mut out = Vec::new();
    for bad in ["{\"event\":", "pon", "[1,2"] {
        assert!(Okx.parse(bad, &mut out).is_err(), "{bad}");
    }
    assert!(out.is_empty());
}

#[test]
fn subscribe_batches_all_symbols_in_one_request() {
    let wire = ["BTC-USD-220527", "UNI-USD-SWAP", "BTC-USDT"];
    let frames = Okx.subscribe(&wire, 1);
    let sent = fixture("ws-v5-public.sent");
    assert_eq!(frames, [sent.lines().next().expect("a sent line")]);
    assert_eq!(
        Okx.unsubscribe(&["ETH-USDT"], 9),
        [r#"{"op":"unsubscribe","args":[{"channel":"tickers","instId":"ETH-USDT"}]}"#]
    );
    assert!(Okx.subscribe(&[], 1).is_empty());
    // A list too long for one request splits at the size cap and keeps every name.
    let many: Vec<String> = (0..300).map(|i| format!("COIN{i}-USDT")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let frames = Okx.subscribe(&refs, 1);
    assert!(frames.len() > 1 && frames.len() < 5, "{}", frames.len());
    assert!(frames.iter().all(|f| f.len() <= MAX_REQUEST_BYTES));
    let named: usize = frames.iter().map(|f| f.matches("\"instId\"").count()).sum();
    assert_eq!(named, 300);
    assert!(frames[0].contains("COIN0-USDT") && frames.last().unwrap().contains("COIN299-"));
}

#[test]
fn keep_alive_is_text_ping_every_20s() {
    assert_eq!(Okx.ping(5).as_deref(), Some("ping"));
    assert_eq!(Okx.ping_interval(), Duration::from_secs(20));
    assert_eq!(Okx.ws_bootstrap_path(), None);
    let adapter = crate::exchange::adapter(crate::model::ExchangeId::Okx).expect("okx adapter");
    assert_eq!(adapter.id(), crate::model::ExchangeId::Okx);
    assert_eq!(Okx.default_ws_url(), "wss://ws.okx.com:8443/ws/v5/public");
    assert_eq!(Okx.default_rest_url(), "https://www.okx.com");
}

#[test]
fn pair_list_from_recorded_instruments() {
    let body = fixture("rest-v5-public-instruments-SPOT.subset.json");
    assert_eq!(
        Okx.pair_list_path(),
        "/api/v5/public/instruments?instType=SPOT"
    );
    let list = Okx.parse_pair_list(&body).expect("pair list");
    assert_eq!(list.len(), 5);
    #[rustfmt::skip]
    let cases = [
        ("BTC/USDT", "BTC/USDT", "BTC-USDT", Some(1)),
        ("btc-usdt", "BTC/USDT", "BTC-USDT", Some(1)),
        ("ETHBTC", "ETH/BTC", "ETH-BTC", Some(5)),
        ("sol/usdt", "SOL/USDT", "SOL-USDT", Some(3)),
        ("BTC_USDC", "BTC/USDC", "BTC-USDC", Some(1)),
    ];
    testkit::assert_resolves(&list, &cases);
    // No USD market here: BTC/USD must not quietly become BTC/USDT.
    testkit::assert_suggests(&list, "BTC/USD", &["BTC/USDT"]);
}

#[test]
fn pair_list_keeps_live_instruments_only() {
    let body = r#"{"code":"0","msg":"","data":[{"instId":"AAA-USDT","baseCcy":"AAA","quoteCcy":"USDT","state":"suspend","tickSz":"0.01"},{"instId":"BBB-USDT","baseCcy":"BBB","quoteCcy":"USDT","state":"live","tickSz":"1"}]}"#;
    let list = Okx.parse_pair_list(body).expect("pair list");
    assert_eq!(list.len(), 1);
    assert_eq!(
        list.resolve("BBB/USDT").map(|i| i.price_decimals),
        Ok(Some(0))
    );
    let err = Okx.parse_pair_list(r#"{"code":"50011","msg":"Too Many Requests","data":[]}"#);
    assert!(matches!(err, Err(ParseError::Schema(m)) if m.contains("Too Many Requests")));
}

#[test]
fn rest_ticker_one_request_per_instrument() {
    assert_eq!(
        Okx.rest_ticker_paths(&["BTC-USDT", "ETH-USDT"]),
        [
            "/api/v5/market/ticker?instId=BTC-USDT",
            "/api/v5/market/ticker?instId=ETH-USDT"
        ]
    );
    let body = r#"{"code":"0","msg":"","data":[{"instType":"SPOT","instId":"ETH-USDT","last":"3012.45","lastSz":"0.0105","askPx":"3012.46","askSz":"4.2","bidPx":"3012.45","bidSz":"11.0077","open24h":"2950.10","high24h":"3050.00","low24h":"2931.7","volCcy24h":"312873001.110328","vol24h":"104112.883901","ts":"1717000000123","sodUtc0":"2990.01","sodUtc8":"3001.5"}]}"#;
    let got = Okx.parse_rest_ticker(body).expect("ticker");
    let want = WireTicker {
        symbol: "ETH-USDT".into(),
        last: parse_decimal("3012.45"),
        bid: parse_decimal("3012.45"),
        ask: parse_decimal("3012.46"),
        open_24h: parse_decimal("2950.10"),
        high_24h: parse_decimal("3050.00"),
        low_24h: parse_decimal("2931.7"),
        volume_24h: parse_decimal("104112.883901"),
        exchange_ts: DateTime::from_timestamp_millis(1_717_000_000_123),
        ..WireTicker::default()
    };
    assert_eq!(got, [want]);
    assert_eq!(text(got[0].open_24h), "2950.10");
    let err =
        Okx.parse_rest_ticker(r#"{"code":"51001","msg":"Instrument ID does not exist","data":[]}"#);
    assert!(matches!(err, Err(ParseError::Schema(m)) if m.contains("51001")));
}

#[test]
fn an_empty_book_side_clears_the_price() {
    let full = r#"{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{"instType":"SPOT","instId":"BTC-USDT","last":"30236","askPx":"30228.7","askSz":"1.5","bidPx":"30228.6","bidSz":"0.2","open24h":"29700.4","ts":"1652459224956"}]}"#;
    let no_bids = r#"{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{"instType":"SPOT","instId":"BTC-USDT","last":"30236","askPx":"30228.7","askSz":"1.5","bidPx":"","bidSz":"","open24h":"29700.4","ts":"1652459225000"}]}"#;
    let btc = crate::symbol::Symbol::new("BTC", "USDT");
    let (t, line) = testkit::merged(&Okx, &btc, &[full, no_bids]);
    assert_eq!((text(t.bid), text(t.ask)), ("-".into(), "30228.7".into()));
    assert_eq!(line["bid"], serde_json::Value::Null);
    assert_eq!(line["ask"], "30228.7");
    // A field that is not sent at all keeps the row's value.
    let ask_only = r#"{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","askPx":"30229.1"}]}"#;
    let (t, _) = testkit::merged(&Okx, &btc, &[full, ask_only]);
    assert_eq!(
        (text(t.bid), text(t.ask)),
        ("30228.6".into(), "30229.1".into())
    );
}
