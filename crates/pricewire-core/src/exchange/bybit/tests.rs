use std::borrow::Cow;
use std::time::Duration;

use super::Bybit;
use super::wire::fraction_to_percent;
use crate::exchange::{Event, Exchange, ParseError, WireTicker, parse_decimal};

use crate::exchange::testkit::{self, line, millis, text};

fn recorded(file: &str) -> String {
    testkit::recorded("bybit", file)
}

fn parse(frame: &str) -> Vec<Event<'_>> {
    testkit::parse(&Bybit, frame)
}

fn only_ticker(frame: &str) -> WireTicker<'_> {
    testkit::only_ticker(&Bybit, frame)
}

#[test]
fn every_recorded_frame_parses_to_a_known_event() {
    testkit::assert_every_recorded_frame_known(&Bybit, "bybit");
}

#[test]
fn spot_session_yields_the_recorded_mix() {
    let body = recorded("v5-public-spot.frames");
    let (mut tickers, mut acks, mut ignored) = (0, 0, 0);
    for frame in body.lines() {
        match parse(frame).as_slice() {
            [Event::Ticker(t)] => {
                assert!(
                    t.last.is_some() && t.bid.is_none() && t.ask.is_none(),
                    "{frame}"
                );
                tickers += 1;
            }
            [
                Event::Subscribed {
                    symbol: None,
                    req_id: None,
                },
            ] => acks += 1,
            [Event::Ignored] => ignored += 1,
            other => panic!("{frame}: {other:?}"),
        }
    }
    // README: 81 tickers, 7 acks; 18 publicTrade + 10 kline + 25 orderbook.200 deltas.
    assert_eq!((tickers, acks, ignored), (81, 7, 53));
}

#[test]
fn spot_tickers_keep_exact_decimals_and_percent_units() {
    let body = recorded("v5-public-spot.frames");
    #[rustfmt::skip]
    let cases = [
        (2, "BTCUSDT", ["65140.5", "65045.3", "0.15", "65305.6", "64727.9", "2953.835931"], 1_786_310_819_126),
        (3, "ETHUSDT", ["1923.27", "1921.21", "0.11", "1927.4", "1912.2", "19794.00132"], 1_786_310_819_415),
        (88, "BTCUSDT", ["65140.4", "65043.2", "0.15", "65305.6", "64727.9", "2951.375888"], 1_786_310_841_127),
        (139, "ETHUSDT", ["1923.28", "1921.35", "0.10", "1927.4", "1912.2", "19784.98741"], 1_786_310_861_415),
    ];
    for (n, symbol, want, ts) in cases {
        let t = only_ticker(line(&body, n));
        let got = [
            t.last,
            t.open_24h,
            t.change_pct_24h,
            t.high_24h,
            t.low_24h,
            t.volume_24h,
        ]
        .map(text);
        assert_eq!(got, want.map(String::from), "line {n}");
        assert_eq!(
            (t.symbol.as_ref(), t.exchange_ts),
            (symbol, millis(ts)),
            "line {n}"
        );
    }
}

#[test]
fn linear_deltas_carry_only_their_fields() {
    let body = recorded("v5-public-linear.frames");
    let delta = only_ticker(line(&body, 2));
    assert_eq!(
        (
            delta.symbol.as_ref(),
            text(delta.bid),
            text(delta.ask),
            text(delta.last)
        ),
        ("BTCUSDT", "65114.20".into(), "65114.30".into(), "-".into())
    );
    assert_eq!(delta.exchange_ts, millis(1_786_310_817_883));
    let t = only_ticker(line(&body, 67));
    assert_eq!(
        [
            t.last,
            t.bid,
            t.ask,
            t.change_pct_24h,
            t.volume_24h,
            t.open_24h
        ]
        .map(text),
        [
            "65114.20",
            "65114.20",
            "65114.30",
            "0.1622",
            "17576.0480",
            "-"
        ]
        .map(String::from)
    );
}

#[test]
fn fractions_become_percent_without_new_digits() {
    let cases = [
        ("0.0015", "0.15"),
        ("-0.0123", "-1.23"),
        ("0.001622", "0.1622"),
        ("0.1", "10.0"),
        ("2", "200"),
        ("0", "0"),
    ];
    for (fraction, want) in cases {
        let got = parse_decimal(fraction).and_then(fraction_to_percent);
        assert_eq!(text(got), want, "{fraction}");
    }
}

#[test]
fn level_one_book_becomes_a_bid_ask_ticker() {
    let frame = r#"{"topic":"orderbook.1.BTCUSDT","ts":1786310819200,"type":"snapshot","data":{"s":"BTCUSDT","b":[["65140.40","0.875077"]],"a":[["65140.50","0.472215"]],"u":62505500,"seq":112488546200},"cts":1786310819190}"#;
    let t = only_ticker(frame);
    assert_eq!(
        (t.symbol.as_ref(), text(t.bid), text(t.ask), t.exchange_ts),
        (
            "BTCUSDT",
            "65140.40".into(),
            "65140.50".into(),
            millis(1_786_310_819_200)
        )
    );
    assert_eq!((t.last, t.open_24h, t.change_pct_24h), (None, None, None));
    let one_side = r#"{"topic":"orderbook.1.ETHUSDT","ts":1786310819200,"type":"snapshot","data":{"s":"ETHUSDT","b":[],"a":[["1923.28","2.1"]],"u":7,"seq":8}}"#;
    let t = only_ticker(one_side);
    assert_eq!((text(t.bid), text(t.ask)), ("-".into(), "1923.28".into()));
    let empty = r#"{"topic":"orderbook.1.ETHUSDT","ts":1786310819200,"type":"snapshot","data":{"s":"ETHUSDT","b":[],"a":[],"u":7,"seq":8}}"#;
    // Both sides empty: a ticker that clears both.
    let t = only_ticker(empty);
    assert_eq!(
        (t.bid, t.ask, t.cleared.bid, t.cleared.ask),
        (None, None, true, true)
    );
}

#[test]
fn replies_map_to_events() {
    let cases: [(&str, Event); 8] = [
        (
            r#"{"success":true,"ret_msg":"pong","conn_id":"d9avt8shteepr00gfc1g-4zd1x","op":"ping"}"#,
            Event::Pong { req_id: None },
        ),
        (
            r#"{"success":true,"ret_msg":"pong","conn_id":"d8bu1olkndm7crnfs1e0-j6akw","req_id":"100001","op":"ping"}"#,
            Event::Pong {
                req_id: Some(100_001),
            },
        ),
        (
            r#"{"args":["1672916271846"],"op":"pong"}"#,
            Event::Pong { req_id: None },
        ),
        (
            r#"{"success":false,"ret_msg":"Invalid symbol :[tickers.NOPEUSDT]","conn_id":"d9avt8shteepr00gfc1g-4zd1x","req_id":"3","op":"subscribe"}"#,
            Event::SubscribeError {
                symbol: Some(Cow::Borrowed("NOPEUSDT")),
                req_id: Some(3),
                message: "Invalid symbol :[tickers.NOPEUSDT]".into(),
            },
        ),
        (
            r#"{"success":false,"ret_msg":"error:handler not found,topic:orderbook.1.NOTASYMBOL","conn_id":"x","op":"subscribe"}"#,
            Event::SubscribeError {
                symbol: Some(Cow::Borrowed("NOTASYMBOL")),
                req_id: None,
                message: "error:handler not found,topic:orderbook.1.NOTASYMBOL".into(),
            },
        ),
        (
            r#"{"success":true,"ret_msg":"","conn_id":"x","req_id":"9","op":"unsubscribe"}"#,
            Event::Unsubscribed {
                symbol: None,
                req_id: Some(9),
            },
        ),
        (
            r#"{"success":true,"ret_msg":"","conn_id":"x","op":"auth"}"#,
            Event::Unknown,
        ),
        (
            r#"{"topic":"somethingNew.BTCUSDT","ts":1,"type":"snapshot","data":{}}"#,
            Event::Unknown,
        ),
    ];
    for (frame, want) in cases {
        assert_eq!(parse(frame), vec![want], "{frame}");
    }
    assert_eq!(parse("[]"), vec![Event::Unknown]);
}

#[test]
fn malformed_frames_are_errors() {
    for frame in [
        r#"{"topic":"tickers.BTCUSDT","ts":1,"type":"snapshot"}"#,
        r#"{"topic":"tickers.BTCUSDT","ts":1,"data":{"symbol":"BTCUSDT","lastPrice":"6.5.1"}}"#,
        r#"{"topic":"orderbook.1.BTCUSDT","data":{"s":"BTCUSDT","b":"65140.4"}}"#,
        r#"{"topic":"tickers.BTCUSDT","ts":"soon","data":{"symbol":"BTCUSDT"}}"#,
        r#"{"success":tru"#,
    ] {
        let mut out = Vec::new();
        assert!(Bybit.parse(frame, &mut out).is_err(), "{frame}");
    }
    let mut out = Vec::new();
    assert!(matches!(
        Bybit.parse(r#"{"topic":"tickers.X","ts":1}"#, &mut out),
        Err(ParseError::Schema(_))
    ));
}

#[test]
fn subscribe_pairs_tickers_with_level_one_book_in_batches_of_ten() {
    assert_eq!(
        Bybit.subscribe(&["BTCUSDT"], 5),
        vec![r#"{"req_id":"5","op":"subscribe","args":["tickers.BTCUSDT","orderbook.1.BTCUSDT"]}"#]
    );
    let wire = ["A1USDT", "A2USDT", "A3USDT", "A4USDT", "A5USDT", "A6USDT"];
    let frames = Bybit.unsubscribe(&wire, 6);
    assert_eq!(frames.len(), 2);
    let args: Vec<usize> = frames.iter().map(|f| f.matches("USDT\"").count()).collect();
    assert_eq!(args, [10, 2]);
    // Each chunk has its own id: the venue's answer to a chunk names only that.
    assert!(frames[0].starts_with(r#"{"req_id":"6","op":"unsubscribe","args":["#));
    assert!(frames[1].starts_with(r#"{"req_id":"7","op":"unsubscribe","args":["#));
    let mut ids = crate::exchange::RequestIds::starting_at(1);
    let requests = Bybit.subscribe_requests(&wire, &mut ids);
    let chunks: Vec<(Option<u64>, usize)> =
        requests.iter().map(|r| (r.id, r.wires.len())).collect();
    assert_eq!(chunks, [(Some(1), 5), (Some(2), 1)]);
    assert_eq!(requests[1].wires, ["A6USDT"]);
    assert!(Bybit.subscribe(&[], 7).is_empty());
}

#[test]
fn endpoints_and_keep_alive() {
    assert_eq!(
        (Bybit.default_ws_url(), Bybit.default_rest_url()),
        (
            "wss://stream.bybit.com/v5/public/spot",
            "https://api.bybit.com"
        )
    );
    assert_eq!(
        Bybit.ping(100_001).as_deref(),
        Some(r#"{"req_id":"100001","op":"ping"}"#)
    );
    assert_eq!(Bybit.ping_interval(), Duration::from_secs(20));
    assert_eq!(Bybit.max_connection_age(), None);
}

#[test]
fn pair_list_from_instruments_info() {
    let body = recorded("rest-v5-instruments-info-spot.subset.json");
    let list = Bybit.parse_pair_list(&body).expect("pair list parses");
    assert_eq!(list.len(), 5);
    let cases = [
        ("BTC/USDT", "BTC/USDT", "BTCUSDT", Some(1)),
        ("ethbtc", "ETH/BTC", "ETHBTC", Some(6)),
        ("SOL-USDT", "SOL/USDT", "SOLUSDT", Some(2)),
        ("BTC/USDC", "BTC/USDC", "BTCUSDC", Some(1)),
    ];
    testkit::assert_resolves(&list, &cases);
    testkit::assert_suggests(&list, "BTC/USD", &["BTC/USDT", "BTC/USDC"]);
}

#[test]
fn pair_list_skips_non_trading_and_reports_errors() {
    let body = r#"{"retCode":0,"retMsg":"OK","result":{"category":"spot","list":[{"symbol":"BTCUSDT","baseCoin":"BTC","quoteCoin":"USDT","status":"Trading","priceFilter":{"tickSize":"0.01"}},{"symbol":"OLDUSDT","baseCoin":"OLD","quoteCoin":"USDT","status":"Closed","priceFilter":{"tickSize":"0.0001"}}]},"retExtInfo":{},"time":1786310819126}"#;
    let list = Bybit.parse_pair_list(body).expect("pair list parses");
    assert_eq!(list.len(), 1);
    assert!(list.resolve("OLD/USDT").is_err());
    let err = Bybit
        .parse_pair_list(
            r#"{"retCode":10001,"retMsg":"Illegal category","result":{},"retExtInfo":{},"time":1}"#,
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "unexpected shape: bybit error 10001: Illegal category"
    );
}

#[test]
fn rest_tickers_include_bid_ask() {
    assert_eq!(
        Bybit.rest_ticker_paths(&["BTCUSDT", "ETHUSDT"]),
        vec![
            "/v5/market/tickers?category=spot&symbol=BTCUSDT",
            "/v5/market/tickers?category=spot&symbol=ETHUSDT"
        ]
    );
    let body = r#"{"retCode":0,"retMsg":"OK","result":{"category":"spot","list":[{"symbol":"BTCUSDT","bid1Price":"65140.4","bid1Size":"0.875077","ask1Price":"65140.5","ask1Size":"0.472215","lastPrice":"65140.5","prevPrice24h":"65045.3","price24hPcnt":"-0.0015","highPrice24h":"65305.6","lowPrice24h":"64727.9","turnover24h":"191907024.69597728","volume24h":"2953.835931","usdIndexPrice":"65091.459221"}]},"retExtInfo":{},"time":1786310819300}"#;
    let got = Bybit.parse_rest_ticker(body).expect("tickers body");
    assert_eq!(got.len(), 1);
    let t = &got[0];
    assert_eq!(
        [
            t.bid,
            t.ask,
            t.last,
            t.open_24h,
            t.change_pct_24h,
            t.volume_24h
        ]
        .map(text),
        [
            "65140.4",
            "65140.5",
            "65140.5",
            "65045.3",
            "-0.15",
            "2953.835931"
        ]
        .map(String::from)
    );
    assert_eq!(
        (t.symbol.as_ref(), t.exchange_ts),
        ("BTCUSDT", millis(1_786_310_819_300))
    );
    let err = Bybit.parse_rest_ticker(
        r#"{"retCode":10001,"retMsg":"Not supported symbols","result":{},"retExtInfo":{},"time":1}"#,
    );
    assert!(err.is_err());
}

#[test]
fn an_empty_book_side_clears_the_price() {
    let both = r#"{"topic":"orderbook.1.ETHUSDT","ts":1786310819200,"type":"snapshot","data":{"s":"ETHUSDT","b":[["1923.27","1.0"]],"a":[["1923.28","2.1"]],"u":7,"seq":8}}"#;
    let no_bids = r#"{"topic":"orderbook.1.ETHUSDT","ts":1786310819300,"type":"snapshot","data":{"s":"ETHUSDT","b":[],"a":[["1923.28","2.1"]],"u":8,"seq":9}}"#;
    let empty = r#"{"topic":"orderbook.1.ETHUSDT","ts":1786310819400,"type":"snapshot","data":{"s":"ETHUSDT","b":[],"a":[],"u":9,"seq":10}}"#;
    let eth = crate::symbol::Symbol::new("ETH", "USDT");
    let (t, line) = crate::exchange::testkit::merged(&Bybit, &eth, &[both, no_bids]);
    assert_eq!((text(t.bid), text(t.ask)), ("-".into(), "1923.28".into()));
    assert_eq!(line["bid"], serde_json::Value::Null);
    let (t, line) = crate::exchange::testkit::merged(&Bybit, &eth, &[both, empty]);
    assert_eq!((t.bid, t.ask), (None, None));
    assert_eq!(
        (&line["bid"], &line["ask"]),
        (&serde_json::Value::Null, &serde_json::Value::Null)
    );
}
